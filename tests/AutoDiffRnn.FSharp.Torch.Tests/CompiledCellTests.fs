/// Compiled cells (AutoDiffRnn.Compile) against libtorch: the example LSTM and GRU cells, compiled and run by Recurrence over stacked,
/// bidirectional layers with variable lengths, against torch.nn.LSTM / GRU loaded with the same weights by PyTorch name: outputs, final
/// states and every gradient (input, initial states, all parameters).
module AutoDiffRnn.FSharp.Torch.Tests.CompiledCellTests

open System
open Expecto
open AutoDiffRnn
open AutoDiffRnn.Nn
open AutoDiffRnn.Compile
open AutoDiffRnn.FSharp.Torch
open AutoDiffRnn.FSharp.Torch.Tests.Support
open TorchSharp

/// The compiled example cell over the layer's own parameters, run by Recurrence, against libtorch's module with those parameters.
let private compare (kind: RecurrentKind) (layers: int) (bidirectional: bool) (lengths: int[] option) (seed: int) : Agreement * CompiledCell list =
    let random = Random(seed)
    let steps, batch, inputSize, hidden = 5, 3, 4, 3
    let layer = RecurrentLayer(kind, inputSize, hidden, layers, true, false, 0.0, bidirectional, DType.Float64, Generator(uint64 seed))
    let parameters = dict [ for struct (name, p) in layer.NamedParameters() -> name, p ]
    let lstm = kind = RecurrentKind.Lstm
    let cellOf suffix =
        let weights = [| for name in [ "weight_ih"; "weight_hh"; "bias_ih"; "bias_hh" ] -> parameters[name + suffix] |]
        ExampleCell.FromParameters((if lstm then "lstm" else "gru"), weights).Compile()
    let directions = if bidirectional then 2 else 1
    let recurrenceLayers =
        [ for l in 0 .. layers - 1 ->
            if bidirectional then RecurrenceLayer(cellOf $"_l{l}", cellOf $"_l{l}_reverse") else RecurrenceLayer(cellOf $"_l{l}") ]
    let x = (normal random [| steps; batch; inputSize |]).SetRequiresGrad()
    let h0 = (normal random [| layers * directions; batch; hidden |]).SetRequiresGrad()
    let c0 = (normal random [| layers * directions; batch; hidden |]).SetRequiresGrad()
    let states = [| for k in 0 .. layers * directions - 1 -> if lstm then [| h0.Select(0, k); c0.Select(0, k) |] else [| h0.Select(0, k) |] |]
    let ours = Recurrence.Run(recurrenceLayers, x, states, Option.toObj lengths)
    let hn = Tensor.Stack([| for s in ours.FinalStates -> s[0] |], 0)
    let cn = if lstm then Some(Tensor.Stack([| for s in ours.FinalStates -> s[1] |], 0)) else None
    let generator = Generator(uint64 seed + 1UL)
    let direction (t: Tensor) = Tensor.Normal(t.Shape, 0.0, 1.0, DType.Float64, generator)
    let uOutput, uHidden, uCell = direction ours.Output, direction hn, cn |> Option.map direction
    let loss = (ours.Output * uOutput).Sum() + (hn * uHidden).Sum() + (match cn, uCell with Some c, Some u -> (c * u).Sum() | _ -> Tensor.Scalar(0.0, DType.Float64))
    loss.Backward()

    use _ = torch.NewDisposeScope()
    let m = TorchRecurrent.ofLayer PyTorchLayout layer
    let tx, th, tc = TorchTensor.leafOf (x.Detach()), TorchTensor.leafOf (h0.Detach()), TorchTensor.leafOf (c0.Detach())
    let theirs = TorchRecurrent.forward m false tx (Some th) (if lstm then Some tc else None) lengths
    TorchRecurrent.backwardWeighted theirs uOutput uHidden uCell
    let theirGrad = TorchRecurrent.gradientOrZeros
    let grad (t: Tensor) = match t.Grad with null -> Tensor.ZerosLike t | g -> g
    let theirParameters = Map.ofList (m.NamedParameters())
    let errors =
        [ yield "output", Agreement.tensorError ours.Output (TorchTensor.toTensor theirs.Output)
          yield "h_n", Agreement.tensorError hn (TorchTensor.toTensor theirs.Hidden)
          match cn, theirs.Cell with
          | Some c, Some theirCell -> yield "c_n", Agreement.tensorError c (TorchTensor.toTensor theirCell)
          | None, None -> ()
          | _ -> yield "c_n", Double.PositiveInfinity
          yield "d input", Agreement.tensorError (grad x) (TorchTensor.toTensor (theirGrad tx))
          yield "d h0", Agreement.tensorError (grad h0) (TorchTensor.toTensor (theirGrad th))
          if lstm then yield "d c0", Agreement.tensorError (grad c0) (TorchTensor.toTensor (theirGrad tc))
          for KeyValue(name, p) in parameters do
              yield $"d {name}", Agreement.tensorError (grad p) (TorchTensor.toTensor (theirGrad theirParameters[name])) ]
    let cells =
        [ for l in recurrenceLayers do
            yield l.Forward
            match l.Reverse with
            | null -> ()
            | reverse -> yield reverse ]
    { Name = $"compiled {kind} L{layers}" + (if bidirectional then " bi" else "") + " vs libtorch"; Errors = errors }, cells

[<Tests>]
let tests =
    testList "compiled cells vs libtorch" [
        for kind in [ RecurrentKind.Lstm; RecurrentKind.Gru ] do
            for layers, bidirectional, lengths, seed in [ 1, false, None, 3; 2, true, Some [| 5; 2; 4 |], 4; 1, true, Some [| 1; 5; 3 |], 5 ] do
                let name = $"{kind} L{layers}" + (if bidirectional then " bidirectional" else "") + (if lengths.IsSome then " lengths" else "") + " (1e-10)"
                test name {
                    let agreement, cells = compare kind layers bidirectional lengths seed
                    for cell in cells do Expect.isNull cell.FallbackReason $"{cell.Name} compiled"
                    let parameterCount = layers * (if bidirectional then 2 else 1) * 4
                    Expect.equal agreement.Errors.Length (parameterCount + (if kind = RecurrentKind.Lstm then 6 else 4)) $"every quantity compared:\n{agreement}"
                    expectAgreement 1e-10 agreement
                }
    ]
