using System.Runtime.InteropServices;
using Onnx;

namespace AutoDiffRnn.Onnx.Tests.Support;

/// <summary>A value in the reference evaluator: row-major doubles (ids and lengths too) with a shape.</summary>
public sealed record RefValue(double[] Data, int[] Shape)
{
    /// <summary>The number of elements.</summary>
    public int Count => Data.Length;
}

/// <summary>
/// An independent float64 evaluator of ONNX graphs, written from the ONNX operator specification and nothing of the exporter: it exists
/// because ONNX Runtime 1.32's CPU provider has no float64 kernels for RNN, LSTM and GRU. It covers the operators the exporter writes
/// (Identity, Transpose, Reshape, Slice, Concat, Gather, MatMul, Gemm, Add, Tanh, Cast, Where, Softmax, Squeeze, Unsqueeze, RNN, LSTM, GRU), computes in double
/// whatever the graph's type, and is itself checked against ONNX Runtime on the float32 graphs (ReferenceEvaluatorTests).
/// </summary>
public static class ReferenceEvaluator
{
    /// <summary>Evaluates <paramref name="graph"/> on <paramref name="inputs"/>, returning every graph output by name.</summary>
    public static Dictionary<string, RefValue> Run(GraphProto graph, IReadOnlyDictionary<string, RefValue> inputs)
    {
        var values = new Dictionary<string, RefValue>();
        foreach (var initializer in graph.Initializer) values[initializer.Name] = Read(initializer);
        foreach (var (name, value) in inputs) values[name] = value;
        foreach (var node in graph.Node)
        {
            var args = node.Input.Select(name => name.Length == 0 ? null : values[name]).ToArray();
            var results = Evaluate(node, args);
            for (int i = 0; i < node.Output.Count && i < results.Length; i++)
                if (node.Output[i].Length > 0) values[node.Output[i]] = results[i];
        }
        return graph.Output.ToDictionary(output => output.Name, output => values[output.Name]);
    }

    private static RefValue Read(TensorProto tensor)
    {
        var shape = tensor.Dims.Select(d => (int)d).ToArray();
        var raw = tensor.RawData.Span;
        double[] data = tensor.DataType switch
        {
            1 => raw.Length > 0 ? MemoryMarshal.Cast<byte, float>(raw).ToArray().Select(v => (double)v).ToArray() : tensor.FloatData.Select(v => (double)v).ToArray(),
            11 => raw.Length > 0 ? MemoryMarshal.Cast<byte, double>(raw).ToArray() : tensor.DoubleData.ToArray(),
            7 => raw.Length > 0 ? MemoryMarshal.Cast<byte, long>(raw).ToArray().Select(v => (double)v).ToArray() : tensor.Int64Data.Select(v => (double)v).ToArray(),
            6 => raw.Length > 0 ? MemoryMarshal.Cast<byte, int>(raw).ToArray().Select(v => (double)v).ToArray() : tensor.Int32Data.Select(v => (double)v).ToArray(),
            _ => throw new NotSupportedException($"reference evaluator: tensor type {tensor.DataType} of {tensor.Name}"),
        };
        return new RefValue(data, shape);
    }

    private static AttributeProto? Attribute(NodeProto node, string name) => node.Attribute.FirstOrDefault(a => a.Name == name);

    private static long Int(NodeProto node, string name, long fallback) => Attribute(node, name)?.I ?? fallback;

    private static RefValue[] Evaluate(NodeProto node, RefValue?[] x) => node.OpType switch
    {
        "Identity" => [x[0]!],
        "Transpose" => [Transpose(x[0]!, Attribute(node, "perm")!.Ints.Select(i => (int)i).ToArray())],
        "Reshape" => [Reshape(x[0]!, x[1]!)],
        "Slice" => [Slice(x[0]!, x[1]!, x[2]!, x[3])],
        "Concat" => [Concat(x.Select(v => v!).ToArray(), (int)Int(node, "axis", 0))],
        "Gather" => [Gather(x[0]!, x[1]!)],
        "MatMul" => [MatMul(x[0]!, x[1]!)],
        "Gemm" => [Gemm(x[0]!, x[1]!, x.Length > 2 ? x[2] : null, Int(node, "transA", 0) != 0, Int(node, "transB", 0) != 0)],
        "Add" => [Broadcast(x[0]!, x[1]!, (a, b) => a + b)],
        "Tanh" => [new RefValue(x[0]!.Data.Select(Math.Tanh).ToArray(), x[0]!.Shape)],
        "Cast" => [Int(node, "to", 1) == 9 ? new RefValue(x[0]!.Data.Select(v => v != 0 ? 1.0 : 0.0).ToArray(), x[0]!.Shape) : x[0]!],
        "Where" => [Where(x[0]!, x[1]!, x[2]!)],
        "Softmax" => [Softmax(x[0]!)],
        "Squeeze" => [Squeeze(x[0]!, x[1]!)],
        "Unsqueeze" => [Unsqueeze(x[0]!, x[1]!)],
        "RNN" or "LSTM" or "GRU" => Recurrent(node, x),
        _ => throw new NotSupportedException($"reference evaluator: operator {node.OpType} ({node.Name})"),
    };

