namespace AutoDiffRnn.FSharp

open System
open AutoDiffRnn

/// <summary>
/// The op table's rows of the convolution and pooling ops, at random settings of the grid (stride 1–3, padding 0/1/2/same/valid,
/// dilation 1–2, groups 1/2/channels, odd and even sizes, batch 1–3); each backward op through a recorded VJP, so double backward
/// is covered. Also the public 1-D and flatten forms built on them.
/// </summary>
[<RequireQualifiedAccess>]
module ConvolutionRows =

    let private values (random: Random) (shape: int[]) = Draw.tensor random (Uniform(-1.0, 1.0)) shape

    /// The weights and biases of the empty-tensor sweep's calls: ones plus Σx (a sum over nothing, 0), so that they depend on x and
    /// the backward pass computes their gradients over no batch too (conv2d_weight_grad runs).
    let private ones (shape: int[]) (x: Tensor) = Tensor.Ones(Shape(shape), x.DType) + x.Sum()

    /// <summary>The output shape of a grid case.</summary>
    let outputShape (c: ConvGridCase) =
        let top, bottom, left, right = c.Sides
        [| c.Batch; c.OutChannels
           Convolution.outputSize c.Height (fst c.Kernel) c.Stride top bottom c.Dilation
           Convolution.outputSize c.Width (snd c.Kernel) c.Stride left right c.Dilation |]

    let private conv2d =
        OpSpec.create "conv2d"
            (fun random ->
                let c = ConvolutionGrid.draw random
                let inputs = [| values random c.InputShape; values random c.WeightShape; values random [| c.OutChannels |] |]
                { Label = string c; Arguments = c; Inputs = (if c.WithBias then inputs else inputs[..1]) })
            (fun c x -> c.Apply x) (fun c x -> Convolution.conv2d c.Settings x[0] x[1] (if c.WithBias then Some x[2] else None))
        |> OpSpec.onEmpty [ "no batch", (fun x -> Tensor.Conv2d(x.Reshape(0, 2, 5, 5), ones [| 3; 2; 3; 3 |] x, ones [| 3 |] x)) ]

    let private conv2dInputGrad =
        OpSpec.create "conv2d_input_grad"
            (fun random ->
                let c = { ConvolutionGrid.draw random with WithBias = false }
                let x = values random c.InputShape
                { Label = $"conv2d_input_grad of {c}"; Arguments = (c, x); Inputs = [| values random (outputShape c); values random c.WeightShape |] })
            (fun (c, x) u -> Diff.vjpRecordedWith [| u[1] |] (fun input -> c.Apply [| input; u[1] |]) (x.To(u[0].DType)) u[0])
            (fun (c, _) u -> Convolution.conv2dInputGrad c.Settings c.InputShape u[0] u[1])
        |> OpSpec.notSweptOnEmpty "it runs in the backward pass of the conv2d and conv1d calls"

    let private conv2dWeightGrad =
        OpSpec.create "conv2d_weight_grad"
            (fun random ->
                let c = { ConvolutionGrid.draw random with WithBias = false }
                let weight = values random c.WeightShape
                { Label = $"conv2d_weight_grad of {c}"; Arguments = (c, weight); Inputs = [| values random c.InputShape; values random (outputShape c) |] })
            (fun (c, weight) u -> Diff.vjpRecordedWith [| u[0] |] (fun w -> c.Apply [| u[0]; w |]) (weight.To(u[0].DType)) u[1])
            (fun (c, _) u -> Convolution.conv2dWeightGrad c.Settings c.WeightShape u[0] u[1])
        |> OpSpec.notSweptOnEmpty "it runs in the backward pass of the conv2d and conv1d calls"

    let private conv1d =
        OpSpec.create "conv1d"
            (fun random ->
                let c = ConvolutionGrid.draw random
                let c = { c with Height = 1; Kernel = (1, snd c.Kernel) }
                let shape3 (s: int[]) = [| s[0]; s[1]; s[3] |]
                let inputs = [| values random (shape3 c.InputShape); values random (shape3 c.WeightShape); values random [| c.OutChannels |] |]
                { Label = $"conv1d from {c}"; Arguments = c; Inputs = (if c.WithBias then inputs else inputs[..1]) })
            (fun c x -> Tensor.Conv1d(x[0], x[1], (if c.WithBias then x[2] else Unchecked.defaultof<Tensor>), c.Stride, c.CSharpPadding, c.Dilation, c.Groups))
            (fun c x ->
                let _, _, left, right = c.Sides
                let settings = { c.Settings with Padding = (0, 0, left, right) }
                let y = Convolution.conv2d settings (Dual.reshape c.InputShape x[0]) (Dual.reshape c.WeightShape x[1]) (if c.WithBias then Some x[2] else None)
                Dual.reshape [| y.Shape[0]; y.Shape[1]; y.Shape[3] |] y)
        |> OpSpec.recording [ "conv2d"; "reshape" ]
        |> OpSpec.onEmpty [ "no batch", (fun x -> Tensor.Conv1d(x.Reshape(0, 2, 5), ones [| 3; 2; 3 |] x, ones [| 3 |] x)) ]

    let private maxPool2d =
        OpSpec.create "max_pool2d"
            (fun random ->
                let p = PoolGrid.draw random true
                { Label = $"max_pool2d {p}"; Arguments = p; Inputs = [| Draw.tensor random Distinct p.Shape |] })
            (fun p x -> p.MaxPool x[0]) (fun p x -> Convolution.maxPool2d p.Settings x[0])
        |> OpSpec.onEmpty [ "no batch", (fun x -> x.Reshape(0, 2, 4, 4).MaxPool2d(2)) ]

    let private maxPool2dBackward =
        OpSpec.create "max_pool2d_backward"
            (fun random ->
                let p = PoolGrid.draw random true
                let x = Draw.tensor random Distinct p.Shape
                { Label = $"max_pool2d_backward {p}"; Arguments = (p, x); Inputs = [| values random ((p.MaxPool x).Shape.ToArray()) |] })
            (fun (p, x) u -> Diff.vjpRecorded p.MaxPool (x.To(u[0].DType)) u[0])
            (fun (p, x) u -> Convolution.maxPool2dBackward p.Settings p.Shape (x.ToDoubleArray()) u[0])
        |> OpSpec.notSweptOnEmpty "it runs in the backward pass of the max_pool2d calls"

    let private avgPool2d =
        OpSpec.create "avg_pool2d"
            (fun random ->
                let p = PoolGrid.draw random false
                { Label = $"avg_pool2d {p}"; Arguments = p; Inputs = [| values random p.Shape |] })
            (fun p x -> p.AvgPool x[0]) (fun p x -> Convolution.avgPool2d p.Settings p.CountIncludePad x[0])
        |> OpSpec.onEmpty [ "no batch", (fun x -> x.Reshape(0, 2, 4, 4).AvgPool2d(2)) ]

    let private avgPool2dBackward =
        OpSpec.create "avg_pool2d_backward"
            (fun random ->
                let p = PoolGrid.draw random false
                let x = values random p.Shape
                { Label = $"avg_pool2d_backward {p}"; Arguments = (p, x); Inputs = [| values random ((p.AvgPool x).Shape.ToArray()) |] })
            (fun (p, x) u -> Diff.vjpRecorded p.AvgPool (x.To(u[0].DType)) u[0])
            (fun (p, _) u -> Convolution.avgPool2dBackward p.Settings p.CountIncludePad p.Shape u[0])
        |> OpSpec.notSweptOnEmpty "it runs in the backward pass of the avg_pool2d calls"

    let private adaptiveAvgPool2d =
        OpSpec.create "adaptive_avg_pool2d"
            (fun random ->
                let shape = [| random.Next(1, 3); random.Next(1, 3); random.Next(1, 8); random.Next(1, 8) |]
                let size = random.Next(1, shape[2] + 2), random.Next(1, shape[3] + 2)
                { Label = $"adaptive_avg_pool2d {Draw.show shape} to {size}"; Arguments = size; Inputs = [| values random shape |] })
            (fun size x -> x[0].AdaptiveAvgPool2d(struct (fst size, snd size))) (fun size x -> Convolution.adaptiveAvgPool2d size x[0])
        |> OpSpec.onEmpty [ "no batch", (fun x -> x.Reshape(0, 2, 5, 5).AdaptiveAvgPool2d(struct (2, 3))) ]

    let private pool1d =
        OpSpec.create "max_pool1d and avg_pool1d"
            (fun random ->
                let p = PoolGrid.draw random false
                let shape = [| p.Shape[0]; p.Shape[1]; p.Shape[3] |]
                { Label = $"max_pool1d + avg_pool1d {Draw.show shape} {p.Settings}"; Arguments = p; Inputs = [| Draw.tensor random Distinct shape |] })
            (fun p x ->
                let kernel, stride, pad, dilation = snd p.Settings.Kernel, snd p.Settings.Stride, snd p.Settings.Padding, snd p.Settings.Dilation
                x[0].MaxPool1d(kernel, stride, pad, dilation, p.Settings.CeilMode) * 2.0 + x[0].AvgPool1d(kernel, stride, pad, p.Settings.CeilMode, p.CountIncludePad))
            (fun p x ->
                let settings =
                    { p.Settings with
                        Kernel = (1, snd p.Settings.Kernel); Stride = (1, snd p.Settings.Stride); Padding = (0, snd p.Settings.Padding); Dilation = (1, snd p.Settings.Dilation) }
                let as2d = Dual.reshape [| x[0].Shape[0]; x[0].Shape[1]; 1; x[0].Shape[2] |] x[0]
                let to1d (y: Dual) = Dual.reshape [| y.Shape[0]; y.Shape[1]; y.Shape[3] |] y
                Dual.add (Dual.mulScalar 2.0 (to1d (Convolution.maxPool2d settings as2d)))
                         (to1d (Convolution.avgPool2d { settings with Dilation = (1, 1) } p.CountIncludePad as2d)))
        |> OpSpec.recording [ "max_pool2d"; "avg_pool2d" ]
        |> OpSpec.onEmpty [ "no batch", (fun x -> let x = x.Reshape(0, 2, 6) in x.MaxPool1d(2) * 2.0 + x.AvgPool1d(2)) ]

    let private flatten =
        OpSpec.create "flatten"
            (fun random ->
                let shape = Array.init (random.Next(2, 5)) (fun _ -> random.Next(1, 4))
                let first = random.Next(0, shape.Length - 1)
                let last = random.Next(first + 1, shape.Length)
                { Label = $"flatten {Draw.show shape} dims {first}..{last}"; Arguments = (first, last); Inputs = [| values random shape |] })
            (fun (first, last) x -> x[0].Flatten(first, last))
            (fun (first, last) x ->
                let shape = x[0].Shape
                Dual.reshape (Array.concat [ shape[.. first - 1]; [| Array.fold (*) 1 shape[first .. last] |]; shape[last + 1 ..] ]) x[0])
        |> OpSpec.recording [ "reshape" ]
        |> OpSpec.onEmpty [ "dims 1..2 of no batch", (fun x -> x.Reshape(0, 2, 3).Flatten(1, 2)); "all dims", (fun x -> x.Flatten(0, -1)) ]

    /// <summary>The rows: conv2d and its two backward ops, max/avg/adaptive pooling and their backward ops, the 1-D and flatten forms.</summary>
    let rows : OpSpec list =
        [ conv2d; conv2dInputGrad; conv2dWeightGrad; conv1d; maxPool2d; maxPool2dBackward; avgPool2d; avgPool2dBackward; adaptiveAvgPool2d; pool1d; flatten ]
