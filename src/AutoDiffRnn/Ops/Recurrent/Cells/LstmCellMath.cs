using System.Numerics;
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

        private readonly TL PreActivation<TL>(nuint gate, nuint j) where TL : struct, ILanes<TL, T> =>
            Row.Recurrent.IsEmpty ? TL.Load(Row.Projection, gate * H + j)
                : TL.Load(Row.Projection, gate * H + j) + TL.Load(Row.Recurrent, gate * RecurrentStride + j);

        public readonly void Run<TL>(nuint j) where TL : struct, ILanes<TL, T>
        {
            var input = TL.Sigmoid(PreActivation<TL>(0, j));
            var forget = TL.Sigmoid(PreActivation<TL>(1, j));
            var candidate = TL.Tanh(PreActivation<TL>(2, j));
            var outputGate = TL.Sigmoid(PreActivation<TL>(3, j));
            var cell = TL.Load(Row.Cell, j);
            var cellNew = input * candidate + forget * cell;
            var tanhCell = TL.Tanh(cellNew);
            var hiddenNew = outputGate * tanhCell;
            if (!Row.ActivatedGates.IsEmpty)
            {
                input.Store(Row.ActivatedGates, j);
                forget.Store(Row.ActivatedGates, H + j);
                candidate.Store(Row.ActivatedGates, 2 * H + j);
                outputGate.Store(Row.ActivatedGates, 3 * H + j);
            }
            if (!Row.Saved.IsEmpty)
            {
                cell.Store(Row.Saved, j);
                cellNew.Store(Row.Saved, H + j);
                tanhCell.Store(Row.Saved, 2 * H + j);
            }
            cellNew.Store(Row.Cell, j);
            hiddenNew.Store(Row.NextHidden, j);
            hiddenNew.Store(Row.Output, j);
            if (Row.StateOutputs)
            {
                hiddenNew.Store(Row.Output, H + j);
                cellNew.Store(Row.Output, 2 * H + j);
            }
        }
    }

    private ref struct BackwardLoop<T> : ILaneLoop<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public CellBackwardRow<T> Row;
        public nuint H;

        public readonly void Run<TL>(nuint j) where TL : struct, ILanes<TL, T>
        {
            ReadOnlySpan<T> dy = Row.OutputGradient, gates = Row.Gates;
            var hiddenState = TL.Load(Row.CarriedHidden, j) + TL.Load(dy, H + j);  // dE/d(h state after the step)
            var cellState = TL.Load(Row.CarriedCell, j) + TL.Load(dy, 2 * H + j); // dE/d(c state after the step)
            var hiddenNew = hiddenState + TL.Load(dy, j);                          // + dE/d output
            var input = TL.Load(gates, j);
            var forget = TL.Load(gates, H + j);
            var candidate = TL.Load(gates, 2 * H + j);
            var outputGate = TL.Load(gates, 3 * H + j);
            var tanhCell = TL.Load(Row.Saved, 2 * H + j);
            // dc' = dc state + dh' o (1 − tanh² c')
            var cellNew = hiddenNew * ((TL.One - tanhCell * tanhCell) * outputGate) + cellState;
            Lanes.SigmoidGradient<TL, T>(input, candidate * cellNew).Store(Row.InputGateGradients, j);                // di = dc' g, × i(1−i)
            Lanes.SigmoidGradient<TL, T>(forget, TL.Load(Row.Saved, j) * cellNew).Store(Row.InputGateGradients, H + j); // df = dc' c, × f(1−f)
            ((TL.One - candidate * candidate) * input * cellNew).Store(Row.InputGateGradients, 2 * H + j);           // dg = dc' i (1 − g²)
            Lanes.SigmoidGradient<TL, T>(outputGate, tanhCell * hiddenNew).Store(Row.InputGateGradients, 3 * H + j);  // do = dh' tanh c', × o(1−o)
            (cellNew * forget).Store(Row.CarriedCell, j);                                                              // to the previous step: dc' f
            TL.Zero.Store(Row.CarriedHidden, j); // no direct path h → h'
        }
    }
}
