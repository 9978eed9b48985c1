namespace AutoDiffRnn.FSharp

/// <summary>A recurrent cell, with PyTorch's equations and gate order.</summary>
type CellKind =
    /// <summary>Elman RNN: h' = tanh(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh).</summary>
    | RnnTanh
    /// <summary>Elman RNN with relu in place of tanh.</summary>
    | RnnRelu
    /// <summary>LSTM, gates in PyTorch's order i, f, g, o: c' = σ(f)·c + σ(i)·tanh(g), h' = σ(o)·tanh(c').</summary>
    | Lstm
    /// <summary>GRU, gates in PyTorch's order r, z, n: n = tanh(x_n + r·(h W_hn + b_hn)), h' = (1 − z)·n + z·h.</summary>
    | Gru

    /// <summary>How many blocks of hidden-size rows the weight matrices stack (1, 4 or 3).</summary>
    member this.GateCount =
        match this with
        | RnnTanh | RnnRelu -> 1
        | Lstm -> 4
        | Gru -> 3

/// <summary>
/// The parameters of one direction of one layer, laid out as PyTorch's <c>weight_ih_l{k}</c> [gates·hidden, input],
/// <c>weight_hh_l{k}</c> [gates·hidden, hidden], <c>bias_ih_l{k}</c> and <c>bias_hh_l{k}</c> [gates·hidden] (optional).
/// </summary>
[<NoComparison>]
type CellWeights =
    {
      /// <summary>weight_ih: [gates·hidden, input].</summary>
      InputWeights: Dual
      /// <summary>weight_hh: [gates·hidden, hidden].</summary>
      HiddenWeights: Dual
      /// <summary>bias_ih: [gates·hidden], if the layer has biases.</summary>
      InputBias: Dual option
      /// <summary>bias_hh: [gates·hidden], if the layer has biases.</summary>
      HiddenBias: Dual option }

/// <summary>The state carried from step to step: h, and for an LSTM the cell c.</summary>
[<NoComparison>]
type CellState =
    {
      /// <summary>The hidden state h: [batch, hidden] for a cell, [layers·directions, batch, hidden] for a network.</summary>
      Hidden: Dual
      /// <summary>The LSTM cell state c (same shape as Hidden); None for RNN and GRU.</summary>
      Cell: Dual option }

