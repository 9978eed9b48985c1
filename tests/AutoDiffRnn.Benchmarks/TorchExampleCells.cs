using TorchSharp;
using static TorchSharp.torch;
using LibTorchTensor = TorchSharp.torch.Tensor;

namespace AutoDiffRnn.Benchmarks;

/// <summary>
/// The example cells of <see cref="AutoDiffRnn.Compile.ExampleCell"/> written with TorchSharp ops, run eagerly by libtorch: what a
/// researcher would write in PyTorch without torch.compile. Parameters in the same order and layout as the AutoDiffRnn cells.
/// </summary>
public static class TorchExampleCells
{
    /// <summary>The step function of the named cell over the given parameters: (input, state) → new state.</summary>
    public static Func<LibTorchTensor, LibTorchTensor[], LibTorchTensor[]> Step(string name, LibTorchTensor[] p) => name switch
    {
        "lstm" => (x, s) =>
        {
            var gates = (nn.functional.linear(x, p[0], p[2]) + nn.functional.linear(s[0], p[1], p[3])).chunk(4, 1);
            var c = gates[1].sigmoid() * s[1] + gates[0].sigmoid() * gates[2].tanh();
            return [gates[3].sigmoid() * c.tanh(), c];
        },
        "gru" => (x, s) =>
        {
            var gi = nn.functional.linear(x, p[0], p[2]).chunk(3, 1);
            var gh = nn.functional.linear(s[0], p[1], p[3]).chunk(3, 1);
            var r = (gi[0] + gh[0]).sigmoid();
            var z = (gi[1] + gh[1]).sigmoid();
            var n = (gi[2] + r * gh[2]).tanh();
            return [(1.0 - z) * n + z * s[0]];
        },
        "peephole" => (x, s) =>
        {
            var gates = (nn.functional.linear(x, p[0], p[2]) + matmul(s[0], p[1].t())).chunk(4, 1);
            var c = (gates[1] + p[4] * s[1]).sigmoid() * s[1] + (gates[0] + p[3] * s[1]).sigmoid() * gates[2].tanh();
            var o = (gates[3] + p[5] * c).sigmoid();
            return [o * c.tanh(), c];
        },
        "layernorm-lstm" => (x, s) =>
        {
            var gates = (LayerNorm(nn.functional.linear(x, p[0]), p[3], p[4]) + LayerNorm(nn.functional.linear(s[0], p[1]), p[5], p[6]) + p[2]).chunk(4, 1);
            var c = gates[1].sigmoid() * s[1] + gates[0].sigmoid() * gates[2].tanh();
            return [gates[3].sigmoid() * LayerNorm(c, p[7], p[8]).tanh(), c];
        },
        "mgu" => (x, s) =>
        {
            var f = (nn.functional.linear(x, p[0], p[2]) + nn.functional.linear(s[0], p[1])).sigmoid();
            var candidate = (nn.functional.linear(x, p[3], p[5]) + nn.functional.linear(f * s[0], p[4])).tanh();
            return [(1.0 - f) * s[0] + f * candidate];
        },
        _ => throw new ArgumentException($"torch example cell: unknown cell '{name}'"),
    };

    private static LibTorchTensor LayerNorm(LibTorchTensor v, LibTorchTensor gain, LibTorchTensor bias) =>
        nn.functional.layer_norm(v, [v.shape[^1]], gain, bias, 1e-5);

    /// <summary>The cell over time: inputs [T, B, I], returns the stacked outputs [T, B, H].</summary>
    public static LibTorchTensor Run(Func<LibTorchTensor, LibTorchTensor[], LibTorchTensor[]> step, LibTorchTensor inputs, LibTorchTensor[] state)
    {
        var outputs = new LibTorchTensor[inputs.shape[0]];
        for (int t = 0; t < outputs.Length; t++)
        {
            state = step(inputs[t], state);
            outputs[t] = state[0];
        }
        return stack(outputs, 0);
    }
}
