using AutoDiffRnn.Kernels;

namespace AutoDiffRnn.Compile;

/// <summary>What the time loops of <see cref="SequenceRun{T}"/> reuse at every step.</summary>
internal sealed partial class SequenceRun<T>
{
    /// <summary>
    /// The parameter matrices of the products, each packed once per pass (on first use) and shared by the threads of a split batch;
    /// the backward's are op(W)ᵀ.
    /// </summary>
    private sealed class SharedProducts(SequencePlan plan) : IDisposable
    {
        private readonly RecurrentProduct<T>?[] forward = new RecurrentProduct<T>?[plan.Steps.Count];
        private readonly RecurrentProduct<T>?[] backward = new RecurrentProduct<T>?[plan.Steps.Count];
        private readonly Lock gate = new();

        /// <summary>For product step <paramref name="index"/>: op(B), B stored k×n (n×k when <paramref name="transposeB"/>), for up to <paramref name="rows"/> rows.</summary>
        public RecurrentProduct<T> Get(int index, T[] b, bool transposeB, int k, int n, int rows, bool isBackward)
        {
            var products = isBackward ? backward : forward;
            if (Volatile.Read(ref products[index]) is { } product) return product;
            lock (gate) return products[index] ??= new RecurrentProduct<T>(b, transposeB, k, n, rows);
        }

        public void Dispose()
        {
            foreach (var product in forward.Concat(backward)) product?.Dispose();
        }
    }

    /// <summary>What one thread's time loop reuses at every step: the segment arrays of each region, and the shared products.</summary>
    private sealed class StepWork(SequencePlan plan, SharedProducts products, int rows)
    {
        private readonly (ArraySegment<T>[], ArraySegment<T>[], ArraySegment<T>[])?[] regions = new (ArraySegment<T>[], ArraySegment<T>[], ArraySegment<T>[])?[plan.Steps.Count];

        /// <summary>For region step <paramref name="index"/>: arrays for its externals, its outputs (or their gradients) and its externals' gradients.</summary>
        public (ArraySegment<T>[] Externals, ArraySegment<T>[] Outputs, ArraySegment<T>[] ExternalGradients) Region(int index)
        {
            if (regions[index] is { } arrays) return arrays;
            var region = ((SequenceRegion)plan.Steps[index]).Region;
            var created = (new ArraySegment<T>[region.Externals.Length], new ArraySegment<T>[region.Outputs.Length], new ArraySegment<T>[region.Externals.Length]);
            regions[index] = created;
            return created;
        }

        /// <summary>For product step <paramref name="index"/>: op(B) packed once per pass.</summary>
        public RecurrentProduct<T> Product(int index, T[] b, bool transposeB, int k, int n, bool backward = false) =>
            products.Get(index, b, transposeB, k, n, rows, backward);
    }
}
