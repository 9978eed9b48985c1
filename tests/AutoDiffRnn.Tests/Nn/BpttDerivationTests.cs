using AutoDiffRnn.Losses;
using AutoDiffRnn.Tests.Support;

namespace AutoDiffRnn.Tests.Nn;

/// <summary>
/// The derivation of backpropagation through time for a vanilla RNN, written out with plain doubles, against the tape:
/// h_t = tanh(U x_t + W h_{t−1} + b), ŷ_t = softmax(V h_t + c), E = Σ_t −log ŷ_t[y_t].
/// dE/dV = Σ_t (ŷ_t − y_t) h_tᵀ; dE/dc = Σ_t (ŷ_t − y_t);
/// δ_t = (Vᵀ(ŷ_t − y_t) + Wᵀ δ_{t+1}) ⊙ (1 − h_t²); dE/dW = Σ_t δ_t h_{t−1}ᵀ; dE/dU = Σ_t δ_t x_tᵀ; dE/db = Σ_t δ_t.
/// </summary>
public class BpttDerivationTests
{
    [Fact]
    public void TapeGradientsEqualTheHandDerivedFormulas()
    {
        const int inputs = 4, hidden = 5, classes = 4;
        int[] sequence = [0, 1, 2, 2]; // "h e l l" predicting "e l l o"
        int[] targets = [1, 2, 2, 3];
        int steps = sequence.Length;
        var U = Random64.Normal(1, hidden, inputs).SetRequiresGrad();
        var W = (Random64.Normal(2, hidden, hidden) * 0.5).Detach().SetRequiresGrad();
        var V = Random64.Normal(3, classes, hidden).SetRequiresGrad();
        var b = Random64.Normal(4, hidden).SetRequiresGrad();
        var c = Random64.Normal(5, classes).SetRequiresGrad();

        // the tape
        var state = Tensor.Zeros(new Shape(hidden, 1), DType.Float64);
        var logits = new List<Tensor>();
        foreach (var token in sequence)
        {
            var x = Tensor.Zeros(new Shape(inputs, 1), DType.Float64);
            x.SetFlat(token, 1);
            state = (Tensor.MatMul(U, x) + Tensor.MatMul(W, state) + b.Reshape(hidden, 1)).Tanh();
            logits.Add((Tensor.MatMul(V, state) + c.Reshape(classes, 1)).Reshape(1, classes));
        }
        var loss = Loss.CrossEntropy(Tensor.Concat(logits, 0), targets, reduction: Reduction.Sum);
        loss.Backward();

        // by hand
        double[] u = U.ToDoubleArray(), w = W.ToDoubleArray(), v = V.ToDoubleArray(), bias = b.ToDoubleArray(), outBias = c.ToDoubleArray();
        var h = new double[steps + 1][];
        var yHat = new double[steps][];
        h[0] = new double[hidden];
        double expectedLoss = 0;
        for (int t = 0; t < steps; t++)
        {
            h[t + 1] = new double[hidden];
            for (int i = 0; i < hidden; i++)
            {
                double sum = u[i * inputs + sequence[t]] + bias[i];
                for (int j = 0; j < hidden; j++) sum += w[i * hidden + j] * h[t][j];
                h[t + 1][i] = Math.Tanh(sum);
            }
            var o = new double[classes];
            for (int k = 0; k < classes; k++)
            {
                o[k] = outBias[k];
                for (int j = 0; j < hidden; j++) o[k] += v[k * hidden + j] * h[t + 1][j];
            }
            double max = o.Max(), total = o.Sum(value => Math.Exp(value - max));
            yHat[t] = o.Select(value => Math.Exp(value - max) / total).ToArray();
            expectedLoss -= Math.Log(yHat[t][targets[t]]);
        }
        double[] dU = new double[hidden * inputs], dW = new double[hidden * hidden], dV = new double[classes * hidden], db = new double[hidden], dc = new double[classes];
        var deltaNext = new double[hidden];
        for (int t = steps - 1; t >= 0; t--)
        {
            var error = (double[])yHat[t].Clone();
            error[targets[t]] -= 1; // ŷ_t − y_t
            for (int k = 0; k < classes; k++)
            {
                dc[k] += error[k];
                for (int j = 0; j < hidden; j++) dV[k * hidden + j] += error[k] * h[t + 1][j];
            }
            var delta = new double[hidden];
            for (int j = 0; j < hidden; j++)
            {
                double dh = 0;
                for (int k = 0; k < classes; k++) dh += v[k * hidden + j] * error[k];
                for (int i = 0; i < hidden; i++) dh += w[i * hidden + j] * deltaNext[i];
                delta[j] = dh * (1 - h[t + 1][j] * h[t + 1][j]);
            }
            for (int i = 0; i < hidden; i++)
            {
                db[i] += delta[i];
                dU[i * inputs + sequence[t]] += delta[i];
                for (int j = 0; j < hidden; j++) dW[i * hidden + j] += delta[i] * h[t][j];
            }
            deltaNext = delta;
        }

        Assert.Equal(expectedLoss, loss.ToScalar(), 12);
        TensorAssert.Close(dV, V.Grad!, 1e-12);
        TensorAssert.Close(dc, c.Grad!, 1e-12);
        TensorAssert.Close(dW, W.Grad!, 1e-12);
        TensorAssert.Close(dU, U.Grad!, 1e-12);
        TensorAssert.Close(db, b.Grad!, 1e-12);
    }
}
