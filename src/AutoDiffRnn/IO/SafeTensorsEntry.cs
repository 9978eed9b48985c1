namespace AutoDiffRnn.IO;

/// <summary>One tensor entry of a safetensors header, validated field by field but not yet checked against the data section.</summary>
/// <param name="Name">The tensor's name (the header key).</param>
/// <param name="DType">The dtype string: F32, F64 or I64.</param>
/// <param name="Dimensions">The shape.</param>
/// <param name="ElementCount">The product of the dimensions (checked: at most <see cref="int.MaxValue"/>).</param>
/// <param name="Begin">The first byte of the tensor in the data section.</param>
/// <param name="End">One past the last byte of the tensor in the data section.</param>
internal sealed record SafeTensorsEntry(string Name, string DType, int[] Dimensions, int ElementCount, long Begin, long End)
{
    /// <summary>The size in bytes of one element of <paramref name="dtype"/>, or 0 when this reader does not support it.</summary>
    public static int ElementSize(string dtype) => dtype switch { "F32" => 4, "F64" => 8, "I64" => 8, _ => 0 };
}
