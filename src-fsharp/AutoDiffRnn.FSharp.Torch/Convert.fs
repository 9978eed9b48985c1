namespace AutoDiffRnn.FSharp.Torch

open AutoDiffRnn

/// <summary>Conversions between AutoDiffRnn tensors and TorchSharp tensors.</summary>
[<RequireQualifiedAccess>]
module TorchTensor =
    /// <summary>A TorchSharp tensor with the same shape, dtype and values.</summary>
    let ofTensor (x: Tensor) : TorchSharp.torch.Tensor =
        TorchSharp.torch.tensor(x.ToDoubleArray()).reshape(x.Shape.ToArray() |> Array.map int64)