/// <summary>
/// Reference recurrent networks on the forward-mode engine, written from PyTorch's documented equations: RNN (tanh,
/// relu), LSTM and GRU cells, unrolled over time, stacked and bidirectional. The C# recurrent modules are checked
/// against them with the same weights (values, and derivatives through GradCheck).
/// </summary>
[<RequireQualifiedAccess>]
module Recurrent =

    let private projections (weights: CellWeights) (x: Dual) (h: Dual) =
        Dual.linear x weights.InputWeights weights.InputBias, Dual.linear h weights.HiddenWeights weights.HiddenBias

    /// <summary>One Elman RNN step: act(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh), with tanh or relu; x [batch, input], h [batch, hidden].</summary>
    let rnnCell (relu: bool) (weights: CellWeights) (x: Dual) (h: Dual) =
        let fromInput, fromHidden = projections weights x h
        fromInput + fromHidden |> (if relu then Dual.relu else Dual.tanh)

    /// <summary>One LSTM step (gates i, f, g, o): returns (h', c').</summary>
    let lstmCell (weights: CellWeights) (x: Dual) (h: Dual) (c: Dual) =
        let fromInput, fromHidden = projections weights x h
        let gates = Dual.chunk 4 1 (fromInput + fromHidden)
        let input, forget, candidate, output = Dual.sigmoid gates[0], Dual.sigmoid gates[1], Dual.tanh gates[2], Dual.sigmoid gates[3]
        let c' = forget * c + input * candidate
        output * Dual.tanh c', c'

    /// <summary>One GRU step (gates r, z, n, the reset gate applied after the hidden projection, as PyTorch).</summary>
    let gruCell (weights: CellWeights) (x: Dual) (h: Dual) =
        let fromInput, fromHidden = projections weights x h
        let i, g = Dual.chunk 3 1 fromInput, Dual.chunk 3 1 fromHidden
        let reset = Dual.sigmoid (i[0] + g[0])
        let update = Dual.sigmoid (i[1] + g[1])
        let candidate = Dual.tanh (i[2] + reset * g[2])
        (1.0 - update) * candidate + update * h

    /// <summary>One step of any cell kind.</summary>
    let step (kind: CellKind) (weights: CellWeights) (x: Dual) (state: CellState) =
        match kind, state.Cell with
        | RnnTanh, _ -> { Hidden = rnnCell false weights x state.Hidden; Cell = None }
        | RnnRelu, _ -> { Hidden = rnnCell true weights x state.Hidden; Cell = None }
        | Gru, _ -> { Hidden = gruCell weights x state.Hidden; Cell = None }
        | Lstm, Some c ->
            let h', c' = lstmCell weights x state.Hidden c
            { Hidden = h'; Cell = Some c' }
        | Lstm, None -> invalidArg "state" "lstm: the state needs a cell c"

    /// <summary>
    /// One direction of one layer over a time-major sequence [time, batch, input], forwards or (reverse) from the last
    /// step to the first: the outputs [time, batch, hidden] (in time order) and the final state.
    /// </summary>
    let unroll (kind: CellKind) (weights: CellWeights) (reverse: bool) (input: Dual) (initial: CellState) =
        let steps = input.Shape[0]
        let outputs = Array.zeroCreate steps
        let mutable state = initial
        for t in (if reverse then [ steps - 1 .. -1 .. 0 ] else [ 0 .. steps - 1 ]) do
            state <- step kind weights (Dual.select 0 t input) state
            outputs[t] <- state.Hidden
        Dual.stack 0 outputs, state

    /// <summary>
    /// A stacked, optionally bidirectional network over a time-major sequence [time, batch, input], as PyTorch's
    /// nn.RNN/LSTM/GRU: layers[l] holds one CellWeights per direction (forward, then backward); layer l+1 reads the
    /// concatenated outputs of both directions of layer l. The initial state has shape [layers·directions, batch,
    /// hidden] (zeros when None). Returns the last layer's outputs [time, batch, directions·hidden] and the final
    /// states [layers·directions, batch, hidden].
    /// </summary>
    let run (kind: CellKind) (layers: CellWeights[][]) (input: Dual) (initial: CellState option) =
        if layers.Length = 0 || layers[0].Length = 0 || layers[0].Length > 2 then
            invalidArg "layers" "recurrent: needs at least one layer, with one or two directions"
        if input.Rank <> 3 then invalidArg "input" $"recurrent: the input must be [time, batch, input], got {Layout.show input.Shape}"
        let directions = layers[0].Length
        let hiddenSize = (layers[0]).[0].HiddenWeights.Shape[1]
        let stateShape = [| layers.Length * directions; input.Shape[1]; hiddenSize |]
        let zeros = Dual.constant stateShape (Array.zeroCreate (Layout.count stateShape))
        let h0 = initial |> Option.map (fun state -> state.Hidden) |> Option.defaultValue zeros
        let c0 =
            match kind with
            | Lstm -> Some(initial |> Option.bind (fun state -> state.Cell) |> Option.defaultValue zeros)
            | _ -> None
        let mutable layerInput = input
        let finals = ResizeArray()
        layers
        |> Array.iteri (fun layer cells ->
            let results =
                cells
                |> Array.mapi (fun direction weights ->
                    let index = layer * directions + direction
                    let start = { Hidden = Dual.select 0 index h0; Cell = c0 |> Option.map (Dual.select 0 index) }
                    unroll kind weights (direction = 1) layerInput start)
            layerInput <- if results.Length = 1 then fst results[0] else results |> Array.map fst |> Dual.concat 2
            finals.AddRange(results |> Array.map snd))
        let states = finals.ToArray()
        layerInput,
        { Hidden = states |> Array.map (fun state -> state.Hidden) |> Dual.stack 0
          Cell = c0 |> Option.map (fun _ -> states |> Array.map (fun state -> state.Cell.Value) |> Dual.stack 0) }

    /// <summary>As <c>run</c>, for batch-first sequences [batch, time, input] (outputs [batch, time, directions·hidden]).</summary>
    let runBatchFirst (kind: CellKind) (layers: CellWeights[][]) (input: Dual) (initial: CellState option) =
        let outputs, final = run kind layers (Dual.transpose 0 1 input) initial
        Dual.transpose 0 1 outputs, final

    /// <summary>
    /// As <c>run</c>, for a padded batch of variable-length sequences with PyTorch's packed-sequence semantics, by the
    /// plainest construction: every batch element runs on its own, over only its first <c>lengths[b]</c> steps (so the
    /// reverse direction starts at its own last element and the final state is taken at its own last step); its outputs
    /// are then padded with zeros to the full length and the batch is stacked again. lengths[b] must be in 1..time.
    /// </summary>
    let runPacked (kind: CellKind) (layers: CellWeights[][]) (input: Dual) (lengths: int[]) (initial: CellState option) =
        if input.Rank <> 3 then invalidArg "input" $"recurrent: the input must be [time, batch, input], got {Layout.show input.Shape}"
        let steps, batch = input.Shape[0], input.Shape[1]
        if lengths.Length <> batch then
            invalidArg "lengths" $"recurrent: {lengths.Length} lengths for a batch of {batch}"
        if lengths |> Array.exists (fun length -> length < 1 || length > steps) then
            invalidArg "lengths" $"recurrent: every length must be in 1..{steps}, got {Layout.show lengths}"
        let results =
            Array.init batch (fun b ->
                let own = input |> Dual.narrow 1 b 1 |> Dual.narrow 0 0 lengths[b]
                let ownInitial =
                    initial
                    |> Option.map (fun state ->
                        { Hidden = Dual.narrow 1 b 1 state.Hidden; Cell = state.Cell |> Option.map (Dual.narrow 1 b 1) })
                let outputs, final = run kind layers own ownInitial
                let padding = steps - lengths[b]
                let padded =
                    if padding = 0 then outputs
                    else
                        let shape = [| padding; 1; outputs.Shape[2] |]
                        Dual.concat 0 [| outputs; Dual.constant shape (Array.zeroCreate (Layout.count shape)) |]
                padded, final)
        Dual.concat 1 (results |> Array.map fst),
        { Hidden = results |> Array.map (fun (_, final) -> final.Hidden) |> Dual.concat 1
          Cell =
            match kind with
            | Lstm -> Some(results |> Array.map (fun (_, final) -> final.Cell.Value) |> Dual.concat 1)
            | _ -> None }
