using System.Globalization;
using AutoDiffRnn.Nn;
using AutoDiffRnn.Nn.Seq2Seq;
using Onnx;

namespace AutoDiffRnn.Onnx.Export;

/// <summary>
/// A sequence-to-sequence model as two ONNX graphs, so that greedy or beam decoding can run outside the library:
/// the encoder (source_ids [S, B] int64 and source_lengths [B] int32 → memory [B, S, M] and the bridged initial decoder state) and one
/// decoder step with its attention (previous_ids [B], hidden (cell) [L, B, H], memory, mask [B, S] of 1s and 0s → logits [B, V], the next
/// hidden (cell) and the attention weights [B, S]). Luong placement (attention after the recurrent step) and every attention score
/// (additive, dot, general) or none; the mask is built by the caller from the lengths (1 where s &lt; length).
/// </summary>
public static class Seq2SeqExport
{
    /// <summary>The encoder graph.</summary>
    public static ModelProto Encoder(Seq2SeqEncoder encoder, DType? dtype = null)
    {
        var graph = new OnnxGraphBuilder("seq2seq_encoder", dtype ?? encoder.Embedding.Weight.DType);
        int type = OnnxElementType.Of(graph.DType);
        var ids = graph.Input("source_ids", OnnxElementType.Int64, "source_sequence", "batch");
        var lengths = graph.Input("source_lengths", OnnxElementType.Int32, "batch");
        var embedded = ModuleExport.Embedding(graph, encoder.Embedding, ids, "encoder.embedding");
        var values = ModuleExport.Recurrent(graph, encoder.Rnn, embedded, null, null, lengths, "encoder.rnn");
        var memory = graph.Node("Transpose", [values.Output], "memory_bsm", OnnxAttribute.Ints("perm", 1, 0, 2));
        graph.Output(memory, "memory", type, "batch", "source_sequence", encoder.OutputSize);
        int layers = encoder.Rnn.NumLayers, directions = encoder.Rnn.Directions, hidden = encoder.Rnn.HiddenSize;
        var bridges = encoder.NamedChildren().ToDictionary(c => c.Name, c => c.Module);
        string Bridge(string states, string? bridge, bool tanh, string name)
        {
            // (L·D, B, H) → (L, D, B, H) → (L, B, D, H) → (L, B, D·H)
            var split = graph.Node("Reshape", [states, graph.Int64Initializer(name + ".split", [layers, directions, -1, hidden], 4)], name + "_ldbh");
            var joined = graph.Node("Reshape", [graph.Node("Transpose", [split], name + "_lbdh", OnnxAttribute.Ints("perm", 0, 2, 1, 3)),
                graph.Int64Initializer(name + ".join", [0, 0, -1], 3)], name + "_joined");
            if (bridge is null || !bridges.TryGetValue(bridge, out var module)) return joined;
            var projected = ModuleExport.Linear(graph, (Linear)module, joined, "encoder." + bridge);
            return tanh ? graph.Node("Tanh", [projected], name + "_tanh") : projected;
        }
        string? projection = encoder.Bridge == EncoderBridge.Projection ? "bridge_hidden" : null;
        graph.Output(Bridge(values.Hidden, projection, tanh: projection is not null, "initial_hidden"), "initial_hidden", type, layers, "batch", encoder.DecoderHiddenSize);
        if (values.Cell is not null)
            graph.Output(Bridge(values.Cell, projection is null ? null : "bridge_cell", tanh: false, "initial_cell"), "initial_cell", type, layers, "batch", encoder.DecoderHiddenSize);
        return graph.ToModel(new Dictionary<string, string>
        {
            [OnnxExport.ModelKey] = "seq2seq_encoder",
            ["autodiffrnn.dtype"] = graph.DType.Name(),
            ["autodiffrnn.bridge"] = encoder.Bridge.ToString(),
            ["autodiffrnn.padding_index"] = encoder.PaddingIndex.ToString(CultureInfo.InvariantCulture),
        });
    }

