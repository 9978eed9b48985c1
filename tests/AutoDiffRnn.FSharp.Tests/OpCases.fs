/// The GradCheck cases of every operation of the core op set: the C# formulation paired with the F# reference on duals,
/// at generated shapes, axes and values.
module AutoDiffRnn.FSharp.Tests.OpCases

open System
open FsCheck
open FsCheck.FSharp
open AutoDiffRnn
open AutoDiffRnn.FSharp
open AutoDiffRnn.FSharp.Tests.Generators

/// The generator of cases for one operation of the catalogue (Operation is its name in AutoDiffRnn.Operations.Names).
type OpSpec = { Operation: string; Generate: Gen<GradCase> }

let private spec operation generate = { Operation = operation; Generate = generate }

let private case name csharp reference inputs = GradCase.create name csharp reference inputs

/// An element-wise operation of one tensor, on shapes of rank 0 to 3.
let private unary operation (csharp: Tensor -> Tensor) (reference: Dual -> Dual) (values: int -> Gen<float[]>) =
    spec operation (gen {
        let! shape = shape 0 3
        let! x = tensorWith values shape
        return case $"{operation} {show shape}" (fun x -> csharp x[0]) (fun x -> reference x[0]) [| x |]
    })

/// A broadcasting binary operation, tensor with tensor, or with a scalar on either side.
let private binary operation (tensorTensor: Tensor -> Tensor -> Tensor) (tensorScalar: Tensor -> float -> Tensor)
                   (scalarTensor: float -> Tensor -> Tensor) (reference: Dual -> Dual -> Dual)
                   (valuesA: int -> Gen<float[]>) (valuesB: int -> Gen<float[]>) =
    spec operation (gen {
        let! shapeA, shapeB = broadcastPair
        let! a = tensorWith valuesA shapeA
        let! b = tensorWith valuesB shapeB
        let! form = Gen.choose (0, 3)
        let! scalarA = valuesA 1
        let! scalarB = valuesB 1
        match form with
        | 1 ->
            return case $"{operation} {show shapeA} with scalar {scalarB[0]}" (fun x -> tensorScalar x[0] scalarB[0])
                        (fun x -> reference x[0] (Dual.scalar scalarB[0])) [| a |]
        | 2 ->
            return case $"{operation} scalar {scalarA[0]} with {show shapeB}" (fun x -> scalarTensor scalarA[0] x[0])
                        (fun x -> reference (Dual.scalar scalarA[0]) x[0]) [| b |]
        | _ ->
            return case $"{operation} {show shapeA} with {show shapeB}" (fun x -> tensorTensor x[0] x[1])
                        (fun x -> reference x[0] x[1]) [| a; b |]
    })

/// Which axes a reduction runs over.
type Reduction =
    | All
    | Axis of int * keepDim: bool
    | Axes of int[] * keepDim: bool

    override this.ToString() =
        match this with
        | All -> "over all"
        | Axis(axis, keep) -> $"axis {axis} keepDim {keep}"
        | Axes(axes, keep) -> $"axes {show axes} keepDim {keep}"

/// A reduction of a tensor of the given rank.
let reduction (rank: int) =
    if rank = 0 then Gen.constant All
    else
        Gen.oneof [ Gen.constant All
                    Gen.map2 (fun a keep -> Axis(a, keep)) (axis rank) (Gen.elements [ true; false ])
                    Gen.map2 (fun a keep -> Axes(a, keep)) (axes rank) (Gen.elements [ true; false ]) ]

/// The C# and reference forms of one reduction operation.
type ReductionForms =
    { All: Tensor -> Tensor
      Axis: Tensor -> int -> bool -> Tensor
      Axes: Tensor -> int[] -> bool -> Tensor
      Reference: int[] -> bool -> Dual -> Dual
      ReferenceAll: Dual -> Dual }

