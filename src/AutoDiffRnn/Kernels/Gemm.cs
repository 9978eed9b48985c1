using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace AutoDiffRnn.Kernels;

/// <summary>
/// General matrix multiply on contiguous row-major matrices: C = op(A) op(B), or C += op(A) op(B).
/// op(A) is m×k: A is stored m×k, or k×m when <c>transposeA</c>; op(B) is k×n: B is stored k×n, or n×k when <c>transposeB</c>.
/// </summary>
/// <remarks>
/// Built the BLIS / GotoBLAS way: the depth is cut into blocks of KC, op(B) into column blocks of NC and op(A) into
/// row blocks of MC; each block is packed (transposing as needed with in-register transposes, so transposed operands
/// cost no extra copy) into per-thread aligned buffers laid out as the register-blocked micro-kernel reads them
/// (<see cref="IGemmMicroKernel{T}"/>: 12×32 floats or 12×16 doubles on AVX-512, with 8-row and 4-row shapes for
/// products with few rows; 6×16 floats on AVX2, or 4×24 where that pads fewer rows, as a recurrent step's batch of 16 or 32). A B micro-panel stays in L1 while the micro-kernel sweeps the MC×KC block of A kept in L2.
/// When a single row block covers op(A), each B panel is packed just before its use; when op(B) is not transposed and
/// op(A) has at most <see cref="KernelTuning.DirectRowsLimit"/> rows and the micro-kernel's rows of B span at least
/// <see cref="KernelTuning.DirectMinimumPanelBytes"/>, B is not packed at all (the micro-kernel reads its rows in place), which saves a
/// copy of B that few rows cannot amortise. A Bᵀ with very few rows uses dot products of rows
/// (<see cref="GemmDotProducts"/>). Vector-matrix and matrix-vector products (m = 1 or n = 1) take a direct path.
/// Products of at least <see cref="KernelTuning.ParallelThreshold"/> multiply-adds are split over the cores along their longer side
/// (<see cref="ParallelParts"/>: no garbage per call).
/// Every block size and limit comes from the <see cref="KernelTuning"/> in force when the product starts (<see cref="KernelTuning.Current"/>).
/// </remarks>
internal static class Gemm
{
    /// <summary>Which micro-kernel the blocked path uses.</summary>
    internal enum KernelKind
    {
        /// <summary>12 × 2·Vector512 (AVX-512).</summary>
        Vector512,
        /// <summary>6 × 2·Vector256 (AVX2).</summary>
        Vector256,
        /// <summary>6 × 2·Vector128 (SSE, NEON).</summary>
        Vector128,
        /// <summary>4×4 scalar.</summary>
        Scalar,
    }

    /// <summary>The widest micro-kernel the hardware accelerates.</summary>
    internal static readonly KernelKind BestKernel =
        Vector512.IsHardwareAccelerated ? KernelKind.Vector512
        : Vector256.IsHardwareAccelerated ? KernelKind.Vector256
        : Vector128.IsHardwareAccelerated ? KernelKind.Vector128
        : KernelKind.Scalar;

    /// <summary>Threads a product is split over: <see cref="KernelTuning.MaxParallelism"/> of the tuning in force.</summary>
    internal static int MaxParallelism => KernelTuning.Current.MaxParallelism;

    /// <summary>C = op(A) op(B) (or C += op(A) op(B) when <paramref name="accumulate"/>), with the best kernel for this machine.</summary>
    public static void Multiply<T>(ReadOnlySpan<T> a, bool transposeA, ReadOnlySpan<T> b, bool transposeB, Span<T> c,
        int m, int n, int k, bool accumulate) where T : unmanaged, IFloatingPointIeee754<T> =>
        Multiply(a, transposeA, b, transposeB, c, m, n, k, accumulate, BestKernel);

