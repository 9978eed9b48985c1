using System.Numerics;
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

    public static void Forward<T>(scoped ref CellForwardRow<T> row) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var loop = new ForwardLoop<T> { Row = row, H = (nuint)row.HiddenSize, RecurrentStride = (nuint)row.RecurrentStride };
        Lanes.ForEach<T, ForwardLoop<T>>(row.Width, ref loop);
    }

    public static void Backward<T>(scoped ref CellBackwardRow<T> row) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var loop = new BackwardLoop<T> { Row = row, H = (nuint)row.HiddenSize };
        Lanes.ForEach<T, BackwardLoop<T>>(row.HiddenSize, ref loop);
    }

    private ref struct ForwardLoop<T> : ILaneLoop<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public CellForwardRow<T> Row;
        public nuint H, RecurrentStride;

        public readonly void Run<TL>(nuint j) where TL : struct, ILanes<TL, T>
        {
            ReadOnlySpan<T> x = Row.Projection, u = Row.Recurrent;
            var reset = TL.Sigmoid(TL.Load(x, j) + TL.Load(u, j));
            var update = TL.Sigmoid(TL.Load(x, H + j) + TL.Load(u, RecurrentStride + j));
            var hiddenN = TL.Load(u, 2 * RecurrentStride + j);
            var candidate = TL.Tanh(reset * hiddenN + TL.Load(x, 2 * H + j));
            if (!Row.ActivatedGates.IsEmpty)
            {
                reset.Store(Row.ActivatedGates, j);
                update.Store(Row.ActivatedGates, H + j);
                candidate.Store(Row.ActivatedGates, 2 * H + j);
            }
            if (!Row.Saved.IsEmpty) hiddenN.Store(Row.Saved, j);
            var hiddenNew = (TL.Load(Row.PreviousHidden, j) - candidate) * update + candidate;
            hiddenNew.Store(Row.NextHidden, j);
            hiddenNew.Store(Row.Output, j);
            if (Row.StateOutputs) hiddenNew.Store(Row.Output, H + j);
        }
    }

    private ref struct BackwardLoop<T> : ILaneLoop<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public CellBackwardRow<T> Row;
        public nuint H;

        public readonly void Run<TL>(nuint j) where TL : struct, ILanes<TL, T>
        {
            ReadOnlySpan<T> dy = Row.OutputGradient, gates = Row.Gates;
            var hiddenNew = TL.Load(Row.CarriedHidden, j) + TL.Load(dy, H + j) + TL.Load(dy, j); // dh'
            var reset = TL.Load(gates, j);
            var update = TL.Load(gates, H + j);
            var candidate = TL.Load(gates, 2 * H + j);
            // dn_pre = dh' (1 − n²) (1 − z)
            var scaled = (TL.One - candidate * candidate) * hiddenNew;
            var candidateGradient = scaled - scaled * update;
            candidateGradient.Store(Row.InputGateGradients, 2 * H + j);
            (candidateGradient * reset).Store(Row.HiddenGateGradients, 2 * H + j);                                  // d h_n = dn_pre r
            var resetGradient = Lanes.SigmoidGradient<TL, T>(reset, candidateGradient * TL.Load(Row.Saved, j));   // dr_pre = dn_pre h_n r(1−r)
            var updateGradient = Lanes.SigmoidGradient<TL, T>(update, (TL.Load(Row.PreviousHidden, j) - candidate) * hiddenNew); // dz_pre = dh' (h − n) z(1−z)
            resetGradient.Store(Row.InputGateGradients, j);
            resetGradient.Store(Row.HiddenGateGradients, j);
            updateGradient.Store(Row.InputGateGradients, H + j);
            updateGradient.Store(Row.HiddenGateGradients, H + j);
            (hiddenNew * update).Store(Row.CarriedHidden, j);                                                        // the direct path: dh' z
        }
    }
}