let private reductionCase operation (forms: ReductionForms) (reduction: Reduction) (x: Tensor) =
    let name = $"{operation} {x.Shape} {reduction}"
    match reduction with
    | All -> case name (fun x -> forms.All x[0]) (fun x -> forms.ReferenceAll x[0]) [| x |]
    | Axis(a, keep) -> case name (fun x -> forms.Axis x[0] a keep) (fun x -> forms.Reference [| a |] keep x[0]) [| x |]
    | Axes(a, keep) -> case name (fun x -> forms.Axes x[0] a keep) (fun x -> forms.Reference a keep x[0]) [| x |]

let private reductionSpec operation (forms: ReductionForms) (values: int -> Gen<float[]>) =
    spec operation (gen {
        let! shape = shape 0 3
        let! x = tensorWith values shape
        let! reduction = reduction shape.Length
        return reductionCase operation forms reduction x
    })

let sumForms =
    { All = fun x -> x.Sum()
      Axis = fun x a keep -> x.Sum(a, keep)
      Axes = fun x a keep -> x.Sum(a, keep)
      Reference = Dual.sumAxes
      ReferenceAll = Dual.sum }

/// Reductions whose cases are also run over every axis of a [2,3,4] tensor, with and without keepDim.
let reductions : (string * ReductionForms * (int -> Gen<float[]>)) list =
    [ "sum", sumForms, uniform -2.0 2.0 ]

/// The GradCheck case of a reduction over each axis of a fixed [2,3,4] tensor.
let eachAxisCases =
    let values = Generator(7UL)
    let x = Tensor.Normal(Shape(2, 3, 4), 0.0, 1.0, DType.Float64, values)
    [ for operation, forms, _ in reductions do
        for a in 0 .. 2 do
            for keep in [ true; false ] do
                reductionCase operation forms (Axis(a, keep)) x ]

let private matmul =
    spec "matmul" (gen {
        let! m, inner, n = Gen.zip3 dimension dimension dimension
        let! batch = dimension
        let! rankA, rankB = Gen.elements [ 2, 2; 3, 3; 3, 2; 2, 3 ]
        let! transposeA, transposeB = Gen.zip (Gen.elements [ true; false ]) (Gen.elements [ true; false ])
        let layout rank rows columns transposed =
            Array.append (if rank = 3 then [| batch |] else [||]) (if transposed then [| columns; rows |] else [| rows; columns |])
        let shapeA, shapeB = layout rankA m inner transposeA, layout rankB inner n transposeB
        let! a = tensor shapeA
        let! b = tensor shapeB
        let mark transposed = if transposed then "ᵀ" else ""
        return case $"matmul {show shapeA}{mark transposeA} x {show shapeB}{mark transposeB}"
                    (fun x -> Tensor.MatMul(x[0], x[1], transposeA, transposeB))
                    (fun x -> Dual.matmulWith transposeA transposeB x[0] x[1]) [| a; b |]
    })

let private expand =
    spec "expand" (gen {
        let! full, reduced = broadcastable 1 3 |> Gen.filter (fun (full, reduced) -> full <> reduced)
        let! x = tensor reduced
        return case $"expand {show reduced} to {show full}" (fun x -> x[0].Expand(Shape(full))) (fun x -> Dual.expand full x[0]) [| x |]
    })

let private sumTo =
    spec "sum_to" (gen {
        let! full, reduced = broadcastable 1 3 |> Gen.filter (fun (full, reduced) -> full <> reduced)
        let! x = tensor full
        return case $"sum_to {show full} to {show reduced}" (fun x -> x[0].SumTo(Shape(reduced))) (fun x -> Dual.sumTo reduced x[0]) [| x |]
    })

let private reshape =
    spec "reshape" (gen {
        let! shape = shape 1 3
        let resolved (target: int[]) = target |> Array.map (fun size -> if size = -1 then count shape / count (Array.filter ((<>) -1) target) else size)
        let! target = reshapeOf shape |> Gen.filter (fun target -> resolved target <> shape)
        let! x = tensor shape
        // A tanh after the reshape makes the output depend on where each element went.
        return case $"reshape {show shape} to {show target}" (fun x -> x[0].Reshape(target).Tanh()) (fun x -> Dual.reshape target x[0] |> Dual.tanh) [| x |]
    })

