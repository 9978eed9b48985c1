using System.Numerics;
using System.Runtime.CompilerServices;
using AutoDiffRnn.Kernels;

namespace AutoDiffRnn;

/// <summary>
/// The LSTM, in one place: PyTorch's equations with gates in the order i, f, g, o —
/// i, f, o = σ(·), g = tanh(·) of x W_ihᵀ + b_ih + h W_hhᵀ + b_hh; c' = f c + i g; h' = o tanh(c') — as the composed step on tensor ops
/// (<see cref="ComposedStep"/>, the reference path that supports gradients of gradients) and as the fused step kernels the recurrence
/// driver runs (<see cref="IFusedCell"/>), with the same arithmetic, operation for operation. Saved per step: c, c' and tanh c'.
/// </summary>
internal readonly struct LstmCellMath : IFusedCell
{
    /// <summary>One step on tensor ops: <paramref name="inputProjection"/> is x W_ihᵀ + b_ih; returns (h', c').</summary>
    public static (Tensor Hidden, Tensor Cell) ComposedStep(Tensor inputProjection, Tensor hidden, Tensor cell, Tensor weightHh, Tensor? biasHh)
    {
        var gates = (inputProjection + Tensor.Linear(hidden, weightHh, biasHh)).Chunk(4, -1); // i, f, g, o
        var input = gates[0].Sigmoid();
        var forget = gates[1].Sigmoid();
        var candidate = gates[2].Tanh();
        var output = gates[3].Sigmoid();
        var nextCell = forget * cell + input * candidate;
        return (output * nextCell.Tanh(), nextCell);
    }

    public static (Tensor Hidden, Tensor? Cell) Composed(Tensor inputProjection, Tensor hidden, Tensor? cell, Tensor weightHh, Tensor? biasHh) =>
        ComposedStep(inputProjection, hidden, cell!, weightHh, biasHh);

    public static string Operation => "lstm_sequence";
    public static int Gates => 4;
    public static bool HasCellState => true;
    public static int SavedVectors => 3; // c before the step, c', tanh c'
    public static bool SeparateHiddenProjection => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ForwardLanes<TL, T>(scoped in CellForwardRow<T> row, nuint j)
        where TL : struct, ILanes<TL, T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        nuint h = (nuint)row.HiddenSize;
        var input = TL.Sigmoid(row.PreActivation<TL>(0, j));
        var forget = TL.Sigmoid(row.PreActivation<TL>(1, j));
        var candidate = TL.Tanh(row.PreActivation<TL>(2, j));
        var outputGate = TL.Sigmoid(row.PreActivation<TL>(3, j));
        var cell = TL.Load(row.Cell, j);
        var cellNew = input * candidate + forget * cell;
        var tanhCell = TL.Tanh(cellNew);
        var hiddenNew = outputGate * tanhCell;
        if (!row.ActivatedGates.IsEmpty)
        {
            input.Store(row.ActivatedGates, j);
            forget.Store(row.ActivatedGates, h + j);
            candidate.Store(row.ActivatedGates, 2 * h + j);
            outputGate.Store(row.ActivatedGates, 3 * h + j);
        }
        if (!row.Saved.IsEmpty)
        {
            cell.Store(row.Saved, j);
            cellNew.Store(row.Saved, h + j);
            tanhCell.Store(row.Saved, 2 * h + j);
        }
        cellNew.Store(row.Cell, j);
        hiddenNew.Store(row.NextHidden, j);
        hiddenNew.Store(row.Output, j);
        if (!row.StateOutputs) return;
        hiddenNew.Store(row.Output, h + j);
        cellNew.Store(row.Output, 2 * h + j);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void BackwardLanes<TL, T>(scoped in CellBackwardRow<T> row, nuint j)
        where TL : struct, ILanes<TL, T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        nuint h = (nuint)row.HiddenSize;
        ReadOnlySpan<T> dy = row.OutputGradient, gates = row.Gates;
        Span<T> gradients = row.InputGateGradients;
        var hiddenState = TL.Load(row.CarriedHidden, j) + TL.Load(dy, h + j);  // dE/d(h state after the step)
        var cellState = TL.Load(row.CarriedCell, j) + TL.Load(dy, 2 * h + j); // dE/d(c state after the step)
        var hiddenNew = hiddenState + TL.Load(dy, j);                          // + dE/d output
        var input = TL.Load(gates, j);
        var forget = TL.Load(gates, h + j);
        var candidate = TL.Load(gates, 2 * h + j);
        var outputGate = TL.Load(gates, 3 * h + j);
        var tanhCell = TL.Load(row.Saved, 2 * h + j);
        // dc' = dc state + dh' o (1 − tanh² c')
        var cellNew = hiddenNew * ((TL.One - tanhCell * tanhCell) * outputGate) + cellState;
        Lanes.SigmoidGradient<TL, T>(input, candidate * cellNew).Store(gradients, j);                 // di = dc' g, × i(1−i)
        Lanes.SigmoidGradient<TL, T>(forget, TL.Load(row.Saved, j) * cellNew).Store(gradients, h + j); // df = dc' c, × f(1−f)
        ((TL.One - candidate * candidate) * input * cellNew).Store(gradients, 2 * h + j);            // dg = dc' i (1 − g²)
        Lanes.SigmoidGradient<TL, T>(outputGate, tanhCell * hiddenNew).Store(gradients, 3 * h + j);  // do = dh' tanh c', × o(1−o)
        (cellNew * forget).Store(row.CarriedCell, j);                                                  // to the previous step: dc' f
        TL.Zero.Store(row.CarriedHidden, j);                                                           // no direct path h → h'
    }
}