    /// <summary>One decoder step with attention: the graph a greedy or beam decoder calls once per output token.</summary>
    public static ModelProto DecoderStep(Seq2SeqDecoder decoder, DType? dtype = null)
    {
        if (decoder.Attention is not null && decoder.Placement != AttentionPlacement.AfterRecurrence)
            throw new NotSupportedException("Seq2SeqExport: only the Luong placement (attention after the recurrent step) is exported; " +
                $"this decoder attends {decoder.Placement}");
        var graph = new OnnxGraphBuilder("seq2seq_decoder_step", dtype ?? decoder.Output.Weight.DType);
        int type = OnnxElementType.Of(graph.DType), layers = decoder.Layers, hiddenSize = decoder.HiddenSize;
        bool lstm = decoder.Rnn.Kind == RecurrentKind.Lstm;
        var previous = graph.Input("previous_ids", OnnxElementType.Int64, "batch");
        var hidden = graph.Input("hidden", type, layers, "batch", hiddenSize);
        var cell = lstm ? graph.Input("cell", type, layers, "batch", hiddenSize) : null;
        string? memory = null, mask = null;
        if (decoder.Attention is not null)
        {
            memory = graph.Input("memory", type, "batch", "source_sequence", decoder.Attention.MemorySize);
            mask = graph.Input("mask", type, "batch", "source_sequence");
        }
        var step = graph.Node("Unsqueeze", [previous, graph.Int64Initializer("step_axis", [0], 1)], "previous_1b");
        var embedded = ModuleExport.Embedding(graph, decoder.Embedding, step, "decoder.embedding");                 // (1, B, E)
        var values = ModuleExport.Recurrent(graph, decoder.Rnn, embedded, hidden, cell, null, "decoder.rnn");
        var state = graph.Node("Transpose", [values.Output], "decoder_b1h", OnnxAttribute.Ints("perm", 1, 0, 2));  // (B, 1, H)
        var children = decoder.NamedChildren().ToDictionary(c => c.Name, c => c.Module);
        if (decoder.Attention is not null)
        {
            var (context, weights) = Attend(graph, decoder.Attention, state, memory!, mask!);
            var combined = ModuleExport.Linear(graph, (Linear)children["combine"], graph.Node("Concat", [context, state], "context_state", OnnxAttribute.Int("axis", 2)), "decoder.combine");
            state = graph.Node("Tanh", [combined], "attentional_state");
            graph.Output(graph.Node("Reshape", [weights, graph.Int64Initializer("weights_shape", [0, -1], 2)], "weights_bs"), "attention_weights", type, "batch", "source_sequence");
        }
        var logits = ModuleExport.Linear(graph, decoder.Output, state, "decoder.output");
        graph.Output(graph.Node("Reshape", [logits, graph.Int64Initializer("logits_shape", [0, -1], 2)], "logits_bv"), "logits", type, "batch", decoder.VocabularySize);
        graph.Output(values.Hidden, "next_hidden", type, layers, "batch", hiddenSize);
        if (values.Cell is not null) graph.Output(values.Cell, "next_cell", type, layers, "batch", hiddenSize);
        return graph.ToModel(new Dictionary<string, string>
        {
            [OnnxExport.ModelKey] = "seq2seq_decoder_step",
            ["autodiffrnn.dtype"] = graph.DType.Name(),
            ["autodiffrnn.attention"] = decoder.Attention?.GetType().Name ?? "none",
            ["autodiffrnn.vocabulary_size"] = decoder.VocabularySize.ToString(CultureInfo.InvariantCulture),
        });
    }

    private static (string Context, string Weights) Attend(OnnxGraphBuilder graph, Attention attention, string query, string memory, string mask)
    {
        var parameters = attention.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        Linear Rebuilt(string name, bool bias)
        {
            var weight = parameters[name + ".weight"];
            var linear = new Linear(weight.Shape[1], weight.Shape[0], bias, weight.DType);
            var state = new Dictionary<string, Tensor> { ["weight"] = weight };
            if (bias) state["bias"] = parameters[name + ".bias"];
            linear.LoadStateDict(state);
            return linear;
        }
        var keysTransposed = (string keys) => graph.Node("Transpose", [keys], "keys_t", OnnxAttribute.Ints("perm", 0, 2, 1));
        string scores;                                                                                               // (B, 1, S)
        switch (attention)
        {
            case DotProductAttention:
                scores = graph.Node("MatMul", [query, keysTransposed(memory)], "scores");
                break;
            case GeneralAttention:
                scores = graph.Node("MatMul", [query, keysTransposed(ModuleExport.Linear(graph, Rebuilt("key", false), memory, "attention.key"))], "scores");
                break;
            case AdditiveAttention:
            {
                var keys = ModuleExport.Linear(graph, Rebuilt("key", true), memory, "attention.key");                // (B, S, A)
                var projected = ModuleExport.Linear(graph, Rebuilt("query", false), query, "attention.query");       // (B, 1, A)
                var sum = graph.Node("Add", [projected, keys], "attention_sum");                                     // (B, S, A) by broadcasting
                var energy = ModuleExport.Linear(graph, Rebuilt("energy", false), graph.Node("Tanh", [sum], "attention_tanh"), "attention.energy"); // (B, S, 1)
                scores = graph.Node("Transpose", [energy], "scores", OnnxAttribute.Ints("perm", 0, 2, 1));
                break;
            }
            default:
                throw new NotSupportedException($"Seq2SeqExport: attention {attention.GetType().Name} has no ONNX export");
        }
        var valid = graph.Node("Cast", [graph.Node("Unsqueeze", [mask, graph.Int64Initializer("mask_axis", [1], 1)], "mask_b1s")], "mask_bool",
            OnnxAttribute.Int("to", 9));
        var masked = graph.Node("Where", [valid, scores, graph.Initializer("masked_score", [Attention.MaskedScore])], "masked_scores");
        var weights = graph.Node("Softmax", [masked], "attention_weights_b1s", OnnxAttribute.Int("axis", -1));
        return (graph.Node("MatMul", [weights, memory], "context"), weights);
    }
}
