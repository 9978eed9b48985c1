using AutoDiffRnn.Nn;

namespace AutoDiffRnn.Onnx;

/// <summary>
/// How PyTorch's recurrent weights map onto ONNX's <c>RNN</c>, <c>LSTM</c> and <c>GRU</c> operators. Both stack the gates' rows in chunks of
/// hidden-size rows, in different orders: LSTM PyTorch i, f, g, o — ONNX i, o, f, c; GRU PyTorch r, z, n — ONNX z, r, h (and ONNX's
/// <c>linear_before_reset = 1</c> is PyTorch's GRU, the reset gate applied after the recurrent product with b_hn inside it).
/// </summary>
public static class RecurrentGateLayout
{
    /// <summary>The PyTorch chunk that goes into each ONNX chunk: ONNX chunk k takes PyTorch chunk <c>order[k]</c>.</summary>
    public static int[] OnnxFromPyTorch(RecurrentKind kind) => kind switch
    {
        RecurrentKind.Lstm => [0, 3, 1, 2], // i, o, f, c  <-  i(0), o(3), f(1), g(2)
        RecurrentKind.Gru => [1, 0, 2],     // z, r, h     <-  z(1), r(0), n(2)
        _ => [0],
    };

    /// <summary>The inverse of <see cref="OnnxFromPyTorch"/>: PyTorch chunk k takes ONNX chunk <c>order[k]</c>.</summary>
    public static int[] PyTorchFromOnnx(RecurrentKind kind)
    {
        var forward = OnnxFromPyTorch(kind);
        var inverse = new int[forward.Length];
        for (int k = 0; k < forward.Length; k++) inverse[forward[k]] = k;
        return inverse;
    }

    /// <summary>The number of gate chunks: 1 (RNN), 4 (LSTM), 3 (GRU).</summary>
    public static int Gates(RecurrentKind kind) => kind switch { RecurrentKind.Lstm => 4, RecurrentKind.Gru => 3, _ => 1 };

    /// <summary>The ONNX operator of a kind: RNN, LSTM or GRU.</summary>
    public static string OperatorName(RecurrentKind kind) => kind switch { RecurrentKind.Lstm => "LSTM", RecurrentKind.Gru => "GRU", _ => "RNN" };

    /// <summary>
    /// Copies <paramref name="source"/> (row-major, gates·hidden rows of <paramref name="columns"/> values) into <paramref name="target"/>
    /// with its chunks of <paramref name="hidden"/> rows in the order <paramref name="order"/> (target chunk k = source chunk order[k]).
    /// </summary>
    public static void ReorderChunks(ReadOnlySpan<double> source, Span<double> target, int hidden, int columns, int[] order)
    {
        int chunk = hidden * columns;
        if (source.Length != order.Length * chunk || target.Length != source.Length)
            throw new ArgumentException($"ReorderChunks: {source.Length} values are not {order.Length} chunks of {hidden}x{columns}");
        for (int k = 0; k < order.Length; k++)
            source.Slice(order[k] * chunk, chunk).CopyTo(target.Slice(k * chunk, chunk));
    }
}
