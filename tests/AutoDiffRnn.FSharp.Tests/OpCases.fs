/// The GradCheck cases of every operation of the core op set: the C# formulation paired with the F# reference on duals,
/// at generated shapes, axes and values.
module AutoDiffRnn.FSharp.Tests.OpCases

open System
open FsCheck
open FsCheck.FSharp
open AutoDiffRnn
open AutoDiffRnn.FSharp
open AutoDiffRnn.FSharp.Tests.Generators

/// The generator of cases for one operation: Name is the operation as the public API calls it, Records the names of
/// AutoDiffRnn.Operations.Names that every generated case must record on the tape (e.g. transpose records permute).
type OpSpec = { Name: string; Records: string list; Generate: Gen<GradCase> }

let spec operation generate = { Name = operation; Records = [ operation ]; Generate = generate }

let specRecording name records generate = { Name = name; Records = records; Generate = generate }

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

let meanForms =
    { All = fun x -> x.Mean()
      Axis = fun x a keep -> x.Mean(a, keep)
      Axes = fun x a keep -> x.Mean(a, keep)
      Reference = Dual.meanAxes
      ReferenceAll = Dual.mean }

let maxForms =
    { All = fun x -> x.Max()
      Axis = fun x a keep -> x.Max(a, keep)
      Axes = fun x a keep -> x.Max(a, keep)
      Reference = Dual.maxAxes
      ReferenceAll = Dual.max }

let minForms =
    { All = fun x -> x.Min()
      Axis = fun x a keep -> x.Min(a, keep)
      Axes = fun x a keep -> x.Min(a, keep)
      Reference = Dual.minAxes
      ReferenceAll = Dual.min }

/// The operations along one axis that are run over every axis of a [2,3,4] tensor: name, C#, reference, values.
let private alongAxisOperations : (string * (Tensor -> int -> bool -> Tensor) * (int -> bool -> Dual -> Dual)) list =
    [ "softmax", (fun x a _ -> x.Softmax(a)), (fun a _ x -> Dual.softmax a x)
      "log_softmax", (fun x a _ -> x.LogSoftmax(a)), (fun a _ x -> Dual.logSoftmax a x)
      "logsumexp", (fun x a keep -> x.LogSumExp(a, keep)), (fun a keep x -> Dual.logSumExp a keep x) ]

/// GradCheck cases of every reduction and softmax-like operation over each axis of a fixed [2,3,4] tensor, with and
/// without keepDim (max and min on distinct values, so no ties).
let eachAxisCases =
    let normal = Tensor.Normal(Shape(2, 3, 4), 0.0, 1.0, DType.Float64, Generator(7UL))
    let distinctValues = Tensor.FromArray((Gen.sample 1 (distinct 24))[0], Nullable(Shape(2, 3, 4)))
    [ for operation, forms, x in [ "sum", sumForms, normal; "mean", meanForms, normal; "max", maxForms, distinctValues; "min", minForms, distinctValues ] do
        for a in 0 .. 2 do
            for keep in [ true; false ] do
                reductionCase operation forms (Axis(a, keep)) x
      for operation, csharp, reference in alongAxisOperations do
        for a in 0 .. 2 do
            for keep in (if operation = "logsumexp" then [ true; false ] else [ false ]) do
                let name = $"{operation} [2,3,4] axis {a}" + (if operation = "logsumexp" then $" keepDim {keep}" else "")
                case name (fun x -> csharp x[0] a keep) (fun x -> reference a keep x[0]) [| normal |] ]

/// An operation along one axis of a tensor of rank 1 to 3 (softmax, log_softmax, logsumexp).
let private alongAxis operation (csharp: Tensor -> int -> bool -> Tensor) (reference: int -> bool -> Dual -> Dual) =
    spec operation (gen {
        let! shape = shape 1 3
        let! a = axis shape.Length
        let! keep = Gen.elements [ true; false ]
        let! x = tensorWith (uniform -3.0 3.0) shape
        let name = $"{operation} {show shape} axis {a}" + (if operation = "logsumexp" then $" keepDim {keep}" else "")
        return case name (fun x -> csharp x[0] a keep) (fun x -> reference a keep x[0]) [| x |]
    })

/// A shape of rank 1 to 3, an axis of it (negative half of the time), the axis normalized, and its size, at least minimum.
let private withAxis (minimum: int) =
    gen {
        let! shape = shape 1 3
        let! a = axis shape.Length
        let normalized = (a + shape.Length) % shape.Length
        let! size = Gen.choose (minimum, 4)
        return Array.updateAt normalized size shape, a, normalized, size
    }

