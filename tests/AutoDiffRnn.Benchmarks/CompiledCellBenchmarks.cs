using AutoDiffRnn.Compile;
using AutoDiffRnn.FSharp.Torch;
using AutoDiffRnn.Nn;
using BenchmarkDotNet.Attributes;

namespace AutoDiffRnn.Benchmarks;

/// <summary>How a cell's training step is run in <see cref="CompiledCellBenchmarks"/>.</summary>
public enum CellImplementation
{
    /// <summary>The cell compiled (<see cref="Compiled.Cell"/>) and run by <see cref="Recurrence"/>.</summary>
    Compiled,
    /// <summary>The same cell run eagerly, one tape op per primitive (the composed path).</summary>
    Eager,
    /// <summary>The built-in layer with its hand-fused kernel (LSTM and GRU only).</summary>
    Fused,
    /// <summary>The same cell written with TorchSharp ops, run eagerly by libtorch (the anchor of issue 19).</summary>
    TorchOps,
}

/// <summary>A cell and an implementation.</summary>
public sealed record CellCase(string Cell, CellImplementation Implementation)
{
    /// <inheritdoc />
    public override string ToString() => $"{Cell} {Implementation}";
}

/// <summary>
/// Issue 19's benchmark: a training step (forward over T steps, sum of the outputs, backward) of a recurrent cell at T=64, B=32,
/// I=128, H=256 in float32: the compiled cell against the same cell eagerly, the built-in fused LSTM/GRU, and the same cell in
/// TorchSharp ops. Run: <c>dotnet run -c Release --project tests/AutoDiffRnn.Benchmarks -- --filter '*CompiledCell*'</c>.
/// </summary>
[Config(typeof(InProcessComparisonJob))]
[MemoryDiagnoser]
public class CompiledCellBenchmarks
{
    private const int T = 64, B = 32, I = 128, H = 256;
    private Tensor input = null!;
    private Tensor[] state = [];
    private Tensor[] parameters = [];
    private CompiledCell cell = null!;
    private RecurrentLayer layer = null!;
    private Func<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor[], TorchSharp.torch.Tensor[]> torchStep = null!;
    private TorchSharp.torch.Tensor torchInput = null!;
    private TorchSharp.torch.Tensor[] torchState = [];
    private TorchSharp.torch.Tensor[] torchParameters = [];

    /// <summary>The cases: every example cell compiled, eager and in TorchSharp ops; LSTM and GRU also fused.</summary>
    public static IEnumerable<CellCase> Cases =>
        ExampleCell.Names.SelectMany(name => new[] { CellImplementation.Compiled, CellImplementation.Eager, CellImplementation.Fused, CellImplementation.TorchOps }
            .Where(implementation => implementation != CellImplementation.Fused || name is "lstm" or "gru")
            .Select(implementation => new CellCase(name, implementation)));

    /// <summary>The case measured.</summary>
    [ParamsSource(nameof(Cases))]
    public CellCase Case { get; set; } = new("lstm", CellImplementation.Compiled);

    /// <summary>Builds the cell (seeded), the input and the zero state.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var generator = new Generator(1);
        var example = ExampleCell.Create(Case.Cell, I, H, DType.Float32, generator);
        parameters = example.Parameters;
        input = Tensor.Normal(new Shape(T, B, I), generator: generator);
        state = Enumerable.Range(0, example.StateCount).Select(_ => Tensor.Zeros(new Shape(B, H))).ToArray();
        cell = example.Compile(compile: Case.Implementation == CellImplementation.Compiled);
        if (Case.Implementation == CellImplementation.Fused)
            layer = new RecurrentLayer(Case.Cell == "lstm" ? RecurrentKind.Lstm : RecurrentKind.Gru, I, H, generator: generator) { UseFusedKernels = true };
        if (Case.Implementation == CellImplementation.TorchOps)
        {
            TorchSharp.torch.set_num_threads(Environment.ProcessorCount);
            torchParameters = parameters.Select(TorchTensor.LeafOf).ToArray();
            torchStep = TorchExampleCells.Step(Case.Cell, torchParameters);
            torchInput = TorchTensor.OfTensor(input);
            torchState = state.Select(TorchTensor.OfTensor).ToArray();
        }
    }

    /// <summary>Forward over the sequence, sum, backward.</summary>
    [Benchmark]
    public void TrainStep()
    {
        if (Case.Implementation == CellImplementation.TorchOps)
        {
            using var scope = TorchSharp.torch.NewDisposeScope();
            foreach (var parameter in torchParameters) parameter.grad?.zero_();
            TorchExampleCells.Run(torchStep, torchInput, torchState).sum().backward();
            return;
        }
        using var step = TensorScope.Begin(); // as libtorch's dispose scope above: the step's tensors go back to the storage pool
        if (Case.Implementation == CellImplementation.Fused)
        {
            layer.ZeroGrad();
            layer.Forward(input).Output.Sum().Backward();
            return;
        }
        foreach (var parameter in parameters) parameter.ZeroGrad();
        Recurrence.Run(cell, input, state).Output.Sum().Backward();
    }
}
