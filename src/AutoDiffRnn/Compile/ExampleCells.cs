namespace AutoDiffRnn.Compile;

/// <summary>
/// Five recurrent cells written with public ops only, each with its own parameters, ready to compile: a standard LSTM and GRU
/// (PyTorch's equations, gate order and parameter layout: weight_ih, weight_hh, bias_ih, bias_hh), a peephole LSTM, a layer-normalised
/// LSTM and a minimal gated unit. They show how a custom cell is written, and the tests and benchmarks of the compiler use them.
/// </summary>
public sealed class ExampleCell
{
    private ExampleCell(string name, int stateCount, Tensor[] parameters, Func<Tensor, Tensor[], Tensor[]> step)
    {
        Name = name;
        StateCount = stateCount;
        Parameters = parameters;
        Step = step;
    }

    /// <summary>The cell's name.</summary>
    public string Name { get; }

    /// <summary>How many state tensors it carries (2 for the LSTMs: h, c).</summary>
    public int StateCount { get; }

    /// <summary>Its parameters (all require gradients).</summary>
    public Tensor[] Parameters { get; }

    /// <summary>The step function (input, state) → new state.</summary>
    public Func<Tensor, Tensor[], Tensor[]> Step { get; }

    /// <summary>The cell compiled (or, with <paramref name="compile"/> false, run eagerly through the same wrapper).</summary>
    public CompiledCell Compile(bool compile = true) => Compiled.Cell(Step, Name, compile);

    /// <inheritdoc />
    public override string ToString() => Name;

    /// <summary>The cells: "lstm", "gru", "peephole", "layernorm-lstm", "mgu".</summary>
    public static readonly IReadOnlyList<string> Names = ["lstm", "gru", "peephole", "layernorm-lstm", "mgu"];

    /// <summary>One of <see cref="Names"/> with input size <paramref name="input"/> and hidden size <paramref name="hidden"/>.</summary>
    public static ExampleCell Create(string name, int input, int hidden, DType dtype = DType.Float32, Generator? generator = null)
    {
        double bound = 1 / Math.Sqrt(hidden);
        var parameters = ParameterShapes(name, input, hidden).Select(entry => entry.Gain
            ? (Tensor.Ones(entry.Shape, dtype) + Tensor.Uniform(entry.Shape, -0.1, 0.1, dtype, generator)).Detach().SetRequiresGrad()
            : Tensor.Uniform(entry.Shape, -bound, bound, dtype, generator).SetRequiresGrad()).ToArray();
        return FromParameters(name, parameters);
    }

    /// <summary>The shapes of the cell's parameters, in order; Gain marks layer-norm gains (initialised near 1).</summary>
    public static (Shape Shape, bool Gain)[] ParameterShapes(string name, int input, int hidden)
    {
        (Shape, bool) W(int rows, int columns) => (new Shape(rows, columns), false);
        (Shape, bool) V(int size, bool gain = false) => (new Shape(size), gain);
        return name switch
        {
            "lstm" => [W(4 * hidden, input), W(4 * hidden, hidden), V(4 * hidden), V(4 * hidden)],
            "gru" => [W(3 * hidden, input), W(3 * hidden, hidden), V(3 * hidden), V(3 * hidden)],
            "peephole" => [W(4 * hidden, input), W(4 * hidden, hidden), V(4 * hidden), V(hidden), V(hidden), V(hidden)],
            "layernorm-lstm" => [W(4 * hidden, input), W(4 * hidden, hidden), V(4 * hidden), V(4 * hidden, true), V(4 * hidden),
                V(4 * hidden, true), V(4 * hidden), V(hidden, true), V(hidden)],
            "mgu" => [W(hidden, input), W(hidden, hidden), V(hidden), W(hidden, input), W(hidden, hidden), V(hidden)],
            _ => throw new ArgumentException($"example cell: unknown cell '{name}'; the cells are {string.Join(", ", Names)}"),
        };
    }

