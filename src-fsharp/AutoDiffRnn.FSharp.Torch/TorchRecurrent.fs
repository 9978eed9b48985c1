namespace AutoDiffRnn.FSharp.Torch

open System
open AutoDiffRnn
open AutoDiffRnn.Nn
open TorchSharp

/// <summary>How an AutoDiffRnn layer's weights are carried into libtorch.</summary>
type WeightLayout =
    /// <summary>As they are: PyTorch's layout (the layers store their weights under PyTorch's names and gate order).</summary>
    | PyTorchLayout
    /// <summary>
    /// The gate blocks of every weight and bias reordered (block k of the result is block <c>order[k]</c> of ours): a deliberate mismatch,
    /// e.g. <c>GateBlocks [| 0; 2; 1; 3 |]</c> loads an LSTM's i, f, g, o rows as i, g, f, o. For tests that prove a comparison catches it.
    /// </summary>
    | GateBlocks of order: int[]

/// <summary>A libtorch recurrent module (torch.nn.RNN, LSTM or GRU).</summary>
[<NoEquality; NoComparison>]
type TorchRecurrentModule =
    /// <summary>torch.nn.RNN (tanh or relu).</summary>
    | TorchRnn of TorchSharp.Modules.RNN
    /// <summary>torch.nn.LSTM.</summary>
    | TorchLstm of TorchSharp.Modules.LSTM
    /// <summary>torch.nn.GRU.</summary>
    | TorchGru of TorchSharp.Modules.GRU

    /// <summary>The parameters by PyTorch name.</summary>
    member this.NamedParameters() : (string * torch.Tensor) list =
        let parameters: Collections.Generic.IEnumerable<struct (string * TorchSharp.Modules.Parameter)> =
            match this with
            | TorchRnn m -> m.named_parameters()
            | TorchLstm m -> m.named_parameters()
            | TorchGru m -> m.named_parameters()
        [ for struct (name, p) in parameters -> name, (p :> torch.Tensor) ]

/// <summary>The result of a libtorch recurrent forward pass, in PyTorch's shapes.</summary>
[<NoEquality; NoComparison>]
type TorchRecurrentOutput =
    {
      /// <summary>(T, B, D·H), or (B, T, D·H) batch-first; zero past each sequence's length.</summary>
      Output: torch.Tensor
      /// <summary>h_n (L·D, B, H).</summary>
      Hidden: torch.Tensor
      /// <summary>c_n (L·D, B, H), LSTM only.</summary>
      Cell: torch.Tensor option }

