using AutoDiffRnn.Nn;
using AutoDiffRnn.Nn.Seq2Seq;

namespace AutoDiffRnn.Cli.Captions;

/// <summary>
/// An image captioner ("show, attend and tell", Xu et al. 2015): a small CNN encoder (conv 3×3, ReLU, max-pool 2, conv 3×3, ReLU,
/// max-pool 2) turns a 32×32 image with its foreground mask and two coordinate channels into an 8×8 grid of feature vectors; the flattened grid sets an LSTM
/// decoder's initial state (h₀ = tanh(W_h f + b_h), c₀ = W_c f + b_c), and with attention the decoder also attends over the 64 grid
/// positions at every word (a <see cref="Seq2SeqDecoder"/> with <see cref="AdditiveAttention"/>). Without attention it is the
/// global-feature captioner (Vinyals et al. 2015). Parameters: <c>conv1.*</c>, <c>conv2.*</c>, <c>initial_hidden.*</c>,
/// <c>initial_cell.*</c>, <c>decoder.*</c>.
/// </summary>
public sealed class ImageCaptioner : Module
{
    /// <summary>Input channels: RGB, the foreground mask (1 where a shape is drawn, whatever its colour) and the x and y coordinates.</summary>
    public const int InputChannels = 6;

    /// <summary>Grid positions the decoder attends over (8×8).</summary>
    public const int Positions = 64;

    private readonly Conv2d conv1, conv2;
    private readonly Conv2d? colour;
    private readonly MaxPool2d pool = new(2);
    private readonly Linear initialHidden, initialCell;

    /// <summary>Creates the captioner.</summary>
    /// <param name="vocabularySize">Word vocabulary size (PAD, BOS, EOS, UNK first).</param>
    /// <param name="channels">Feature channels of the two convolutions.</param>
    /// <param name="embeddingSize">Word embedding size.</param>
    /// <param name="hiddenSize">Decoder hidden size.</param>
    /// <param name="attend">Attend over the grid positions (false: global features only).</param>
    /// <param name="colourChannels">
    /// 0: one joint stream (both convolutions see all six input channels). Otherwise a split encoder: the two 3×3 convolutions see only
    /// the colour-blind channels (mask and coordinates), and a 1×1 convolution with this many channels sees only RGB, max-pooled 4×4 to
    /// the same grid; the two are concatenated. Shape features then do not depend on colour, so a held-out colour–shape pair gives
    /// shape features seen in training.
    /// </param>
    /// <param name="dtype">Element type of the parameters.</param>
    /// <param name="generator">Seeded initialization.</param>
    public ImageCaptioner(int vocabularySize, (int First, int Second) channels, int embeddingSize, int hiddenSize, bool attend,
        int colourChannels = 0, DType dtype = DType.Float32, Generator? generator = null)
    {
        if (colourChannels < 0) throw new ArgumentOutOfRangeException(nameof(colourChannels), $"ImageCaptioner: colour channels must be 0 or more, got {colourChannels}");
        int shapeInputs = colourChannels == 0 ? InputChannels : InputChannels - 3;
        conv1 = RegisterModule("conv1", new Conv2d(shapeInputs, channels.First, 3, padding: Padding.Same, dtype: dtype, generator: generator));
        conv2 = RegisterModule("conv2", new Conv2d(channels.First, channels.Second, 3, padding: Padding.Same, dtype: dtype, generator: generator));
        if (colourChannels > 0) colour = RegisterModule("colour", new Conv2d(3, colourChannels, 1, dtype: dtype, generator: generator));
        FeatureChannels = channels.Second + colourChannels;
        initialHidden = RegisterModule("initial_hidden", new Linear(FeatureChannels * Positions, hiddenSize, dtype: dtype, generator: generator));
        initialCell = RegisterModule("initial_cell", new Linear(FeatureChannels * Positions, hiddenSize, dtype: dtype, generator: generator));
        var attention = attend ? new AdditiveAttention(hiddenSize, FeatureChannels, hiddenSize, dtype, generator) : null;
        Decoder = RegisterModule("decoder", new Seq2SeqDecoder(vocabularySize, embeddingSize, hiddenSize, attention: attention,
            paddingIndex: Tokens.Padding, dtype: dtype, generator: generator));
        DType = dtype;
    }

    /// <summary>The LSTM decoder (with attention or not).</summary>
    public Seq2SeqDecoder Decoder { get; }

    /// <summary>The padding, BOS and EOS ids.</summary>
    public SequenceTokens Tokens => SequenceTokens.Default;

    /// <summary>Channels of each feature vector (the memory size): the shape stream's and the colour stream's.</summary>
    public int FeatureChannels { get; }

    /// <summary>The parameters' element type.</summary>
    public DType DType { get; }

