namespace AutoDiffRnn.FSharp

open System
open AutoDiffRnn

/// <summary>
/// The op table: one row per operation of <c>AutoDiffRnn.Operations.Names</c> (and per public form that records other ops, e.g.
/// transpose records permute), giving how its inputs are drawn (domain, shapes, other arguments), its C# call and its reference
/// on duals, how the empty-tensor sweep calls it, and its reference and error inputs (known results at its edges, calls that must
/// throw naming it). The catalogue of <c>verify</c>, the F# GradCheck properties, the xUnit
/// gradient tests, the empty-tensor sweep and (with the libtorch rows of AutoDiffRnn.FSharp.Torch) the libtorch tests are all drawn
/// from these rows. Adding an op: its C# file, its row here, its row in <c>TorchOps.rows</c>.
/// </summary>
[<RequireQualifiedAccess>]
module OpTable =

    let private normal = Uniform(-2.0, 2.0)
    let private show = Draw.show

    // The empty-tensor sweep's leaf x has no elements, so it reshapes to any shape with a zero in it.
    /// x as a matrix: itself at rank 2, [1, n] at rank 1.
    let private matrix (x: Tensor) = if x.Rank = 2 then x else x.Reshape([| 1; x.ElementCount |])
    /// x with a leading axis of size 1, which narrow, select and index_select can pick from.
    let private withLeadingOne (x: Tensor) = x.Reshape(Array.append [| 1 |] (x.Shape.ToArray()))
    /// x expanded along a new leading axis of 2.
    let private twice (x: Tensor) = (withLeadingOne x).Expand(Shape(Array.append [| 2 |] (x.Shape.ToArray())))

    // ---------------------------------------------------------------------------------------------------------------
    // Element-wise

    let private pow =
        OpSpec.create "pow"
            (fun random ->
                let exponent = Draw.pick random [| 2.0; 3.0; 1.0; 0.0; -1.0; 0.5; -1.5; 1.7 |]
                let isInteger = exponent = Math.Round exponent
                // non-integer powers need positive bases; negative powers need bases away from zero
                let domain = if isInteger && exponent >= 0.0 then normal elif isInteger then AwayFromZero(0.4, 2.0) else Uniform(0.3, 2.0)
                let shape = Draw.shape random 0 3
                { Label = $"pow {show shape} ^ {exponent}"; Arguments = exponent; Inputs = [| Draw.tensor random domain shape |] })
            (fun exponent x -> x[0].Pow(exponent)) (fun exponent x -> Dual.pow exponent x[0])
        |> OpSpec.onEmpty [ "^ 3", (fun x -> x.Pow(3.0)); "^ -1.5", (fun x -> x.Pow(-1.5)) ]
        |> OpSpec.withReferences
            [ let x = [| 1.0; 2.0; 3.0; 4.0 |]
              Reference.values "^ 2" x (fun x -> x.Pow(2.0)) (Within 1e-12) [| 1.0; 4.0; 9.0; 16.0 |]
              Reference.values "^ 0.5" x (fun x -> x.Pow(0.5)) (Within 1e-12) [| 1.0; sqrt 2.0; sqrt 3.0; 2.0 |]
              Reference.values "^ -1" x (fun x -> x.Pow(-1.0)) (Within 1e-12) [| 1.0; 0.5; 1.0 / 3.0; 0.25 |]
              // as Math.Pow: negative bases with integer exponents, 1 for exponent 0 (even at 0), NaN for a negative base's square root
              Reference.values "negative base ^ 3" [| -2.0; 2.0 |] (fun x -> x.Pow(3.0)) (Within 1e-12) [| -8.0; 8.0 |]
              Reference.values "^ 0" [| 0.0; -5.0; 7.0 |] (fun x -> x.Pow(0.0)) (Within 1e-12) [| 1.0; 1.0; 1.0 |]
              Reference.values "negative base ^ 0.5" [| -4.0 |] (fun x -> x.Pow(0.5)) Exact [| nan |]
              Reference.float32MatchesFloat64 "float32" (fun () -> Reference.uniform 1UL 0.1 3.0 [| 3; 4 |]) (fun x -> x.Pow(1.7)) 1e-6
              Reference.gradient "gradient of ^ 0 is zero even at zero" [| 0.0; 2.0 |] (fun x -> x.Pow(0.0)) (Within 1e-12) [| 0.0; 0.0 |]
              Reference.gradient "gradient of ^ 3 is 3 x²" [| 2.0; 3.0 |] (fun x -> x.Pow(3.0)) (Within 1e-12) [| 12.0; 27.0 |] ]

    let private leakyRelu =
        OpSpec.ofOne "leaky_relu" (AwayFromZero(0.05, 2.0))
            (fun random ->
                // small slopes as in practice, and a slope above 1 and a negative one (the op makes no assumption)
                let slope = Draw.pick random [| 0.01 + 0.29 * random.NextDouble(); 0.01 + 0.29 * random.NextDouble(); 1.5; -0.5 |]
                let shape = Draw.shape random 0 3
                $"leaky_relu {show shape} slope {slope}", slope, shape)
            (fun slope x -> x.LeakyRelu(slope)) Dual.leakyRelu
        |> OpSpec.onEmpty [ "default slope", (fun x -> x.LeakyRelu()) ]
        |> OpSpec.withReferences
            [ let x = [| -2.0; 0.0; 3.0 |]
              Reference.values "negative values times the default slope 0.01" x (fun x -> x.LeakyRelu()) (Within 1e-12) [| -0.02; 0.0; 3.0 |]
              for slope, expected in [ 0.2, -0.4; 2.0, -4.0; -0.5, 1.0; 0.0, 0.0 ] do
                  Reference.values $"negative values times the slope {slope}" x (fun x -> x.LeakyRelu(slope)) (Within 1e-12) [| expected; 0.0; 3.0 |]
              Reference.float32MatchesFloat64 "float32" (fun () -> Reference.normal 1UL [| 4; 5 |]) (fun x -> x.LeakyRelu(0.1)) 1e-6
              Reference.gradient "gradient 1 above zero and the slope at or below" [| -1.0; 0.0; 2.0 |] (fun x -> x.LeakyRelu(0.3)) (Within 1e-12)
                  [| 0.3; 0.3; 1.0 |] ]
        |> OpSpec.withErrors
            [ ErrorInput.throws<ArgumentOutOfRangeException> "slope NaN" (fun () -> Tensor.Ones(Shape(2)).LeakyRelu(nan)) [ "leaky_relu" ] ]

    let private add =
        OpRows.binary "add" (fun a b -> a + b) (fun a s -> a + s) (fun s b -> s + b) Dual.add normal normal
        |> OpSpec.withReferences
            [ Reference.valuesOf "a row broadcast over a matrix"
                  (fun () -> [| Tensor.FromArray([| 1.0 .. 6.0 |], Nullable(Shape(2, 3))); Tensor.FromArray([| 10.0; 20.0; 30.0 |], Nullable<Shape>()) |])
                  (fun x -> x[0] + x[1]) (Within 1e-12) [| 11.0; 22.0; 33.0; 14.0; 25.0; 36.0 |]
              |> Reference.withShape [| 2; 3 |] ]
        |> OpSpec.withErrors
            [ ErrorInput.throws<ArgumentException> "shapes that do not broadcast" (fun () -> Tensor.Zeros(Shape(3, 4)) + Tensor.Zeros(Shape(5)))
                  [ "add"; "[3,4]"; "[5]" ] ]

    /// A [2,2] matrix 1..4 and a column [1; 10] broadcast across its columns.
    let private matrixAndColumn () =
        [| Tensor.FromArray([| 1.0; 2.0; 3.0; 4.0 |], Nullable(Shape(2, 2))); Tensor.FromArray([| 1.0; 10.0 |], Nullable(Shape(2, 1))) |]

    let private sub =
        OpRows.binary "sub" (fun a b -> a - b) (fun a s -> a - s) (fun s b -> s - b) Dual.sub normal normal
        |> OpSpec.withReferences
            [ Reference.valuesOf "a column broadcast across the columns" matrixAndColumn (fun x -> x[0] - x[1]) (Within 1e-12) [| 0.0; 1.0; -7.0; -6.0 |] ]

    let private mul =
        OpRows.binary "mul" (fun a b -> a * b) (fun a s -> a * s) (fun s b -> s * b) Dual.mul normal normal
        |> OpSpec.withReferences
            [ Reference.valuesOf "a column broadcast across the columns" matrixAndColumn (fun x -> x[0] * x[1]) (Within 1e-12) [| 1.0; 2.0; 30.0; 40.0 |]
              Reference.valuesOf "times a scalar, plus a scalar" matrixAndColumn (fun x -> x[0] * 2.0 + 1.0) (Within 1e-12) [| 3.0; 5.0; 7.0; 9.0 |] ]
        |> OpSpec.withErrors
            [ ErrorInput.throws<ArgumentException> "float32 with float64" (fun () -> Tensor.Zeros(Shape(2)) * Tensor.Zeros(Shape(2), DType.Float64))
                  [ "mul"; "float32"; "float64" ] ]

    let private neg =
        OpSpec.unary "neg" normal (fun x -> -x) Dual.neg
        |> OpSpec.withReferences
            [ Reference.valuesOf "known values" (fun () -> [| (matrixAndColumn ())[0] |]) (fun x -> -x[0]) (Within 1e-12) [| -1.0; -2.0; -3.0; -4.0 |] ]

    /// tanh to the last digits: float64 within 1e-15 relative, float32 within 3e-7, each at 37 points x·(1 + i·10⁻³) (the
    /// vectorized body and the scalar tail), from tiny arguments through the kernel's range switches to saturation.
    let private hyperbolicTangent =
        OpSpec.unary "tanh" (Uniform(-3.0, 3.0)) (fun x -> x.Tanh()) Dual.tanh
        |> OpSpec.withReferences
            [ for x in [ 1e-300; -3e-12; 1e-7; 0.0123; 0.19999; 0.2; 0.29999; -0.7; 3.5; -25.0 ] do
                  let values = Array.init 37 (fun i -> x * (1.0 + float i * 1e-3))
                  Reference.values $"to the last digits at {x:R}" values (fun x -> x.Tanh()) (Relative 1e-15) (Array.map Math.Tanh values)
              for x in [ 1e-30f; -1e-9f; 1e-3f; 0.3f; 0.49f; -2.0f ] do
                  let values = Array.init 37 (fun i -> float (x * (1.0f + float32 i * 1e-3f)))
                  Reference.values $"to the last digits at {x:R}" values (fun x -> x.Tanh()) (Relative 3e-7) (Array.map Math.Tanh values)
                  |> Reference.inFloat32 ]

    let private exponential =
        OpSpec.unary "exp" normal (fun x -> x.Exp()) Dual.exp
        |> OpSpec.withReferences
            [ Reference.values "known values" [| 0.0; 1.0; -1.0; 2.5 |] (fun x -> x.Exp()) (Within 1e-15) [| 1.0; Math.E; 1.0 / Math.E; Math.Exp 2.5 |]
              Reference.values "overflow to infinity, underflow to 0" [| 1000.0; -1000.0 |] (fun x -> x.Exp()) Exact [| infinity; 0.0 |]
              Reference.sameAs "turns sums into products" (fun () -> [| Reference.normal 1UL [| 3; 4 |]; Reference.normal 2UL [| 3; 4 |] |])
                  (fun x -> x[0].Exp() * x[1].Exp()) "exp(a + b)" (fun x -> (x[0] + x[1]).Exp()) (Within 1e-14)
              Reference.float32MatchesFloat64 "float32" (fun () -> Reference.normal 3UL [| 4; 5 |]) (fun x -> x.Exp()) 1e-6 ]

    let private logarithm =
        OpSpec.unary "log" (Uniform(0.2, 3.0)) (fun x -> x.Log()) Dual.log
        |> OpSpec.withReferences
            [ Reference.values "known values" [| 1.0; Math.E; 1.0 / Math.E; 7.0 |] (fun x -> x.Log()) (Within 1e-15) [| 0.0; 1.0; -1.0; Math.Log 7.0 |]
              Reference.values "-∞ at 0, NaN below" [| 0.0; -1.0 |] (fun x -> x.Log()) Exact [| -infinity; nan |]
              Reference.sameAs "inverts exp" (fun () -> [| Reference.normal 1UL [| 3; 4 |] |]) (fun x -> x[0].Exp().Log()) "x" (fun x -> x[0]) (Within 1e-14)
              Reference.float32MatchesFloat64 "float32" (fun () -> Reference.uniform 2UL 0.1 10.0 [| 4; 5 |]) (fun x -> x.Log()) 1e-6 ]

    let private log1p =
        OpSpec.unary "log1p" (Uniform(-0.9, 3.0)) (fun x -> x.Log1p()) (Dual.pointwise (fun v -> Math.Log(1.0 + v)) (fun v _ -> 1.0 / (1.0 + v)))
        |> OpSpec.withReferences
            [ Reference.values "known values" [| 0.0; Math.E - 1.0; -0.5; 7.0 |] (fun x -> x.Log1p()) (Within 1e-15) [| 0.0; 1.0; Math.Log 0.5; Math.Log 8.0 |]
              Reference.values "-∞ at -1, NaN below, ∞ at ∞" [| -1.0; -2.0; infinity |] (fun x -> x.Log1p()) Exact [| -infinity; nan; infinity |]
              // ln(1 + x) = x − x²/2 + x³/3 − …: full relative precision where 1 + x rounds to 1 or nearly so (the direct formula
              // ln(fl(1 + x)) is off in the 8th digit at 1e-10: the runner's tests show this input fails it)
              let tiny = [| 1e-300; -1e-20; 3e-17; 1e-10; -2.5e-9 |]
              Reference.values "tiny inputs to full precision" tiny (fun x -> x.Log1p()) (Relative 5e-16) (tiny |> Array.map (fun x -> x - x * x / 2.0 + x * x * x / 3.0))
              Reference.values "tiny inputs" [| float 1e-10f; float -3e-8f |] (fun x -> x.Log1p()) (Relative 5e-7) [| float 1e-10f; float -3e-8f |]
              |> Reference.inFloat32
              Reference.gradient "gradient 1 / (1 + x) at tiny inputs" [| 1e-20; -1e-12 |] (fun x -> x.Log1p()) (Within 1e-15) [| 1.0; 1.0 / (1.0 - 1e-12) |]
              Reference.float32MatchesFloat64 "float32" (fun () -> Reference.uniform 2UL -0.9 10.0 [| 4; 5 |]) (fun x -> x.Log1p()) 1e-6 ]

    let private squareRoot =
        OpSpec.unary "sqrt" (Uniform(0.2, 3.0)) (fun x -> x.Sqrt()) Dual.sqrt
        |> OpSpec.withReferences
            [ Reference.values "known values" [| 0.0; 1.0; 4.0; 2.25 |] (fun x -> x.Sqrt()) (Within 1e-12) [| 0.0; 1.0; 2.0; 1.5 |]
              Reference.values "NaN below 0" [| -1.0 |] (fun x -> x.Sqrt()) Exact [| nan |]
              Reference.sameAs "squared gives back x" (fun () -> [| Reference.uniform 1UL 0.0 5.0 [| 3; 4 |] |]) (fun x -> let root = x[0].Sqrt() in root * root)
                  "x" (fun x -> x[0]) (Within 1e-14)
              Reference.float32MatchesFloat64 "float32" (fun () -> Reference.uniform 2UL 0.0 10.0 [| 4; 5 |]) (fun x -> x.Sqrt()) 1e-6
              Reference.gradient "gradient 1 / (2 √x)" [| 4.0; 0.25 |] (fun x -> x.Sqrt()) (Within 1e-12) [| 0.25; 1.0 |] ]

    let private absolute =
        OpSpec.unary "abs" (AwayFromZero(0.05, 2.0)) (fun x -> x.Abs()) Dual.abs
        |> OpSpec.withReferences
            [ Reference.values "known values" [| -2.0; 0.0; 3.5; -0.0 |] (fun x -> x.Abs()) (Within 1e-12) [| 2.0; 0.0; 3.5; 0.0 |]
              Reference.float32MatchesFloat64 "float32" (fun () -> Reference.normal 1UL [| 4; 5 |]) (fun x -> x.Abs()) 1e-6
              Reference.gradient "gradient the sign, 0 at 0 (of the values weighted 5, 7, 11)" [| -2.0; 0.0; 3.0 |]
                  (fun x -> x.Abs() * Tensor.FromArray([| 5.0; 7.0; 11.0 |], Nullable<Shape>())) (Within 1e-12) [| -5.0; 0.0; 11.0 |] ]

    let private sigmoid =
        OpSpec.unary "sigmoid" (Uniform(-4.0, 4.0)) (fun x -> x.Sigmoid()) Dual.sigmoid
        |> OpSpec.withReferences
            [ Reference.values "known values" [| 0.0; 2.0; -3.0 |] (fun x -> x.Sigmoid()) (Within 1e-15) [| 0.5; 1.0 / (1.0 + Math.Exp -2.0); 1.0 / (1.0 + Math.Exp 3.0) |]
              Reference.sameAs "symmetric around 1/2" (fun () -> [| Reference.normal 1UL [| 3; 4 |] |]) (fun x -> x[0].Sigmoid() + (-x[0]).Sigmoid())
                  "ones" (fun x -> Tensor.Ones(x[0].Shape, x[0].DType)) (Within 1e-15)
              let saturates = Reference.values "saturates without NaN" [| -1000.0; 1000.0 |] (fun x -> x.Sigmoid()) (Within 1e-12) [| 0.0; 1.0 |]
              saturates
              Reference.inFloat32 saturates
              Reference.float32MatchesFloat64 "float32" (fun () -> Reference.normal 2UL [| 4; 5 |]) (fun x -> x.Sigmoid()) 1e-6 ]

    let private relu =
        OpSpec.unary "relu" (AwayFromZero(0.05, 2.0)) (fun x -> x.Relu()) Dual.relu
        |> OpSpec.withReferences
            [ Reference.values "zeroes negative values" [| -1.0; 0.0; 2.0; 0.5 |] (fun x -> x.Relu()) (Within 1e-12) [| 0.0; 0.0; 2.0; 0.5 |]
              Reference.values "NaN stays NaN" [| nan |] (fun x -> x.Relu()) Exact [| nan |]
              Reference.float32MatchesFloat64 "float32" (fun () -> Reference.normal 1UL [| 4; 5 |]) (fun x -> x.Relu()) 1e-6
              Reference.gradient "gradient 1 above zero, 0 at or below (of the values times 3)" [| -1.0; 0.0; 2.0 |] (fun x -> x.Relu() * 3.0)
                  (Within 1e-12) [| 0.0; 0.0; 3.0 |] ]

    let private div =
        OpRows.binary "div" (fun a b -> a / b) (fun a s -> a / s) (fun s b -> s / b) Dual.div normal (AwayFromZero(0.5, 2.0))
        |> OpSpec.withReferences
            [ let vector (values: float[]) = Tensor.FromArray(values, Nullable<Shape>())
              Reference.valuesOf "IEEE special values" (fun () -> [| vector [| 6.0; -3.0; 1.0; 0.0 |]; vector [| 2.0; 4.0; 0.0; 0.0 |] |]) (fun x -> x[0] / x[1])
                  Exact [| 3.0; -0.75; infinity; nan |]
              let matrix () = Tensor.FromArray([| 2.0; 4.0; 6.0; 8.0 |], Nullable(Shape(2, 2)))
              let matrixAndColumn () = [| matrix (); Tensor.FromArray([| 2.0; 4.0 |], Nullable(Shape(2, 1))) |]
              Reference.valuesOf "a column broadcast" matrixAndColumn (fun x -> x[0] / x[1]) (Within 1e-12) [| 1.0; 2.0; 1.5; 2.0 |]
              Reference.valuesOf "a column broadcast (Divide)" matrixAndColumn (fun x -> x[0].Divide(x[1])) (Within 1e-12) [| 1.0; 2.0; 1.5; 2.0 |]
              Reference.valuesOf "by a scalar" (fun () -> [| matrix () |]) (fun x -> x[0] / 2.0) (Within 1e-12) [| 1.0; 2.0; 3.0; 4.0 |]
              Reference.valuesOf "a scalar by the tensor" (fun () -> [| matrix () |]) (fun x -> 24.0 / x[0]) (Within 1e-12) [| 12.0; 6.0; 4.0; 3.0 |]
              Reference.sameAs "quotient times divisor gives back the dividend" (fun () -> [| Reference.normal 1UL [| 3; 4 |]; Reference.uniform 2UL 0.5 2.0 [| 4 |] |])
                  (fun x -> x[0] / x[1] * x[1]) "the dividend" (fun x -> x[0]) (Within 1e-14)
              Reference.float32MatchesFloat64 "float32" (fun () -> Reference.normal 1UL [| 3; 4 |])
                  (fun a -> a / (Reference.uniform 2UL 0.5 2.0 [| 3; 4 |]).To(a.DType)) 1e-6 ]
        |> OpSpec.withErrors
            [ ErrorInput.throws<ArgumentException> "shapes that do not broadcast" (fun () -> Tensor.Ones(Shape(3, 4)) / Tensor.Ones(Shape(5)))
                  [ "div"; "[3,4]"; "[5]" ] ]

    /// softplus (1/β) ln(1 + e^(βx)), x itself where βx exceeds the threshold; derivative σ(βx), or 1 on the linear part.
    let private softplus =
        OpSpec.create "softplus"
            (fun random ->
                let beta, threshold = Draw.pick random [| 1.0; 2.0; 0.5; 3.0 |], Draw.pick random [| 20.0; 1.0; -0.5; 0.5 |]
                let shape = Draw.shape random 0 3
                // away from the threshold, where softplus switches to x (a jump finite differences must not straddle)
                let away (v: float) = if abs (beta * v - threshold) < 0.05 then v + 0.1 / beta else v
                { Label = $"softplus {show shape} beta {beta} threshold {threshold}"; Arguments = (beta, threshold)
                  Inputs = [| Draw.tensorOf shape (Draw.values random (Uniform(-3.0, 3.0)) (Draw.count shape) |> Array.map away) |] })
            (fun (beta, threshold) x -> x[0].Softplus(beta, threshold))
            (fun (beta, threshold) x ->
                let linear (v: float) = v * beta > threshold
                Dual.pointwise (fun v -> if linear v then v else Math.Log(1.0 + Math.Exp(v * beta)) / beta)
                               (fun v _ -> if linear v then 1.0 else let e = Math.Exp(v * beta) in e / (1.0 + e)) x[0])
        |> OpSpec.onEmpty [ "default beta and threshold", (fun x -> x.Softplus()) ]
        |> OpSpec.withReferences
            [ let moderate = [| -5.0; -1.0; 0.0; 0.5; 3.0; 15.0 |]
              for beta in [ 1.0; 2.0; 0.5 ] do
                  Reference.values $"the definition at moderate inputs, beta {beta}" moderate (fun x -> x.Softplus(beta = beta)) (Within 1e-14)
                      (moderate |> Array.map (fun v -> Math.Log(1.0 + Math.Exp(beta * v)) / beta))
              Reference.values "ln 2 at zero" [| 0.0 |] (fun x -> x.Softplus()) (Within 5e-16) [| Math.Log 2.0 |]
              Reference.values "x itself above the threshold" [| 20.5; 30.0; 1e6 |] (fun x -> x.Softplus()) Exact [| 20.5; 30.0; 1e6 |]
              Reference.values "x itself above the threshold, beta 2 threshold 5" [| 3.0 |] (fun x -> x.Softplus(2.0, 5.0)) Exact [| 3.0 |]
              // without the threshold ln(1 + e^1000) overflows in the naive formula; the stable one gives 1000
              Reference.values "no overflow without a threshold" [| 1000.0; 700.5 |] (fun x -> x.Softplus(threshold = infinity)) (Within 1e-12)
                  [| 1000.0; 700.5 |]
              Reference.values "no overflow below a threshold of 1000" [| 100.0 |] (fun x -> x.Softplus(threshold = 1000.0)) (Within 1e-12) [| 100.0 |]
              |> Reference.inFloat32
              // far below zero softplus is e^x: tiny but positive, with full relative accuracy
              Reference.values "e^x far below zero" [| -50.0; -700.0 |] (fun x -> x.Softplus()) (Relative 5e-13) [| Math.Exp -50.0; Math.Exp -700.0 |]
              Reference.float32MatchesFloat64 "float32" (fun () -> Reference.normal 1UL [| 4; 5 |] * 5.0) (fun x -> x.Softplus()) 1e-6
              Reference.gradient "gradient σ(βx) below the threshold and 1 above, beta 2 threshold 6" [| -1.0; 0.5; 4.0 |]
                  (fun x -> x.Softplus(2.0, 6.0)) (Within 1e-15) [| 1.0 / (1.0 + Math.Exp 2.0); 1.0 / (1.0 + Math.Exp -1.0); 1.0 |] ]
        |> OpSpec.withErrors
            [ ErrorInput.throws<ArgumentOutOfRangeException> "beta 0" (fun () -> Tensor.Ones(Shape(2)).Softplus(beta = 0.0)) [ "softplus" ]
              ErrorInput.throws<ArgumentOutOfRangeException> "beta infinite" (fun () -> Tensor.Ones(Shape(2)).Softplus(beta = infinity)) [ "softplus"; "beta" ]
              ErrorInput.throws<ArgumentOutOfRangeException> "threshold NaN" (fun () -> Tensor.Ones(Shape(2)).Softplus(threshold = nan)) [ "softplus"; "threshold" ] ]

    let private clamp =
        OpSpec.create "clamp"
            (fun random ->
                let low, high = -random.NextDouble(), random.NextDouble()
                let minimum, maximum = Draw.pick random [| Some low, Some high; Some low, None; None, Some high |]
                let near bound (v: float) = match bound with Some b -> abs (v - b) < 0.01 | None -> false
                let shape = Draw.shape random 0 3
                let values = Draw.values random (Uniform(-2.0, 2.0)) (Draw.count shape) |> Array.map (fun v -> if near minimum v || near maximum v then v + 0.03 else v)
                { Label = $"clamp {show shape} to [{minimum}, {maximum}]"; Arguments = (minimum, maximum); Inputs = [| Draw.tensorOf shape values |] })
            (fun (minimum, maximum) x -> x[0].Clamp(Option.toNullable minimum, Option.toNullable maximum))
            (fun (minimum, maximum) x -> Dual.clamp minimum maximum x[0])
        |> OpSpec.onEmpty [ "to [-1, 1]", (fun x -> x.Clamp(Nullable -1.0, Nullable 1.0)); "below", (fun x -> x.Clamp(Nullable(), Nullable 1.0)) ]
        |> OpSpec.withReferences
            [ let values = [| -3.0; -1.0; 0.0; 1.0; 3.0 |]
              let clamp (low: float option) (high: float option) (x: Tensor) = x.Clamp(Option.toNullable low, Option.toNullable high)
              Reference.values "to [-1, 1]" values (clamp (Some -1.0) (Some 1.0)) (Within 1e-12) [| -1.0; -1.0; 0.0; 1.0; 1.0 |]
              Reference.values "from below only" values (clamp (Some 0.0) None) (Within 1e-12) [| 0.0; 0.0; 0.0; 1.0; 3.0 |]
              Reference.values "from above only" values (clamp None (Some 0.5)) (Within 1e-12) [| -3.0; -1.0; 0.0; 0.5; 0.5 |]
              Reference.values "min above max gives max everywhere" values (clamp (Some 2.0) (Some 1.0)) (Within 1e-12) (Array.create 5 1.0)
              Reference.values "NaN stays NaN" [| nan |] (clamp (Some -1.0) (Some 1.0)) Exact [| nan |]
              Reference.float32MatchesFloat64 "float32" (fun () -> Reference.normal 1UL [| 4; 5 |]) (clamp (Some -0.5) (Some 0.7)) 1e-6
              Reference.gradient "gradient passes inside and on the bounds" values (clamp (Some -1.0) (Some 1.0)) (Within 1e-12)
                  [| 0.0; 1.0; 1.0; 1.0; 0.0 |] ]
        |> OpSpec.withErrors
            [ ErrorInput.throws<ArgumentException> "no bound" (fun () -> Tensor.FromArray([| -3.0; -1.0; 0.0; 1.0; 3.0 |], Nullable<Shape>()).Clamp(Nullable<float>(), Nullable<float>())) [ "clamp" ] ]

    let private where =
        OpSpec.create "where"
            (fun random ->
                let full = Draw.shape random 0 3
                let reduce () = (full |> Array.map (fun size -> if random.Next 3 = 0 then 1 else size))[random.Next(0, full.Length + 1) ..]
                let shapeCondition, shapeA, shapeB = reduce (), reduce (), reduce ()
                let condition = Draw.tensorOf shapeCondition (Array.init (Draw.count shapeCondition) (fun _ -> float (random.Next 2)))
                let conditionType = Draw.pick random [| DType.Float32; DType.Float64 |]
                { Label = $"where {show shapeCondition} ({conditionType}) {show shapeA} {show shapeB}"; Arguments = (condition, conditionType)
                  Inputs = [| Draw.tensor random Normal shapeA; Draw.tensor random Normal shapeB |] })
            (fun (condition, conditionType) x -> Tensor.Where(condition.To(conditionType), x[0], x[1]))
            (fun (condition, _) x -> Dual.where (Dual.ofTensor condition) x[0] x[1])
        |> OpSpec.onEmpty [ "x > 0, x, -x", (fun x -> Tensor.Where(x.Greater(0.0), x, -x)) ]

    /// dropout's documented rule: one uniform draw per element in row-major order, kept when the draw is at least p.
    let private dropout =
        OpSpec.create "dropout"
            (fun random ->
                let probability = Draw.pick random [| 0.2; 0.5; 0.8 |]
                let seed = uint64 (random.Next 1_000_000)
                let shape = Draw.shape random 0 3
                let draws = Generator(seed)
                let mask = Draw.tensorOf shape (Array.init (Draw.count shape) (fun _ -> if draws.NextDouble() >= probability then 1.0 else 0.0))
                { Label = $"dropout {show shape} p {probability} seed {seed}"; Arguments = (probability, seed, mask); Inputs = [| Draw.tensor random Normal shape |] })
            (fun (probability, seed, _) x -> x[0].Dropout(probability, true, Generator(seed)))
            (fun (probability, _, mask) x -> Dual.dropout (mask.ToDoubleArray()) probability x[0])
        |> OpSpec.onEmpty [ "p 0.5", (fun x -> x.Dropout(0.5, true, Generator(1UL))) ]

    /// float32 and back, scaled by a power of two: on the float32 grid the round trip is exact at every point GradCheck probes.
    let private convert =
        OpSpec.create "to"
            (fun random ->
                let shape = Draw.shape random 0 3
                let c = Draw.pick random [| 0.5; 2.0; -4.0 |]
                { Label = $"to float32 and back {show shape} times {c}"; Arguments = c; Inputs = [| Draw.tensor random Float32Exact shape |] })
            (fun c x -> (x[0].To(DType.Float32) * c).To(DType.Float64))
            (fun c x -> (Dual.convert DType.Float32 x[0] * c) |> Dual.convert DType.Float64)
        |> OpSpec.onFloat32Grid
        |> OpSpec.onEmpty [ "to the other type", (fun x -> x.To(if x.DType = DType.Float32 then DType.Float64 else DType.Float32)) ]

    // ---------------------------------------------------------------------------------------------------------------
    // Linear algebra

    let private matmul =
        OpSpec.create "matmul"
            (fun random ->
                let m, inner, n, batch = random.Next(1, 5), random.Next(1, 5), random.Next(1, 5), random.Next(1, 4)
                let rankA, rankB = Draw.pick random [| 2, 2; 3, 3; 3, 2; 2, 3 |]
                let transposeA, transposeB = random.Next 2 = 0, random.Next 2 = 0
                let layout rank rows columns transposed =
                    Array.append (if rank = 3 then [| batch |] else [||]) (if transposed then [| columns; rows |] else [| rows; columns |])
                let shapeA, shapeB = layout rankA m inner transposeA, layout rankB inner n transposeB
                { Label = $"matmul {show shapeA} (transposed {transposeA}) x {show shapeB} (transposed {transposeB})"
                  Arguments = (transposeA, transposeB); Inputs = [| Draw.tensor random normal shapeA; Draw.tensor random normal shapeB |] })
            (fun (transposeA, transposeB) x -> Tensor.MatMul(x[0], x[1], transposeA, transposeB))
            (fun (transposeA, transposeB) x -> Dual.matmulWith transposeA transposeB x[0] x[1])
        |> OpSpec.onEmpty
            [ "x xᵀ", (fun x -> let m = matrix x in m.MatMul(m.Transpose(0, 1)))
              "xᵀ x (a sum over nothing: zeros)", (fun x -> let m = matrix x in m.Transpose(0, 1).MatMul(m))
              "batched", (fun x -> let m = matrix x in Tensor.MatMul(Tensor.Stack([| m; m |], 0), m, false, true)) ]

    let private linear =
        OpSpec.create "linear"
            (fun random ->
                let leading = Draw.shape random 0 2
                let features, outputs = random.Next(1, 5), random.Next(1, 5)
                let withBias = random.Next 2 = 0
                let input, weight = Draw.tensor random normal (Array.append leading [| features |]), Draw.tensor random normal [| outputs; features |]
                { Label = $"linear {input.Shape} weight {weight.Shape}" + (if withBias then " with bias" else ""); Arguments = withBias
                  Inputs = if withBias then [| input; weight; Draw.tensor random normal [| outputs |] |] else [| input; weight |] })
            (fun withBias x -> Tensor.Linear(x[0], x[1], (if withBias then x[2] else Unchecked.defaultof<Tensor>)))
            (fun withBias x -> Dual.linear x[0] x[1] (if withBias then Some x[2] else None))
        |> OpSpec.onEmpty
            [ "with bias",
              (fun x ->
                  let m = matrix x
                  Tensor.Linear(m, Tensor.Ones(Shape(4, m.Shape[1]), m.DType), Tensor.Ones(Shape(4), m.DType))) ]

    // ---------------------------------------------------------------------------------------------------------------
    // Layout

    let private reshape =
        OpSpec.ofOne "reshape" Normal
            (fun random ->
                let shape = Draw.shape random 1 3
                let n = Draw.count shape
                let divisors = [| 1 .. n |] |> Array.filter (fun d -> n % d = 0)
                let draw () = let first = Draw.pick random divisors in if random.Next 2 = 0 then [| first; -1 |] else [| n / first; first; 1 |]
                let resolved (target: int[]) = target |> Array.map (fun size -> if size = -1 then n / Draw.count (Array.filter ((<>) -1) target) else size)
                // a reshape to the same shape returns its input unrecorded: draw again
                let mutable target = draw ()
                while resolved target = shape do target <- draw ()
                $"reshape {show shape} to {show target}", target, shape)
            // tanh after the reshape: the output depends on where each element went
            (fun target x -> x.Reshape(target).Tanh()) (fun target x -> Dual.reshape target x |> Dual.tanh)
        |> OpSpec.onEmpty [ "to [-1]", (fun x -> x.Reshape(-1)); "to [0, 5]", (fun x -> x.Reshape(0, 5)) ]

    let private transpose =
        OpSpec.ofOne "transpose" Normal
            (fun random ->
                let shape = Draw.shape random 2 4
                let first = random.Next shape.Length
                let second = (first + 1 + random.Next(shape.Length - 1)) % shape.Length - shape.Length
                $"transpose {show shape} {first} {second}", (first, second), shape)
            (fun (first, second) x -> x.Transpose(first, second)) (fun (first, second) x -> Dual.transpose first second x)
        |> OpSpec.recording [ "permute" ]
        |> OpSpec.onEmpty [ "0 1", (fun x -> (matrix x).Transpose(0, 1)) ]

    let private permute =
        OpSpec.ofOne "permute" Normal
            (fun random ->
                let shape = Draw.shape random 2 4
                let mutable axes = Array.init shape.Length id
                while axes = Array.init shape.Length id do
                    axes <- Array.copy axes
                    random.Shuffle axes
                $"permute {show shape} by {show axes}", axes, shape)
            (fun axes x -> x.Permute(axes)) Dual.permute
        |> OpSpec.onEmpty
            [ "axes reversed", (fun x -> x.Permute(Array.rev [| 0 .. x.Rank - 1 |]))
              "axes reversed, with a leading axis of 1", (fun x -> (withLeadingOne x).Permute(Array.rev [| 0 .. x.Rank |])) ]

    /// A shape and another one that broadcasts to it (expand and sum_to of a shape to itself return their input unrecorded).
    let rec private broadcastShapes (random: Random) =
        let full = Array.append (Draw.shape random 1 1) (Draw.shape random 1 2 |> Array.map (fun size -> size + 1))
        let reduced = (full |> Array.mapi (fun k size -> if k = 0 || random.Next 2 = 0 then 1 else size))[random.Next 2 ..]
        if reduced = full then broadcastShapes random else full, reduced

    let private expand =
        OpSpec.ofOne "expand" Normal
            (fun random -> let full, reduced = broadcastShapes random in $"expand {show reduced} to {show full}", full, reduced)
            (fun full x -> x.Expand(Shape(full))) Dual.expand
        |> OpSpec.onEmpty [ "a new leading axis of 2", twice ]

    let private sumTo =
        OpSpec.ofOne "sum_to" Normal
            (fun random -> let full, reduced = broadcastShapes random in $"sum_to {show full} to {show reduced}", reduced, full)
            (fun reduced x -> x.SumTo(Shape(reduced))) Dual.sumTo
        |> OpSpec.onEmpty [ "from a leading axis of 2", (fun x -> (twice x).SumTo(x.Shape)) ]

    /// A slice that is not the whole axis (a whole-axis narrow returns its input unrecorded).
    let private slice (random: Random) =
        let shape, axis, normalized = Draw.withAxis random 2
        let size = shape[normalized]
        let length = random.Next(1, size)
        let start = random.Next(0, size - length + 1)
        shape, axis, normalized, start, length

    let private narrow =
        OpSpec.ofOne "narrow" Normal
            (fun random ->
                let shape, axis, _, start, length = slice random
                $"narrow {show shape} axis {axis} from {start} length {length}", (axis, start, length), shape)
            (fun (axis, start, length) x -> x.Narrow(axis, start, length)) (fun (axis, start, length) x -> Dual.narrow axis start length x)
        |> OpSpec.onEmpty
            [ "length 0 of the last axis", (fun x -> x.Narrow(-1, 0, 0))
              "[1, 3) of a leading axis of 3", (fun x -> Tensor.Stack([| x; x; x |], 0).Narrow(0, 1, 2)) ]

    /// narrow_backward appears only in backward passes: its case is narrow's VJP, recorded (createGraph) as a function of u.
    let private narrowBackward =
        OpSpec.create "narrow_backward"
            (fun random ->
                let shape, axis, normalized, start, length = slice random
                let x = Draw.tensor random Normal shape
                { Label = $"narrow_backward (VJP of narrow {show shape} axis {axis} from {start} length {length})"
                  Arguments = (shape, axis, start, length, x); Inputs = [| Draw.tensor random Normal (Array.updateAt normalized length shape) |] })
            (fun (_, axis, start, length, x) u -> Diff.vjpRecorded (fun x -> x.Narrow(axis, start, length)) (x.To(u[0].DType)) u[0])
            (fun (shape, axis, start, _, _) u -> Dual.narrowBackward shape axis start u[0])
        |> OpSpec.notSweptOnEmpty "it runs in the backward pass of the narrow calls"

    let private select =
        OpSpec.recording [ "narrow" ] (
            OpSpec.ofOne "select" Normal
                (fun random ->
                    let shape, axis, normalized = Draw.withAxis random 2
                    let index = random.Next(-shape[normalized], shape[normalized])
                    $"select {show shape} axis {axis} index {index}", (axis, index), shape)
                (fun (axis, index) x -> x.Select(axis, index)) (fun (axis, index) x -> Dual.select axis index x))
        |> OpSpec.onEmpty [ "index 0 of a leading axis of 1", (fun x -> (withLeadingOne x).Select(0, 0)) ]

    let private indexSelect =
        OpSpec.ofOne "index_select" Normal
            (fun random ->
                let shape, axis, normalized = Draw.withAxis random 1
                let indices = Array.init (random.Next(1, 6)) (fun _ -> random.Next shape[normalized])
                $"index_select {show shape} axis {axis} indices {show indices}", (axis, indices), shape)
            (fun (axis, indices) x -> x.IndexSelect(axis, indices)) (fun (axis, indices) x -> Dual.indexSelect axis indices x)
        |> OpSpec.onEmpty
            [ "no indices", (fun x -> x.IndexSelect(0, [||]))
              "[0, 0] of a leading axis of 1", (fun x -> (withLeadingOne x).IndexSelect(0, [| 0; 0 |])) ]

    /// index_add appears only in backward passes: its case is index_select's VJP, recorded as a function of u.
    let private indexAdd =
        OpSpec.create "index_add"
            (fun random ->
                let shape, axis, normalized = Draw.withAxis random 1
                let indices = Array.init (random.Next(1, 6)) (fun _ -> random.Next shape[normalized])
                let x = Draw.tensor random Normal shape
                { Label = $"index_add (VJP of index_select {show shape} axis {axis} indices {show indices})"
                  Arguments = (shape, axis, indices, x); Inputs = [| Draw.tensor random Normal (Array.updateAt normalized indices.Length shape) |] })
            (fun (_, axis, indices, x) u -> Diff.vjpRecorded (fun x -> x.IndexSelect(axis, indices)) (x.To(u[0].DType)) u[0])
            (fun (shape, axis, indices, _) u -> Dual.indexAdd shape axis indices u[0])
        |> OpSpec.notSweptOnEmpty "it runs in the backward pass of the index_select calls"

    let private concat =
        OpSpec.create "concat"
            (fun random ->
                let shape, axis, normalized = Draw.withAxis random 1
                let parts = Array.init (random.Next(2, 4)) (fun _ -> Draw.tensor random Normal (Array.updateAt normalized (random.Next(1, 4)) shape))
                let shapes = parts |> Array.map (fun p -> string p.Shape) |> String.concat " "
                { Label = $"concat {shapes} axis {axis}"; Arguments = axis; Inputs = parts })
            (fun axis x -> Tensor.Concat(x, axis)) (fun axis x -> Dual.concat axis x)
        |> OpSpec.onEmpty [ "axis 0", (fun x -> Tensor.Concat([| x; x |], 0)); "axis -1", (fun x -> Tensor.Concat([| x; x |], -1)) ]

    let private stack =
        OpSpec.create "stack"
            (fun random ->
                let shape = Draw.shape random 0 3
                let position = random.Next(-(shape.Length + 1), shape.Length + 1)
                let parts = Array.init (random.Next(2, 4)) (fun _ -> Draw.tensor random Normal shape)
                { Label = $"stack {parts.Length} of {show shape} axis {position}"; Arguments = position; Inputs = parts })
            (fun position x -> Tensor.Stack(x, position)) (fun position x -> Dual.stack position x)
        |> OpSpec.recording [ "concat" ]
        |> OpSpec.onEmpty [ "axis 0", (fun x -> Tensor.Stack([| x; x |], 0)); "axis -1", (fun x -> Tensor.Stack([| x; x |], -1)) ]

    /// How split cuts: by sizes, or into pieces of one size.
    type SplitBy =
        /// <summary>Pieces of the given sizes.</summary>
        | Sizes of int[]
        /// <summary>Pieces of one size, the last maybe smaller.</summary>
        | Every of int

    /// One piece of a split (by index), or all pieces joined in reverse order (−1).
    let private piece (index: int) (join: 'T[] -> 'T) (pieces: 'T[]) = if index < 0 then join (Array.rev pieces) else pieces[index]

    let private split =
        OpSpec.create "split"
            (fun random ->
                let shape, axis, normalized = Draw.withAxis random 2
                let size = shape[normalized]
                let by = if random.Next 2 = 0 then (let cut = random.Next(1, size) in Sizes [| cut; size - cut |]) else Every(random.Next(1, size))
                let count = match by with Sizes sizes -> sizes.Length | Every every -> (size + every - 1) / every
                let index = random.Next(-1, count)
                let what = match by with Sizes sizes -> $"sizes {show sizes}" | Every every -> $"every {every}"
                let which = if index < 0 then "all pieces joined in reverse" else $"piece {index}"
                { Label = $"split {show shape} {what} axis {axis}, {which}"; Arguments = (by, axis, index); Inputs = [| Draw.tensor random Normal shape |] })
            (fun (by, axis, index) x ->
                let pieces = match by with Sizes sizes -> x[0].Split(sizes, axis) | Every every -> x[0].Split(every, axis)
                piece index (fun parts -> Tensor.Concat(parts, axis)) pieces)
            (fun (by, axis, index) x ->
                let pieces = match by with Sizes sizes -> Dual.split sizes axis x[0] | Every every -> Dual.splitEvery every axis x[0]
                piece index (Dual.concat axis) pieces)
        |> OpSpec.recording [ "narrow" ]
        |> OpSpec.onEmpty
            [ "every 1 along axis 0, joined", (fun x -> let pieces = x.Split(1, 0) in if pieces.Length > 0 then Tensor.Concat(pieces, 0) else x)
              "every 1 along the last axis, joined", (fun x -> let pieces = x.Split(1, -1) in if pieces.Length > 0 then Tensor.Concat(pieces, -1) else x)
              "every 1 along a leading axis of 2, joined", (fun x -> Tensor.Concat((twice x).Split(1, 0), 0)) ]

    let private chunk =
        OpSpec.ofOne "chunk" Normal
            (fun random ->
                let shape, axis, _ = Draw.withAxis random 2
                let chunks = random.Next(2, 5)
                $"chunk {show shape} into {chunks} axis {axis}, all pieces joined in reverse", (chunks, axis), shape)
            (fun (chunks, axis) x -> piece -1 (fun parts -> Tensor.Concat(parts, axis)) (x.Chunk(chunks, axis)))
            (fun (chunks, axis) x -> piece -1 (Dual.concat axis) (Dual.chunk chunks axis x))
        |> OpSpec.recording [ "narrow" ]
        |> OpSpec.onEmpty [ "2 along a leading axis of 2, joined", (fun x -> Tensor.Concat((twice x).Chunk(2, 0), 0)) ]

    /// The [2,3] matrix [[1, 5, 3], [4, 2, 6]] of the reductions' reference inputs.
    let private reductionMatrix () = Tensor.FromArray([| 1.0; 5.0; 3.0; 4.0; 2.0; 6.0 |], Nullable(Shape(2, 3)))

    /// Reference inputs of a reduction on the matrix: each form's expected values (within 1e-12).
    let private onReductionMatrix (forms: (string * (Tensor -> Tensor) * float[]) list) =
        [ for label, call, expected in forms do
              Reference.valuesOf label (fun () -> [| reductionMatrix () |]) (fun x -> call x[0]) (Within 1e-12) expected ]

    // ---------------------------------------------------------------------------------------------------------------
    // Rows

    /// <summary>The rows of the core ops (element-wise, linear algebra, reductions, layout), in the order the suites report them.</summary>
    [<CompiledName("Core")>]
    let core : OpSpec list =
        [ add
          sub
          mul
          div
          neg
          pow
          exponential
          logarithm
          // layer_norm over the last axis; arguments: epsilon and which of weight and bias are inputs. At least 3 features: with 1 or 2
          // the normalised row is constant (±1) and the dot-product check would compare two cancellations.
          OpSpec.create "layer_norm"
              (fun random ->
                  let leading = Array.init (random.Next 3) (fun _ -> random.Next(1, 4))
                  let features = random.Next(3, 6)
                  let epsilon = if random.Next 2 = 0 then 1e-5 else 0.1
                  let withWeight, withBias = random.Next 2 = 0, random.Next 2 = 0
                  // rows with a spread below 0.3 are drawn again: near a constant row the normalisation's curvature grows like
                  // 1/std³ and central differences with a fixed step no longer measure the derivative (a row of std 0.016 at ε 1e-5
                  // gave a finite-difference error of 1.9e-5 while the dot-product and Jacobian checks agreed to 1e-13)
                  let rowSpread (values: float[]) =
                      values |> Array.chunkBySize features
                      |> Array.map (fun row -> let mean = Array.average row in sqrt (row |> Array.averageBy (fun v -> (v - mean) ** 2.0)))
                      |> Array.min
                  let rec drawInput () =
                      let candidate = Draw.tensor random Normal (Array.append leading [| features |])
                      if rowSpread (candidate.ToDoubleArray()) < 0.3 then drawInput () else candidate
                  let input = drawInput ()
                  { Label = $"layer_norm {input.Shape} eps {epsilon} weight {withWeight} bias {withBias}"
                    Arguments = (epsilon, withWeight, withBias)
                    Inputs = [| input
                                if withWeight then Draw.tensor random Normal [| features |]
                                if withBias then Draw.tensor random Normal [| features |] |] })
              (fun (epsilon, withWeight, withBias) x ->
                  Tensor.LayerNorm(x[0], (if withWeight then x[1] else Unchecked.defaultof<Tensor>), (if withBias then x[x.Length - 1] else Unchecked.defaultof<Tensor>), epsilon))
              (fun (epsilon, withWeight, withBias) x ->
                  Dual.layerNorm epsilon (if withWeight then Some x[1] else None) (if withBias then Some x[x.Length - 1] else None) x[0])
          |> OpSpec.onEmpty
              [ "no rows", (fun x -> Tensor.LayerNorm(x.Reshape(0, 3), Tensor.Ones(Shape(3), x.DType), Tensor.Zeros(Shape(3), x.DType), 1e-5)) ]
          log1p
          squareRoot
          absolute
          hyperbolicTangent
          sigmoid
          relu
          leakyRelu
          softplus
          clamp
          where
          dropout
          convert
          matmul
          linear
          OpRows.reduction "sum" (fun x -> x.Sum()) (fun x a keep -> x.Sum(a, keep)) (fun x a keep -> x.Sum(a, keep)) Dual.sumAxes normal
          OpRows.reduction "mean" (fun x -> x.Mean()) (fun x a keep -> x.Mean(a, keep)) (fun x a keep -> x.Mean(a, keep)) Dual.meanAxes normal
          |> OpSpec.recording [ "sum" ]
          |> OpSpec.withReferences
              (onReductionMatrix [ "over all", (fun x -> x.Mean()), [| 3.5 |]; "axis 0", (fun x -> x.Mean(0)), [| 2.5; 3.5; 4.5 |]
                                   "axis 1", (fun x -> x.Mean(1)), [| 3.0; 4.0 |] ])
          |> OpSpec.withReferences
              [ let matrix () = [| reductionMatrix () |]
                Reference.valuesOf "axis 1 keepDim" matrix (fun x -> x[0].Mean(1, true)) (Within 1e-12) [| 3.0; 4.0 |] |> Reference.withShape [| 2; 1 |]
                Reference.valuesOf "over all" matrix (fun x -> x[0].Mean()) Exact [| 3.5 |] |> Reference.inFloat32
                // as in PyTorch: the mean over nothing is NaN
                Reference.valuesOf "of an empty tensor" (fun () -> [| Tensor.Zeros(Shape(0), DType.Float64) |]) (fun x -> x[0].Mean()) Exact [| nan |]
                |> Reference.inFloat32
                Reference.valuesOf "over an empty axis" (fun () -> [| Tensor.Zeros(Shape(2, 0), DType.Float64) |]) (fun x -> x[0].Mean(1)) Exact [| nan; nan |]
                |> Reference.inFloat32 ]
          OpRows.reduction "max" (fun x -> x.Max()) (fun x a keep -> x.Max(a, keep)) (fun x a keep -> x.Max(a, keep)) Dual.maxAxes Distinct
          // max over nothing has no value (refused, as in PyTorch): over non-empty axes only
          |> OpSpec.onEmpty
              [ "axis 0 of a leading axis of 1", (fun x -> (withLeadingOne x).Max(0, false))
                "axes [0] keepDim of a leading axis of 1", (fun x -> (withLeadingOne x).Max([| 0 |], true)) ]
          |> OpSpec.withReferences
              (onReductionMatrix [ "over all", (fun x -> x.Max()), [| 6.0 |]; "axis 0", (fun x -> x.Max(0)), [| 4.0; 5.0; 6.0 |]
                                   "axis -1", (fun x -> x.Max(-1)), [| 5.0; 6.0 |] ])
          |> OpSpec.withReferences
              [ Reference.valuesOf "over all" (fun () -> [| reductionMatrix () |]) (fun x -> x[0].Max()) Exact [| 6.0 |] |> Reference.inFloat32
                Reference.gradient "tied maxima share the gradient evenly" [| 2.0; 7.0; 7.0; 1.0 |] (fun x -> x.Max()) (Within 1e-12) [| 0.0; 0.5; 0.5; 0.0 |] ]
          |> OpSpec.withErrors
              [ ErrorInput.throws<ArgumentException> "over an empty tensor (no value, as in PyTorch)" (fun () -> Tensor.Zeros(Shape(0, 3)).Max()) [ "max" ] ]
          OpRows.reduction "min" (fun x -> x.Min()) (fun x a keep -> x.Min(a, keep)) (fun x a keep -> x.Min(a, keep)) Dual.minAxes Distinct
          // min over nothing has no value (refused, as in PyTorch): over non-empty axes only
          |> OpSpec.onEmpty
              [ "axis 0 of a leading axis of 1", (fun x -> (withLeadingOne x).Min(0, false))
                "axes [0] keepDim of a leading axis of 1", (fun x -> (withLeadingOne x).Min([| 0 |], true)) ]
          |> OpSpec.withReferences
              (onReductionMatrix [ "over all", (fun x -> x.Min()), [| 1.0 |]; "axis 1", (fun x -> x.Min(1)), [| 1.0; 2.0 |]
                                   "axis 0", (fun x -> x.Min(0)), [| 1.0; 2.0; 3.0 |] ])
          OpRows.alongAxis "softmax" false (fun x a _ -> x.Softmax(a)) (fun a _ x -> Dual.softmax a x)
          OpRows.alongAxis "log_softmax" false (fun x a _ -> x.LogSoftmax(a)) (fun a _ x -> Dual.logSoftmax a x)
          OpRows.alongAxis "logsumexp" true (fun x a keep -> x.LogSumExp(a, keep)) (fun a keep x -> Dual.logSumExp a keep x)
          reshape
          transpose
          permute
          expand
          sumTo
          narrow
          narrowBackward
          select
          indexSelect
          indexAdd
          concat
          stack
          split
          chunk ]

    /// <summary>Every row: the core ops, convolution and pooling, the fused recurrent sequences.</summary>
    [<CompiledName("Rows")>]
    let rows () : OpSpec list = core @ ConvolutionRows.rows @ RecurrentRows.rows

    /// <summary>The row of the given name.</summary>
    [<CompiledName("Find")>]
    let find (name: string) = rows () |> List.tryFind (fun spec -> spec.Name = name)

    /// <summary>The ops of <c>Operations.Names</c> no row records (empty when the table is complete).</summary>
    [<CompiledName("Missing")>]
    let missing () =
        let recorded = rows () |> List.collect (fun spec -> spec.Records) |> set
        Operations.Names |> Seq.filter (fun name -> not (recorded.Contains name)) |> List.ofSeq

    /// <summary>The calls of the empty-tensor sweep, of every row that gives them (see <c>EmptyCases</c>).</summary>
    [<CompiledName("EmptyCalls")>]
    let emptyCalls () =
        rows ()
        |> List.collect (fun spec ->
            match spec.Empty with
            | Some(Calls calls) -> calls |> List.map (fun (form, apply) -> { Row = spec.Name; Form = form; Apply = apply })
            | _ -> [])

    /// <summary>The rows that do not say how the empty-tensor sweep meets them (empty when every row says).</summary>
    [<CompiledName("WithoutEmptyCases")>]
    let withoutEmptyCases () = rows () |> List.filter (fun spec -> spec.Empty.IsNone) |> List.map (fun spec -> spec.Name)

    /// <summary>The fixed cases of every row (e.g. each reduction over each axis of a [2,3,4] tensor).</summary>
    [<CompiledName("FixedCases")>]
    let fixedCases () = rows () |> List.collect (fun spec -> spec.Fixed ())

    /// <summary>One fixed draw of every row (seeded by the row's name): the op cases of <c>verify</c>.</summary>
    [<CompiledName("FixedSamples")>]
    let fixedSamples () = rows () |> List.map (fun spec -> spec.Draw(Random(OpSpec.seedOf spec.Name)))
