/// Tensor conversion both ways: dtypes, shapes, values, non-contiguous libtorch tensors, clear errors.
module AutoDiffRnn.FSharp.Torch.Tests.ConvertTests

open System
open Expecto
open AutoDiffRnn
open AutoDiffRnn.FSharp.Torch
open AutoDiffRnn.FSharp.Torch.Tests.Support
open TorchSharp

[<Tests>]
let tests =
    testList "convert" [
        for dtype in [ DType.Float32; DType.Float64 ] do
            for shape in [ [||]; [| 1 |]; [| 5 |]; [| 2; 3 |]; [| 2; 1; 4 |]; [| 0; 3 |] ] do
                test $"{dtype} {show shape} round trip" {
                    let x = (normal (Random(count shape + 11)) shape).To(dtype)
                    let t = TorchTensor.ofTensor x
                    Expect.equal t.dtype (TorchTensor.scalarTypeOf dtype) "libtorch dtype"
                    Expect.equal (t.shape |> Array.map int) shape "libtorch shape"
                    let back = TorchTensor.toTensor t
                    Expect.equal back.DType dtype "dtype back"
                    Expect.equal (back.Shape.ToArray()) shape "shape back"
                    Expect.equal (back.ToDoubleArray()) (x.ToDoubleArray()) "values exactly"
                }
        test "values land where libtorch indexes them" {
            let x = Tensor.FromArray([| 1.0; 2.0; 3.0; 4.0; 5.0; 6.0 |], Nullable(Shape(2, 3)))
            let t = TorchTensor.ofTensor x
            Expect.equal (t[1L, 0L].item<float>()) 4.0 "row-major [1,0]"
            Expect.equal (t[0L, 2L].item<float>()) 3.0 "row-major [0,2]"
        }
        test "a transposed (non-contiguous) libtorch tensor converts in logical order" {
            let t = torch.tensor([| 1.0; 2.0; 3.0; 4.0; 5.0; 6.0 |]).reshape(2L, 3L).t()
            let x = TorchTensor.toTensor t
            Expect.equal (x.Shape.ToArray()) [| 3; 2 |] "shape"
            Expect.equal (x.ToDoubleArray()) [| 1.0; 4.0; 2.0; 5.0; 3.0; 6.0 |] "values"
        }
        test "an int64 libtorch tensor is refused, naming the dtype and shape" {
            let error = throwsMessage<ArgumentException> (fun () -> TorchTensor.toTensor (torch.zeros(2L, 3L, dtype = torch.ScalarType.Int64)) |> ignore)
            Expect.stringContains error "Int64" "names the dtype"
            Expect.stringContains error "[2,3]" "names the shape"
        }
        test "a direction of the wrong shape is refused by the libtorch VJP, naming both shapes" {
            let x = normal (Random 3) [| 2; 3 |]
            let error =
                throwsMessage<ArgumentException> (fun () ->
                    TorchOracle.valueAndVectorJacobianProduct (fun t -> t[0].tanh()) [| x |] (normal (Random 4) [| 3; 2 |]) |> ignore)
            Expect.stringContains error "[3,2]" "the direction"
            Expect.stringContains error "[2,3]" "the output"
        }
    ]
