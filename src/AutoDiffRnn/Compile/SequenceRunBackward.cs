using System.Numerics.Tensors;
using AutoDiffRnn.Autodiff;
using AutoDiffRnn.Kernels;

namespace AutoDiffRnn.Compile;

/// <summary>The backward of <see cref="SequenceRun{T}"/>: the time loop in reverse, then the products over all steps and the hoisted ops.</summary>
internal sealed partial class SequenceRun<T>
{
    /// <inheritdoc />
    public Tensor?[] Backward(Tensor gradient)
    {
        var values = graph.Values;
        var gradients = new T[]?[values.Count];
        var gradientTensors = new Tensor?[graph.ArgumentCount];
        var ownGradients = new List<T[]>();
        var folded = FoldedProducts().ToList();
        foreach (var value in values)
        {
            int id = value.Id;
            switch (plan.Layouts[id])
            {
                case SequenceLayout.Input when inputs.RequiresGrad:
                case SequenceLayout.State:
                case SequenceLayout.Whole when value.Kind == TracedValueKind.Argument:
                    var tensor = Tensor.Empty(value.ArgumentIndex == 0 ? inputs.Shape : value.Shape, inputs.DType);
                    gradientTensors[value.ArgumentIndex] = tensor;
                    gradients[id] = (T[])tensor.Storage;
                    break;
                case SequenceLayout.Whole when value.Kind == TracedValueKind.Computed:
                    gradients[id] = (T[])TensorStoragePool.Rent(counts[id], inputs.DType, clear: true);
                    ownGradients.Add(gradients[id]!);
                    break;
                case SequenceLayout.PerStep when plan.Stored[id] && !folded.Any(product => product.Addend == id):
                    gradients[id] = (T[])TensorStoragePool.Rent(steps * counts[id], inputs.DType, clear: !plan.UnclearedGradients[id]);
                    ownGradients.Add(gradients[id]!);
                    break;
            }
        }
        foreach (var product in folded) gradients[product.Addend] = gradients[product.Operation.Output]; // the sum's gradient is the addend's
        ReadOnlySpan<T> incoming = gradient.Span<T>();
        var carried = Enumerable.Range(0, plan.StateCount).Select(k => gradients[1 + k]!).ToArray();
        for (int k = 0, offset = outputCount; k < carried.Length; offset += counts[1 + k], k++)
            incoming.Slice(offset, counts[1 + k]).CopyTo(carried[k]);

        var products = new SharedProducts(plan);
        try
        {
            var (parts, rowsPerPart) = Split();
            if (parts == 1) BackwardRows(0, batch, parallelProducts: true, new StepWork(plan, products, rowsPerPart), incoming, carried, gradients);
            else
            {
                // each part adds into its own copy of the gradients that are not split by rows (parameters read by the regions)
                var partGradients = Enumerable.Range(0, parts).Select(part => part == 0 ? gradients : PrivateWholeGradients(gradients)).ToArray();
                foreach (var part in partGradients.Skip(1))
                    for (int value = 0; value < part.Length; value++)
                        if (!ReferenceEquals(part[value], gradients[value])) ownGradients.Add(part[value]!);
                ParallelParts.Run(parts, new BackwardBlocks(this, rowsPerPart, products, gradient, carried, partGradients));
                for (int part = 1; part < parts; part++)
                    for (int value = 0; value < gradients.Length; value++)
                        if (!ReferenceEquals(partGradients[part][value], gradients[value]))
                            TensorPrimitives.Add<T>(gradients[value]!, partGradients[part][value]!, gradients[value]!);
            }
        }
        finally { products.Dispose(); }
        ParameterProducts(gradients);
        BackwardHoisted(gradients);
        foreach (var buffer in ownGradients) TensorStoragePool.Return(buffer);

        var result = new Tensor?[graph.ArgumentCount];
        for (int i = 0; i < result.Length; i++)
            result[i] = ArgumentTensor(i).RequiresGrad ? gradientTensors[i] : null;
        return result;
    }

    /// <summary>
    /// The same gradient buffers, except private zeroed ones (from the pool) for the values the regions read that are not split by rows
    /// (whole: parameters such as a bias or peephole weights).
    /// </summary>
    private T[]?[] PrivateWholeGradients(T[]?[] gradients)
    {
        var copy = (T[]?[])gradients.Clone();
        foreach (var region in plan.Steps.OfType<SequenceRegion>())
            foreach (int value in region.Region.Externals)
                if (copy[value] is { } buffer && ReferenceEquals(buffer, gradients[value]) && plan.Layouts[value] == SequenceLayout.Whole)
                    copy[value] = (T[])TensorStoragePool.Rent(buffer.Length, inputs.DType, clear: true);
        return copy;
    }

