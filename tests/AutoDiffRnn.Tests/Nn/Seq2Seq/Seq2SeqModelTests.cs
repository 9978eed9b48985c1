using AutoDiffRnn.Autodiff;
using AutoDiffRnn.Data;
using AutoDiffRnn.Nn;
using AutoDiffRnn.Nn.Seq2Seq;
using AutoDiffRnn.Tests.Support;

namespace AutoDiffRnn.Tests.Nn.Seq2Seq;

/// <summary>Encoder, decoder and the whole model: float64 gradients, padding, teacher forcing and error messages.</summary>
public class Seq2SeqModelTests
{
    private const int Vocabulary = 7;

    internal static Seq2SeqModel Tiny(string attention, RecurrentKind kind = RecurrentKind.Lstm, bool bidirectional = true, bool fused = true,
        EncoderBridge bridge = EncoderBridge.Projection, ulong seed = 1, int vocabulary = Vocabulary)
    {
        var generator = new Generator(seed);
        const int hidden = 2, decoderHidden = 4;
        var encoder = new Seq2SeqEncoder(vocabulary, 3, bidirectional || bridge == EncoderBridge.Projection ? hidden : decoderHidden, decoderHidden,
            bidirectional: bidirectional, kind: kind, bridge: bridge, dtype: DType.Float64, generator: generator);
        Attention? module = attention switch
        {
            "additive" or "bahdanau" => new AdditiveAttention(decoderHidden, encoder.OutputSize, 3, DType.Float64, generator),
            "dot-before" => new DotProductAttention(decoderHidden),
            "dot" => new DotProductAttention(decoderHidden),
            "general" => new GeneralAttention(decoderHidden, encoder.OutputSize, DType.Float64, generator),
            _ => null,
        };
        var placement = attention is "bahdanau" or "dot-before" ? AttentionPlacement.BeforeRecurrence : AttentionPlacement.AfterRecurrence;
        var decoder = new Seq2SeqDecoder(vocabulary, 3, decoderHidden, kind: kind, attention: module, dtype: DType.Float64, generator: generator,
            placement: placement);
        encoder.Rnn.UseFusedKernels = fused;
        decoder.Rnn.UseFusedKernels = fused;
        return new Seq2SeqModel(encoder, decoder);
    }

    private static readonly int[][] Sources = [[3, 4, 5, 6], [6, 3], [4, 4, 5]];
    private static readonly int[][] Targets = [[5, 3], [4, 6, 6], [3]];

    [Theory]
    [InlineData("additive", RecurrentKind.Lstm, true)]
    [InlineData("general", RecurrentKind.Gru, false)]
    [InlineData("dot", RecurrentKind.Lstm, true)]
    [InlineData("none", RecurrentKind.Gru, true)]
    [InlineData("bahdanau", RecurrentKind.Lstm, true)]
    [InlineData("dot-before", RecurrentKind.Gru, false)]
    public void TheTeacherForcedLossHasFloat64GradientsForEveryParameter(string attention, RecurrentKind kind, bool fused)
    {
        var model = Tiny(attention, kind, fused: fused);
        // The loss is one scalar whose gradients for some attention weights are ~1e-5: rounding in the central differences
        // (1e-16 · |loss| / step) is then ~1e-6 relative, so this check allows 1e-5 (the step-level checks keep 1e-6).
        LeafGradientAssert.MatchesFiniteDifferences(() => model.Loss(Sources, Targets), model.NamedParameters().ToList(), tolerance: 1e-5);
    }

    [Fact]
    public void OneDecoderStepHasFloat64GradientsForItsStateAndMemory()
    {
        var model = Tiny("additive", fused: false);
        var (state, memory) = model.Encode(Sources);
        var hidden = state.Hidden.Detach().Clone().SetRequiresGrad();
        var cell = state.Cell!.Detach().Clone().SetRequiresGrad();
        var values = memory!.Values.Detach().Clone().SetRequiresGrad();
        var leaves = new List<(string, Tensor)> { ("hidden", hidden), ("cell", cell), ("memory", values) };
        leaves.AddRange(model.Decoder.NamedParameters());
        LeafGradientAssert.MatchesFiniteDifferences(() =>
        {
            var step = model.Decoder.Step([1, 1, 1], new DecoderState(hidden, cell), model.Decoder.Attention!.Prepare(values, memory.Mask));
            return Tensor.Concat([step.Logits.Reshape(-1), step.State.Hidden.Reshape(-1), step.State.Cell!.Reshape(-1), step.AttentionWeights!.Reshape(-1)], 0);
        }, leaves);
    }

    [Fact]
    public void BahdanauPlacementQueriesWithThePreviousStateAndFeedsTheContextToTheRecurrence()
    {
        var model = Tiny("bahdanau", fused: false);
        Assert.Equal(3 + model.Encoder.OutputSize, model.Decoder.Rnn.InputSize);
        var (state, memory) = model.Encode(Sources);
        var step = model.Decoder.Step([1, 1, 1], state, memory);
        // the weights of the first step come from the encoder's bridged state, before any decoder step
        var expected = model.Decoder.Attention!.Forward(state.Hidden.Select(0, 0).Reshape(3, 1, 4), memory!).Weights;
        TensorAssert.Close(expected, step.AttentionWeights!, 1e-15);
        // teacher forcing step by step equals one call over all steps
        var (inputs, steps, _) = TeacherForcing.Batch(Targets, model.Tokens);
        var whole = model.Decoder.Forward(inputs, steps, state, memory);
        var byStep = model.Decoder.ForwardScheduled(inputs, steps, state, memory, 1, new Generator(1));
        TensorAssert.Close(whole.Logits, byStep.Logits, 1e-12);
        Assert.Equal(model.Greedy(Sources, 5).Select(d => d.Tokens), model.BeamSearch(Sources, new BeamSearchOptions(1, 5)).Select(d => d.Tokens));
    }

