namespace AutoDiffRnn.FSharp

open System
open AutoDiffRnn
open AutoDiffRnn.Autodiff

/// <summary>
/// An outside differentiation engine, bound to one function written for it, seen through float64 C# tensors: what
/// GradCheck compares the C# tape against. An engine offers forward mode (J·v), reverse mode (Jᵀu), or both; the checks
/// use whatever it has. The F# forward-mode engine (<c>Oracle.forward</c>) is one; PyTorch through TorchSharp is another
/// (in AutoDiffRnn.FSharp.Torch); any engine that can evaluate a function and give one of the two products plugs in.
/// </summary>
[<NoEquality; NoComparison>]
type Oracle =
    {
      /// <summary>The engine's name, as shown in reports.</summary>
      Name: string
      /// <summary>The function's value at the inputs.</summary>
      Value: Tensor[] -> Tensor
      /// <summary>Forward mode, if the engine has it: inputs → one direction per input → Σᵢ Jᵢ·vᵢ (shape of the output).</summary>
      JacobianVectorProduct: (Tensor[] -> Tensor[] -> Tensor) option
      /// <summary>Reverse mode, if the engine has it: inputs → u (shape of the output) → Jᵢᵀu for every input.</summary>
      VectorJacobianProduct: (Tensor[] -> Tensor -> Tensor[]) option }

/// <summary>The oracles this library provides.</summary>
[<RequireQualifiedAccess; CompilationRepresentation(CompilationRepresentationFlags.ModuleSuffix)>]
module Oracle =

    /// <summary>The F# forward-mode engine, for a function written on duals: values and J·v, independent of the C# tape.</summary>
    [<CompiledName("Forward")>]
    let forward (f: Dual[] -> Dual) : Oracle =
        { Name = "F# forward mode"
          Value = fun inputs -> inputs |> Array.map Dual.ofTensor |> f |> Dual.primalTensor
          JacobianVectorProduct =
            Some(fun inputs directions ->
                Forward.jvpMany f (inputs |> Array.map Dual.ofTensor) (directions |> Array.map (fun v -> v.ToDoubleArray()))
                |> Dual.tangentTensor)
          VectorJacobianProduct = None }

    /// <summary>
    /// The C# tape itself running another formulation of the function (both products, J·v by reverse over reverse):
    /// e.g. a fused operation checked against its composition from primitive operations.
    /// </summary>
    [<CompiledName("Tape")>]
    let tape (f: Tensor[] -> Tensor) : Oracle =
        { Name = "C# tape"
          Value = fun inputs -> using (GradMode.NoGrad()) (fun _ -> f inputs)
          JacobianVectorProduct = Some(Diff.jvpManyByReverseOverReverse f)
          VectorJacobianProduct = Some(Diff.vjpMany f) }

type Oracle with
    /// <summary>The F# forward-mode engine for a function written on duals (for C#).</summary>
    static member OfForward(f: Func<Dual[], Dual>) = Oracle.forward f.Invoke

    /// <summary>The C# tape running another formulation of the function (for C#).</summary>
    static member OfTape(f: Func<Tensor[], Tensor>) = Oracle.tape f.Invoke
