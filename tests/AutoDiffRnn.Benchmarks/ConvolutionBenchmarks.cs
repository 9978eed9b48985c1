using AutoDiffRnn.Autodiff;
using AutoDiffRnn.FSharp.Torch;
using AutoDiffRnn.Nn;
using BenchmarkDotNet.Attributes;
using TT = TorchSharp.torch.Tensor;
using F = TorchSharp.torch.nn.functional;

namespace AutoDiffRnn.Benchmarks;

/// <summary>A convolution benchmark: one conv2d layer (batch, channels in → out, kernel, image size), or the captioner's encoder.</summary>
public sealed record ConvolutionCase(string Name, int Batch, int InChannels, int OutChannels, int Kernel, int Size, bool Encoder = false)
{
    /// <summary>Shown in the summary table.</summary>
    public override string ToString() => Name;
}

/// <summary>Which implementation a convolution benchmark runs.</summary>
public enum ConvolutionImplementation
{
    /// <summary>AutoDiffRnn (direct kernels at stride 1 along the width, else im2col + packed GEMM; samples split over the cores).</summary>
    Ours,
    /// <summary>libtorch (TorchSharp) with the same weights, on as many threads as the machine has cores, its default backends.</summary>
    LibTorch,
}

/// <summary>
/// Convolutions in float32, AutoDiffRnn and libtorch side by side in one run: a training step (forward, sum, backward to the
/// parameters) and inference (no grad), for the sizes: conv2d B32 1→16 5×5 on 28×28, conv2d B32 16→32 5×5 on 12×12, and the
/// captioner's encoder (conv 3→16 3×3 same, ReLU, 2×2 max pool, conv 16→32 3×3 same, ReLU, 2×2 max pool on B32 3×32×32). Run:
/// <c>dotnet run -c Release --project tests/AutoDiffRnn.Benchmarks -- --filter '*Convolution*'</c>.
/// </summary>
[Config(typeof(InProcessShortJob))]
public class ConvolutionBenchmarks
{
    private Conv2d first = null!;
    private Conv2d? second;
    private Tensor input = null!;
    private TT[] torchParameters = [];
    private TT torchInput = null!;

    /// <summary>The configurations measured.</summary>
    public static IEnumerable<ConvolutionCase> Cases =>
    [
        new("conv2d B32 1->16 5x5 28x28", 32, 1, 16, 5, 28),
        new("conv2d B32 16->32 5x5 12x12", 32, 16, 32, 5, 12),
        new("encoder B32 3x32x32", 32, 3, 16, 3, 32, Encoder: true),
    ];

    /// <summary>The configuration of the current case.</summary>
    [ParamsSource(nameof(Cases))]
    public ConvolutionCase Case { get; set; } = new("", 1, 1, 1, 1, 1);

    /// <summary>The implementation measured.</summary>
    [ParamsAllValues]
    public ConvolutionImplementation Implementation { get; set; }

    /// <summary>Builds the layers and a random input (fixed seed); for libtorch, leaf copies of the same weights.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var generator = new Generator(1);
        first = Case.Encoder
            ? new Conv2d(Case.InChannels, Case.OutChannels, Case.Kernel, padding: Padding.Same, generator: generator)
            : new Conv2d(Case.InChannels, Case.OutChannels, Case.Kernel, generator: generator);
        second = Case.Encoder ? new Conv2d(Case.OutChannels, 2 * Case.OutChannels, Case.Kernel, padding: Padding.Same, generator: generator) : null;
        input = Tensor.Normal(new Shape(Case.Batch, Case.InChannels, Case.Size, Case.Size), generator: generator);
        if (Implementation == ConvolutionImplementation.LibTorch)
        {
            TorchSharp.torch.set_num_threads(Environment.ProcessorCount);
            var parameters = first.Parameters().Concat(second?.Parameters() ?? []);
            torchParameters = parameters.Select(p => TorchTensor.OfTensor(p).requires_grad_(true)).ToArray();
            torchInput = TorchTensor.OfTensor(input);
        }
    }

    private Tensor Forward()
    {
        var y = first.Forward(input);
        if (second is null) return y;
        return second.Forward(y.Relu().MaxPool2d(2)).Relu().MaxPool2d(2);
    }

    private TT TorchForward()
    {
        long padding = Case.Encoder ? Case.Kernel / 2 : 0; // 3×3 SAME at stride 1 is one zero on each side
        var y = F.conv2d(torchInput, torchParameters[0], torchParameters[1], padding: [padding, padding]);
        if (!Case.Encoder) return y;
        y = F.max_pool2d(F.relu(y), [2, 2]);
        return F.max_pool2d(F.relu(F.conv2d(y, torchParameters[2], torchParameters[3], padding: [padding, padding])), [2, 2]);
    }

    /// <summary>Forward, sum, backward.</summary>
    [Benchmark]
    public void TrainStep()
    {
        if (Implementation == ConvolutionImplementation.LibTorch)
        {
            using var scope = TorchSharp.torch.NewDisposeScope();
            foreach (var parameter in torchParameters) parameter.grad?.zero_();
            TorchForward().sum().backward();
            return;
        }
        using var step = TensorScope.Begin(); // as libtorch's dispose scope: the step's tensors go back to the storage pool
        first.ZeroGrad();
        second?.ZeroGrad();
        Forward().Sum().Backward();
    }

    /// <summary>Forward without recording.</summary>
    [Benchmark]
    public object Inference()
    {
        if (Implementation == ConvolutionImplementation.LibTorch)
        {
            using var scope = TorchSharp.torch.NewDisposeScope();
            using var noGrad = TorchSharp.torch.no_grad();
            return TorchForward().shape;
        }
        using var _ = GradMode.NoGrad();
        using var call = TensorScope.Begin();
        return Forward().Shape;
    }
}
