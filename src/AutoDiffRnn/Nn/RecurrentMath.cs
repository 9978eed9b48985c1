namespace AutoDiffRnn.Nn;

/// <summary>
/// One time step of each recurrent cell, written with core ops exactly as PyTorch defines it (see the cells' remarks).
/// The inputProjection arguments are x Wᵢₕᵀ + bᵢₕ, computed by the caller (for a whole sequence at once in the layers).
/// </summary>
internal static class RecurrentMath
{
    public static Tensor RnnStep(Tensor inputProjection, Tensor hidden, Tensor weightHh, Tensor? biasHh, bool relu)
    {
        var preActivation = inputProjection + Tensor.Linear(hidden, weightHh, biasHh);
        return relu ? preActivation.Relu() : preActivation.Tanh();
    }

    public static (Tensor Hidden, Tensor Cell) LstmStep(Tensor inputProjection, Tensor hidden, Tensor cell, Tensor weightHh, Tensor? biasHh)
    {
        var gates = (inputProjection + Tensor.Linear(hidden, weightHh, biasHh)).Chunk(4, -1); // i, f, g, o
        var input = gates[0].Sigmoid();
        var forget = gates[1].Sigmoid();
        var candidate = gates[2].Tanh();
        var output = gates[3].Sigmoid();
        var nextCell = forget * cell + input * candidate;
        return (output * nextCell.Tanh(), nextCell);
    }

    public static Tensor GruStep(Tensor inputProjection, Tensor hidden, Tensor weightHh, Tensor? biasHh)
    {
        var fromInput = inputProjection.Chunk(3, -1);                             // r, z, n parts of W_i x + b_i
        var fromHidden = Tensor.Linear(hidden, weightHh, biasHh).Chunk(3, -1);    // r, z, n parts of W_h h + b_h
        var reset = (fromInput[0] + fromHidden[0]).Sigmoid();
        var update = (fromInput[1] + fromHidden[1]).Sigmoid();
        var candidate = (fromInput[2] + reset * fromHidden[2]).Tanh();            // b_hn stays inside the reset product
        return (1.0 - update) * candidate + update * hidden;
    }
}
