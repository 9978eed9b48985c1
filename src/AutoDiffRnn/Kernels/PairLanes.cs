using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace AutoDiffRnn.Kernels;

/// <summary>
/// Two vectors of lanes processed as one (2·<see cref="Vector{T}.Count"/> values): every operation is applied to both halves side by side,
/// so a cell kernel written against <see cref="ILanes{TSelf, T}"/> runs two independent chains interleaved in program order. The gate
/// math of a recurrent step is a long chain of dependent operations (exp, division, then tanh of the new cell state); one vector at a
/// time, the processor's out-of-order window holds little more than one chain and waits on its latency, two give it independent work.
/// The arithmetic of each half is exactly <see cref="VectorLanes{T}"/>'s.
/// </summary>
internal readonly struct PairLanes<T>(Vector<T> first, Vector<T> second) : ILanes<PairLanes<T>, T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Vector<T> first = first, second = second;

    public static int Count => 2 * Vector<T>.Count;

    public static PairLanes<T> One => new(Vector<T>.One, Vector<T>.One);

    public static PairLanes<T> Zero => new(Vector<T>.Zero, Vector<T>.Zero);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static PairLanes<T> Load(ReadOnlySpan<T> source, nuint index)
    {
        ref T start = ref MemoryMarshal.GetReference(source);
        return new(Vector.LoadUnsafe(ref start, index), Vector.LoadUnsafe(ref start, index + (nuint)Vector<T>.Count));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Store(Span<T> destination, nuint index)
    {
        ref T start = ref MemoryMarshal.GetReference(destination);
        first.StoreUnsafe(ref start, index);
        second.StoreUnsafe(ref start, index + (nuint)Vector<T>.Count);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static PairLanes<T> Sigmoid(PairLanes<T> x) => new(Activations.SigmoidVector(x.first), Activations.SigmoidVector(x.second));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static PairLanes<T> Tanh(PairLanes<T> x) => new(Activations.TanhVector(x.first), Activations.TanhVector(x.second));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static PairLanes<T> Relu(PairLanes<T> x) => new(Vector.Max(x.first, Vector<T>.Zero), Vector.Max(x.second, Vector<T>.Zero));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static PairLanes<T> ReluGradient(PairLanes<T> activated, PairLanes<T> upstream) => new(
        Vector.ConditionalSelect(Vector.GreaterThan(activated.first, Vector<T>.Zero), upstream.first, Vector<T>.Zero),
        Vector.ConditionalSelect(Vector.GreaterThan(activated.second, Vector<T>.Zero), upstream.second, Vector<T>.Zero));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static PairLanes<T> operator +(PairLanes<T> left, PairLanes<T> right) => new(left.first + right.first, left.second + right.second);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static PairLanes<T> operator -(PairLanes<T> left, PairLanes<T> right) => new(left.first - right.first, left.second - right.second);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static PairLanes<T> operator *(PairLanes<T> left, PairLanes<T> right) => new(left.first * right.first, left.second * right.second);
}
