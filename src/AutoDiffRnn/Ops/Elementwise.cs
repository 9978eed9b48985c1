using System.Numerics;
using AutoDiffRnn.Kernels;

namespace AutoDiffRnn;

/// <summary>An element-wise unary kernel over spans.</summary>
internal interface IUnaryKernel
{
    static abstract void Apply<T>(ReadOnlySpan<T> x, Span<T> destination) where T : unmanaged, IFloatingPointIeee754<T>;
}

/// <summary>Runs element-wise kernels on tensors of either element type (the forward half of element-wise ops).</summary>
internal static class Elementwise
{
    /// <summary>kernel(x) into a new tensor of x's shape and type.</summary>
    public static Tensor Unary<TKernel>(Tensor x) where TKernel : IUnaryKernel
    {
        var output = Tensor.Empty(x.Shape, x.DType);
        if (output.ElementCount == 0) return output; // some TensorPrimitives kernels refuse empty spans
        if (x.DType == DType.Float32) TKernel.Apply<float>(x.Span<float>(), output.Span<float>());
        else TKernel.Apply<double>(x.Span<double>(), output.Span<double>());
        return output;
    }

    /// <summary>kernel(a, b) with NumPy broadcasting into a new tensor.</summary>
    public static Tensor Binary<TKernel>(string operation, Tensor a, Tensor b) where TKernel : IBinaryKernel
    {
        RequireSameDType(operation, a, b);
        var shape = Broadcasting.Shapes(operation, a.Shape, b.Shape);
        var output = Tensor.Empty(shape, a.DType);
        if (output.ElementCount == 0) return output;
        if (a.DType == DType.Float32)
            Broadcasting.Binary<TKernel, float>(a.Span<float>(), a.Shape, b.Span<float>(), b.Shape, output.Span<float>(), shape);
        else
            Broadcasting.Binary<TKernel, double>(a.Span<double>(), a.Shape, b.Span<double>(), b.Shape, output.Span<double>(), shape);
        return output;
    }

    /// <summary>Throws, naming the operation, both types and both shapes, unless a and b have the same element type.</summary>
    public static void RequireSameDType(string operation, Tensor a, Tensor b)
    {
        if (a.DType != b.DType)
            throw new ArgumentException(
                $"{operation}: element types differ: {a.DType.Name()} {a.Shape} and {b.DType.Name()} {b.Shape}; convert one with .To(DType)");
    }
}
