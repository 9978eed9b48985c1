/// GradCheck cases of the convolution and pooling ops: the C# op paired with the reference on duals, over random settings of
/// the grid (stride 1–3, padding 0/1/2/same/valid, dilation 1–2, groups 1/2/channels, odd and even sizes, batch 1–3).
module AutoDiffRnn.FSharp.Tests.ConvolutionCases

open System
open FsCheck.FSharp
open AutoDiffRnn
open AutoDiffRnn.FSharp
open AutoDiffRnn.FSharp.Tests.Generators
open AutoDiffRnn.FSharp.Tests.OpCases

let private case name csharp reference inputs = GradCase.create name csharp reference inputs

/// Inputs with N(0, 1)-like values from the seed (GradCheck's tensors are float64).
let private values (random: Random) (shape: int[]) =
    Tensor.FromArray(Array.init (Array.fold (*) 1 shape) (fun _ -> 2.0 * random.NextDouble() - 1.0), Shape(shape))

/// A generator of cases from a seeded System.Random, so the grid's own draw serves FsCheck too.
let private seeded (make: Random -> GradCase) = Gen.choose (0, Int32.MaxValue) |> Gen.map (fun seed -> make (Random seed))

let private outputShape (c: ConvGridCase) =
    let top, bottom, left, right = c.Sides
    [| c.Batch; c.OutChannels
       Convolution.outputSize c.Height (fst c.Kernel) c.Stride top bottom c.Dilation
       Convolution.outputSize c.Width (snd c.Kernel) c.Stride left right c.Dilation |]

let private conv2d =
    spec "conv2d" (seeded (fun r ->
        let c = ConvolutionGrid.draw r
        let inputs = [| values r c.InputShape; values r c.WeightShape; values r [| c.OutChannels |] |]
        case (string c) (fun x -> c.Apply x) (fun x -> Convolution.conv2d c.Settings x[0] x[1] (if c.WithBias then Some x[2] else None))
            (if c.WithBias then inputs else inputs[..1])))

let private conv2dInputGrad =
    spec "conv2d_input_grad" (seeded (fun r ->
        let c = { ConvolutionGrid.draw r with WithBias = false }
        let x = values r c.InputShape
        case $"conv2d_input_grad of {c}" (fun u -> Diff.vjpRecordedWith [| u[1] |] (fun input -> c.Apply [| input; u[1] |]) x u[0])
            (fun u -> Convolution.conv2dInputGrad c.Settings c.InputShape u[0] u[1]) [| values r (outputShape c); values r c.WeightShape |]))

let private conv2dWeightGrad =
    spec "conv2d_weight_grad" (seeded (fun r ->
        let c = { ConvolutionGrid.draw r with WithBias = false }
        let weight = values r c.WeightShape
        case $"conv2d_weight_grad of {c}" (fun u -> Diff.vjpRecordedWith [| u[0] |] (fun w -> c.Apply [| u[0]; w |]) weight u[1])
            (fun u -> Convolution.conv2dWeightGrad c.Settings c.WeightShape u[0] u[1]) [| values r c.InputShape; values r (outputShape c) |]))

let private conv1d =
    specRecording "conv1d" [ "conv2d"; "reshape" ] (seeded (fun r ->
        let c = ConvolutionGrid.draw r
        let c = { c with Height = 1; Kernel = (1, snd c.Kernel); Padding = (match c.Padding with Zeros p -> Zeros p | other -> other) }
        let top, bottom, left, right = c.Sides
        let settings = { c.Settings with Padding = (0, 0, left, right) }
        let shape3 (s: int[]) = [| s[0]; s[1]; s[3] |]
        let inputs = [| values r (shape3 c.InputShape); values r (shape3 c.WeightShape); values r [| c.OutChannels |] |]
        case $"conv1d from {c}"
            (fun x -> Tensor.Conv1d(x[0], x[1], (if c.WithBias then x[2] else Unchecked.defaultof<Tensor>), c.Stride, c.CSharpPadding, c.Dilation, c.Groups))
            (fun x ->
                let y = Convolution.conv2d settings (Dual.reshape c.InputShape x[0]) (Dual.reshape c.WeightShape x[1]) (if c.WithBias then Some x[2] else None)
                Dual.reshape [| y.Shape[0]; y.Shape[1]; y.Shape[3] |] y)
            (if c.WithBias then inputs else inputs[..1])))

/// Distinct values (no ties in a window).
let private distinctValues (random: Random) (shape: int[]) =
    let n = Array.fold (*) 1 shape
    let values = Array.init n (fun k -> float (k - n / 2) * 0.37 + 0.05 * random.NextDouble())
    random.Shuffle values
    Tensor.FromArray(values, Shape(shape))

