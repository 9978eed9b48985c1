namespace AutoDiffRnn.FSharp

open System
open System.Collections.Generic
open System.Globalization
open System.Text
open AutoDiffRnn
open AutoDiffRnn.Autodiff

/// <summary>How close each comparison must be. Errors are measured per element as |a − b| / max(1, |a|, |b|)
/// (relative above 1, absolute below, as in JAX's check_grads), except the dot-product identity (see <see cref="T:AutoDiffRnn.FSharp.Check"/>).</summary>
[<NoComparison>]
type GradCheckTolerances =
    {
      /// <summary>The function's values on the tape and in the oracle.</summary>
      Value: float
      /// <summary>Analytic derivatives against central finite differences.</summary>
      FiniteDifferences: float
      /// <summary>The identity ⟨u, J·v⟩ = ⟨Jᵀu, v⟩.</summary>
      DotProduct: float
      /// <summary>Full Jacobians, and reverse-mode products of two engines, against each other.</summary>
      Jacobian: float }

    /// <summary>Values 1e-12, finite differences 1e-6, dot product 1e-12, Jacobians 1e-10.</summary>
    static member Default = { Value = 1e-12; FiniteDifferences = 1e-6; DotProduct = 1e-12; Jacobian = 1e-10 }

/// <summary>How GradCheck runs.</summary>
[<NoComparison>]
type GradCheckOptions =
    {
      /// <summary>The pass thresholds.</summary>
      Tolerances: GradCheckTolerances
      /// <summary>The central finite-difference step (default 2⁻¹⁷ ≈ 7.6e-6, a power of two so that x ± h is exact more often).</summary>
      Step: float
      /// <summary>The seed of the random directions u and v.</summary>
      Seed: uint64
      /// <summary>How many random pairs (u, v) the products are checked with.</summary>
      Trials: int
      /// <summary>Full Jacobians are compared when (output elements) × (input elements) is at most this.</summary>
      JacobianLimit: int }

    /// <summary>Default tolerances, step 2⁻¹⁷, seed 20240601, two trials, Jacobians up to 4096 entries.</summary>
    static member Default =
        { Tolerances = GradCheckTolerances.Default; Step = 1.0 / 131072.0; Seed = 20240601UL; Trials = 2; JacobianLimit = 4096 }

/// <summary>
/// One function to check: the C# formulation (on the tape, reverse mode), the inputs (float64), and the oracles that
/// compute the same function another way (e.g. <c>Oracle.forward</c> with a reference written on duals).
/// </summary>
[<NoEquality; NoComparison; StructuredFormatDisplay("{Description}")>]
type GradCase =
    {
      /// <summary>The name shown in the report.</summary>
      Name: string
      /// <summary>The function on C# tensors, differentiated by the tape.</summary>
      Function: Tensor[] -> Tensor
      /// <summary>The float64 point at which it is checked.</summary>
      Inputs: Tensor[]
      /// <summary>Other engines computing the same function; with none, only finite differences are checked.</summary>
      Oracles: Oracle list
      /// <summary>
      /// When true, the random directions are drawn on a grid that float32 represents exactly (multiples of 1/64 in
      /// [−4, 4]) and the finite-difference step is 2⁻¹⁰, so a float32 round trip inside the function loses nothing;
      /// the inputs must lie on that grid too.
      /// </summary>
      Float32Grid: bool }

    /// <summary>The name, the inputs and the oracles' names, for messages (e.g. FsCheck counterexamples).</summary>
    member this.Description =
        let inputs = this.Inputs |> Array.map string |> String.concat "; "
        let oracles = this.Oracles |> List.map (fun oracle -> oracle.Name) |> String.concat ", "
        $"{this.Name} at [{inputs}] against [{oracles}]"

    /// <summary>See <c>Description</c>.</summary>
    override this.ToString() = this.Description