    /// <summary>Part p of the batch split in the backward: the whole reverse time loop for its block of sequences, into its own gradients.</summary>
    private readonly struct BackwardBlocks(SequenceRun<T> run, int rowsPerPart, SharedProducts products, Tensor incoming, T[][] carried,
        T[]?[][] partGradients) : IParallelBody
    {
        public void Run(int part)
        {
            int first = part * rowsPerPart;
            run.BackwardRows(first, Math.Min(run.batch, first + rowsPerPart) - first, parallelProducts: false, new StepWork(run.plan, products, rowsPerPart),
                incoming.Span<T>(), carried, partGradients[part]);
        }
    }

    /// <summary>The backward time loop for sequences [first, first + count) of the batch.</summary>
    private void BackwardRows(int first, int count, bool parallelProducts, StepWork work, ReadOnlySpan<T> incoming, T[][] carried, T[]?[] gradients)
    {
        var cellOutputGradients = carried.Select(buffer => new T[buffer.Length]).ToArray();
        for (int s = steps - 1; s >= 0; s--)
        {
            int t = reverse ? steps - 1 - s : s;
            SplitCarried(t, incoming, carried, cellOutputGradients, first, count);
            for (int k = 0; k < carried.Length; k++)
                if (GradientAt(gradients, graph.Outputs[k], t) is { Array: not null } target)
                {
                    int width = counts[1 + k] / batch;
                    var rows = target.AsSpan(first * width, count * width);
                    TensorPrimitives.Add<T>(rows, cellOutputGradients[k].AsSpan(first * width, count * width), rows);
                }
            for (int index = plan.Steps.Count - 1; index >= 0; index--)
                BackwardStep(plan.Steps[index], index, t, first, count, parallelProducts, gradients, work);
        }
    }

    /// <summary>
    /// The gradients of the cell's outputs at step t: the carried gradient of each state (plus the output's for the first) on active
    /// rows, zero on inactive ones; the carried gradient of active rows is then cleared (an inactive row's passes through unchanged).
    /// </summary>
    private void SplitCarried(int t, ReadOnlySpan<T> incoming, T[][] carried, T[][] cellOutputGradients, int first, int count)
    {
        for (int k = 0; k < carried.Length; k++)
        {
            int size = counts[1 + k], width = size / batch;
            var cellGradient = cellOutputGradients[k].AsSpan();
            var carriedRows = carried[k].AsSpan();
            for (int b = first; b < first + count; b++)
            {
                var row = cellGradient.Slice(b * width, width);
                if (!Active(t, b))
                {
                    row.Clear();
                    continue;
                }
                var carriedRow = carriedRows.Slice(b * width, width);
                if (k == 0) TensorPrimitives.Add<T>(carriedRow, incoming.Slice(t * size + b * width, width), row);
                else carriedRow.CopyTo(row);
                carriedRow.Clear();
            }
        }
    }

