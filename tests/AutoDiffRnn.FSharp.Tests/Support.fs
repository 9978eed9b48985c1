/// Helpers shared by the tests.
module AutoDiffRnn.FSharp.Tests.Support

open System
open Expecto
open AutoDiffRnn
open AutoDiffRnn.Autodiff
open AutoDiffRnn.FSharp

/// ‖a − b‖∞ / max(1, ‖a‖∞, ‖b‖∞).
let relativeError (a: float[]) (b: float[]) =
    if a.Length <> b.Length then infinity
    else
        let largest = Seq.append a b |> Seq.fold (fun m v -> max m (abs v)) 1.0
        Array.fold2 (fun m x y -> max m (abs (x - y))) 0.0 a b / largest

/// Fails unless the arrays agree within tolerance (relative error as above).
let expectClose (tolerance: float) (message: string) (actual: float[]) (expected: float[]) =
    let error = relativeError actual expected
    if not (error <= tolerance) then
        let show (values: float[]) = String.Join(", ", values |> Array.truncate 8 |> Array.map (fun v -> v.ToString("G10")))
        failtestf "%s: relative error %.3e exceeds %.1e\nactual:   [%s]\nexpected: [%s]" message error tolerance (show actual) (show expected)

/// Fails with the report's table unless every comparison passed.
let expectPasses (report: GradCheckReport) =
    if not report.Passed then failtest (report.ToTable())

/// Central finite-difference gradient of a scalar function of one float64 tensor.
let numericGradient (f: Tensor -> Tensor) (x: Tensor) =
    let step = 1.0 / 131072.0
    let values = x.ToDoubleArray()
    let evaluate (v: float[]) = using (GradMode.NoGrad()) (fun _ -> (f (Tensor.FromArray(Array.copy v, Nullable x.Shape))).ToScalar())
    Array.init values.Length (fun j ->
        let original = values[j]
        values[j] <- original + step
        let plus = evaluate values
        values[j] <- original - step
        let minus = evaluate values
        values[j] <- original
        (plus - minus) / (2.0 * step))

/// Normal(0, 1) float64 values of the given shape from a seed.
let normal (seed: uint64) (shape: int[]) = Tensor.Normal(Shape(shape), 0.0, 1.0, DType.Float64, Generator(seed))

/// ⟨a, b⟩ of two tensors' values.
let inner (a: Tensor) (b: Tensor) = Array.fold2 (fun s x y -> s + x * y) 0.0 (a.ToDoubleArray()) (b.ToDoubleArray())
