namespace AutoDiffRnn.FSharp

open System
open AutoDiffRnn

/// <summary>How close a value must come to the expected one. NaN expects NaN and an infinity the same infinity, whatever the tolerance.</summary>
type Tolerance =
    /// <summary>Equal values.</summary>
    | Exact
    /// <summary>Absolutely where |expected| ≤ 1, relatively above: |expected − actual| ≤ t · max(1, |expected|).</summary>
    | Within of float
    /// <summary>Relatively: |expected − actual| ≤ t · |expected| (full relative accuracy for tiny values).</summary>
    | Relative of float

    /// <summary>True when the actual value meets the expected one.</summary>
    member this.Accepts(expected: float, actual: float) =
        if Double.IsNaN expected then Double.IsNaN actual
        elif Double.IsInfinity expected then expected = actual
        else
            match this with
            | Exact -> expected = actual
            | Within t -> abs (expected - actual) <= t * max 1.0 (abs expected)
            | Relative t -> abs (expected - actual) <= t * abs expected

    /// <summary>"exactly", "within 1e-15", "to 5e-13 relative".</summary>
    override this.ToString() =
        match this with
        | Exact -> "exactly"
        | Within t -> $"within {t}"
        | Relative t -> $"to {t} relative"

/// <summary>What a reference input expects of its call.</summary>
[<NoEquality; NoComparison>]
type Expected =
    /// <summary>The call's values, as many as given.</summary>
    | Values of float[]
    /// <summary>The call's shape and values.</summary>
    | ShapeAndValues of shape: int[] * values: float[]
    /// <summary>The values another computation gives on the same inputs, with the same shape (an identity: exp(a + b) = exp(a) · exp(b)).</summary>
    | SameAs of description: string * other: (Tensor[] -> Tensor)
    /// <summary>The gradient of the sum of the call's values with respect to each input, as many values as the input has.</summary>
    | Gradients of float[][]
    /// <summary>
    /// In float32 the values and the gradient (of the values weighted by N(0, 1) draws of seed 99) are float32, of the float64 shape,
    /// and within the tolerance of the float64 ones.
    /// </summary>
    | Float32MatchesFloat64

/// <summary>
/// A reference input of a row (PyTorch's OpInfo <c>reference_inputs</c>): inputs at an edge of the op (a threshold, an underflow, an
/// infinity, a tiny argument), a call and what it must give. The generated test runs every row's reference inputs.
/// </summary>
[<NoEquality; NoComparison>]
type ReferenceInput =
    {
      /// <summary>What the input shows ("above the threshold: x itself").</summary>
      Label: string
      /// <summary>The element type the inputs are converted to before the call (the result must have it too).</summary>
      DType: DType
      /// <summary>Makes the inputs (float64 values; converted to <c>DType</c>), anew for each run: no tensor is made before the
      /// check runs (a row's references are built with the table, which may happen inside a <c>TensorScope</c>).</summary>
      Inputs: unit -> Tensor[]
      /// <summary>The call of the op (with its arguments) on the inputs.</summary>
      Call: Tensor[] -> Tensor
      /// <summary>What the call must give.</summary>
      Expected: Expected
      /// <summary>How close.</summary>
      Tolerance: Tolerance }

/// <summary>
/// An error input of a row (PyTorch's OpInfo <c>error_inputs</c>): a call that must throw the exception type given, with a message
/// holding each of the texts given (the op's name, the shapes, the argument).
/// </summary>
[<NoEquality; NoComparison>]
type ErrorInput =
    {
      /// <summary>What is wrong with the call ("beta 0").</summary>
      Label: string
      /// <summary>The call (its result, if it returns, is dropped).</summary>
      Call: unit -> unit
      /// <summary>The exception type it must throw (exactly this type, not a subtype).</summary>
      Exception: Type
      /// <summary>Texts the message must contain.</summary>
      Contains: string list }

