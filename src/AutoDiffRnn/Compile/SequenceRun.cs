using System.Numerics;
using System.Numerics.Tensors;
using AutoDiffRnn.Autodiff;
using AutoDiffRnn.Kernels;

namespace AutoDiffRnn.Compile;

/// <summary>
/// One run of a compiled cell over a sequence (<see cref="CompiledRecurrence"/>), following its <see cref="SequencePlan"/>.
/// <para>Forward: the hoisted ops run once over the rows of all steps (the input products x W_ihᵀ + b of every step are one GEMM); then
/// per step the loop's steps run on that step's slices: fused regions through <see cref="FusedRegionRunner"/>, products by a parameter
/// on a matrix packed once per sequence, other ops through their own implementation; then the new state is merged under the lengths
/// (an inactive row keeps its state and outputs zero). Every per-step value read outside a region is kept in a buffer stacked over
/// time, rented once per sequence from the storage pool; a value that lives only inside a region's registers has no buffer and no
/// gradient buffer (<see cref="SequencePlan.Stored"/>). When recording, each region's registers of every row and step are kept in one
/// buffer (as the fused kernels keep their gates), so the backward reads them instead of recomputing the row.</para>
/// <para>Backward, in reverse: per step the cell's output gradients (masked), the regions' backward, dA = dY op(W) for each product;
/// after the loop every parameter of a product gets its gradient as one GEMM over all steps (dW = Σₜ dYₜᵀ Aₜ), and the hoisted ops
/// their backward once over the stacked rows (dx and dW_ih: one GEMM each).</para>
/// </summary>
internal sealed partial class SequenceRun<T> : ISequenceRun where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly SequencePlan plan;
    private readonly TracedGraph graph;
    private readonly Tensor inputs;
    private readonly Tensor[] initialState;
    private readonly int[]? lengths;
    private readonly bool reverse, record;
    private readonly int steps, batch, outputCount;
    private readonly int[] counts; // elements of each value at one step
    private readonly T[]?[] storage; // each value's storage: whole, or stacked over time (state: steps + 1 slots)
    private readonly Tensor?[] wholeTensors; // parameters, constants and values hoisted once or stacked: their tensors
    private readonly Node?[] hoistedNodes;
    private readonly bool[] hoistedPassThrough;
    private readonly Node?[][] eagerNodes; // [t][step]
    private readonly bool[][] eagerPassThrough;
    private readonly T[]?[] savedRegisters; // per region step, when recording: every row's registers at every step, for the backward
    private readonly List<T[]> rented = [];
    private readonly List<Tensor> created = []; // tensors made for the hoisted ops, released with the run

    public SequenceRun(SequencePlan plan, Tensor inputs, Tensor[] initialState, int[]? lengths, bool reverse, bool record)
    {
        (this.plan, graph, this.inputs, this.initialState, this.lengths, this.reverse, this.record) =
            (plan, plan.Graph, inputs, initialState, lengths, reverse, record);
        steps = inputs.Shape[0];
        batch = inputs.Shape[1];
        var values = graph.Values;
        counts = values.Select(value => value.Shape.ElementCount).ToArray();
        outputCount = steps * counts[1];
        storage = new T[]?[values.Count];
        wholeTensors = new Tensor?[values.Count];
        hoistedNodes = new Node?[plan.Hoisted.Count];
        hoistedPassThrough = new bool[plan.Hoisted.Count];
        int eagerCount = plan.Steps.Count;
        savedRegisters = new T[]?[plan.Steps.Count];
        eagerNodes = plan.Steps.Any(step => step is SequenceEager) ? Enumerable.Range(0, steps).Select(_ => new Node?[eagerCount]).ToArray() : [];
        eagerPassThrough = plan.Steps.Any(step => step is SequenceEager) ? Enumerable.Range(0, steps).Select(_ => new bool[eagerCount]).ToArray() : [];
    }

    /// <inheritdoc />
    public void Forward(Tensor packed)
    {
        var values = graph.Values;
        foreach (var value in values)
        {
            int id = value.Id;
            switch (plan.Layouts[id])
            {
                case SequenceLayout.Input: storage[id] = (T[])inputs.Storage; break;
                case SequenceLayout.State: storage[id] = Rent((steps + 1) * counts[id], clear: false); break;
                case SequenceLayout.Whole when value.Kind != TracedValueKind.Computed:
                    wholeTensors[id] = value.Kind == TracedValueKind.Constant ? value.Constant! : ArgumentTensor(value.ArgumentIndex);
                    storage[id] = (T[])wholeTensors[id]!.Storage;
                    break;
            }
        }
        var hoistedOutputs = new HashSet<int>(plan.Hoisted.Select(hoisted => hoisted.Operation.Output));
        var folded = FoldedProducts().ToList();
        foreach (var value in values)
            if (plan.Layouts[value.Id] == SequenceLayout.PerStep && plan.Stored[value.Id] && !hoistedOutputs.Contains(value.Id)
                && !folded.Any(product => product.Operation.Output == value.Id))
                storage[value.Id] = Rent(steps * counts[value.Id], clear: false);
        if (record)
            for (int index = 0; index < plan.Steps.Count; index++)
                if (plan.Steps[index] is SequenceRegion { Region: var region })
                    savedRegisters[index] = Rent(steps * region.Rows * region.SavedWidth, clear: false);
        RunHoisted();
        foreach (var product in folded) storage[product.Operation.Output] = storage[product.Addend]; // accumulated in place

        var states = Enumerable.Range(0, plan.StateCount).Select(k => storage[1 + k]!).ToArray();
        int start = reverse ? steps - 1 : 0;
        for (int k = 0; k < states.Length; k++)
            initialState[k].Span<T>().CopyTo(states[k].AsSpan(start * counts[1 + k], counts[1 + k]));

        var products = new SharedProducts(plan);
        try
        {
            var (parts, rowsPerPart) = Split();
            if (parts == 1) ForwardRows(0, batch, parallelProducts: true, new StepWork(plan, products, rowsPerPart), packed);
            else ParallelParts.Run(parts, new ForwardBlocks(this, rowsPerPart, products, packed));
        }
        finally { products.Dispose(); }
        var final = packed.Span<T>()[outputCount..];
        for (int k = 0, offset = 0; k < states.Length; offset += counts[1 + k], k++)
            states[k].AsSpan(steps * counts[1 + k], counts[1 + k]).CopyTo(final.Slice(offset, counts[1 + k]));
    }

    /// <summary>
    /// The split of the batch over the cores: every step of the loop treats rows independently (no op runs eagerly per step, every
    /// per-step value is [B, …]), so each core can run the whole time loop for a block of sequences, as the fused kernels do.
    /// </summary>
    private (int Parts, int RowsPerPart) Split()
    {
        if (!plan.RowIndependent || batch < 2) return (1, batch);
        long work = (long)batch * plan.Steps.OfType<SequenceProduct>().Sum(product => (long)product.K * product.N);
        int parts = work >= RecurrenceSplit.ParallelWork ? Math.Min(batch, Gemm.MaxParallelism) : 1;
        int rowsPerPart = (batch + parts - 1) / parts;
        return ((batch + rowsPerPart - 1) / rowsPerPart, rowsPerPart);
    }

    /// <summary>
    /// Part p of the batch split in the forward: the whole time loop for its block of sequences (the body of <see cref="ParallelParts"/>,
    /// whose dedicated workers start the parts at once where the thread pool may start them late on a loaded machine).
    /// </summary>
    private readonly struct ForwardBlocks(SequenceRun<T> run, int rowsPerPart, SharedProducts products, Tensor packed) : IParallelBody
    {
        public void Run(int part)
        {
            int first = part * rowsPerPart;
            run.ForwardRows(first, Math.Min(run.batch, first + rowsPerPart) - first, parallelProducts: false, new StepWork(run.plan, products, rowsPerPart), packed);
        }
    }

    /// <summary>The time loop for sequences [first, first + count) of the batch.</summary>
    private void ForwardRows(int first, int count, bool parallelProducts, StepWork work, Tensor packed)
    {
        for (int s = 0; s < steps; s++)
        {
            int t = reverse ? steps - 1 - s : s;
            for (int index = 0; index < plan.Steps.Count; index++) ForwardStep(plan.Steps[index], index, t, first, count, parallelProducts, work);
            Merge(t, packed.Span<T>(), first, count);
        }
    }

    /// <summary>The products added onto a hoisted value in place (<see cref="SequenceProduct.Addend"/>): output and addend share a buffer.</summary>
    private IEnumerable<SequenceProduct> FoldedProducts() => plan.Steps.OfType<SequenceProduct>().Where(product => product.Addend >= 0);

    /// <inheritdoc />
    public void Release()
    {
        foreach (var buffer in rented) TensorStoragePool.Return(buffer);
        rented.Clear();
        foreach (var tensor in created) tensor.Release(ReleaseReason.Backward);
        created.Clear();
    }

    private Tensor ArgumentTensor(int index) =>
        index == 0 ? inputs : index <= plan.StateCount ? initialState[index - 1] : graph.CapturedParameters[index - 1 - plan.StateCount];

    private T[] Rent(int length, bool clear)
    {
        var buffer = (T[])TensorStoragePool.Rent(length, inputs.DType, clear);
        if (buffer.Length > 0) rented.Add(buffer);
        return buffer;
    }

    /// <summary>The registers region step <paramref name="index"/> keeps at step t for the backward (default when not recording).</summary>
    private ArraySegment<T> SavedRegisters(int index, int t)
    {
        if (savedRegisters[index] is not { } buffer) return default;
        var region = ((SequenceRegion)plan.Steps[index]).Region;
        int size = region.Rows * region.SavedWidth;
        return new ArraySegment<T>(buffer, t * size, size);
    }

    /// <summary>The value at step t: its block of a stacked buffer, or the whole tensor.</summary>
    private ArraySegment<T> ValueAt(int value, int t) => plan.Layouts[value] == SequenceLayout.Whole
        ? new ArraySegment<T>(storage[value]!)
        : new ArraySegment<T>(storage[value]!, t * counts[value], counts[value]);

    /// <summary>Where the gradient of the value at step t accumulates (default when none is needed): the carried gradient of a state.</summary>
    private ArraySegment<T> GradientAt(T[]?[] gradients, int value, int t) => gradients[value] is not { } buffer
        ? default
        : plan.Layouts[value] is SequenceLayout.Whole or SequenceLayout.State
            ? new ArraySegment<T>(buffer)
            : new ArraySegment<T>(buffer, t * counts[value], counts[value]);

    private bool Active(int t, int b) => lengths is null || t < lengths[b];

    /// <summary>The hoisted ops, once: over the stacked rows of all steps, or over parameters and constants.</summary>
    private void RunHoisted()
    {
        if (plan.Hoisted.Count == 0) return;
        Tensor? stackedInput = null;
        using var mode = GradMode.Set(enabled: record);
        for (int h = 0; h < plan.Hoisted.Count; h++)
        {
            var (operation, stacked) = plan.Hoisted[h];
            var operands = operation.Inputs.Select(input =>
            {
                if (plan.Layouts[input] == SequenceLayout.Input)
                {
                    if (stackedInput is null)
                    {
                        stackedInput = inputs.Alias(new Shape(steps * batch, inputs.Shape[2]));
                        created.Add(stackedInput);
                        if (record && inputs.RequiresGrad) stackedInput.SetRequiresGrad();
                    }
                    return stackedInput;
                }
                var tensor = wholeTensors[input]!;
                if (!tensor.IsLeaf) return tensor;
                var leaf = Leaf(tensor);
                created.Add(leaf);
                return leaf;
            }).ToArray();
            var shape = graph.Values[operation.Output].Shape;
            if (stacked) shape = Shape.Wrap([steps * shape[0], .. shape.Dimensions[1..]]);
            var output = OperationReplay.Run(operation, operands, shape);
            hoistedPassThrough[h] = ReferenceEquals(output, operands[0]);
            hoistedNodes[h] = hoistedPassThrough[h] ? null : output.GradFn;
            wholeTensors[operation.Output] = output;
            storage[operation.Output] = (T[])output.Storage;
            if (!hoistedPassThrough[h]) created.Add(output);
        }
    }

    /// <summary>A leaf over the tensor's storage, requiring gradients when this run records and the tensor does.</summary>
    private Tensor Leaf(Tensor tensor)
    {
        var leaf = tensor.Detach();
        return record && tensor.RequiresGrad ? leaf.SetRequiresGrad() : leaf;
    }

    /// <summary>One step of the loop at time t for sequences [first, first + count) (an eager op only ever runs on the whole batch).</summary>
    private void ForwardStep(SequenceStep step, int index, int t, int first, int count, bool parallelProducts, StepWork work)
    {
        switch (step)
        {
            case SequenceRegion region:
            {
                var (externals, outputs, _) = work.Region(index);
                for (int e = 0; e < externals.Length; e++) externals[e] = ValueAt(region.Region.Externals[e], t);
                for (int k = 0; k < outputs.Length; k++) outputs[k] = ValueAt(region.Region.Outputs[k].Value, t);
                FusedRegionRunner.Forward(region.Region, externals, outputs, first, first == 0 && count == batch ? -1 : count, SavedRegisters(index, t));
                break;
            }
            case SequenceProduct product:
            {
                // the result starts as the bias, or (folded) holds the addend already, plus the bias
                var result = ValueAt(product.Operation.Output, t).AsSpan(first * product.N, count * product.N);
                if (product.Bias >= 0)
                {
                    ReadOnlySpan<T> bias = storage[product.Bias].AsSpan(0, product.N);
                    for (int b = 0; b < count; b++)
                    {
                        var row = result.Slice(b * product.N, product.N);
                        if (product.Addend >= 0) TensorPrimitives.Add(row, bias, row);
                        else bias.CopyTo(row);
                    }
                }
                work.Product(index, storage[product.Weight]!, product.WeightTransposed, product.K, product.N)
                    .Multiply(ValueAt(product.A, t).AsSpan(first * product.K, count * product.K), result, count,
                        accumulate: product.Bias >= 0 || product.Addend >= 0, parallel: parallelProducts);
                break;
            }
            case SequenceEager eager:
            {
                var operation = eager.Operation;
                var operands = operation.Inputs.Select(input => StepTensor(input, t)).ToArray();
                Tensor output;
                using (GradMode.Set(enabled: record))
                    output = OperationReplay.Run(operation, operands, eager.OutputShape);
                output.Span<T>().CopyTo(ValueAt(operation.Output, t));
                eagerPassThrough[t][index] = ReferenceEquals(output, operands[0]);
                if (record) eagerNodes[t][index] = eagerPassThrough[t][index] ? null : output.GradFn;
                // the copies and the output go back to the pool with the run (the node may read them until the tape frees it)
                var made = operands.Append(output).Distinct(ReferenceEqualityComparer.Instance).Cast<Tensor>();
                if (record) lock (created) created.AddRange(made);
                else foreach (var tensor in made) tensor.Release(ReleaseReason.Backward);
                break;
            }
        }
    }

    /// <summary>A tensor of the value at step t for an op run eagerly (a copy of a stacked block).</summary>
    private Tensor StepTensor(int value, int t)
    {
        if (plan.Layouts[value] == SequenceLayout.Whole) return Leaf(wholeTensors[value]!);
        var tensor = Tensor.Uninitialized(graph.Values[value].Shape, inputs.DType);
        ValueAt(value, t).AsSpan().CopyTo(tensor.Span<T>());
        return record ? tensor.SetRequiresGrad() : tensor;
    }

    /// <summary>
    /// The state after step t under the lengths, into the next slot, and the step's output rows (zero where inactive), for sequences
    /// [first, first + count).
    /// </summary>
    private void Merge(int t, Span<T> packed, int first, int count)
    {
        int next = reverse ? (t == 0 ? steps : t - 1) : t + 1;
        for (int k = 0; k < plan.StateCount; k++)
        {
            int size = counts[1 + k], width = size / batch;
            var state = storage[1 + k]!;
            ReadOnlySpan<T> computed = ValueAt(graph.Outputs[k], t);
            var destination = state.AsSpan(next * size, size);
            var output = k == 0 ? packed.Slice(t * size, size) : [];
            for (int b = first; b < first + count; b++)
            {
                var row = destination.Slice(b * width, width);
                if (Active(t, b))
                {
                    computed.Slice(b * width, width).CopyTo(row);
                    if (k == 0) computed.Slice(b * width, width).CopyTo(output.Slice(b * width, width));
                }
                else
                {
                    state.AsSpan(t * size + b * width, width).CopyTo(row);
                    if (k == 0) output.Slice(b * width, width).Clear();
                }
            }
        }
    }
}
