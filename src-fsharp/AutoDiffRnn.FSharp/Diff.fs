namespace AutoDiffRnn.FSharp

open System
open AutoDiffRnn
open AutoDiffRnn.Autodiff

type private CTensor = AutoDiffRnn.Tensor

/// <summary>
/// Functions over the C# <see cref="T:AutoDiffRnn.Tensor"/>, for F# pipelines: the tensor an operation acts on comes
/// last, so <c>x |> Tensor.matmul w |> Tensor.tanh |> Tensor.sum</c> reads left to right. Every function records on the
/// tape exactly like the C# method it calls.
/// </summary>
[<RequireQualifiedAccess; CompilationRepresentation(CompilationRepresentationFlags.ModuleSuffix)>]
module Tensor =

    // Creation and inspection

    /// <summary>A float64 tensor of the given shape holding a copy of values.</summary>
    let ofArray (shape: int[]) (values: float[]) = CTensor.FromArray(values, Shape(shape))

    /// <summary>A float64 tensor of zeros.</summary>
    let zeros (shape: int[]) = CTensor.Zeros(Shape(shape), DType.Float64)

    /// <summary>A float64 tensor of ones.</summary>
    let ones (shape: int[]) = CTensor.Ones(Shape(shape), DType.Float64)

    /// <summary>A float64 scalar (rank 0).</summary>
    let scalar (value: float) = CTensor.Scalar(value, DType.Float64)

    /// <summary>Standard normal float64 values from a seeded generator.</summary>
    let normal (seed: uint64) (shape: int[]) = CTensor.Normal(Shape(shape), 0.0, 1.0, DType.Float64, Generator(seed))

    /// <summary>Uniform float64 values in [low, high) from a seeded generator.</summary>
    let uniform (seed: uint64) (low: float) (high: float) (shape: int[]) =
        CTensor.Uniform(Shape(shape), low, high, DType.Float64, Generator(seed))

    /// <summary>The sizes of the dimensions.</summary>
    let shape (x: CTensor) = x.Shape.ToArray()

    /// <summary>The values as a new float64 array, row-major.</summary>
    let toArray (x: CTensor) = x.ToDoubleArray()

    /// <summary>The value of a one-element tensor.</summary>
    let item (x: CTensor) = x.ToScalar()

    /// <summary>Sets RequiresGrad on a leaf and returns it (PyTorch's requires_grad_()).</summary>
    let setRequiresGrad (x: CTensor) = x.SetRequiresGrad()

    /// <summary>The same values, cut from the graph.</summary>
    let detach (x: CTensor) = x.Detach()

    /// <summary>The accumulated gradient of a leaf after a backward pass, if any.</summary>
    let grad (x: CTensor) : CTensor option = match x.Grad with null -> None | gradient -> Some gradient

    /// <summary>Converts to another element type (recorded: gradients convert back).</summary>
    let convert (dtype: DType) (x: CTensor) = x.To(dtype)

    // Arithmetic

    /// <summary>a + b with broadcasting.</summary>
    let add (a: CTensor) (b: CTensor) = a + b

    /// <summary>a − b with broadcasting.</summary>
    let sub (a: CTensor) (b: CTensor) = a - b

    /// <summary>a · b element-wise with broadcasting.</summary>
    let mul (a: CTensor) (b: CTensor) = a * b

    /// <summary>−x.</summary>
    let neg (x: CTensor) = -x

    /// <summary>a / b element-wise with broadcasting.</summary>
    let div (a: CTensor) (b: CTensor) = a / b

    /// <summary>x raised to a constant power.</summary>
    let pow (exponent: float) (x: CTensor) = x.Pow(exponent)

    // Element-wise functions

    /// <summary>eˣ.</summary>
    let exp (x: CTensor) = x.Exp()

    /// <summary>The natural logarithm.</summary>
    let log (x: CTensor) = x.Log()

    /// <summary>The square root.</summary>
    let sqrt (x: CTensor) = x.Sqrt()

    /// <summary>|x|.</summary>
    let abs (x: CTensor) = x.Abs()

    /// <summary>The hyperbolic tangent.</summary>
    let tanh (x: CTensor) = x.Tanh()

    /// <summary>The logistic function 1/(1+e⁻ˣ).</summary>
    let sigmoid (x: CTensor) = x.Sigmoid()

    /// <summary>max(x, 0).</summary>
    let relu (x: CTensor) = x.Relu()

    /// <summary>x for x &gt; 0, slope·x otherwise.</summary>
    let leakyRelu (slope: float) (x: CTensor) = x.LeakyRelu(slope)

    /// <summary>log(1 + e^(β·x))/β, and x where β·x exceeds the threshold.</summary>
    let softplus (beta: float) (threshold: float) (x: CTensor) = x.Softplus(beta, threshold)

    /// <summary>x limited to [minimum, maximum]; either bound optional.</summary>
    let clamp (minimum: float option) (maximum: float option) (x: CTensor) =
        x.Clamp(Option.toNullable minimum, Option.toNullable maximum)

    /// <summary>whenTrue where the condition is non-zero, whenFalse elsewhere (broadcast).</summary>
    let where (condition: CTensor) (whenTrue: CTensor) (whenFalse: CTensor) = CTensor.Where(condition, whenTrue, whenFalse)

    /// <summary>Inverted dropout in training mode with a seeded generator (the same seed gives the same mask).</summary>
    let dropout (probability: float) (generator: Generator) (x: CTensor) = x.Dropout(probability, true, generator)

    /// <summary>A 0/1 mask of a &gt; b (not differentiable).</summary>
    let greater (b: CTensor) (a: CTensor) = a.Greater(b)

    /// <summary>A 0/1 mask of a &lt; b (not differentiable).</summary>
    let less (b: CTensor) (a: CTensor) = a.Less(b)

    // Linear algebra

    /// <summary>The matrix product a · b (2-D, or batched 3-D).</summary>
    let matmul (a: CTensor) (b: CTensor) = CTensor.MatMul(a, b)

    /// <summary>op(a) · op(b), reading either operand transposed without copying it.</summary>
    let matmulWith (transposeA: bool) (transposeB: bool) (a: CTensor) (b: CTensor) = CTensor.MatMul(a, b, transposeA, transposeB)

    /// <summary>A fully connected layer: input [*, in] times weightᵀ ([out, in]) plus the bias [out] if given.</summary>
    let linear (weight: CTensor) (bias: CTensor option) (input: CTensor) =
        CTensor.Linear(input, weight, Option.toObj bias)

    // Reductions

    /// <summary>The sum of all elements, as a scalar.</summary>
    let sum (x: CTensor) = x.Sum()

    /// <summary>The sum over one axis.</summary>
    let sumAxis (axis: int) (keepDim: bool) (x: CTensor) = x.Sum(axis, keepDim)

    /// <summary>The sum over several axes.</summary>
    let sumAxes (axes: int[]) (keepDim: bool) (x: CTensor) = x.Sum(axes, keepDim)

    /// <summary>The mean of all elements, as a scalar.</summary>
    let mean (x: CTensor) = x.Mean()

    /// <summary>The mean over one axis.</summary>
    let meanAxis (axis: int) (keepDim: bool) (x: CTensor) = x.Mean(axis, keepDim)

    /// <summary>The mean over several axes.</summary>
    let meanAxes (axes: int[]) (keepDim: bool) (x: CTensor) = x.Mean(axes, keepDim)

    /// <summary>The largest element, as a scalar.</summary>
    let max (x: CTensor) = x.Max()

    /// <summary>The largest value along one axis.</summary>
    let maxAxis (axis: int) (keepDim: bool) (x: CTensor) = x.Max(axis, keepDim)

    /// <summary>The smallest element, as a scalar.</summary>
    let min (x: CTensor) = x.Min()

    /// <summary>The smallest value along one axis.</summary>
    let minAxis (axis: int) (keepDim: bool) (x: CTensor) = x.Min(axis, keepDim)

    /// <summary>Softmax along an axis.</summary>
    let softmax (axis: int) (x: CTensor) = x.Softmax(axis)

    /// <summary>Log-softmax along an axis.</summary>
    let logSoftmax (axis: int) (x: CTensor) = x.LogSoftmax(axis)

    /// <summary>log Σ exp along an axis.</summary>
    let logSumExp (axis: int) (keepDim: bool) (x: CTensor) = x.LogSumExp(axis, keepDim)

    // Shapes

    /// <summary>The same elements under a new shape (one size may be −1).</summary>
    let reshape (shape: int[]) (x: CTensor) = x.Reshape(shape)

    /// <summary>x broadcast to a larger shape.</summary>
    let expand (shape: int[]) (x: CTensor) = x.Expand(Shape(shape))

    /// <summary>x summed down to a shape that broadcasts to it (the adjoint of expand).</summary>
    let sumTo (shape: int[]) (x: CTensor) = x.SumTo(Shape(shape))

    /// <summary>The axes reordered: output axis i is input axis axes[i].</summary>
    let permute (axes: int[]) (x: CTensor) = x.Permute(axes)

    /// <summary>Two axes swapped.</summary>
    let transpose (axis0: int) (axis1: int) (x: CTensor) = x.Transpose(axis0, axis1)

    /// <summary>The slice [start, start + length) along an axis.</summary>
    let narrow (axis: int) (start: int) (length: int) (x: CTensor) = x.Narrow(axis, start, length)

    /// <summary>The entry at index along an axis, with that axis removed.</summary>
    let select (axis: int) (index: int) (x: CTensor) = x.Select(axis, index)

    /// <summary>The slices at the given indices along an axis (an embedding lookup along axis 0).</summary>
    let indexSelect (axis: int) (indices: int[]) (x: CTensor) = x.IndexSelect(axis, indices)

    /// <summary>Tensors joined along an existing axis.</summary>
    let concat (axis: int) (xs: CTensor seq) = CTensor.Concat(Array.ofSeq xs, axis)

    /// <summary>Tensors of one shape stacked along a new axis.</summary>
    let stack (axis: int) (xs: CTensor seq) = CTensor.Stack(Array.ofSeq xs, axis)

    /// <summary>Pieces of the given sizes along an axis.</summary>
    let split (sizes: int[]) (axis: int) (x: CTensor) = x.Split(sizes, axis)

    /// <summary>chunks pieces along an axis (as torch.chunk).</summary>
    let chunk (chunks: int) (axis: int) (x: CTensor) = x.Chunk(chunks, axis)