/// <summary>The kinds of comparison GradCheck makes.</summary>
type Check =
    /// <summary>The oracle's value of the function against the tape's forward pass.</summary>
    | Values
    /// <summary>(a) The tape's Jᵀu against central finite differences of ⟨u, f(x)⟩, element by element.</summary>
    | ReverseVsFiniteDifferences
    /// <summary>The oracle's J·v against central finite differences of its own values along v (it checks the oracle).</summary>
    | ForwardVsFiniteDifferences
    /// <summary>
    /// (b) ⟨u, J·v⟩ with J·v from the oracle against ⟨Jᵀu, v⟩ with Jᵀu from the tape. The error is relative to the sum of
    /// the magnitudes of the terms of either dot product (the scale of its rounding error).
    /// </summary>
    | DotProduct
    /// <summary>The tape's Jᵀu against an oracle's own reverse mode.</summary>
    | ReverseVsOracle
    /// <summary>(c) The full Jacobian from the tape (row by row) against the oracle's (column by column).</summary>
    | Jacobians

    /// <summary>The name shown in reports.</summary>
    member this.Description =
        match this with
        | Values -> "value"
        | ReverseVsFiniteDifferences -> "reverse (tape) vs finite differences"
        | ForwardVsFiniteDifferences -> "forward (oracle) vs finite differences"
        | DotProduct -> "dot product <u,Jv> = <J^T u,v>"
        | ReverseVsOracle -> "reverse (tape) vs reverse (oracle)"
        | Jacobians -> "Jacobian (tape) vs Jacobian (oracle)"

/// <summary>One comparison of a report: the largest errors found, and whether they are within tolerance.</summary>
[<NoComparison>]
type Comparison =
    {
      /// <summary>What was compared.</summary>
      Check: Check
      /// <summary>
      /// The other side: "finite differences", or the oracle's name (for ForwardVsFiniteDifferences, the oracle whose J·v
      /// was compared with finite differences of its own values).
      /// </summary>
      Against: string
      /// <summary>The input the comparison is about, or None for the output's values.</summary>
      Input: int option
      /// <summary>The shape of that input (or of the output).</summary>
      Shape: int[]
      /// <summary>The largest absolute difference.</summary>
      MaxAbsError: float
      /// <summary>The largest relative difference (see <see cref="T:AutoDiffRnn.FSharp.GradCheckTolerances"/>).</summary>
      MaxRelError: float
      /// <summary>The threshold MaxRelError must not exceed.</summary>
      Tolerance: float }

    /// <summary>True when the relative error is within tolerance (NaN fails).</summary>
    member this.Passed = this.MaxRelError <= this.Tolerance

    /// <summary>The input index, or −1 for a comparison of the output's values (for C#).</summary>
    member this.InputIndex = defaultArg this.Input -1

/// <summary>The outcome of checking one function: every comparison made, and the operations its tape recorded.</summary>
[<NoComparison>]
type GradCheckReport =
    {
      /// <summary>The case's name.</summary>
      Name: string
      /// <summary>The shapes of the inputs.</summary>
      InputShapes: int[][]
      /// <summary>The shape of the output.</summary>
      OutputShape: int[]
      /// <summary>The names of the operations recorded on the tape by the function (sorted, distinct).</summary>
      Operations: string list
      /// <summary>Every comparison, in check order.</summary>
      Comparisons: Comparison list }

    /// <summary>True when every comparison passed.</summary>
    member this.Passed = this.Comparisons |> List.forall (fun comparison -> comparison.Passed)

    /// <summary>The comparisons that failed.</summary>
    member this.Failures = this.Comparisons |> List.filter (fun comparison -> not comparison.Passed)

    /// <summary>The report as a readable table, one row per comparison.</summary>
    member this.ToTable() =
        let number (value: float) = value.ToString("0.00e+00", CultureInfo.InvariantCulture)
        let header = [| "check"; "against"; "input"; "shape"; "max abs err"; "max rel err"; "tolerance"; "result" |]
        let rows =
            this.Comparisons
            |> List.map (fun c ->
                [| c.Check.Description; c.Against; (match c.Input with Some i -> string i | None -> "out"); Layout.show c.Shape
                   number c.MaxAbsError; number c.MaxRelError; number c.Tolerance; (if c.Passed then "pass" else "FAIL") |])
        let all = header :: rows
        let widths = Array.init header.Length (fun column -> all |> List.map (fun row -> row[column].Length) |> List.max)
        let line (row: string[]) = "  " + String.Join("  ", row |> Array.mapi (fun column cell -> cell.PadRight widths[column])).TrimEnd()
        let text = StringBuilder()
        let failures = this.Failures.Length
        text.AppendLine(
            $"gradcheck {this.Name}: " + (if failures = 0 then $"passed ({this.Comparisons.Length} checks)"
                                          else $"FAILED ({failures} of {this.Comparisons.Length} checks)")) |> ignore
        let inputs = String.Join(", ", this.InputShapes |> Array.map Layout.show)
        let operations = if this.Operations.IsEmpty then "(none)" else String.Join(", ", this.Operations)
        text.AppendLine($"  inputs {inputs} -> output {Layout.show this.OutputShape}; recorded operations: {operations}") |> ignore
        for row in all do text.AppendLine(line row) |> ignore
        text.ToString().TrimEnd()

    /// <summary>The table (see <c>ToTable</c>).</summary>
    override this.ToString() = this.ToTable()

    /// <summary>Throws an exception carrying the table unless every comparison passed; returns the report otherwise.</summary>
    member this.EnsurePassed() =
        if not this.Passed then raise (InvalidOperationException(this.ToTable()))
        this

