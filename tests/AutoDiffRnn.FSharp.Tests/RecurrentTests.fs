/// The reference recurrent networks: hand-computed steps, the structure of stacking and bidirectionality, and
/// GradCheck of C# cells composed from primitive ops against them.
module AutoDiffRnn.FSharp.Tests.RecurrentTests

open System
open Expecto
open AutoDiffRnn
open AutoDiffRnn.FSharp
open AutoDiffRnn.FSharp.Tests.Support

let private sigmoid (v: float) = 1.0 / (1.0 + exp -v)

let private scalar (v: float) = Dual.constant [| 1; 1 |] [| v |]

let private weightsOf (kind: CellKind) (seed: uint64) (inputSize: int) (hiddenSize: int) =
    let rows = kind.GateCount * hiddenSize
    let draw offset (shape: int[]) = Dual.ofTensor (normal (seed + offset) shape)
    { InputWeights = draw 0UL [| rows; inputSize |]
      HiddenWeights = draw 1UL [| rows; hiddenSize |]
      InputBias = Some(draw 2UL [| rows |])
      HiddenBias = Some(draw 3UL [| rows |]) }

let private reverseTime (x: Dual) = Dual.indexSelect 0 [| x.Shape[0] - 1 .. -1 .. 0 |] x

/// One step of a cell composed from the tape's primitive ops (linear, chunk, sigmoid, tanh, relu); w = W_ih, W_hh, b_ih, b_hh.
let private csharpStep (kind: CellKind) (w: Tensor[]) (x: Tensor) (h: Tensor) (c: Tensor option) =
    let fromInput, fromHidden = Tensor.Linear(x, w[0], w[2]), Tensor.Linear(h, w[1], w[3])
    match kind with
    | RnnTanh -> (fromInput + fromHidden).Tanh(), None
    | RnnRelu -> (fromInput + fromHidden).Relu(), None
    | Lstm ->
        let gates = (fromInput + fromHidden).Chunk(4, 1)
        let c' = gates[1].Sigmoid() * c.Value + gates[0].Sigmoid() * gates[2].Tanh()
        gates[3].Sigmoid() * c'.Tanh(), Some c'
    | Gru ->
        let i, g = fromInput.Chunk(3, 1), fromHidden.Chunk(3, 1)
        let reset, update = (i[0] + g[0]).Sigmoid(), (i[1] + g[1]).Sigmoid()
        let candidate = (i[2] + reset * g[2]).Tanh()
        (1.0 - update) * candidate + update * h, None

/// A stacked bidirectional network composed from the tape's primitive ops, from zero initial states; returns the
/// outputs, final h and (LSTM) final c flattened and joined into one vector. cells[l][d] holds a cell's four weights.
let private csharpNetwork (kind: CellKind) (cells: Tensor[][][]) (input: Tensor) =
    let steps, batch = input.Shape[0], input.Shape[1]
    let hidden = cells[0].[0].[1].Shape[1]
    let zeros () = Tensor.Zeros(Shape(batch, hidden), DType.Float64)
    let mutable layerInput = input
    let finals = ResizeArray()
    for layer in cells do
        let directions =
            layer |> Array.mapi (fun direction w ->
                let outputs = Array.zeroCreate steps
                let mutable h, c = zeros (), (if kind = Lstm then Some(zeros ()) else None)
                for t in (if direction = 1 then [ steps - 1 .. -1 .. 0 ] else [ 0 .. steps - 1 ]) do
                    let h', c' = csharpStep kind w (layerInput.Select(0, t)) h c
                    h <- h'
                    c <- c'
                    outputs[t] <- h
                Tensor.Stack(outputs, 0), h, c)
        layerInput <- Tensor.Concat(directions |> Array.map (fun (outputs, _, _) -> outputs), 2)
        for _, h, c in directions do finals.Add(h, c)
    let pieces =
        [| yield layerInput.Reshape(-1)
           for h, _ in finals do yield h.Reshape(-1)
           for _, c in finals do if c.IsSome then yield c.Value.Reshape(-1) |]
    Tensor.Concat(pieces, 0)

/// The same, from the reference: outputs, final h and final c flattened and joined.
let private referenceNetwork (kind: CellKind) (cells: CellWeights[][]) (input: Dual) =
    let outputs, final = Recurrent.run kind cells input None
    [| yield Dual.reshape [| -1 |] outputs
       yield Dual.reshape [| -1 |] final.Hidden
       if final.Cell.IsSome then yield Dual.reshape [| -1 |] final.Cell.Value |]
    |> Dual.concat 0

