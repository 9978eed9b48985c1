using System.Numerics;
using System.Runtime.CompilerServices;
using AutoDiffRnn.Kernels;

namespace AutoDiffRnn;

/// <summary>
/// The GRU, in one place: PyTorch's equations with gates in the order r, z, n and b_hn inside the reset product —
/// r = σ(x_r + h_r), z = σ(x_z + h_z), n = tanh(x_n + r ⊙ h_n), h' = (1 − z) ⊙ n + z ⊙ h, where x_· = W_i· x + b_i· and
/// h_· = W_h· h + b_h· — as the composed step on tensor ops (<see cref="ComposedStep"/>) and as the fused step kernels of the recurrence
/// driver (<see cref="IFusedCell"/>; the hidden projection stays apart, <see cref="SeparateHiddenProjection"/>). Saved per step: h_n.
/// </summary>
internal readonly struct GruCellMath : IFusedCell
{
    /// <summary>One step on tensor ops: <paramref name="inputProjection"/> is x W_ihᵀ + b_ih; returns h'.</summary>
    public static Tensor ComposedStep(Tensor inputProjection, Tensor hidden, Tensor weightHh, Tensor? biasHh)
    {
        var fromInput = inputProjection.Chunk(3, -1);                             // r, z, n parts of W_i x + b_i
        var fromHidden = Tensor.Linear(hidden, weightHh, biasHh).Chunk(3, -1);    // r, z, n parts of W_h h + b_h
        var reset = (fromInput[0] + fromHidden[0]).Sigmoid();
        var update = (fromInput[1] + fromHidden[1]).Sigmoid();
        var candidate = (fromInput[2] + reset * fromHidden[2]).Tanh();            // b_hn stays inside the reset product
        return (1.0 - update) * candidate + update * hidden;
    }

    public static (Tensor Hidden, Tensor? Cell) Composed(Tensor inputProjection, Tensor hidden, Tensor? cell, Tensor weightHh, Tensor? biasHh) =>
        (ComposedStep(inputProjection, hidden, weightHh, biasHh), null);

    public static string Operation => "gru_sequence";
    public static int Gates => 3;
    public static bool HasCellState => false;
    public static int SavedVectors => 1; // h_n = W_hn h + b_hn
    public static bool SeparateHiddenProjection => true;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ForwardLanes<TL, T>(scoped in CellForwardRow<T> row, nuint j)
        where TL : struct, ILanes<TL, T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        nuint h = (nuint)row.HiddenSize;
        // the recurrent part is never summed into the projection: the candidate needs h_n on its own
        var reset = TL.Sigmoid(row.ProjectionOf<TL>(0, j) + row.RecurrentOf<TL>(0, j));
        var update = TL.Sigmoid(row.ProjectionOf<TL>(1, j) + row.RecurrentOf<TL>(1, j));
        var hiddenN = row.RecurrentOf<TL>(2, j);
        var candidate = TL.Tanh(reset * hiddenN + row.ProjectionOf<TL>(2, j));
        var hiddenNew = (TL.Load(row.PreviousHidden, j) - candidate) * update + candidate;
        if (!row.ActivatedGates.IsEmpty)
        {
            reset.Store(row.ActivatedGates, j);
            update.Store(row.ActivatedGates, h + j);
            candidate.Store(row.ActivatedGates, 2 * h + j);
        }
        if (!row.Saved.IsEmpty) hiddenN.Store(row.Saved, j);
        hiddenNew.Store(row.NextHidden, j);
        hiddenNew.Store(row.Output, j);
        if (row.StateOutputs) hiddenNew.Store(row.Output, h + j);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void BackwardLanes<TL, T>(scoped in CellBackwardRow<T> row, nuint j)
        where TL : struct, ILanes<TL, T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        nuint h = (nuint)row.HiddenSize;
        ReadOnlySpan<T> dy = row.OutputGradient, gates = row.Gates;
        Span<T> fromInput = row.InputGateGradients, fromHidden = row.HiddenGateGradients;
        var hiddenNew = TL.Load(row.CarriedHidden, j) + TL.Load(dy, h + j) + TL.Load(dy, j); // dh'
        var reset = TL.Load(gates, j);
        var update = TL.Load(gates, h + j);
        var candidate = TL.Load(gates, 2 * h + j);
        // dn_pre = dh' (1 − n²) (1 − z)
        var scaled = (TL.One - candidate * candidate) * hiddenNew;
        var candidateGradient = scaled - scaled * update;
        candidateGradient.Store(fromInput, 2 * h + j);
        (candidateGradient * reset).Store(fromHidden, 2 * h + j);                                             // d h_n = dn_pre r
        var resetGradient = Lanes.SigmoidGradient<TL, T>(reset, candidateGradient * TL.Load(row.Saved, j));   // dr_pre = dn_pre h_n r(1−r)
        var updateGradient = Lanes.SigmoidGradient<TL, T>(update, (TL.Load(row.PreviousHidden, j) - candidate) * hiddenNew); // dz_pre = dh' (h − n) z(1−z)
        resetGradient.Store(fromInput, j);
        resetGradient.Store(fromHidden, j);
        updateGradient.Store(fromInput, h + j);
        updateGradient.Store(fromHidden, h + j);
        (hiddenNew * update).Store(row.CarriedHidden, j);                                                      // the direct path: dh' z
    }
}
