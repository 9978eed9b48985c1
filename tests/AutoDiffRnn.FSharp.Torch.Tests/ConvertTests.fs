module AutoDiffRnn.FSharp.Torch.Tests.ConvertTests
open Expecto
open AutoDiffRnn
open AutoDiffRnn.FSharp.Torch
[<Tests>]
let tests = testList "convert" [ test "smoke" { let t = TorchTensor.ofTensor (Tensor.FromArray([|1.0;2.0|])) in Expect.equal (t.sum().item<float>()) 3.0 "sum" } ]