    /// <summary>
    /// The names of the cell's parameters, in the order of <see cref="ParameterShapes"/> (PyTorch's names for the LSTM and GRU; the
    /// state dict of a <see cref="CellLayer"/> adds the layer suffix, e.g. <c>weight_ih_l0</c>).
    /// </summary>
    public static string[] ParameterNames(string name) => name switch
    {
        "lstm" or "gru" => ["weight_ih", "weight_hh", "bias_ih", "bias_hh"],
        "peephole" => ["weight_ih", "weight_hh", "bias", "peephole_input", "peephole_forget", "peephole_output"],
        "layernorm-lstm" => ["weight_ih", "weight_hh", "bias", "norm_ih_weight", "norm_ih_bias", "norm_hh_weight", "norm_hh_bias",
            "norm_cell_weight", "norm_cell_bias"],
        "mgu" => ["weight_ih_forget", "weight_hh_forget", "bias_forget", "weight_ih", "weight_hh", "bias"],
        _ => throw new ArgumentException($"example cell: unknown cell '{name}'; the cells are {string.Join(", ", Names)}"),
    };

    /// <summary>The cell <paramref name="name"/> reading the given parameters (see <see cref="ParameterShapes"/>).</summary>
    public static ExampleCell FromParameters(string name, Tensor[] p)
    {
        switch (name)
        {
            case "lstm":
                return new ExampleCell(name, 2, p, (x, s) =>
                {
                    var gates = (Tensor.Linear(x, p[0], p[2]) + Tensor.Linear(s[0], p[1], p[3])).Chunk(4, 1);
                    var c = gates[1].Sigmoid() * s[1] + gates[0].Sigmoid() * gates[2].Tanh();
                    return [gates[3].Sigmoid() * c.Tanh(), c];
                });
            case "gru":
                return new ExampleCell(name, 1, p, (x, s) =>
                {
                    var gi = Tensor.Linear(x, p[0], p[2]).Chunk(3, 1);
                    var gh = Tensor.Linear(s[0], p[1], p[3]).Chunk(3, 1);
                    var r = (gi[0] + gh[0]).Sigmoid();
                    var z = (gi[1] + gh[1]).Sigmoid();
                    var n = (gi[2] + r * gh[2]).Tanh();
                    return [(1.0 - z) * n + z * s[0]];
                });
            case "peephole":
                return new ExampleCell(name, 2, p, (x, s) =>
                {
                    var gates = (Tensor.Linear(x, p[0], p[2]) + Tensor.MatMul(s[0], p[1], transposeB: true)).Chunk(4, 1);
                    var c = (gates[1] + p[4] * s[1]).Sigmoid() * s[1] + (gates[0] + p[3] * s[1]).Sigmoid() * gates[2].Tanh();
                    var o = (gates[3] + p[5] * c).Sigmoid();
                    return [o * c.Tanh(), c];
                });
            case "layernorm-lstm":
                return new ExampleCell(name, 2, p, (x, s) =>
                {
                    var gates = (Tensor.LayerNorm(Tensor.Linear(x, p[0], null), p[3], p[4]) + Tensor.LayerNorm(Tensor.Linear(s[0], p[1], null), p[5], p[6]) + p[2])
                        .Chunk(4, 1);
                    var c = gates[1].Sigmoid() * s[1] + gates[0].Sigmoid() * gates[2].Tanh();
                    return [gates[3].Sigmoid() * Tensor.LayerNorm(c, p[7], p[8]).Tanh(), c];
                });
            case "mgu":
                return new ExampleCell(name, 1, p, (x, s) =>
                {
                    var f = (Tensor.Linear(x, p[0], p[2]) + Tensor.Linear(s[0], p[1], null)).Sigmoid();
                    var candidate = (Tensor.Linear(x, p[3], p[5]) + Tensor.Linear(f * s[0], p[4], null)).Tanh();
                    return [(1.0 - f) * s[0] + f * candidate];
                });
            default: throw new ArgumentException($"example cell: unknown cell '{name}'; the cells are {string.Join(", ", Names)}");
        }
    }

    /// <summary>Random inputs [B, I] and state tensors [B, H].</summary>
    public (Tensor Input, Tensor[] State) Arguments(int batch, int input, int hidden, DType dtype = DType.Float32, Generator? generator = null)
    {
        var x = Tensor.Normal(new Shape(batch, input), dtype: dtype, generator: generator);
        var state = Enumerable.Range(0, StateCount).Select(_ => Tensor.Normal(new Shape(batch, hidden), 0, 0.5, dtype, generator)).ToArray();
        return (x, state);
    }
}