/// <summary>torch.nn.RNN / LSTM / GRU loaded with an AutoDiffRnn layer's weights by PyTorch name, and compared with it.</summary>
[<RequireQualifiedAccess>]
module TorchRecurrent =

    let private dtypeOf (layer: RecurrentLayer) =
        match [ for struct (_, p) in layer.NamedParameters() -> p.DType ] with
        | dtype :: _ -> dtype
        | [] -> invalidArg "layer" "torch recurrent: the layer has no parameters"

    /// <summary>The parameter in another gate-block order (see <see cref="T:AutoDiffRnn.FSharp.Torch.WeightLayout"/>).</summary>
    let private arrange (layout: WeightLayout) (name: string) (value: torch.Tensor) =
        match layout with
        | PyTorchLayout -> value
        | GateBlocks order ->
            let rows = value.shape[0]
            if rows % int64 order.Length <> 0L then
                invalidArg "layout" $"torch recurrent: {name} has {rows} rows, not divisible into {order.Length} gate blocks"
            let blocks = value.chunk(int64 order.Length, 0L)
            torch.cat(order |> Array.map (fun k -> blocks[k]), 0L)

    /// <summary>
    /// A fresh libtorch module of the layer's kind, sizes, layers, directions, bias and batch-first setting and dtype, every parameter
    /// copied from the layer's <c>NamedParameters()</c> by name (arranged by the layout). Throws, naming the parameter, when a name is
    /// missing on either side or the shapes differ.
    /// </summary>
    [<CompiledName("OfLayer")>]
    let ofLayer (layout: WeightLayout) (layer: RecurrentLayer) : TorchRecurrentModule =
        TorchNative.ensureLoaded ()
        let dtype = Nullable(TorchTensor.scalarTypeOf (dtypeOf layer))
        let input, hidden, layers = int64 layer.InputSize, int64 layer.HiddenSize, int64 layer.NumLayers
        let bidirectional = layer.Directions = 2
        let created =
            match layer.Kind with
            | RecurrentKind.RnnTanh | RecurrentKind.RnnRelu ->
                let nonLinearity = if layer.Kind = RecurrentKind.RnnTanh then torch.nn.NonLinearities.Tanh else torch.nn.NonLinearities.ReLU
                TorchRnn(torch.nn.RNN(input, hidden, layers, nonLinearity, layer.HasBias, layer.BatchFirst, 0.0, bidirectional, dtype = dtype))
            | RecurrentKind.Lstm -> TorchLstm(torch.nn.LSTM(input, hidden, layers, layer.HasBias, layer.BatchFirst, 0.0, bidirectional, dtype = dtype))
            | RecurrentKind.Gru -> TorchGru(torch.nn.GRU(input, hidden, layers, layer.HasBias, layer.BatchFirst, 0.0, bidirectional, dtype = dtype))
            | other -> invalidArg "layer" $"torch recurrent: no libtorch module for kind {other}"
        let ours = Map.ofList [ for struct (name, p) in layer.NamedParameters() -> name, p ]
        let theirs = created.NamedParameters()
        let missing = Set.difference (set (Map.keys ours)) (set (List.map fst theirs))
        if not missing.IsEmpty then
            invalidArg "layer" $"""torch recurrent: libtorch's module has no parameter named {String.Join(", ", missing)}"""
        use _ = torch.no_grad()
        for name, parameter in theirs do
            match ours |> Map.tryFind name with
            | None -> invalidArg "layer" $"torch recurrent: the layer has no parameter {name} (libtorch's module has one)"
            | Some value ->
                let source = arrange layout name (TorchTensor.ofTensor value)
                if source.shape <> parameter.shape then
                    invalidArg "layer" $"""torch recurrent: {name} is [{String.Join(",", source.shape)}] here but [{String.Join(",", parameter.shape)}] in libtorch"""
                parameter.copy_(source) |> ignore
        created

    /// <summary>
    /// Runs the libtorch module: input in the layer's layout, optional initial states (L·D, B, H), optional lengths (each sequence's
    /// valid steps, through pack_padded_sequence with enforce_sorted = false and pad_packed_sequence back to the full length).
    /// </summary>
    [<CompiledName("Forward")>]
    let forward (m: TorchRecurrentModule) (batchFirst: bool) (input: torch.Tensor) (h0: torch.Tensor option) (c0: torch.Tensor option)
                (lengths: int[] option) : TorchRecurrentOutput =
        let steps = input.shape[if batchFirst then 1 else 0]
        let batch = input.shape[if batchFirst then 0 else 1]
        let zeros () =
            let recurrentWeights = m.NamedParameters() |> List.filter (fun (name, _) -> name.StartsWith "weight_hh")
            let hiddenSize = (snd recurrentWeights.Head).shape[1]
            torch.zeros([| int64 recurrentWeights.Length; batch; hiddenSize |], dtype = input.dtype)
        let hidden = match h0 with Some h -> h | None -> zeros ()
        let lstmState () =
            let state: struct (torch.Tensor * torch.Tensor) =
                match h0, c0 with
                | Some h, Some c -> struct (h, c)
                | Some h, None -> struct (h, zeros ())
                | None, Some c -> struct (zeros (), c)
                | None, None -> struct (zeros (), zeros ())
            // TorchSharp's (Tensor, Tensor)? parameter: F# reports a spurious nullness mismatch on constructing it.
#nowarn "3261"
            System.Nullable<struct (torch.Tensor * torch.Tensor)>(state)
