/// FsCheck properties of the shape rules: random shapes (sizes 0 to 4, ranks 0 to 4) for the element-wise, reduction, matmul,
/// reshape, narrow and concat ops; each call either succeeds with the documented shape or throws an ArgumentException naming the op.
module AutoDiffRnn.FSharp.Tests.ShapeRuleProperties

open System
open Expecto
open FsCheck
open FsCheck.FSharp
open AutoDiffRnn

/// Seeded and quick: the same 300 cases per property on every run.
let private config =
    { FsCheckConfig.defaultConfig with maxTest = 300; replay = Some (20261203UL, 0x9E3779B97F4A7C15UL, None) }

let private size = Gen.frequency [ 1, Gen.constant 0; 3, Gen.choose (1, 4) ]
let private shapeGen = Gen.choose (0, 4) |> Gen.bind (fun rank -> Gen.arrayOfLength rank size)

let private zeros (shape: int[]) = Tensor.Zeros(Shape(shape), DType.Float64)

/// Runs the op: Ok with its shape, or Error with the message of the ArgumentException it threw (any other exception fails the test).
let private attempt (op: unit -> Tensor) =
    try Ok(op().Shape.ToArray())
    with :? ArgumentException as error -> Error error.Message

/// The expected outcome (the documented shape, or an error whose message starts with the op's name): None when met, else what differs.
let private agrees (name: string) (expected: int[] option) (actual: Result<int[], string>) =
    match expected, actual with
    | Some shape, Ok got when shape = got -> None
    | Some shape, Ok got -> Some(sprintf "%s: expected %s, got %s" name (Generators.show shape) (Generators.show got))
    | None, Error message when message.StartsWith(name + ":") -> None
    | None, Error message -> Some(sprintf "%s: the message does not name the op: %s" name message)
    | Some shape, Error message -> Some(sprintf "%s: expected %s, refused: %s" name (Generators.show shape) message)
    | None, Ok got -> Some(sprintf "%s: expected a refusal, got %s" name (Generators.show got))

/// Passes when every check agreed; otherwise fails labelled with the disagreements.
let private all (checks: string option list) =
    let failures = List.choose id checks
    Prop.label (String.Join("; ", failures)) (List.isEmpty failures)

/// NumPy's broadcasting rule, written independently of the library's.
let broadcast (a: int[]) (b: int[]) =
    let rank = max a.Length b.Length
    let at (s: int[]) i = if i < rank - s.Length then 1 else s[i - (rank - s.Length)]
    let sizes = Array.init rank (fun i -> at a i, at b i)
    if sizes |> Array.forall (fun (x, y) -> x = y || x = 1 || y = 1) then Some(sizes |> Array.map (fun (x, y) -> if x = 1 then y else x))
    else None

/// Pairs of shapes that broadcast about half the time: the second derived from the first (sizes set to 1, leading ones dropped) or random.
let private shapePair =
    gen {
        let! a = shapeGen
        let! derived = Gen.elements [ true; false ]
        if derived then
            let! drop = Gen.choose (0, a.Length)
            let! ones = Gen.arrayOfLength (a.Length - drop) (Gen.elements [ true; false ])
            return a, Array.mapi (fun i keep -> if keep then 1 else a[drop + i]) ones
        else
            let! b = shapeGen
            return a, b
    }

let private forAll generator property = Prop.forAll (Arb.fromGen generator) property

