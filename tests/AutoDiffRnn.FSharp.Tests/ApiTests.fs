/// The F# API over the tape: grad, jvp, vjp and hessianv agree with each other, with finite differences and with the
/// forward-mode engine, on Rosenbrock, a small MLP and softmax cross-entropy.
module AutoDiffRnn.FSharp.Tests.ApiTests

open System
open Expecto
open AutoDiffRnn
open AutoDiffRnn.FSharp
open AutoDiffRnn.FSharp.Tests.Support

let private scalarClose (tolerance: float) (message: string) (actual: float) (expected: float) =
    expectClose tolerance message [| actual |] [| expected |]

/// The checks every scalar function goes through, given its C# form, its reference on duals, and a point.
let private agreement (name: string) (f: Tensor -> Tensor) (reference: Dual -> Dual) (x: Tensor) =
    test name {
        let shape = x.Shape.ToArray()
        let gradient = Diff.grad f x
        expectClose 1e-6 "grad vs finite differences" (gradient.ToDoubleArray()) (numericGradient f x)

        let v, w = normal 101UL shape, normal 102UL shape
        let directional = inner gradient v
        scalarClose 1e-12 "gradv = <grad, v>" (Diff.gradv f x v) directional
        scalarClose 1e-12 "jvp (reverse over reverse) = <grad, v>" ((Diff.jvp f x v).ToScalar()) directional
        expectClose 1e-15 "vjp with u = 1 is the gradient" ((Diff.vjp f x (Tensor.Scalar(1.0, DType.Float64))).ToDoubleArray()) (gradient.ToDoubleArray())
        let forward = Forward.jvp reference (Dual.ofTensor x) (v.ToDoubleArray())
        scalarClose 1e-12 "value: tape vs forward engine" forward.Primal[0] ((f x).ToScalar())
        scalarClose 1e-12 "forward engine J·v = <grad, v>" forward.Tangent[0] directional
        let value, gradient' = Diff.valueAndGrad f x
        scalarClose 1e-15 "valueAndGrad value" (value.ToScalar()) ((f x).ToScalar())
        expectClose 1e-15 "valueAndGrad gradient" (gradient'.ToDoubleArray()) (gradient.ToDoubleArray())

        let hv = Diff.hessianv f x v
        let step = 1.0 / 131072.0
        let moved (sign: float) = (Diff.grad f (x + sign * step * v)).ToDoubleArray()
        let numericHv = Array.map2 (fun p m -> (p - m) / (2.0 * step)) (moved 1.0) (moved -1.0)
        expectClose 1e-6 "hessianv vs finite differences of grad" (hv.ToDoubleArray()) numericHv
        scalarClose 1e-10 "<w, H v> = <v, H w>" (inner w hv) (inner v (Diff.hessianv f x w))
        // The gradient's own Jacobian, from the forward engine differentiating the gradient numerically, would be circular;
        // the Hessian assembled from hessianv must instead match the Jacobian of grad taken by the tape.
        let hessian = Diff.hessian f x
        let n = x.ElementCount
        let hvFromHessian =
            Array.init n (fun i -> Seq.sum (seq { for j in 0 .. n - 1 -> hessian.ToDoubleArray()[i * n + j] * v.ToDoubleArray()[j] }))
        expectClose 1e-12 "Hessian · v = hessianv" hvFromHessian (hv.ToDoubleArray())
    }

/// Rosenbrock: Σ 100 (x_{i+1} − x_i²)² + (1 − x_i)², with x_i and x_{i+1} as narrows.
let rosenbrock (x: Tensor) =
    let n = x.ElementCount
    let head, tail = x.Narrow(0, 0, n - 1), x.Narrow(0, 1, n - 1)
    let a, b = tail - head * head, 1.0 - head
    (100.0 * a * a + b * b).Sum()

/// Rosenbrock again, with x_i and x_{i+1} taken by selection matrices (no slicing op), as a second formulation.
let rosenbrockByMatrices (x: Tensor) =
    let n = x.ElementCount
    let selector offset = Tensor.FromArray(Array.init ((n - 1) * n) (fun k -> if k % n = k / n + offset then 1.0 else 0.0), Nullable(Shape(n - 1, n)))
    let column = x.Reshape(n, 1)
    let head, tail = Tensor.MatMul(selector 0, column), Tensor.MatMul(selector 1, column)
    let a, b = tail - head * head, 1.0 - head
    (100.0 * a * a + b * b).Sum()

/// Rosenbrock on duals, written with narrow.
let rosenbrockReference (x: Dual) =
    let n = x.Count
    let head, tail = Dual.narrow 0 0 (n - 1) x, Dual.narrow 0 1 (n - 1) x
    let a, b = tail - head * head, 1.0 - head
    Dual.sum (100.0 * a * a + b * b)

/// The gradient of Rosenbrock in closed form.
let rosenbrockGradient (x: float[]) =
    let n = x.Length
    Array.init n (fun i ->
        (if i < n - 1 then -400.0 * x[i] * (x[i + 1] - x[i] * x[i]) - 2.0 * (1.0 - x[i]) else 0.0)
        + (if i > 0 then 200.0 * (x[i] - x[i - 1] * x[i - 1]) else 0.0))

/// A two-layer perceptron's mean squared error: tanh(x W1ᵀ + b1) W2ᵀ + b2 against targets.
let mlpLoss (inputs: Tensor) (targets: Tensor) (parameters: Tensor[]) =
    let hidden = (Tensor.MatMul(inputs, parameters[0], false, true) + parameters[1]).Tanh()
    let output = Tensor.MatMul(hidden, parameters[2], false, true) + parameters[3]
    let error = output - targets
    (error * error).Sum() * (1.0 / float inputs.Shape[0])

/// The same perceptron on duals.
let mlpLossReference (inputs: Dual) (targets: Dual) (parameters: Dual[]) =
    let hidden = Dual.linear inputs parameters[0] (Some parameters[1]) |> Dual.tanh
    let error = Dual.linear hidden parameters[2] (Some parameters[3]) - targets
    Dual.sum (error * error) * (1.0 / float inputs.Shape[0])

/// Softmax cross-entropy of logits [batch, classes] against one-hot targets, averaged over the batch.
let softmaxCrossEntropy (targets: Tensor) (logits: Tensor) =
    -(targets * logits.LogSoftmax(1)).Sum() / float logits.Shape[0]

/// The same loss composed from exp, sum and log instead of log_softmax.
let softmaxCrossEntropyComposed (targets: Tensor) (logits: Tensor) =
    let logProbabilities = logits - logits.Exp().Sum(1, true).Log()
    -(targets * logProbabilities).Sum() / float logits.Shape[0]

/// The same loss on duals, with the reference log-softmax.
let softmaxCrossEntropyReference (targets: Dual) (logits: Dual) =
    -(Dual.sum (targets * Dual.logSoftmax 1 logits)) / float logits.Shape[0]

let private classTargets =
    Tensor.FromArray(Array.init 12 (fun k -> if k % 4 = [| 2; 0; 3 |][k / 4] then 1.0 else 0.0), Nullable(Shape(3, 4)))

let private mlpInputs = normal 21UL [| 5; 3 |]
let private mlpTargets = normal 22UL [| 5; 2 |]
let private mlpParameters = [| normal 23UL [| 4; 3 |]; normal 24UL [| 4 |]; normal 25UL [| 2; 4 |]; normal 26UL [| 2 |] |]

[<Tests>]
let tests =
    testList "F# API" [
        test "Rosenbrock's gradient matches its closed form" {
            let x = Tensor.FromArray([| -1.2; 1.0; 0.5; 0.8 |])
            expectClose 1e-13 "closed form" ((Diff.grad rosenbrock x).ToDoubleArray()) (rosenbrockGradient (x.ToDoubleArray()))
        }
        agreement "Rosenbrock: grad, jvp, vjp, hessianv agree" rosenbrock rosenbrockReference (Tensor.FromArray([| -1.2; 1.0; 0.5; 0.8; -0.3 |]))

        agreement "MLP (as a function of W1): grad, jvp, vjp, hessianv agree"
            (fun w1 -> mlpLoss mlpInputs mlpTargets [| w1; mlpParameters[1]; mlpParameters[2]; mlpParameters[3] |])
            (fun w1 -> mlpLossReference (Dual.ofTensor mlpInputs) (Dual.ofTensor mlpTargets)
                                        [| w1; Dual.ofTensor mlpParameters[1]; Dual.ofTensor mlpParameters[2]; Dual.ofTensor mlpParameters[3] |])
            mlpParameters[0]

        agreement "softmax cross-entropy: grad, jvp, vjp, hessianv agree"
            (softmaxCrossEntropy classTargets) (softmaxCrossEntropyReference (Dual.ofTensor classTargets)) (normal 41UL [| 3; 4 |])

        test "softmax cross-entropy's gradient is (softmax − targets) / batch" {
            let logits = normal 42UL [| 3; 4 |]
            let expected =
                let values = logits.ToDoubleArray()
                Array.init 12 (fun k ->
                    let row = k / 4
                    let exps = Array.init 4 (fun j -> exp values[row * 4 + j])
                    (exps[k % 4] / Array.sum exps - classTargets.ToDoubleArray()[k]) / 3.0)
            expectClose 1e-14 "closed form" ((Diff.grad (softmaxCrossEntropy classTargets) logits).ToDoubleArray()) expected
        }

        test "MLP: gradients of all parameters agree with jvp, vjp, finite differences and the forward engine" {
            let loss = mlpLoss mlpInputs mlpTargets
            let gradients = Diff.gradMany loss mlpParameters
            for i in 0 .. mlpParameters.Length - 1 do
                let only (p: Tensor) = loss (Array.updateAt i p mlpParameters)
                expectClose 1e-6 $"parameter {i}: grad vs finite differences" (gradients[i].ToDoubleArray()) (numericGradient only mlpParameters[i])
            let directions = mlpParameters |> Array.mapi (fun i p -> normal (200UL + uint64 i) (p.Shape.ToArray()))
            let expected = Array.map2 inner gradients directions |> Array.sum
            scalarClose 1e-12 "jvpMany = Σ <grad_i, v_i>" ((Diff.jvpManyByReverseOverReverse loss mlpParameters directions).ToScalar()) expected
            let vjps = Diff.vjpMany loss mlpParameters (Tensor.Scalar(1.0, DType.Float64))
            for i in 0 .. gradients.Length - 1 do
                expectClose 1e-15 $"vjp {i} = grad {i}" (vjps[i].ToDoubleArray()) (gradients[i].ToDoubleArray())
            let forward =
                Forward.jvpMany (mlpLossReference (Dual.ofTensor mlpInputs) (Dual.ofTensor mlpTargets))
                                (mlpParameters |> Array.map Dual.ofTensor) (directions |> Array.map (fun d -> d.ToDoubleArray()))
            scalarClose 1e-12 "forward engine = Σ <grad_i, v_i>" forward.Tangent[0] expected
        }

        test "two formulations agree through GradCheck's tape oracle (Rosenbrock, cross-entropy)" {
            let x = Tensor.FromArray([| -1.2; 1.0; 0.5; 0.8; -0.3 |])
            let case = GradCase.create "Rosenbrock" (fun x -> rosenbrock x[0]) (fun x -> rosenbrockReference x[0]) [| x |]
            expectPasses (GradCheck.check (case |> GradCase.withOracle (Oracle.tape (fun x -> rosenbrockByMatrices x[0]))))
            let logits = normal 43UL [| 3; 4 |]
            let crossEntropy =
                GradCase.create "cross-entropy" (fun x -> softmaxCrossEntropy classTargets x[0])
                                (fun x -> softmaxCrossEntropyReference (Dual.ofTensor classTargets) x[0]) [| logits |]
            expectPasses (GradCheck.check (crossEntropy |> GradCase.withOracle (Oracle.tape (fun x -> softmaxCrossEntropyComposed classTargets x[0]))))
        }

        test "Diff differentiates inside GradMode.NoGrad()" {
            let x = Tensor.FromArray([| 0.3; -0.7 |])
            let inside = using (AutoDiffRnn.Autodiff.GradMode.NoGrad()) (fun _ -> Diff.grad rosenbrock x)
            expectClose 1e-15 "same gradient" (inside.ToDoubleArray()) ((Diff.grad rosenbrock x).ToDoubleArray())
            Expect.isGreaterThan (inside.ToDoubleArray() |> Array.sumBy abs) 1.0 "not zeros"
        }

        test "jacobian and jvp/vjp agree on a vector function" {
            let f (x: Tensor) = (Tensor.MatMul(x, x, false, true)).Tanh()
            let x = normal 31UL [| 3; 2 |]
            let jacobian = Diff.jacobian f x
            Expect.equal (jacobian.Shape.ToArray()) [| 3; 3; 3; 2 |] "shape: output @ input"
            let forward = Forward.jacobian (fun x -> Dual.matmulWith false true x x |> Dual.tanh) (Dual.ofTensor x)
            expectClose 1e-12 "tape Jacobian = forward Jacobian" (jacobian.ToDoubleArray()) (Seq.cast<float> forward |> Array.ofSeq)
            let v, u = normal 32UL [| 3; 2 |], normal 33UL [| 3; 3 |]
            scalarClose 1e-12 "<u, J v> = <Jᵀu, v>" (inner u (Diff.jvp f x v)) (inner (Diff.vjp f x u) v)
        }

        test "pipeline functions and operators" {
            let x = Tensor.ofArray [| 2; 2 |] [| 1.0; 2.0; 3.0; 4.0 |]
            let y = x *@ x |> Tensor.tanh |> Tensor.sumAxis 1 false
            Expect.equal (Tensor.shape y) [| 2 |] "shape after the pipeline"
            let expected = [| tanh 7.0 + tanh 10.0; tanh 15.0 + tanh 22.0 |]
            expectClose 1e-15 "values" (Tensor.toArray y) expected
        }
    ]
