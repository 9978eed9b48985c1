namespace AutoDiffRnn.FSharp

open System
open System.Globalization
open AutoDiffRnn

/// <summary>
/// A float64 tensor carrying a tangent: the value of a computation (<c>Primal</c>) together with its directional
/// derivative (<c>Tangent</c>, same shape) along the direction the inputs' tangents were seeded with.
/// This is the value type of the forward-mode engine: every function of the <see cref="T:AutoDiffRnn.FSharp.DualModule"/>
/// module propagates both, from the mathematics of the operation (it shares no code with the C# kernels).
/// </summary>
/// <remarks>Storage is row-major and contiguous; a scalar has shape <c>[||]</c> and one element.</remarks>
[<NoComparison>]
type Dual =
    {
      /// <summary>The size along each dimension, outermost first.</summary>
      Shape: int[]
      /// <summary>The values, row-major.</summary>
      Primal: float[]
      /// <summary>The directional derivatives of the values, row-major.</summary>
      Tangent: float[] }

    /// <summary>The number of dimensions.</summary>
    member this.Rank = this.Shape.Length

    /// <summary>The number of elements.</summary>
    member this.Count = this.Primal.Length

    /// <summary>The shape and the first values of the primal and the tangent.</summary>
    override this.ToString() =
        let preview (values: float[]) =
            let shown = values |> Array.truncate 8 |> Array.map (fun v -> v.ToString("G6", CultureInfo.InvariantCulture))
            "[" + String.Join(", ", shown) + (if values.Length > 8 then ", ..." else "") + "]"
        $"dual(shape={Layout.show this.Shape}, primal={preview this.Primal}, tangent={preview this.Tangent})"

