/// Every row of the op table against libtorch: each row's cases are drawn from its F# row (AutoDiffRnn.FSharp.OpTable) and
/// checked against its libtorch row (TorchOps.rows, TorchTable): GradCheck with the libtorch oracle (float64), and direct
/// comparisons of values and gradients in float64 (1e-10) and float32 (1e-4), at seeded random shapes and values.
module AutoDiffRnn.FSharp.Torch.Tests.OpTests

open System
open Expecto
open AutoDiffRnn
open AutoDiffRnn.FSharp
open AutoDiffRnn.FSharp.Torch
open AutoDiffRnn.FSharp.Torch.Tests.Support

/// The op table's rows that have a libtorch row, each with it.
let pairs = [ for spec in OpTable.rows () do match TorchTable.find spec.Name with Some row -> spec, row | None -> () ]

/// The pass thresholds of the issue: libtorch and the tape agree to 1e-10 relative in float64.
let options =
    { GradCheckOptions.Default with
        Tolerances = { GradCheckOptions.Default.Tolerances with Value = 1e-10; Jacobian = 1e-10 }
        Trials = 1 }

let seeds = [ 1; 2; 3 ]

let private gradCheck (spec: OpSpec, row: TorchRow) (seed: int) =
    test $"{spec.Name} seed {seed}: GradCheck against libtorch" {
        let sample = spec.Draw(Random(seed * 7919 + spec.Name.Length))
        let report =
            { TorchOracle.case sample.Label sample.CSharp (row.Torch sample.Arguments) sample.Inputs with Float32Grid = sample.Float32Grid }
            |> GradCheck.checkWith options
        if not report.Passed then failtest (report.ToTable())
        // not vacuous: libtorch's reverse mode was compared for every input, and the op was recorded
        let againstTorch = report.Comparisons |> List.filter (fun comparison -> comparison.Against = "libtorch" && comparison.Check = ReverseVsOracle)
        Expect.equal againstTorch.Length sample.Inputs.Length $"{sample.Label}: one libtorch VJP comparison per input"
        for name in spec.Records do
            Expect.contains report.Operations name $"{sample.Label}: records {name}"
    }

let private agreement (spec: OpSpec, row: TorchRow) (dtype: DType) (tolerance: float) (seed: int) =
    test $"{spec.Name} seed {seed}: {dtype} values and gradients agree with libtorch to {tolerance:E0}" {
        let sample = spec.Draw(Random(seed * 104729 + spec.Name.Length))
        Agreement.ofFunctions sample.Label dtype (uint64 seed) sample.CSharp (row.Torch sample.Arguments) sample.Inputs |> expectAgreement tolerance
    }

[<Tests>]
let tests =
    testList "ops vs libtorch" [
        test "every operation of Operations.Names has a row in the op table and a libtorch row" {
            Expect.equal (TorchTable.missing () |> String.concat ", ") "" "operations without a libtorch row"
            Expect.isTrue (Operations.Names.Count >= 38) $"the op set has {Operations.Names.Count} operations"
        }
        test "every libtorch row belongs to a row of the op table" {
            let names = OpTable.rows () |> List.map (fun spec -> spec.Name) |> set
            let strays = TorchTable.rows () |> List.map (fun row -> row.Name) |> List.filter (fun name -> not (names.Contains name))
            Expect.isEmpty strays "libtorch rows without an op table row"
        }
        for pair in pairs do
            testList (fst pair).Name [
                for seed in seeds do
                    gradCheck pair seed
                    agreement pair DType.Float64 1e-10 seed
                    agreement pair DType.Float32 1e-4 seed ]
    ]
