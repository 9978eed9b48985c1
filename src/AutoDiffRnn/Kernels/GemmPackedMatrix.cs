using System.Runtime.InteropServices;

namespace AutoDiffRnn.Kernels;

/// <summary>
/// A right-hand GEMM operand op(B) (k×n) packed once into micro-kernel panels (<see cref="Gemm.Pack{T}"/>), for reuse across many
/// products, as the recurrent weight at every step of a sequence. Depth block pc (of <see cref="DepthBlock"/>) starts at element
/// pc·<see cref="Width"/>; within it the panel of columns [j, j + NR) starts at j·depth. Held in 64-byte aligned native memory
/// (no pinned garbage for the GC): dispose it after use.
/// </summary>
internal sealed unsafe class PackedMatrix<T> : IDisposable where T : unmanaged
{
    private T* pointer;

    internal PackedMatrix(Gemm.PackedKernel kernel, int depth, int columns, int width, int panelWidth, int depthBlock)
    {
        PanelWidth = panelWidth;
        Kernel = kernel;
        Depth = depth;
        Columns = columns;
        Width = width;
        DepthBlock = depthBlock;
        pointer = (T*)NativeMemory.AlignedAlloc((nuint)((long)depth * width * sizeof(T)), 64);
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

    /// <summary>The 64-byte aligned first element.</summary>
    internal T* Pointer => pointer != null ? pointer : throw new ObjectDisposedException(nameof(PackedMatrix<T>));

    /// <summary>Frees the native memory.</summary>
    public void Dispose()
    {
        Free();
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees the native memory if the matrix was not disposed.</summary>
    ~PackedMatrix() => Free();

    private void Free()
    {
        if (pointer == null) return;
        NativeMemory.AlignedFree(pointer);
        pointer = null;
    }
}
