namespace AutoDiffRnn.FSharp

open System

/// <summary>The settings of a 2-D convolution in the reference: stride, zero padding per side, dilation, groups.</summary>
type ConvSettings =
    { Stride: int * int
      /// <summary>(top, bottom, left, right).</summary>
      Padding: int * int * int * int
      Dilation: int * int
      Groups: int }

/// <summary>The settings of a 2-D pooling window in the reference.</summary>
type PoolSettings =
    { Kernel: int * int
      Stride: int * int
      Padding: int * int
      Dilation: int * int
      CeilMode: bool }

/// <summary>
/// Reference convolution and pooling on duals, written from their definitions by enumerating every tap (it shares no code with
/// the C# kernels): conv2d as the sum over taps x·w, its input and weight gradients as the same sums scattered the other way,
/// max pooling as a gather at each window's first maximum, average pooling as window sums over divisors.
/// </summary>
[<RequireQualifiedAccess>]
module Convolution =

    let private show = Layout.show

    /// <summary>TensorFlow's SAME padding (before, after) along one axis: output ⌈size/stride⌉, the odd zero after.</summary>
    let samePadding (size: int) (kernel: int) (stride: int) (dilation: int) =
        let output = (size + stride - 1) / stride
        let total = Operators.max 0 ((output - 1) * stride + (kernel - 1) * dilation + 1 - size)
        total / 2, total - total / 2

    /// <summary>The output size of a convolution along one axis.</summary>
    let outputSize (size: int) (kernel: int) (stride: int) (before: int) (after: int) (dilation: int) =
        (size + before + after - (kernel - 1) * dilation - 1) / stride + 1

    /// Every tap (input index, weight index, output index) of the convolution of xShape by wShape, and the output shape.
    let private taps (xShape: int[]) (wShape: int[]) (s: ConvSettings) =
        let n, c, h, w = xShape[0], xShape[1], xShape[2], xShape[3]
        let o, cg, kh, kw = wShape[0], wShape[1], wShape[2], wShape[3]
        let sh, sw = s.Stride
        let top, bottom, left, right = s.Padding
        let dh, dw = s.Dilation
        if c <> cg * s.Groups || o % s.Groups <> 0 then
            invalidArg "weight" $"conv2d: input {show xShape} and weight {show wShape} do not match {s.Groups} groups"
        let oh, ow = outputSize h kh sh top bottom dh, outputSize w kw sw left right dw
        if oh <= 0 || ow <= 0 then invalidArg "weight" $"conv2d: kernel {show wShape} larger than padded input {show xShape}"
        let og = o / s.Groups
        let list = ResizeArray()
        for b in 0 .. n - 1 do
            for oc in 0 .. o - 1 do
                let group = oc / og
                for y in 0 .. oh - 1 do
                    for x in 0 .. ow - 1 do
                        for ci in 0 .. cg - 1 do
                            for i in 0 .. kh - 1 do
                                for j in 0 .. kw - 1 do
                                    let row, column = y * sh - top + i * dh, x * sw - left + j * dw
                                    if row >= 0 && row < h && column >= 0 && column < w then
                                        let channel = group * cg + ci
                                        list.Add(struct (((b * c + channel) * h + row) * w + column,
                                                         ((oc * cg + ci) * kh + i) * kw + j,
                                                         ((b * o + oc) * oh + y) * ow + x))
        list.ToArray(), [| n; o; oh; ow |]

    /// Σ over taps of a[ia]·b[ib] into out[io], with tangent ȧ·b + a·ḃ: the one bilinear form behind all three conv ops.
    let private bilinear (tapList: struct (int * int * int)[]) (pick: struct (int * int * int) -> int * int * int) (outShape: int[]) (a: Dual) (b: Dual) =
        let primal = Array.zeroCreate (Layout.count outShape)
        let tangent = Array.zeroCreate (Layout.count outShape)
        for tap in tapList do
            let ia, ib, io = pick tap
            primal[io] <- primal[io] + a.Primal[ia] * b.Primal[ib]
            tangent[io] <- tangent[io] + a.Tangent[ia] * b.Primal[ib] + a.Primal[ia] * b.Tangent[ib]
        Dual.create outShape primal tangent

    /// <summary>conv2d: input [N, C, H, W], weight [O, C/groups, kH, kW], optional bias [O].</summary>
    [<CompiledName("Conv2d")>]
    let conv2d (s: ConvSettings) (x: Dual) (weight: Dual) (bias: Dual option) =
        let tapList, outShape = taps x.Shape weight.Shape s
        let y = bilinear tapList (fun (struct (i, w, o)) -> i, w, o) outShape x weight
        match bias with
        | None -> y
        | Some b ->
            let plane = outShape[2] * outShape[3]
            let source = Array.init y.Count (fun k -> (k / plane) % outShape[1])
            Dual.add y (Dual.gather outShape source b)

    /// <summary>The VJP of conv2d in its input: the output gradient g pushed back through the weight, of shape xShape.</summary>
    [<CompiledName("Conv2dInputGrad")>]
    let conv2dInputGrad (s: ConvSettings) (xShape: int[]) (g: Dual) (weight: Dual) =
        let tapList, _ = taps xShape weight.Shape s
        bilinear tapList (fun (struct (i, w, o)) -> o, w, i) xShape g weight

    /// <summary>The VJP of conv2d in its weight: Σ input · output gradient over taps, of shape wShape.</summary>
    [<CompiledName("Conv2dWeightGrad")>]
    let conv2dWeightGrad (s: ConvSettings) (wShape: int[]) (x: Dual) (g: Dual) =
        let tapList, _ = taps x.Shape wShape s
        bilinear tapList (fun (struct (i, w, o)) -> i, o, w) wShape x g

    /// <summary>The output size of a pooling window along one axis, PyTorch's rule (ceil mode drops a window starting in the right padding).</summary>
    let poolOutputSize (size: int) (kernel: int) (stride: int) (pad: int) (dilation: int) (ceilMode: bool) =
        let room = size + 2 * pad - (kernel - 1) * dilation - 1
        let output = (if ceilMode then (room + stride - 1) / stride else room / stride) + 1
        if ceilMode && (output - 1) * stride >= size + pad then output - 1 else output

    /// For each output of a max pool, the flat input index of its window's first maximum (NaN wins), and the output shape.
    let maxPoolPositions (p: PoolSettings) (shape: int[]) (values: float[]) =
        let n, c, h, w = shape[0], shape[1], shape[2], shape[3]
        let kh, kw = p.Kernel
        let sh, sw = p.Stride
        let ph, pw = p.Padding
        let dh, dw = p.Dilation
        let oh, ow = poolOutputSize h kh sh ph dh p.CeilMode, poolOutputSize w kw sw pw dw p.CeilMode
        let positions =
            [| for plane in 0 .. n * c - 1 do
                 for y in 0 .. oh - 1 do
                     for x in 0 .. ow - 1 do
                         let inside =
                             [ for i in 0 .. kh - 1 do
                                 for j in 0 .. kw - 1 do
                                     let row, column = y * sh - ph + i * dh, x * sw - pw + j * dw
                                     if row >= 0 && row < h && column >= 0 && column < w then yield (plane * h + row) * w + column ]
                         let mutable best = List.head inside
                         let mutable bestValue = Double.NegativeInfinity
                         let mutable stop = false
                         for k in inside do
                             if not stop && (values[k] > bestValue || Double.IsNaN values[k]) then
                                 best <- k
                                 bestValue <- values[k]
                                 stop <- Double.IsNaN values[k]
                         yield best |]
        positions, [| n; c; oh; ow |]

    /// <summary>max_pool2d: each window's first maximum; its tangent is the tangent there.</summary>
    [<CompiledName("MaxPool2d")>]
    let maxPool2d (p: PoolSettings) (x: Dual) =
        let positions, outShape = maxPoolPositions p x.Shape x.Primal
        Dual.gather outShape positions x

    /// <summary>The VJP of max_pool2d at input values xValues: each output gradient added at its window's maximum (the notes' up()).</summary>
    [<CompiledName("MaxPool2dBackward")>]
    let maxPool2dBackward (p: PoolSettings) (xShape: int[]) (xValues: float[]) (g: Dual) =
        let positions, _ = maxPoolPositions p xShape xValues
        Dual.scatterAdd xShape positions g

    /// Windows of an average along one axis: (first, end, divisor) per output.
    let private poolWindows (size: int) (kernel: int) (stride: int) (pad: int) (outputs: int) (countIncludePad: bool) =
        Array.init outputs (fun o ->
            let first = o * stride - pad
            let last = Operators.min (first + kernel) (size + pad)
            let start, stop = Operators.max first 0, Operators.min last size
            start, stop, (if countIncludePad then last - first else stop - start))

    let private adaptiveWindows (size: int) (outputs: int) =
        Array.init outputs (fun o ->
            let start = o * size / outputs
            let stop = ((o + 1) * size + outputs - 1) / outputs
            start, stop, stop - start)

    /// (input index, output index, weight) of every term of a window average; the output shape.
    let private averageTerms (shape: int[]) rows columns =
        let n, c, h, w = shape[0], shape[1], shape[2], shape[3]
        let oh, ow = Array.length rows, Array.length columns
        let terms =
            [| for plane in 0 .. n * c - 1 do
                 for y in 0 .. oh - 1 do
                     for x in 0 .. ow - 1 do
                         let r0, r1, rd = rows[y]
                         let c0, c1, cd = columns[x]
                         for row in r0 .. r1 - 1 do
                             for column in c0 .. c1 - 1 do
                                 yield (plane * h + row) * w + column, (plane * oh + y) * ow + x, 1.0 / float (rd * cd) |]
        terms, [| n; c; oh; ow |]

    /// The linear map of the terms (source, target, weight) on primal and tangent alike: each target accumulates weight × its source,
    /// or, transposed, each source accumulates weight × its target.
    let private accumulate (terms: (int * int * float)[]) (shape: int[]) (transposed: bool) (d: Dual) =
        let primal = Array.zeroCreate (Layout.count shape)
        let tangent = Array.zeroCreate (Layout.count shape)
        for source, target, weight in terms do
            let read, write = if transposed then target, source else source, target
            primal[write] <- primal[write] + weight * d.Primal[read]
            tangent[write] <- tangent[write] + weight * d.Tangent[read]
        Dual.create shape primal tangent

    let private average (terms: (int * int * float)[]) (outShape: int[]) (x: Dual) = accumulate terms outShape false x

    let private spread (terms: (int * int * float)[]) (inShape: int[]) (g: Dual) = accumulate terms inShape true g

    let private poolTerms (p: PoolSettings) (countIncludePad: bool) (shape: int[]) =
        let kh, kw = p.Kernel
        let sh, sw = p.Stride
        let ph, pw = p.Padding
        let oh, ow = poolOutputSize shape[2] kh sh ph 1 p.CeilMode, poolOutputSize shape[3] kw sw pw 1 p.CeilMode
        averageTerms shape (poolWindows shape[2] kh sh ph oh countIncludePad) (poolWindows shape[3] kw sw pw ow countIncludePad)

    /// <summary>avg_pool2d: each window's mean (dilation is not used; countIncludePad counts the padding in the divisor).</summary>
    [<CompiledName("AvgPool2d")>]
    let avgPool2d (p: PoolSettings) (countIncludePad: bool) (x: Dual) =
        let terms, outShape = poolTerms p countIncludePad x.Shape
        average terms outShape x

    /// <summary>The VJP of avg_pool2d: each output gradient spread evenly over its window, of shape xShape.</summary>
    [<CompiledName("AvgPool2dBackward")>]
    let avgPool2dBackward (p: PoolSettings) (countIncludePad: bool) (xShape: int[]) (g: Dual) =
        let terms, _ = poolTerms p countIncludePad xShape
        spread terms xShape g

    /// <summary>adaptive_avg_pool2d to (outH, outW): windows [⌊o·H/outH⌋, ⌈(o+1)·H/outH⌉).</summary>
    [<CompiledName("AdaptiveAvgPool2d")>]
    let adaptiveAvgPool2d (outH: int, outW: int) (x: Dual) =
        let terms, outShape = averageTerms x.Shape (adaptiveWindows x.Shape[2] outH) (adaptiveWindows x.Shape[3] outW)
        average terms outShape x