let private transpose =
    spec "transpose" (gen {
        let! shape = shape 2 4
        let! first = axis shape.Length
        let! second = axis shape.Length |> Gen.filter (fun s -> (s + shape.Length) % shape.Length <> (first + shape.Length) % shape.Length)
        let! x = tensor shape
        return case $"transpose {show shape} {first} {second}" (fun x -> x[0].Transpose(first, second)) (fun x -> Dual.transpose first second x[0]) [| x |]
    })

let private permute =
    spec "permute" (gen {
        let! shape = shape 2 4
        let! axes = Gen.shuffle [| 0 .. shape.Length - 1 |] |> Gen.filter (fun axes -> axes <> Array.init axes.Length id)
        let! x = tensor shape
        return case $"permute {show shape} by {show axes}" (fun x -> x[0].Permute(axes)) (fun x -> Dual.permute axes x[0]) [| x |]
    })

/// A slice [start, start + length) that is not the whole axis (a whole-axis narrow returns its input unrecorded).
let private slice =
    gen {
        let! shape, a, normalized, size = withAxis 2
        let! start, length =
            Gen.choose (0, size - 1) |> Gen.bind (fun start -> Gen.choose (1, size - start) |> Gen.map (fun length -> start, length))
            |> Gen.filter (fun (start, length) -> length < size)
        return shape, a, normalized, start, length
    }

let private narrow =
    spec "narrow" (gen {
        let! shape, a, _, start, length = slice
        let! x = tensor shape
        return case $"narrow {show shape} axis {a} from {start} length {length}" (fun x -> x[0].Narrow(a, start, length))
                    (fun x -> Dual.narrow a start length x[0]) [| x |]
    })

/// narrow_backward appears only in backward passes: its case is narrow's VJP, recorded (createGraph) as a function of u.
let private narrowBackward =
    spec "narrow_backward" (gen {
        let! shape, a, normalized, start, length = slice
        let! x = tensor shape
        let! u = tensor (Array.updateAt normalized length shape)
        return case $"narrow_backward (VJP of narrow {show shape} axis {a} from {start} length {length})"
                    (fun u -> Diff.vjpRecorded (fun x -> x.Narrow(a, start, length)) x u[0])
                    (fun u -> Dual.narrowBackward shape a start u[0]) [| u |]
    })

let private select =
    spec "select" (gen {
        let! shape, a, _, size = withAxis 2
        let! index = Gen.choose (-size, size - 1)
        let! x = tensor shape
        return case $"select {show shape} axis {a} index {index}" (fun x -> x[0].Select(a, index)) (fun x -> Dual.select a index x[0]) [| x |]
    })

let private indices size = Gen.choose (1, 5) |> Gen.bind (fun count -> Gen.arrayOfLength count (Gen.choose (0, size - 1)))

let private indexSelect =
    spec "index_select" (gen {
        let! shape, a, _, size = withAxis 1
        let! indices = indices size
        let! x = tensor shape
        return case $"index_select {show shape} axis {a} indices {show indices}" (fun x -> x[0].IndexSelect(a, indices))
                    (fun x -> Dual.indexSelect a indices x[0]) [| x |]
    })

/// index_add appears only in backward passes: its case is index_select's VJP, recorded as a function of u.
let private indexAdd =
    spec "index_add" (gen {
        let! shape, a, normalized, size = withAxis 1
        let! indices = indices size
        let! x = tensor shape
        let! u = tensor (Array.updateAt normalized indices.Length shape)
        return case $"index_add (VJP of index_select {show shape} axis {a} indices {show indices})"
                    (fun u -> Diff.vjpRecorded (fun x -> x.IndexSelect(a, indices)) x u[0])
                    (fun u -> Dual.indexAdd shape a indices u[0]) [| u |]
    })

let private concat =
    spec "concat" (gen {
        let! shape, a, normalized, _ = withAxis 1
        let! count = Gen.choose (2, 3)
        let! sizes = Gen.arrayOfLength count (Gen.choose (1, 3))
        let! parts = sizes |> Array.map (fun size -> tensor (Array.updateAt normalized size shape)) |> Gen.sequenceToArray
        let shapes = parts |> Array.map (fun p -> string p.Shape) |> String.concat " "
        return case $"concat {shapes} axis {a}" (fun x -> Tensor.Concat(x, a)) (fun x -> Dual.concat a x) parts
    })

let private stack =
    spec "stack" (gen {
        let! shape = shape 0 3
        let! position = Gen.choose (-(shape.Length + 1), shape.Length)
        let! count = Gen.choose (2, 3)
        let! parts = Array.init count (fun _ -> tensor shape) |> Gen.sequenceToArray
        return case $"stack {count} of {show shape} axis {position}" (fun x -> Tensor.Stack(x, position)) (fun x -> Dual.stack position x) parts
    })