/// <summary>
/// The forward-mode engine's reference implementation of every operation of the core op set, on <see cref="T:AutoDiffRnn.FSharp.Dual"/>
/// values in float64. Each operation computes its value and pushes the tangent through its derivative
/// (element-wise: f'(x)·ẋ; bilinear: ȧ·b + a·ḃ; structural: the same index map applied to the tangent).
/// Functions take the tensor they act on last, for pipelines: <c>x |> Dual.sumAxis 1 false |> Dual.tanh</c>.
/// </summary>
[<RequireQualifiedAccess; CompilationRepresentation(CompilationRepresentationFlags.ModuleSuffix)>]
module Dual =

    let private show = Layout.show

    // ---------------------------------------------------------------------------------------------------------------
    // Construction and conversion

    /// <summary>A dual from its shape, values and tangent.</summary>
    [<CompiledName("Create")>]
    let create (shape: int[]) (primal: float[]) (tangent: float[]) =
        if shape |> Array.exists (fun size -> size < 0) then
            invalidArg "shape" $"dual: dimension sizes must be non-negative, got {show shape}"
        if primal.Length <> Layout.count shape || tangent.Length <> primal.Length then
            invalidArg "primal" $"dual: shape {show shape} needs {Layout.count shape} values, got {primal.Length} values and {tangent.Length} tangents"
        { Shape = Array.copy shape; Primal = primal; Tangent = tangent }

    /// <summary>A constant: the given values with a zero tangent.</summary>
    [<CompiledName("Constant")>]
    let constant (shape: int[]) (values: float[]) = create shape values (Array.zeroCreate values.Length)

    /// <summary>A rank-0 constant.</summary>
    [<CompiledName("Scalar")>]
    let scalar (value: float) = constant [||] [| value |]

    /// <summary>A constant with the shape and values of a C# tensor (read through its public API, converted to float64).</summary>
    [<CompiledName("OfTensor")>]
    let ofTensor (tensor: Tensor) = constant (tensor.Shape.ToArray()) (tensor.ToDoubleArray())

    /// <summary>The same values with another tangent (of the same length).</summary>
    [<CompiledName("WithTangent")>]
    let withTangent (tangent: float[]) (x: Dual) = create x.Shape x.Primal tangent

    /// <summary>The primal as a float64 C# tensor.</summary>
    [<CompiledName("PrimalTensor")>]
    let primalTensor (x: Dual) = Tensor.FromArray(Array.copy x.Primal, Shape(x.Shape))

    /// <summary>The tangent as a float64 C# tensor.</summary>
    [<CompiledName("TangentTensor")>]
    let tangentTensor (x: Dual) = Tensor.FromArray(Array.copy x.Tangent, Shape(x.Shape))

    // ---------------------------------------------------------------------------------------------------------------
    // Building blocks

    /// Output element k is x's element source[k]: a linear map, applied alike to primal and tangent.
    let internal gather (shape: int[]) (source: int[]) (x: Dual) =
        { Shape = shape
          Primal = source |> Array.map (fun i -> x.Primal[i])
          Tangent = source |> Array.map (fun i -> x.Tangent[i]) }

    /// Input element k is added into output element target[k]: the adjoint of a gather.
    let internal scatterAdd (shape: int[]) (target: int[]) (x: Dual) =
        let primal = Array.zeroCreate (Layout.count shape)
        let tangent = Array.zeroCreate (Layout.count shape)
        for k in 0 .. target.Length - 1 do
            primal[target[k]] <- primal[target[k]] + x.Primal[k]
            tangent[target[k]] <- tangent[target[k]] + x.Tangent[k]
        { Shape = shape; Primal = primal; Tangent = tangent }

    /// <summary>y = f(x) element-wise; ẏ = derivative(x, y) · ẋ: the reference of an element-wise op in one line.</summary>
    [<CompiledName("Pointwise")>]
    let pointwise (f: float -> float) (derivative: float -> float -> float) (x: Dual) =
        let primal = Array.map f x.Primal
        { Shape = x.Shape
          Primal = primal
          Tangent = Array.init primal.Length (fun k -> derivative x.Primal[k] primal[k] * x.Tangent[k]) }

    /// y = f(a, b) element-wise with broadcasting; ẏ = ∂f/∂a · ȧ + ∂f/∂b · ḃ (the partials get a, b and y).
    let internal binary (operation: string) (f: float -> float -> float)
                        (partialA: float -> float -> float -> float) (partialB: float -> float -> float -> float)
                        (a: Dual) (b: Dual) =
        let shape = Layout.broadcastShapes operation a.Shape b.Shape
        let sourceA = Layout.broadcastSource a.Shape shape
        let sourceB = Layout.broadcastSource b.Shape shape
        let primal = Array.init (Layout.count shape) (fun k -> f a.Primal[sourceA[k]] b.Primal[sourceB[k]])
        let tangent =
            Array.init primal.Length (fun k ->
                let va, vb = a.Primal[sourceA[k]], b.Primal[sourceB[k]]
                partialA va vb primal[k] * a.Tangent[sourceA[k]] + partialB va vb primal[k] * b.Tangent[sourceB[k]])
        { Shape = shape; Primal = primal; Tangent = tangent }

    // ---------------------------------------------------------------------------------------------------------------
    // Arithmetic

    /// <summary>a + b with broadcasting.</summary>
    [<CompiledName("Add")>]
    let add a b = binary "add" (+) (fun _ _ _ -> 1.0) (fun _ _ _ -> 1.0) a b

    /// <summary>a − b with broadcasting.</summary>
    [<CompiledName("Subtract")>]
    let sub a b = binary "sub" (-) (fun _ _ _ -> 1.0) (fun _ _ _ -> -1.0) a b

    /// <summary>a · b element-wise with broadcasting: (a·b)˙ = ȧ·b + a·ḃ.</summary>
    [<CompiledName("Multiply")>]
    let mul a b = binary "mul" (*) (fun _ vb _ -> vb) (fun va _ _ -> va) a b

    /// <summary>a / b element-wise with broadcasting: (a/b)˙ = ȧ/b − (a/b)·ḃ/b.</summary>
    [<CompiledName("Divide")>]
    let div a b = binary "div" (/) (fun _ vb _ -> 1.0 / vb) (fun _ vb y -> -y / vb) a b

    /// <summary>−x.</summary>
    [<CompiledName("Negate")>]
    let neg x = pointwise (fun v -> -v) (fun _ _ -> -1.0) x

    /// <summary>x raised to a constant power: (xᵉ)˙ = e·xᵉ⁻¹·ẋ (zero for e = 0).</summary>
    [<CompiledName("Pow")>]
    let pow (exponent: float) x =
        pointwise (fun v -> Math.Pow(v, exponent))
                  (fun v _ -> if exponent = 0.0 then 0.0 else exponent * Math.Pow(v, exponent - 1.0)) x

    // ---------------------------------------------------------------------------------------------------------------
    // Element-wise functions

    /// <summary>eˣ: derivative eˣ.</summary>
    [<CompiledName("Exp")>]
    let exp x = pointwise Math.Exp (fun _ y -> y) x

    /// <summary>The natural logarithm: derivative 1/x.</summary>
    [<CompiledName("Log")>]
    let log x = pointwise Math.Log (fun v _ -> 1.0 / v) x

    /// <summary>The square root: derivative 1/(2√x).</summary>
    [<CompiledName("Sqrt")>]
    let sqrt x = pointwise Math.Sqrt (fun _ y -> 0.5 / y) x

    /// <summary>|x|: derivative sign(x), 0 at 0.</summary>
    [<CompiledName("Abs")>]
    let abs x = pointwise Math.Abs (fun v _ -> float (sign v)) x

    /// <summary>The hyperbolic tangent: derivative 1 − tanh²(x).</summary>
    [<CompiledName("Tanh")>]
    let tanh x = pointwise Math.Tanh (fun _ y -> 1.0 - y * y) x

    /// <summary>The logistic function 1/(1+e⁻ˣ): derivative σ(x)(1 − σ(x)).</summary>
    [<CompiledName("Sigmoid")>]
    let sigmoid x =
        let logistic v = if v >= 0.0 then 1.0 / (1.0 + Math.Exp(-v)) else let e = Math.Exp v in e / (1.0 + e)
        pointwise logistic (fun _ y -> y * (1.0 - y)) x

    /// <summary>max(x, 0): derivative 1 for x &gt; 0, else 0.</summary>
    [<CompiledName("Relu")>]
    let relu x = pointwise (fun v -> if v > 0.0 then v else 0.0) (fun v _ -> if v > 0.0 then 1.0 else 0.0) x

    /// <summary>x for x &gt; 0, slope·x otherwise: derivative 1 or slope.</summary>
    [<CompiledName("LeakyRelu")>]
    let leakyRelu (slope: float) x =
        pointwise (fun v -> if v > 0.0 then v else slope * v) (fun v _ -> if v > 0.0 then 1.0 else slope) x

    /// <summary>x limited to [minimum, maximum] (either bound optional): derivative 1 inside the bounds, 0 outside.</summary>
    [<CompiledName("Clamp")>]
    let clamp (minimum: float option) (maximum: float option) x =
        let low = defaultArg minimum Double.NegativeInfinity
        let high = defaultArg maximum Double.PositiveInfinity
        pointwise (fun v -> Math.Min(Math.Max(v, low), high)) (fun v _ -> if v >= low && v <= high then 1.0 else 0.0) x

    /// <summary>
    /// a where the condition is non-zero, b elsewhere, with broadcasting over all three; the condition's tangent is ignored.
    /// </summary>
    [<CompiledName("Where")>]
    let where (condition: Dual) (a: Dual) (b: Dual) =
        let shape = Layout.broadcastShapes "where" (Layout.broadcastShapes "where" condition.Shape a.Shape) b.Shape
        let sourceC = Layout.broadcastSource condition.Shape shape
        let sourceA = Layout.broadcastSource a.Shape shape
        let sourceB = Layout.broadcastSource b.Shape shape
        let pick (fromA: float[]) (fromB: float[]) k = if condition.Primal[sourceC[k]] <> 0.0 then fromA[sourceA[k]] else fromB[sourceB[k]]
        { Shape = shape
          Primal = Array.init (Layout.count shape) (pick a.Primal b.Primal)
          Tangent = Array.init (Layout.count shape) (pick a.Tangent b.Tangent) }

    /// <summary>
    /// Inverted dropout with a given mask (1 keeps an element, 0 drops it): x · mask / (1 − p), zeros when p = 1.
    /// </summary>
    [<CompiledName("Dropout")>]
    let dropout (mask: float[]) (probability: float) (x: Dual) =
        if mask.Length <> x.Count then
            invalidArg "mask" $"dropout: the mask has {mask.Length} elements but the input {show x.Shape} has {x.Count}"
        if not (probability >= 0.0 && probability <= 1.0) then
            invalidArg "probability" $"dropout: the probability must be in [0, 1], got {probability}"
        let scale = if probability = 1.0 then 0.0 else 1.0 / (1.0 - probability)
        { Shape = x.Shape
          Primal = Array.init x.Count (fun k -> x.Primal[k] * mask[k] * scale)
          Tangent = Array.init x.Count (fun k -> x.Tangent[k] * mask[k] * scale) }

    /// <summary>
    /// Conversion to an element type: to float32 rounds the value and the tangent to float32 precision (the derivative of a
    /// conversion is the identity, converted); to float64 changes nothing.
    /// </summary>
    [<CompiledName("Convert")>]
    let convert (dtype: DType) (x: Dual) =
        match dtype with
        | DType.Float32 -> { x with Primal = x.Primal |> Array.map (float32 >> float); Tangent = x.Tangent |> Array.map (float32 >> float) }
        | _ -> x

    // ---------------------------------------------------------------------------------------------------------------
    // Linear algebra

    /// <summary>
    /// op(a) · op(b) for 2-D matrices or 3-D batches (a 2-D operand is shared by every batch entry), where op transposes
    /// the last two dimensions when asked. (AB)˙ = ȦB + AḂ.
    /// </summary>
    [<CompiledName("MatMulTransposed")>]
    let matmulWith (transposeA: bool) (transposeB: bool) (a: Dual) (b: Dual) =
        if a.Rank < 2 || a.Rank > 3 || b.Rank < 2 || b.Rank > 3 then
            invalidArg "a" $"matmul: operands must be 2-D or 3-D, got {show a.Shape} and {show b.Shape}"
        let batchA = if a.Rank = 3 then a.Shape[0] else 1
        let batchB = if b.Rank = 3 then b.Shape[0] else 1
        if a.Rank = 3 && b.Rank = 3 && batchA <> batchB then
            invalidArg "b" $"matmul: batch sizes differ: {show a.Shape} and {show b.Shape}"
        let rowsA, columnsA = a.Shape[a.Rank - 2], a.Shape[a.Rank - 1]
        let rowsB, columnsB = b.Shape[b.Rank - 2], b.Shape[b.Rank - 1]
        let m, inner = if transposeA then columnsA, rowsA else rowsA, columnsA
        let innerB, n = if transposeB then columnsB, rowsB else rowsB, columnsB
        if inner <> innerB then
            invalidArg "b" $"matmul: cannot multiply {show a.Shape} by {show b.Shape}: inner dimensions {inner} and {innerB} differ"
        let batch = Operators.max batchA batchB
        let shape = if a.Rank = 3 || b.Rank = 3 then [| batch; m; n |] else [| m; n |]
        let elementA (values: float[]) entry i k =
            let offset = (if batchA = 1 then 0 else entry) * rowsA * columnsA
            if transposeA then values[offset + k * columnsA + i] else values[offset + i * columnsA + k]
        let elementB (values: float[]) entry k j =
            let offset = (if batchB = 1 then 0 else entry) * rowsB * columnsB
            if transposeB then values[offset + j * columnsB + k] else values[offset + k * columnsB + j]
        let primal = Array.zeroCreate (batch * m * n)
        let tangent = Array.zeroCreate (batch * m * n)
        for entry in 0 .. batch - 1 do
            for i in 0 .. m - 1 do
                for j in 0 .. n - 1 do
                    let mutable value = 0.0
                    let mutable derivative = 0.0
                    for k in 0 .. inner - 1 do
                        let va, vb = elementA a.Primal entry i k, elementB b.Primal entry k j
                        value <- value + va * vb
                        derivative <- derivative + elementA a.Tangent entry i k * vb + va * elementB b.Tangent entry k j
                    primal[(entry * m + i) * n + j] <- value
                    tangent[(entry * m + i) * n + j] <- derivative
        { Shape = shape; Primal = primal; Tangent = tangent }

    /// <summary>The matrix product a · b (2-D, or batched 3-D).</summary>
    [<CompiledName("MatMul")>]
    let matmul a b = matmulWith false false a b

    /// <summary>
    /// A fully connected layer as in PyTorch: input [..., in] times weightᵀ (weight [out, in]) plus bias [out] if given.
    /// </summary>
    [<CompiledName("Linear")>]
    let linear (input: Dual) (weight: Dual) (bias: Dual option) =
        if input.Rank < 1 || weight.Rank <> 2 || input.Shape[input.Rank - 1] <> weight.Shape[1] then
            invalidArg "weight" $"linear: input {show input.Shape} does not match weight {show weight.Shape} (expected [out, {(if input.Rank > 0 then input.Shape[input.Rank - 1] else 0)}])"
        let features, outputs = weight.Shape[1], weight.Shape[0]
        match bias with
        | Some b when b.Shape <> [| outputs |] ->
            invalidArg "bias" $"linear: bias {show b.Shape} does not match weight {show weight.Shape} (expected [{outputs}])"
        | _ -> ()
        let rows = input.Count / Operators.max features 1
        let shape = Array.append input.Shape[.. input.Rank - 2] [| outputs |]
        let primal = Array.zeroCreate (rows * outputs)
        let tangent = Array.zeroCreate (rows * outputs)
        for r in 0 .. rows - 1 do
            for o in 0 .. outputs - 1 do
                let mutable value = match bias with Some b -> b.Primal[o] | None -> 0.0
                let mutable derivative = match bias with Some b -> b.Tangent[o] | None -> 0.0
                for i in 0 .. features - 1 do
                    let x, w = input.Primal[r * features + i], weight.Primal[o * features + i]
                    value <- value + x * w
                    derivative <- derivative + input.Tangent[r * features + i] * w + x * weight.Tangent[o * features + i]
                primal[r * outputs + o] <- value
                tangent[r * outputs + o] <- derivative
        { Shape = shape; Primal = primal; Tangent = tangent }

    // ---------------------------------------------------------------------------------------------------------------
    // Reductions

    let private allAxes (x: Dual) = Array.init x.Rank id

    /// <summary>The sum over the given axes; keepDim keeps them with size 1.</summary>
    [<CompiledName("SumAxes")>]
    let sumAxes (axes: int[]) (keepDim: bool) (x: Dual) =
        let reduced = Layout.reducedAxes "sum" x.Shape axes
        let summed = scatterAdd (Layout.reducedShape x.Shape reduced true) (Layout.reductionTarget x.Shape reduced) x
        { summed with Shape = Layout.reducedShape x.Shape reduced keepDim }

    /// <summary>The sum over one axis.</summary>
    [<CompiledName("SumAxis")>]
    let sumAxis (axis: int) (keepDim: bool) x = sumAxes [| axis |] keepDim x

    /// <summary>The sum of all elements, as a scalar.</summary>
    [<CompiledName("Sum")>]
    let sum x = sumAxes (allAxes x) false x

    /// <summary>The mean over the given axes: the sum divided by the number of elements reduced.</summary>
    [<CompiledName("MeanAxes")>]
    let meanAxes (axes: int[]) (keepDim: bool) (x: Dual) =
        let reduced = Layout.reducedAxes "mean" x.Shape axes
        let reducedCount = x.Shape |> Array.indexed |> Array.fold (fun product (axis, size) -> if reduced[axis] then product * size else product) 1
        let summed = sumAxes axes keepDim x
        let scale = 1.0 / float reducedCount
        { summed with Primal = summed.Primal |> Array.map ((*) scale); Tangent = summed.Tangent |> Array.map ((*) scale) }

    /// <summary>The mean over one axis.</summary>
    [<CompiledName("MeanAxis")>]
    let meanAxis (axis: int) (keepDim: bool) x = meanAxes [| axis |] keepDim x

    /// <summary>The mean of all elements, as a scalar.</summary>
    [<CompiledName("Mean")>]
    let mean x = meanAxes (allAxes x) false x

    /// <summary>
    /// Layer normalisation over the last axis, composed of the ops above: (x − mean) / √(biased var + ε), times weight, plus bias
    /// (each optional, [D]), as torch.nn.functional.layer_norm.
    /// </summary>
    [<CompiledName("LayerNorm")>]
    let layerNorm (epsilon: float) (weight: Dual option) (bias: Dual option) (x: Dual) =
        let axis = x.Rank - 1
        let centered = sub x (meanAxis axis true x)
        let normalized = div centered (sqrt (add (meanAxis axis true (mul centered centered)) (scalar epsilon)))
        let scaled = match weight with Some w -> mul normalized w | None -> normalized
        match bias with Some b -> add scaled b | None -> scaled

    /// The extreme (by better) over the given axes; the tangent is the mean of the tangents at the extreme (ties share it).
    let private extremeAxes (operation: string) (better: float -> float -> bool) (axes: int[]) (keepDim: bool) (x: Dual) =
        if x.Count = 0 then invalidArg "x" $"{operation}: cannot reduce an empty tensor of shape {show x.Shape}"
        let reduced = Layout.reducedAxes operation x.Shape axes
        let target = Layout.reductionTarget x.Shape reduced
        let count = Layout.count (Layout.reducedShape x.Shape reduced true)
        let best = Array.create count Double.NaN
        for k in 0 .. x.Count - 1 do
            if Double.IsNaN best[target[k]] || better x.Primal[k] best[target[k]] then best[target[k]] <- x.Primal[k]
        let ties = Array.zeroCreate count
        let tangent = Array.zeroCreate count
        for k in 0 .. x.Count - 1 do
            if x.Primal[k] = best[target[k]] then
                ties[target[k]] <- ties[target[k]] + 1.0
                tangent[target[k]] <- tangent[target[k]] + x.Tangent[k]
        { Shape = Layout.reducedShape x.Shape reduced keepDim
          Primal = best
          Tangent = Array.map2 (/) tangent ties }

    /// <summary>The maximum over the given axes; its tangent is the tangent at the maximum (averaged over ties).</summary>
    [<CompiledName("MaxAxes")>]
    let maxAxes (axes: int[]) (keepDim: bool) x = extremeAxes "max" (>) axes keepDim x

    /// <summary>The maximum over one axis.</summary>
    [<CompiledName("MaxAxis")>]
    let maxAxis (axis: int) (keepDim: bool) x = maxAxes [| axis |] keepDim x

    /// <summary>The maximum of all elements, as a scalar.</summary>
    [<CompiledName("Max")>]
    let max x = maxAxes (allAxes x) false x

    /// <summary>The minimum over the given axes; its tangent is the tangent at the minimum (averaged over ties).</summary>
    [<CompiledName("MinAxes")>]
    let minAxes (axes: int[]) (keepDim: bool) x = extremeAxes "min" (<) axes keepDim x

    /// <summary>The minimum over one axis.</summary>
    [<CompiledName("MinAxis")>]
    let minAxis (axis: int) (keepDim: bool) x = minAxes [| axis |] keepDim x

    /// <summary>The minimum of all elements, as a scalar.</summary>
    [<CompiledName("Min")>]
    let min x = minAxes (allAxes x) false x

    /// Per group of elements along the reduced axes: the group of every element, the group maxima, and Σ exp(x − max).
    let private exponentialSums (operation: string) (axes: int[]) (x: Dual) =
        let reduced = Layout.reducedAxes operation x.Shape axes
        let target = Layout.reductionTarget x.Shape reduced
        let count = Layout.count (Layout.reducedShape x.Shape reduced true)
        let maxima = Array.create count Double.NegativeInfinity
        for k in 0 .. x.Count - 1 do maxima[target[k]] <- Math.Max(maxima[target[k]], x.Primal[k])
        let sums = Array.zeroCreate count
        for k in 0 .. x.Count - 1 do sums[target[k]] <- sums[target[k]] + Math.Exp(x.Primal[k] - maxima[target[k]])
        let probabilities = Array.init x.Count (fun k -> Math.Exp(x.Primal[k] - maxima[target[k]]) / sums[target[k]])
        // Σ softmax · ẋ per group: the tangent of log Σ exp.
        let expectedTangent = Array.zeroCreate count
        for k in 0 .. x.Count - 1 do expectedTangent[target[k]] <- expectedTangent[target[k]] + probabilities[k] * x.Tangent[k]
        reduced, target, maxima, sums, probabilities, expectedTangent

    /// <summary>softmax along an axis: y = eˣ / Σ eˣ, ẏ = y · (ẋ − Σ y·ẋ).</summary>
    [<CompiledName("Softmax")>]
    let softmax (axis: int) (x: Dual) =
        let _, target, _, _, probabilities, expected = exponentialSums "softmax" [| axis |] x
        { Shape = x.Shape
          Primal = probabilities
          Tangent = Array.init x.Count (fun k -> probabilities[k] * (x.Tangent[k] - expected[target[k]])) }

    /// <summary>log-softmax along an axis: y = x − log Σ eˣ, ẏ = ẋ − Σ softmax·ẋ.</summary>
    [<CompiledName("LogSoftmax")>]
    let logSoftmax (axis: int) (x: Dual) =
        let _, target, maxima, sums, _, expected = exponentialSums "log_softmax" [| axis |] x
        { Shape = x.Shape
          Primal = Array.init x.Count (fun k -> x.Primal[k] - maxima[target[k]] - Math.Log sums[target[k]])
          Tangent = Array.init x.Count (fun k -> x.Tangent[k] - expected[target[k]]) }

    /// <summary>log Σ eˣ over the given axes (computed stably from the maximum); its tangent is Σ softmax·ẋ.</summary>
    [<CompiledName("LogSumExpAxes")>]
    let logSumExpAxes (axes: int[]) (keepDim: bool) (x: Dual) =
        let reduced, _, maxima, sums, _, expected = exponentialSums "logsumexp" axes x
        { Shape = Layout.reducedShape x.Shape reduced keepDim
          Primal = Array.map2 (fun m s -> m + Math.Log s) maxima sums
          Tangent = expected }

    /// <summary>log Σ eˣ over one axis.</summary>
    [<CompiledName("LogSumExp")>]
    let logSumExp (axis: int) (keepDim: bool) x = logSumExpAxes [| axis |] keepDim x

    // ---------------------------------------------------------------------------------------------------------------
    // Shape operations (linear maps: the tangent moves exactly like the value)

    /// <summary>The same elements in row-major order under a new shape; one size may be −1 to be inferred.</summary>
    [<CompiledName("Reshape")>]
    let reshape (shape: int[]) (x: Dual) =
        let known = shape |> Array.filter (fun size -> size <> -1) |> Layout.count
        let inferred = shape |> Array.filter (fun size -> size = -1) |> Array.length
        if inferred > 1 || shape |> Array.exists (fun size -> size < -1) then
            invalidArg "shape" $"reshape: invalid target shape {show shape}"
        let resolved =
            if inferred = 0 then shape
            elif known = 0 || x.Count % known <> 0 then invalidArg "shape" $"reshape: cannot reshape {show x.Shape} to {show shape}"
            else shape |> Array.map (fun size -> if size = -1 then x.Count / known else size)
        if Layout.count resolved <> x.Count then
            invalidArg "shape" $"reshape: cannot reshape {show x.Shape} ({x.Count} elements) to {show resolved}"
        { x with Shape = resolved }

    /// <summary>The dimensions reordered: output axis i is input axis axes[i].</summary>
    [<CompiledName("Permute")>]
    let permute (axes: int[]) (x: Dual) =
        let normalized = axes |> Array.map (Layout.normalizeAxis "permute" x.Shape)
        if normalized.Length <> x.Rank || (Array.sort normalized) <> Array.init x.Rank id then
            invalidArg "axes" $"permute: {show axes} is not a permutation of the {x.Rank} axes of {show x.Shape}"
        gather (normalized |> Array.map (fun axis -> x.Shape[axis])) (Layout.permuteSource x.Shape normalized) x

    /// <summary>Two dimensions swapped.</summary>
    [<CompiledName("Transpose")>]
    let transpose (axis0: int) (axis1: int) (x: Dual) =
        let first, second = Layout.normalizeAxis "transpose" x.Shape axis0, Layout.normalizeAxis "transpose" x.Shape axis1
        let axes = Array.init x.Rank id
        axes[first] <- second
        axes[second] <- first
        permute axes x

    /// <summary>x broadcast to a larger shape (NumPy rules).</summary>
    [<CompiledName("Expand")>]
    let expand (shape: int[]) (x: Dual) =
        if not (Layout.broadcastsTo x.Shape shape) then
            invalidArg "shape" $"expand: cannot broadcast shape {show x.Shape} to {show shape}"
        gather (Array.copy shape) (Layout.broadcastSource x.Shape shape) x

    /// <summary>x summed over the dimensions along which shape broadcasts to x's shape: the adjoint of expand.</summary>
    [<CompiledName("SumTo")>]
    let sumTo (shape: int[]) (x: Dual) =
        if not (Layout.broadcastsTo shape x.Shape) then
            invalidArg "shape" $"sum_to: shape {show shape} does not broadcast to {show x.Shape}"
        scatterAdd (Array.copy shape) (Layout.broadcastSource shape x.Shape) x

    /// <summary>The elements whose index along axis is in [start, start + length).</summary>
    [<CompiledName("Narrow")>]
    let narrow (axis: int) (start: int) (length: int) (x: Dual) =
        let axis = Layout.normalizeAxis "narrow" x.Shape axis
        if start < 0 || length < 0 || start + length > x.Shape[axis] then
            invalidArg "start" $"narrow: [{start}, {start + length}) is outside dimension {axis} of {show x.Shape}"
        let shape, source = Layout.indexSource x.Shape axis (Array.init length (fun i -> start + i))
        gather shape source x

    /// <summary>The slice at index along axis (negative indices count from the end), with that axis removed.</summary>
    [<CompiledName("Select")>]
    let select (axis: int) (index: int) (x: Dual) =
        let axis = Layout.normalizeAxis "select" x.Shape axis
        let position = if index < 0 then index + x.Shape[axis] else index
        if position < 0 || position >= x.Shape[axis] then
            invalidArg "index" $"select: index {index} is outside dimension {axis} of {show x.Shape}"
        let narrowed = narrow axis position 1 x
        { narrowed with Shape = x.Shape |> Array.removeAt axis }

    /// <summary>
    /// The adjoint of narrow: a tensor of the given shape, zero except for slice placed at [start, start + length) along axis.
    /// </summary>
    [<CompiledName("NarrowBackward")>]
    let narrowBackward (shape: int[]) (axis: int) (start: int) (slice: Dual) =
        let axis = Layout.normalizeAxis "narrow_backward" shape axis
        let length = slice.Shape[axis]
        let sliceShape, source = Layout.indexSource shape axis (Array.init length (fun i -> start + i))
        if sliceShape <> slice.Shape then
            invalidArg "slice" $"narrow_backward: a slice {show slice.Shape} at {start} does not fit axis {axis} of {show shape}"
        scatterAdd (Array.copy shape) source slice

    /// <summary>The slices at the given indices along axis, in that order (indices may repeat).</summary>
    [<CompiledName("IndexSelect")>]
    let indexSelect (axis: int) (indices: int[]) (x: Dual) =
        let axis = Layout.normalizeAxis "index_select" x.Shape axis
        for index in indices do
            if index < 0 || index >= x.Shape[axis] then
                invalidArg "indices" $"index_select: index {index} is outside dimension {axis} of {show x.Shape}"
        let shape, source = Layout.indexSource x.Shape axis indices
        gather shape source x

    /// <summary>
    /// The adjoint of indexSelect: zeros of the given shape with the slices of source added at the indices along axis
    /// (repeated indices accumulate).
    /// </summary>
    [<CompiledName("IndexAdd")>]
    let indexAdd (shape: int[]) (axis: int) (indices: int[]) (source: Dual) =
        let axis = Layout.normalizeAxis "index_add" shape axis
        let sourceShape, target = Layout.indexSource shape axis indices
        if sourceShape <> source.Shape then
            invalidArg "source" $"index_add: source {show source.Shape} does not match {indices.Length} indices along axis {axis} of {show shape}"
        scatterAdd (Array.copy shape) target source

    /// <summary>The tensors joined along an existing axis (all other sizes equal).</summary>
    [<CompiledName("Concat")>]
    let concat (axis: int) (xs: Dual[]) =
        if xs.Length = 0 then invalidArg "xs" "concat: needs at least one tensor"
        let first = xs[0]
        let axis = Layout.normalizeAxis "concat" first.Shape axis
        for x in xs do
            if x.Rank <> first.Rank || (x.Shape |> Array.indexed |> Array.exists (fun (i, size) -> i <> axis && size <> first.Shape[i])) then
                let shapes = xs |> Array.map (fun x -> show x.Shape) |> String.concat " "
                invalidArg "xs" $"concat: shapes {shapes} differ outside axis {axis}"
        let shape = Array.copy first.Shape
        shape[axis] <- xs |> Array.sumBy (fun x -> x.Shape[axis])
        let starts = xs |> Array.scan (fun start x -> start + x.Shape[axis]) 0
        let offsets = xs |> Array.scan (fun offset x -> offset + x.Count) 0
        let source =
            Array.init (Layout.count shape) (fun flat ->
                let index = Layout.unravel shape flat
                let part = (Array.findIndexBack (fun start -> start <= index[axis]) starts[.. xs.Length - 1])
                index[axis] <- index[axis] - starts[part]
                offsets[part] + Layout.ravel xs[part].Shape index)
        let joined = { Shape = [| offsets[xs.Length] |]
                       Primal = xs |> Array.collect (fun x -> x.Primal)
                       Tangent = xs |> Array.collect (fun x -> x.Tangent) }
        gather shape source joined

    /// <summary>The tensors (all of one shape) stacked along a new axis inserted at position axis (0 .. rank).</summary>
    [<CompiledName("Stack")>]
    let stack (axis: int) (xs: Dual[]) =
        if xs.Length = 0 then invalidArg "xs" "stack: needs at least one tensor"
        let rank = xs[0].Rank
        let position = if axis < 0 then axis + rank + 1 else axis
        if position < 0 || position > rank then
            invalidArg "axis" $"stack: axis {axis} is out of range for inserting into rank {rank}"
        for x in xs do
            if x.Shape <> xs[0].Shape then
                invalidArg "xs" $"stack: shapes differ: {show xs[0].Shape} and {show x.Shape}"
        xs |> Array.map (fun x -> reshape (Array.insertAt position 1 x.Shape) x) |> concat position

    /// <summary>Pieces of the given sizes along axis (the sizes must add up to the dimension).</summary>
    [<CompiledName("Split")>]
    let split (sizes: int[]) (axis: int) (x: Dual) =
        let axis = Layout.normalizeAxis "split" x.Shape axis
        if Array.sum sizes <> x.Shape[axis] || sizes |> Array.exists (fun size -> size < 0) then
            invalidArg "sizes" $"split: sizes {show sizes} do not add up to dimension {axis} of {show x.Shape}"
        let starts = sizes |> Array.scan (+) 0
        sizes |> Array.mapi (fun i size -> narrow axis starts[i] size x)

    /// <summary>Pieces of size along axis, the last one smaller if the dimension does not divide evenly.</summary>
    [<CompiledName("SplitEvery")>]
    let splitEvery (size: int) (axis: int) (x: Dual) =
        let normalized = Layout.normalizeAxis "split" x.Shape axis
        if size <= 0 then invalidArg "size" $"split: the piece size must be positive, got {size}"
        let total = x.Shape[normalized]
        let sizes = [| for start in 0 .. size .. total - 1 -> Operators.min size (total - start) |]
        split (if sizes.Length = 0 then [| 0 |] else sizes) normalized x

    /// <summary>chunks pieces along axis of size ⌈n / chunks⌉ (as in PyTorch, fewer when the sizes run out).</summary>
    [<CompiledName("Chunk")>]
    let chunk (chunks: int) (axis: int) (x: Dual) =
        if chunks <= 0 then invalidArg "chunks" $"chunk: the number of chunks must be positive, got {chunks}"
        let normalized = Layout.normalizeAxis "chunk" x.Shape axis
        let total = x.Shape[normalized]
        splitEvery (Operators.max 1 ((total + chunks - 1) / chunks)) normalized x

    // ---------------------------------------------------------------------------------------------------------------
    // Scalars

    /// <summary>x + s.</summary>
    [<CompiledName("AddScalar")>]
    let addScalar (s: float) x = add x (scalar s)

    /// <summary>x · s.</summary>
    [<CompiledName("MultiplyScalar")>]
    let mulScalar (s: float) x = mul x (scalar s)

