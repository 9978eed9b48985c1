namespace AutoDiffRnn.FSharp

open System
open AutoDiffRnn

/// <summary>
/// Where an op's tensor inputs are drawn from: a region where the op is smooth, so that central finite differences
/// (step 2⁻¹⁷) do not straddle a kink, a pole or a tie.
/// </summary>
type Domain =
    /// <summary>Uniform in [low, high).</summary>
    | Uniform of low: float * high: float
    /// <summary>Magnitudes uniform in [low, high) with random signs: away from a kink or pole at zero.</summary>
    | AwayFromZero of low: float * high: float
    /// <summary>Distinct values at least 0.3 apart, shuffled: no ties for max, min and max-pooling.</summary>
    | Distinct
    /// <summary>N(0, 1) draws.</summary>
    | Normal
    /// <summary>Multiples of 1/64 in [−4, 4], which float32 represents exactly (for round trips through float32).</summary>
    | Float32Exact

/// <summary>Seeded draws of shapes, axes and values for the rows of the op table (System.Random, so every suite replays a draw).</summary>
[<RequireQualifiedAccess>]
module Draw =

    /// <summary>The number of elements of a shape.</summary>
    let count (shape: int[]) = Array.fold (*) 1 shape

    /// <summary>A shape as "[2,3]".</summary>
    let show (shape: int[]) = Layout.show shape

    /// <summary>One of the choices.</summary>
    let pick (random: Random) (choices: 'T[]) = choices[random.Next choices.Length]

    /// <summary>A shape of rank in [minRank, maxRank] with sizes 1 to 4 (small: finite differences and Jacobians stay cheap).</summary>
    let shape (random: Random) (minRank: int) (maxRank: int) = Array.init (random.Next(minRank, maxRank + 1)) (fun _ -> random.Next(1, 5))

    let private gaussian (random: Random) =
        let u1 = 1.0 - random.NextDouble()
        let u2 = random.NextDouble()
        Math.Sqrt(-2.0 * Math.Log u1) * Math.Cos(2.0 * Math.PI * u2)

    /// <summary>n values from the domain.</summary>
    let values (random: Random) (domain: Domain) (n: int) : float[] =
        match domain with
        | Uniform(low, high) -> Array.init n (fun _ -> low + (high - low) * random.NextDouble())
        | AwayFromZero(low, high) -> Array.init n (fun _ -> (if random.Next 2 = 0 then -1.0 else 1.0) * (low + (high - low) * random.NextDouble()))
        | Distinct ->
            let values = Array.init n (fun k -> float (k - n / 2) * 0.37 + 0.05 * random.NextDouble())
            random.Shuffle values
            values
        | Normal -> Array.init n (fun _ -> gaussian random)
        | Float32Exact -> Array.init n (fun _ -> float (random.Next 513 - 256) / 64.0)

    /// <summary>A float64 tensor of the shape holding the values.</summary>
    let tensorOf (shape: int[]) (values: float[]) = Tensor.FromArray(values, Nullable(Shape(shape)))

    /// <summary>A float64 tensor of the shape with values from the domain.</summary>
    let tensor (random: Random) (domain: Domain) (shape: int[]) = tensorOf shape (values random domain (count shape))

    /// <summary>An axis of a shape of the given rank, negative half of the time.</summary>
    let axis (random: Random) (rank: int) = let a = random.Next rank in if random.Next 2 = 0 then a - rank else a

    /// <summary>A non-empty set of distinct axes of a shape of the given rank, negative half of the time.</summary>
    let axes (random: Random) (rank: int) =
        let order = Array.init rank id
        random.Shuffle order
        order[.. random.Next(rank)] |> Array.map (fun a -> if random.Next 2 = 0 then a - rank else a)

    /// <summary>A shape of rank 1 to 3, an axis of it (negative half of the time) whose size is at least minimum, and that axis normalized.</summary>
    let withAxis (random: Random) (minimum: int) =
        let drawn = shape random 1 3
        let normalized = random.Next drawn.Length
        let shape = Array.updateAt normalized (random.Next(minimum, 5)) drawn
        shape, (if random.Next 2 = 0 then normalized - shape.Length else normalized), normalized


/// <summary>One draw of a row: a label for reports, the op's other arguments (axes, constants, flags) and the float64 inputs.</summary>
type OpDraw<'Arguments> =
    {
      /// <summary>What was drawn, for reports: the op, the shapes, the arguments.</summary>
      Label: string
      /// <summary>The op's non-tensor arguments, which the C# call, the dual reference and the libtorch row all receive.</summary>
      Arguments: 'Arguments
      /// <summary>The tensor inputs (float64).</summary>
      Inputs: Tensor[] }

/// <summary>A drawn case of one row: the inputs with the C# call and the dual reference bound to the drawn arguments.</summary>
[<NoEquality; NoComparison>]
type OpSample =
    {
      /// <summary>The row's name.</summary>
      Row: string
      /// <summary>What was drawn, for reports.</summary>
      Label: string
      /// <summary>The op's other arguments, boxed: the libtorch row unboxes them (see <c>TorchRow</c> in AutoDiffRnn.FSharp.Torch).</summary>
      Arguments: objnull
      /// <summary>The float64 inputs.</summary>
      Inputs: Tensor[]
      /// <summary>The C# call on the tape.</summary>
      CSharp: Tensor[] -> Tensor
      /// <summary>The reference on duals (the F# forward-mode engine).</summary>
      Reference: Dual[] -> Dual
      /// <summary>True when the inputs lie on the float32 grid and GradCheck must probe on it (see <c>GradCase.Float32Grid</c>).</summary>
      Float32Grid: bool }

    /// <summary>The GradCheck case: the C# call against finite differences and the reference on duals.</summary>
    member this.GradCase : GradCase =
        { GradCase.create this.Label this.CSharp this.Reference this.Inputs with Float32Grid = this.Float32Grid }

/// <summary>
/// How the empty-tensor sweep meets a row. The sweep hands each call a leaf x with a zero-size dimension ([0], [2,0] or [0,3],
/// float32 or float64); since x holds no elements, a call may reshape it to any shape with a zero in it. The result must be empty
/// or (where a sum runs over nothing) zeros, and the backward pass must give x a gradient of its shape.
/// </summary>
[<NoEquality; NoComparison>]
type EmptyCases =
    /// <summary>Named calls of the op on x (each name says which form it calls: "axis 0", "tensor with scalar", …).</summary>
    | Calls of (string * (Tensor -> Tensor)) list
    /// <summary>The row is not swept, for the reason given (e.g. its op runs only in the backward pass of a swept row).</summary>
    | NotSwept of reason: string

/// <summary>One call of the empty-tensor sweep: the row, which form it calls, and the call on the empty leaf.</summary>
[<NoEquality; NoComparison>]
type EmptyCall =
    {
      /// <summary>The row's name.</summary>
      Row: string
      /// <summary>Which form the call makes ("axis 0", "tensor with scalar", …).</summary>
      Form: string
      /// <summary>The call on the empty leaf.</summary>
      Apply: Tensor -> Tensor }

/// <summary>
/// One row of the op table: an op (or a public form that records other ops, e.g. transpose records permute), how to draw its
/// inputs and arguments, its C# call and its reference on duals. Every suite draws its cases from the rows.
/// </summary>
[<NoEquality; NoComparison>]
type OpSpec =
    {
      /// <summary>The op's name as <c>AutoDiffRnn.Operations.Names</c> lists it, or the public form's name.</summary>
      Name: string
      /// <summary>The names of <c>Operations.Names</c> every drawn case records on the tape.</summary>
      Records: string list
      /// <summary>A seeded draw.</summary>
      Draw: Random -> OpSample
      /// <summary>How the empty-tensor sweep calls the row; None until the row says (the sweep fails naming such rows).</summary>
      Empty: EmptyCases option
      /// <summary>Fixed cases every suite checks besides the draws (e.g. a reduction over each axis of a [2,3,4] tensor).</summary>
      Fixed: unit -> GradCase list
      /// <summary>Inputs with known results: values at the op's edges, float32 against float64, gradients at kinks (see <c>ReferenceInput</c>).</summary>
      References: ReferenceInput list
      /// <summary>Calls that must throw, with the texts the message must contain (see <c>ErrorInput</c>).</summary>
      Errors: ErrorInput list }

/// <summary>Building rows.</summary>
[<RequireQualifiedAccess; CompilationRepresentation(CompilationRepresentationFlags.ModuleSuffix)>]
module OpSpec =

    /// <summary>
    /// A row from a draw of arguments and inputs, the C# call and the dual reference, both given the drawn arguments:
    /// <c>OpSpec.create "clamp" draw (fun (low, high) x -> x[0].Clamp(Option.toNullable low, Option.toNullable high)) (fun (low, high) x -> Dual.clamp low high x[0])</c>.
    /// </summary>
    let create (name: string) (draw: Random -> OpDraw<'Arguments>) (csharp: 'Arguments -> Tensor[] -> Tensor)
               (reference: 'Arguments -> Dual[] -> Dual) : OpSpec =
        { Name = name
          Records = [ name ]
          Draw =
            fun random ->
                let drawn = draw random
                { Row = name; Label = drawn.Label; Arguments = box drawn.Arguments; Inputs = drawn.Inputs
                  CSharp = csharp drawn.Arguments; Reference = reference drawn.Arguments; Float32Grid = false }
          Empty = None
          Fixed = fun () -> []
          References = []
          Errors = [] }

    /// <summary>The row with the names of the ops its cases record (when they are not just the row's name).</summary>
    let recording (records: string list) (spec: OpSpec) = { spec with Records = records }

    /// <summary>The row with the named calls the empty-tensor sweep makes on a leaf x with a zero-size dimension (see <c>EmptyCases</c>).</summary>
    let onEmpty (calls: (string * (Tensor -> Tensor)) list) (spec: OpSpec) = { spec with Empty = Some(Calls calls) }

    /// <summary>The row with fixed cases checked besides its draws.</summary>
    let withFixed (cases: unit -> GradCase list) (spec: OpSpec) = { spec with Fixed = cases }

    /// <summary>The row with reference inputs (known results at the op's edges) added to those it has.</summary>
    let withReferences (references: ReferenceInput list) (spec: OpSpec) = { spec with References = spec.References @ references }

    /// <summary>The row with error inputs (calls that must throw, naming the op) added to those it has.</summary>
    let withErrors (errors: ErrorInput list) (spec: OpSpec) = { spec with Errors = spec.Errors @ errors }

    /// <summary>The failures of the row's reference and error inputs, each naming the row (empty when all hold).</summary>
    [<CompiledName("ReferenceFailures")>]
    let referenceFailures (spec: OpSpec) : string list =
        (spec.References |> List.collect (OpReferences.check spec.Name))
        @ (spec.Errors |> List.choose (OpReferences.checkError spec.Name))

    /// <summary>The row left out of the empty-tensor sweep, for the reason given.</summary>
    let notSweptOnEmpty (reason: string) (spec: OpSpec) = { spec with Empty = Some(NotSwept reason) }

    /// <summary>The row with its cases probed on the float32 grid (inputs drawn from <c>Float32Exact</c>).</summary>
    let onFloat32Grid (spec: OpSpec) = { spec with Draw = fun random -> { spec.Draw random with Float32Grid = true } }

    /// <summary>
    /// An element-wise op of one tensor, no other arguments, on shapes of rank 0 to 3 with values from the domain (the empty-tensor
    /// sweep calls it on the empty leaf as it is).
    /// </summary>
    let unary (name: string) (domain: Domain) (csharp: Tensor -> Tensor) (reference: Dual -> Dual) =
        create name
            (fun random ->
                let shape = Draw.shape random 0 3
                { Label = $"{name} {Draw.show shape}"; Arguments = (); Inputs = [| Draw.tensor random domain shape |] })
            (fun () x -> csharp x[0]) (fun () x -> reference x[0])
        |> onEmpty [ name, csharp ]

    /// <summary>
    /// An op of one tensor with other arguments: <c>draw</c> gives the label, the arguments and the input's shape; the input's
    /// values come from the domain.
    /// </summary>
    let ofOne (name: string) (domain: Domain) (draw: Random -> string * 'Arguments * int[])
              (csharp: 'Arguments -> Tensor -> Tensor) (reference: 'Arguments -> Dual -> Dual) =
        create name
            (fun random ->
                let label, arguments, shape = draw random
                { Label = label; Arguments = arguments; Inputs = [| Draw.tensor random domain shape |] })
            (fun arguments x -> csharp arguments x[0]) (fun arguments x -> reference arguments x[0])

    /// <summary>The seed every suite uses for the row's fixed draws (stable across runs and machines).</summary>
    [<CompiledName("SeedOf")>]
    let seedOf (name: string) = name |> Seq.fold (fun hash c -> (hash * 31 + int c) &&& 0x3FFFFFFF) 17

/// <summary>How a binary op was called: tensor with tensor (broadcast), or with a scalar on either side.</summary>
type BinaryForm =
    /// <summary>a op b, both tensors.</summary>
    | TensorTensor
    /// <summary>a op s for a scalar s.</summary>
    | TensorScalar of float
    /// <summary>s op b for a scalar s.</summary>
    | ScalarTensor of float

/// <summary>Which axes a reduction runs over.</summary>
type Reduction =
    /// <summary>Every element, to a scalar.</summary>
    | All
    /// <summary>One axis (the int overload).</summary>
    | Axis of int * keepDim: bool
    /// <summary>Several axes.</summary>
    | Axes of int[] * keepDim: bool

    /// <summary>"over all", "axis 1 keepDim true", …</summary>
    override this.ToString() =
        match this with
        | All -> "over all"
        | Axis(axis, keep) -> $"axis {axis} keepDim {keep}"
        | Axes(axes, keep) -> $"axes {Draw.show axes} keepDim {keep}"

    /// <summary>The axes reduced over, for an input of the given rank.</summary>
    member this.AxesOf(rank: int) =
        match this with
        | All -> Array.init rank id, false
        | Axis(axis, keep) -> [| axis |], keep
        | Axes(axes, keep) -> axes, keep

/// <summary>Row builders for the shapes of call that many ops share.</summary>
[<RequireQualifiedAccess>]
module OpRows =

    /// The [2,3,4] input of the each-axis cases: distinct values (no ties) for a Distinct domain, else N(0, 1) draws (seed 7).
    let private eachAxisInput (domain: Domain) =
        match domain with
        | Distinct -> Draw.tensor (Random 7) Distinct [| 2; 3; 4 |]
        | _ -> Tensor.Normal(Shape(2, 3, 4), 0.0, 1.0, DType.Float64, Generator(7UL))

    /// <summary>
    /// A broadcasting binary op: tensor with tensor, tensor with scalar, scalar with tensor (C# overloads given), one reference;
    /// a drawn from <c>domainA</c>, b from <c>domainB</c>. The empty-tensor sweep calls each form.
    /// </summary>
    let binary (name: string) (tensorTensor: Tensor -> Tensor -> Tensor) (tensorScalar: Tensor -> float -> Tensor)
               (scalarTensor: float -> Tensor -> Tensor) (reference: Dual -> Dual -> Dual) (domainA: Domain) (domainB: Domain) =
        OpSpec.create name
            (fun random ->
                // each side broadcast from the full shape on its own: equal shapes, one side smaller, both (a column by a row), scalars
                let full = Draw.shape random 0 3
                let reduce () = (full |> Array.map (fun size -> if random.Next 3 = 0 then 1 else size))[random.Next(0, full.Length + 1) ..]
                let shapeA, shapeB = reduce (), reduce ()
                let a, b = Draw.tensor random domainA shapeA, Draw.tensor random domainB shapeB
                let scalarA, scalarB = (Draw.values random domainA 1)[0], (Draw.values random domainB 1)[0]
                match random.Next 4 with
                | 1 -> { Label = $"{name} {Draw.show shapeA} with scalar {scalarB}"; Arguments = TensorScalar scalarB; Inputs = [| a |] }
                | 2 -> { Label = $"{name} scalar {scalarA} with {Draw.show shapeB}"; Arguments = ScalarTensor scalarA; Inputs = [| b |] }
                | _ -> { Label = $"{name} {Draw.show shapeA} with {Draw.show shapeB}"; Arguments = TensorTensor; Inputs = [| a; b |] })
            (fun form x ->
                match form with
                | TensorScalar s -> tensorScalar x[0] s
                | ScalarTensor s -> scalarTensor s x[0]
                | TensorTensor -> tensorTensor x[0] x[1])
            (fun form x ->
                match form with
                | TensorScalar s -> reference x[0] (Dual.scalar s)
                | ScalarTensor s -> reference (Dual.scalar s) x[0]
                | TensorTensor -> reference x[0] x[1])
        |> OpSpec.onEmpty
            [ "tensor with tensor", (fun x -> tensorTensor x x)
              "tensor with a broadcast tensor", (fun x -> tensorTensor x (tensorScalar (x.Sum()) 2.0))
              "tensor with scalar", (fun x -> tensorScalar x 2.0)
              "scalar with tensor", (fun x -> scalarTensor 2.0 x) ]

    /// <summary>
    /// A reduction over all elements, one axis or several (C#: <c>all</c>, <c>axis</c>, <c>axes</c> overloads; reference over axes),
    /// on shapes of rank 0 to 3. The empty-tensor sweep calls each overload.
    /// </summary>
    let reduction (name: string) (all: Tensor -> Tensor) (axis: Tensor -> int -> bool -> Tensor) (axes: Tensor -> int[] -> bool -> Tensor)
                  (reference: int[] -> bool -> Dual -> Dual) (domain: Domain) =
        OpSpec.create name
            (fun random ->
                let shape = Draw.shape random 0 3
                let reduction =
                    if shape.Length = 0 then All
                    else
                        match random.Next 3 with
                        | 0 -> All
                        | 1 -> Axis(Draw.axis random shape.Length, random.Next 2 = 0)
                        | _ -> Axes(Draw.axes random shape.Length, random.Next 2 = 0)
                { Label = $"{name} {Draw.show shape} {reduction}"; Arguments = reduction; Inputs = [| Draw.tensor random domain shape |] })
            (fun reduction x ->
                match reduction with
                | All -> all x[0]
                | Axis(a, keep) -> axis x[0] a keep
                | Axes(a, keep) -> axes x[0] a keep)
            (fun reduction x -> let a, keep = reduction.AxesOf x[0].Rank in reference a keep x[0])
        |> OpSpec.onEmpty
            [ "over all", all
              "axis 0", (fun x -> axis x 0 false)
              "axis -1 keepDim", (fun x -> axis x -1 true)
              "axes [0]", (fun x -> axes x [| 0 |] false) ]
        |> OpSpec.withFixed (fun () ->
            let x = eachAxisInput domain
            [ for a in 0 .. 2 do
                for keep in [ true; false ] ->
                    GradCase.create $"{name} {x.Shape} axis {a} keepDim {keep}" (fun x -> axis x[0] a keep) (fun x -> reference [| a |] keep x[0]) [| x |] ])

    /// <summary>
    /// An op along one axis (softmax, log_softmax, logsumexp) of a tensor of rank 1 to 3, arguments (axis, keepDim; the op's own only
    /// when <c>takesKeepDim</c>); the empty-tensor sweep calls it along the last axis and the first, the fixed cases along each axis
    /// of a [2,3,4] tensor.
    /// </summary>
    let alongAxis (name: string) (takesKeepDim: bool) (csharp: Tensor -> int -> bool -> Tensor) (reference: int -> bool -> Dual -> Dual) =
        OpSpec.create name
            (fun random ->
                let shape = Draw.shape random 1 3
                let axis, keep = Draw.axis random shape.Length, random.Next 2 = 0
                { Label = $"{name} {Draw.show shape} axis {axis} keepDim {keep}"; Arguments = (axis, keep)
                  Inputs = [| Draw.tensor random (Uniform(-3.0, 3.0)) shape |] })
            (fun (axis, keep) x -> csharp x[0] axis keep) (fun (axis, keep) x -> reference axis keep x[0])
        |> OpSpec.onEmpty
            [ "axis -1", (fun x -> csharp x -1 false)
              "axis 0", (fun x -> csharp x 0 false)
              if takesKeepDim then ("axis 0 keepDim", (fun x -> csharp x 0 true)) ]
        |> OpSpec.withFixed (fun () ->
            let x = eachAxisInput Normal
            [ for a in 0 .. 2 do
                for keep in (if takesKeepDim then [ true; false ] else [ false ]) ->
                    let label = $"{name} {x.Shape} axis {a}" + (if takesKeepDim then $" keepDim {keep}" else "")
                    GradCase.create label (fun x -> csharp x[0] a keep) (fun x -> reference a keep x[0]) [| x |] ])
