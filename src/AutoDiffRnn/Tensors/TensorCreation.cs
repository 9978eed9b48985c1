namespace AutoDiffRnn;

public sealed partial class Tensor
{
    /// <summary>A tensor of zeros.</summary>
    public static Tensor Zeros(Shape shape, DType dtype = DType.Float32) => Empty(shape, dtype);

    /// <summary>A tensor of ones.</summary>
    public static Tensor Ones(Shape shape, DType dtype = DType.Float32) => Full(shape, 1.0, dtype);

    /// <summary>A tensor of zeros with the shape and type of <paramref name="like"/>.</summary>
    public static Tensor ZerosLike(Tensor like) => Empty(like.Shape, like.DType);

    /// <summary>A tensor of ones with the shape and type of <paramref name="like"/>.</summary>
    public static Tensor OnesLike(Tensor like) => Full(like.Shape, 1.0, like.DType);

    /// <summary>A tensor with every element equal to <paramref name="value"/>.</summary>
    public static Tensor Full(Shape shape, double value, DType dtype = DType.Float32)
    {
        var tensor = Empty(shape, dtype);
        if (dtype == DType.Float32) tensor.Span<float>().Fill((float)value);
        else tensor.Span<double>().Fill(value);
        return tensor;
    }

    /// <summary>A rank-0 tensor holding one value.</summary>
    public static Tensor Scalar(double value, DType dtype = DType.Float32) => Full(Shape.Scalar, value, dtype);

    /// <summary>The values start, start+step, ... below end (a 1-D tensor), like <c>torch.arange</c>.</summary>
    public static Tensor Arange(double start, double end, double step = 1.0, DType dtype = DType.Float32)
    {
        if (step == 0 || double.IsNaN(step) || (end - start) / step < 0)
            throw new ArgumentException($"arange: cannot go from {start} to {end} in steps of {step}");
        double steps = Math.Ceiling((end - start) / step);
        if (!(steps <= Shape.MaximumElementCount))
            throw new ArgumentException($"arange: {start} to {end} in steps of {step} is {steps} values, more than a tensor can hold");
        int count = (int)steps;
        var tensor = Empty(Shape.Wrap([count]), dtype);
        for (int i = 0; i < count; i++) tensor.SetFlat(i, start + i * step);
        return tensor;
    }

    /// <summary>The integers 0 .. count-1 (a 1-D tensor).</summary>
    public static Tensor Arange(int count, DType dtype = DType.Float32) => Arange(0, count, 1, dtype);

    /// <summary>A float32 tensor holding a copy of <paramref name="values"/>, with the given shape (default: 1-D).</summary>
    public static Tensor FromArray(float[] values, Shape? shape = null) =>
        new((float[])values.Clone(), CheckedShape("FromArray", values.Length, shape));

    /// <summary>A float64 tensor holding a copy of <paramref name="values"/>, with the given shape (default: 1-D).</summary>
    public static Tensor FromArray(double[] values, Shape? shape = null) =>
        new((double[])values.Clone(), CheckedShape("FromArray", values.Length, shape));

    /// <summary>A tensor from values given as doubles, stored as <paramref name="dtype"/>.</summary>
    public static Tensor FromArray(double[] values, Shape shape, DType dtype) =>
        dtype == DType.Float64 ? FromArray(values, shape) : FromArray(Array.ConvertAll(values, v => (float)v), shape);

    /// <summary>A 2-D tensor from a rectangular array.</summary>
    public static Tensor FromArray(double[,] values, DType dtype = DType.Float32)
    {
        int rows = values.GetLength(0), columns = values.GetLength(1);
        var flat = new double[rows * columns];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < columns; j++)
                flat[i * columns + j] = values[i, j];
        return FromArray(flat, Shape.Wrap([rows, columns]), dtype);
    }

    /// <summary>Uniform random values in [low, high) from <paramref name="generator"/> (or the default generator).</summary>
    public static Tensor Uniform(Shape shape, double low = 0, double high = 1, DType dtype = DType.Float32, Generator? generator = null)
    {
        if (!(low <= high))
            throw new ArgumentException($"uniform: low ({low}) must not exceed high ({high})");
        generator ??= Generator.Default;
        var tensor = Empty(shape, dtype);
        for (int i = 0; i < tensor.ElementCount; i++) tensor.SetFlat(i, low + (high - low) * generator.NextDouble());
        return tensor;
    }

    /// <summary>Normal random values with the given mean and standard deviation.</summary>
    public static Tensor Normal(Shape shape, double mean = 0, double standardDeviation = 1, DType dtype = DType.Float32, Generator? generator = null)
    {
        if (!(standardDeviation >= 0))
            throw new ArgumentException($"normal: the standard deviation must be non-negative, got {standardDeviation}");
        generator ??= Generator.Default;
        var tensor = Empty(shape, dtype);
        for (int i = 0; i < tensor.ElementCount; i++) tensor.SetFlat(i, mean + standardDeviation * generator.NextNormal());
        return tensor;
    }

    /// <summary>Writes one element (no recording: for building tensors and for optimizers).</summary>
    internal void SetFlat(int flatIndex, double value)
    {
        if (Storage is float[] floats) floats[flatIndex] = (float)value;
        else ((double[])Storage)[flatIndex] = value;
    }

    private static Shape CheckedShape(string operation, int length, Shape? shape)
    {
        var actual = shape ?? Shape.Wrap([length]);
        if (actual.ElementCount != length)
            throw new ArgumentException($"{operation}: shape {actual} needs {actual.ElementCount} values but {length} were given");
        return actual;
    }

    internal void MarkRequiresGrad() => requiresGrad = true;
}