    private static int[] Strides(int[] shape)
    {
        var strides = new int[shape.Length];
        int stride = 1;
        for (int i = shape.Length - 1; i >= 0; i--) { strides[i] = stride; stride *= shape[i]; }
        return strides;
    }

    private static RefValue Transpose(RefValue x, int[] perm)
    {
        var shape = perm.Select(p => x.Shape[p]).ToArray();
        var source = Strides(x.Shape);
        var result = new double[x.Count];
        var index = new int[shape.Length];
        for (int flat = 0; flat < result.Length; flat++)
        {
            int rest = flat, offset = 0;
            for (int i = shape.Length - 1; i >= 0; i--) { index[i] = rest % shape[i]; rest /= shape[i]; }
            for (int i = 0; i < shape.Length; i++) offset += index[i] * source[perm[i]];
            result[flat] = x.Data[offset];
        }
        return new RefValue(result, shape);
    }

    private static RefValue Reshape(RefValue x, RefValue target)
    {
        var shape = target.Data.Select((d, i) => d == 0 ? x.Shape[i] : (int)d).ToArray();
        int known = shape.Where(d => d > 0).Aggregate(1, (a, b) => a * b);
        shape = shape.Select(d => d < 0 ? x.Count / known : d).ToArray();
        if (shape.Aggregate(1, (a, b) => a * b) != x.Count)
            throw new ArgumentException($"reference evaluator: Reshape of [{string.Join(",", x.Shape)}] to [{string.Join(",", shape)}]");
        return new RefValue(x.Data, shape);
    }

    private static RefValue Slice(RefValue x, RefValue starts, RefValue ends, RefValue? axes)
    {
        int axis = axes is null ? 0 : (int)axes.Data[0];
        int start = (int)starts.Data[0], end = Math.Min((int)ends.Data[0], x.Shape[axis]);
        var shape = (int[])x.Shape.Clone();
        shape[axis] = end - start;
        int outer = x.Shape[..axis].Aggregate(1, (a, b) => a * b), inner = x.Shape[(axis + 1)..].Aggregate(1, (a, b) => a * b);
        var result = new double[outer * shape[axis] * inner];
        for (int o = 0; o < outer; o++)
            Array.Copy(x.Data, (o * x.Shape[axis] + start) * inner, result, o * shape[axis] * inner, shape[axis] * inner);
        return new RefValue(result, shape);
    }

    private static RefValue Concat(RefValue[] parts, int axis)
    {
        var shape = (int[])parts[0].Shape.Clone();
        shape[axis] = parts.Sum(p => p.Shape[axis]);
        int outer = shape[..axis].Aggregate(1, (a, b) => a * b), inner = shape[(axis + 1)..].Aggregate(1, (a, b) => a * b);
        var result = new List<double>();
        for (int o = 0; o < outer; o++)
            foreach (var part in parts)
                result.AddRange(part.Data.Skip(o * part.Shape[axis] * inner).Take(part.Shape[axis] * inner));
        return new RefValue([.. result], shape);
    }

    private static RefValue Gather(RefValue table, RefValue ids)
    {
        int row = table.Shape[1..].Aggregate(1, (a, b) => a * b);
        var result = new double[ids.Count * row];
        for (int i = 0; i < ids.Count; i++) Array.Copy(table.Data, (int)ids.Data[i] * row, result, i * row, row);
        return new RefValue(result, [.. ids.Shape, .. table.Shape[1..]]);
    }

