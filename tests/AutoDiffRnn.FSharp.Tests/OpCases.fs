/// The GradCheck cases of every row of the op table (AutoDiffRnn.FSharp.OpTable) as FsCheck generators, and the fixed cases of the
/// reductions and softmax-like ops over each axis.
module AutoDiffRnn.FSharp.Tests.OpCases

open System
open FsCheck
open FsCheck.FSharp
open AutoDiffRnn
open AutoDiffRnn.FSharp

/// The generator of one row's cases: Name is the row's (the op or public form), Records the names of
/// AutoDiffRnn.Operations.Names every generated case must record on the tape (e.g. transpose records permute).
type OpCaseGenerator = { Name: string; Records: string list; Generate: Gen<GradCase> }

/// A row's draws as an FsCheck generator (a random seed, then the row's own seeded draw).
let ofRow (spec: OpSpec) =
    { Name = spec.Name; Records = spec.Records
      Generate = Gen.choose (0, Int32.MaxValue) |> Gen.map (fun seed -> (spec.Draw(Random seed)).GradCase) }

/// The core ops' rows (element-wise, linear algebra, reductions, layout).
let specs = OpTable.core |> List.map ofRow

/// The convolution and pooling rows.
let convolutionSpecs = ConvolutionRows.rows |> List.map ofRow

/// The fused recurrent sequence rows.
let recurrentSpecs = RecurrentRows.rows |> List.map ofRow

/// The fixed cases of the rows: every reduction and softmax-like operation over each axis of a fixed [2,3,4] tensor, with and
/// without keepDim (max and min on distinct values, so no ties).
let eachAxisCases = OpTable.fixedCases ()
