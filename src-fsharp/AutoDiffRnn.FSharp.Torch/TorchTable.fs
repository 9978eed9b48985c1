namespace AutoDiffRnn.FSharp.Torch

open TorchSharp
open AutoDiffRnn
open AutoDiffRnn.FSharp

/// <summary>
/// The libtorch table: <c>TorchOps.rows</c> and the rows of the convolution and pooling ops (one per row of
/// <c>ConvolutionRows.rows</c> that is an op; the 1-D and flatten forms are checked through the ops they record).
/// </summary>
[<RequireQualifiedAccess>]
module TorchTable =

    type private T = torch.Tensor

    let private zerosLike (shape: int[]) (like: T) = torch.zeros(shape |> Array.map int64, dtype = like.dtype)

    /// <summary>The libtorch rows of the convolution and pooling ops.</summary>
    let convolutionRows : TorchRow list =
        [ TorchRow.create "conv2d" (fun (c: ConvGridCase) (x: T[]) -> TorchConvolution.conv2d c.Settings x[0] x[1] (if c.WithBias then Some x[2] else None))
          TorchRow.create "conv2d_input_grad" (fun (c: ConvGridCase, _: Tensor) (u: T[]) -> TorchConvolution.conv2dInputGrad c.Settings c.InputShape u[0] u[1])
          TorchRow.create "conv2d_weight_grad" (fun (c: ConvGridCase, _: Tensor) (u: T[]) -> TorchConvolution.conv2dWeightGrad c.Settings c.WeightShape u[0] u[1])
          TorchRow.create "max_pool2d" (fun (p: PoolGridCase) (x: T[]) -> TorchConvolution.maxPool2d p.Settings x[0])
          TorchRow.create "max_pool2d_backward" (fun (p: PoolGridCase, x: Tensor) (u: T[]) ->
              TorchOps.vjpRecorded (TorchConvolution.maxPool2d p.Settings) ((TorchTensor.ofTensor x).to_type(u[0].dtype)) u[0])
          TorchRow.create "avg_pool2d" (fun (p: PoolGridCase) (x: T[]) -> TorchConvolution.avgPool2d p.Settings p.CountIncludePad x[0])
          TorchRow.create "avg_pool2d_backward" (fun (p: PoolGridCase, _: Tensor) (u: T[]) ->
              TorchOps.vjpRecorded (TorchConvolution.avgPool2d p.Settings p.CountIncludePad) (zerosLike p.Shape u[0]) u[0])
          TorchRow.create "adaptive_avg_pool2d" (fun (size: int * int) (x: T[]) -> TorchConvolution.adaptiveAvgPool2d size x[0])
          TorchRow.create "flatten" (fun (first: int, last: int) (x: T[]) -> x[0].flatten(int64 first, int64 last)) ]

    /// <summary>Every libtorch row.</summary>
    let rows () : TorchRow list = TorchOps.rows @ convolutionRows

    /// <summary>The libtorch row of an op table row, if there is one.</summary>
    let find (name: string) = rows () |> List.tryFind (fun row -> row.Name = name)

    /// <summary>The ops of <c>Operations.Names</c> that no op table row with a libtorch row records (empty when the table is complete).</summary>
    let missing () =
        let covered = OpTable.rows () |> List.filter (fun spec -> (find spec.Name).IsSome) |> List.collect (fun spec -> spec.Records) |> set
        Operations.Names |> Seq.filter (fun name -> not (covered.Contains name)) |> List.ofSeq
