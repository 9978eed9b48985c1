using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace AutoDiffRnn.Kernels;

/// <summary>
/// Packing of GEMM operand blocks into the panel layout the micro-kernels read.
/// A block of <c>count</c> lines (rows of op(A) or columns of op(B)) by <c>depth</c> is cut into panels of
/// <c>panelWidth</c> lines; a panel stores, for each depth index p, its <c>panelWidth</c> elements contiguously
/// (element (line l, depth p) of the panel at <c>p * panelWidth + l</c>). The last panel is padded with zeros,
/// so the micro-kernel always runs full panels.
/// Two source layouts occur: "depth-major", where one depth index's lines are contiguous (op(B) not transposed,
/// op(A) transposed) and a panel row is a straight copy; and "line-major", where one line's depth run is contiguous
/// (op(A) not transposed, op(B) transposed) and packing transposes.
/// </summary>
internal static unsafe class GemmPacking
{
    /// <summary>
    /// Packs from a depth-major source: element (line l, depth p) at <c>source[p * stride + l]</c>.
    /// </summary>
    public static void PackDepthMajor<T>(T* source, nint stride, int depth, int count, int panelWidth, T* destination)
        where T : unmanaged
    {
        for (int first = 0; first < count; first += panelWidth)
        {
            int width = Math.Min(panelWidth, count - first);
            T* from = source + first;
            if (width == panelWidth)
            {
                nint bytes = panelWidth * sizeof(T);
                for (int p = 0; p < depth; p++)
                {
                    CopyBytes((byte*)from, (byte*)destination, bytes);
                    from += stride;
                    destination += panelWidth;
                }
            }
            else
            {
                for (int p = 0; p < depth; p++)
                {
                    int l = 0;
                    for (; l < width; l++) destination[l] = from[l];
                    for (; l < panelWidth; l++) destination[l] = default;
                    from += stride;
                    destination += panelWidth;
                }
            }
        }
    }

    /// <summary>
    /// Packs from a line-major source: element (line l, depth p) at <c>source[l * stride + p]</c> (a transposing pack).
    /// </summary>
    public static void PackLineMajor<T>(T* source, nint stride, int depth, int count, int panelWidth, T* destination)
        where T : unmanaged
    {
        for (int first = 0; first < count; first += panelWidth)
        {
            int width = Math.Min(panelWidth, count - first);
            int line = 0;
            if (typeof(T) == typeof(float) && Sse.IsSupported)
            {
                for (; line + 4 <= width; line += 4)
                    TransposeFourLines((float*)(source + (first + line) * stride), stride, depth, panelWidth, (float*)(destination + line));
            }
            for (; line < width; line++)
            {
                T* from = source + (first + line) * stride;
                T* to = destination + line;
                for (int p = 0; p < depth; p++) to[p * panelWidth] = from[p];
            }
            for (; line < panelWidth; line++)
            {
                T* to = destination + line;
                for (int p = 0; p < depth; p++) to[p * panelWidth] = default;
            }
            destination += depth * panelWidth;
        }
    }

    /// <summary>Packs four float lines at once with SSE 4×4 register transposes (4 loads, 8 shuffles, 4 stores per 16 elements).</summary>
    private static void TransposeFourLines(float* source, nint stride, int depth, int panelWidth, float* destination)
    {
        float* line0 = source, line1 = source + stride, line2 = source + 2 * stride, line3 = source + 3 * stride;
        int p = 0;
        for (; p + 4 <= depth; p += 4)
        {
            var r0 = Sse.LoadVector128(line0 + p);
            var r1 = Sse.LoadVector128(line1 + p);
            var r2 = Sse.LoadVector128(line2 + p);
            var r3 = Sse.LoadVector128(line3 + p);
            var t0 = Sse.UnpackLow(r0, r1);   // r0[0] r1[0] r0[1] r1[1]
            var t1 = Sse.UnpackLow(r2, r3);   // r2[0] r3[0] r2[1] r3[1]
            var t2 = Sse.UnpackHigh(r0, r1);  // r0[2] r1[2] r0[3] r1[3]
            var t3 = Sse.UnpackHigh(r2, r3);
            float* to = destination + p * panelWidth;
            Sse.Store(to, Sse.MoveLowToHigh(t0, t1));
            Sse.Store(to + panelWidth, Sse.MoveHighToLow(t1, t0));
            Sse.Store(to + 2 * panelWidth, Sse.MoveLowToHigh(t2, t3));
            Sse.Store(to + 3 * panelWidth, Sse.MoveHighToLow(t3, t2));
        }
        for (; p < depth; p++)
        {
            float* to = destination + p * panelWidth;
            to[0] = line0[p];
            to[1] = line1[p];
            to[2] = line2[p];
            to[3] = line3[p];
        }
    }

    /// <summary>Copies a short run of bytes (a multiple of 4) with the widest vectors available.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyBytes(byte* from, byte* to, nint bytes)
    {
        nint offset = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; offset + 64 <= bytes; offset += 64) Vector512.Load(from + offset).Store(to + offset);
        if (Vector256.IsHardwareAccelerated)
            for (; offset + 32 <= bytes; offset += 32) Vector256.Load(from + offset).Store(to + offset);
        for (; offset + 16 <= bytes; offset += 16) Vector128.Load(from + offset).Store(to + offset);
        for (; offset + 4 <= bytes; offset += 4) *(int*)(to + offset) = *(int*)(from + offset);
    }
}

/// <summary>
/// Per-thread packing buffers (pinned, 64-byte aligned), grown on demand and reused, so a GEMM allocates nothing in steady state.
/// </summary>
internal static unsafe class GemmBuffers
{
    [ThreadStatic] private static byte[]? buffer;

    /// <summary>Returns a 64-byte aligned region of at least <paramref name="bytes"/> bytes owned by the calling thread.</summary>
    public static byte* Acquire(nint bytes)
    {
        var current = buffer;
        if (current is null || current.Length < bytes + 64)
        {
            // Grow geometrically-ish, rounded to 64 KiB, on the pinned object heap (addresses stay fixed).
            long size = Math.Max(bytes + 64, (current?.Length ?? 0) * 3L / 2);
            size = (size + 65535) & ~65535L;
            current = GC.AllocateUninitializedArray<byte>(checked((int)size), pinned: true);
            buffer = current;
        }
        byte* start = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(current));
        return (byte*)(((nint)start + 63) & ~(nint)63);
    }
}