let private convert =
    spec "to" (gen {
        let! shape = shape 0 3
        let! x = tensorWith float32Grid shape
        // A power of two keeps the float32 product exact, so the round trip stays exact at every point GradCheck probes.
        let! c = Gen.elements [ 0.5; 2.0; -4.0 ]
        return { case $"to float32 and back {show shape}" (fun x -> (x[0].To(DType.Float32) * c).To(DType.Float64))
                      (fun x -> (Dual.convert DType.Float32 x[0] * c) |> Dual.convert DType.Float64) [| x |]
                 with Float32Grid = true }
    })

let private pow =
    spec "pow" (gen {
        let! exponent = Gen.elements [ 2.0; 3.0; 1.0; 0.0; -1.0; 0.5; -1.5; 1.7 ]
        let isInteger = exponent = Math.Round exponent
        let! shape = shape 0 3
        // Non-integer powers need positive bases; negative powers need bases away from zero.
        let! x = tensorWith (if isInteger && exponent >= 0.0 then uniform -2.0 2.0 elif isInteger then awayFromZero 0.4 2.0 else uniform 0.3 2.0) shape
        return case $"pow {show shape} ^ {exponent}" (fun x -> x[0].Pow(exponent)) (fun x -> Dual.pow exponent x[0]) [| x |]
    })

let private leakyRelu =
    spec "leaky_relu" (gen {
        let! slope = uniform 0.01 0.3 1
        let! shape = shape 0 3
        let! x = tensorWith (awayFromZero 0.05 2.0) shape
        return case $"leaky_relu {show shape} slope {slope[0]}" (fun x -> x[0].LeakyRelu(slope[0])) (fun x -> Dual.leakyRelu slope[0] x[0]) [| x |]
    })

let private softplus =
    spec "softplus" (gen {
        let! beta = Gen.elements [ 1.0; 2.0; 0.5 ]
        let! threshold = Gen.elements [ 20.0; 1.0; -0.5 ]
        let! shape = shape 0 3
        // Away from the threshold, where softplus switches to x (a jump finite differences must not straddle).
        let away (v: float) = if abs (beta * v - threshold) < 0.05 then v + 0.1 / beta else v
        let! x = tensorWith (fun n -> uniform -3.0 3.0 n |> Gen.map (Array.map away)) shape
        return case $"softplus {show shape} beta {beta} threshold {threshold}" (fun x -> x[0].Softplus(beta, threshold))
                    (fun x -> Dual.softplus beta threshold x[0]) [| x |]
    })

let private clamp =
    spec "clamp" (gen {
        let! low = uniform -1.0 0.0 1
        let! high = uniform 0.0 1.0 1
        let! bounds = Gen.elements [ Some low[0], Some high[0]; Some low[0], None; None, Some high[0] ]
        let minimum, maximum = bounds
        let near (bound: float option) (v: float) = match bound with Some b -> abs (v - b) < 0.01 | None -> false
        let away (v: float) = if near minimum v || near maximum v then v + 0.03 else v
        let! shape = shape 0 3
        let! x = tensorWith (fun n -> uniform -2.0 2.0 n |> Gen.map (Array.map away)) shape
        return case $"clamp {show shape} to [{minimum}, {maximum}]" (fun x -> x[0].Clamp(Option.toNullable minimum, Option.toNullable maximum))
                    (fun x -> Dual.clamp minimum maximum x[0]) [| x |]
    })

