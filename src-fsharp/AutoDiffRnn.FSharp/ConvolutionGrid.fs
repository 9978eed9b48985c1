namespace AutoDiffRnn.FSharp

open System
open AutoDiffRnn

/// <summary>How a generated convolution case pads: explicit zeros on every side, SAME or VALID.</summary>
type PaddingChoice =
    | Zeros of int
    | Same
    | Valid

/// <summary>
/// One convolution setting of the test grid (stride 1–3, padding 0/1/2/same/valid, dilation 1–2, groups 1/2/channels,
/// odd and even sizes, batch 1–3) with its shapes, for the C# op, the reference on duals and libtorch alike.
/// </summary>
type ConvGridCase =
    { Batch: int
      Channels: int
      OutChannels: int
      Height: int
      Width: int
      Kernel: int * int
      Stride: int
      Padding: PaddingChoice
      Dilation: int
      Groups: int
      WithBias: bool }

    member this.InputShape = [| this.Batch; this.Channels; this.Height; this.Width |]
    member this.WeightShape = [| this.OutChannels; this.Channels / this.Groups; fst this.Kernel; snd this.Kernel |]

    /// <summary>The padding as the C# API takes it.</summary>
    member this.CSharpPadding =
        match this.Padding with
        | Zeros p -> Padding.Symmetric p
        | Same -> Padding.Same
        | Valid -> Padding.Valid

    /// <summary>The padding resolved to (top, bottom, left, right), TensorFlow's rule for SAME.</summary>
    member this.Sides =
        match this.Padding with
        | Zeros p -> p, p, p, p
        | Valid -> 0, 0, 0, 0
        | Same ->
            let top, bottom = Convolution.samePadding this.Height (fst this.Kernel) this.Stride this.Dilation
            let left, right = Convolution.samePadding this.Width (snd this.Kernel) this.Stride this.Dilation
            top, bottom, left, right

    /// <summary>The settings of the reference on duals.</summary>
    member this.Settings : ConvSettings =
        { Stride = (this.Stride, this.Stride); Padding = this.Sides; Dilation = (this.Dilation, this.Dilation); Groups = this.Groups }

    /// <summary>The C# convolution of input x[0], weight x[1] and bias x[2] if the case has one.</summary>
    member this.Apply(x: Tensor[]) =
        Tensor.Conv2d(x[0], x[1], (if this.WithBias then x[2] else Unchecked.defaultof<Tensor>), this.Stride, this.CSharpPadding, this.Dilation, this.Groups)

    override this.ToString() =
        let padding = match this.Padding with Zeros p -> string p | Same -> "same" | Valid -> "valid"
        $"conv2d input [{this.Batch},{this.Channels},{this.Height},{this.Width}] kernel {fst this.Kernel}x{snd this.Kernel} out {this.OutChannels} "
        + $"stride {this.Stride} padding {padding} dilation {this.Dilation} groups {this.Groups}" + (if this.WithBias then " bias" else "")