    /// <summary>As <see cref="Multiply{T}(ReadOnlySpan{T}, bool, ReadOnlySpan{T}, bool, Span{T}, int, int, int, bool)"/> with a chosen micro-kernel (tests use this to cover every kernel).</summary>
    internal static unsafe void Multiply<T>(ReadOnlySpan<T> a, bool transposeA, ReadOnlySpan<T> b, bool transposeB, Span<T> c,
        int m, int n, int k, bool accumulate, KernelKind kernel) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (m < 0 || n < 0 || k < 0)
            throw new ArgumentOutOfRangeException(nameof(m), $"gemm: negative dimensions m={m}, n={n}, k={k}");
        if (a.Length < (long)m * k || b.Length < (long)k * n || c.Length < (long)m * n)
            throw new ArgumentException(
                $"gemm: buffers too small for m={m}, n={n}, k={k}: A has {a.Length} (needs {(long)m * k}), " +
                $"B has {b.Length} (needs {(long)k * n}), C has {c.Length} (needs {(long)m * n})");
        if (m == 0 || n == 0) return;
        if (k == 0)
        {
            if (!accumulate) c[..(m * n)].Clear();
            return;
        }
        if (m == 1)
        {
            VectorTimesMatrix(a[..k], b, transposeB, c[..n], n, k, accumulate);
            return;
        }
        if (n == 1)
        {
            MatrixTimesVector(a, transposeA, b[..k], c[..m], m, k, accumulate);
            return;
        }