/// <summary>Building cases.</summary>
[<RequireQualifiedAccess; CompilationRepresentation(CompilationRepresentationFlags.ModuleSuffix)>]
module GradCase =

    /// <summary>
    /// A case checked against finite differences and against the F# forward-mode engine running the reference function:
    /// <c>GradCase.create "tanh" (fun x -> x[0].Tanh()) (fun x -> Dual.tanh x[0]) [| input |]</c>.
    /// </summary>
    let create (name: string) (csharp: Tensor[] -> Tensor) (reference: Dual[] -> Dual) (inputs: Tensor[]) : GradCase =
        { Name = name; Function = csharp; Inputs = inputs; Oracles = [ Oracle.forward reference ]; Float32Grid = false }

    /// <summary>A case checked against finite differences only (no oracle).</summary>
    let ofFunction (name: string) (csharp: Tensor[] -> Tensor) (inputs: Tensor[]) : GradCase =
        { Name = name; Function = csharp; Inputs = inputs; Oracles = []; Float32Grid = false }

    /// <summary>The case with one more oracle.</summary>
    let withOracle (oracle: Oracle) (case: GradCase) = { case with Oracles = case.Oracles @ [ oracle ] }

type GradCase with
    /// <summary>A case checked against finite differences and the given oracles (for C#).</summary>
    static member Create(name: string, csharp: Func<Tensor[], Tensor>, inputs: Tensor[], [<ParamArray>] oracles: Oracle[]) =
        { GradCase.ofFunction name csharp.Invoke inputs with Oracles = List.ofArray oracles }

    /// <summary>A case checked against finite differences and the F# forward-mode engine running the reference (for C#).</summary>
    static member Create(name: string, csharp: Func<Tensor[], Tensor>, reference: Func<Dual[], Dual>, inputs: Tensor[]) =
        GradCase.create name csharp.Invoke reference.Invoke inputs

/// <summary>
/// The numerical pieces of gradient checking, shared by GradCheck and the test helpers: central finite differences, element by
/// element, and the per-element error measure of <see cref="T:AutoDiffRnn.FSharp.GradCheckTolerances"/>.
/// </summary>
[<RequireQualifiedAccess>]
module FiniteDifferences =

    /// <summary>
    /// ∂objective/∂xⱼ for every j by central differences (objective(x + h eⱼ) − objective(x − h eⱼ)) / 2h. The objective is
    /// called with x perturbed in element j (the index is passed too, for callers that write the perturbed element elsewhere);
    /// x holds its original values again on return.
    /// </summary>
    [<CompiledName("CentralCurried")>]
    let central (step: float) (x: float[]) (objective: int -> float[] -> float) : float[] =
        Array.init x.Length (fun j ->
            let original = x[j]
            x[j] <- original + step
            let plus = objective j x
            x[j] <- original - step
            let minus = objective j x
            x[j] <- original
            (plus - minus) / (2.0 * step))

    /// <summary>As <c>central</c>, with the objective as a delegate (for C#).</summary>
    [<CompiledName("Central")>]
    let centralOf (step: float) (x: float[]) (objective: Func<int, float[], float>) : float[] =
        central step x (fun j values -> objective.Invoke(j, values))

    /// <summary>
    /// The largest absolute difference and the largest relative difference |a − b| / max(1, |a|, |b|) over the elements
    /// (infinite when the lengths differ, NaN when a value is NaN).
    /// </summary>
    [<CompiledName("LargestErrors")>]
    let largestErrors (actual: float[]) (expected: float[]) =
        if actual.Length <> expected.Length then Double.PositiveInfinity, Double.PositiveInfinity
        else
            let mutable largestAbsolute = 0.0
            let mutable largestRelative = 0.0
            for k in 0 .. actual.Length - 1 do
                let difference = Math.Abs(actual[k] - expected[k])
                largestAbsolute <- Math.Max(largestAbsolute, difference)
                largestRelative <- Math.Max(largestRelative, difference / Math.Max(1.0, Math.Max(Math.Abs actual[k], Math.Abs expected[k])))
            largestAbsolute, largestRelative

