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
        int fullPanels = count / panelWidth;
        nint panelBytes = panelWidth * sizeof(T);
        nint panelSize = (nint)depth * panelWidth;
        // Full panels: walk the source row by row (sequential reads), scattering each row over the panels.
        for (int p = 0; p < depth; p++)
        {
            T* from = source + p * stride;
            T* to = destination + p * panelWidth;
            for (int panel = 0; panel < fullPanels; panel++)
            {
                CopyBytes((byte*)from, (byte*)to, panelBytes);
                from += panelWidth;
                to += panelSize;
            }
        }
        int width = count - fullPanels * panelWidth;
        if (width == 0) return;
        T* edgeSource = source + fullPanels * panelWidth;
        T* edge = destination + fullPanels * panelSize;
        for (int p = 0; p < depth; p++)
        {
            int l = 0;
            for (; l < width; l++) edge[l] = edgeSource[l];
            for (; l < panelWidth; l++) edge[l] = default;
            edgeSource += stride;
            edge += panelWidth;
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
            if (typeof(T) == typeof(float) && Avx512F.IsSupported)
            {
                for (; line + 16 <= width; line += 16)
                    TransposeSixteenLines((float*)(source + (first + line) * stride), stride, depth, panelWidth, (float*)(destination + line));
            }
            if (typeof(T) == typeof(double) && Avx512F.IsSupported)
            {
                for (; line + 8 <= width; line += 8)
                    TransposeEightLines((double*)(source + (first + line) * stride), stride, depth, panelWidth, (double*)(destination + line));
            }
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

    /// <summary>
    /// Packs sixteen float lines at once with AVX-512 16×16 register transposes: interleave pairs of lines (unpack ps),
    /// then pairs of pairs (unpack pd), which leaves 4×4 blocks in each 128-bit lane, then transpose the 4×4 grid of lanes
    /// with two rounds of 128-bit lane shuffles. 16 loads, 64 shuffles and 16 stores per 256 elements.
    /// </summary>
    private static void TransposeSixteenLines(float* source, nint stride, int depth, int panelWidth, float* destination)
    {
        int p = 0;
        for (; p + 16 <= depth; p += 16)
        {
            float* from = source + p;
            float* to = destination + p * panelWidth;
            Interleave(Avx512F.LoadVector512(from + 0 * stride), Avx512F.LoadVector512(from + 1 * stride),
                Avx512F.LoadVector512(from + 2 * stride), Avx512F.LoadVector512(from + 3 * stride),
                out var g0e0, out var g0e1, out var g0e2, out var g0e3);
            Interleave(Avx512F.LoadVector512(from + 4 * stride), Avx512F.LoadVector512(from + 5 * stride),
                Avx512F.LoadVector512(from + 6 * stride), Avx512F.LoadVector512(from + 7 * stride),
                out var g1e0, out var g1e1, out var g1e2, out var g1e3);
            Interleave(Avx512F.LoadVector512(from + 8 * stride), Avx512F.LoadVector512(from + 9 * stride),
                Avx512F.LoadVector512(from + 10 * stride), Avx512F.LoadVector512(from + 11 * stride),
                out var g2e0, out var g2e1, out var g2e2, out var g2e3);
            Interleave(Avx512F.LoadVector512(from + 12 * stride), Avx512F.LoadVector512(from + 13 * stride),
                Avx512F.LoadVector512(from + 14 * stride), Avx512F.LoadVector512(from + 15 * stride),
                out var g3e0, out var g3e1, out var g3e2, out var g3e3);
            StoreLaneTranspose(g0e0, g1e0, g2e0, g3e0, to + 0 * panelWidth, 4 * panelWidth);
            StoreLaneTranspose(g0e1, g1e1, g2e1, g3e1, to + 1 * panelWidth, 4 * panelWidth);
            StoreLaneTranspose(g0e2, g1e2, g2e2, g3e2, to + 2 * panelWidth, 4 * panelWidth);
            StoreLaneTranspose(g0e3, g1e3, g2e3, g3e3, to + 3 * panelWidth, 4 * panelWidth);
        }
        for (; p < depth; p++)
        {
            float* to = destination + p * panelWidth;
            for (int r = 0; r < 16; r++) to[r] = source[r * stride + p];
        }
    }

    /// <summary>
    /// 4×4 transposes inside every 128-bit lane of four lines: on return, lane L of <paramref name="e0"/>…<paramref name="e3"/>
    /// holds the four lines at depth 4L + 0…3.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Interleave(Vector512<float> r0, Vector512<float> r1, Vector512<float> r2, Vector512<float> r3,
        out Vector512<float> e0, out Vector512<float> e1, out Vector512<float> e2, out Vector512<float> e3)
    {
        var t0 = Avx512F.UnpackLow(r0, r1).AsDouble();
        var t1 = Avx512F.UnpackHigh(r0, r1).AsDouble();
        var t2 = Avx512F.UnpackLow(r2, r3).AsDouble();
        var t3 = Avx512F.UnpackHigh(r2, r3).AsDouble();
        e0 = Avx512F.UnpackLow(t0, t2).AsSingle();
        e1 = Avx512F.UnpackHigh(t0, t2).AsSingle();
        e2 = Avx512F.UnpackLow(t1, t3).AsSingle();
        e3 = Avx512F.UnpackHigh(t1, t3).AsSingle();
    }

    /// <summary>Transposes the 4×4 grid of 128-bit lanes of a, b, c, d and stores output vector L at <c>to + L·step</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreLaneTranspose(Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> d, float* to, nint step)
    {
        var v0 = Avx512F.Shuffle4x128(a, b, 0x44);  // lanes a0 a1 b0 b1
        var v1 = Avx512F.Shuffle4x128(a, b, 0xEE);  // a2 a3 b2 b3
        var v2 = Avx512F.Shuffle4x128(c, d, 0x44);  // c0 c1 d0 d1
        var v3 = Avx512F.Shuffle4x128(c, d, 0xEE);  // c2 c3 d2 d3
        Avx512F.Store(to, Avx512F.Shuffle4x128(v0, v2, 0x88));             // a0 b0 c0 d0
        Avx512F.Store(to + step, Avx512F.Shuffle4x128(v0, v2, 0xDD));      // a1 b1 c1 d1
        Avx512F.Store(to + 2 * step, Avx512F.Shuffle4x128(v1, v3, 0x88));  // a2 b2 c2 d2
        Avx512F.Store(to + 3 * step, Avx512F.Shuffle4x128(v1, v3, 0xDD));  // a3 b3 c3 d3
    }

    /// <summary>Packs eight double lines at once with AVX-512 8×8 register transposes (unpack pd, then two rounds of lane shuffles).</summary>
    private static void TransposeEightLines(double* source, nint stride, int depth, int panelWidth, double* destination)
    {
        int p = 0;
        for (; p + 8 <= depth; p += 8)
        {
            double* from = source + p;
            double* to = destination + p * panelWidth;
            var r0 = Avx512F.LoadVector512(from);
            var r1 = Avx512F.LoadVector512(from + stride);
            var r2 = Avx512F.LoadVector512(from + 2 * stride);
            var r3 = Avx512F.LoadVector512(from + 3 * stride);
            var r4 = Avx512F.LoadVector512(from + 4 * stride);
            var r5 = Avx512F.LoadVector512(from + 5 * stride);
            var r6 = Avx512F.LoadVector512(from + 6 * stride);
            var r7 = Avx512F.LoadVector512(from + 7 * stride);
            // Lane L of UnpackLow(r2g, r2g+1) holds lines 2g, 2g+1 at depth 2L; UnpackHigh at depth 2L + 1.
            StoreLaneTranspose(Avx512F.UnpackLow(r0, r1), Avx512F.UnpackLow(r2, r3), Avx512F.UnpackLow(r4, r5), Avx512F.UnpackLow(r6, r7),
                to, 2 * panelWidth);
            StoreLaneTranspose(Avx512F.UnpackHigh(r0, r1), Avx512F.UnpackHigh(r2, r3), Avx512F.UnpackHigh(r4, r5), Avx512F.UnpackHigh(r6, r7),
                to + panelWidth, 2 * panelWidth);
        }
        for (; p < depth; p++)
        {
            double* to = destination + p * panelWidth;
            for (int r = 0; r < 8; r++) to[r] = source[r * stride + p];
        }
    }

    /// <summary>Transposes the 4×4 grid of 128-bit lanes of a, b, c, d and stores output vector L at <c>to + L·step</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreLaneTranspose(Vector512<double> a, Vector512<double> b, Vector512<double> c, Vector512<double> d, double* to, nint step)
    {
        var v0 = Avx512F.Shuffle4x128(a, b, 0x44);
        var v1 = Avx512F.Shuffle4x128(a, b, 0xEE);
        var v2 = Avx512F.Shuffle4x128(c, d, 0x44);
        var v3 = Avx512F.Shuffle4x128(c, d, 0xEE);
        Avx512F.Store(to, Avx512F.Shuffle4x128(v0, v2, 0x88));
        Avx512F.Store(to + step, Avx512F.Shuffle4x128(v0, v2, 0xDD));
        Avx512F.Store(to + 2 * step, Avx512F.Shuffle4x128(v1, v3, 0x88));
        Avx512F.Store(to + 3 * step, Avx512F.Shuffle4x128(v1, v3, 0xDD));
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
/// The GEMM's packing buffers (pinned, 64-byte aligned): a few arrays shared by every thread, each rented for one product and handed
/// back after it, so a GEMM allocates nothing in steady state whichever threads run it (a thread-pool thread new to the products takes
/// a buffer another thread has handed back instead of growing its own). A rent takes the smallest pooled buffer that is large enough
/// and allocates only when none is (rounded up to 64 KiB); a buffer handed back to a full pool replaces the smallest one if larger.
/// </summary>
internal static unsafe class GemmBuffers
{
    private static readonly byte[]?[] Pooled = new byte[]?[4 + 2 * Environment.ProcessorCount];

    /// <summary>A pooled buffer of at least <paramref name="bytes"/> bytes (after 64-byte alignment); dispose the lease to hand it back.</summary>
    public static Lease Rent(nint bytes)
    {
        long needed = bytes + 64;
        for (int attempt = 0; attempt < 4; attempt++)
        {
            int best = -1;
            byte[]? candidate = null;
            for (int slot = 0; slot < Pooled.Length; slot++)
                if (Volatile.Read(ref Pooled[slot]) is { } array && array.Length >= needed && (candidate is null || array.Length < candidate.Length))
                    (best, candidate) = (slot, array);
            if (candidate is null) break;
            if (Interlocked.CompareExchange(ref Pooled[best], null, candidate) == candidate) return new Lease(candidate);
        }
        // Rounded to 64 KiB, on the pinned object heap (addresses stay fixed).
        return new Lease(GC.AllocateUninitializedArray<byte>(checked((int)((needed + 65535) & ~65535L)), pinned: true));
    }

    private static void Return(byte[] array)
    {
        for (int slot = 0; slot < Pooled.Length; slot++)
            if (Volatile.Read(ref Pooled[slot]) is null && Interlocked.CompareExchange(ref Pooled[slot], array, null) is null) return;
        int smallest = 0; // full: keep the larger buffers
        for (int slot = 1; slot < Pooled.Length; slot++)
            if ((Volatile.Read(ref Pooled[slot])?.Length ?? 0) < (Volatile.Read(ref Pooled[smallest])?.Length ?? 0)) smallest = slot;
        var replaced = Volatile.Read(ref Pooled[smallest]);
        if ((replaced?.Length ?? 0) < array.Length) Interlocked.CompareExchange(ref Pooled[smallest], array, replaced);
    }

    /// <summary>A rented buffer: <see cref="Pointer"/> is its 64-byte aligned start; <see cref="Dispose"/> hands it back.</summary>
    public readonly ref struct Lease(byte[] array)
    {
        /// <summary>The 64-byte aligned start of the buffer.</summary>
        public byte* Pointer
        {
            get
            {
                byte* start = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));
                return (byte*)(((nint)start + 63) & ~(nint)63);
            }
        }

        /// <summary>Hands the buffer back to the pool (the pointer must not be used after).</summary>
        public void Dispose() => Return(array);
    }
}
