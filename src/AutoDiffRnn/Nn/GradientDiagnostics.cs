namespace AutoDiffRnn.Nn;

/// <summary>
/// Diagnostics of training dynamics: how large the gradient of a loss is with respect to each time step's hidden state, so users can
/// see vanishing and exploding gradients (a tanh RNN's norms fall geometrically going back in time; an LSTM's decay slowly).
/// </summary>
public static class GradientDiagnostics
{
    /// <summary>
    /// ‖dL/dh_t‖ for every step t of running <paramref name="cell"/> over <paramref name="inputs"/> (each [B, I]) from a zero state,
    /// where L = <paramref name="loss"/>(last hidden state). Works by adding a zero leaf ("probe") to every state: its gradient is dL/dh_t.
    /// Returns one norm per step, oldest first — data for a plot.
    /// </summary>
    public static double[] HiddenStateGradientNorms(RecurrentCell cell, IReadOnlyList<Tensor> inputs, Func<Tensor, Tensor>? loss = null)
    {
        if (inputs.Count == 0) throw new ArgumentException("gradient diagnostics: no time steps");
        loss ??= hidden => hidden.Sum();
        var probes = new Tensor[inputs.Count];
        Tensor? hidden = null, memory = null;
        for (int t = 0; t < inputs.Count; t++)
        {
            probes[t] = Tensor.Zeros(new Shape(inputs[t].Shape[0], cell.HiddenSize), inputs[t].DType).SetRequiresGrad();
            Tensor next;
            switch (cell)
            {
                case LstmCell lstm:
                    (next, memory) = lstm.Forward(inputs[t], hidden is null ? null : (hidden, memory!));
                    break;
                case GruCell gru:
                    next = gru.Forward(inputs[t], hidden);
                    break;
                case RnnCell rnn:
                    next = rnn.Forward(inputs[t], hidden);
                    break;
                default:
                    throw new ArgumentException($"gradient diagnostics: unsupported cell {cell.GetType().Name}");
            }
            hidden = next + probes[t];
        }
        var value = loss(hidden!);
        if (value.ElementCount != 1)
            throw new ArgumentException($"gradient diagnostics: the loss must be a scalar, got shape {value.Shape}");
        value.Backward();
        cell.ZeroGrad();
        return probes.Select(p => p.Grad is Tensor g ? Math.Sqrt(g.ToDoubleArray().Sum(v => v * v)) : 0.0).ToArray();
    }
}

/// <summary>
/// Truncated backpropagation through time: a long sequence is processed in chunks, carrying the recurrent state from chunk to chunk
/// but cutting the graph between them with <see cref="Tensor.Detach"/>, so memory and time per update stay bounded while the state
/// still sees the whole past (as in Karpathy's min-char-rnn and PyTorch's language-model examples).
/// </summary>
public static class TruncatedBackpropagation
{
    /// <summary>
    /// Runs <paramref name="layer"/> over <paramref name="sequence"/> (T, B, I) in chunks of <paramref name="chunkLength"/> steps; for each
    /// chunk calls <paramref name="step"/> with the chunk's output and its start, which returns the loss to backpropagate (the caller then
    /// steps its optimizer). The final state of a chunk, detached, is the initial state of the next. Returns the losses.
    /// </summary>
    public static List<double> Run(RecurrentLayer layer, Tensor sequence, int chunkLength, Func<RecurrentOutput, int, Tensor> step)
    {
        if (chunkLength <= 0) throw new ArgumentOutOfRangeException(nameof(chunkLength), $"truncated BPTT: the chunk length must be positive, got {chunkLength}");
        if (sequence.Rank != 3) throw new ArgumentException($"truncated BPTT: the sequence must be (T, B, I), got {sequence.Shape}");
        var losses = new List<double>();
        Tensor? hidden = null, cell = null;
        int steps = layer.BatchFirst ? sequence.Shape[1] : sequence.Shape[0];
        for (int start = 0; start < steps; start += chunkLength)
        {
            int length = Math.Min(chunkLength, steps - start);
            var chunk = sequence.Narrow(layer.BatchFirst ? 1 : 0, start, length);
            var output = layer.Forward(chunk, hidden, cell);
            var loss = step(output, start);
            loss.Backward();
            losses.Add(loss.ToScalar());
            hidden = output.Hidden.Detach();           // carry the state, cut the graph
            cell = output.Cell?.Detach();
        }
        return losses;
    }
}
