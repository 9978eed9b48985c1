using AutoDiffRnn.Tests.Support;

namespace AutoDiffRnn.Tests.Nn;

/// <summary>
/// The LSTM's inference on gate panels (<see cref="GatePanelInference{T, TCell}"/>), called directly (on AVX-512 machines the layer
/// takes the split products instead), against the recording path of the fused op in float64: blocks of units, ragged batch tiles,
/// both directions, variable lengths (a tile with padded steps), with and without biases and initial states, into the op's state rows
/// and into a layer's output columns with final states.
/// </summary>
public class GatePanelInferenceTests
{
    [Theory]
    [InlineData(3, 19, 1, false, false, true, true)]
    [InlineData(11, 40, 2, true, true, true, true)]
    [InlineData(9, 40, 3, false, true, false, false)]
    [InlineData(1, 33, 2, false, false, true, true)]
    [InlineData(17, 16, 4, true, true, true, false)]
    public void MatchesTheRecordingPath(int batch, int hidden, int blocks, bool reverse, bool variableLengths, bool bias, bool initialStates)
    {
        int steps = 7, input = 5;
        int[]? lengths = variableLengths ? Enumerable.Range(0, batch).Select(b => steps - (3 * b) % steps).ToArray() : null;
        var x = Random64.Normal(81, steps, batch, input);
        var h0 = initialStates ? Random64.Normal(82, batch, hidden) : Tensor.Zeros(new Shape(batch, hidden), DType.Float64);
        var c0 = initialStates ? Random64.Normal(83, batch, hidden) : Tensor.Zeros(new Shape(batch, hidden), DType.Float64);
        var weightIh = Random64.Normal(84, 4 * hidden, input) * Tensor.Scalar(0.3, DType.Float64);
        var weightHh = Random64.Normal(85, 4 * hidden, hidden) * Tensor.Scalar(0.3, DType.Float64);
        var biasIh = bias ? Random64.Normal(86, 4 * hidden) : null;
        var biasHh = bias ? Random64.Normal(87, 4 * hidden) : null;
        var inputs = new RecurrenceInputs(x, initialStates ? h0 : null, initialStates ? c0 : null, weightIh, weightHh, biasIh, biasHh, reverse, lengths);

        var recorded = Tensor.LstmSequence(x.SetRequiresGrad(), h0, c0, weightIh, weightHh, biasIh, biasHh, reverse, lengths); // the step loop
        var rows = Tensor.Empty(new Shape(steps, batch, 3 * hidden), DType.Float64);
        GatePanelInference<double, LstmCellMath>.Run(inputs, InferenceTarget.SequenceRows(rows, hidden, cellState: true), blocks);
        TensorAssert.Close(recorded, rows, 1e-12);

        // into columns [H, 2H) of rows of 3H (a layer's second direction), with the final states at an offset
        var columns = Tensor.Empty(new Shape(steps, batch, 3 * hidden), DType.Float64);
        var finalHidden = Tensor.Empty(new Shape(2, batch, hidden), DType.Float64);
        var finalCell = Tensor.Empty(new Shape(2, batch, hidden), DType.Float64);
        GatePanelInference<double, LstmCellMath>.Run(inputs,
            new InferenceTarget(columns, 3 * hidden, hidden, StateRows: false, finalHidden, finalCell, batch * hidden), blocks);
        TensorAssert.Close(recorded.Narrow(2, 0, hidden), columns.Narrow(2, hidden, hidden), 1e-12);
        var expectedHidden = new double[batch * hidden];
        var expectedCell = new double[batch * hidden];
        var recordedValues = recorded.ToDoubleArray();
        for (int b = 0; b < batch; b++)
        {
            // the state after the sequence's last processed step: its last active step, or the initial state if none
            int last = reverse ? 0 : (lengths?[b] ?? steps) - 1;
            for (int j = 0; j < hidden; j++)
            {
                expectedHidden[b * hidden + j] = recordedValues[(last * batch + b) * 3 * hidden + hidden + j];
                expectedCell[b * hidden + j] = recordedValues[(last * batch + b) * 3 * hidden + 2 * hidden + j];
            }
        }
        TensorAssert.Close(Tensor.FromArray(expectedHidden, new Shape(batch, hidden)), finalHidden.Select(0, 1), 1e-12);
        TensorAssert.Close(Tensor.FromArray(expectedCell, new Shape(batch, hidden)), finalCell.Select(0, 1), 1e-12);
    }

    [Fact]
    public void RefusesACellWithoutFourSummedGates()
    {
        var x = Tensor.Zeros(new Shape(2, 1, 3), DType.Float64);
        var inputs = new RecurrenceInputs(x, null, null, Tensor.Zeros(new Shape(3 * 4, 3), DType.Float64),
            Tensor.Zeros(new Shape(3 * 4, 4), DType.Float64), null, null, false, null);
        var error = Assert.Throws<NotSupportedException>(() => GatePanelInference<double, GruCellMath>.Run(inputs,
            InferenceTarget.SequenceRows(Tensor.Empty(new Shape(2, 1, 8), DType.Float64), 4, cellState: false), 1));
        Assert.Contains("gru_sequence", error.Message);
    }
}