/// Operators on duals, so reference functions read like the mathematics: a + b, a * 2.0, -x.
type Dual with
    /// <summary>a + b with broadcasting.</summary>
    static member (+) (a: Dual, b: Dual) = Dual.add a b
    /// <summary>a + s.</summary>
    static member (+) (a: Dual, s: float) = Dual.add a (Dual.scalar s)
    /// <summary>s + b.</summary>
    static member (+) (s: float, b: Dual) = Dual.add (Dual.scalar s) b
    /// <summary>a − b with broadcasting.</summary>
    static member (-) (a: Dual, b: Dual) = Dual.sub a b
    /// <summary>a − s.</summary>
    static member (-) (a: Dual, s: float) = Dual.sub a (Dual.scalar s)
    /// <summary>s − b.</summary>
    static member (-) (s: float, b: Dual) = Dual.sub (Dual.scalar s) b
    /// <summary>a · b element-wise with broadcasting.</summary>
    static member (*) (a: Dual, b: Dual) = Dual.mul a b
    /// <summary>a · s.</summary>
    static member (*) (a: Dual, s: float) = Dual.mul a (Dual.scalar s)
    /// <summary>s · b.</summary>
    static member (*) (s: float, b: Dual) = Dual.mul (Dual.scalar s) b
    /// <summary>a / b element-wise with broadcasting.</summary>
    static member (/) (a: Dual, b: Dual) = Dual.div a b
    /// <summary>a / s.</summary>
    static member (/) (a: Dual, s: float) = Dual.div a (Dual.scalar s)
    /// <summary>s / b.</summary>
    static member (/) (s: float, b: Dual) = Dual.div (Dual.scalar s) b
    /// <summary>−x.</summary>
    static member (~-) (x: Dual) = Dual.neg x
    /// <summary>x raised to a constant power (F#'s ** operator).</summary>
    static member Pow (x: Dual, exponent: float) = Dual.pow exponent x
