namespace AutoDiffRnn.FSharp

open System
open AutoDiffRnn
open AutoDiffRnn.Autodiff

type private CSharpTensor = AutoDiffRnn.Tensor

/// <summary>
/// Differentiation of functions of C# tensors through the C# tape, in the manner of DiffSharp: <c>Diff.grad f x</c>.
/// Every function works on fresh leaves (detached copies of the inputs), so calls never disturb the caller's graph or
/// gradients, and records even inside <c>GradMode.NoGrad()</c>. Forward-mode products (jvp) are computed by reverse over reverse: Jᵀu recorded as a function of u with
/// <c>Backward(createGraph = true)</c>, then differentiated with respect to u.
/// </summary>
[<RequireQualifiedAccess>]
module Diff =

    let private leaf (x: CSharpTensor) = x.Detach().SetRequiresGrad()

    /// Records on the tape for the duration of a differentiation, even inside an enclosing GradMode.NoGrad().
    let private recording () = GradMode.Enable()

    let private gradientOrZeros (x: CSharpTensor) = match x.Grad with null -> CSharpTensor.ZerosLike x | gradient -> gradient

    let private requireScalar (operation: string) (y: CSharpTensor) =
        if y.ElementCount <> 1 then
            invalidArg "f" $"{operation}: f must return a single element, got shape {y.Shape}; use vjp or jacobian for other outputs"

    let private requireShapes (operation: string) (what: string) (expected: CSharpTensor[]) (actual: CSharpTensor[]) =
        if expected.Length <> actual.Length then
            invalidArg what $"{operation}: {expected.Length} inputs but {actual.Length} {what}"
        for i in 0 .. expected.Length - 1 do
            if expected[i].Shape <> actual[i].Shape then
                invalidArg what $"{operation}: input {i} has shape {expected[i].Shape} but its {what} has shape {actual[i].Shape}"

    /// <summary>f at the inputs, and the vector-Jacobian products Jᵢᵀu for every input i, from one reverse pass.</summary>
    [<CompiledName("ValueAndVectorJacobianProducts")>]
    let valueAndVjpMany (f: CSharpTensor[] -> CSharpTensor) (inputs: CSharpTensor[]) (u: CSharpTensor) : CSharpTensor * CSharpTensor[] =
        use _ = recording ()
        let leaves = inputs |> Array.map leaf
        let y = f leaves
        if u.Shape <> y.Shape then invalidArg "u" $"vjp: u has shape {u.Shape} but f returns shape {y.Shape}"
        if y.RequiresGrad then y.Backward(u)
        y.Detach(), leaves |> Array.map gradientOrZeros

    /// <summary>The vector-Jacobian products Jᵢᵀu for every input i (zeros for inputs f does not depend on).</summary>
    [<CompiledName("VectorJacobianProducts")>]
    let vjpMany (f: CSharpTensor[] -> CSharpTensor) (inputs: CSharpTensor[]) (u: CSharpTensor) : CSharpTensor[] = snd (valueAndVjpMany f inputs u)

    /// <summary>
    /// Jᵀu of f at x, with the backward pass recorded on the tape (<c>createGraph</c>) as a function of u, so it can be
    /// differentiated again with respect to u; x is held constant. GradCheck uses it to check the ops that only appear in
    /// backward passes (e.g. narrow_backward, the VJP of narrow).
    /// </summary>
    [<CompiledName("RecordedVectorJacobianProduct")>]
    let vjpRecorded (f: CSharpTensor -> CSharpTensor) (x: CSharpTensor) (u: CSharpTensor) : CSharpTensor =
        use _ = recording ()
        let input = leaf x
        let y = f input
        if u.Shape <> y.Shape then invalidArg "u" $"vjp: u has shape {u.Shape} but f returns shape {y.Shape}"
        if not y.RequiresGrad then CSharpTensor.ZerosLike x
        else
            y.Backward(u, createGraph = true)
            gradientOrZeros input

    /// <summary>
    /// As <c>vjpRecorded</c>, for an f that also reads other tensors (<paramref name="others"/>, e.g. a weight under test that
    /// requires grad): the recorded Jᵀu is then a function of u and of them, and the gradient the inner backward pass leaves on
    /// them is cleared, so a later backward pass through the result sees only its own. Checks a backward op in all its inputs.
    /// </summary>
    [<CompiledName("RecordedVectorJacobianProductWith")>]
    let vjpRecordedWith (others: CSharpTensor[]) (f: CSharpTensor -> CSharpTensor) (x: CSharpTensor) (u: CSharpTensor) : CSharpTensor =
        let result = vjpRecorded f x u
        for other in others do other.ZeroGrad()
        result

    /// <summary>The vector-Jacobian product Jᵀu of f at x.</summary>
    [<CompiledName("VectorJacobianProduct")>]
    let vjp (f: CSharpTensor -> CSharpTensor) (x: CSharpTensor) (u: CSharpTensor) : CSharpTensor = (vjpMany (fun xs -> f xs[0]) [| x |] u)[0]

    /// <summary>The value of a scalar function and its gradient with respect to every input.</summary>
    [<CompiledName("ValueAndGradients")>]
    let valueAndGradMany (f: CSharpTensor[] -> CSharpTensor) (inputs: CSharpTensor[]) : CSharpTensor * CSharpTensor[] =
        use _ = recording ()
        let leaves = inputs |> Array.map leaf
        let y = f leaves
        requireScalar "grad" y
        if y.RequiresGrad then y.Backward()
        y.Detach(), leaves |> Array.map gradientOrZeros

    /// <summary>The gradient of a scalar function with respect to every input.</summary>
    [<CompiledName("Gradients")>]
    let gradMany (f: CSharpTensor[] -> CSharpTensor) (inputs: CSharpTensor[]) : CSharpTensor[] = snd (valueAndGradMany f inputs)

    /// <summary>The value of a scalar function and its gradient.</summary>
    [<CompiledName("ValueAndGradient")>]
    let valueAndGrad (f: CSharpTensor -> CSharpTensor) (x: CSharpTensor) : CSharpTensor * CSharpTensor =
        let value, gradients = valueAndGradMany (fun xs -> f xs[0]) [| x |]
        value, gradients[0]

    /// <summary>The gradient ∇f(x) of a scalar function.</summary>
    [<CompiledName("Gradient")>]
    let grad (f: CSharpTensor -> CSharpTensor) (x: CSharpTensor) : CSharpTensor = snd (valueAndGrad f x)

    /// <summary>The directional derivative ⟨∇f(x), v⟩ of a scalar function.</summary>
    [<CompiledName("GradientVectorProduct")>]
    let gradv (f: CSharpTensor -> CSharpTensor) (x: CSharpTensor) (v: CSharpTensor) : float =
        Seq.zip ((grad f x).ToDoubleArray()) (v.ToDoubleArray()) |> Seq.sumBy (fun (g, d) -> g * d)

    /// <summary>
    /// The Jacobian-vector product Σᵢ Jᵢ·vᵢ (the derivative of f along the directions) on the C# tape, by reverse over reverse
    /// (the F# forward-mode engine's counterpart is <c>Forward.jvpMany</c>):
    /// Jᵀu is recorded as a (linear) function of u, and J·v is the gradient of ⟨Jᵀu, v⟩ with respect to u.
    /// </summary>
    [<CompiledName("JacobianVectorProduct")>]
    let jvpManyByReverseOverReverse (f: CSharpTensor[] -> CSharpTensor) (inputs: CSharpTensor[]) (directions: CSharpTensor[]) : CSharpTensor =
        use _ = recording ()
        requireShapes "jvp" "directions" inputs directions
        let leaves = inputs |> Array.map leaf
        let y = f leaves
        if not y.RequiresGrad then CSharpTensor.ZerosLike y
        else
            let u = CSharpTensor.ZerosLike(y).SetRequiresGrad()
            y.Backward(u, createGraph = true)
            let terms =
                Array.zip leaves directions
                |> Array.choose (fun (x, v) -> match x.Grad with null -> None | gradient -> Some((gradient * v).Sum()))
            if terms.Length = 0 then CSharpTensor.ZerosLike y
            else
                let total = Array.reduce (+) terms
                if total.RequiresGrad then total.Backward()
                gradientOrZeros u

    /// <summary>The Jacobian-vector product J·v of f at x (see <c>jvpManyByReverseOverReverse</c>).</summary>
    [<CompiledName("JacobianVectorProduct")>]
    let jvp (f: CSharpTensor -> CSharpTensor) (x: CSharpTensor) (v: CSharpTensor) : CSharpTensor = jvpManyByReverseOverReverse (fun xs -> f xs[0]) [| x |] [| v |]

    /// <summary>
    /// The Jacobian of f with respect to every input, each of shape (output shape @ input shape), built row by row
    /// from one reverse pass per output element.
    /// </summary>
    [<CompiledName("Jacobians")>]
    let jacobianMany (f: CSharpTensor[] -> CSharpTensor) (inputs: CSharpTensor[]) : CSharpTensor[] =
        use _ = recording ()
        let leaves = inputs |> Array.map leaf
        let y = f leaves
        let outputs = y.ElementCount
        let rows = inputs |> Array.map (fun x -> Array.zeroCreate<float> (outputs * x.ElementCount))
        if y.RequiresGrad then
            for k in 0 .. outputs - 1 do
                let unit = Array.zeroCreate<float> outputs
                unit[k] <- 1.0
                for x in leaves do x.ZeroGrad()
                y.Backward(CSharpTensor.FromArray(unit, y.Shape, y.DType), retainGraph = true)
                leaves |> Array.iteri (fun i x ->
                    match x.Grad with
                    | null -> ()
                    | gradient -> Array.blit (gradient.ToDoubleArray()) 0 rows[i] (k * x.ElementCount) x.ElementCount)
        inputs |> Array.mapi (fun i x -> CSharpTensor.FromArray(rows[i], Shape(Array.append (y.Shape.ToArray()) (x.Shape.ToArray())), x.DType))

    /// <summary>The Jacobian of f at x, of shape (output shape @ input shape).</summary>
    [<CompiledName("Jacobian")>]
    let jacobian (f: CSharpTensor -> CSharpTensor) (x: CSharpTensor) : CSharpTensor = (jacobianMany (fun xs -> f xs[0]) [| x |])[0]

    /// <summary>
    /// The Hessian-vector product H·v of a scalar function, by reverse over reverse: the gradient g is recorded with
    /// <c>Backward(createGraph = true)</c>, then ⟨g, v⟩ is differentiated again.
    /// </summary>
    [<CompiledName("HessianVectorProduct")>]
    let hessianv (f: CSharpTensor -> CSharpTensor) (x: CSharpTensor) (v: CSharpTensor) : CSharpTensor =
        use _ = recording ()
        if v.Shape <> x.Shape then invalidArg "v" $"hessianv: x has shape {x.Shape} but v has shape {v.Shape}"
        let input = leaf x
        let y = f input
        requireScalar "hessianv" y
        if not y.RequiresGrad then CSharpTensor.ZerosLike x
        else
            y.Backward(createGraph = true)
            match input.Grad with
            | null -> CSharpTensor.ZerosLike x
            | gradient ->
                input.Grad <- null
                let directional = (gradient * v).Sum()
                if directional.RequiresGrad then directional.Backward()
                gradientOrZeros input

    /// <summary>The Hessian of a scalar function, of shape (x shape @ x shape), one Hessian-vector product per column.</summary>
    [<CompiledName("Hessian")>]
    let hessian (f: CSharpTensor -> CSharpTensor) (x: CSharpTensor) : CSharpTensor =
        let n = x.ElementCount
        let columns =
            Array.init n (fun j ->
                let unit = Array.zeroCreate<float> n
                unit[j] <- 1.0
                (hessianv f x (CSharpTensor.FromArray(unit, x.Shape, x.DType))).ToDoubleArray())
        let values = Array.init (n * n) (fun k -> columns[k % n][k / n])
        CSharpTensor.FromArray(values, Shape(Array.append (x.Shape.ToArray()) (x.Shape.ToArray())), x.DType)