#warnon "3261"
        match lengths with
        | None ->
            match m with
            | TorchRnn rnn -> let struct (output, h) = rnn.call(input, hidden) in { Output = output; Hidden = h; Cell = None }
            | TorchGru gru -> let struct (output, h) = gru.call(input, hidden) in { Output = output; Hidden = h; Cell = None }
            | TorchLstm lstm ->
                let struct (output, h, c) = lstm.call(input, lstmState ())
                { Output = output; Hidden = h; Cell = Some c }
        | Some lengths ->
            let packed = torch.nn.utils.rnn.pack_padded_sequence(input, TorchTensor.ofIndices lengths, batchFirst, false)
            let unpack (sequence: torch.nn.utils.rnn.PackedSequence) =
                let struct (padded, _) = torch.nn.utils.rnn.pad_packed_sequence(sequence, batchFirst, 0.0, Nullable steps)
                padded
            match m with
            | TorchRnn rnn -> let struct (output, h) = rnn.call(packed, hidden) in { Output = unpack output; Hidden = h; Cell = None }
            | TorchGru gru -> let struct (output, h) = gru.call(packed, hidden) in { Output = unpack output; Hidden = h; Cell = None }
            | TorchLstm lstm ->
                let struct (output, h, c) = lstm.call(packed, lstmState ())
                { Output = unpack output; Hidden = h; Cell = Some c }

    /// <summary>
    /// Backpropagates ⟨uOutput, output⟩ + ⟨uHidden, h_n⟩ + ⟨uCell, c_n⟩ (the last where both exist) through libtorch's forward pass:
    /// the weighted loss every comparison with a libtorch recurrent module differentiates.
    /// </summary>
    [<CompiledName("BackwardWeighted")>]
    let backwardWeighted (output: TorchRecurrentOutput) (uOutput: Tensor) (uHidden: Tensor) (uCell: Tensor option) =
        let main = (output.Output * TorchTensor.ofTensor uOutput).sum() + (output.Hidden * TorchTensor.ofTensor uHidden).sum()
        let loss =
            match output.Cell, uCell with
            | Some cell, Some u -> main + (cell * TorchTensor.ofTensor u).sum()
            | _ -> main
        loss.backward()

    /// <summary>A libtorch tensor's gradient, or zeros where no gradient reached it.</summary>
    [<CompiledName("GradientOrZeros")>]
    let gradientOrZeros (t: torch.Tensor) = match t.grad with null -> torch.zeros_like(t) | g -> g

    /// <summary>
    /// The layer against libtorch's module loaded with its weights (arranged by the layout), in the layer's dtype: the output, h_n and
    /// c_n, and the gradients of ⟨u₁, output⟩ + ⟨u₂, h_n⟩ + ⟨u₃, c_n⟩ (u drawn from N(0, 1) by the seed) with respect to the input,
    /// the initial states and every parameter by name. The layer's gradients are zeroed first and left filled.
    /// </summary>
    [<CompiledName("Compare")>]
    let compare (layout: WeightLayout) (seed: uint64) (layer: RecurrentLayer) (input: Tensor) (h0: Tensor option) (c0: Tensor option)
                (lengths: int[] option) : Agreement =
        TorchNative.ensureLoaded ()
        let dtype = dtypeOf layer
        let leaf (x: Tensor) = x.Detach().To(dtype).Detach().SetRequiresGrad()
        let x, h, c = leaf input, Option.map leaf h0, Option.map leaf c0
        layer.ZeroGrad()
        let ours = layer.Forward(x, Option.toObj h, Option.toObj c, Option.toObj lengths)
        let generator = Generator(seed)
        let direction (t: Tensor) = Tensor.Normal(t.Shape, 0.0, 1.0, dtype, generator)
        let uOutput, uHidden = direction ours.Output, direction ours.Hidden
        let uCell = ours.Cell |> Option.ofObj |> Option.map direction
        let loss =
            let main = (ours.Output * uOutput).Sum() + (ours.Hidden * uHidden).Sum()
            match ours.Cell, uCell with
            | null, _ | _, None -> main
            | cell, Some u -> main + (cell * u).Sum()
        loss.Backward()
        let grad (t: Tensor) = match t.Grad with null -> Tensor.ZerosLike t | g -> g

        use _ = torch.NewDisposeScope()
        let m = ofLayer layout layer
        let tx = TorchTensor.leafOf x
        let th, tc = h |> Option.map TorchTensor.leafOf, c |> Option.map TorchTensor.leafOf
        let theirs = forward m layer.BatchFirst tx th tc lengths
        backwardWeighted theirs uOutput uHidden uCell
        let theirGrad = gradientOrZeros
        let errors =
            [ yield "output", Agreement.tensorError ours.Output (TorchTensor.toTensor theirs.Output)
              yield "h_n", Agreement.tensorError ours.Hidden (TorchTensor.toTensor theirs.Hidden)
              match Option.ofObj ours.Cell, theirs.Cell with
              | None, None -> ()
              | None, Some _ | Some _, None -> yield "c_n", Double.PositiveInfinity
              | Some cell, Some theirCell -> yield "c_n", Agreement.tensorError cell (TorchTensor.toTensor theirCell)
              yield "d input", Agreement.tensorError (grad x) (TorchTensor.toTensor (theirGrad tx))
              match h, th with Some h, Some th -> yield "d h0", Agreement.tensorError (grad h) (TorchTensor.toTensor (theirGrad th)) | _ -> ()
              match c, tc with Some c, Some tc -> yield "d c0", Agreement.tensorError (grad c) (TorchTensor.toTensor (theirGrad tc)) | _ -> ()
              let theirParameters = Map.ofList (m.NamedParameters())
              for struct (name, p) in layer.NamedParameters() do
                  let gradient = TorchTensor.toTensor (theirGrad theirParameters[name])
                  // compare in our layout: the same arrangement applied to our gradient
                  let arranged = TorchTensor.toTensor (arrange layout name (TorchTensor.ofTensor (grad p)))
                  yield $"d {name}", Agreement.tensorError arranged gradient ]
        let kind = $"{layer.Kind} L{layer.NumLayers}" + (if layer.Directions = 2 then " bi" else "") + (if layer.HasBias then "" else " no-bias")
        { Name = $"{kind} vs libtorch"; Errors = errors }