[<Tests>]
let tests =
    testList "shape rule properties" [
        testPropertyWithConfig config "element-wise ops broadcast as NumPy or name the op" (forAll shapePair (fun (a, b) ->
            let expected = broadcast a b
            [ "add", (fun () -> zeros a + zeros b)
              "sub", (fun () -> zeros a - zeros b)
              "mul", (fun () -> zeros a * zeros b)
              "div", (fun () -> zeros a / zeros b) ]
            |> List.map (fun (name, op) -> agrees name expected (attempt op))
            |> all))

        testPropertyWithConfig config "sum, mean and max over an axis drop it, or name the op" (forAll (Gen.zip shapeGen (Gen.choose (-5, 5))) (fun (shape, axis) ->
            let rank = shape.Length
            let normalized = if axis < 0 then axis + rank else axis
            let valid = normalized >= 0 && normalized < rank
            let dropped = if valid then Some(Array.removeAt normalized shape) else None
            let kept = if valid then Some(Array.updateAt normalized 1 shape) else None
            let maxExpected = if valid && shape[normalized] = 0 then None else dropped // PyTorch: max over an empty dimension is an error
            all [ agrees "sum" dropped (attempt (fun () -> (zeros shape).Sum(axis)))
                  agrees "sum" kept (attempt (fun () -> (zeros shape).Sum(axis, keepDim = true)))
                  agrees "mean" dropped (attempt (fun () -> (zeros shape).Mean(axis)))
                  agrees "max" maxExpected (attempt (fun () -> (zeros shape).Max(axis))) ]))

        testPropertyWithConfig config "matmul multiplies (b?, m, k) by (b?, k, n), or names the op" (forAll (Gen.zip shapeGen shapeGen) (fun (a, b) ->
            let expected =
                if a.Length < 2 || a.Length > 3 || b.Length < 2 || b.Length > 3 then None
                elif a.Length = 3 && b.Length = 3 && a[0] <> b[0] then None
                elif a[a.Length - 1] <> b[b.Length - 2] then None
                else
                    let mn = [| a[a.Length - 2]; b[b.Length - 1] |]
                    if a.Length = 3 then Some(Array.append [| a[0] |] mn)
                    elif b.Length = 3 then Some(Array.append [| b[0] |] mn)
                    else Some mn
            all [ agrees "matmul" expected (attempt (fun () -> Tensor.MatMul(zeros a, zeros b))) ]))

        testPropertyWithConfig config "reshape keeps the element count (one -1 inferred), or names the op" (forAll (Gen.zip shapeGen (Gen.choose (0, 4) |> Gen.bind (fun rank -> Gen.arrayOfLength rank (Gen.choose (-2, 4))))) (fun (shape, target) ->
            let count = Array.fold (*) 1 shape
            let minusOnes = target |> Array.filter ((=) -1) |> Array.length
            let expected =
                if target |> Array.exists (fun s -> s < -1) || minusOnes > 1 then None
                elif minusOnes = 1 then
                    let known = target |> Array.filter ((<>) -1) |> Array.fold (*) 1
                    if known = 0 || count % known <> 0 then None else Some(target |> Array.map (fun s -> if s = -1 then count / known else s))
                elif Array.fold (*) 1 target = count then Some target
                else None
            all [ agrees "reshape" expected (attempt (fun () -> (zeros shape).Reshape(target))) ]))

        testPropertyWithConfig config "narrow takes [start, start+length) of a dim, or names the op, even for huge values" (forAll (Gen.zip3 (shapeGen |> Gen.filter (fun s -> s.Length > 0)) (Gen.choose (-1, 4)) (Gen.zip (Gen.elements [ -1; 0; 1; 2; 3; 4; Int32.MaxValue ]) (Gen.elements [ -1; 0; 1; 2; 3; Int32.MaxValue ]))) (fun (shape, axis, (start, length)) ->
            let normalized = if axis < 0 then axis + shape.Length else axis
            let expected =
                if normalized >= shape.Length then None
                elif start < 0 || length < 0 || int64 start + int64 length > int64 shape[normalized] then None
                else Some(Array.updateAt normalized length shape)
            all [ agrees "narrow" expected (attempt (fun () -> (zeros shape).Narrow(axis, start, length))) ]))

        testPropertyWithConfig config "concat joins shapes equal but for the axis, or names the op" (forAll (Gen.zip3 (shapeGen |> Gen.filter (fun s -> s.Length > 0)) (Gen.choose (0, 3)) (Gen.choose (1, 3))) (fun (shape, axis, count) ->
            let shapes = Array.init count (fun i -> if i = count - 1 && axis < shape.Length then Array.updateAt axis (i % 3) shape else shape)
            let shapes = if count = 3 then Array.updateAt 1 (Array.append shapes[1] [| 1 |]) shapes else shapes // a rank mismatch
            let expected =
                if axis >= shape.Length || shapes |> Array.exists (fun s -> s.Length <> shape.Length) then None
                else Some(Array.updateAt axis (shapes |> Array.sumBy (fun s -> s[axis])) shape)
            all [ agrees "concat" expected (attempt (fun () -> Tensor.Concat(shapes |> Array.map zeros, axis))) ]))
    ]
