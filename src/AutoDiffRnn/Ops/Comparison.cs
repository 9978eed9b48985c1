using System.Numerics;
using System.Runtime.InteropServices;
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

    /// <summary>One comparison, on a pair of values and on a pair of vectors (all bits set in a lane where it holds).</summary>
    internal interface IPredicate
    {
        static abstract bool Holds<T>(T x, T y) where T : unmanaged, IFloatingPointIeee754<T>;
        static abstract Vector<T> Holds<T>(Vector<T> x, Vector<T> y) where T : unmanaged, IFloatingPointIeee754<T>;
    }

    /// <summary>
    /// The mask kernel of a predicate: vectorized and branch-free (the lane mask ANDed with 1.0), as the signs and orders of activations
    /// are unpredictable and a branch per element mispredicts about half the time; the tail is scalar.
    /// </summary>
    internal readonly struct Mask<TPredicate> : IBinaryKernel where TPredicate : IPredicate
    {
        public static void Apply<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
        {
            int i = 0;
            if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
            {
                ref T left = ref MemoryMarshal.GetReference(x), right = ref MemoryMarshal.GetReference(y), target = ref MemoryMarshal.GetReference(d);
                for (; i <= d.Length - Vector<T>.Count; i += Vector<T>.Count)
                    (TPredicate.Holds(Vector.LoadUnsafe(ref left, (nuint)i), Vector.LoadUnsafe(ref right, (nuint)i)) & Vector<T>.One)
                        .StoreUnsafe(ref target, (nuint)i);
            }
            for (; i < d.Length; i++) d[i] = TPredicate.Holds(x[i], y[i]) ? T.One : T.Zero;
        }

        public static void Apply<T>(ReadOnlySpan<T> x, T y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
        {
            int i = 0;
            if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
            {
                ref T left = ref MemoryMarshal.GetReference(x), target = ref MemoryMarshal.GetReference(d);
                var right = new Vector<T>(y);
                for (; i <= d.Length - Vector<T>.Count; i += Vector<T>.Count)
                    (TPredicate.Holds(Vector.LoadUnsafe(ref left, (nuint)i), right) & Vector<T>.One).StoreUnsafe(ref target, (nuint)i);
            }
            for (; i < d.Length; i++) d[i] = TPredicate.Holds(x[i], y) ? T.One : T.Zero;
        }

        public static void Apply<T>(T x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
        {
            int i = 0;
            if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
            {
                ref T right = ref MemoryMarshal.GetReference(y), target = ref MemoryMarshal.GetReference(d);
                var left = new Vector<T>(x);
                for (; i <= d.Length - Vector<T>.Count; i += Vector<T>.Count)
                    (TPredicate.Holds(left, Vector.LoadUnsafe(ref right, (nuint)i)) & Vector<T>.One).StoreUnsafe(ref target, (nuint)i);
            }
            for (; i < d.Length; i++) d[i] = TPredicate.Holds(x, y[i]) ? T.One : T.Zero;
        }
    }

    /// <summary>x &gt; y (false with NaN).</summary>
    internal readonly struct IsGreater : IPredicate
    {
        public static bool Holds<T>(T x, T y) where T : unmanaged, IFloatingPointIeee754<T> => x > y;
        public static Vector<T> Holds<T>(Vector<T> x, Vector<T> y) where T : unmanaged, IFloatingPointIeee754<T> => Vector.GreaterThan(x, y);
    }

    /// <summary>x ≥ y (false with NaN).</summary>
    internal readonly struct IsGreaterOrEqual : IPredicate
    {
        public static bool Holds<T>(T x, T y) where T : unmanaged, IFloatingPointIeee754<T> => x >= y;
        public static Vector<T> Holds<T>(Vector<T> x, Vector<T> y) where T : unmanaged, IFloatingPointIeee754<T> => Vector.GreaterThanOrEqual(x, y);
    }

    /// <summary>x &lt; y (false with NaN).</summary>
    internal readonly struct IsLess : IPredicate
    {
        public static bool Holds<T>(T x, T y) where T : unmanaged, IFloatingPointIeee754<T> => x < y;
        public static Vector<T> Holds<T>(Vector<T> x, Vector<T> y) where T : unmanaged, IFloatingPointIeee754<T> => Vector.LessThan(x, y);
    }

    /// <summary>x ≤ y (false with NaN).</summary>
    internal readonly struct IsLessOrEqual : IPredicate
    {
        public static bool Holds<T>(T x, T y) where T : unmanaged, IFloatingPointIeee754<T> => x <= y;
        public static Vector<T> Holds<T>(Vector<T> x, Vector<T> y) where T : unmanaged, IFloatingPointIeee754<T> => Vector.LessThanOrEqual(x, y);
    }

    /// <summary>x == y (exact; NaN equals nothing).</summary>
    internal readonly struct IsEqual : IPredicate
    {
        public static bool Holds<T>(T x, T y) where T : unmanaged, IFloatingPointIeee754<T> => x == y;
        public static Vector<T> Holds<T>(Vector<T> x, Vector<T> y) where T : unmanaged, IFloatingPointIeee754<T> => Vector.Equals(x, y);
    }
}

public sealed partial class Tensor
{
    /// <summary>
    /// A 0/1 mask (same element type) of <c>this &gt; other</c>, broadcast. Not differentiable: never recorded on the
    /// tape, the result has no gradient.
    /// </summary>
    public Tensor Greater(Tensor other) => ComparisonOp.Apply<ComparisonOp.Mask<ComparisonOp.IsGreater>>("greater", this, other);

    /// <summary>A 0/1 mask of <c>this &gt; value</c>. Not differentiable: never recorded on the tape.</summary>
    public Tensor Greater(double value) => ComparisonOp.Apply<ComparisonOp.Mask<ComparisonOp.IsGreater>>("greater", this, Scalar(value, DType));

    /// <summary>
    /// A 0/1 mask (same element type) of <c>this ≥ other</c>, broadcast. Not differentiable: never recorded on the
    /// tape, the result has no gradient.
    /// </summary>
    public Tensor GreaterOrEqual(Tensor other) => ComparisonOp.Apply<ComparisonOp.Mask<ComparisonOp.IsGreaterOrEqual>>("greater_equal", this, other);

    /// <summary>A 0/1 mask of <c>this ≥ value</c>. Not differentiable: never recorded on the tape.</summary>
    public Tensor GreaterOrEqual(double value) => ComparisonOp.Apply<ComparisonOp.Mask<ComparisonOp.IsGreaterOrEqual>>("greater_equal", this, Scalar(value, DType));

    /// <summary>
    /// A 0/1 mask (same element type) of <c>this &lt; other</c>, broadcast. Not differentiable: never recorded on the
    /// tape, the result has no gradient.
    /// </summary>
    public Tensor Less(Tensor other) => ComparisonOp.Apply<ComparisonOp.Mask<ComparisonOp.IsLess>>("less", this, other);

    /// <summary>A 0/1 mask of <c>this &lt; value</c>. Not differentiable: never recorded on the tape.</summary>
    public Tensor Less(double value) => ComparisonOp.Apply<ComparisonOp.Mask<ComparisonOp.IsLess>>("less", this, Scalar(value, DType));

    /// <summary>
    /// A 0/1 mask (same element type) of <c>this ≤ other</c>, broadcast. Not differentiable: never recorded on the
    /// tape, the result has no gradient.
    /// </summary>
    public Tensor LessOrEqual(Tensor other) => ComparisonOp.Apply<ComparisonOp.Mask<ComparisonOp.IsLessOrEqual>>("less_equal", this, other);

    /// <summary>A 0/1 mask of <c>this ≤ value</c>. Not differentiable: never recorded on the tape.</summary>
    public Tensor LessOrEqual(double value) => ComparisonOp.Apply<ComparisonOp.Mask<ComparisonOp.IsLessOrEqual>>("less_equal", this, Scalar(value, DType));

    /// <summary>
    /// A 0/1 mask (same element type) of <c>this == other</c> (exact equality; NaN equals nothing), broadcast.
    /// Not differentiable: never recorded on the tape, the result has no gradient.
    /// </summary>
    public Tensor Equal(Tensor other) => ComparisonOp.Apply<ComparisonOp.Mask<ComparisonOp.IsEqual>>("equal", this, other);

    /// <summary>A 0/1 mask of <c>this == value</c> (exact equality). Not differentiable: never recorded on the tape.</summary>
    public Tensor Equal(double value) => ComparisonOp.Apply<ComparisonOp.Mask<ComparisonOp.IsEqual>>("equal", this, Scalar(value, DType));
}
