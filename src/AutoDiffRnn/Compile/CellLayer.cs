using AutoDiffRnn.Nn;

namespace AutoDiffRnn.Compile;

/// <summary>
/// Stacked layers of a compiled <see cref="ExampleCell"/> as a module, with the interface of <see cref="RecurrentLayer"/>: inputs
/// (T, B, I), initial states (L, B, H), a <see cref="RecurrentOutput"/> back. Each layer is one compiled cell run by
/// <see cref="Recurrence"/> (one node per layer on the tape); its parameters are named as in <see cref="ExampleCell.ParameterNames"/>
/// with the layer's suffix (<c>weight_ih_l0</c>, <c>peephole_input_l1</c>, ...). <c>new CellLayer("peephole", 64, 256)</c>.
/// </summary>
public sealed class CellLayer : Module
{
    private readonly CompiledCell[] cells;

    /// <summary>Creates <paramref name="numLayers"/> layers of cell <paramref name="cell"/> (one of <see cref="ExampleCell.Names"/>).</summary>
    public CellLayer(string cell, int inputSize, int hiddenSize, int numLayers = 1, DType dtype = DType.Float32, Generator? generator = null)
    {
        if (!ExampleCell.Names.Contains(cell))
            throw new ArgumentException($"cell layer: unknown cell '{cell}'; the cells are {string.Join(", ", ExampleCell.Names)}");
        if (inputSize < 1 || hiddenSize < 1 || numLayers < 1)
            throw new ArgumentException($"cell layer ({cell}): sizes must be at least 1, got input {inputSize}, hidden {hiddenSize}, layers {numLayers}");
        (Cell, InputSize, HiddenSize, NumLayers) = (cell, inputSize, hiddenSize, numLayers);
        var names = ExampleCell.ParameterNames(cell);
        cells = new CompiledCell[numLayers];
        for (int layer = 0; layer < numLayers; layer++)
        {
            var example = ExampleCell.Create(cell, layer == 0 ? inputSize : hiddenSize, hiddenSize, dtype, generator);
            for (int p = 0; p < names.Length; p++) RegisterParameter($"{names[p]}_l{layer}", example.Parameters[p]);
            StateCount = example.StateCount;
            cells[layer] = example.Compile();
        }
    }

    /// <summary>The cell's name.</summary>
    public string Cell { get; }

    /// <summary>Features per input step.</summary>
    public int InputSize { get; }

    /// <summary>Features of the hidden state.</summary>
    public int HiddenSize { get; }

    /// <summary>Stacked layers.</summary>
    public int NumLayers { get; }

    /// <summary>State tensors per layer: 2 for the LSTMs (h, c), 1 otherwise.</summary>
    public int StateCount { get; }

    /// <summary>
    /// Runs the layers over <paramref name="input"/> (T, B, I) from zero states or the given ones (L, B, H; the cell state only for
    /// the LSTM cells), with optional lengths per sequence as <see cref="Recurrence"/>.
    /// </summary>
    public RecurrentOutput Forward(Tensor input, Tensor? initialHidden = null, Tensor? initialCell = null, int[]? lengths = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank != 3 || input.Shape[2] != InputSize)
            throw new ArgumentException($"cell layer ({Cell}): expected input (time, batch, {InputSize}), got {input.Shape}");
        int batch = input.Shape[1];
        var stateShape = new Shape(NumLayers, batch, HiddenSize);
        if (initialHidden is not null && initialHidden.Shape != stateShape)
            throw new ArgumentException($"cell layer ({Cell}): the initial hidden state must be {stateShape}, got {initialHidden.Shape}");
        if (initialCell is not null && (StateCount < 2 || initialCell.Shape != stateShape))
            throw new ArgumentException(StateCount < 2
                ? $"cell layer ({Cell}): the cell takes no cell state"
                : $"cell layer ({Cell}): the initial cell state must be {stateShape}, got {initialCell.Shape}");
        var zeros = Tensor.Zeros(new Shape(batch, HiddenSize), input.DType);
        var states = Enumerable.Range(0, NumLayers).Select(layer => StateCount == 1
            ? new[] { initialHidden?.Select(0, layer) ?? zeros }
            : [initialHidden?.Select(0, layer) ?? zeros, initialCell?.Select(0, layer) ?? zeros]).ToList();
        var result = Recurrence.Run(cells.Select(cell => new RecurrenceLayer(cell)).ToList(), input, states, lengths);
        var hidden = Tensor.Stack(result.FinalStates.Select(state => state[0]).ToArray(), 0);
        var cellState = StateCount == 2 ? Tensor.Stack(result.FinalStates.Select(state => state[1]).ToArray(), 0) : null;
        return new RecurrentOutput(result.Output, hidden, cellState);
    }
}
