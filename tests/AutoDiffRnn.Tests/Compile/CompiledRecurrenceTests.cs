using AutoDiffRnn.Autodiff;
using AutoDiffRnn.Compile;
using AutoDiffRnn.Tests.Support;

namespace AutoDiffRnn.Tests.Compile;

/// <summary>
/// The sequence-level node of a compiled cell (<c>compiled_recurrence</c>): one node per direction, hoisted input products, weight
/// gradients over all steps at once; against the same cells run eagerly step by step.
/// </summary>
public class CompiledRecurrenceTests
{
    private const int Steps = 5, Batch = 3, Input = 4, Hidden = 3;
    private static readonly int[] Lengths = [5, 0, 3];

    public static TheoryData<string> Cells => new(ExampleCell.Names);

    [Theory]
    [MemberData(nameof(Cells))]
    public void Two_stacked_bidirectional_layers_with_lengths_equal_the_eager_cells_in_values_and_every_gradient(string name)
    {
        var generator = new Generator(17);
        var cells = new[]
        {
            ExampleCell.Create(name, Input, Hidden, DType.Float64, generator), ExampleCell.Create(name, Input, Hidden, DType.Float64, generator),
            ExampleCell.Create(name, 2 * Hidden, Hidden, DType.Float64, generator), ExampleCell.Create(name, 2 * Hidden, Hidden, DType.Float64, generator),
        };
        var parameters = cells.SelectMany(cell => cell.Parameters).ToArray();
        int stateCount = cells[0].StateCount;
        var states = Enumerable.Range(0, 4 * stateCount)
            .Select(_ => Tensor.Normal(new Shape(Batch, Hidden), 0, 0.5, DType.Float64, generator)).ToArray();
        var inputs = Tensor.Normal(new Shape(Steps, Batch, Input), dtype: DType.Float64, generator: generator);
        Func<Tensor[], Tensor[]> Run(bool compile) => a =>
        {
            var layers = new[]
            {
                new RecurrenceLayer(cells[0].Compile(compile), cells[1].Compile(compile)),
                new RecurrenceLayer(cells[2].Compile(compile), cells[3].Compile(compile)),
            };
            var initial = Enumerable.Range(0, 4).Select(d => a[(1 + d * stateCount)..(1 + (d + 1) * stateCount)]).ToList();
            var result = Recurrence.Run(layers, a[0], initial, Lengths);
            return [result.Output, .. result.FinalStates.SelectMany(state => state)];
        };
        Tensor[] arguments = [inputs, .. states];
        var eager = CompiledComparison.Run(Run(compile: false), arguments, parameters);
        var compiled = CompiledComparison.Run(Run(compile: true), arguments, parameters);
        CompiledComparison.AssertClose(eager, compiled, 1e-12, name);
    }

    [Theory]
    [MemberData(nameof(Cells))]
    public void A_direction_is_one_node_on_the_tape_holding_the_input_the_state_and_the_parameters(string name)
    {
        var (cell, state, inputs) = Fixture(name);
        var result = Recurrence.Run(cell.Compile(), inputs, state, Lengths);
        var names = OperationNames([result.Output, .. result.FinalStates[0]]);
        Assert.Equal(1, names.Count(n => n == "compiled_recurrence"));
        Assert.DoesNotContain("compiled_cell", names);
        Assert.DoesNotContain("where", names);
    }

    /// <summary>
    /// The backward leaves some per-step gradient buffers uncleared (a region or product that is their only writer stores into them):
    /// with the storage pool holding NaN-filled arrays of every length a buffer of this size could take, any element left unwritten
    /// would turn a gradient into NaN.
    /// </summary>
    [Theory]
    [MemberData(nameof(Cells))]
    public void Gradient_buffers_left_uncleared_are_written_in_full(string name)
    {
        var (cell, state, inputs) = Fixture(name);
        inputs.SetRequiresGrad();
        Func<Tensor[], Tensor[]> Run(bool compile) => a =>
        {
            var result = Recurrence.Run(cell.Compile(compile), a[0], a[1..], Lengths);
            return [result.Output, .. result.FinalStates[0]];
        };
        var eager = CompiledComparison.Run(Run(compile: false), [inputs, .. state], cell.Parameters);
        var poisoned = new List<double[]>();
        for (int width = 1; width <= 8 * Hidden + Input; width++)
            for (int copy = 0; copy < 4; copy++)
            {
                var array = (double[])TensorStoragePool.Rent(Steps * Batch * width, DType.Float64, clear: false);
                Array.Fill(array, double.NaN);
                poisoned.Add(array);
            }
        foreach (var array in poisoned) TensorStoragePool.Return(array);
        var compiled = CompiledComparison.Run(Run(compile: true), [inputs, .. state], cell.Parameters);
        CompiledComparison.AssertClose(eager, compiled, 1e-12, $"{name} over a NaN-filled storage pool");
    }