/// <summary>Building reference inputs.</summary>
[<RequireQualifiedAccess>]
module Reference =

    let private vector (values: float[]) = Tensor.FromArray(values, Nullable<Shape>())

    /// <summary>The call on one float64 vector of the values gives the expected values.</summary>
    let values (label: string) (input: float[]) (call: Tensor -> Tensor) (tolerance: Tolerance) (expected: float[]) =
        { Label = label; DType = DType.Float64; Inputs = (fun () -> [| vector input |]); Call = (fun x -> call x[0]); Expected = Values expected
          Tolerance = tolerance }

    /// <summary>The call on several float64 inputs gives the expected values.</summary>
    let valuesOf (label: string) (inputs: unit -> Tensor[]) (call: Tensor[] -> Tensor) (tolerance: Tolerance) (expected: float[]) =
        { Label = label; DType = DType.Float64; Inputs = inputs; Call = call; Expected = Values expected; Tolerance = tolerance }

    /// <summary>The call on the float64 inputs gives the values another computation gives.</summary>
    let sameAs (label: string) (inputs: unit -> Tensor[]) (call: Tensor[] -> Tensor) (description: string) (other: Tensor[] -> Tensor)
               (tolerance: Tolerance) =
        { Label = label; DType = DType.Float64; Inputs = inputs; Call = call; Expected = SameAs(description, other); Tolerance = tolerance }

    /// <summary>The gradient of the sum of the call on one float64 vector of the values is the expected one.</summary>
    let gradient (label: string) (input: float[]) (call: Tensor -> Tensor) (tolerance: Tolerance) (expected: float[]) =
        { Label = label; DType = DType.Float64; Inputs = (fun () -> [| vector input |]); Call = (fun x -> call x[0]); Expected = Gradients [| expected |]
          Tolerance = tolerance }

    /// <summary>In float32 the call's values and gradient agree with float64's within the tolerance, on the given float64 input.</summary>
    let float32MatchesFloat64 (label: string) (input: unit -> Tensor) (call: Tensor -> Tensor) (tolerance: float) =
        { Label = label; DType = DType.Float32; Inputs = (fun () -> [| input () |]); Call = (fun x -> call x[0]); Expected = Float32MatchesFloat64
          Tolerance = Within tolerance }

    /// <summary>The reference input of values that also expects the result's shape.</summary>
    let withShape (shape: int[]) (reference: ReferenceInput) =
        match reference.Expected with
        | Values values -> { reference with Expected = ShapeAndValues(shape, values) }
        | _ -> invalidArg (nameof reference) $"{reference.Label}: only a reference input of values takes a shape"

    /// <summary>The reference input run in float32 (its input values rounded to float32 first).</summary>
    let inFloat32 (reference: ReferenceInput) = { reference with DType = DType.Float32; Label = reference.Label + " (float32)" }

    /// <summary>N(0, 1) float64 draws of the shape from the seed (the xUnit tests' <c>Random64.Normal</c>).</summary>
    let normal (seed: uint64) (shape: int[]) = Tensor.Normal(Shape(shape), 0.0, 1.0, DType.Float64, Generator(seed))

    /// <summary>Uniform float64 draws in [low, high) of the shape from the seed (the xUnit tests' <c>Random64.Uniform</c>).</summary>
    let uniform (seed: uint64) (low: float) (high: float) (shape: int[]) = Tensor.Uniform(Shape(shape), low, high, DType.Float64, Generator(seed))