    /// <summary>The backward of one step of the loop at time t for sequences [first, first + count).</summary>
    private void BackwardStep(SequenceStep step, int index, int t, int first, int count, bool parallelProducts, T[]?[] gradients, StepWork work)
    {
        switch (step)
        {
            case SequenceRegion region:
            {
                var (externals, outputGradients, externalGradients) = work.Region(index);
                for (int e = 0; e < externals.Length; e++)
                {
                    externals[e] = ValueAt(region.Region.Externals[e], t);
                    externalGradients[e] = GradientAt(gradients, region.Region.Externals[e], t);
                }
                for (int k = 0; k < outputGradients.Length; k++) outputGradients[k] = GradientAt(gradients, region.Region.Outputs[k].Value, t);
                FusedRegionRunner.Backward(region.Region, externals, outputGradients, externalGradients, first, first == 0 && count == batch ? -1 : count,
                    SavedRegisters(index, t), plan.UnclearedExternals[index]);
                break;
            }
            case SequenceProduct product:
            {
                if (GradientAt(gradients, product.A, t) is not { Array: not null } target) break;
                work.Product(index, storage[product.Weight]!, !product.WeightTransposed, product.N, product.K, backward: true)
                    .Multiply(GradientAt(gradients, product.Operation.Output, t).AsSpan(first * product.N, count * product.N),
                        target.AsSpan(first * product.K, count * product.K), count, accumulate: !plan.UnclearedGradients[product.A], parallel: parallelProducts);
                break;
            }
            case SequenceEager eager:
            {
                var operation = eager.Operation;
                var outputGradient = GradientAt(gradients, operation.Output, t);
                if (eagerPassThrough[t][index])
                {
                    AddInto(GradientAt(gradients, operation.Inputs[0], t), outputGradient);
                    break;
                }
                if (eagerNodes[t][index] is not { } node) break;
                var gradient = Tensor.Uninitialized(graph.Values[operation.Output].Shape, inputs.DType);
                outputGradient.AsSpan().CopyTo(gradient.Span<T>());
                var inputGradients = node.Apply(gradient);
                for (int i = 0; i < operation.Inputs.Length; i++)
                    if (inputGradients[i] is { } inputGradient)
                        AddInto(GradientAt(gradients, operation.Inputs[i], t), inputGradient.Span<T>());
                ReleaseAll([.. inputGradients, gradient]);
                break;
            }
        }
    }

    /// <summary>dW (and db) of every product by a parameter, as one GEMM over the rows of all steps.</summary>
    private void ParameterProducts(T[]?[] gradients)
    {
        int rows = steps * batch;
        foreach (var product in plan.Steps.OfType<SequenceProduct>())
        {
            var outputGradient = gradients[product.Operation.Output]!.AsSpan(0, rows * product.N);
            if (gradients[product.Weight] is { } weightGradient)
            {
                ReadOnlySpan<T> a = storage[product.A]!.AsSpan(0, rows * product.K);
                if (product.WeightTransposed)
                    Gemm.Multiply<T>(outputGradient, true, a, false, weightGradient, product.N, product.K, rows, accumulate: true);
                else Gemm.Multiply<T>(a, true, outputGradient, false, weightGradient, product.K, product.N, rows, accumulate: true);
            }
            if (product.Bias >= 0 && gradients[product.Bias] is { } biasGradient)
                for (int row = 0; row < rows; row++)
                    TensorPrimitives.Add<T>(biasGradient, outputGradient.Slice(row * product.N, product.N), biasGradient);
        }
    }

    /// <summary>The hoisted ops' backward, in reverse, each once over its whole (stacked) output gradient.</summary>
    private void BackwardHoisted(T[]?[] gradients)
    {
        for (int h = plan.Hoisted.Count - 1; h >= 0; h--)
        {
            var operation = plan.Hoisted[h].Operation;
            if (gradients[operation.Output] is not { } outputGradient) continue;
            if (hoistedPassThrough[h])
            {
                AddInto(Whole(gradients, operation.Inputs[0]), outputGradient);
                continue;
            }
            if (hoistedNodes[h] is not { } node) continue;
            var inputGradients = node.Apply(new Tensor(outputGradient, wholeTensors[operation.Output]!.Shape));
            for (int i = 0; i < operation.Inputs.Length; i++)
                if (inputGradients[i] is { } inputGradient) AddInto(Whole(gradients, operation.Inputs[i]), inputGradient.Span<T>());
            ReleaseAll(inputGradients);
        }
    }

    /// <summary>Hands the pooled gradients an op's backward made (and this run consumed) back to the storage pool.</summary>
    private static void ReleaseAll(Tensor?[] consumed)
    {
        foreach (var tensor in consumed.OfType<Tensor>().Distinct(ReferenceEqualityComparer.Instance).Cast<Tensor>().ToList())
            if (tensor.OwnsStorageAlone) tensor.Release(ReleaseReason.Backward);
    }

    private static ArraySegment<T> Whole(T[]?[] gradients, int value) => gradients[value] is { } buffer ? new ArraySegment<T>(buffer) : default;

    private static void AddInto(ArraySegment<T> target, ReadOnlySpan<T> contribution)
    {
        if (target.Array is null) return;
        if (target.Count != contribution.Length)
            throw new InvalidOperationException($"compiled recurrence: a gradient of {contribution.Length} elements for a value of {target.Count}");
        TensorPrimitives.Add<T>(target.AsSpan(), contribution, target.AsSpan());
    }
}
