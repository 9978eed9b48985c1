using System.Numerics;
using AutoDiffRnn.Kernels;

namespace AutoDiffRnn;

/// <summary>
/// Element-wise comparisons giving masks: 1 where the comparison holds, 0 where it does not (any comparison with NaN is false),
/// in the element type of the operands, broadcast (NumPy rules).
/// They are not differentiable and never recorded on the tape: the result is a constant with no gradient, even when
/// an operand requires gradients. Ops use them as masks in their vector-Jacobian products.
/// </summary>
internal static class ComparisonOp
{
    public static Tensor Apply<TKernel>(string operation, Tensor a, Tensor b) where TKernel : IBinaryKernel =>
        Elementwise.Binary<TKernel>(operation, a, b); // deliberately not passed to Tape.Record

    private static T Mask<T>(bool holds) where T : unmanaged, IFloatingPointIeee754<T> => holds ? T.One : T.Zero;

    internal readonly struct Greater : IBinaryKernel
    {
        public static void Apply<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
        { for (int i = 0; i < d.Length; i++) d[i] = Mask<T>(x[i] > y[i]); }
        public static void Apply<T>(ReadOnlySpan<T> x, T y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
        { for (int i = 0; i < d.Length; i++) d[i] = Mask<T>(x[i] > y); }
        public static void Apply<T>(T x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
        { for (int i = 0; i < d.Length; i++) d[i] = Mask<T>(x > y[i]); }
    }

    internal readonly struct GreaterOrEqual : IBinaryKernel
    {
        public static void Apply<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
        { for (int i = 0; i < d.Length; i++) d[i] = Mask<T>(x[i] >= y[i]); }
        public static void Apply<T>(ReadOnlySpan<T> x, T y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
        { for (int i = 0; i < d.Length; i++) d[i] = Mask<T>(x[i] >= y); }
        public static void Apply<T>(T x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
        { for (int i = 0; i < d.Length; i++) d[i] = Mask<T>(x >= y[i]); }
    }

    internal readonly struct Less : IBinaryKernel
    {
        public static void Apply<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
        { for (int i = 0; i < d.Length; i++) d[i] = Mask<T>(x[i] < y[i]); }
        public static void Apply<T>(ReadOnlySpan<T> x, T y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
        { for (int i = 0; i < d.Length; i++) d[i] = Mask<T>(x[i] < y); }
        public static void Apply<T>(T x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
        { for (int i = 0; i < d.Length; i++) d[i] = Mask<T>(x < y[i]); }
    }

    internal readonly struct LessOrEqual : IBinaryKernel
    {
        public static void Apply<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
        { for (int i = 0; i < d.Length; i++) d[i] = Mask<T>(x[i] <= y[i]); }
        public static void Apply<T>(ReadOnlySpan<T> x, T y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
        { for (int i = 0; i < d.Length; i++) d[i] = Mask<T>(x[i] <= y); }
        public static void Apply<T>(T x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
        { for (int i = 0; i < d.Length; i++) d[i] = Mask<T>(x <= y[i]); }
    }

    internal readonly struct Equal : IBinaryKernel
    {
        public static void Apply<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
        { for (int i = 0; i < d.Length; i++) d[i] = Mask<T>(x[i] == y[i]); }
        public static void Apply<T>(ReadOnlySpan<T> x, T y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
        { for (int i = 0; i < d.Length; i++) d[i] = Mask<T>(x[i] == y); }
        public static void Apply<T>(T x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
        { for (int i = 0; i < d.Length; i++) d[i] = Mask<T>(x == y[i]); }
    }
}

public sealed partial class Tensor
{
    /// <summary>
    /// A 0/1 mask (same element type) of <c>this &gt; other</c>, broadcast. Not differentiable: never recorded on the
    /// tape, the result has no gradient.
    /// </summary>
    public Tensor Greater(Tensor other) => ComparisonOp.Apply<ComparisonOp.Greater>("greater", this, other);

    /// <summary>A 0/1 mask of <c>this &gt; value</c>. Not differentiable: never recorded on the tape.</summary>
    public Tensor Greater(double value) => ComparisonOp.Apply<ComparisonOp.Greater>("greater", this, Scalar(value, DType));

    /// <summary>
    /// A 0/1 mask (same element type) of <c>this ≥ other</c>, broadcast. Not differentiable: never recorded on the
    /// tape, the result has no gradient.
    /// </summary>
    public Tensor GreaterOrEqual(Tensor other) => ComparisonOp.Apply<ComparisonOp.GreaterOrEqual>("greater_equal", this, other);

    /// <summary>A 0/1 mask of <c>this ≥ value</c>. Not differentiable: never recorded on the tape.</summary>
    public Tensor GreaterOrEqual(double value) => ComparisonOp.Apply<ComparisonOp.GreaterOrEqual>("greater_equal", this, Scalar(value, DType));

    /// <summary>
    /// A 0/1 mask (same element type) of <c>this &lt; other</c>, broadcast. Not differentiable: never recorded on the
    /// tape, the result has no gradient.
    /// </summary>
    public Tensor Less(Tensor other) => ComparisonOp.Apply<ComparisonOp.Less>("less", this, other);

    /// <summary>A 0/1 mask of <c>this &lt; value</c>. Not differentiable: never recorded on the tape.</summary>
    public Tensor Less(double value) => ComparisonOp.Apply<ComparisonOp.Less>("less", this, Scalar(value, DType));

    /// <summary>
    /// A 0/1 mask (same element type) of <c>this ≤ other</c>, broadcast. Not differentiable: never recorded on the
    /// tape, the result has no gradient.
    /// </summary>
    public Tensor LessOrEqual(Tensor other) => ComparisonOp.Apply<ComparisonOp.LessOrEqual>("less_equal", this, other);

    /// <summary>A 0/1 mask of <c>this ≤ value</c>. Not differentiable: never recorded on the tape.</summary>
    public Tensor LessOrEqual(double value) => ComparisonOp.Apply<ComparisonOp.LessOrEqual>("less_equal", this, Scalar(value, DType));

    /// <summary>
    /// A 0/1 mask (same element type) of <c>this == other</c> (exact equality; NaN equals nothing), broadcast.
    /// Not differentiable: never recorded on the tape, the result has no gradient.
    /// </summary>
    public Tensor Equal(Tensor other) => ComparisonOp.Apply<ComparisonOp.Equal>("equal", this, other);

    /// <summary>A 0/1 mask of <c>this == value</c> (exact equality). Not differentiable: never recorded on the tape.</summary>
    public Tensor Equal(double value) => ComparisonOp.Apply<ComparisonOp.Equal>("equal", this, Scalar(value, DType));
}