    /// <summary>The batch of scene images with mask and coordinate channels: (B, 6, 32, 32).</summary>
    public Tensor Images(IReadOnlyList<Scene> scenes)
    {
        const int size = SceneGenerator.Size, plane = size * size;
        var values = new double[scenes.Count * InputChannels * plane];
        for (int b = 0; b < scenes.Count; b++)
        {
            int offset = b * InputChannels * plane;
            var pixels = scenes[b].Pixels;
            for (int i = 0; i < 3 * plane; i++) values[offset + i] = pixels[i];
            for (int i = 0; i < plane; i++) values[offset + 3 * plane + i] = pixels[i] + pixels[plane + i] + pixels[2 * plane + i] > 0 ? 1 : 0;
            for (int y = 0; y < size; y++)
                for (int x = 0; x < size; x++)
                {
                    values[offset + 4 * plane + y * size + x] = x / (size - 1.0) - 0.5;
                    values[offset + 5 * plane + y * size + x] = y / (size - 1.0) - 0.5;
                }
        }
        return Tensor.FromArray(values, new Shape(scenes.Count, InputChannels, size, size), DType);
    }

    /// <summary>Encodes images (B, 6, 32, 32): the decoder's start state and, with attention, the memory of the 64 grid positions.</summary>
    public (DecoderState State, AttentionMemory? Memory) Encode(Tensor images)
    {
        if (images.Rank != 4 || images.Shape[1] != InputChannels || images.Shape[2] != SceneGenerator.Size || images.Shape[3] != SceneGenerator.Size)
            throw new ArgumentException($"ImageCaptioner: expected images (batch, {InputChannels}, {SceneGenerator.Size}, {SceneGenerator.Size}), got {images.Shape}");
        int batch = images.Shape[0];
        var features = Features(images);                                                                          // (B, C, 8, 8)
        var flat = features.Reshape(batch, FeatureChannels * Positions);
        var state = new DecoderState(initialHidden.Forward(flat).Tanh().Reshape(1, batch, Decoder.HiddenSize),
            initialCell.Forward(flat).Reshape(1, batch, Decoder.HiddenSize));
        if (Decoder.Attention is null) return (state, null);
        var memory = features.Reshape(batch, FeatureChannels, Positions).Transpose(1, 2);                         // (B, 64, C)
        return (state, Decoder.Attention.Prepare(memory, Tensor.Ones(new Shape(batch, Positions), DType)));
    }

    /// <summary>The 8×8 feature grid (B, <see cref="FeatureChannels"/>, 8, 8) of images (B, 6, 32, 32).</summary>
    public Tensor Features(Tensor images)
    {
        if (colour is null) return pool.Forward(conv2.Forward(pool.Forward(conv1.Forward(images).Relu())).Relu());
        var shapes = images.Narrow(1, 3, InputChannels - 3);                                                       // mask, x, y
        var shapeFeatures = pool.Forward(conv2.Forward(pool.Forward(conv1.Forward(shapes).Relu())).Relu());
        var colourFeatures = colour.Forward(images.Narrow(1, 0, 3)).Relu().MaxPool2d(4);
        return Tensor.Concat([shapeFeatures, colourFeatures], 1);
    }

    /// <summary>
    /// The mean cross-entropy of each scene's caption words (teacher forcing). With word dropout, each fed previous word (never BOS) is
    /// replaced by <paramref name="unknownId"/> with probability <paramref name="wordDropout"/>, so the decoder must name what it sees
    /// from the image rather than from the word before (a colour never seen with that shape would otherwise veto it).
    /// </summary>
    public Tensor Loss(Tensor images, IReadOnlyList<int[]> captions, double wordDropout = 0, int unknownId = 3, Generator? random = null)
    {
        if (wordDropout is < 0 or >= 1)
            throw new ArgumentOutOfRangeException(nameof(wordDropout), $"ImageCaptioner: the word dropout must be in [0, 1), got {wordDropout}");
        var (state, memory) = Encode(images);
        if (wordDropout == 0) return TeacherForcing.Loss(Decoder, state, memory, captions, Tokens);
        ArgumentNullException.ThrowIfNull(random, nameof(random));
        var (inputs, steps, expected) = TeacherForcing.Batch(captions, Tokens);
        for (int i = captions.Count; i < inputs.Length; i++)
            if (inputs[i] != Tokens.Padding && random.NextDouble() < wordDropout) inputs[i] = unknownId;
        var output = Decoder.Forward(inputs, steps, state, memory);
        return Losses.Loss.CrossEntropy(output.Logits.Reshape(-1, Decoder.VocabularySize), expected, ignoreIndex: Tokens.Padding);
    }

    /// <summary>Greedy captions.</summary>
    public DecodedSequence[] Greedy(Tensor images, int maxLength)
    {
        using var _ = Autodiff.GradMode.NoGrad();
        var (state, memory) = Encode(images);
        return SequenceDecoding.Greedy(Decoder, state, memory, Tokens, maxLength);
    }

    /// <summary>Beam-search captions.</summary>
    public DecodedSequence[] BeamSearch(Tensor images, BeamSearchOptions options)
    {
        using var _ = Autodiff.GradMode.NoGrad();
        var (state, memory) = Encode(images);
        return SequenceDecoding.BeamSearch(Decoder, state, memory, Tokens, options);
    }
}