/// <summary>
/// Gradient checking in float64: the C# tape's reverse mode against (a) central finite differences, (b) the dot-product
/// identity ⟨u, J·v⟩ = ⟨Jᵀu, v⟩ with J·v from an oracle (the F# forward-mode engine) and Jᵀu from the tape, for random
/// u and v, and (c) for small inputs, the full Jacobians of both; plus the oracle's values and its own J·v against
/// finite differences, so a disagreement shows which side is wrong.
/// </summary>
[<RequireQualifiedAccess>]
module GradCheck =

    let private dot (a: float[]) (b: float[]) = Array.fold2 (fun sum x y -> sum + x * y) 0.0 a b

    let private magnitude (a: float[]) (b: float[]) = Array.fold2 (fun sum (x: float) (y: float) -> sum + Math.Abs(x * y)) 0.0 a b

    let private finiteDifferences = "finite differences"

    /// <summary>The names of the operations recorded on the graph that produced a tensor (sorted, distinct).</summary>
    [<CompiledName("RecordedOperations")>]
    let recordedOperations (output: Tensor) : string list =
        let visited = HashSet<Node>(HashIdentity.Reference)
        let names = SortedSet<string>(StringComparer.Ordinal)
        let pending = Stack<Tensor>([ output ])
        while pending.Count > 0 do
            match pending.Pop().GradFn with
            | null -> ()
            | node ->
                if visited.Add node then
                    names.Add node.OperationName |> ignore
                    for input in node.Inputs do pending.Push input
        List.ofSeq names

    /// The point a case is checked at: its inputs, its output on the tape, the step and the draw of random directions.
    [<NoEquality; NoComparison>]
    type private Point =
        { Case: GradCase
          Inputs: Tensor[]
          Probe: Tensor
          Output: float[]
          Step: float
          Draw: Shape -> Tensor }

        member this.Shape(i: int) = this.Inputs[i].Shape.ToArray()

        /// The inputs with input i replaced by the values.
        member this.Replaced (i: int) (values: float[]) =
            this.Inputs |> Array.mapi (fun k x -> if k = i then Tensor.FromArray(Array.copy values, Nullable x.Shape) else x)

        /// The function's values at the inputs, off the tape.
        member this.Evaluate(xs: Tensor[]) = using (GradMode.NoGrad()) (fun _ -> (this.Case.Function xs).ToDoubleArray())

    let private validate (case: GradCase) =
        if case.Inputs.Length = 0 then invalidArg "case" $"gradcheck {case.Name}: the function needs at least one input"
        case.Inputs
        |> Array.iteri (fun i x ->
            if x.DType <> DType.Float64 then
                invalidArg "case" $"gradcheck {case.Name}: input {i} {x.Shape} is float32; checks run in float64 (convert with .To(DType.Float64))")

    let private pointOf (options: GradCheckOptions) (case: GradCase) : Point =
        validate case
        let inputs = case.Inputs |> Array.map (fun x -> x.Detach())
        let probe = inputs |> Array.map (fun x -> x.Detach().SetRequiresGrad()) |> case.Function
        if probe.DType <> DType.Float64 then
            invalidArg "case" $"gradcheck {case.Name}: the function returns float32 {probe.Shape}; checks run in float64"
        let generator = Generator(options.Seed)
        let draw (shape: Shape) =
            if case.Float32Grid then
                Tensor.FromArray(Array.init shape.ElementCount (fun _ -> float (generator.NextInt 513 - 256) / 64.0), Nullable shape)
            else Tensor.Normal(shape, 0.0, 1.0, DType.Float64, generator)
        { Case = case; Inputs = inputs; Probe = probe; Output = probe.ToDoubleArray()
          Step = (if case.Float32Grid then 1.0 / 1024.0 else options.Step); Draw = draw }

    /// The worst result over the trials for every (check, against, input).
    type private Results() =
        let results = Dictionary<struct (Check * string * int), Comparison>()

        member _.Record (check: Check) (against: string) (input: int option) (shape: int[]) (absolute: float, relative: float) (tolerance: float) =
            let comparison =
                { Check = check; Against = against; Input = input; Shape = shape
                  MaxAbsError = absolute; MaxRelError = relative; Tolerance = tolerance }
            let key = struct (check, against, defaultArg input -1)
            match results.TryGetValue key with
            | true, previous when not (Double.IsNaN relative) && (Double.IsNaN previous.MaxRelError || previous.MaxRelError >= relative) -> ()
            | _ -> results[key] <- comparison

        /// Every comparison in check order.
        member _.Sorted() =
            let order (comparison: Comparison) =
                let rank =
                    match comparison.Check with
                    | Values -> 0 | ReverseVsFiniteDifferences -> 1 | ForwardVsFiniteDifferences -> 2
                    | DotProduct -> 3 | ReverseVsOracle -> 4 | Jacobians -> 5
                rank, comparison.Against, defaultArg comparison.Input -1
            results.Values |> List.ofSeq |> List.sortBy order

    /// (a) The tape's Jᵀu against central finite differences of ⟨u, f(x)⟩, element by element, for every input.
    let private reverseAgainstFiniteDifferences (point: Point) (tolerance: float) (u: float[]) (reverse: float[][]) (results: Results) =
        for i in 0 .. point.Inputs.Length - 1 do
            let numeric = FiniteDifferences.central point.Step (point.Inputs[i].ToDoubleArray()) (fun _ x -> dot u (point.Evaluate(point.Replaced i x)))
            results.Record ReverseVsFiniteDifferences finiteDifferences (Some i) (point.Shape i) (FiniteDifferences.largestErrors reverse[i] numeric) tolerance

    /// The oracle's values against the tape's forward pass.
    let private oracleValues (point: Point) (tolerance: float) (oracle: Oracle) (results: Results) =
        let theirs = oracle.Value point.Inputs
        let errors =
            if theirs.Shape <> point.Probe.Shape then Double.PositiveInfinity, Double.PositiveInfinity
            else FiniteDifferences.largestErrors point.Output (theirs.ToDoubleArray())
        results.Record Values oracle.Name None (point.Probe.Shape.ToArray()) errors tolerance

    /// The oracle's J·v along the direction of input i alone (NaN when its shape is not the output's).
    let private oracleJv (point: Point) (jacobianVectorProduct: Tensor[] -> Tensor[] -> Tensor) (i: int) (direction: Tensor) =
        let only = point.Inputs |> Array.mapi (fun k x -> if k = i then direction else Tensor.ZerosLike x)
        let product = jacobianVectorProduct point.Inputs only
        if product.Shape = point.Probe.Shape then product.ToDoubleArray() else Array.create point.Output.Length nan

    /// The oracle's J·v against central differences of its own values along v (it checks the oracle).
    let private forwardAgainstFiniteDifferences (point: Point) (tolerance: float) (oracle: Oracle) (i: int) (v: float[]) (jv: float[]) (results: Results) =
        let moved (sign: float) =
            let x = point.Inputs[i].ToDoubleArray()
            (oracle.Value (point.Replaced i (Array.map2 (fun value d -> value + sign * point.Step * d) x v))).ToDoubleArray()
        let plus, minus = moved 1.0, moved -1.0
        let numeric = if plus.Length <> minus.Length then [||] else Array.map2 (fun p m -> (p - m) / (2.0 * point.Step)) plus minus
        results.Record ForwardVsFiniteDifferences oracle.Name (Some i) (point.Shape i) (FiniteDifferences.largestErrors jv numeric) tolerance

    /// (b) ⟨u, J·v⟩ (the oracle's J·v) against ⟨Jᵀu, v⟩ (the tape's Jᵀu), relative to the magnitudes of the terms.
    let private dotProductIdentity (point: Point) (tolerance: float) (oracle: Oracle) (i: int) (u: float[]) (jv: float[]) (reverse: float[]) (v: float[]) (results: Results) =
        let forwardSide, reverseSide = dot u jv, dot reverse v
        let scale = Math.Max(magnitude u jv, magnitude reverse v)
        let difference = Math.Abs(forwardSide - reverseSide)
        let relative = if difference = 0.0 then 0.0 else difference / scale
        results.Record DotProduct oracle.Name (Some i) (point.Shape i) (difference, relative) tolerance

    /// The tape's Jᵀu against the oracle's own reverse mode.
    let private reverseAgainstOracle (point: Point) (tolerance: float) (oracle: Oracle) (u: Tensor) (reverse: float[][]) (results: Results) =
        match oracle.VectorJacobianProduct with
        | None -> ()
        | Some vectorJacobianProduct ->
            let theirs = vectorJacobianProduct point.Inputs u
            for i in 0 .. point.Inputs.Length - 1 do
                let errors =
                    if i >= theirs.Length then Double.PositiveInfinity, Double.PositiveInfinity
                    else FiniteDifferences.largestErrors reverse[i] (theirs[i].ToDoubleArray())
                results.Record ReverseVsOracle oracle.Name (Some i) (point.Shape i) errors tolerance

    /// One trial: random u and v; finite differences and the oracles' values on the first trial only.
    let private trial (options: GradCheckOptions) (point: Point) (first: bool) (results: Results) =
        let tolerances = options.Tolerances
        let u = point.Draw point.Probe.Shape
        let uValues = u.ToDoubleArray()
        let directions = point.Inputs |> Array.map (fun x -> point.Draw x.Shape)
        let reverse = Diff.vjpMany point.Case.Function point.Inputs u |> Array.map (fun g -> g.ToDoubleArray())
        if first then reverseAgainstFiniteDifferences point tolerances.FiniteDifferences uValues reverse results
        for oracle in point.Case.Oracles do
            if first then oracleValues point tolerances.Value oracle results
            match oracle.JacobianVectorProduct with
            | None -> ()
            | Some jacobianVectorProduct ->
                for i in 0 .. point.Inputs.Length - 1 do
                    let v = directions[i].ToDoubleArray()
                    let jv = oracleJv point jacobianVectorProduct i directions[i]
                    if first then forwardAgainstFiniteDifferences point tolerances.FiniteDifferences oracle i v jv results
                    dotProductIdentity point tolerances.DotProduct oracle i uValues jv reverse[i] v results
            reverseAgainstOracle point tolerances.Jacobian oracle u reverse results

    let private unit (shape: Shape) (position: int) =
        let values = Array.zeroCreate shape.ElementCount
        values[position] <- 1.0
        Tensor.FromArray(values, Nullable shape)

    /// An oracle's full Jacobians, one per input, row-major (output × input): column by column from J·v, or row by row from Jᵀu.
    let private oracleJacobians (point: Point) (oracle: Oracle) : float[][] option =
        let outputs = point.Output.Length
        match oracle.JacobianVectorProduct, oracle.VectorJacobianProduct with
        | Some jacobianVectorProduct, _ ->
            point.Inputs
            |> Array.mapi (fun i x ->
                let columns = Array.init x.ElementCount (fun j -> oracleJv point jacobianVectorProduct i (unit x.Shape j))
                Array.init (outputs * x.ElementCount) (fun k -> columns[k % x.ElementCount][k / x.ElementCount]))
            |> Some
        | None, Some vectorJacobianProduct ->
            let rows = Array.init outputs (fun k -> vectorJacobianProduct point.Inputs (unit point.Probe.Shape k))
            point.Inputs |> Array.mapi (fun i _ -> Array.init outputs (fun k -> (rows[k][i]).ToDoubleArray()) |> Array.concat) |> Some
        | None, None -> None

    /// (c) The tape's full Jacobians (row by row) against every oracle's, when (output elements) × (input elements) is small.
    let private fullJacobians (options: GradCheckOptions) (point: Point) (results: Results) =
        let inputCount = point.Inputs |> Array.sumBy (fun x -> x.ElementCount)
        if not point.Case.Oracles.IsEmpty && point.Output.Length * inputCount <= options.JacobianLimit then
            let tape = Diff.jacobianMany point.Case.Function point.Inputs |> Array.map (fun jacobian -> jacobian.ToDoubleArray())
            for oracle in point.Case.Oracles do
                match oracleJacobians point oracle with
                | None -> ()
                | Some jacobians ->
                    for i in 0 .. point.Inputs.Length - 1 do
                        results.Record Jacobians oracle.Name (Some i) (point.Shape i) (FiniteDifferences.largestErrors tape[i] jacobians[i]) options.Tolerances.Jacobian

    /// <summary>Checks one case with the given options.</summary>
    [<CompiledName("CheckWith")>]
    let checkWith (options: GradCheckOptions) (case: GradCase) : GradCheckReport =
        let point = pointOf options case
        let results = Results()
        for k in 1 .. Math.Max(1, options.Trials) do trial options point (k = 1) results
        fullJacobians options point results
        { Name = case.Name
          InputShapes = point.Inputs |> Array.map (fun x -> x.Shape.ToArray())
          OutputShape = point.Probe.Shape.ToArray()
          Operations = recordedOperations point.Probe
          Comparisons = results.Sorted() }

    /// <summary>Checks one case with the default options (tolerances: dot product 1e-12, finite differences 1e-6).</summary>
    [<CompiledName("Check")>]
    let check (case: GradCase) : GradCheckReport = checkWith GradCheckOptions.Default case