        var tuning = KernelTuning.Current;
        fixed (T* pa = a, pb = b, pc = c)
        {
            var problem = new Problem<T>(pa, transposeA ? m : k, transposeA, pb, transposeB ? k : n, transposeB, pc, n, m, n, k, accumulate);
            if (kernel == KernelKind.Vector512 && transposeB && !transposeA && m <= tuning.DotProductRowsLimit && k >= tuning.DotProductMinDepth
                && GemmDotProducts.Supports<T>(k))
            {
                Run<T, GemmKernel512Rows4<T>>(problem, tuning, dotProducts: true);
                return;
            }
            switch (kernel)
            {
                case KernelKind.Vector512 when m <= 4: Run<T, GemmKernel512Rows4<T>>(problem, tuning, dotProducts: false); break;
                case KernelKind.Vector512 when PaddedArea<T, GemmKernel512Rows8<T>>(m, n) < PaddedArea<T, GemmKernel512<T>>(m, n):
                    Run<T, GemmKernel512Rows8<T>>(problem, tuning, dotProducts: false);
                    break;
                case KernelKind.Vector512: Run<T, GemmKernel512<T>>(problem, tuning, dotProducts: false); break;
                case KernelKind.Vector256 when PaddedArea<T, GemmKernel256Rows4<T>>(m, n) < PaddedArea<T, GemmKernel256<T>>(m, n):
                    Run<T, GemmKernel256Rows4<T>>(problem, tuning, dotProducts: false);
                    break;
                case KernelKind.Vector256: Run<T, GemmKernel256<T>>(problem, tuning, dotProducts: false); break;
                case KernelKind.Vector128: Run<T, GemmKernel128<T>>(problem, tuning, dotProducts: false); break;
                default: Run<T, GemmKernelScalar<T>>(problem, tuning, dotProducts: false); break;
            }
        }
    }

    /// <summary>
    /// Packs op(B) (k×n; B stored k×n, or n×k when <paramref name="transposeB"/>) once for many products op(A) op(B) with
    /// <paramref name="rows"/> rows of op(A) each (a recurrent weight used at every step): the panels the micro-kernel for that
    /// shape reads, so <see cref="Multiply{T}(ReadOnlySpan{T}, bool, PackedMatrix{T}, Span{T}, int, bool, bool)"/> packs only A.
    /// </summary>
    public static unsafe PackedMatrix<T> Pack<T>(ReadOnlySpan<T> b, bool transposeB, int k, int n, int rows)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (k <= 0 || n <= 0 || rows <= 0)
            throw new ArgumentOutOfRangeException(nameof(k), $"gemm pack: dimensions must be positive, got k={k}, n={n}, rows={rows}");
        if (b.Length < (long)k * n)
            throw new ArgumentException($"gemm pack: B has {b.Length} elements, needs {(long)k * n} for k={k}, n={n}");
        var kind = PackedKernelFor<T>(rows, n);
        int nr = kind switch
        {
            PackedKernel.Rows4 => GemmKernel512Rows4<T>.Columns,
            PackedKernel.Rows8 => GemmKernel512Rows8<T>.Columns,
            PackedKernel.Rows12 => GemmKernel512<T>.Columns,
            PackedKernel.Vector256 => GemmKernel256<T>.Columns,
            PackedKernel.Vector256Rows4 => GemmKernel256Rows4<T>.Columns,
            PackedKernel.Vector128 => GemmKernel128<T>.Columns,
            _ => GemmKernelScalar<T>.Columns,
        };
        // Few rows reuse each B panel little, so the depth is cut into as few blocks as possible (each C tile is then loaded
        // and stored once per block): blocks of at most the tuning's PackedDepthBlock, of equal size.
        int packedDepthBlock = KernelTuning.Current.PackedDepthBlock;
        int depthBlocks = (k + packedDepthBlock - 1) / packedDepthBlock;
        int depthBlock = (k + depthBlocks - 1) / depthBlocks;
        int width = RoundUp(n, nr);
        var packed = new PackedMatrix<T>(kind, k, n, width, nr, depthBlock);
        fixed (T* pb = b)
        {
            var problem = new Problem<T>(null, 0, false, pb, transposeB ? k : n, transposeB, null, 0, rows, n, k, false);
            T* destination = packed.Pointer;
            for (int pc = 0; pc < k; pc += depthBlock)
                PackB(problem, pc, Math.Min(depthBlock, k - pc), 0, n, nr, destination + (nint)pc * width);
        }
        return packed;
    }

    /// <summary>
    /// C (m×n) = or += op(A) · B with B packed by <see cref="Pack{T}"/> (any m; the kernel suits the rows it was packed for).
    /// Without <paramref name="parallel"/> it stays on the calling thread (for callers that already split their work over the cores).
    /// </summary>
    public static unsafe void Multiply<T>(ReadOnlySpan<T> a, bool transposeA, PackedMatrix<T> b, Span<T> c, int m, bool accumulate,
        bool parallel = true) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = b.Columns, k = b.Depth;
        if (m < 0) throw new ArgumentOutOfRangeException(nameof(m), $"gemm: negative row count {m}");
        if (a.Length < (long)m * k || c.Length < (long)m * n)
            throw new ArgumentException(
                $"gemm: buffers too small for m={m}, n={n}, k={k}: A has {a.Length} (needs {(long)m * k}), C has {c.Length} (needs {(long)m * n})");
        if (m == 0) return;
        if (m == 1)
        {
            PackedVectorTimesMatrix(a[..k], b, c[..n], accumulate);
            return;
        }
        var tuning = KernelTuning.Current;
        fixed (T* pa = a, pc = c)
        {
            var problem = new Problem<T>(pa, transposeA ? m : k, transposeA, null, 0, false, pc, n, m, n, k, accumulate,
                b.Pointer, b.Width, b.DepthBlock);
            switch (b.Kernel)
            {
                case PackedKernel.Rows4: Run<T, GemmKernel512Rows4<T>>(problem, tuning, dotProducts: false, parallel); break;
                case PackedKernel.Rows8: Run<T, GemmKernel512Rows8<T>>(problem, tuning, dotProducts: false, parallel); break;
                case PackedKernel.Rows12: Run<T, GemmKernel512<T>>(problem, tuning, dotProducts: false, parallel); break;
                case PackedKernel.Vector256: Run<T, GemmKernel256<T>>(problem, tuning, dotProducts: false, parallel); break;
                case PackedKernel.Vector256Rows4: Run<T, GemmKernel256Rows4<T>>(problem, tuning, dotProducts: false, parallel); break;
                case PackedKernel.Vector128: Run<T, GemmKernel128<T>>(problem, tuning, dotProducts: false, parallel); break;
                default: Run<T, GemmKernelScalar<T>>(problem, tuning, dotProducts: false, parallel); break;
            }
        }
    }

    /// <summary>c (1×n) = or += a (1×k) · B, B packed: per panel, the sum over the depth of a[p] times the panel's row p (four
    /// independent accumulators per vector of columns hide the latency of the multiply-adds).</summary>
    private static unsafe void PackedVectorTimesMatrix<T>(ReadOnlySpan<T> a, PackedMatrix<T> b, Span<T> c, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = b.Columns, k = b.Depth, width = b.Width, nr = b.PanelWidth;
        using var lease = GemmBuffers.Rent((nint)width * sizeof(T));
        T* row = (T*)lease.Pointer;
        new Span<T>(row, width).Clear();
        fixed (T* pa = a)
        {
            T* packed = b.Pointer;
            for (int pc = 0; pc < k; pc += b.DepthBlock)
            {
                int depth = Math.Min(b.DepthBlock, k - pc);
                T* block = packed + (nint)pc * width;
                T* x = pa + pc;
                for (int jr = 0; jr < width; jr += nr)
                {
                    T* panel = block + (nint)jr * depth;
                    int j = 0;
                    if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported && nr % Vector<T>.Count == 0)
                    {
                        for (; j < nr; j += Vector<T>.Count)
                        {
                            Vector<T> sum0 = Vector<T>.Zero, sum1 = Vector<T>.Zero, sum2 = Vector<T>.Zero, sum3 = Vector<T>.Zero;
                            T* column = panel + j;
                            int p = 0;
                            for (; p + 4 <= depth; p += 4)
                            {
                                sum0 += new Vector<T>(x[p]) * Vector.Load(column + (nint)p * nr);
                                sum1 += new Vector<T>(x[p + 1]) * Vector.Load(column + (nint)(p + 1) * nr);
                                sum2 += new Vector<T>(x[p + 2]) * Vector.Load(column + (nint)(p + 2) * nr);
                                sum3 += new Vector<T>(x[p + 3]) * Vector.Load(column + (nint)(p + 3) * nr);
                            }
                            for (; p < depth; p++) sum0 += new Vector<T>(x[p]) * Vector.Load(column + (nint)p * nr);
                            (Vector.Load(row + jr + j) + ((sum0 + sum1) + (sum2 + sum3))).Store(row + jr + j);
                        }
                    }
                    for (; j < nr; j++)
                    {
                        T sum = T.Zero;
                        for (int p = 0; p < depth; p++) sum += x[p] * panel[(nint)p * nr + j];
                        row[jr + j] += sum;
                    }
                }
            }
        }
        var result = new ReadOnlySpan<T>(row, n);
        if (accumulate) TensorPrimitives.Add(c, result, c);
        else result.CopyTo(c);
    }

    /// <summary>The micro-kernel a packed B is laid out for.</summary>
    internal enum PackedKernel { Rows4, Rows8, Rows12, Vector256, Vector256Rows4, Vector128, Scalar }

    /// <summary>The kernel <see cref="Multiply{T}(ReadOnlySpan{T}, bool, ReadOnlySpan{T}, bool, Span{T}, int, int, int, bool)"/> would pick for m×n.</summary>
    private static PackedKernel PackedKernelFor<T>(int m, int n) where T : unmanaged, IFloatingPointIeee754<T> => BestKernel switch
    {
        KernelKind.Vector512 when m <= 4 => PackedKernel.Rows4,
        KernelKind.Vector512 when PaddedArea<T, GemmKernel512Rows8<T>>(m, n) < PaddedArea<T, GemmKernel512<T>>(m, n) => PackedKernel.Rows8,
        KernelKind.Vector512 => PackedKernel.Rows12,
        KernelKind.Vector256 when PaddedArea<T, GemmKernel256Rows4<T>>(m, n) < PaddedArea<T, GemmKernel256<T>>(m, n) => PackedKernel.Vector256Rows4,
        KernelKind.Vector256 => PackedKernel.Vector256,
        KernelKind.Vector128 => PackedKernel.Vector128,
        _ => PackedKernel.Scalar,
    };

    /// <summary>
    /// One GEMM on raw pointers with leading dimensions: op(A)(i, p) is <c>a[i·lda + p]</c>, or <c>a[p·lda + i]</c> when transposed;
    /// op(B)(p, j) is <c>b[p·ldb + j]</c>, or <c>b[j·ldb + p]</c> when transposed; C(i, j) is <c>c[i·ldc + j]</c>.
    /// </summary>
    /// <remarks>
    /// With <c>packedB</c> set, op(B) was packed beforehand (<see cref="PackedMatrix{T}"/>): B is not read, and the panel of columns
    /// [j, j + NR) in depth block pc starts at <c>packedB + pc·packedWidth + (packedFirstColumn + j)·depth</c>.
    /// </remarks>
    private readonly unsafe struct Problem<T>(
        T* a, nint leadingA, bool transposeA, T* b, nint leadingB, bool transposeB, T* c, nint leadingC,
        int m, int n, int k, bool accumulate, T* packedB = null, nint packedWidth = 0, int packedDepthBlock = 0, int packedFirstColumn = 0)
        where T : unmanaged
    {
        public readonly T* A = a, B = b, C = c, PackedB = packedB;
        public readonly nint LeadingA = leadingA, LeadingB = leadingB, LeadingC = leadingC, PackedWidth = packedWidth;
        public readonly bool TransposeA = transposeA, TransposeB = transposeB, Accumulate = accumulate;
        public readonly int M = m, N = n, K = k, PackedDepthBlock = packedDepthBlock, PackedFirstColumn = packedFirstColumn;

        /// <summary>The sub-product for rows [first, first + count) of C.</summary>
        public Problem<T> Rows(int first, int count) => new(
            TransposeA ? A + first : A + first * LeadingA, LeadingA, TransposeA, B, LeadingB, TransposeB,
            C + first * LeadingC, LeadingC, count, N, K, Accumulate, PackedB, PackedWidth, PackedDepthBlock, PackedFirstColumn);

        /// <summary>The sub-product for columns [first, first + count) of C.</summary>
        public Problem<T> Columns(int first, int count) => PackedB != null
            ? new(A, LeadingA, TransposeA, B, LeadingB, TransposeB, C + first, LeadingC, M, count, K, Accumulate,
                PackedB, PackedWidth, PackedDepthBlock, PackedFirstColumn + first)
            : new(A, LeadingA, TransposeA, TransposeB ? B + first * LeadingB : B + first, LeadingB, TransposeB,
                C + first, LeadingC, M, count, K, Accumulate);
    }

    /// <summary>Splits a large product over the cores (along its longer side, in whole micro-tiles), or runs it on this thread.</summary>
    private static unsafe void Run<T, TKernel>(Problem<T> problem, KernelTuning tuning, bool dotProducts, bool parallel = true)
        where T : unmanaged, IFloatingPointIeee754<T> where TKernel : IGemmMicroKernel<T>
    {
        long work = (long)problem.M * problem.N * problem.K;
        int parts = parallel && work >= tuning.ParallelThreshold ? tuning.MaxParallelism : 1;
        bool splitRows = problem.M > problem.N;
        int grain = dotProducts ? 4 : splitRows ? TKernel.Rows : TKernel.Columns;
        int length = splitRows ? problem.M : problem.N;
        int tiles = (length + grain - 1) / grain;
        parts = Math.Min(parts, tiles);
        if (parts <= 1)
        {
            RunPart<T, TKernel>(problem, tuning, dotProducts);
            return;
        }
        ParallelParts.Run(parts, new Split<T, TKernel>(problem, tuning, dotProducts, splitRows, grain, length, tiles, parts));
    }

    /// <summary>Part p of a product split into whole micro-tiles along its rows or columns (the body of <see cref="ParallelParts"/>).</summary>
    private readonly struct Split<T, TKernel>(Problem<T> problem, KernelTuning tuning, bool dotProducts, bool splitRows, int grain, int length,
        int tiles, int parts) : IParallelBody where T : unmanaged, IFloatingPointIeee754<T> where TKernel : IGemmMicroKernel<T>
    {
        public void Run(int part)
        {
            int first = (int)((long)tiles * part / parts) * grain;
            int end = Math.Min(length, (int)((long)tiles * (part + 1) / parts) * grain);
            RunPart<T, TKernel>(splitRows ? problem.Rows(first, end - first) : problem.Columns(first, end - first), tuning, dotProducts);
        }
    }

    private static unsafe void RunPart<T, TKernel>(Problem<T> problem, KernelTuning tuning, bool dotProducts)
        where T : unmanaged, IFloatingPointIeee754<T> where TKernel : IGemmMicroKernel<T>
    {
        if (dotProducts)
            GemmDotProducts.Multiply(problem.A, problem.LeadingA, problem.B, problem.LeadingB, problem.C, problem.LeadingC,
                problem.M, problem.N, problem.K, problem.Accumulate);
        else
            RunBlocked<T, TKernel>(problem, tuning);
    }

    /// <summary>The blocked, packed GEMM on the calling thread.</summary>
    private static unsafe void RunBlocked<T, TKernel>(Problem<T> problem, KernelTuning tuning)
        where T : unmanaged, IFloatingPointIeee754<T> where TKernel : IGemmMicroKernel<T>
    {
        int mr = TKernel.Rows, nr = TKernel.Columns;
        int m = problem.M, n = problem.N, k = problem.K;
        bool prepacked = problem.PackedB != null;
        bool direct = !prepacked && !problem.TransposeB && m <= tuning.DirectRowsLimit && nr * sizeof(T) >= tuning.DirectMinimumPanelBytes;
        int depthBlock = prepacked ? problem.PackedDepthBlock : Math.Max(1, direct ? tuning.DirectDepthBlock : tuning.DepthBlock);
        int kc = Math.Min(depthBlock, k);
        int rowBlock = Math.Max(mr, tuning.RowBlockBytes / (depthBlock * sizeof(T)) / mr * mr);
        int columnBlock = direct || prepacked ? RoundUp(n, nr) : Math.Max(nr, tuning.ColumnBlock / nr * nr);
        int mc = Math.Min(rowBlock, RoundUp(m, mr));
        int nc = Math.Min(columnBlock, RoundUp(n, nr));
        // With a single row block each B panel is used once: pack it just before use, while it stays in L1.
        // B read in place needs a packed panel only for its ragged last columns.
        bool packPanelsOnDemand = !prepacked && (direct || m <= rowBlock);

        nint bytesA = RoundUp(mc * kc * sizeof(T), 64);
        using var lease = GemmBuffers.Rent(bytesA + (nint)(prepacked ? 0 : packPanelsOnDemand ? nr : nc) * kc * sizeof(T));
        byte* buffer = lease.Pointer;
        T* packedA = (T*)buffer;
        T* packedB = (T*)(buffer + bytesA);
        T* edgeTile = stackalloc T[mr * nr];

        for (int jc = 0; jc < n; jc += columnBlock)
        {
            int columns = Math.Min(columnBlock, n - jc);
            for (int pc = 0; pc < k; pc += depthBlock)
            {
                int depth = Math.Min(depthBlock, k - pc);
                bool overwrite = !problem.Accumulate && pc == 0;
                if (!packPanelsOnDemand && !prepacked) PackB(problem, pc, depth, jc, columns, nr, packedB);

                for (int ic = 0; ic < m; ic += rowBlock)
                {
                    int rows = Math.Min(rowBlock, m - ic);
                    if (problem.TransposeA)
                        GemmPacking.PackDepthMajor(problem.A + pc * problem.LeadingA + ic, problem.LeadingA, depth, rows, mr, packedA);
                    else
                        GemmPacking.PackLineMajor(problem.A + ic * problem.LeadingA + pc, problem.LeadingA, depth, rows, mr, packedA);

                    for (int jr = 0; jr < columns; jr += nr)
                    {
                        int tileColumns = Math.Min(nr, columns - jr);
                        T* panelB = packedB + jr * depth;
                        nint strideB = nr;
                        if (prepacked)
                        {
                            panelB = problem.PackedB + pc * problem.PackedWidth + (nint)(problem.PackedFirstColumn + jc + jr) * depth;
                        }
                        else if (direct && tileColumns == nr)
                        {
                            panelB = problem.B + pc * problem.LeadingB + jc + jr;
                            strideB = problem.LeadingB;
                        }
                        else if (packPanelsOnDemand)
                        {
                            panelB = packedB;
                            PackB(problem, pc, depth, jc + jr, tileColumns, nr, panelB);
                        }
                        for (int ir = 0; ir < rows; ir += mr)
                        {
                            int tileRows = Math.Min(mr, rows - ir);
                            T* panelA = packedA + ir * depth;
                            T* tile = problem.C + (ic + ir) * problem.LeadingC + jc + jr;
                            if (tileRows == mr && tileColumns == nr)
                            {
                                TKernel.Run(depth, panelA, panelB, strideB, tile, problem.LeadingC, overwrite);
                            }
                            else
                            {
                                TKernel.Run(depth, panelA, panelB, strideB, edgeTile, nr, overwrite: true);
                                MergeEdgeTile(edgeTile, nr, tile, problem.LeadingC, tileRows, tileColumns, overwrite);
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>Packs columns [firstColumn, firstColumn + count) × depth [firstDepth, firstDepth + depth) of op(B) into panels of panelWidth.</summary>
    private static unsafe void PackB<T>(in Problem<T> problem, int firstDepth, int depth, int firstColumn, int count, int panelWidth, T* destination)
        where T : unmanaged
    {
        if (problem.TransposeB)
            GemmPacking.PackLineMajor(problem.B + firstColumn * problem.LeadingB + firstDepth, problem.LeadingB, depth, count, panelWidth, destination);
        else
            GemmPacking.PackDepthMajor(problem.B + firstDepth * problem.LeadingB + firstColumn, problem.LeadingB, depth, count, panelWidth, destination);
    }

    /// <summary>Writes (or adds) the valid rows×columns corner of a micro-tile computed into scratch.</summary>
    private static unsafe void MergeEdgeTile<T>(T* scratch, int scratchStride, T* tile, nint stride, int rows, int columns, bool overwrite)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < rows; i++)
        {
            T* from = scratch + i * scratchStride;
            T* to = tile + i * stride;
            if (overwrite)
                for (int j = 0; j < columns; j++) to[j] = from[j];
            else
                for (int j = 0; j < columns; j++) to[j] += from[j];
        }
    }

    /// <summary>c (1×n) = or += a (1×k) · op(B): with B as stored, <see cref="RowVectorProduct"/> (columns accumulated in registers over the depth); with Bᵀ, one dot product per column.</summary>
    private static void VectorTimesMatrix<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, bool transposeB, Span<T> c, int n, int k, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (transposeB)
        {
            for (int j = 0; j < n; j++)
            {
                T dot = TensorPrimitives.Dot(a, b.Slice(j * k, k));
                c[j] = accumulate ? c[j] + dot : dot;
            }
            return;
        }
        RowVectorProduct.Multiply(a, b[..(k * n)], c, accumulate);
    }

    /// <summary>c (m×1) = or += op(A) · b (k×1).</summary>
    private static void MatrixTimesVector<T>(ReadOnlySpan<T> a, bool transposeA, ReadOnlySpan<T> b, Span<T> c, int m, int k, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!transposeA)
        {
            for (int i = 0; i < m; i++)
            {
                T dot = TensorPrimitives.Dot(a.Slice(i * k, k), b);
                c[i] = accumulate ? c[i] + dot : dot;
            }
            return;
        }
        if (!accumulate) c.Clear();
        for (int p = 0; p < k; p++)
            TensorPrimitives.MultiplyAdd(a.Slice(p * m, m), b[p], c, c);
    }

    /// <summary>Elements of C a kernel computes, edge tiles padded to whole tiles (the waste a kernel shape causes).</summary>
    private static long PaddedArea<T, TKernel>(int m, int n) where T : unmanaged where TKernel : IGemmMicroKernel<T> =>
        (long)RoundUp(m, TKernel.Rows) * RoundUp(n, TKernel.Columns);

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;
}