    [Theory]
    [InlineData(RecurrentKind.Lstm)]
    [InlineData(RecurrentKind.Gru)]
    public void ChangingPaddedTokensChangesNothing(RecurrentKind kind)
    {
        var model = Tiny("additive", kind);
        var batch = Sequences.Pad(Sources, 0);
        var noisy = batch with { Ids = batch.Ids.Select((id, i) => i / 3 >= batch.Lengths[i % 3] ? 3 + i % 4 : id).ToArray() };
        Assert.NotEqual(batch.Ids, noisy.Ids);
        var clean = model.Encoder.Forward(batch);
        var changed = model.Encoder.Forward(noisy);
        TensorAssert.Close(clean.Outputs, changed.Outputs, 0);
        TensorAssert.Close(clean.InitialDecoderState.Hidden, changed.InitialDecoderState.Hidden, 0);
        Assert.Equal(0.0, clean.Outputs[1, 3, 0]);   // padded outputs are zero
        var memory = model.Decoder.Attention!.Prepare(clean.Outputs, clean.Mask);
        var step = model.Decoder.Step([1, 1, 1], clean.InitialDecoderState, memory);
        for (int s = 2; s < 4; s++) Assert.Equal(0.0, step.AttentionWeights![1, 0, s]);
        Assert.Equal(0.0, step.AttentionWeights![2, 0, 3]);
    }

    [Fact]
    public void ScheduledSamplingAtRatioOneEqualsTeacherForcingAndAtZeroFeedsPredictions()
    {
        var model = Tiny("dot", fused: false);
        var forced = model.Loss(Sources, Targets).ToScalar();
        Assert.Equal(forced, model.Loss(Sources, Targets, 0.999999999, new Generator(1)).ToScalar(), 12);
        var (state, memory) = model.Encode(Sources);
        var (inputs, steps, _) = TeacherForcing.Batch(Targets, model.Tokens);
        var free = model.Decoder.ForwardScheduled(inputs, steps, state, memory, 0, new Generator(2));
        // with ratio 0 every input after BOS is the previous argmax: replaying those inputs under teacher forcing gives the same logits
        var argmax = free.Logits.Reshape(-1, Vocabulary).ArgMax(1);
        var replay = new int[inputs.Length];
        for (int b = 0; b < 3; b++)
        {
            replay[b] = 1;
            for (int t = 1; t < steps; t++) replay[t * 3 + b] = argmax[b * steps + t - 1];
        }
        TensorAssert.Close(model.Decoder.Forward(replay, steps, state, memory).Logits, free.Logits, 1e-12);
        Assert.Throws<ArgumentNullException>(() => model.Loss(Sources, Targets, 0.5));
    }

    [Fact]
    public void TeacherForcingFeedsBosAndPredictsEosIgnoringPadding()
    {
        var (inputs, steps, targets) = TeacherForcing.Batch([[5, 6], [4]], SequenceTokens.Default);
        Assert.Equal(3, steps);
        Assert.Equal([1, 1, 5, 4, 6, 0], inputs);                 // time-major: BOS BOS, 5 4, 6 PAD
        Assert.Equal([5, 6, 2, 4, 2, 0], targets);                // batch-major: 5 6 EOS, 4 EOS PAD
        var error = Assert.Throws<ArgumentException>(() => TeacherForcing.Batch([[5, 2]], SequenceTokens.Default));
        Assert.Contains("special token", error.Message);
    }

    [Fact]
    public void BridgesGiveTheDecodersSizeAndNamesFollowPyTorch()
    {
        var projected = Tiny("none", bidirectional: true);
        Assert.Contains("encoder.bridge_hidden.weight", projected.StateDict().Keys);
        Assert.Contains("encoder.rnn.weight_ih_l0_reverse", projected.StateDict().Keys);
        Assert.Contains("decoder.output.bias", projected.StateDict().Keys);
        Assert.Equal(new Shape(1, 3, 4), projected.Encode(Sources).State.Hidden.Shape);
        var concatenated = Tiny("none", bidirectional: false, bridge: EncoderBridge.Concatenation);
        Assert.DoesNotContain(concatenated.StateDict().Keys, name => name.Contains("bridge"));
        var encoded = concatenated.Encoder.Forward(Sources);
        using (GradMode.NoGrad())
        {
            var direct = concatenated.Encoder.Rnn.Forward(concatenated.Encoder.Embedding.Forward(Sequences.Pad(Sources).Ids, new Shape(4, 3)), lengths: [4, 2, 3]);
            TensorAssert.Close(direct.Hidden, encoded.InitialDecoderState.Hidden, 0);
        }
    }

    [Fact]
    public void MismatchedPartsFailWithTheSizes()
    {
        var error = Assert.Throws<ArgumentException>(() => new Seq2SeqEncoder(5, 3, 4, 6, bridge: EncoderBridge.Concatenation));
        Assert.Contains("2·4 = 8", error.Message);
        var encoder = new Seq2SeqEncoder(5, 3, 4, 8);
        var mismatch = Assert.Throws<ArgumentException>(() => new Seq2SeqModel(encoder, new Seq2SeqDecoder(5, 3, 6)));
        Assert.Contains("8", mismatch.Message);
        Assert.Contains("6", mismatch.Message);
        var attention = Assert.Throws<ArgumentException>(() => new Seq2SeqModel(encoder, new Seq2SeqDecoder(5, 3, 8, attention: new GeneralAttention(8, 3))));
        Assert.Contains("encoder outputs 8", attention.Message);
        Assert.Throws<ArgumentException>(() => new Seq2SeqDecoder(5, 3, 8, attention: new DotProductAttention(4)));
    }
}