let private join (pieces: Tensor seq) = Tensor.Concat(pieces |> Seq.map (fun p -> p.Reshape(-1)) |> Array.ofSeq, 0)

let private joinDuals (pieces: Dual seq) = pieces |> Seq.map (Dual.reshape [| -1 |]) |> Array.ofSeq |> Dual.concat 0

/// One configuration of a C# recurrent layer to check against the reference.
type private LayerCase =
    { Kind: CellKind
      Layers: int
      Bidirectional: bool
      Bias: bool
      BatchFirst: bool
      InitialState: bool
      Steps: int
      Batch: int
      Lengths: int[] option
      Fused: bool }

    override this.ToString() =
        let parts =
            [ $"{this.Kind}, {this.Layers} layer" + (if this.Layers > 1 then "s" else "")
              (if this.Bidirectional then "bidirectional" else "one direction")
              (if this.Bias then "bias" else "no bias")
              (if this.InitialState then "initial state" else "zero state")
              $"T={this.Steps} B={this.Batch}"
              if this.BatchFirst then "batch first"
              match this.Lengths with Some lengths -> "lengths [" + String.Join(",", lengths) + "]" | None -> ()
              if this.Fused then "fused" ]
        String.Join(", ", parts)

let private baseCase kind layers bidirectional =
    { Kind = kind; Layers = layers; Bidirectional = bidirectional; Bias = true; BatchFirst = false; InitialState = true
      Steps = 3; Batch = 2; Lengths = None; Fused = false }

/// The C# layer (AutoDiffRnn.Nn) against the reference with the same weights, read from its PyTorch-named parameters:
/// values, gradients with respect to the input and initial states (GradCheck), and with respect to every weight
/// (the dot-product identity, J·v from the reference's forward mode along random weight directions). With lengths,
/// the reference runs every sequence on its own over its own steps (Recurrent.runPacked).
let private layerAgainstReference (case: LayerCase) =
    test (string case) {
        let kind = case.Kind
        let csharpKind =
            match kind with
            | RnnTanh -> AutoDiffRnn.Nn.RecurrentKind.RnnTanh
            | RnnRelu -> AutoDiffRnn.Nn.RecurrentKind.RnnRelu
            | Lstm -> AutoDiffRnn.Nn.RecurrentKind.Lstm
            | Gru -> AutoDiffRnn.Nn.RecurrentKind.Gru
        let inputSize, hidden, steps, batch, layers, bias = 3, 4, case.Steps, case.Batch, case.Layers, case.Bias
        let directions = if case.Bidirectional then 2 else 1
        let layer =
            AutoDiffRnn.Nn.RecurrentLayer(csharpKind, inputSize, hidden, layers, bias, case.BatchFirst, 0.0, case.Bidirectional, DType.Float64, Generator(7UL))
        layer.UseFusedKernels <- case.Fused
        let parameters = layer.NamedParameters() |> Seq.map (fun struct (name, parameter) -> name, parameter) |> Array.ofSeq
        let names = parameters |> Array.map fst
        let cellsOf (weight: string -> Dual) =
            [| for l in 0 .. layers - 1 ->
                 [| for d in 0 .. directions - 1 ->
                      let suffix = $"_l{l}" + (if d = 1 then "_reverse" else "")
                      { InputWeights = weight ("weight_ih" + suffix); HiddenWeights = weight ("weight_hh" + suffix)
                        InputBias = (if bias then Some(weight ("bias_ih" + suffix)) else None)
                        HiddenBias = (if bias then Some(weight ("bias_hh" + suffix)) else None) } |] |]
        let constantWeights = cellsOf (fun name -> parameters |> Array.find (fun (n, _) -> n = name) |> snd |> Dual.ofTensor)
        let input = normal 130UL (if case.BatchFirst then [| batch; steps; inputSize |] else [| steps; batch; inputSize |])
        let h0 = normal 131UL [| layers * directions; batch; hidden |]
        let c0 = normal 132UL [| layers * directions; batch; hidden |]
        let isLstm = kind = Lstm
        let lengths = match case.Lengths with Some lengths -> lengths | None -> Unchecked.defaultof<int[]>
        let csharp (x: Tensor[]) =
            let initialHidden, initialCell =
                let none = Unchecked.defaultof<Tensor>
                if case.InitialState then x[1], (if isLstm then x[2] else none) else none, none
            let result = layer.Forward(x[0], initialHidden, initialCell, lengths)
            join [ yield result.Output; yield result.Hidden
                   match result.Cell with null -> () | cell -> yield cell ]
        let reference (cells: CellWeights[][]) (x: Dual[]) =
            let initial =
                if case.InitialState then Some { Hidden = x[1]; Cell = (if isLstm then Some x[2] else None) } else None
            let timeMajor = if case.BatchFirst then Dual.transpose 0 1 x[0] else x[0]
            let outputs, final =
                match case.Lengths with
                | Some lengths -> Recurrent.runPacked kind cells timeMajor lengths initial
                | None -> Recurrent.run kind cells timeMajor initial
            let outputs = if case.BatchFirst then Dual.transpose 0 1 outputs else outputs
            joinDuals [ yield outputs; yield final.Hidden; if isLstm then yield final.Cell.Value ]
        let inputs =
            match case.InitialState, isLstm with
            | true, true -> [| input; h0; c0 |]
            | true, false -> [| input; h0 |]
            | false, _ -> [| input |]

        // Values, and gradients with respect to the input and the initial states.
        expectPasses (GradCheck.check (GradCase.create (string case) csharp (reference constantWeights) inputs))

        // Gradients with respect to the weights.
        for _, parameter in parameters do parameter.ZeroGrad()
        let y = csharp inputs
        let u = normal 133UL (y.Shape.ToArray())
        y.Backward(u)
        let directionsOfWeights = parameters |> Array.mapi (fun i (_, p) -> normal (140UL + uint64 i) (p.Shape.ToArray()))
        let weightDuals = parameters |> Array.map (snd >> Dual.ofTensor)
        let forward =
            Forward.jvpMany (fun w -> reference (cellsOf (fun name -> w[Array.findIndex ((=) name) names])) (inputs |> Array.map Dual.ofTensor))
                            weightDuals (directionsOfWeights |> Array.map (fun v -> v.ToDoubleArray()))
        let forwardSide = Array.fold2 (fun sum a b -> sum + a * b) 0.0 (u.ToDoubleArray()) forward.Tangent
        let reverseSide = Array.map2 (fun (_, p: Tensor) v -> inner (match p.Grad with null -> Tensor.ZerosLike p | g -> g) v) parameters directionsOfWeights |> Array.sum
        let scale = Array.fold2 (fun sum a b -> sum + abs (a * b)) 0.0 (u.ToDoubleArray()) forward.Tangent
        Expect.isLessThan (abs (forwardSide - reverseSide) / scale) 1e-12 "<u, J v> (reference, forward mode) = <J^T u, v> (layer, tape) over all weights"
    }

