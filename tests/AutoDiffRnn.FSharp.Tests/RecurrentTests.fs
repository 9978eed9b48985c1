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
