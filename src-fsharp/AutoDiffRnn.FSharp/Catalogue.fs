namespace AutoDiffRnn.FSharp

open AutoDiffRnn
open AutoDiffRnn.Nn

/// <summary>
/// A fixed catalogue of GradCheck cases: one or more for every operation of <c>AutoDiffRnn.Operations.Names</c> and for the recurrent
/// modules (RNN, LSTM, GRU layers, stacked and bidirectional, composed and fused, against the reference networks on duals).
/// The <c>verify</c> command of the CLI runs it; the test suite runs far more generated cases per op.
/// </summary>
[<RequireQualifiedAccess>]
module Catalogue =

    let private normal (seed: uint64) (shape: int[]) = Tensor.Normal(Shape(shape), 0.0, 1.0, DType.Float64, Generator(seed))
    let private uniform (seed: uint64) low high (shape: int[]) = Tensor.Uniform(Shape(shape), low, high, DType.Float64, Generator(seed))
    let private case name csharp reference inputs = GradCase.create name csharp reference inputs

    /// Convolution and pooling: the forward ops, and each backward op through a recorded VJP (so double backward is covered).
    let private convolutions () =
        let x = normal 40UL [| 2; 4; 5; 6 |]
        let weight = normal 41UL [| 4; 2; 3; 3 |]
        // stride 2 with SAME padding: 5 -> 3 rows with (1, 1), 6 -> 3 columns with (0, 1): asymmetric
        let settings = { Stride = (2, 2); Padding = (1, 1, 0, 1); Dilation = (1, 1); Groups = 2 }
        let conv (input: Tensor) (w: Tensor) = Tensor.Conv2d(input, w, null, struct (2, 2), Padding.Same, struct (1, 1), 2)
        let gradient = normal 42UL [| 2; 4; 3; 3 |]
        let pooled = uniform 43UL -1.0 1.0 [| 2; 3; 5; 5 |] // continuous draws: no ties in a window
        let pool = { Kernel = (2, 2); Stride = (2, 2); Padding = (1, 1); Dilation = (1, 1); CeilMode = true }
        let poolGradient = normal 44UL [| 2; 3; 3; 3 |]
        [ case "conv2d [2,4,5,6] [4,2,3,3] [4] stride 2 same groups 2"
              (fun x -> Tensor.Conv2d(x[0], x[1], x[2], struct (2, 2), Padding.Same, struct (1, 1), 2))
              (fun x -> Convolution.conv2d settings x[0] x[1] (Some x[2])) [| x; weight; normal 45UL [| 4 |] |]
          case "conv2d dilation 2 padding 1" (fun x -> Tensor.Conv2d(x[0], x[1], null, 1, Padding.Symmetric 1, 2, 1))
              (fun x -> Convolution.conv2d { Stride = (1, 1); Padding = (1, 1, 1, 1); Dilation = (2, 2); Groups = 1 } x[0] x[1] None)
              [| normal 46UL [| 1; 2; 5; 5 |]; normal 47UL [| 3; 2; 2; 3 |] |]
          case "conv2d_input_grad (VJP of conv2d in its input)" (fun u -> Diff.vjpRecordedWith [| u[1] |] (fun input -> conv input u[1]) x u[0])
              (fun u -> Convolution.conv2dInputGrad settings [| 2; 4; 5; 6 |] u[0] u[1]) [| gradient; weight |]
          case "conv2d_weight_grad (VJP of conv2d in its weight)" (fun u -> Diff.vjpRecordedWith [| u[0] |] (fun w -> conv u[0] w) weight u[1])
              (fun u -> Convolution.conv2dWeightGrad settings [| 4; 2; 3; 3 |] u[0] u[1]) [| x; gradient |]
          case "max_pool2d 2x2 stride 2 padding 1 ceil" (fun x -> x[0].MaxPool2d(struct (2, 2), struct (2, 2), struct (1, 1), struct (1, 1), true))
              (fun x -> Convolution.maxPool2d pool x[0]) [| pooled |]
          case "max_pool2d_backward (VJP of max_pool2d)"
              (fun u -> Diff.vjpRecorded (fun x -> x.MaxPool2d(struct (2, 2), struct (2, 2), struct (1, 1), struct (1, 1), true)) pooled u[0])
              (fun u -> Convolution.maxPool2dBackward pool [| 2; 3; 5; 5 |] (pooled.ToDoubleArray()) u[0]) [| poolGradient |]
          case "avg_pool2d 2x2 stride 2 padding 1 ceil, padding not counted"
              (fun x -> x[0].AvgPool2d(struct (2, 2), struct (2, 2), struct (1, 1), true, false))
              (fun x -> Convolution.avgPool2d pool false x[0]) [| pooled |]
          case "avg_pool2d_backward (VJP of avg_pool2d)"
              (fun u -> Diff.vjpRecorded (fun x -> x.AvgPool2d(struct (2, 2), struct (2, 2), struct (1, 1), true, true)) pooled u[0])
              (fun u -> Convolution.avgPool2dBackward pool true [| 2; 3; 5; 5 |] u[0]) [| poolGradient |]
          case "adaptive_avg_pool2d [2,3,5,5] -> 3x2" (fun x -> x[0].AdaptiveAvgPool2d(struct (3, 2)))
              (fun x -> Convolution.adaptiveAvgPool2d (3, 2) x[0]) [| pooled |] ]

    let private operations () =
        let x34, y34, y4 = normal 1UL [| 3; 4 |], normal 2UL [| 3; 4 |], normal 3UL [| 4 |]
        let positive = uniform 4UL 0.3 2.0 [| 3; 4 |]
        let away = Tensor.FromArray([| 0.7; -1.2; 0.4; -0.3; 1.6; -0.9 |], Shape([| 2; 3 |])) // away from 0 and ±0.5: no kinks
        let x234 = normal 5UL [| 2; 3; 4 |]
        let condition = Tensor.FromArray([| 1.0; 0.0; 0.0; 1.0 |], Shape([| 4 |]))
        let dropoutMask =
            let draws = Generator(9UL)
            Array.init 12 (fun _ -> if draws.NextDouble() >= 0.5 then 1.0 else 0.0)
        [ case "add [3,4] + [4]" (fun x -> x[0] + x[1]) (fun x -> Dual.add x[0] x[1]) [| x34; y4 |]
          case "sub [3,4] - [3,4]" (fun x -> x[0] - x[1]) (fun x -> Dual.sub x[0] x[1]) [| x34; y34 |]
          case "mul [3,4] * [4]" (fun x -> x[0] * x[1]) (fun x -> Dual.mul x[0] x[1]) [| x34; y4 |]
          case "div [3,4] / [3,4]" (fun x -> x[0] / x[1]) (fun x -> Dual.div x[0] x[1]) [| x34; positive |]
          case "neg" (fun x -> -x[0]) (fun x -> Dual.neg x[0]) [| x34 |]
          case "pow 3" (fun x -> x[0].Pow(3.0)) (fun x -> Dual.pow 3.0 x[0]) [| x34 |]
          case "exp" (fun x -> x[0].Exp()) (fun x -> Dual.exp x[0]) [| x34 |]
          case "log" (fun x -> x[0].Log()) (fun x -> Dual.log x[0]) [| positive |]
          case "sqrt" (fun x -> x[0].Sqrt()) (fun x -> Dual.sqrt x[0]) [| positive |]
          case "abs" (fun x -> x[0].Abs()) (fun x -> Dual.abs x[0]) [| away |]
          case "tanh" (fun x -> x[0].Tanh()) (fun x -> Dual.tanh x[0]) [| x34 |]
          case "sigmoid" (fun x -> x[0].Sigmoid()) (fun x -> Dual.sigmoid x[0]) [| x34 |]
          case "relu" (fun x -> x[0].Relu()) (fun x -> Dual.relu x[0]) [| away |]
          case "leaky_relu 0.1" (fun x -> x[0].LeakyRelu(0.1)) (fun x -> Dual.leakyRelu 0.1 x[0]) [| away |]
          case "softplus" (fun x -> x[0].Softplus(1.0, 20.0)) (fun x -> Dual.softplus 1.0 20.0 x[0]) [| x34 |]
          case "clamp [-0.5, 0.5]" (fun x -> x[0].Clamp(-0.5, 0.5)) (fun x -> Dual.clamp (Some -0.5) (Some 0.5) x[0]) [| away |]
          case "where [4] [3,4] [4]" (fun x -> Tensor.Where(condition, x[0], x[1])) (fun x -> Dual.where (Dual.ofTensor condition) x[0] x[1]) [| x34; y4 |]
          case "dropout p 0.5" (fun x -> x[0].Dropout(0.5, true, Generator(9UL))) (fun x -> Dual.dropout dropoutMask 0.5 x[0]) [| x34 |]
          // values and probes on the float32 grid, scaled by a power of two, keep the round trip exact (GradCheck's Float32Grid)
          { case "to float32 and back" (fun x -> (x[0].To(DType.Float32) * 2.0).To(DType.Float64))
                 (fun x -> Dual.convert DType.Float64 (Dual.mul (Dual.convert DType.Float32 x[0]) (Dual.scalar 2.0))) [| Tensor.FromArray([| 0.5; 0.25; -2.0 |]) |]
              with Float32Grid = true }
          case "matmul [3,4]ᵀ [3,4]" (fun x -> Tensor.MatMul(x[0], x[1], true, false)) (fun x -> Dual.matmulWith true false x[0] x[1]) [| x34; y34 |]
          case "matmul batched [2,3,4] [4,5]" (fun x -> Tensor.MatMul(x[0], x[1])) (fun x -> Dual.matmul x[0] x[1]) [| x234; normal 6UL [| 4; 5 |] |]
          case "linear [3,4] [5,4] [5]" (fun x -> Tensor.Linear(x[0], x[1], x[2])) (fun x -> Dual.linear x[0] x[1] (Some x[2])) [| x34; normal 7UL [| 5; 4 |]; normal 8UL [| 5 |] |]
          case "sum over axes [0,2]" (fun x -> x[0].Sum([| 0; 2 |], false)) (fun x -> Dual.sumAxes [| 0; 2 |] false x[0]) [| x234 |]
          case "max over axis 1" (fun x -> x[0].Max(1, true)) (fun x -> Dual.maxAxes [| 1 |] true x[0]) [| x234 |]
          case "min over all" (fun x -> x[0].Min()) (fun x -> Dual.min x[0]) [| x234 |]
          case "layer_norm [2,3,4] weight [4] bias [4]" (fun x -> Tensor.LayerNorm(x[0], x[1], x[2]))
              (fun x -> Dual.layerNorm 1e-5 (Some x[1]) (Some x[2]) x[0]) [| x234; uniform 11UL 0.5 1.5 [| 4 |]; y4 |]
          case "softmax axis 1" (fun x -> x[0].Softmax(1)) (fun x -> Dual.softmax 1 x[0]) [| x234 |]
          case "log_softmax axis 2" (fun x -> x[0].LogSoftmax(2)) (fun x -> Dual.logSoftmax 2 x[0]) [| x234 |]
          case "logsumexp axis 0" (fun x -> x[0].LogSumExp(0, false)) (fun x -> Dual.logSumExpAxes [| 0 |] false x[0]) [| x234 |]
          case "reshape [2,3,4] -> [6,4]" (fun x -> x[0].Reshape(6, 4)) (fun x -> Dual.reshape [| 6; 4 |] x[0]) [| x234 |]
          case "permute [2,0,1]" (fun x -> x[0].Permute(2, 0, 1)) (fun x -> Dual.permute [| 2; 0; 1 |] x[0]) [| x234 |]
          case "expand [4] -> [3,4]" (fun x -> x[0].Expand(Shape([| 3; 4 |]))) (fun x -> Dual.expand [| 3; 4 |] x[0]) [| y4 |]
          case "sum_to [3,4] -> [4]" (fun x -> x[0].SumTo(Shape([| 4 |]))) (fun x -> Dual.sumTo [| 4 |] x[0]) [| x34 |]
          case "narrow axis 2 [1,3)" (fun x -> x[0].Narrow(2, 1, 2)) (fun x -> Dual.narrow 2 1 2 x[0]) [| x234 |]
          case "narrow_backward (VJP of narrow)" (fun u -> Diff.vjpRecorded (fun x -> x.Narrow(1, 1, 2)) x234 u[0])
               (fun u -> Dual.narrowBackward [| 2; 3; 4 |] 1 1 u[0]) [| normal 10UL [| 2; 2; 4 |] |]
          case "index_select axis 1 [2,0,2]" (fun x -> x[0].IndexSelect(1, [| 2; 0; 2 |])) (fun x -> Dual.indexSelect 1 [| 2; 0; 2 |] x[0]) [| x234 |]
          case "index_add (VJP of index_select)" (fun u -> Diff.vjpRecorded (fun x -> x.IndexSelect(0, [| 1; 1; 0 |])) x34 u[0])
               (fun u -> Dual.indexAdd [| 3; 4 |] 0 [| 1; 1; 0 |] u[0]) [| normal 11UL [| 3; 4 |] |]
          case "concat axis 1" (fun x -> Tensor.Concat([| x[0]; x[1] |], 1)) (fun x -> Dual.concat 1 [| x[0]; x[1] |]) [| x34; normal 12UL [| 3; 2 |] |] ]
        @ convolutions ()

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

    let private fused () =
        let steps, batch, inputSize, hidden = 3, 2, 2, 2
        let lengths = [| 3; 2 |]
        let reference (x: Dual[]) =
            let weights = { InputWeights = x[3]; HiddenWeights = x[4]; InputBias = Some x[5]; HiddenBias = Some x[6] }
            let rows = Array.zeroCreate steps
            let mutable h, c = x[1], x[2]
            for t in 0 .. steps - 1 do
                let h', c' = Recurrent.lstmCell weights (Dual.select 0 t x[0]) h c
                let mask = Dual.constant [| batch; 1 |] [| for b in 0 .. batch - 1 -> if t < lengths[b] then 1.0 else 0.0 |]
                h <- Dual.where mask h' h
                c <- Dual.where mask c' c
                rows[t] <- Dual.concat 1 [| Dual.mul h' mask; h; c |]
            Dual.stack 0 rows
        [ case "lstm_sequence with lengths [3,2]"
              (fun x -> Tensor.LstmSequence(x[0], x[1], x[2], x[3], x[4], x[5], x[6], false, lengths)) reference
              [| normal 20UL [| steps; batch; inputSize |]; normal 21UL [| batch; hidden |]; normal 22UL [| batch; hidden |]
                 normal 23UL [| 4 * hidden; inputSize |]; normal 24UL [| 4 * hidden; hidden |]; normal 25UL [| 4 * hidden |]; normal 26UL [| 4 * hidden |] |]
          case "gru_sequence with lengths [3,2]"
              (fun x -> Tensor.GruSequence(x[0], x[1], x[2], x[3], x[4], x[5], false, lengths))
              (fun x ->
                  let weights = { InputWeights = x[2]; HiddenWeights = x[3]; InputBias = Some x[4]; HiddenBias = Some x[5] }
                  let rows = Array.zeroCreate steps
                  let mutable h = x[1]
                  for t in 0 .. steps - 1 do
                      let h' = Recurrent.gruCell weights (Dual.select 0 t x[0]) h
                      let mask = Dual.constant [| batch; 1 |] [| for b in 0 .. batch - 1 -> if t < lengths[b] then 1.0 else 0.0 |]
                      h <- Dual.where mask h' h
                      rows[t] <- Dual.concat 1 [| Dual.mul h' mask; h |]
                  Dual.stack 0 rows)
              [| normal 30UL [| steps; batch; inputSize |]; normal 31UL [| batch; hidden |]
                 normal 32UL [| 3 * hidden; inputSize |]; normal 33UL [| 3 * hidden; hidden |]; normal 34UL [| 3 * hidden |]; normal 35UL [| 3 * hidden |] |] ]

    /// <summary>Every case: the operations, the fused kernels, the recurrent modules and the sequence-to-sequence modules.</summary>
    [<CompiledName("Cases")>]
    let cases () : GradCase list = operations () @ fused () @ modules () @ Seq2SeqReference.cases ()
