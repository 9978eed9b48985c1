namespace AutoDiffRnn.FSharp

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

    /// <summary>Marks a leaf as requiring gradients and returns it.</summary>
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
