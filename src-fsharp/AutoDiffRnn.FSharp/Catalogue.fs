namespace AutoDiffRnn.FSharp

open AutoDiffRnn
open AutoDiffRnn.Nn

/// <summary>
/// A fixed catalogue of GradCheck cases: one fixed draw of every row of <see cref="T:AutoDiffRnn.FSharp.OpTable"/> (so every
/// operation of <c>AutoDiffRnn.Operations.Names</c>) and the recurrent modules (RNN, LSTM, GRU layers, stacked and bidirectional,
/// composed and fused, against the reference networks on duals). The <c>verify</c> command of the CLI runs it; the test suites
/// draw far more cases per row.
/// </summary>
[<RequireQualifiedAccess>]
module Catalogue =

    let private normal (seed: uint64) (shape: int[]) = Tensor.Normal(Shape(shape), 0.0, 1.0, DType.Float64, Generator(seed))
    let private case name csharp reference inputs = GradCase.create name csharp reference inputs

    /// <summary>The layer's parameters as reference weights, layer by layer and direction by direction.</summary>
    let private weightsOf (layer: RecurrentLayer) =
        let parameters = Map.ofList [ for struct (name, value) in layer.NamedParameters() -> name, value ]
        let cell l d =
            let suffix = $"_l{l}" + (if d = 1 then "_reverse" else "")
            let get name = parameters |> Map.tryFind (name + suffix) |> Option.map Dual.ofTensor
            { InputWeights = (get "weight_ih").Value; HiddenWeights = (get "weight_hh").Value
              InputBias = get "bias_ih"; HiddenBias = get "bias_hh" }
        Array.init layer.NumLayers (fun l -> Array.init layer.Directions (cell l))

    let private moduleCase (kind: CellKind, csharpKind: RecurrentKind) (layers: int, bidirectional: bool) (fused: bool) =
        let layer = RecurrentLayer(csharpKind, 2, 3, layers, true, false, 0.0, bidirectional, DType.Float64, Generator(13UL))
        layer.UseFusedKernels <- fused
        let weights = weightsOf layer
        let name = $"{csharpKind} layer, {layers} layer(s)" + (if bidirectional then ", bidirectional" else "") + (if fused then ", fused" else "")
        case name (fun x -> layer.Forward(x[0]).Output) (fun x -> fst (Recurrent.run kind weights x[0] None)) [| normal 14UL [| 3; 2; 2 |] |]

    let private modules () =
        [ for kinds in [ CellKind.RnnTanh, RecurrentKind.RnnTanh; CellKind.RnnRelu, RecurrentKind.RnnRelu; CellKind.Lstm, RecurrentKind.Lstm; CellKind.Gru, RecurrentKind.Gru ] do
            for shape in [ 1, false; 2, true ] do
                for fused in (if fst kinds = CellKind.Lstm || fst kinds = CellKind.Gru then [ false; true ] else [ false ]) do
                    yield moduleCase kinds shape fused ]

    /// <summary>
    /// Every case: one fixed draw of every row of the op table (<c>OpTable.fixedSamples</c>: the core ops, convolution and pooling,
    /// the fused sequences), the recurrent modules and the sequence-to-sequence modules.
    /// </summary>
    [<CompiledName("Cases")>]
    let cases () : GradCase list =
        (OpTable.fixedSamples () |> List.map (fun sample -> sample.GradCase)) @ modules () @ Seq2SeqReference.cases ()