/// <summary>The convolution settings the tests range over.</summary>
[<RequireQualifiedAccess>]
module ConvolutionGrid =

    /// <summary>
    /// A case with the given stride, padding, dilation, groups ("1", "2" or "depthwise": one group per channel), batch and
    /// parity of the spatial sizes (the input is the smallest of that parity the kernel fits in, plus 0–2 pairs).
    /// </summary>
    let make (random: Random) stride padding dilation (groups: string) batch (odd: bool) =
        let kernel = random.Next(1, 4), random.Next(1, 4)
        let channels, groupCount =
            match groups with
            | "1" -> random.Next(1, 4), 1
            | "2" -> 2 * random.Next(1, 3), 2
            | _ -> let c = random.Next(2, 4) in c, c
        let outChannels = groupCount * random.Next(1, 3)
        let pad = match padding with Zeros p -> p | _ -> 0
        let size k =
            let minimum = Operators.max 1 ((k - 1) * dilation + 1 - 2 * pad)
            let sized = minimum + 2 * random.Next(0, 2)
            if (sized % 2 = 1) = odd then sized else sized + 1
        { Batch = batch; Channels = channels; OutChannels = outChannels; Height = size (fst kernel); Width = size (snd kernel)
          Kernel = kernel; Stride = stride; Padding = padding; Dilation = dilation; Groups = groupCount; WithBias = random.Next 2 = 0 }

    /// <summary>Every combination of the grid, with random kernels and channel counts from the seed.</summary>
    let all (seed: int) =
        let random = Random(seed)
        [ for stride in 1 .. 3 do
            for padding in [ Zeros 0; Zeros 1; Zeros 2; Same; Valid ] do
                for dilation in 1 .. 2 do
                    for groups in [ "1"; "2"; "depthwise" ] do
                        for odd in [ true; false ] do
                            let batch = random.Next(1, 4)
                            yield make random stride padding dilation groups batch odd ]

    /// <summary>One random case of the grid.</summary>
    let draw (random: Random) =
        let padding = [| Zeros 0; Zeros 1; Zeros 2; Same; Valid |][random.Next 5]
        let groups = [| "1"; "2"; "depthwise" |]
        make random (random.Next(1, 4)) padding (random.Next(1, 3)) groups[random.Next 3] (random.Next(1, 4)) (random.Next 2 = 0)

[<AutoOpen>]
module private StructPairs =
    let pair (a: int, b: int) = struct (a, b)

/// <summary>One random pooling setting of the tests (kernel 1–3, stride 1–3, padding up to half the kernel, dilation 1–2 for max
/// pooling, ceil mode either way) with its input shape.</summary>
type PoolGridCase =
    { Shape: int[]
      Settings: PoolSettings
      CountIncludePad: bool }

    /// <summary>The C# max_pool2d of x.</summary>
    member this.MaxPool(x: Tensor) =
        let p = this.Settings
        x.MaxPool2d(pair p.Kernel, Nullable(pair p.Stride), pair p.Padding, Nullable(pair p.Dilation), p.CeilMode)

    /// <summary>The C# avg_pool2d of x.</summary>
    member this.AvgPool(x: Tensor) =
        let p = this.Settings
        x.AvgPool2d(pair p.Kernel, Nullable(pair p.Stride), pair p.Padding, p.CeilMode, this.CountIncludePad)

    override this.ToString() =
        let p = this.Settings
        $"input {Layout.show this.Shape} kernel {p.Kernel} stride {p.Stride} padding {p.Padding} dilation {p.Dilation} ceil {p.CeilMode}"
        + (if this.CountIncludePad then "" else " padding not counted")

/// <summary>Random pooling settings.</summary>
[<RequireQualifiedAccess>]
module PoolGrid =

    /// <summary>A random case; average pooling (<paramref name="dilated"/> false) keeps dilation 1.</summary>
    let draw (random: Random) (dilated: bool) =
        let axis () =
            let kernel = random.Next(1, 4)
            let dilation = if dilated then random.Next(1, 3) else 1
            let span = (kernel - 1) * dilation + 1
            let pad = random.Next(0, kernel / 2 + 1) // PyTorch: at most half the kernel
            // at least the dilated kernel: no max-pool window falls entirely in the padding
            let size = (if dilated then span else Operators.max 1 (span - 2 * pad)) + random.Next(0, 4)
            kernel, random.Next(1, 4), pad, dilation, size
        let kh, sh, ph, dh, h = axis ()
        let kw, sw, pw, dw, w = axis ()
        { Shape = [| random.Next(1, 4); random.Next(1, 4); h; w |]
          Settings = { Kernel = (kh, kw); Stride = (sh, sw); Padding = (ph, pw); Dilation = (dh, dw); CeilMode = random.Next 2 = 0 }
          CountIncludePad = random.Next 2 = 0 }
