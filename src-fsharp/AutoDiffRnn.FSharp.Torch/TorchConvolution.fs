namespace AutoDiffRnn.FSharp.Torch

open TorchSharp
open AutoDiffRnn.FSharp

/// <summary>
/// libtorch counterparts of the convolution and pooling ops, with the reference's settings (padding resolved per side:
/// asymmetric SAME padding is an explicit <c>pad</c> before a convolution without padding, as TensorFlow's rule needs),
/// and of their backward ops as libtorch's own recorded VJPs.
/// </summary>
[<RequireQualifiedAccess>]
module TorchConvolution =

    type private T = torch.Tensor

    let private pair (a: int, b: int) = [| int64 a; int64 b |]

    /// <summary>conv2d of x [N, C, H, W] by weight [O, C/groups, kH, kW], plus bias [O] if given.</summary>
    let conv2d (s: ConvSettings) (x: T) (weight: T) (bias: T option) : T =
        let top, bottom, left, right = s.Padding
        let padded = if top = 0 && bottom = 0 && left = 0 && right = 0 then x else torch.nn.functional.pad(x, [| int64 left; int64 right; int64 top; int64 bottom |])
        torch.nn.functional.conv2d(padded, weight, (match bias with Some b -> b | None -> Unchecked.defaultof<T>),
                                   strides = pair s.Stride, padding = [| 0L; 0L |], dilation = pair s.Dilation, groups = int64 s.Groups)

    /// <summary>The VJP of conv2d in its input (differentiable in g and in the weight).</summary>
    let conv2dInputGrad (s: ConvSettings) (xShape: int[]) (g: T) (weight: T) : T =
        TorchOps.vjpRecorded (fun x -> conv2d s x weight None) (torch.zeros(xShape |> Array.map int64, dtype = g.dtype)) g

    /// <summary>The VJP of conv2d in its weight (differentiable in x and in g).</summary>
    let conv2dWeightGrad (s: ConvSettings) (wShape: int[]) (x: T) (g: T) : T =
        TorchOps.vjpRecorded (fun w -> conv2d s x w None) (torch.zeros(wShape |> Array.map int64, dtype = g.dtype)) g

    /// <summary>max_pool2d.</summary>
    let maxPool2d (p: PoolSettings) (x: T) : T =
        torch.nn.functional.max_pool2d(x, pair p.Kernel, pair p.Stride, pair p.Padding, pair p.Dilation, p.CeilMode)

    /// <summary>avg_pool2d.</summary>
    let avgPool2d (p: PoolSettings) (countIncludePad: bool) (x: T) : T =
        torch.nn.functional.avg_pool2d(x, pair p.Kernel, pair p.Stride, pair p.Padding, p.CeilMode, countIncludePad)

    /// <summary>adaptive_avg_pool2d.</summary>
    let adaptiveAvgPool2d (size: int * int) (x: T) : T = torch.nn.functional.adaptive_avg_pool2d(x, pair size)
