using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using AutoDiffRnn.Autodiff;

namespace AutoDiffRnn;

/// <summary>
/// relu: max(x, 0) (NaN stays NaN). VJP: g where the output is positive, else 0 (gradient 0 at x = 0, as PyTorch).
/// The mask is a constant, so double backward gives zero through it.
/// </summary>
[Operation(Name)]
internal static class ReluOp
{
    public static Tensor Apply(Tensor x)
    {
        var y = Elementwise.Unary<Kernel>(x);
        return Tape.Record(Name, y, [x], g => [g * PositiveMask(y)]);
    }

    internal readonly struct Kernel : IUnaryKernel
    {
        public static void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Max(x, T.Zero, d);
    }

    /// <summary>The constant mask of the VJP: 1 where <paramref name="y"/> &gt; 0, else 0 (NaN gives 0), as <c>y.Greater(0)</c> but
    /// vectorized and branch-free (the signs of activations are unpredictable, so a branch per element mispredicts half the time).</summary>
    private static Tensor PositiveMask(Tensor y)
    {
        var mask = Tensor.Uninitialized(y.Shape, y.DType);
        int count = y.ElementCount;
        if (y.DType == DType.Float32) Positive<float>(y.Span<float>()[..count], mask.Span<float>()[..count]);
        else Positive<double>(y.Span<double>()[..count], mask.Span<double>()[..count]);
        return mask;
    }

    private static void Positive<T>(ReadOnlySpan<T> y, Span<T> mask) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref T source = ref MemoryMarshal.GetReference(y);
            ref T target = ref MemoryMarshal.GetReference(mask);
            var one = Vector256.Create(T.One);
            for (; i + Vector256<T>.Count <= y.Length; i += Vector256<T>.Count)
                (Vector256.GreaterThan(Vector256.LoadUnsafe(ref source, (nuint)i), Vector256<T>.Zero) & one).StoreUnsafe(ref target, (nuint)i);
        }
        for (; i < y.Length; i++) mask[i] = y[i] > T.Zero ? T.One : T.Zero;
    }

    /// <summary>The operation's name, as registered, recorded on the tape and used in error messages.</summary>
    internal const string Name = "relu";
}

public sealed partial class Tensor
{
    /// <summary>Element-wise rectified linear unit max(x, 0); its gradient at 0 is 0.</summary>
    public Tensor Relu() => ReluOp.Apply(this);
}