/// <summary>F# operators on C# tensors that C# does not define (+, −, ·, unary − come from the C# operators).</summary>
[<AutoOpen>]
module TensorOperators =

    /// <summary>The matrix product a · b (2-D, or batched 3-D): <c>x *@ w + b</c>.</summary>
    let ( *@ ) (a: CTensor) (b: CTensor) = CTensor.MatMul(a, b)

    /// <summary>Every element raised to a constant power: <c>x .** 2.0</c> (F#'s ** needs a static Pow the C# type lacks).</summary>
    let ( .** ) (x: CTensor) (exponent: float) = x.Pow(exponent)

/// <summary>
/// Differentiation of functions of C# tensors through the C# tape, in the manner of DiffSharp: <c>Diff.grad f x</c>.
/// Every function works on fresh leaves (detached copies of the inputs), so calls never disturb the caller's graph or
/// gradients, and records even inside <c>GradMode.NoGrad()</c>. Forward-mode products (jvp) are computed by reverse over reverse: Jᵀu recorded as a function of u with
/// <c>Backward(createGraph = true)</c>, then differentiated with respect to u.
/// </summary>
[<RequireQualifiedAccess>]
module Diff =

    let private leaf (x: CTensor) = x.Detach().SetRequiresGrad()

    /// Records on the tape for the duration of a differentiation, even inside an enclosing GradMode.NoGrad().
    let private recording () = GradMode.Enable()

    let private gradientOrZeros (x: CTensor) = match x.Grad with null -> CTensor.ZerosLike x | gradient -> gradient

    let private requireScalar (operation: string) (y: CTensor) =
        if y.ElementCount <> 1 then
            invalidArg "f" $"{operation}: f must return a single element, got shape {y.Shape}; use vjp or jacobian for other outputs"

    let private requireShapes (operation: string) (what: string) (expected: CTensor[]) (actual: CTensor[]) =
        if expected.Length <> actual.Length then
            invalidArg what $"{operation}: {expected.Length} inputs but {actual.Length} {what}"
        for i in 0 .. expected.Length - 1 do
            if expected[i].Shape <> actual[i].Shape then
                invalidArg what $"{operation}: input {i} has shape {expected[i].Shape} but its {what} has shape {actual[i].Shape}"

    /// <summary>f at the inputs, and the vector-Jacobian products Jᵢᵀu for every input i, from one reverse pass.</summary>
    [<CompiledName("ValueAndVectorJacobianProducts")>]
    let valueAndVjpMany (f: CTensor[] -> CTensor) (inputs: CTensor[]) (u: CTensor) : CTensor * CTensor[] =
        use _ = recording ()
        let leaves = inputs |> Array.map leaf
        let y = f leaves
        if u.Shape <> y.Shape then invalidArg "u" $"vjp: u has shape {u.Shape} but f returns shape {y.Shape}"
        if y.RequiresGrad then y.Backward(u)
        y.Detach(), leaves |> Array.map gradientOrZeros

    /// <summary>The vector-Jacobian products Jᵢᵀu for every input i (zeros for inputs f does not depend on).</summary>
    [<CompiledName("VectorJacobianProducts")>]
    let vjpMany (f: CTensor[] -> CTensor) (inputs: CTensor[]) (u: CTensor) : CTensor[] = snd (valueAndVjpMany f inputs u)

    /// <summary>
    /// Jᵀu of f at x, with the backward pass recorded on the tape (<c>createGraph</c>) as a function of u, so it can be
    /// differentiated again with respect to u; x is held constant. GradCheck uses it to check the ops that only appear in
    /// backward passes (e.g. narrow_backward, the VJP of narrow).
    /// </summary>
    [<CompiledName("RecordedVectorJacobianProduct")>]
    let vjpRecorded (f: CTensor -> CTensor) (x: CTensor) (u: CTensor) : CTensor =
        use _ = recording ()
        let input = leaf x
        let y = f input
        if u.Shape <> y.Shape then invalidArg "u" $"vjp: u has shape {u.Shape} but f returns shape {y.Shape}"
        if not y.RequiresGrad then CTensor.ZerosLike x
        else
            y.Backward(u, createGraph = true)
            gradientOrZeros input

    /// <summary>
    /// As <c>vjpRecorded</c>, for an f that also reads other tensors (<paramref name="others"/>, e.g. a weight under test that
    /// requires grad): the recorded Jᵀu is then a function of u and of them, and the gradient the inner backward pass leaves on
    /// them is cleared, so a later backward pass through the result sees only its own. Checks a backward op in all its inputs.
    /// </summary>
    [<CompiledName("RecordedVectorJacobianProductWith")>]
    let vjpRecordedWith (others: CTensor[]) (f: CTensor -> CTensor) (x: CTensor) (u: CTensor) : CTensor =
        let result = vjpRecorded f x u
        for other in others do other.ZeroGrad()
        result

    /// <summary>The vector-Jacobian product Jᵀu of f at x.</summary>
    [<CompiledName("VectorJacobianProduct")>]
    let vjp (f: CTensor -> CTensor) (x: CTensor) (u: CTensor) : CTensor = (vjpMany (fun xs -> f xs[0]) [| x |] u)[0]

    /// <summary>The value of a scalar function and its gradient with respect to every input.</summary>
    [<CompiledName("ValueAndGradients")>]
    let valueAndGradMany (f: CTensor[] -> CTensor) (inputs: CTensor[]) : CTensor * CTensor[] =
        use _ = recording ()
        let leaves = inputs |> Array.map leaf
        let y = f leaves
        requireScalar "grad" y
        if y.RequiresGrad then y.Backward()
        y.Detach(), leaves |> Array.map gradientOrZeros

    /// <summary>The gradient of a scalar function with respect to every input.</summary>
    [<CompiledName("Gradients")>]
    let gradMany (f: CTensor[] -> CTensor) (inputs: CTensor[]) : CTensor[] = snd (valueAndGradMany f inputs)

    /// <summary>The value of a scalar function and its gradient.</summary>
    [<CompiledName("ValueAndGradient")>]
    let valueAndGrad (f: CTensor -> CTensor) (x: CTensor) : CTensor * CTensor =
        let value, gradients = valueAndGradMany (fun xs -> f xs[0]) [| x |]
        value, gradients[0]

    /// <summary>The gradient ∇f(x) of a scalar function.</summary>
    [<CompiledName("Gradient")>]
    let grad (f: CTensor -> CTensor) (x: CTensor) : CTensor = snd (valueAndGrad f x)

    /// <summary>The directional derivative ⟨∇f(x), v⟩ of a scalar function.</summary>
    [<CompiledName("GradientVectorProduct")>]
    let gradv (f: CTensor -> CTensor) (x: CTensor) (v: CTensor) : float =
        Seq.zip ((grad f x).ToDoubleArray()) (v.ToDoubleArray()) |> Seq.sumBy (fun (g, d) -> g * d)

    /// <summary>
    /// The Jacobian-vector product Σᵢ Jᵢ·vᵢ (the derivative of f along the directions), by reverse over reverse:
    /// Jᵀu is recorded as a (linear) function of u, and J·v is the gradient of ⟨Jᵀu, v⟩ with respect to u.
    /// </summary>
    [<CompiledName("JacobianVectorProduct")>]
    let jvpMany (f: CTensor[] -> CTensor) (inputs: CTensor[]) (directions: CTensor[]) : CTensor =
        use _ = recording ()
        requireShapes "jvp" "directions" inputs directions
        let leaves = inputs |> Array.map leaf
        let y = f leaves
        if not y.RequiresGrad then CTensor.ZerosLike y
        else
            let u = CTensor.ZerosLike(y).SetRequiresGrad()
            y.Backward(u, createGraph = true)
            let terms =
                Array.zip leaves directions
                |> Array.choose (fun (x, v) -> match x.Grad with null -> None | gradient -> Some((gradient * v).Sum()))
            if terms.Length = 0 then CTensor.ZerosLike y
            else
                let total = Array.reduce (+) terms
                if total.RequiresGrad then total.Backward()
                gradientOrZeros u

    /// <summary>The Jacobian-vector product J·v of f at x (see <c>jvpMany</c>).</summary>
    [<CompiledName("JacobianVectorProduct")>]
    let jvp (f: CTensor -> CTensor) (x: CTensor) (v: CTensor) : CTensor = jvpMany (fun xs -> f xs[0]) [| x |] [| v |]

    /// <summary>
    /// The Jacobian of f with respect to every input, each of shape (output shape @ input shape), built row by row
    /// from one reverse pass per output element.
    /// </summary>
    [<CompiledName("Jacobians")>]
    let jacobianMany (f: CTensor[] -> CTensor) (inputs: CTensor[]) : CTensor[] =
        use _ = recording ()
        let leaves = inputs |> Array.map leaf
        let y = f leaves
        let outputs = y.ElementCount
        let rows = inputs |> Array.map (fun x -> Array.zeroCreate<float> (outputs * x.ElementCount))
        if y.RequiresGrad then
            for k in 0 .. outputs - 1 do
                let unit = Array.zeroCreate<float> outputs
                unit[k] <- 1.0
                for x in leaves do x.ZeroGrad()
                y.Backward(CTensor.FromArray(unit, y.Shape, y.DType), retainGraph = true)
                leaves |> Array.iteri (fun i x ->
                    match x.Grad with
                    | null -> ()
                    | gradient -> Array.blit (gradient.ToDoubleArray()) 0 rows[i] (k * x.ElementCount) x.ElementCount)
        inputs |> Array.mapi (fun i x -> CTensor.FromArray(rows[i], Shape(Array.append (y.Shape.ToArray()) (x.Shape.ToArray())), x.DType))

    /// <summary>The Jacobian of f at x, of shape (output shape @ input shape).</summary>
    [<CompiledName("Jacobian")>]
    let jacobian (f: CTensor -> CTensor) (x: CTensor) : CTensor = (jacobianMany (fun xs -> f xs[0]) [| x |])[0]

    /// <summary>
    /// The Hessian-vector product H·v of a scalar function, by reverse over reverse: the gradient g is recorded with
    /// <c>Backward(createGraph = true)</c>, then ⟨g, v⟩ is differentiated again.
    /// </summary>
    [<CompiledName("HessianVectorProduct")>]
    let hessianv (f: CTensor -> CTensor) (x: CTensor) (v: CTensor) : CTensor =
        use _ = recording ()
        if v.Shape <> x.Shape then invalidArg "v" $"hessianv: x has shape {x.Shape} but v has shape {v.Shape}"
        let input = leaf x
        let y = f input
        requireScalar "hessianv" y
        if not y.RequiresGrad then CTensor.ZerosLike x
        else
            y.Backward(createGraph = true)
            match input.Grad with
            | null -> CTensor.ZerosLike x
            | gradient ->
                input.Grad <- null
                let directional = (gradient * v).Sum()
                if directional.RequiresGrad then directional.Backward()
                gradientOrZeros input

    /// <summary>The Hessian of a scalar function, of shape (x shape @ x shape), one Hessian-vector product per column.</summary>
    [<CompiledName("Hessian")>]
    let hessian (f: CTensor -> CTensor) (x: CTensor) : CTensor =
        let n = x.ElementCount
        let columns =
            Array.init n (fun j ->
                let unit = Array.zeroCreate<float> n
                unit[j] <- 1.0
                (hessianv f x (CTensor.FromArray(unit, x.Shape, x.DType))).ToDoubleArray())
        let values = Array.init (n * n) (fun k -> columns[k % n][k / n])
        CTensor.FromArray(values, Shape(Array.append (x.Shape.ToArray()) (x.Shape.ToArray())), x.DType)
