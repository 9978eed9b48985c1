/// The convolution and pooling ops against libtorch: one generator per op of Operations.Names (OpTests runs them with GradCheck
/// and in float64 and float32 like every other op), at random settings of the grid.
module AutoDiffRnn.FSharp.Torch.Tests.ConvolutionSpecs

open System
open AutoDiffRnn
open AutoDiffRnn.FSharp
open AutoDiffRnn.FSharp.Torch
open AutoDiffRnn.FSharp.Torch.Tests.Support

/// One generated case: its label, the C# function, the libtorch function, the float64 inputs.
type ConvCase = { Label: string; CSharp: Tensor[] -> Tensor; Torch: TorchFunction; Inputs: Tensor[] }

/// The generator of one op's cases and the names of Operations.Names each must record.
type ConvSpec = { Name: string; Records: string list; Make: Random -> ConvCase }

let private spec name make = { Name = name; Records = [ name ]; Make = make }

/// The output shape of a grid case.
let outputShape (c: ConvGridCase) =
    let top, bottom, left, right = c.Sides
    [| c.Batch; c.OutChannels
       Convolution.outputSize c.Height (fst c.Kernel) c.Stride top bottom c.Dilation
       Convolution.outputSize c.Width (snd c.Kernel) c.Stride left right c.Dilation |]

/// conv2d of a grid case: C# and libtorch, inputs x, weight and (if the case has one) bias.
let convCase (r: Random) (c: ConvGridCase) =
    let inputs = [| normal r c.InputShape; normal r c.WeightShape; if c.WithBias then normal r [| c.OutChannels |] |]
    { Label = string c; CSharp = c.Apply
      Torch = (fun x -> TorchConvolution.conv2d c.Settings x[0] x[1] (if c.WithBias then Some x[2] else None)); Inputs = inputs }

let specs : ConvSpec list =
    [ spec "conv2d" (fun r -> convCase r (ConvolutionGrid.draw r))
      spec "conv2d_input_grad" (fun r ->
          let c = { ConvolutionGrid.draw r with WithBias = false }
          let x = normal r c.InputShape
          { Label = $"conv2d_input_grad of {c}"
            CSharp = (fun u -> Diff.vjpRecordedWith [| u[1] |] (fun input -> c.Apply [| input; u[1] |]) (x.To(u[0].DType)) u[0])
            Torch = (fun u -> TorchConvolution.conv2dInputGrad c.Settings c.InputShape u[0] u[1])
            Inputs = [| normal r (outputShape c); normal r c.WeightShape |] })
      spec "conv2d_weight_grad" (fun r ->
          let c = { ConvolutionGrid.draw r with WithBias = false }
          let w = normal r c.WeightShape
          { Label = $"conv2d_weight_grad of {c}"
            CSharp = (fun u -> Diff.vjpRecordedWith [| u[0] |] (fun weight -> c.Apply [| u[0]; weight |]) (w.To(u[0].DType)) u[1])
            Torch = (fun u -> TorchConvolution.conv2dWeightGrad c.Settings c.WeightShape u[0] u[1])
            Inputs = [| normal r c.InputShape; normal r (outputShape c) |] })
      spec "max_pool2d" (fun r ->
          let p = PoolGrid.draw r true
          { Label = $"max_pool2d {p}"; CSharp = (fun x -> p.MaxPool x[0]); Torch = (fun x -> TorchConvolution.maxPool2d p.Settings x[0])
            Inputs = [| distinct r p.Shape |] })
      spec "max_pool2d_backward" (fun r ->
          let p = PoolGrid.draw r true
          let x = distinct r p.Shape
          { Label = $"max_pool2d_backward {p}"; CSharp = (fun u -> Diff.vjpRecorded p.MaxPool (x.To(u[0].DType)) u[0])
            Torch = (fun u -> TorchOps.vjpRecorded (TorchConvolution.maxPool2d p.Settings) ((TorchTensor.ofTensor x).to_type(u[0].dtype)) u[0])
            Inputs = [| normal r ((p.MaxPool x).Shape.ToArray()) |] })
      spec "avg_pool2d" (fun r ->
          let p = PoolGrid.draw r false
          { Label = $"avg_pool2d {p}"; CSharp = (fun x -> p.AvgPool x[0]); Torch = (fun x -> TorchConvolution.avgPool2d p.Settings p.CountIncludePad x[0])
            Inputs = [| normal r p.Shape |] })
      spec "avg_pool2d_backward" (fun r ->
          let p = PoolGrid.draw r false
          let x = normal r p.Shape
          { Label = $"avg_pool2d_backward {p}"; CSharp = (fun u -> Diff.vjpRecorded p.AvgPool (x.To(u[0].DType)) u[0])
            Torch = (fun u -> TorchOps.vjpRecorded (TorchConvolution.avgPool2d p.Settings p.CountIncludePad)
                                                   (TorchSharp.torch.zeros(p.Shape |> Array.map int64, dtype = u[0].dtype)) u[0])
            Inputs = [| normal r ((p.AvgPool x).Shape.ToArray()) |] })
      spec "adaptive_avg_pool2d" (fun r ->
          let shape = [| r.Next(1, 3); r.Next(1, 3); r.Next(1, 8); r.Next(1, 8) |]
          let size = r.Next(1, shape[2] + 2), r.Next(1, shape[3] + 2)
          { Label = $"adaptive_avg_pool2d {show shape} to {size}"; CSharp = (fun x -> x[0].AdaptiveAvgPool2d(struct (fst size, snd size)))
            Torch = (fun x -> TorchConvolution.adaptiveAvgPool2d size x[0]); Inputs = [| normal r shape |] }) ]