    private static RefValue MatMul(RefValue a, RefValue b)
    {
        if (b.Shape.Length == 3)
        {
            // batched: a [B, m, k] times b [B, k, n]
            int batch = b.Shape[0], kk = b.Shape[1], nn = b.Shape[2], mm = a.Shape[1];
            var parts = Enumerable.Range(0, batch).Select(i => MatMul(
                new RefValue(a.Data.Skip(i * mm * kk).Take(mm * kk).ToArray(), [mm, kk]),
                new RefValue(b.Data.Skip(i * kk * nn).Take(kk * nn).ToArray(), [kk, nn]))).ToArray();
            return new RefValue(parts.SelectMany(p => p.Data).ToArray(), [batch, mm, nn]);
        }
        int k = b.Shape[0], n = b.Shape[1], m = a.Count / k;
        var result = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int p = 0; p < k; p++) sum += a.Data[i * k + p] * b.Data[p * n + j];
                result[i * n + j] = sum;
            }
        return new RefValue(result, [.. a.Shape[..^1], n]);
    }

    private static RefValue Gemm(RefValue a, RefValue b, RefValue? c, bool transA, bool transB)
    {
        if (transA) a = Transpose(a, [1, 0]);
        if (transB) b = Transpose(b, [1, 0]);
        var product = MatMul(a, b);
        return c is null ? product : Add(product, c);
    }

    private static RefValue Add(RefValue a, RefValue b) => Broadcast(a, b, (x, y) => x + y);

    /// <summary>numpy-style broadcasting of two operands.</summary>
    private static RefValue Broadcast(RefValue a, RefValue b, Func<double, double, double> f)
    {
        int rank = Math.Max(a.Shape.Length, b.Shape.Length);
        int[] Pad(int[] shape) => [.. Enumerable.Repeat(1, rank - shape.Length), .. shape];
        var (sa, sb) = (Pad(a.Shape), Pad(b.Shape));
        var shape = sa.Zip(sb, (p, q) => p == 1 ? q : q == 1 || q == p ? p : throw new ArgumentException("broadcast mismatch")).ToArray();
        var (ta, tb) = (Strides(sa), Strides(sb));
        var result = new double[shape.Aggregate(1, (p, q) => p * q)];
        for (int flat = 0; flat < result.Length; flat++)
        {
            int rest = flat, ia = 0, ib = 0;
            for (int i = rank - 1; i >= 0; i--)
            {
                int index = rest % shape[i];
                rest /= shape[i];
                if (sa[i] != 1) ia += index * ta[i];
                if (sb[i] != 1) ib += index * tb[i];
            }
            result[flat] = f(a.Data[ia], b.Data[ib]);
        }
        return new RefValue(result, shape);
    }

    private static RefValue Where(RefValue condition, RefValue x, RefValue y)
    {
        var frame = Broadcast(Broadcast(condition, x, (_, _) => 0), y, (_, _) => 0);   // the broadcast shape of all three
        var (c, a, b) = (Broadcast(condition, frame, (v, _) => v), Broadcast(x, frame, (v, _) => v), Broadcast(y, frame, (v, _) => v));
        return new RefValue(c.Data.Select((flag, i) => flag != 0 ? a.Data[i] : b.Data[i]).ToArray(), frame.Shape);
    }

    private static RefValue Softmax(RefValue x)
    {
        int last = x.Shape[^1];
        var result = new double[x.Count];
        for (int row = 0; row < x.Count / last; row++)
        {
            double max = double.NegativeInfinity, sum = 0;
            for (int j = 0; j < last; j++) max = Math.Max(max, x.Data[row * last + j]);
            for (int j = 0; j < last; j++) sum += result[row * last + j] = Math.Exp(x.Data[row * last + j] - max);
            for (int j = 0; j < last; j++) result[row * last + j] /= sum;
        }
        return new RefValue(result, x.Shape);
    }

    private static RefValue Squeeze(RefValue x, RefValue axes)
    {
        var drop = axes.Data.Select(a => a < 0 ? x.Shape.Length + (int)a : (int)a).ToHashSet();
        return new RefValue(x.Data, x.Shape.Where((_, i) => !drop.Contains(i)).ToArray());
    }

    private static RefValue Unsqueeze(RefValue x, RefValue axes)
    {
        var shape = x.Shape.ToList();
        foreach (var axis in axes.Data.Select(a => (int)a).Order()) shape.Insert(axis, 1);
        return new RefValue(x.Data, [.. shape]);
    }

    private static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));

    private static Func<double, double> Activation(string name) => name switch
    {
        "Tanh" => Math.Tanh,
        "Relu" => v => Math.Max(v, 0),
        "Sigmoid" => Sigmoid,
        _ => throw new NotSupportedException($"reference evaluator: activation {name}"),
    };

    /// <summary>ONNX RNN / LSTM / GRU (opset 14), forward, reverse or bidirectional, with sequence_lens and initial states.</summary>
    private static RefValue[] Recurrent(NodeProto node, RefValue?[] x)
    {
        string op = node.OpType;
        var input = x[0]!; var w = x[1]!; var r = x[2]!;
        var b = x.Length > 3 ? x[3] : null;
        var lengths = x.Length > 4 ? x[4] : null;
        var h0 = x.Length > 5 ? x[5] : null;
        var c0 = op == "LSTM" && x.Length > 6 ? x[6] : null;
        int hidden = (int)Int(node, "hidden_size", 0);
        string direction = Attribute(node, "direction")?.S.ToStringUtf8() ?? "forward";
        bool linearBeforeReset = Int(node, "linear_before_reset", 0) != 0;
        var activations = Attribute(node, "activations")?.Strings.Select(s => s.ToStringUtf8()).ToArray();
        int steps = input.Shape[0], batch = input.Shape[1], inputSize = input.Shape[2];
        int directions = direction == "bidirectional" ? 2 : 1;
        int gates = op switch { "LSTM" => 4, "GRU" => 3, _ => 1 };
        var y = new double[steps * directions * batch * hidden];
        var yh = new double[directions * batch * hidden];
        var yc = new double[directions * batch * hidden];
        for (int d = 0; d < directions; d++)
        {
            bool reverse = direction == "reverse" || d == 1;
            int wOffset = d * gates * hidden * inputSize, rOffset = d * gates * hidden * hidden, bOffset = d * 2 * gates * hidden;
            double Wx(int gate, int unit, int t, int bb)
            {
                double sum = 0;
                for (int i = 0; i < inputSize; i++)
                    sum += input.Data[(t * batch + bb) * inputSize + i] * w.Data[wOffset + (gate * hidden + unit) * inputSize + i];
                return sum + (b?.Data[bOffset + gate * hidden + unit] ?? 0);
            }
            double Rh(int gate, int unit, double[] h)
            {
                double sum = 0;
                for (int i = 0; i < hidden; i++) sum += h[i] * r.Data[rOffset + (gate * hidden + unit) * hidden + i];
                return sum + (b?.Data[bOffset + (gates + gate) * hidden + unit] ?? 0);
            }
            var f = Activation(activations?[d * (op == "RNN" ? 1 : op == "GRU" ? 2 : 3)] ?? (op == "RNN" ? "Tanh" : "Sigmoid"));
            for (int bb = 0; bb < batch; bb++)
            {
                var h = new double[hidden];
                var c = new double[hidden];
                for (int j = 0; j < hidden; j++)
                {
                    h[j] = h0?.Data[(d * batch + bb) * hidden + j] ?? 0;
                    c[j] = c0?.Data[(d * batch + bb) * hidden + j] ?? 0;
                }
                int length = lengths is null ? steps : (int)lengths.Data[bb];
                for (int k = 0; k < length; k++)
                {
                    int t = reverse ? length - 1 - k : k;
                    var next = new double[hidden];
                    var nextC = new double[hidden];
                    for (int j = 0; j < hidden; j++)
                    {
                        switch (op)
                        {
                            case "RNN":
                                next[j] = f(Wx(0, j, t, bb) + Rh(0, j, h));
                                break;
                            case "LSTM":
                            {
                                // gate order i, o, f, c
                                double gi = Sigmoid(Wx(0, j, t, bb) + Rh(0, j, h));
                                double go = Sigmoid(Wx(1, j, t, bb) + Rh(1, j, h));
                                double gf = Sigmoid(Wx(2, j, t, bb) + Rh(2, j, h));
                                double gc = Math.Tanh(Wx(3, j, t, bb) + Rh(3, j, h));
                                nextC[j] = gf * c[j] + gi * gc;
                                next[j] = go * Math.Tanh(nextC[j]);
                                break;
                            }
                            default:
                            {
                                // gate order z, r, h
                                double z = Sigmoid(Wx(0, j, t, bb) + Rh(0, j, h));
                                double rg = Sigmoid(Wx(1, j, t, bb) + Rh(1, j, h));
                                double candidate;
                                if (linearBeforeReset) candidate = Math.Tanh(Wx(2, j, t, bb) + rg * Rh(2, j, h));
                                else
                                {
                                    var gated = new double[hidden];
                                    for (int i = 0; i < hidden; i++)
                                        gated[i] = Sigmoid(Wx(1, i, t, bb) + Rh(1, i, h)) * h[i];
                                    candidate = Math.Tanh(Wx(2, j, t, bb) + Rh(2, j, gated));
                                }
                                next[j] = (1 - z) * candidate + z * h[j];
                                break;
                            }
                        }
                    }
                    h = next;
                    if (op == "LSTM") c = nextC;
                    for (int j = 0; j < hidden; j++) y[((t * directions + d) * batch + bb) * hidden + j] = h[j];
                }
                for (int j = 0; j < hidden; j++)
                {
                    yh[(d * batch + bb) * hidden + j] = h[j];
                    yc[(d * batch + bb) * hidden + j] = c[j];
                }
            }
        }
        var results = new List<RefValue>
        {
            new(y, [steps, directions, batch, hidden]), new(yh, [directions, batch, hidden]),
        };
        if (op == "LSTM") results.Add(new RefValue(yc, [directions, batch, hidden]));
        return [.. results];
    }
}
