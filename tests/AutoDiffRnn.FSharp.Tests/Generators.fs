/// FsCheck generators of shapes, axes and float64 tensors for the gradient checks.
module AutoDiffRnn.FSharp.Tests.Generators

open System
open FsCheck
open FsCheck.FSharp
open AutoDiffRnn

/// The number of elements of a shape.
let count (shape: int[]) = Array.fold (*) 1 shape

/// A shape as "[2,3]".
let show (shape: int[]) = "[" + String.Join(",", shape) + "]"

/// A dimension size, 1 to 4 (small, so finite differences and full Jacobians stay cheap).
let dimension = Gen.choose (1, 4)

/// A shape of the given rank.
let shapeOfRank (rank: int) = Gen.arrayOfLength rank dimension

/// A shape with rank in [minRank, maxRank].
let shape (minRank: int) (maxRank: int) = Gen.choose (minRank, maxRank) |> Gen.bind shapeOfRank

/// n values uniform in [low, high] (resolution 1e-6 of the range).
let uniform (low: float) (high: float) (n: int) =
    Gen.arrayOfLength n (Gen.choose (0, 1_000_000) |> Gen.map (fun k -> low + (high - low) * float k / 1e6))

/// n values of magnitude in [low, high] with random signs: away from zero, where kinks (relu, abs) are.
let awayFromZero (low: float) (high: float) (n: int) =
    Gen.map2 (Array.map2 (fun (negative: bool) (v: float) -> if negative then -v else v))
             (Gen.arrayOfLength n (Gen.elements [ true; false ])) (uniform low high n)

/// n distinct values, spaced at least 0.1 apart (no ties for max and min, even after a finite-difference step).
let distinct (n: int) =
    Gen.map2 (fun (order: int[]) (jitter: float[]) -> Array.init n (fun i -> 0.25 * float order[i] - 0.125 * float n + jitter[i]))
             (Gen.shuffle [| 0 .. n - 1 |]) (uniform -0.05 0.05 n)

/// n values on a grid float32 represents exactly (multiples of 1/64 in [-4, 4]).
let float32Grid (n: int) = Gen.arrayOfLength n (Gen.choose (-256, 256) |> Gen.map (fun k -> float k / 64.0))

/// A float64 tensor of the given shape with values from the given generator.
let tensorWith (values: int -> Gen<float[]>) (shape: int[]) =
    values (count shape) |> Gen.map (fun v -> Tensor.FromArray(v, Nullable(Shape(shape))))

/// A float64 tensor of the given shape with values in [-2, 2].
let tensor (shape: int[]) = tensorWith (uniform -2.0 2.0) shape

/// A shape and another that broadcasts to it: some dimensions set to 1, some leading ones dropped.
let broadcastable (minRank: int) (maxRank: int) =
    gen {
        let! full = shape minRank maxRank
        let! ones = Gen.arrayOfLength full.Length (Gen.elements [ true; false; false ])
        let! dropped = Gen.choose (0, full.Length)
        let reduced = full |> Array.mapi (fun i size -> if ones[i] then 1 else size)
        return full, reduced[dropped..]
    }

/// Two shapes that broadcast together (either may be the smaller one, or a scalar).
let broadcastPair =
    gen {
        let! full, reduced = broadcastable 0 3
        let! swap = Gen.elements [ true; false ]
        return if swap then reduced, full else full, reduced
    }

/// An axis of a shape of the given rank, negative half of the time.
let axis (rank: int) =
    Gen.map2 (fun a negative -> if negative then a - rank else a) (Gen.choose (0, rank - 1)) (Gen.elements [ true; false ])

/// A non-empty set of distinct axes of a shape of the given rank.
let axes (rank: int) =
    gen {
        let! order = Gen.shuffle [| 0 .. rank - 1 |]
        let! size = Gen.choose (1, rank)
        return order[.. size - 1]
    }

/// A shape with the same element count: the prime factors regrouped, one size sometimes left as −1.
let reshapeOf (shape: int[]) =
    gen {
        let factors =
            shape |> Array.collect (fun size -> match size with 4 -> [| 2; 2 |] | 1 -> [||] | size -> [| size |])
        let! order = Gen.shuffle factors
        let! rank = Gen.choose (1, 4)
        let! cuts = Gen.arrayOfLength order.Length (Gen.choose (0, rank - 1))
        let target = Array.create rank 1
        order |> Array.iteri (fun i factor -> target[cuts[i]] <- target[cuts[i]] * factor)
        let! inferred = Gen.choose (-1, rank - 1)
        return target |> Array.mapi (fun i size -> if i = inferred then -1 else size)
    }