/// Every cell kind at 1-3 layers in both directions, and for each kind every other axis varied on its own (no bias,
/// zero initial state, one step, batch of one, batch first, variable lengths time- and batch-major, the fused kernels).
let private layerCases =
    [ for kind in [ RnnTanh; RnnRelu; Lstm; Gru ] do
          for layers in 1 .. 3 do
              for bidirectional in [ false; true ] do
                  yield baseCase kind layers bidirectional
          let two = baseCase kind 2 true
          yield { two with Bias = false }
          yield { two with InitialState = false }
          yield { two with Steps = 1 }
          yield { two with Batch = 1 }
          yield { two with BatchFirst = true }
          yield { two with Steps = 4; Batch = 3; Lengths = Some [| 4; 1; 3 |] }
          yield { two with Steps = 4; Batch = 3; Lengths = Some [| 2; 4; 1 |]; BatchFirst = true; InitialState = false }
          yield { two with Fused = true }
          yield { two with Steps = 4; Batch = 3; Lengths = Some [| 3; 4; 1 |]; Fused = true } ]

[<Tests>]
let tests =
    testList "reference recurrent networks" [
        test "one step of each cell, by hand (input 1, hidden 1)" {
            let x, h, c = 0.7, -0.3, 0.4
            // LSTM: weights [4,1] in gate order i, f, g, o.
            let wi, wh, bi, bh = [| 0.1; 0.2; 0.3; 0.4 |], [| -0.5; 0.6; -0.7; 0.8 |], [| 0.01; 0.02; 0.03; 0.04 |], [| 0.05; 0.06; 0.07; 0.08 |]
            let gate k = wi[k] * x + bi[k] + wh[k] * h + bh[k]
            let c' = sigmoid (gate 1) * c + sigmoid (gate 0) * tanh (gate 2)
            let h' = sigmoid (gate 3) * tanh c'
            let lstm = { InputWeights = Dual.constant [| 4; 1 |] wi; HiddenWeights = Dual.constant [| 4; 1 |] wh
                         InputBias = Some(Dual.constant [| 4 |] bi); HiddenBias = Some(Dual.constant [| 4 |] bh) }
            let lstmH, lstmC = Recurrent.lstmCell lstm (scalar x) (scalar h) (scalar c)
            expectClose 1e-15 "LSTM h'" lstmH.Primal [| h' |]
            expectClose 1e-15 "LSTM c'" lstmC.Primal [| c' |]
            // GRU: weights [3,1] in gate order r, z, n; the reset gate multiplies the hidden projection including its bias.
            let gru = { lstm with InputWeights = Dual.constant [| 3; 1 |] wi[..2]; HiddenWeights = Dual.constant [| 3; 1 |] wh[..2]
                                  InputBias = Some(Dual.constant [| 3 |] bi[..2]); HiddenBias = Some(Dual.constant [| 3 |] bh[..2]) }
            let r, z = sigmoid (gate 0), sigmoid (gate 1)
            let n = tanh (wi[2] * x + bi[2] + r * (wh[2] * h + bh[2]))
            expectClose 1e-15 "GRU h'" (Recurrent.gruCell gru (scalar x) (scalar h)).Primal [| (1.0 - z) * n + z * h |]
            let rnn = { gru with InputWeights = Dual.constant [| 1; 1 |] [| 0.9 |]; HiddenWeights = Dual.constant [| 1; 1 |] [| -1.1 |]
                                 InputBias = None; HiddenBias = None }
            expectClose 1e-15 "RNN tanh h'" (Recurrent.rnnCell false rnn (scalar x) (scalar h)).Primal [| tanh (0.9 * x - 1.1 * h) |]
            expectClose 1e-15 "RNN relu h'" (Recurrent.rnnCell true rnn (scalar x) (scalar h)).Primal [| max 0.0 (0.9 * x - 1.1 * h) |]
        }

        testList "bidirectional: the backward direction is the forward one on the reversed sequence" [
            for kind in [ RnnTanh; RnnRelu; Lstm; Gru ] ->
                test (string kind) {
                    let input = Dual.ofTensor (normal 50UL [| 5; 2; 3 |])
                    let forward, backward = weightsOf kind 60UL 3 4, weightsOf kind 70UL 3 4
                    let outputs, final = Recurrent.run kind [| [| forward; backward |] |] input None
                    Expect.equal outputs.Shape [| 5; 2; 8 |] "outputs [time, batch, 2·hidden]"
                    Expect.equal final.Hidden.Shape [| 2; 2; 4 |] "final [directions, batch, hidden]"
                    let zero = { Hidden = Dual.constant [| 2; 4 |] (Array.zeroCreate 8); Cell = if kind = Lstm then Some(Dual.constant [| 2; 4 |] (Array.zeroCreate 8)) else None }
                    let reversedOutputs, reversedFinal = Recurrent.unroll kind backward false (reverseTime input) zero
                    expectClose 1e-15 "backward outputs" (Dual.narrow 2 4 4 outputs).Primal (reverseTime reversedOutputs).Primal
                    expectClose 1e-15 "backward final state" (Dual.select 0 1 final.Hidden).Primal reversedFinal.Hidden.Primal
                }
        ]

        test "stacking feeds each layer's outputs to the next" {
            let input = Dual.ofTensor (normal 80UL [| 4; 3; 2 |])
            let first, second = weightsOf Lstm 81UL 2 3, weightsOf Lstm 82UL 3 3
            let outputs, final = Recurrent.run Lstm [| [| first |]; [| second |] |] input None
            let zero = { Hidden = Dual.constant [| 3; 3 |] (Array.zeroCreate 9); Cell = Some(Dual.constant [| 3; 3 |] (Array.zeroCreate 9)) }
            let middle, _ = Recurrent.unroll Lstm first false input zero
            let expected, last = Recurrent.unroll Lstm second false middle zero
            expectClose 1e-15 "outputs of layer 2" outputs.Primal expected.Primal
            expectClose 1e-15 "final h of layer 2" (Dual.select 0 1 final.Hidden).Primal last.Hidden.Primal
            expectClose 1e-15 "final c of layer 2" (Dual.select 0 1 final.Cell.Value).Primal last.Cell.Value.Primal
            let batchFirst, _ = Recurrent.runBatchFirst Lstm [| [| first |]; [| second |] |] (Dual.transpose 0 1 input) None
            expectClose 1e-15 "batch first" batchFirst.Primal (Dual.transpose 0 1 outputs).Primal
        }

        testList "2-layer bidirectional networks composed from C# primitives pass GradCheck against the reference" [
            for kind in [ RnnTanh; RnnRelu; Lstm; Gru ] ->
                test (string kind) {
                    let inputSize, hidden, steps, batch = 2, 3, 3, 2
                    let rows = kind.GateCount * hidden
                    let shapes layer = [| [| rows; (if layer = 0 then inputSize else 2 * hidden) |]; [| rows; hidden |]; [| rows |]; [| rows |] |]
                    let weights =
                        [| for layer in 0 .. 1 do
                             for direction in 0 .. 1 do
                                 for i, shape in Array.indexed (shapes layer) ->
                                     Tensor.Normal(Shape(shape), 0.0, 0.6, DType.Float64, Generator(uint64 (100 + 10 * layer + 4 * direction + i))) |]
                    let input = normal 120UL [| steps; batch; inputSize |]
                    let group (xs: 'T[]) = [| for layer in 0 .. 1 -> [| for direction in 0 .. 1 -> xs[(2 * layer + direction) * 4 .. (2 * layer + direction) * 4 + 3] |] |]
                    let csharp (x: Tensor[]) = csharpNetwork kind (group x[1..]) x[0]
                    let reference (x: Dual[]) =
                        let cells =
                            group x[1..] |> Array.map (Array.map (fun w -> { InputWeights = w[0]; HiddenWeights = w[1]; InputBias = Some w[2]; HiddenBias = Some w[3] }))
                        referenceNetwork kind cells x[0]
                    let report = GradCheck.check (GradCase.create $"{kind} network" csharp reference (Array.append [| input |] weights))
                    expectPasses report
                    Expect.equal report.Comparisons.Length (1 + 3 * 17) "value, then finite differences, forward check and dot product for all 17 inputs"
                }
        ]

        testList "the C# recurrent layers match the reference with the same weights" [
            for case in layerCases -> layerAgainstReference case
        ]

        test "the packed reference equals the padded one when every sequence has the full length" {
            let cells = [| [| weightsOf Gru 60UL 3 4; weightsOf Gru 64UL 3 4 |] |]
            let input = Dual.ofTensor (normal 61UL [| 3; 2; 3 |])
            let padded, paddedFinal = Recurrent.run Gru cells input None
            let packed, packedFinal = Recurrent.runPacked Gru cells input [| 3; 3 |] None
            expectClose 1e-15 "outputs" packed.Primal padded.Primal
            expectClose 1e-15 "final states" packedFinal.Hidden.Primal paddedFinal.Hidden.Primal
        }

        test "a C# Elman RNN unrolled from primitive ops passes GradCheck against the reference" {
            let input, h0 = normal 90UL [| 3; 2; 3 |], normal 91UL [| 2; 4 |]
            let wih, whh, bih, bhh = normal 92UL [| 4; 3 |], normal 93UL [| 4; 4 |], normal 94UL [| 4 |], normal 95UL [| 4 |]
            let steps = input.Shape[0]
            let csharp (x: Tensor[]) =
                // x: input, h0, W_ih, W_hh, b_ih, b_hh; the time steps are taken with matmuls by unit rows (no slicing op needed).
                let flat = x[0].Reshape(steps, -1)
                let mutable h = x[1]
                let outputs = ResizeArray()
                for t in 0 .. steps - 1 do
                    let pick = Tensor.FromArray(Array.init steps (fun k -> if k = t then 1.0 else 0.0), Nullable(Shape(1, steps)))
                    let xt = Tensor.MatMul(pick, flat).Reshape(input.Shape[1], input.Shape[2])
                    h <- (Tensor.Linear(xt, x[2], x[4]) + Tensor.Linear(h, x[3], x[5])).Tanh()
                    outputs.Add(h.Reshape(1, -1))
                outputs |> Seq.reduce (fun a b -> a + b) // a sum keeps this free of concatenation
            let reference (x: Dual[]) =
                let weights = { InputWeights = x[2]; HiddenWeights = x[3]; InputBias = Some x[4]; HiddenBias = Some x[5] }
                let outputs, _ = Recurrent.unroll RnnTanh weights false x[0] { Hidden = x[1]; Cell = None }
                outputs |> Dual.reshape [| steps; 1; -1 |] |> Dual.sumAxis 0 false
            expectPasses (GradCheck.check (GradCase.create "Elman RNN over 3 steps" csharp reference [| input; h0; wih; whh; bih; bhh |]))
        }
    ]
