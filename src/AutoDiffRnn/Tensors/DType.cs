namespace AutoDiffRnn;

/// <summary>The element type of a <see cref="Tensor"/>.</summary>
public enum DType
{
    /// <summary>32-bit IEEE 754 floating point (<see cref="float"/>): the default, used for training.</summary>
    Float32,

    /// <summary>64-bit IEEE 754 floating point (<see cref="double"/>): used for gradient checking.</summary>
    Float64,
}

/// <summary>Helpers for <see cref="DType"/>.</summary>
public static class DTypeExtensions
{
    /// <summary>The size in bytes of one element of this type.</summary>
    public static int ElementSize(this DType dtype) => dtype == DType.Float32 ? sizeof(float) : sizeof(double);

    /// <summary>The lower-case name used in messages and in <see cref="Tensor.ToString()"/> (float32, float64).</summary>
    public static string Name(this DType dtype) => dtype == DType.Float32 ? "float32" : "float64";

    /// <summary>The <see cref="DType"/> of a CLR element type (<see cref="float"/> or <see cref="double"/>).</summary>
    public static DType Of<T>() where T : unmanaged =>
        typeof(T) == typeof(float) ? DType.Float32
        : typeof(T) == typeof(double) ? DType.Float64
        : throw new NotSupportedException($"Tensors hold float or double elements, not {typeof(T).Name}.");
}
