/// Every operation through GradCheck, the coverage of the catalogue, and proof that GradCheck can fail.
module AutoDiffRnn.FSharp.Tests.GradCheckTests

open System
open Expecto
open FsCheck
open FsCheck.FSharp
open AutoDiffRnn
open AutoDiffRnn.Autodiff
open AutoDiffRnn.FSharp
open AutoDiffRnn.FSharp.Tests.Support
open AutoDiffRnn.FSharp.Tests.OpCases

/// Generated cases per operation (each runs the full check: finite differences, dot product, Jacobians).
let private config = { FsCheckConfig.defaultConfig with maxTest = 200 }

/// tanh with a deliberately wrong VJP (its sign flipped), recorded through the public Tape.Record.
let wrongTanh (x: Tensor) =
    let y = using (GradMode.NoGrad()) (fun _ -> x.Tanh())
    Tape.Record("wrong_tanh", y, [| x |], VectorJacobianProduct(fun g -> [| -(g * (1.0 - y * y)) |]))

let private failedChecks (report: GradCheckReport) = report.Failures |> List.map (fun c -> c.Check) |> List.distinct

/// One property per generated operation: maxTest generated cases, each passing check.
let private eachSpec name maxTest (check: GradCase -> unit) (generators: OpCaseGenerator list) =
    testList name [
        for spec in generators ->
            testPropertyWithConfig { config with maxTest = maxTest } spec.Name (Prop.forAll (Arb.fromGen spec.Generate) check)
    ]

/// The full check of a case: finite differences, dot product, Jacobians.
let private passes (case: GradCase) = expectPasses (GradCheck.check case)

/// The full check with the tape's double backward as the J·v oracle, which must enter the dot-product check.
let private passesReverseOverReverse (case: GradCase) =
    let report = GradCheck.check (case |> GradCase.withOracle (Oracle.tape case.Function))
    expectPasses report
    Expect.isTrue (report.Comparisons |> List.exists (fun c -> c.Check = DotProduct && c.Against = "C# tape"))
        "the tape's J·v entered the dot-product check"

