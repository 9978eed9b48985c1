/// Convolution and pooling over the whole grid against libtorch: values and every gradient, float64 to 1e-10 and float32 to 1e-4.
module AutoDiffRnn.FSharp.Torch.Tests.ConvolutionTests

open System
open Expecto
open TorchSharp
open AutoDiffRnn
open AutoDiffRnn.FSharp
open AutoDiffRnn.FSharp.Torch
open AutoDiffRnn.FSharp.Torch.Tests.Support

/// A drawn case of an op table row against its libtorch row.
let private agree (dtype: DType) (tolerance: float) (seed: int) (sample: OpSample) =
    let row = (TorchTable.find sample.Row).Value
    Agreement.ofFunctions sample.Label dtype (uint64 seed) sample.CSharp (row.Torch sample.Arguments) sample.Inputs |> expectAgreement tolerance

/// conv2d at one setting of the grid, N(0, 1) inputs.
let private gridCase (dtype: DType) (tolerance: float) (seed: int) (c: ConvGridCase) =
    let random = Random seed
    let inputs = [| Draw.tensor random Normal c.InputShape; Draw.tensor random Normal c.WeightShape; if c.WithBias then Draw.tensor random Normal [| c.OutChannels |] |]
    let torchFunction = (TorchTable.find "conv2d").Value.Torch (box c)
    Agreement.ofFunctions (string c) dtype (uint64 seed) c.Apply torchFunction inputs |> expectAgreement tolerance

let private spec (name: string) = (OpTable.find name).Value

let private grid = ConvolutionGrid.all 18

/// libtorch's float32 input gradient of a convolution against its float64 one.
let private torchInputGradientError () =
    use _ = torch.NewDisposeScope()
    // drawn once for both precisions: Expecto runs tests in parallel, so reseeding libtorch's global generator before each draw let
    // another test's draws slip in between and the two precisions got different data (CI saw a "relative error" of 1.45 so)
    let weight = torch.randn([| 4L; 3L; 3L; 3L |], dtype = torch.float64)
    let upstream = torch.randn([| 2L; 4L; 6L; 6L |], dtype = torch.float64)
    let gradient (dtype: torch.ScalarType) =
        let w = weight.to_type(dtype)
        let g = upstream.to_type(dtype)
        let x = torch.zeros([| 2L; 3L; 8L; 8L |], dtype = dtype).requires_grad_(true)
        let y = torch.nn.functional.conv2d(x, w, Unchecked.defaultof<torch.Tensor>)
        (torch.autograd.grad([| y |], [| x |], [| g |])[0]).to_type(torch.float64)
    let exact = gradient torch.float64
    ((gradient torch.float32 - exact).abs().max().item<double>()) / (exact.abs().max().item<double>())

[<Tests>]
let tests =
    testList "convolution grid vs libtorch" [
        test "the grid spans strides 1-3, paddings 0/1/2/same/valid, dilations 1-2, groups 1/2/channels, odd and even sizes, batches 1-3" {
            Expect.equal (grid |> List.map (fun c -> c.Stride) |> List.distinct |> List.sort) [ 1; 2; 3 ] "strides"
            Expect.equal (grid |> List.map (fun c -> c.Padding) |> List.distinct |> List.length) 5 "paddings"
            Expect.equal (grid |> List.map (fun c -> c.Dilation) |> List.distinct |> List.sort) [ 1; 2 ] "dilations"
            Expect.isTrue (grid |> List.exists (fun c -> c.Groups = c.Channels && c.Groups > 2)) "depthwise groups"
            Expect.isTrue (grid |> List.exists (fun c -> c.Height % 2 = 0) && grid |> List.exists (fun c -> c.Height % 2 = 1)) "odd and even sizes"
            Expect.equal (grid |> List.map (fun c -> c.Batch) |> List.distinct |> List.sort) [ 1; 2; 3 ] "batches"
            Expect.isTrue (grid |> List.exists (fun c -> c.Padding = Same && (let t, b, l, r = c.Sides in t <> b || l <> r))) "asymmetric SAME padding"
        }
        test "with oneDNN off, libtorch's float32 conv2d input gradient matches its float64 one" {
            Expect.isFalse (TorchBackends.mkldnnEnabled ()) "the test runner turns oneDNN off"
            let error = torchInputGradientError ()
            Expect.isLessThan error 1e-5 $"libtorch float32 vs float64 input gradient, relative error {error}"
        }
        testList "conv2d, float64 to 1e-10" [
            for i, c in List.indexed grid -> test (string c) { gridCase DType.Float64 1e-10 i c } ]
        testList "conv2d, float32 to 1e-4" [
            for i, c in List.indexed grid -> test (string c) { gridCase DType.Float32 1e-4 i c } ]
        testList "conv2d backward ops, float64 to 1e-10 and float32 to 1e-4" [
            for name in [ "conv2d_input_grad"; "conv2d_weight_grad" ] do
                for seed in 1 .. 20 ->
                    test $"{name} seed {seed}" {
                        let c = (spec name).Draw(Random(1000 + seed))
                        agree DType.Float64 1e-10 seed c
                        agree DType.Float32 1e-4 seed c } ]
        testList "pooling, float64 to 1e-10 and float32 to 1e-4" [
            for name in [ "max_pool2d"; "max_pool2d_backward"; "avg_pool2d"; "avg_pool2d_backward"; "adaptive_avg_pool2d" ] do
                for seed in 1 .. 30 ->
                    test $"{name} seed {seed}" {
                        let c = (spec name).Draw(Random(2000 + seed))
                        agree DType.Float64 1e-10 seed c
                        agree DType.Float32 1e-4 seed c } ]
    ]
