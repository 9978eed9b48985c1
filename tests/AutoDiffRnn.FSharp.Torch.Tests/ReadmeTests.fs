/// The README's "Cross-checking with PyTorch" example, run as written.
module AutoDiffRnn.FSharp.Torch.Tests.ReadmeTests

open Expecto
open AutoDiffRnn
open AutoDiffRnn.FSharp
open AutoDiffRnn.FSharp.Torch
open TorchSharp

[<Tests>]
let tests =
    testList "README" [
        test "cross-checking with PyTorch" {
            // your own function (SiLU written with ops): GradCheck with libtorch's silu as the oracle (its values and reverse mode), float64
            let x = Tensor.Normal(Shape(3, 4), 0.0, 1.0, DType.Float64, Generator(1UL))
            let report =
                TorchOracle.case "silu" (fun x -> x[0] * x[0].Sigmoid()) (fun t -> torch.nn.functional.silu(t[0])) [| x |]
                |> GradCheck.check
            // a layer: torch.nn.LSTM loaded with the same weights by PyTorch name; outputs and every gradient compared
            let lstm = Nn.Lstm(inputSize = 3, hiddenSize = 4, numLayers = 2, bidirectional = true, dtype = DType.Float64, generator = Generator(2UL))
            let input = Tensor.Normal(Shape(5, 2, 3), 0.0, 1.0, DType.Float64, Generator(3UL))
            let agreement = TorchRecurrent.compare PyTorchLayout 7UL lstm input None None (Some [| 5; 3 |])
            Expect.isTrue report.Passed (report.ToTable())
            Expect.isTrue (agreement.Within 1e-10) (string agreement)
            Expect.equal agreement.Errors.Length (4 + 2 * 2 * 4) "output, h_n, c_n, d input and 16 parameter gradients"
        }
    ]
