namespace AutoDiffRnn.FSharp.Torch

open System
open AutoDiffRnn
open TorchSharp

/// <summary>Conversions between AutoDiffRnn tensors and libtorch (TorchSharp) tensors: float32 and float64, any shape, values copied.</summary>
[<RequireQualifiedAccess>]
module TorchTensor =

    /// <summary>The libtorch dtype of an AutoDiffRnn dtype.</summary>
    [<CompiledName("ScalarTypeOf")>]
    let scalarTypeOf (dtype: DType) : torch.ScalarType =
        match dtype with
        | DType.Float32 -> torch.ScalarType.Float32
        | DType.Float64 -> torch.ScalarType.Float64
        | other -> invalidArg "dtype" $"torch conversion: dtype {other} has no libtorch counterpart here (float32 and float64 only)"

    /// <summary>The AutoDiffRnn dtype of a libtorch dtype (float32 or float64; anything else throws, naming the dtype).</summary>
    [<CompiledName("DTypeOf")>]
    let dtypeOf (scalarType: torch.ScalarType) : DType =
        match scalarType with
        | torch.ScalarType.Float32 -> DType.Float32
        | torch.ScalarType.Float64 -> DType.Float64
        | other -> invalidArg "scalarType" $"torch conversion: libtorch dtype {other} is not supported (float32 and float64 only)"

    /// <summary>A new libtorch tensor (CPU, contiguous, no gradient) with the same shape, dtype and values.</summary>
    [<CompiledName("OfTensor")>]
    let ofTensor (x: Tensor) : torch.Tensor =
        TorchNative.ensureLoaded ()
        let shape = x.Shape.ToArray() |> Array.map int64
        match x.DType with
        | DType.Float32 -> torch.tensor(x.ToFloatArray(), dtype = torch.ScalarType.Float32).reshape(shape)
        | DType.Float64 -> torch.tensor(x.ToDoubleArray(), dtype = torch.ScalarType.Float64).reshape(shape)
        | other -> invalidArg "x" $"torch conversion: tensor {x.Shape} of dtype {other} is not supported (float32 and float64 only)"

    /// <summary>A libtorch leaf that requires gradients, with the tensor's shape, dtype and values.</summary>
    [<CompiledName("LeafOf")>]
    let leafOf (x: Tensor) : torch.Tensor = (ofTensor x).requires_grad_(true)

    /// <summary>A new AutoDiffRnn tensor (no gradient) with the libtorch tensor's shape, dtype and values.</summary>
    [<CompiledName("ToTensor")>]
    let toTensor (t: torch.Tensor) : Tensor =
        let shape = Shape(t.shape |> Array.map (fun size -> Checked.int size))
        let values = t.detach().cpu().contiguous()
        let empty = values.numel() = 0L // TorchSharp's accessor cannot copy zero elements
        match t.dtype with
        | torch.ScalarType.Float32 -> Tensor.FromArray((if empty then [||] else values.data<float32>().ToArray()), Nullable shape)
        | torch.ScalarType.Float64 -> Tensor.FromArray((if empty then [||] else values.data<float>().ToArray()), Nullable shape)
        | other ->
            let dims = String.Join(",", t.shape)
            invalidArg "t" $"torch conversion: libtorch tensor [{dims}] of dtype {other} is not supported (float32 and float64 only)"

    /// <summary>A libtorch int64 tensor of indices or lengths.</summary>
    [<CompiledName("OfIndices")>]
    let ofIndices (indices: int[]) : torch.Tensor =
        TorchNative.ensureLoaded ()
        torch.tensor(indices |> Array.map int64, dtype = torch.ScalarType.Int64)
