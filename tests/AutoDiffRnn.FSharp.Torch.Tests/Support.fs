/// Seeded random inputs and shared helpers.
module AutoDiffRnn.FSharp.Torch.Tests.Support

open System
open Expecto
open AutoDiffRnn
open AutoDiffRnn.FSharp.Torch

/// A standard normal draw (Box–Muller).
let gaussian (random: Random) =
    let u1 = 1.0 - random.NextDouble()
    let u2 = random.NextDouble()
    Math.Sqrt(-2.0 * Math.Log u1) * Math.Cos(2.0 * Math.PI * u2)

/// The number of elements of a shape.
let count (shape: int[]) = Array.fold (*) 1 shape

/// A float64 tensor of the shape with values from the function.
let tensorOf (shape: int[]) (value: unit -> float) = Tensor.FromArray(Array.init (count shape) (fun _ -> value ()), Nullable(Shape(shape)))

/// N(0, 1) values.
let normal (random: Random) (shape: int[]) = tensorOf shape (fun () -> gaussian random)

/// Uniform values in [low, high).
let uniform (random: Random) (low: float) (high: float) (shape: int[]) = tensorOf shape (fun () -> low + (high - low) * random.NextDouble())

/// Values in ±[low, high): away from zero (kinks, poles).
let awayFromZero (random: Random) (low: float) (high: float) (shape: int[]) =
    tensorOf shape (fun () -> (if random.Next 2 = 0 then -1.0 else 1.0) * (low + (high - low) * random.NextDouble()))

/// Distinct values at least 0.1 apart, shuffled (no ties for max and min).
let distinct (random: Random) (shape: int[]) =
    let n = count shape
    let values = Array.init n (fun k -> float (k - n / 2) * 0.37 + 0.05 * random.NextDouble())
    random.Shuffle values
    Tensor.FromArray(values, Nullable(Shape(shape)))

/// A shape of rank in [minRank, maxRank] with sizes 1..4.
let shapeOf (random: Random) (minRank: int) (maxRank: int) = Array.init (random.Next(minRank, maxRank + 1)) (fun _ -> random.Next(1, 5))

/// "[2,3]".
let show (shape: int[]) = "[" + String.Join(",", shape) + "]"

/// Fails with the agreement's table unless every error is within the tolerance.
let expectAgreement (tolerance: float) (agreement: Agreement) =
    if not (agreement.Within tolerance) then failtestf "not within %.0e:\n%O" tolerance agreement

/// The message of the exception of type 'E the function throws; fails if it throws none or another type.
let throwsMessage<'E when 'E :> exn> (f: unit -> unit) =
    try
        f ()
        failtestf "expected %s, nothing was thrown" typeof<'E>.Name
    with
    | :? 'E as e -> e.Message
    | e when (e :? AssertException) -> raise e
    | e -> failtestf "expected %s, got %s: %s" typeof<'E>.Name (e.GetType().Name) e.Message