let private maxPool2d =
    spec "max_pool2d" (seeded (fun r ->
        let p = PoolGrid.draw r true
        case $"max_pool2d {p}" (fun x -> p.MaxPool x[0]) (fun x -> Convolution.maxPool2d p.Settings x[0]) [| distinctValues r p.Shape |]))

let private maxPool2dBackward =
    spec "max_pool2d_backward" (seeded (fun r ->
        let p = PoolGrid.draw r true
        let x = distinctValues r p.Shape
        let y = p.MaxPool x
        case $"max_pool2d_backward {p}" (fun u -> Diff.vjpRecorded p.MaxPool x u[0])
            (fun u -> Convolution.maxPool2dBackward p.Settings p.Shape (x.ToDoubleArray()) u[0]) [| values r (y.Shape.ToArray()) |]))

let private avgPool2d =
    spec "avg_pool2d" (seeded (fun r ->
        let p = PoolGrid.draw r false
        case $"avg_pool2d {p}" (fun x -> p.AvgPool x[0]) (fun x -> Convolution.avgPool2d p.Settings p.CountIncludePad x[0]) [| values r p.Shape |]))

let private avgPool2dBackward =
    spec "avg_pool2d_backward" (seeded (fun r ->
        let p = PoolGrid.draw r false
        let x = values r p.Shape
        let y = p.AvgPool x
        case $"avg_pool2d_backward {p}" (fun u -> Diff.vjpRecorded p.AvgPool x u[0])
            (fun u -> Convolution.avgPool2dBackward p.Settings p.CountIncludePad p.Shape u[0]) [| values r (y.Shape.ToArray()) |]))

let private adaptiveAvgPool2d =
    spec "adaptive_avg_pool2d" (seeded (fun r ->
        let shape = [| r.Next(1, 3); r.Next(1, 3); r.Next(1, 8); r.Next(1, 8) |]
        let size = r.Next(1, shape[2] + 2), r.Next(1, shape[3] + 2)
        case $"adaptive_avg_pool2d {show shape} to {size}" (fun x -> x[0].AdaptiveAvgPool2d(struct (fst size, snd size)))
            (fun x -> Convolution.adaptiveAvgPool2d size x[0]) [| values r shape |]))

let private pool1d =
    specRecording "max_pool1d and avg_pool1d" [ "max_pool2d"; "avg_pool2d" ] (seeded (fun r ->
        let p = PoolGrid.draw r false
        let kernel, stride, pad, dilation = snd p.Settings.Kernel, snd p.Settings.Stride, snd p.Settings.Padding, snd p.Settings.Dilation
        let settings = { p.Settings with Kernel = (1, kernel); Stride = (1, stride); Padding = (0, pad); Dilation = (1, dilation) }
        let shape = [| p.Shape[0]; p.Shape[1]; p.Shape[3] |]
        let as2d = [| shape[0]; shape[1]; 1; shape[2] |]
        let to1d (y: Dual) = Dual.reshape [| y.Shape[0]; y.Shape[1]; y.Shape[3] |] y
        case $"max_pool1d + avg_pool1d {show shape} kernel {kernel} stride {stride} padding {pad} dilation {dilation}"
            (fun x -> x[0].MaxPool1d(kernel, stride, pad, dilation, p.Settings.CeilMode) * 2.0 + x[0].AvgPool1d(kernel, stride, pad, p.Settings.CeilMode, p.CountIncludePad))
            (fun x ->
                let x2 = Dual.reshape as2d x[0]
                Dual.add (Dual.mulScalar 2.0 (to1d (Convolution.maxPool2d settings x2)))
                         (to1d (Convolution.avgPool2d { settings with Dilation = (1, 1) } p.CountIncludePad x2)))
            [| distinctValues r shape |]))

let private flatten =
    specRecording "flatten" [ "reshape" ] (seeded (fun r ->
        let shape = Array.init (r.Next(2, 5)) (fun _ -> r.Next(1, 4))
        let first = r.Next(0, shape.Length - 1)
        let last = r.Next(first + 1, shape.Length)
        let merged = Array.concat [ shape[.. first - 1]; [| Array.fold (*) 1 shape[first .. last] |]; shape[last + 1 ..] ]
        case $"flatten {show shape} dims {first}..{last}" (fun x -> x[0].Flatten(first, last)) (fun x -> Dual.reshape merged x[0]) [| values r shape |]))

/// One generator of cases per convolution or pooling operation (and the 1-D and flatten forms built on them).
let specs : OpSpec list =
    [ conv2d; conv2dInputGrad; conv2dWeightGrad; conv1d; maxPool2d; maxPool2dBackward; avgPool2d; avgPool2dBackward; adaptiveAvgPool2d; pool1d; flatten ]