    [Theory]
    [InlineData("gru", 2)]  // x W_ihᵀ + b_ih (hoisted) and h W_hhᵀ + b_hh (per step): the region is the only writer of both gradients
    [InlineData("lstm", 1)] // the gates, x W_ihᵀ + b + h W_hhᵀ in one buffer
    [InlineData("mgu", 5)]  // both gate sums, f and (1 − f) ⊙ h (read by the second region only), f ⊙ h (the candidate's product only)
    public void Gradient_buffers_with_one_writer_that_covers_them_are_not_cleared(string name, int uncleared)
    {
        var (cell, state, inputs) = Fixture(name);
        var plan = cell.Compile().DescribeSequence(inputs.Select(0, 0), state);
        Assert.Contains($"gradient buffers stored into without clearing (one writer per step): {uncleared}", plan);
    }

    /// <summary>
    /// A batch large enough to be split over two cores (each runs the whole time loop for its block of sequences, parameters read by the
    /// regions get a private gradient per part): values and every gradient equal the eager run.
    /// </summary>
    [Theory]
    [InlineData("lstm")]
    [InlineData("peephole")] // peephole weights: whole-sequence parameters inside the region
    [InlineData("mgu")]
    public void A_batch_split_over_two_cores_equals_the_eager_run(string name)
    {
        const int batch = 33, hidden = 128, steps = 3, input = 5; // every cell here has at least 2^20 multiply-adds of per-step products
        var generator = new Generator(31);
        var cell = ExampleCell.Create(name, input, hidden, DType.Float64, generator);
        var (_, state) = cell.Arguments(batch, input, hidden, DType.Float64, generator);
        var inputs = Tensor.Normal(new Shape(steps, batch, input), dtype: DType.Float64, generator: generator).SetRequiresGrad();
        int[] lengths = Enumerable.Range(0, batch).Select(b => b % (steps + 1)).ToArray();
        using var tuning = AutoDiffRnn.Kernels.KernelTuning.Use(AutoDiffRnn.Kernels.KernelTuning.Current with { MaxParallelism = 2 });
        Func<Tensor[], Tensor[]> Run(bool compile) => a =>
        {
            var result = Recurrence.Run(cell.Compile(compile), a[0], a[1..], lengths);
            return [result.Output, .. result.FinalStates[0]];
        };
        var eager = CompiledComparison.Run(Run(compile: false), [inputs, .. state], cell.Parameters);
        var compiled = CompiledComparison.Run(Run(compile: true), [inputs, .. state], cell.Parameters);
        CompiledComparison.AssertClose(eager, compiled, 1e-12, $"{name}, batch split over two cores");
    }

    [Fact]
    public void The_lstm_hoists_its_input_product_and_runs_one_product_and_one_region_per_step()
    {
        var cell = ExampleCell.Create("lstm", Input, Hidden, DType.Float64, new Generator(11));
        var (x, state) = cell.Arguments(Batch, Input, Hidden, DType.Float64, new Generator(5));
        var plan = cell.Compile().DescribeSequence(x, state);
        Assert.Contains("hoisted over all steps: linear", plan);
        Assert.Contains("per step: linear by a packed parameter", plan);
        Assert.Contains("accumulated onto a value hoisted over all steps (the add folded in)", plan); // x W_ihᵀ + b + h W_hhᵀ in one buffer
        Assert.Contains("per step: fused region", plan);
        Assert.DoesNotContain("per step: eager", plan);
    }