/// <summary>Building error inputs.</summary>
[<RequireQualifiedAccess>]
module ErrorInput =

    /// <summary>The call must throw exactly <c>'Exception</c> with a message containing each text.</summary>
    let throws<'Exception when 'Exception :> exn> (label: string) (call: unit -> Tensor) (contains: string list) : ErrorInput =
        { Label = label; Call = (fun () -> call () |> ignore); Exception = typeof<'Exception>; Contains = contains }

/// <summary>Running a row's reference and error inputs: each failure is a sentence that starts with the row's name.</summary>
[<RequireQualifiedAccess>]
module OpReferences =

    let private leaf (dtype: DType) (input: Tensor) = input.Detach().To(dtype).Clone().SetRequiresGrad()

    let private compare (row: string) (what: string) (tolerance: Tolerance) (expected: float[]) (actual: Tensor) =
        let values = actual.ToDoubleArray()
        if values.Length <> expected.Length then [ $"{row}: {what}: expected {expected.Length} values, got {values.Length} (shape {actual.Shape})" ]
        else
            [ for i in 0 .. values.Length - 1 do
                if not (tolerance.Accepts(expected[i], values[i])) then
                    $"{row}: {what}: element {i}: expected {expected[i]:R}, got {values[i]:R} ({tolerance})" ]

    let private dtypeOf (row: string) (what: string) (dtype: DType) (actual: Tensor) =
        if actual.DType = dtype then [] else [ $"{row}: {what}: expected a {dtype} result, got {actual.DType}" ]

    /// The values and the gradient of the sum of the values weighted by N(0, 1) draws of seed 99 (the weights in the input's type).
    let private valueAndWeightedGradient (call: Tensor[] -> Tensor) (dtype: DType) (inputs: Tensor[]) =
        let leaves = inputs |> Array.map (leaf dtype)
        let result = call leaves
        let weights = Tensor.Normal(result.Shape, 0.0, 1.0, dtype, Generator(99UL))
        if result.RequiresGrad then (result * weights).Sum().Backward()
        result, leaves |> Array.map (fun x -> match x.Grad with null -> Tensor.ZerosLike x | gradient -> gradient)

    /// <summary>The failures of one reference input of the row (empty when it holds); an exception the call throws is a failure.</summary>
    [<CompiledName("Check")>]
    let check (row: string) (reference: ReferenceInput) : string list =
        let what = $"{reference.Label} ({reference.DType})"
        try
            match reference.Expected with
            | Values expected ->
                let actual = reference.Call(reference.Inputs () |> Array.map (fun x -> x.To(reference.DType)))
                dtypeOf row what reference.DType actual @ compare row what reference.Tolerance expected actual
            | ShapeAndValues(shape, expected) ->
                let actual = reference.Call(reference.Inputs () |> Array.map (fun x -> x.To(reference.DType)))
                [ if actual.Shape.ToArray() <> shape then yield $"{row}: {what}: expected shape {Layout.show shape}, got {actual.Shape}"
                  yield! dtypeOf row what reference.DType actual
                  yield! compare row what reference.Tolerance expected actual ]
            | SameAs(description, other) ->
                let inputs = reference.Inputs () |> Array.map (fun x -> x.To(reference.DType))
                let actual, expected = reference.Call inputs, other inputs
                if actual.Shape <> expected.Shape then [ $"{row}: {what}: shape {actual.Shape}, {description} has {expected.Shape}" ]
                else compare row $"{what} against {description}" reference.Tolerance (expected.ToDoubleArray()) actual
            | Gradients expected ->
                let leaves = reference.Inputs () |> Array.map (leaf reference.DType)
                (reference.Call leaves).Sum().Backward()
                [ for k in 0 .. leaves.Length - 1 do
                    match leaves[k].Grad with
                    | null -> yield $"{row}: {what}: input {k} got no gradient"
                    | gradient -> yield! compare row $"{what}: gradient of input {k}" reference.Tolerance expected[k] gradient ]
            | Float32MatchesFloat64 ->
                let result64, gradients64 = valueAndWeightedGradient reference.Call DType.Float64 (reference.Inputs ())
                let result32, gradients32 = valueAndWeightedGradient reference.Call DType.Float32 (reference.Inputs ())
                [ yield! dtypeOf row $"{what}: values" DType.Float32 result32
                  if result32.Shape <> result64.Shape then yield $"{row}: {what}: float32 shape {result32.Shape}, float64 {result64.Shape}"
                  yield! compare row $"{what}: float32 values against float64" reference.Tolerance (result64.ToDoubleArray()) result32
                  for k in 0 .. gradients32.Length - 1 do
                      yield! dtypeOf row $"{what}: gradient of input {k}" DType.Float32 gradients32[k]
                      yield! compare row $"{what}: float32 gradient of input {k} against float64" reference.Tolerance
                                 (gradients64[k].ToDoubleArray()) gradients32[k] ]
        with error -> [ $"{row}: {what}: threw {error.GetType().Name}: {error.Message}" ]

    /// <summary>The failure of one error input of the row (None when the call throws as it must).</summary>
    [<CompiledName("CheckError")>]
    let checkError (row: string) (error: ErrorInput) : string option =
        let expected = $"""{error.Exception.Name} naming {error.Contains |> List.map (sprintf "'%s'") |> String.concat ", "}"""
        try
            error.Call()
            Some $"{row}: {error.Label}: expected {expected}, nothing was thrown"
        with thrown ->
            let missing = error.Contains |> List.filter (fun text -> not (thrown.Message.Contains(text: string)))
            if thrown.GetType() <> error.Exception || not missing.IsEmpty then
                Some $"{row}: {error.Label}: expected {expected}, got {thrown.GetType().Name}: {thrown.Message}"
            else None