let private where =
    spec "where" (gen {
        let! full = shape 0 3
        let reduce = gen {
            let! ones = Gen.arrayOfLength full.Length (Gen.elements [ true; false; false ])
            let! dropped = Gen.choose (0, full.Length)
            return (full |> Array.mapi (fun i size -> if ones[i] then 1 else size))[dropped..] }
        let! shapeCondition, shapeA, shapeB = Gen.zip3 reduce reduce reduce
        let! condition = tensorWith (fun n -> Gen.arrayOfLength n (Gen.elements [ 0.0; 1.0 ])) shapeCondition
        let! conditionType = Gen.elements [ DType.Float32; DType.Float64 ]
        let! a = tensor shapeA
        let! b = tensor shapeB
        let mask = condition.To(conditionType)
        return case $"where {show shapeCondition} {show shapeA} {show shapeB}" (fun x -> Tensor.Where(mask, x[0], x[1]))
                    (fun x -> Dual.where (Dual.ofTensor condition) x[0] x[1]) [| a; b |]
    })

let private dropout =
    spec "dropout" (gen {
        let! probability = Gen.elements [ 0.2; 0.5; 0.8 ]
        let! seed = Gen.choose (0, 1_000_000)
        let! shape = shape 0 3
        let! x = tensor shape
        // The documented rule: one uniform draw per element in row-major order, kept when the draw is at least p.
        let draws = Generator(uint64 seed)
        let mask = Array.init (count shape) (fun _ -> if draws.NextDouble() >= probability then 1.0 else 0.0)
        return case $"dropout {show shape} p {probability} seed {seed}" (fun x -> x[0].Dropout(probability, true, Generator(uint64 seed)))
                    (fun x -> Dual.dropout mask probability x[0]) [| x |]
    })

let private linear =
    spec "linear" (gen {
        let! leading = shape 0 2
        let! features, outputs = Gen.zip dimension dimension
        let! withBias = Gen.elements [ true; false ]
        let! input = tensor (Array.append leading [| features |])
        let! weight = tensor [| outputs; features |]
        let! bias = tensor [| outputs |]
        let name = $"linear {input.Shape} weight {weight.Shape}" + (if withBias then " with bias" else "")
        if withBias then
            return case name (fun x -> Tensor.Linear(x[0], x[1], x[2])) (fun x -> Dual.linear x[0] x[1] (Some x[2])) [| input; weight; bias |]
        else
            return case name (fun x -> Tensor.Linear(x[0], x[1], null)) (fun x -> Dual.linear x[0] x[1] None) [| input; weight |]
    })

/// One generator of cases per operation.
let specs : OpSpec list =
    [ binary "add" (fun a b -> a + b) (fun a s -> a + s) (fun s b -> s + b) Dual.add (uniform -2.0 2.0) (uniform -2.0 2.0)
      binary "sub" (fun a b -> a - b) (fun a s -> a - s) (fun s b -> s - b) Dual.sub (uniform -2.0 2.0) (uniform -2.0 2.0)
      binary "mul" (fun a b -> a * b) (fun a s -> a * s) (fun s b -> s * b) Dual.mul (uniform -2.0 2.0) (uniform -2.0 2.0)
      binary "div" (fun a b -> a / b) (fun a s -> a / s) (fun s b -> s / b) Dual.div (uniform -2.0 2.0) (awayFromZero 0.5 2.0)
      unary "neg" (fun x -> -x) Dual.neg (uniform -2.0 2.0)
      pow
      unary "exp" (fun x -> x.Exp()) Dual.exp (uniform -2.0 2.0)
      unary "log" (fun x -> x.Log()) Dual.log (uniform 0.2 3.0)
      unary "sqrt" (fun x -> x.Sqrt()) Dual.sqrt (uniform 0.2 3.0)
      unary "abs" (fun x -> x.Abs()) Dual.abs (awayFromZero 0.05 2.0)
      unary "tanh" (fun x -> x.Tanh()) Dual.tanh (uniform -3.0 3.0)
      unary "sigmoid" (fun x -> x.Sigmoid()) Dual.sigmoid (uniform -4.0 4.0)
      unary "relu" (fun x -> x.Relu()) Dual.relu (awayFromZero 0.05 2.0)
      leakyRelu
      softplus
      clamp
      where
      dropout
      linear
      reductionSpec "sum" sumForms (uniform -2.0 2.0)
      matmul
      expand
      sumTo
      reshape
      convert ]
