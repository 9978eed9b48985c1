using AutoDiffRnn.Autodiff;
using AutoDiffRnn.Nn;
using AutoDiffRnn.Onnx.Export;

namespace AutoDiffRnn.Onnx.Tests.Support;

/// <summary>One configuration of the recurrent grid.</summary>
public sealed record RecurrentCase(RecurrentKind Kind, int Layers, bool Bidirectional, bool Bias, bool InitialState, bool Lengths, bool BatchFirst)
{
    /// <summary>Sequence length, batch, input and hidden sizes of every case.</summary>
    public const int Steps = 5, Batch = 3, InputSize = 4, HiddenSize = 3;

    /// <summary>The whole grid: kind × 1-3 layers × directions × bias × initial state × lengths × batch-first (384 cases).</summary>
    public static IEnumerable<RecurrentCase> Grid() =>
        from kind in new[] { RecurrentKind.RnnTanh, RecurrentKind.RnnRelu, RecurrentKind.Lstm, RecurrentKind.Gru }
        from layers in new[] { 1, 2, 3 }
        from bidirectional in new[] { false, true }
        from bias in new[] { true, false }
        from initial in new[] { false, true }
        from lengths in new[] { false, true }
        from batchFirst in new[] { false, true }
        select new RecurrentCase(kind, layers, bidirectional, bias, initial, lengths, batchFirst);

    /// <summary>The grid as xUnit data.</summary>
    public static TheoryData<RecurrentCase> GridData()
    {
        var data = new TheoryData<RecurrentCase>();
        foreach (var c in Grid()) data.Add(c);
        return data;
    }

    /// <summary>Shown in test names.</summary>
    public override string ToString() =>
        $"{Kind} L{Layers}{(Bidirectional ? " bi" : "")}{(Bias ? "" : " nobias")}{(InitialState ? " h0" : "")}{(Lengths ? " lens" : "")}{(BatchFirst ? " bf" : "")}";

    /// <summary>The layer, in evaluation mode with inter-layer dropout (which the export must drop), weights seeded by the case.</summary>
    public RecurrentLayer Layer(DType dtype) =>
        (RecurrentLayer)new RecurrentLayer(Kind, InputSize, HiddenSize, Layers, Bias, BatchFirst, dropout: Layers > 1 ? 0.5 : 0, Bidirectional, dtype,
            new Generator((ulong)ToString().GetHashCode() & 0xffff)).Eval();

    /// <summary>Random inputs: the sequence, initial states if the case has them, lengths (T, 2, T-1, ...) if it has them.</summary>
    public (Tensor Input, Tensor? Hidden, Tensor? Cell, int[]? Lengths) Inputs(DType dtype, int batch = Batch, int steps = Steps)
    {
        var generator = new Generator(7);
        int states = Layers * (Bidirectional ? 2 : 1);
        var input = Tensor.Uniform(BatchFirst ? new Shape(batch, steps, InputSize) : new Shape(steps, batch, InputSize), -1, 1, dtype, generator);
        var hidden = InitialState ? Tensor.Uniform(new Shape(states, batch, HiddenSize), -1, 1, dtype, generator) : null;
        var cell = InitialState && Kind == RecurrentKind.Lstm ? Tensor.Uniform(new Shape(states, batch, HiddenSize), -1, 1, dtype, generator) : null;
        var lengths = Lengths ? Enumerable.Range(0, batch).Select(b => b == 0 ? steps : Math.Max(1, steps - 1 - (b % steps))).ToArray() : null;
        if (lengths is not null && batch > 1) lengths[1] = 2;
        return (input, hidden, cell, lengths);
    }

    /// <summary>AutoDiffRnn's forward (no gradient).</summary>
    public RecurrentOutput Forward(RecurrentLayer layer, (Tensor Input, Tensor? Hidden, Tensor? Cell, int[]? Lengths) x)
    {
        using var _ = GradMode.NoGrad();
        return layer.Forward(x.Input, x.Hidden, x.Cell, x.Lengths);
    }

    /// <summary>The export options of the case.</summary>
    public OnnxExportOptions Options(DType dtype) => new() { DType = dtype, InitialStateInputs = InitialState, SequenceLengthsInput = Lengths };

    /// <summary>The graph inputs for ONNX Runtime.</summary>
    public static Dictionary<string, object> OrtInputs((Tensor Input, Tensor? Hidden, Tensor? Cell, int[]? Lengths) x)
    {
        var inputs = new Dictionary<string, object> { ["input"] = x.Input };
        if (x.Hidden is not null) inputs["initial_h"] = x.Hidden;
        if (x.Cell is not null) inputs["initial_c"] = x.Cell;
        if (x.Lengths is not null) inputs["sequence_lens"] = x.Lengths;
        return inputs;
    }

    /// <summary>The graph inputs for the reference evaluator.</summary>
    public static Dictionary<string, RefValue> ReferenceInputs((Tensor Input, Tensor? Hidden, Tensor? Cell, int[]? Lengths) x)
    {
        var inputs = new Dictionary<string, RefValue> { ["input"] = new(x.Input.ToDoubleArray(), x.Input.Shape.ToArray()) };
        if (x.Hidden is not null) inputs["initial_h"] = new(x.Hidden.ToDoubleArray(), x.Hidden.Shape.ToArray());
        if (x.Cell is not null) inputs["initial_c"] = new(x.Cell.ToDoubleArray(), x.Cell.Shape.ToArray());
        if (x.Lengths is not null) inputs["sequence_lens"] = new(x.Lengths.Select(v => (double)v).ToArray(), [x.Lengths.Length]);
        return inputs;
    }
}
