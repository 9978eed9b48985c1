using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace AutoDiffRnn.Kernels;

/// <summary>
/// A right-hand GEMM operand op(B) (k×n) packed once into micro-kernel panels (<see cref="Gemm.Pack{T}"/>), for reuse across many
/// products, as the recurrent weight at every step of a sequence. Depth block pc (of <see cref="DepthBlock"/>) starts at element
/// pc·<see cref="Width"/>; within it the panel of columns [j, j + NR) starts at j·depth. Held on the pinned object heap.
/// </summary>
internal sealed unsafe class PackedMatrix<T> where T : unmanaged
{
    private readonly T[] storage;
    private readonly int offset;

    internal PackedMatrix(Gemm.PackedKernel kernel, int depth, int columns, int width, int panelWidth, int depthBlock)
    {
        PanelWidth = panelWidth;
        Kernel = kernel;
        Depth = depth;
        Columns = columns;
        Width = width;
        DepthBlock = depthBlock;
        int alignment = 64 / sizeof(T);
        storage = GC.AllocateUninitializedArray<T>(checked(depth * width + alignment), pinned: true);
        nint start = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(storage));
        offset = (int)((((start + 63) & ~(nint)63) - start) / sizeof(T));
    }

    /// <summary>The micro-kernel the panels are laid out for.</summary>
    internal Gemm.PackedKernel Kernel { get; }

    /// <summary>k, the depth of the product.</summary>
    public int Depth { get; }

    /// <summary>n, the columns of op(B).</summary>
    public int Columns { get; }

    /// <summary>n rounded up to whole panels.</summary>
    public int Width { get; }

    /// <summary>NR, the columns of one panel (the micro-kernel's width).</summary>
    public int PanelWidth { get; }

    /// <summary>The depth block KC the panels were cut into.</summary>
    public int DepthBlock { get; }

    /// <summary>The 64-byte aligned first element (the storage is pinned).</summary>
    internal T* Pointer => (T*)Unsafe.AsPointer(ref storage[offset]);
}
