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

/// GradCheck cases of every reduction and softmax-like operation over each axis of a fixed [2,3,4] tensor, with and
/// without keepDim (max and min on distinct values, so no ties).
let eachAxisCases =
    let normal = Tensor.Normal(Shape(2, 3, 4), 0.0, 1.0, DType.Float64, Generator(7UL))
    let distinctValues = Draw.tensor (Random 7) Distinct [| 2; 3; 4 |]
    let reductions : (string * (Tensor -> int -> bool -> Tensor) * (int[] -> bool -> Dual -> Dual) * Tensor) list =
        [ "sum", (fun x a keep -> x.Sum(a, keep)), Dual.sumAxes, normal
          "mean", (fun x a keep -> x.Mean(a, keep)), Dual.meanAxes, normal
          "max", (fun x a keep -> x.Max(a, keep)), Dual.maxAxes, distinctValues
          "min", (fun x a keep -> x.Min(a, keep)), Dual.minAxes, distinctValues ]
    let alongAxis : (string * (Tensor -> int -> bool -> Tensor) * (int -> bool -> Dual -> Dual)) list =
        [ "softmax", (fun x a _ -> x.Softmax(a)), (fun a _ x -> Dual.softmax a x)
          "log_softmax", (fun x a _ -> x.LogSoftmax(a)), (fun a _ x -> Dual.logSoftmax a x)
          "logsumexp", (fun x a keep -> x.LogSumExp(a, keep)), (fun a keep x -> Dual.logSumExp a keep x) ]
    [ for operation, csharp, reference, x in reductions do
        for a in 0 .. 2 do
            for keep in [ true; false ] do
                GradCase.create $"{operation} {x.Shape} axis {a} keepDim {keep}" (fun x -> csharp x[0] a keep) (fun x -> reference [| a |] keep x[0]) [| x |]
      for operation, csharp, reference in alongAxis do
        for a in 0 .. 2 do
            for keep in (if operation = "logsumexp" then [ true; false ] else [ false ]) do
                let name = $"{operation} [2,3,4] axis {a}" + (if operation = "logsumexp" then $" keepDim {keep}" else "")
                GradCase.create name (fun x -> csharp x[0] a keep) (fun x -> reference a keep x[0]) [| normal |] ]