[<Tests>]
let tests =
    testList "gradcheck" [
        specs |> eachSpec "every operation on generated shapes and values" 200 passes
        convolutionSpecs |> eachSpec "convolution and pooling on the grid's random settings" 12 passes
        recurrentSpecs |> eachSpec "fused recurrent sequences on random sizes, directions, biases and lengths" 12 passes
        convolutionSpecs |> eachSpec "convolution and pooling: double backward (reverse over reverse) on the grid's random settings" 4 passesReverseOverReverse
        specs |> eachSpec "jvp by reverse over reverse (the tape's double backward) on generated cases" 20 passesReverseOverReverse

        testList "reductions and softmax over each axis of [2,3,4]" [
            for case in eachAxisCases -> test case.Name { expectPasses (GradCheck.check case) }
        ]

        test "every operation of Operations.Names has a row in the op table" {
            Expect.equal (OpTable.missing () |> String.concat ", ") "" "operations of AutoDiffRnn.Operations.Names without a row in OpTable"
        }

        test "every row's drawn cases record the operations the row names" {
            for spec in specs @ convolutionSpecs @ recurrentSpecs do
                for case in Gen.sample 3 spec.Generate do
                    let leaves = case.Inputs |> Array.map (fun x -> x.Detach().SetRequiresGrad())
                    let operations = GradCheck.recordedOperations (case.Function leaves)
                    for name in spec.Records do
                        Expect.contains operations name $"the case '{case.Name}' must record '{name}'"
        }

        testList "fused recurrent ops (first-order backward) against the reference on duals" [
            for case in FusedCases.cases -> test case.Name { expectPasses (GradCheck.check case) }
        ]

        test "a deliberately wrong VJP is caught" {
            let x = normal 11UL [| 3; 4 |]
            let report = GradCheck.check (GradCase.create "wrong tanh" (fun x -> wrongTanh x[0]) (fun x -> Dual.tanh x[0]) [| x |])
            Expect.isFalse report.Passed "GradCheck must fail on a VJP with a sign error"
            let failed = failedChecks report
            Expect.containsAll failed [ ReverseVsFiniteDifferences; DotProduct; Jacobians ] "the tape's side fails every check"
            Expect.isFalse (List.contains Values failed || List.contains ForwardVsFiniteDifferences failed)
                "the oracle's own checks pass, which points at the tape"
            Expect.stringContains (report.ToTable()) "FAIL" "the table shows the failure"
            Expect.throwsT<InvalidOperationException> (fun () -> report.EnsurePassed() |> ignore) "EnsurePassed throws"
        }

        test "a wrong reference is caught and blamed on the oracle" {
            let x = normal 12UL [| 2; 3 |]
            let wrongReference (x: Dual[]) = let y = Dual.tanh x[0] in { y with Tangent = y.Tangent |> Array.map (fun t -> 1.01 * t) }
            let report = GradCheck.check (GradCase.create "tanh, wrong reference" (fun x -> x[0].Tanh()) wrongReference [| x |])
            let failed = failedChecks report
            Expect.contains failed ForwardVsFiniteDifferences "the oracle disagrees with its own finite differences"
            Expect.isFalse (List.contains ReverseVsFiniteDifferences failed) "the tape agrees with finite differences"
        }

        test "the report lists every comparison per input in a readable table" {
            let a, b = normal 1UL [| 2; 3 |], normal 2UL [| 3 |]
            let report = GradCheck.check (GradCase.create "a*b+a" (fun x -> x[0] * x[1] + x[0]) (fun x -> x[0] * x[1] + x[0]) [| a; b |])
            expectPasses report
            Expect.equal report.Operations [ "add"; "mul" ] "operations recorded on the tape"
            for check in [ ReverseVsFiniteDifferences; ForwardVsFiniteDifferences; DotProduct; Jacobians ] do
                let inputs = report.Comparisons |> List.filter (fun c -> c.Check = check) |> List.map (fun c -> c.Input)
                Expect.equal inputs [ Some 0; Some 1 ] $"{check.Description}: one row per input"
            let table = string report
            for heading in [ "gradcheck a*b+a: passed"; "max abs err"; "max rel err"; "tolerance"; "dot product"; "[2,3]" ] do
                Expect.stringContains table heading "table content"
            let dotProduct = report.Comparisons |> List.find (fun c -> c.Check = DotProduct)
            Expect.equal dotProduct.Tolerance 1e-12 "dot-product tolerance"
            let finite = report.Comparisons |> List.find (fun c -> c.Check = ReverseVsFiniteDifferences)
            Expect.equal finite.Tolerance 1e-6 "finite-difference tolerance"
        }

        test "finite differences only, and the C#-facing constructors" {
            let x = normal 5UL [| 4 |]
            let report = GradCheck.check (GradCase.Create("tanh·x", Func<Tensor[], Tensor>(fun x -> x[0].Tanh() * x[0]), [| x |]))
            expectPasses report
            Expect.equal (report.Comparisons |> List.map (fun c -> c.Check)) [ ReverseVsFiniteDifferences ] "no oracle: finite differences only"
            let withReference =
                GradCase.Create("tanh·x", Func<Tensor[], Tensor>(fun x -> x[0].Tanh() * x[0]), Func<Dual[], Dual>(fun x -> Dual.tanh x[0] * x[0]), [| x |])
            expectPasses (GradCheck.check withReference)
        }

        test "the tape as an oracle compares two formulations" {
            let a, b, c = normal 1UL [| 2; 3 |], normal 2UL [| 2; 3 |], normal 3UL [| 3 |]
            let case =
                GradCase.ofFunction "(a+b)·c = a·c + b·c" (fun x -> (x[0] + x[1]) * x[2]) [| a; b; c |]
                |> GradCase.withOracle (Oracle.tape (fun x -> x[0] * x[2] + x[1] * x[2]))
            let report = GradCheck.check case
            expectPasses report
            Expect.isTrue (report.Comparisons |> List.exists (fun c -> c.Check = ReverseVsOracle)) "reverse modes compared"
        }

        test "float32 inputs are refused with a clear message" {
            let x = Tensor.Ones(Shape(2), DType.Float32)
            let message = try GradCheck.check (GradCase.ofFunction "f32" (fun x -> x[0]) [| x |]) |> ignore; "" with :? ArgumentException as e -> e.Message
            Expect.stringContains message "float32" "names the problem"
        }
    ]
