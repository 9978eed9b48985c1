namespace AutoDiffRnn.FSharp

/// <summary>
/// Forward-mode differentiation with the <see cref="T:AutoDiffRnn.FSharp.Dual"/> engine: seed the inputs' tangents with a
/// direction, run the function once, read J·v off the output's tangent. Independent of the C# tape.
/// </summary>
[<RequireQualifiedAccess>]
module Forward =

    /// <summary>
    /// f's output, whose tangent is the Jacobian-vector product J·v, where input i's tangent is seeded with directions[i]
    /// (the inputs' own tangents are ignored).
    /// </summary>
    [<CompiledName("JacobianVectorProduct")>]
    let jvpMany (f: Dual[] -> Dual) (inputs: Dual[]) (directions: float[][]) : Dual =
        if directions.Length <> inputs.Length then
            invalidArg "directions" $"jvp: {inputs.Length} inputs but {directions.Length} directions"
        Array.map2 Dual.withTangent directions inputs |> f

    /// <summary>f(x) with tangent J·v: the derivative of f at x along v.</summary>
    [<CompiledName("JacobianVectorProduct")>]
    let jvp (f: Dual -> Dual) (x: Dual) (direction: float[]) : Dual =
        jvpMany (fun xs -> f xs[0]) [| x |] [| direction |]

    /// <summary>The derivative f'(x) of a function from a scalar to a scalar.</summary>
    [<CompiledName("Derivative")>]
    let diff (f: Dual -> Dual) (x: float) : float =
        let y = jvp f (Dual.scalar x) [| 1.0 |]
        if y.Count <> 1 then
            invalidArg "f" $"diff: f must return a single element, got shape {Layout.show y.Shape}; use Forward.jacobian"
        y.Tangent[0]

    /// <summary>
    /// The Jacobian of f with respect to each input, as a matrix with one row per output element and one column per
    /// element of that input, built column by column (one forward pass per input element).
    /// </summary>
    [<CompiledName("Jacobians")>]
    let jacobians (f: Dual[] -> Dual) (inputs: Dual[]) : float[,][] =
        let outputCount = lazy ((jvpMany f inputs (inputs |> Array.map (fun x -> Array.zeroCreate x.Count))).Count)
        inputs
        |> Array.mapi (fun i x ->
            let columns =
                Array.init x.Count (fun j ->
                    let directions =
                        inputs |> Array.mapi (fun k other -> Array.init other.Count (fun l -> if k = i && l = j then 1.0 else 0.0))
                    (jvpMany f inputs directions).Tangent)
            let rows = if columns.Length = 0 then outputCount.Value else columns[0].Length
            Array2D.init rows x.Count (fun row column -> columns[column][row]))

    /// <summary>The Jacobian of f at x: one row per output element, one column per input element.</summary>
    [<CompiledName("Jacobian")>]
    let jacobian (f: Dual -> Dual) (x: Dual) : float[,] = (jacobians (fun xs -> f xs[0]) [| x |])[0]
