using System.Collections.Concurrent;
using AutoDiffRnn.Autodiff;
using AutoDiffRnn.Nn;
using AutoDiffRnn.Tests.Support;

namespace AutoDiffRnn.Tests.Nn;

/// <summary>
/// The LSTM forward without recording, split over the cores by hidden units (<see cref="UnitBlockInference{T, TCell}"/>), against the recording path of
/// the fused op and against the composed path, in float64; and the step schedule that orders its blocks.
/// </summary>
public class LstmInferenceTests
{
    /// <summary>The kernel with 1 to 4 blocks of units (vector-wide and ragged) gives the recording path's [T, B, 3H] rows.</summary>
    [Theory]
    [InlineData(3, 19, 1, false, false, true)]
    [InlineData(5, 40, 2, true, true, true)]
    [InlineData(4, 40, 3, false, true, false)]
    [InlineData(1, 33, 2, false, false, true)]
    [InlineData(2, 16, 4, true, false, true)]
    public void InferenceKernelMatchesTheRecordingPath(int batch, int hidden, int blocks, bool reverse, bool variableLengths, bool bias)
    {
        int steps = 7, input = 5;
        int[]? lengths = variableLengths ? Enumerable.Range(0, batch).Select(b => steps - (2 * b) % steps).ToArray() : null;
        var x = Random64.Normal(61, steps, batch, input).SetRequiresGrad();
        var h0 = Random64.Normal(62, batch, hidden);
        var c0 = Random64.Normal(63, batch, hidden);
        var weightIh = Random64.Normal(64, 4 * hidden, input) * Tensor.Scalar(0.3, DType.Float64);
        var weightHh = Random64.Normal(65, 4 * hidden, hidden) * Tensor.Scalar(0.3, DType.Float64);
        var biasIh = bias ? Random64.Normal(66, 4 * hidden) : null;
        var biasHh = bias ? Random64.Normal(67, 4 * hidden) : null;

        var recorded = Tensor.LstmSequence(x, h0, c0, weightIh, weightHh, biasIh, biasHh, reverse, lengths); // saves its steps: the step loop
        var output = Tensor.Empty(new Shape(steps, batch, 3 * hidden), DType.Float64);
        UnitBlockInference<double, LstmCellMath>.Run(new RecurrenceInputs(x, h0, c0, weightIh, weightHh, biasIh, biasHh, reverse, lengths),
            InferenceTarget.SequenceRows(output, hidden, cellState: true), blocks);

        TensorAssert.Close(recorded, output, 1e-12);
        if (lengths is not null) Assert.Equal(0.0, output.ToDoubleArray()[((steps - 1) * batch + batch - 1) * 3 * hidden]); // padded: zero output
    }

    /// <summary>Through the layer with nothing recorded (2 layers, both directions, lengths, initial states, batch first), the fused
    /// path equals the composed one, above and below the size from which the units are split over the cores.</summary>
    [Theory]
    [InlineData(192, 8, true)]
    [InlineData(3, 3, false)]
    public void NoGradLayerMatchesTheComposedPath(int hidden, int batch, bool bias)
    {
        int steps = 6, input = 5, layers = 2;
        int[] lengths = Enumerable.Range(0, batch).Select(b => steps - b % steps).ToArray();
        var x = Random64.Normal(71, batch, steps, input);
        var h0 = Random64.Normal(72, 2 * layers, batch, hidden);
        var c0 = Random64.Normal(73, 2 * layers, batch, hidden);
        RecurrentOutput Run(bool fused)
        {
            var layer = new Lstm(input, hidden, layers, bias, batchFirst: true, bidirectional: true, dtype: DType.Float64, generator: new Generator(74))
            {
                UseFusedKernels = fused,
            };
            using var _ = GradMode.NoGrad();
            return layer.Forward(x, h0, c0, lengths);
        }
        var composed = Run(fused: false);
        var fused = Run(fused: true);
        Assert.Equal(composed.Output.Shape, fused.Output.Shape);
        TensorAssert.Close(composed.Output, fused.Output, 1e-12);
        TensorAssert.Close(composed.Hidden, fused.Hidden, 1e-12);
        TensorAssert.Close(composed.Cell!, fused.Cell!, 1e-12);
        Assert.True(RecurrenceSplit.InferenceBlocks<double>(batch, hidden, gates: 4) == (hidden == 192 ? AutoDiffRnn.Kernels.Gemm.MaxParallelism : 1)
                    || AutoDiffRnn.Kernels.Gemm.MaxParallelism == 1);
    }

    /// <summary>Repeated inference in a <see cref="TensorScope"/> (as a decoder or an evaluation loop runs it) takes its output from the
    /// storage pool: after warm-up a call allocates far less than its 400 KB output on the calling thread.</summary>
    [Fact]
    public void NoGradInferenceInAScopeReusesItsOutputStorage()
    {
        var layer = new Lstm(16, 192, generator: new Generator(75)) { UseFusedKernels = true };
        var x = Tensor.Normal(new Shape(64, 8, 16), generator: new Generator(76)); // output [64, 8, 192] floats: 393 KB
        void Call()
        {
            using var _ = GradMode.NoGrad();
            using var scope = TensorScope.Begin();
            layer.Forward(x);
        }
        for (int i = 0; i < 3; i++) Call();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 5; i++) Call();
        long perCall = (GC.GetAllocatedBytesForCurrentThread() - before) / 5;
        Assert.True(perCall < 64 * 1024, $"a no-grad LSTM call allocates {perCall} bytes");
    }

    /// <summary>Every block of every step runs once, and no block of a step starts before the previous step is complete, with more
    /// workers than blocks.</summary>
    [Fact]
    public void ScheduleRunsEachBlockOnceInStepOrder()
    {
        int steps = 50, blocks = 3;
        var finished = new int[steps];
        var runs = new ConcurrentBag<(int Step, int Block)>();
        var violations = 0;
        new StepBlockSchedule(steps, blocks).Run(4, (step, block) =>
        {
            if (step > 0 && Volatile.Read(ref finished[step - 1]) != blocks) Interlocked.Increment(ref violations);
            runs.Add((step, block));
            Interlocked.Increment(ref finished[step]);
        });
        Assert.Equal(0, violations);
        Assert.Equal(steps * blocks, runs.Count);
        Assert.Equal(steps * blocks, runs.Distinct().Count());
    }

    /// <summary>A failing block surfaces as its own exception, and the other workers stop instead of waiting for the lost block.</summary>
    [Fact]
    public void ScheduleRethrowsTheFirstFailureWithoutHanging()
    {
        var schedule = new StepBlockSchedule(20, 2);
        var error = Assert.Throws<InvalidOperationException>(() => schedule.Run(2, (step, block) =>
        {
            if (step == 5 && block == 1) throw new InvalidOperationException("block 1 of step 5 failed");
        }));
        Assert.Equal("block 1 of step 5 failed", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new StepBlockSchedule(0, 2));
    }
}