/// Pieces (at least two) checked through one of them, or through all of them joined in reverse order.
let private pieces operation (csharp: Tensor -> Tensor[]) (reference: Dual -> Dual[]) (shape: int[]) (axis: int) (description: string) =
    gen {
        let! x = tensor shape
        let count = (reference (Dual.ofTensor x)).Length
        let! choice = Gen.choose (-1, count - 1)
        if choice < 0 then
            return case $"{operation} {show shape} {description}, all pieces joined in reverse" (fun x -> Tensor.Concat(Array.rev (csharp x[0]), axis))
                        (fun x -> Dual.concat axis (Array.rev (reference x[0]))) [| x |]
        else
            return case $"{operation} {show shape} {description}, piece {choice}" (fun x -> (csharp x[0])[choice])
                        (fun x -> (reference x[0])[choice]) [| x |]
    }

let private split =
    spec "split" (gen {
        let! shape, a, _, size = withAxis 2
        let! bySizes = Gen.elements [ true; false ]
        if bySizes then
            let! cuts = Gen.subListOf [ 1 .. size - 1 ] |> Gen.filter (fun cuts -> not cuts.IsEmpty)
            let bounds = Array.concat [ [| 0 |]; List.toArray (List.sort cuts); [| size |] ]
            let sizes = Array.pairwise bounds |> Array.map (fun (start, stop) -> stop - start)
            return! pieces "split" (fun x -> x.Split(sizes, a)) (Dual.split sizes a) shape a $"sizes {show sizes} axis {a}"
        else
            let! pieceSize = Gen.choose (1, size - 1)
            return! pieces "split" (fun x -> x.Split(pieceSize, a)) (Dual.splitEvery pieceSize a) shape a $"every {pieceSize} axis {a}"
    })

let private chunk =
    spec "chunk" (gen {
        let! shape, a, _, _ = withAxis 2
        let! chunks = Gen.choose (2, 4)
        return! pieces "chunk" (fun x -> x.Chunk(chunks, a)) (Dual.chunk chunks a) shape a $"{chunks} chunks axis {a}"
    })

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

let private layerNorm =
    spec "layer_norm" (gen {
        let! leading = shape 0 2
        // at least 3 features: with 1 or 2 the normalised row is constant (±1) and the Jacobian nearly 0, so the dot-product check
        // compares two cancellations
        let! features = Gen.choose (3, 5)
        let! form = Gen.elements [ 0; 1; 2; 3 ] // weight and bias, weight only, bias only, neither
        let! epsilon = Gen.elements [ 1e-5; 0.1 ]
        let! input = tensor (Array.append leading [| features |])
        let! weight = tensor [| features |]
        let! bias = tensor [| features |]
        let name = $"layer_norm {input.Shape} eps {epsilon} form {form}"
        return
            match form with
            | 0 -> case name (fun x -> Tensor.LayerNorm(x[0], x[1], x[2], epsilon)) (fun x -> Dual.layerNorm epsilon (Some x[1]) (Some x[2]) x[0]) [| input; weight; bias |]
            | 1 -> case name (fun x -> Tensor.LayerNorm(x[0], x[1], null, epsilon)) (fun x -> Dual.layerNorm epsilon (Some x[1]) None x[0]) [| input; weight |]
            | 2 -> case name (fun x -> Tensor.LayerNorm(x[0], null, x[1], epsilon)) (fun x -> Dual.layerNorm epsilon None (Some x[1]) x[0]) [| input; bias |]
            | _ -> case name (fun x -> Tensor.LayerNorm(x[0], null, null, epsilon)) (fun x -> Dual.layerNorm epsilon None None x[0]) [| input |]
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
      layerNorm
      reductionSpec "sum" sumForms (uniform -2.0 2.0)
      { reductionSpec "mean" meanForms (uniform -2.0 2.0) with Records = [ "sum" ] }
      reductionSpec "max" maxForms distinct
      reductionSpec "min" minForms distinct
      alongAxis "softmax" (fun x a _ -> x.Softmax(a)) (fun a _ x -> Dual.softmax a x)
      alongAxis "log_softmax" (fun x a _ -> x.LogSoftmax(a)) (fun a _ x -> Dual.logSoftmax a x)
      alongAxis "logsumexp" (fun x a keep -> x.LogSumExp(a, keep)) (fun a keep x -> Dual.logSumExp a keep x)
      { transpose with Records = [ "permute" ] }
      permute
      narrow
      narrowBackward
      { select with Records = [ "narrow" ] }
      indexSelect
      indexAdd
      concat
      { stack with Records = [ "concat" ] }
      { split with Records = [ "narrow" ] }
      { chunk with Records = [ "narrow" ] }
      matmul
      expand
      sumTo
      reshape
      convert ]
