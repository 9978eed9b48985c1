namespace AutoDiffRnn.Nn;

/// <summary>
/// The shared parameters of a recurrent cell, named as PyTorch's cells: weight_ih [G·H, I], weight_hh [G·H, H], bias_ih and bias_hh [G·H],
/// all initialized U(−1/√H, 1/√H), where G is the number of gates (1 for RNN, 4 for LSTM, 3 for GRU).
/// </summary>
public abstract class RecurrentCell : Module
{
    private protected RecurrentCell(int inputSize, int hiddenSize, int gates, bool bias, DType dtype, Generator? generator)
    {
        if (inputSize <= 0 || hiddenSize <= 0)
            throw new ArgumentException($"{GetType().Name}: input and hidden sizes must be positive, got {inputSize} and {hiddenSize}");
        InputSize = inputSize;
        HiddenSize = hiddenSize;
        double bound = 1 / Math.Sqrt(hiddenSize);
        WeightIh = RegisterParameter("weight_ih", UniformInit(new Shape(gates * hiddenSize, inputSize), bound, dtype, generator));
        WeightHh = RegisterParameter("weight_hh", UniformInit(new Shape(gates * hiddenSize, hiddenSize), bound, dtype, generator));
        BiasIh = bias ? RegisterParameter("bias_ih", UniformInit(new Shape(gates * hiddenSize), bound, dtype, generator)) : null;
        BiasHh = bias ? RegisterParameter("bias_hh", UniformInit(new Shape(gates * hiddenSize), bound, dtype, generator)) : null;
    }

    /// <summary>The size of each input vector.</summary>
    public int InputSize { get; }

    /// <summary>The size of the hidden state.</summary>
    public int HiddenSize { get; }

    /// <summary>Input-to-hidden weights [G·H, I].</summary>
    public Tensor WeightIh { get; }

    /// <summary>Hidden-to-hidden weights [G·H, H].</summary>
    public Tensor WeightHh { get; }

    /// <summary>Input-to-hidden bias [G·H], or null.</summary>
    public Tensor? BiasIh { get; }

    /// <summary>Hidden-to-hidden bias [G·H], or null.</summary>
    public Tensor? BiasHh { get; }

    private protected Tensor ZeroState(Tensor input) => Tensor.Zeros(new Shape(input.Shape[0], HiddenSize), input.DType);

    private protected void CheckInput(Tensor input)
    {
        if (input.Rank != 2 || input.Shape[1] != InputSize)
            throw new ArgumentException($"{GetType().Name}: expected input [batch, {InputSize}], got {input.Shape}");
    }
}

/// <summary>An Elman RNN cell, as <c>torch.nn.RNNCell</c>: h' = act(x Wᵢₕᵀ + bᵢₕ + h Wₕₕᵀ + bₕₕ), act = tanh or relu.</summary>
public sealed class RnnCell(int inputSize, int hiddenSize, bool bias = true, bool relu = false, DType dtype = DType.Float32, Generator? generator = null)
    : RecurrentCell(inputSize, hiddenSize, 1, bias, dtype, generator)
{
    /// <summary>True for the relu nonlinearity, false for tanh.</summary>
    public bool Relu { get; } = relu;

    /// <summary>One step: input [B, I], hidden [B, H] (zeros if null) → next hidden [B, H].</summary>
    public Tensor Forward(Tensor input, Tensor? hidden = null)
    {
        CheckInput(input);
        var projection = Tensor.Linear(input, WeightIh, BiasIh);
        var state = hidden ?? ZeroState(input);
        return Relu ? RnnCellMath<ReluActivation>.ComposedStep(projection, state, WeightHh, BiasHh)
            : RnnCellMath<TanhActivation>.ComposedStep(projection, state, WeightHh, BiasHh);
    }
}

/// <summary>
/// An LSTM cell, as <c>torch.nn.LSTMCell</c>; gate rows in the order i, f, g, o:
/// i, f, o = σ(·), g = tanh(·) of x Wᵢₕᵀ + bᵢₕ + h Wₕₕᵀ + bₕₕ; c' = f c + i g; h' = o tanh(c').
/// </summary>
public sealed class LstmCell(int inputSize, int hiddenSize, bool bias = true, DType dtype = DType.Float32, Generator? generator = null)
    : RecurrentCell(inputSize, hiddenSize, 4, bias, dtype, generator)
{
    /// <summary>One step: input [B, I], state (h, c) each [B, H] (zeros if null) → next (h, c).</summary>
    public (Tensor Hidden, Tensor Cell) Forward(Tensor input, (Tensor Hidden, Tensor Cell)? state = null)
    {
        CheckInput(input);
        var (hidden, cell) = state ?? (ZeroState(input), ZeroState(input));
        return LstmCellMath.ComposedStep(Tensor.Linear(input, WeightIh, BiasIh), hidden, cell, WeightHh, BiasHh);
    }
}

/// <summary>
/// A GRU cell, as <c>torch.nn.GRUCell</c>; gate rows in the order r, z, n:
/// r = σ(Wᵢᵣx + bᵢᵣ + Wₕᵣh + bₕᵣ), z = σ(Wᵢ_z x + bᵢ_z + Wₕ_z h + bₕ_z), n = tanh(Wᵢₙx + bᵢₙ + r (Wₕₙh + bₕₙ)), h' = (1 − z) n + z h.
/// </summary>
public sealed class GruCell(int inputSize, int hiddenSize, bool bias = true, DType dtype = DType.Float32, Generator? generator = null)
    : RecurrentCell(inputSize, hiddenSize, 3, bias, dtype, generator)
{
    /// <summary>One step: input [B, I], hidden [B, H] (zeros if null) → next hidden [B, H].</summary>
    public Tensor Forward(Tensor input, Tensor? hidden = null)
    {
        CheckInput(input);
        return GruCellMath.ComposedStep(Tensor.Linear(input, WeightIh, BiasIh), hidden ?? ZeroState(input), WeightHh, BiasHh);
    }
}