    [Fact]
    public void The_gru_reads_its_hoisted_input_gates_by_offset_in_its_region_and_hoists_no_narrow()
    {
        var (cell, state, inputs) = Fixture("gru");
        var plan = cell.Compile().DescribeSequence(inputs.Select(0, 0), state);
        Assert.Contains("hoisted over all steps: linear", plan);
        Assert.DoesNotContain("hoisted over all steps: narrow", plan); // a chunk of x W_ihᵀ is an offset inside the region, not a copy
        Assert.Equal(2, plan.Split('\n').Count(line => line.Contains("per step:")));
    }

    /// <summary>
    /// A cell using every kind of step: hoisted once (a parameter's sigmoid), hoisted over all steps (x scaled, layer-normalised, then a
    /// linear), a matmul by a [K, N] parameter, an op run eagerly per step (a sum), and a state returned unchanged.
    /// </summary>
    private static (Func<Tensor, Tensor[], Tensor[]> Step, Tensor[] Parameters, Tensor[] State, Tensor Inputs) MixedCell()
    {
        var generator = new Generator(6);
        var weightIh = Tensor.Uniform(new Shape(Hidden, Input), -0.5, 0.5, DType.Float64, generator).SetRequiresGrad();
        var weightHh = Tensor.Uniform(new Shape(Hidden, Hidden), -0.5, 0.5, DType.Float64, generator).SetRequiresGrad();
        var gate = Tensor.Uniform(new Shape(Hidden), -1, 1, DType.Float64, generator).SetRequiresGrad();
        var norm = Tensor.Uniform(new Shape(Input), 0.5, 1.5, DType.Float64, generator).SetRequiresGrad();
        Tensor[] Step(Tensor x, Tensor[] s)
        {
            var projected = Tensor.Linear(Tensor.LayerNorm(x * 0.5, norm, null), weightIh, null);
            var recurrent = Tensor.MatMul(s[0], weightHh);
            var mixed = (projected + recurrent + s[1].Sum(1, keepDim: true)).Tanh() * gate.Sigmoid();
            return [mixed, s[1]];
        }
        var state = new[] { Tensor.Normal(new Shape(Batch, Hidden), dtype: DType.Float64, generator: generator),
            Tensor.Normal(new Shape(Batch, Hidden), dtype: DType.Float64, generator: generator) };
        var inputs = Tensor.Normal(new Shape(Steps, Batch, Input), dtype: DType.Float64, generator: generator);
        return (Step, [weightIh, weightHh, gate, norm], state, inputs);
    }

    [Fact]
    public void A_cell_using_every_kind_of_step_equals_its_eager_run_in_both_directions()
    {
        var (step, parameters, state, inputs) = MixedCell();
        foreach (bool reverse in new[] { false, true })
        {
            Func<Tensor[], Tensor[]> Run(bool compile) => a =>
            {
                var result = Recurrence.Run(Compiled.Cell(step, "mixed", compile), a[0], a[1..], Lengths, reverse);
                return [result.Output, .. result.FinalStates[0]];
            };
            var eager = CompiledComparison.Run(Run(false), [inputs, .. state], parameters);
            var compiled = CompiledComparison.Run(Run(true), [inputs, .. state], parameters);
            CompiledComparison.AssertClose(eager, compiled, 1e-12, $"mixed cell, reverse {reverse}");
        }
        var plan = Compiled.Cell(step, "mixed").DescribeSequence(inputs.Select(0, 0), state);
        Assert.Contains("hoisted once: sigmoid", plan);
        Assert.Contains("hoisted over all steps: layer_norm", plan);
        Assert.Contains("per step: matmul by a packed parameter", plan);
        Assert.Contains("per step: eager sum", plan);
    }

    [Fact]
    public void Under_no_grad_nothing_is_recorded_and_values_equal_the_eager_run()
    {
        var (cell, state, inputs) = Fixture("peephole");
        using var _ = GradMode.NoGrad();
        var compiled = Recurrence.Run(cell.Compile(), inputs, state, Lengths);
        var eager = Recurrence.Run(cell.Compile(compile: false), inputs, state, Lengths);
        Assert.Null(compiled.Output.GradFn);
        CompiledComparison.AssertClose([eager.Output.ToDoubleArray(), eager.FinalStates[0][1].ToDoubleArray()],
            [compiled.Output.ToDoubleArray(), compiled.FinalStates[0][1].ToDoubleArray()], 1e-12, "no grad");
    }

