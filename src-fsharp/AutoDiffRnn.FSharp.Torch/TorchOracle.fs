namespace AutoDiffRnn.FSharp.Torch

open System
open AutoDiffRnn
open AutoDiffRnn.Autodiff
open AutoDiffRnn.FSharp
open TorchSharp

/// <summary>A function written on libtorch tensors: the counterpart of a function on AutoDiffRnn tensors, input for input.</summary>
type TorchFunction = torch.Tensor[] -> torch.Tensor

/// <summary>PyTorch (libtorch through TorchSharp) as an <see cref="T:AutoDiffRnn.FSharp.Oracle"/> for GradCheck: values and reverse mode.</summary>
[<RequireQualifiedAccess>]
module TorchOracle =

    let private gradientOrZeros (leaf: torch.Tensor) =
        match leaf.grad with
        | null -> torch.zeros_like(leaf)
        | gradient -> gradient

    /// <summary>The function's value at the inputs, computed by libtorch (no gradient recorded), in the inputs' dtype.</summary>
    [<CompiledName("Value")>]
    let value (f: TorchFunction) (inputs: Tensor[]) : Tensor =
        TorchNative.ensureLoaded ()
        use _ = torch.NewDisposeScope()
        use _ = torch.no_grad()
        inputs |> Array.map TorchTensor.ofTensor |> f |> TorchTensor.toTensor

    /// <summary>The value and every input's Jᵀu, computed by libtorch's autograd (inputs without influence get zeros).</summary>
    [<CompiledName("ValueAndVectorJacobianProduct")>]
    let valueAndVectorJacobianProduct (f: TorchFunction) (inputs: Tensor[]) (u: Tensor) : Tensor * Tensor[] =
        TorchNative.ensureLoaded ()
        use _ = torch.NewDisposeScope()
        let leaves = inputs |> Array.map TorchTensor.leafOf
        let output = f leaves
        let shape = output.shape |> Array.map int
        if shape <> u.Shape.ToArray() then
            invalidArg "u" $"torch vjp: the direction {u.Shape} does not match the output [{String.Join(',', shape)}]"
        if output.requires_grad then
            (output * TorchTensor.ofTensor (u.To(TorchTensor.dtypeOf output.dtype))).sum().backward()
        TorchTensor.toTensor output, leaves |> Array.map (gradientOrZeros >> TorchTensor.toTensor)

    /// <summary>
    /// The oracle for a function on libtorch tensors: <c>Value</c> and <c>VectorJacobianProduct</c> (libtorch's reverse mode);
    /// no forward mode (GradCheck then compares reverse-mode products and full Jacobians).
    /// </summary>
    [<CompiledName("Create")>]
    let create (f: TorchFunction) : Oracle =
        { Name = "libtorch"
          Value = value f
          JacobianVectorProduct = None
          VectorJacobianProduct = Some(fun inputs u -> snd (valueAndVectorJacobianProduct f inputs u)) }

    /// <summary>A GradCheck case: the C# function on the tape against libtorch running its counterpart (and finite differences).</summary>
    [<CompiledName("Case")>]
    let case (name: string) (csharp: Tensor[] -> Tensor) (torchFunction: TorchFunction) (inputs: Tensor[]) : GradCase =
        GradCase.ofFunction name csharp inputs |> GradCase.withOracle (create torchFunction)

/// <summary>How far two computations of a function and its gradients are apart (max of |a − b| / max(1, |a|, |b|) per element).</summary>
[<NoComparison>]
type Agreement =
    {
      /// <summary>What was compared.</summary>
      Name: string
      /// <summary>Each compared quantity (the value, then gradients by input name) with its error.</summary>
      Errors: (string * float) list }

    /// <summary>The largest error.</summary>
    member this.MaxError = this.Errors |> List.fold (fun m (_, e) -> if Double.IsNaN e then nan else max m e) 0.0

    /// <summary>Whether every error is at most the tolerance (NaN fails).</summary>
    member this.Within(tolerance: float) = this.Errors |> List.forall (fun (_, e) -> e <= tolerance)

    /// <summary>One line per quantity.</summary>
    override this.ToString() =
        let lines = this.Errors |> List.map (fun (what, e) -> $"  {what,-24} {e:E2}")
        String.Join(Environment.NewLine, $"{this.Name}: max error {this.MaxError:E2}" :: lines)

/// <summary>Direct comparisons of AutoDiffRnn against libtorch, in float32 or float64: values and reverse-mode gradients.</summary>
[<RequireQualifiedAccess>]
module Agreement =

    /// <summary>max over elements of |a − b| / max(1, |a|, |b|); infinity when the lengths differ.</summary>
    [<CompiledName("Error")>]
    let error (actual: float[]) (expected: float[]) =
        if actual.Length <> expected.Length then Double.PositiveInfinity
        else
            let mutable largest = 0.0
            for k in 0 .. actual.Length - 1 do
                let e = abs (actual[k] - expected[k]) / max 1.0 (max (abs actual[k]) (abs expected[k]))
                largest <- if Double.IsNaN e || Double.IsNaN largest then nan else max largest e
            largest

    /// <summary>The error between two tensors: infinity when their shapes differ.</summary>
    [<CompiledName("TensorError")>]
    let tensorError (actual: Tensor) (expected: Tensor) =
        if actual.Shape <> expected.Shape then Double.PositiveInfinity else error (actual.ToDoubleArray()) (expected.ToDoubleArray())

    /// <summary>
    /// The C# function on the tape and its libtorch counterpart at the inputs converted to <c>dtype</c>: the values, and the gradients
    /// of ⟨u, f(x)⟩ for every input, with u drawn from N(0, 1) by the seed.
    /// </summary>
    [<CompiledName("OfFunctions")>]
    let ofFunctions (name: string) (dtype: DType) (seed: uint64) (csharp: Tensor[] -> Tensor) (torchFunction: TorchFunction) (inputs: Tensor[]) : Agreement =
        let leaves = inputs |> Array.map (fun x -> x.Detach().To(dtype).Detach().SetRequiresGrad())
        let output = csharp leaves
        let u = Tensor.Normal(output.Shape, 0.0, 1.0, output.DType, Generator(seed))
        if output.RequiresGrad then (output * u).Sum().Backward()
        let gradients = leaves |> Array.map (fun x -> match x.Grad with null -> Tensor.ZerosLike x | g -> g)
        let theirValue, theirGradients = TorchOracle.valueAndVectorJacobianProduct torchFunction (leaves |> Array.map (fun x -> x.Detach())) u
        { Name = name
          Errors =
            ("value", tensorError (output.Detach()) theirValue)
            :: [ for i in 0 .. inputs.Length - 1 -> $"d/d input {i}", tensorError gradients[i] theirGradients[i] ] }
