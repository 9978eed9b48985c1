using System.Numerics;
using System.Numerics.Tensors;
using AutoDiffRnn.Autodiff;
using AutoDiffRnn.Kernels;

namespace AutoDiffRnn;

/// <summary>add: a + b, broadcast. VJP: (g summed to a's shape, g summed to b's shape).</summary>
[Operation(Name)]
internal static class AddOp
{
    public static Tensor Apply(Tensor a, Tensor b)
    {
        var output = Elementwise.Binary<Kernel>(Name, a, b);
        return Tape.Record(Name, output, [a, b], g => [g.SumTo(a.Shape), g.SumTo(b.Shape)]);
    }

    internal readonly struct Kernel : IBinaryKernel
    {
        public static void Apply<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Add(x, y, d);
        public static void Apply<T>(ReadOnlySpan<T> x, T y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Add(x, y, d);
        public static void Apply<T>(T x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Add(y, x, d);
    }

    /// <summary>The operation's name, as registered, recorded on the tape and used in error messages.</summary>
    internal const string Name = "add";
}

public sealed partial class Tensor
{
    /// <summary>Element-wise sum with broadcasting.</summary>
    public static Tensor operator +(Tensor a, Tensor b) => AddOp.Apply(a, b);

    /// <summary>Adds a scalar to every element.</summary>
    public static Tensor operator +(Tensor a, double b) => AddOp.Apply(a, Scalar(b, a.DType));

    /// <summary>Adds a scalar to every element.</summary>
    public static Tensor operator +(double a, Tensor b) => AddOp.Apply(Scalar(a, b.DType), b);

    /// <summary>Element-wise sum with broadcasting.</summary>
    public Tensor Add(Tensor other) => AddOp.Apply(this, other);

    /// <summary>this += other without recording (same shape and type): for gradient accumulation and optimizers.</summary>
    internal void AddInPlace(Tensor other)
    {
        if (other.Shape != Shape || other.DType != DType)
            throw new ArgumentException($"add_: cannot add {other.DType.Name()} {other.Shape} in place into {DType.Name()} {Shape}");
        if (DType == DType.Float32) TensorPrimitives.Add(Span<float>(), other.Span<float>(), Span<float>());
        else TensorPrimitives.Add(Span<double>(), other.Span<double>(), Span<double>());
    }
}