    [Fact]
    public void Gradients_of_gradients_through_a_sequence_fall_back_to_the_eager_graph()
    {
        var (cell, state, inputs) = Fixture("gru");
        double[] SecondOrder(CompiledCell compiled) =>
            CompiledComparison.SecondOrder(h => Recurrence.Run(compiled, inputs, [h], Lengths).Output, state[0], cell.Parameters);
        CompiledComparison.AssertClose([SecondOrder(cell.Compile(compile: false))], [SecondOrder(cell.Compile())], 1e-12, "second order");
    }

    [Theory]
    [InlineData("layernorm-lstm")] // every per-step op inside the node's regions and products
    [InlineData("mixed")]          // a per-step op run eagerly, its nodes kept for the second backward
    public void A_second_backward_with_the_graph_retained_adds_the_same_gradients_again(string name)
    {
        Func<Tensor, Tensor[], Tensor[]> step;
        Tensor[] parameters, state;
        Tensor inputs;
        if (name == "mixed") (step, parameters, state, inputs) = MixedCell();
        else
        {
            (var cell, state, inputs) = Fixture(name);
            (step, parameters) = (cell.Step, cell.Parameters);
        }
        inputs.SetRequiresGrad();
        var loss = (Recurrence.Run(Compiled.Cell(step, name), inputs, state, Lengths).Output * 0.5).Sum();
        loss.Backward(retainGraph: true);
        var once = parameters.Select(parameter => parameter.Grad!.Clone()).Append(inputs.Grad!.Clone()).ToArray();
        loss.Backward();
        var twice = parameters.Select(parameter => parameter.Grad!).Append(inputs.Grad!).ToArray();
        CompiledComparison.AssertClose(once.Select(g => (g * 2.0).ToDoubleArray()).ToArray(), twice.Select(g => g.ToDoubleArray()).ToArray(), 1e-12,
            "retained graph");
        foreach (var parameter in parameters) parameter.ZeroGrad();
    }

    [Fact]
    public void Float32_sequences_agree_with_the_eager_run_to_float32_rounding()
    {
        var cell = ExampleCell.Create("lstm", 16, 32, DType.Float32, new Generator(11));
        var (_, state) = cell.Arguments(8, 16, 32, DType.Float32, new Generator(5));
        var inputs = Tensor.Normal(new Shape(6, 8, 16), generator: new Generator(21));
        Func<Tensor[], Tensor[]> Run(bool compile) => a =>
        {
            var result = Recurrence.Run(cell.Compile(compile), a[0], a[1..], [6, 2, 5, 6, 1, 3, 6, 4]);
            return [result.Output, .. result.FinalStates[0]];
        };
        var eager = CompiledComparison.Run(Run(false), [inputs, .. state], cell.Parameters);
        var compiled = CompiledComparison.Run(Run(true), [inputs, .. state], cell.Parameters);
        CompiledComparison.AssertClose(eager, compiled, 1e-4, "float32 lstm");
    }

    /// <summary>The arrange most tests share: cell <paramref name="name"/> (seed 11), its state (seed 5) and inputs [T, B, I] (seed 21).</summary>
    private static (ExampleCell Cell, Tensor[] State, Tensor Inputs) Fixture(string name)
    {
        var cell = ExampleCell.Create(name, Input, Hidden, DType.Float64, new Generator(11));
        var (_, state) = cell.Arguments(Batch, Input, Hidden, DType.Float64, new Generator(5));
        var inputs = Tensor.Normal(new Shape(Steps, Batch, Input), dtype: DType.Float64, generator: new Generator(21));
        return (cell, state, inputs);
    }

    /// <summary>The names of every node reached from the tensors.</summary>
    private static List<string> OperationNames(Tensor[] roots)
    {
        var seen = new HashSet<Node>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<Node>(roots.Select(root => root.GradFn).OfType<Node>());
        var names = new List<string>();
        while (stack.Count > 0)
        {
            var node = stack.Pop();
            if (!seen.Add(node)) continue;
            names.Add(node.OperationName);
            foreach (var input in node.Inputs)
                if (input.GradFn is { } next) stack.Push(next);
        }
        return names;
    }
}
