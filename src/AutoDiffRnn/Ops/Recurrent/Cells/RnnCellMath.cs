using System.Numerics;
using System.Runtime.CompilerServices;
using AutoDiffRnn.Kernels;

namespace AutoDiffRnn;

/// <summary>The nonlinearity of an Elman RNN cell (<see cref="RnnCellMath{TActivation}"/>): tanh or relu.</summary>
internal interface IRnnActivation
{
    /// <summary>The activation of the pre-activations, as a tensor op (the composed path).</summary>
    static abstract Tensor Apply(Tensor preActivation);

    /// <summary>The activation of each lane.</summary>
    static abstract TL Apply<TL, T>(TL preActivation) where TL : struct, ILanes<TL, T> where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary><paramref name="upstream"/> times the activation's derivative, written with its output <paramref name="activated"/>.</summary>
    static abstract TL Gradient<TL, T>(TL activated, TL upstream) where TL : struct, ILanes<TL, T> where T : unmanaged, IFloatingPointIeee754<T>;
}

/// <summary>tanh: derivative 1 − y², as the tanh op's VJP.</summary>
internal readonly struct TanhActivation : IRnnActivation
{
    public static Tensor Apply(Tensor preActivation) => preActivation.Tanh();
    public static TL Apply<TL, T>(TL preActivation) where TL : struct, ILanes<TL, T> where T : unmanaged, IFloatingPointIeee754<T> => TL.Tanh(preActivation);
    public static TL Gradient<TL, T>(TL activated, TL upstream) where TL : struct, ILanes<TL, T> where T : unmanaged, IFloatingPointIeee754<T> =>
        upstream * (TL.One - activated * activated);
}

/// <summary>relu: derivative 1 where the output is positive, else 0, as the relu op's VJP.</summary>
internal readonly struct ReluActivation : IRnnActivation
{
    public static Tensor Apply(Tensor preActivation) => preActivation.Relu();
    public static TL Apply<TL, T>(TL preActivation) where TL : struct, ILanes<TL, T> where T : unmanaged, IFloatingPointIeee754<T> => TL.Relu(preActivation);
    public static TL Gradient<TL, T>(TL activated, TL upstream) where TL : struct, ILanes<TL, T> where T : unmanaged, IFloatingPointIeee754<T> =>
        TL.ReluGradient(activated, upstream);
}

/// <summary>
/// The Elman RNN, in one place: h' = act(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh), act = tanh or relu (<typeparamref name="TActivation"/>), as
/// the composed step on tensor ops (<see cref="ComposedStep"/>) and as the fused step kernels of the recurrence driver
/// (<see cref="IFusedCell"/>: one gate, whose activated value is h' itself; nothing else saved).
/// </summary>
internal readonly struct RnnCellMath<TActivation> : IFusedCell where TActivation : struct, IRnnActivation
{
    /// <summary>One step on tensor ops: <paramref name="inputProjection"/> is x W_ihᵀ + b_ih; returns h'.</summary>
    public static Tensor ComposedStep(Tensor inputProjection, Tensor hidden, Tensor weightHh, Tensor? biasHh) =>
        TActivation.Apply(inputProjection + Tensor.Linear(hidden, weightHh, biasHh));

    public static (Tensor Hidden, Tensor? Cell) Composed(Tensor inputProjection, Tensor hidden, Tensor? cell, Tensor weightHh, Tensor? biasHh) =>
        (ComposedStep(inputProjection, hidden, weightHh, biasHh), null);

    public static string Operation => "rnn_sequence";
    public static int Gates => 1;
    public static bool HasCellState => false;
    public static int SavedVectors => 0;
    public static bool SeparateHiddenProjection => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ForwardLanes<TL, T>(scoped in CellForwardRow<T> row, nuint j)
        where TL : struct, ILanes<TL, T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        var hiddenNew = TActivation.Apply<TL, T>(row.PreActivation<TL>(0, j));
        if (!row.ActivatedGates.IsEmpty) hiddenNew.Store(row.ActivatedGates, j); // the one gate's activation is h' itself
        hiddenNew.Store(row.NextHidden, j);
        hiddenNew.Store(row.Output, j);
        if (row.StateOutputs) hiddenNew.Store(row.Output, (nuint)row.HiddenSize + j);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void BackwardLanes<TL, T>(scoped in CellBackwardRow<T> row, nuint j)
        where TL : struct, ILanes<TL, T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        var upstream = TL.Load(row.CarriedHidden, j) + TL.Load(row.OutputGradient, (nuint)row.HiddenSize + j) + TL.Load(row.OutputGradient, j); // dh'
        TActivation.Gradient<TL, T>(TL.Load(row.Gates, j), upstream).Store(row.InputGateGradients, j);
        TL.Zero.Store(row.CarriedHidden, j); // no direct path h → h'
    }
}
