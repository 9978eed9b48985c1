using System.Numerics;
using AutoDiffRnn.Kernels;

namespace AutoDiffRnn;

/// <summary>An element-wise unary kernel over spans.</summary>
internal interface IUnaryKernel
{
    static abstract void Apply<T>(ReadOnlySpan<T> x, Span<T> destination) where T : unmanaged, IFloatingPointIeee754<T>;
}

/// <summary>
/// The derivative of an element-wise op written with its output, f(y) (e.g. y (1 − y) for the sigmoid), per vector and per element: its
/// first-order vector-Jacobian product is upstream · f(y) (<see cref="Elementwise.Gradient{TDerivative}"/>).
/// </summary>
internal interface IOutputDerivative
{
    static abstract Vector<T> Of<T>(Vector<T> output) where T : unmanaged, IFloatingPointIeee754<T>;

    static abstract T Of<T>(T output) where T : unmanaged, IFloatingPointIeee754<T>;
}

/// <summary>Runs element-wise kernels on tensors of either element type (the forward half of element-wise ops).</summary>
internal static class Elementwise
{
    /// <summary>kernel(x) into a new tensor of x's shape and type.</summary>
    public static Tensor Unary<TKernel>(Tensor x) where TKernel : IUnaryKernel
    {
        var output = Tensor.Uninitialized(x.Shape, x.DType); // the kernel writes every element
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
        var output = Tensor.Uninitialized(shape, a.DType); // the broadcast loop writes every element
        if (output.ElementCount == 0) return output;
        if (a.DType == DType.Float32)
            Broadcasting.Binary<TKernel, float>(a.Span<float>(), a.Shape, b.Span<float>(), b.Shape, output.Span<float>(), shape);
        else
            Broadcasting.Binary<TKernel, double>(a.Span<double>(), a.Shape, b.Span<double>(), b.Shape, output.Span<double>(), shape);
        return output;
    }

    /// <summary>
    /// kernel(g, y) into a new tensor of their (common) shape: an element-wise op's gradient in one pass, for a backward pass that is not
    /// recorded. A recorded one (<c>createGraph</c>, when <see cref="Autodiff.GradMode.IsEnabled"/>) must use the op's formula on tensor
    /// ops instead, so that it can be differentiated again; the kernel computes the same formula, operation for operation.
    /// </summary>
    public static Tensor Gradient<TDerivative>(Tensor outputGradient, Tensor output) where TDerivative : IOutputDerivative
    {
        var gradient = Tensor.Uninitialized(output.Shape, output.DType); // the loop writes every element
        if (gradient.ElementCount == 0) return gradient;
        if (output.DType == DType.Float32) Gradient<float, TDerivative>(outputGradient.Span<float>(), output.Span<float>(), gradient.Span<float>());
        else Gradient<double, TDerivative>(outputGradient.Span<double>(), output.Span<double>(), gradient.Span<double>());
        return gradient;
    }

    /// <summary>d = g · f(y) element by element, vectorized, in the order of operations of the recorded formula g * f(y).</summary>
    private static void Gradient<T, TDerivative>(ReadOnlySpan<T> g, ReadOnlySpan<T> y, Span<T> d)
        where T : unmanaged, IFloatingPointIeee754<T> where TDerivative : IOutputDerivative
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
            for (; i <= d.Length - Vector<T>.Count; i += Vector<T>.Count)
                (new Vector<T>(g[i..]) * TDerivative.Of(new Vector<T>(y[i..]))).CopyTo(d[i..]);
        for (; i < d.Length; i++) d[i] = g[i] * TDerivative.Of(y[i]);
    }

    /// <summary>Throws, naming the operation, both types and both shapes, unless a and b have the same element type.</summary>
    public static void RequireSameDType(string operation, Tensor a, Tensor b)
    {
        if (a.DType != b.DType)
            throw new ArgumentException(
                $"{operation}: element types differ: {a.DType.Name()} {a.Shape} and {b.DType.Name()} {b.Shape}; convert one with .To(DType)");
    }
}
