using AutoDiffRnn.Autodiff;
using AutoDiffRnn.Data;
using AutoDiffRnn.Nn;
using AutoDiffRnn.Nn.Seq2Seq;
using AutoDiffRnn.Onnx.Export;
using AutoDiffRnn.Onnx.Runtime;
using AutoDiffRnn.Onnx.Tests.Support;

namespace AutoDiffRnn.Onnx.Tests;

/// <summary>
/// The seq2seq model as an encoder graph and a decoder-step graph: encoding variable-length sources and three greedy decoding steps (state and
/// the argmax token carried from graph output to graph input, as a decoder outside the library would) match the model's own encoder and
/// Step, in float32 through ONNX Runtime and float64 through the reference evaluator.
/// </summary>
public class Seq2SeqExportTests
{
    private const int SourceVocabulary = 12, TargetVocabulary = 10, Hidden = 6;

    public static TheoryData<string, RecurrentKind, bool, EncoderBridge> Cases => new()
    {
        { "additive", RecurrentKind.Lstm, true, EncoderBridge.Projection },
        { "dot", RecurrentKind.Gru, false, EncoderBridge.Concatenation },
        { "general", RecurrentKind.Lstm, true, EncoderBridge.Concatenation },
        { "none", RecurrentKind.Gru, true, EncoderBridge.Projection },
    };

    private static Seq2SeqModel Model(string attention, RecurrentKind kind, bool bidirectional, EncoderBridge bridge, DType dtype)
    {
        var generator = new Generator(8);
        int encoderHidden = bridge == EncoderBridge.Concatenation && bidirectional ? Hidden / 2 : Hidden;
        int memory = encoderHidden * (bidirectional ? 2 : 1);
        var encoder = new Seq2SeqEncoder(SourceVocabulary, 5, encoderHidden, Hidden, layers: 2, bidirectional, kind, bridge, dtype: dtype, generator: generator);
        Attention? module = attention switch
        {
            "additive" => new AdditiveAttention(Hidden, memory, 7, dtype, generator),
            "dot" => new DotProductAttention(Hidden),
            "general" => new GeneralAttention(Hidden, memory, dtype, generator),
            _ => null,
        };
        var decoder = new Seq2SeqDecoder(TargetVocabulary, 4, Hidden, layers: 2, kind, module, dtype: dtype, generator: generator);
        return new Seq2SeqModel(encoder, decoder);
    }

    private static readonly int[][] Sources = [[3, 4, 5, 6, 7], [8, 9], [10, 3, 11]];

    [Theory]
    [MemberData(nameof(Cases))]
    public void Encoder_and_decoder_steps_match_in_OnnxRuntime_and_in_float64(string attention, RecurrentKind kind, bool bidirectional, EncoderBridge bridge)
    {
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            var model = Model(attention, kind, bidirectional, bridge, dtype);
            model.Eval();
            using var _ = GradMode.NoGrad();
            var padded = Sequences.Pad(Sources, model.Encoder.PaddingIndex);
            var encoded = model.Encoder.Forward(padded);
            var encoderGraph = Seq2SeqExport.Encoder(model.Encoder);
            var decoderGraph = Seq2SeqExport.DecoderStep(model.Decoder);
            double tolerance = dtype == DType.Float32 ? 1e-5 : 1e-12;
            var ids = padded.Ids.Select(id => (long)id).ToArray();
            Dictionary<string, Tensor> encoderOut;
            OnnxRuntimeSession? decoderSession = null;
            try
            {
                if (dtype == DType.Float32)
                {
                    using var encoderSession = new OnnxRuntimeSession(OnnxExport.ToBytes(encoderGraph));
                    encoderOut = encoderSession.Run(new Dictionary<string, object>
                    {
                        ["source_ids"] = (ids, new[] { padded.Steps, padded.BatchSize }), ["source_lengths"] = padded.Lengths,
                    });
                    decoderSession = new OnnxRuntimeSession(OnnxExport.ToBytes(decoderGraph));
                }
                else
                {
                    var reference = ReferenceEvaluator.Run(encoderGraph.Graph, new Dictionary<string, RefValue>
                    {
                        ["source_ids"] = new(ids.Select(v => (double)v).ToArray(), [padded.Steps, padded.BatchSize]),
                        ["source_lengths"] = new(padded.Lengths.Select(v => (double)v).ToArray(), [padded.BatchSize]),
                    });
                    encoderOut = reference.ToDictionary(p => p.Key, p => Tensor.FromArray(p.Value.Data, new Shape(p.Value.Shape), DType.Float64));
                }
                Agreement.Close(encoded.Outputs, encoderOut["memory"], tolerance, $"{attention} {dtype} memory");
                Agreement.Close(encoded.InitialDecoderState.Hidden, encoderOut["initial_hidden"], tolerance, "initial hidden");
                if (kind == RecurrentKind.Lstm) Agreement.Close(encoded.InitialDecoderState.Cell!, encoderOut["initial_cell"], tolerance, "initial cell");

                var memory = model.Decoder.Attention?.Prepare(encoded.Outputs, encoded.Mask);
                var state = encoded.InitialDecoderState;
                var (hidden, cell) = (encoderOut["initial_hidden"], kind == RecurrentKind.Lstm ? encoderOut["initial_cell"] : null);
                int[] previous = [1, 1, 1];
                for (int step = 0; step < 3; step++)
                {
                    var expected = model.Decoder.Step(previous, state, memory);
                    var inputs = new Dictionary<string, object> { ["previous_ids"] = (previous.Select(v => (long)v).ToArray(), new[] { previous.Length }), ["hidden"] = hidden };
                    if (cell is not null) inputs["cell"] = cell;
                    if (memory is not null) (inputs["memory"], inputs["mask"]) = (encoderOut["memory"], encoded.Mask);
                    var outputs = decoderSession?.Run(inputs) ?? ReferenceEvaluator.Run(decoderGraph.Graph, inputs.ToDictionary(p => p.Key, p => p.Value switch
                        {
                            Tensor t => new RefValue(t.ToDoubleArray(), t.Shape.ToArray()),
                            (long[] v, int[] shape) => new RefValue(v.Select(x => (double)x).ToArray(), shape),
                            _ => throw new InvalidOperationException(),
                        })).ToDictionary(p => p.Key, p => Tensor.FromArray(p.Value.Data, new Shape(p.Value.Shape), DType.Float64));
                    Agreement.Close(expected.Logits.Reshape(previous.Length, TargetVocabulary), outputs["logits"], tolerance, $"{attention} {dtype} step {step} logits");
                    Agreement.Close(expected.State.Hidden, outputs["next_hidden"], tolerance, "next hidden");
                    if (memory is not null) Agreement.Close(expected.AttentionWeights!.Reshape(previous.Length, padded.Steps), outputs["attention_weights"], tolerance, "weights");
                    (state, hidden, cell) = (expected.State, outputs["next_hidden"], cell is null ? null : outputs["next_cell"]);
                    previous = outputs["logits"].ArgMax(1);
                }
            }
            finally { decoderSession?.Dispose(); }
        }
    }

    [Fact]
    public void Bahdanau_placement_is_refused_with_its_name()
    {
        var decoder = new Seq2SeqDecoder(TargetVocabulary, 4, Hidden, attention: new DotProductAttention(Hidden), placement: AttentionPlacement.BeforeRecurrence);
        Assert.Contains("BeforeRecurrence", Assert.Throws<NotSupportedException>(() => Seq2SeqExport.DecoderStep(decoder)).Message);
    }
}
