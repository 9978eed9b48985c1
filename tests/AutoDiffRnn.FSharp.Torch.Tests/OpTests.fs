/// Every operation of the core op set against libtorch: GradCheck with the libtorch oracle (float64), and direct comparisons of values
/// and gradients in float64 (1e-10) and float32 (1e-4), at seeded random shapes and values.
module AutoDiffRnn.FSharp.Torch.Tests.OpTests

open System
open Expecto
open AutoDiffRnn
open AutoDiffRnn.FSharp
open AutoDiffRnn.FSharp.Torch
open AutoDiffRnn.FSharp.Torch.Tests.Support
open TorchSharp

type private T = torch.Tensor

/// One generated case: the C# function, its libtorch counterpart, the inputs.
type OpCase =
    { Label: string
      CSharp: Tensor[] -> Tensor
      Torch: TorchFunction
      Inputs: Tensor[]
      Float32Grid: bool }

/// The cases of one operation: Records are the names of Operations.Names each case must record on the tape.
type OpSpec = { Name: string; Records: string list; Make: Random -> OpCase }

let private case label csharp torchFunction inputs = { Label = label; CSharp = csharp; Torch = torchFunction; Inputs = inputs; Float32Grid = false }
let private spec name make = { Name = name; Records = [ name ]; Make = make }
let private recording name records make = { Name = name; Records = records; Make = make }

let private unary name (csharp: Tensor -> Tensor) (torchFunction: T -> T) (values: Random -> int[] -> Tensor) =
    spec name (fun r ->
        let shape = shapeOf r 0 3
        case $"{name} {show shape}" (fun x -> csharp x[0]) (fun x -> torchFunction x[0]) [| values r shape |])

/// Tensor with tensor (broadcast), or with a scalar on either side.
let private binary name (tt: Tensor -> Tensor -> Tensor) (ts: Tensor -> float -> Tensor) (st: float -> Tensor -> Tensor) (torchFunction: T -> T -> T)
                   (valuesB: Random -> int[] -> Tensor) =
    spec name (fun r ->
        let full = shapeOf r 1 3
        let reduced = full |> Array.mapi (fun k size -> if r.Next 3 = 0 then 1 else size)
        let reduced = reduced[r.Next(0, reduced.Length + 1) ..]
        let shapeA, shapeB = if r.Next 2 = 0 then full, reduced else reduced, full
        let a, b = uniform r -2.0 2.0 shapeA, valuesB r shapeB
        let scalarA, scalarB = (uniform r -2.0 2.0 [||]).ToScalar(), (valuesB r [||]).ToScalar()
        match r.Next 4 with
        | 1 -> case $"{name} {show shapeA} with scalar {scalarB}" (fun x -> ts x[0] scalarB) (fun x -> torchFunction x[0] (TorchOps.scalarLike x[0] scalarB)) [| a |]
        | 2 -> case $"{name} scalar {scalarA} with {show shapeB}" (fun x -> st scalarA x[0]) (fun x -> torchFunction (TorchOps.scalarLike x[0] scalarA) x[0]) [| b |]
        | _ -> case $"{name} {show shapeA} with {show shapeB}" (fun x -> tt x[0] x[1]) (fun x -> torchFunction x[0] x[1]) [| a; b |])

/// A reduction over all axes, one axis or several, keepDim either way.
let private reduction name (all: Tensor -> Tensor) (along: Tensor -> int[] -> bool -> Tensor) (torchAll: T -> T) (torchAlong: int[] -> bool -> T -> T)
                      (values: Random -> int[] -> Tensor) =
    spec name (fun r ->
        let shape = shapeOf r 1 3
        let x = values r shape
        match r.Next 3 with
        | 0 -> case $"{name} {show shape} over all" (fun x -> all x[0]) (fun x -> torchAll x[0]) [| x |]
        | _ ->
            let axes = [| 0 .. shape.Length - 1 |] |> Array.filter (fun _ -> r.Next 2 = 0)
            let axes = if axes.Length = 0 then [| r.Next shape.Length |] else axes
            let axes = axes |> Array.map (fun a -> if r.Next 2 = 0 then a - shape.Length else a) // negative half of the time
            let keep = r.Next 2 = 0
            case $"{name} {show shape} axes {show axes} keepDim {keep}" (fun x -> along x[0] axes keep) (fun x -> torchAlong axes keep x[0]) [| x |])

let private alongAxis name (csharp: Tensor -> int -> bool -> Tensor) (torchFunction: int -> bool -> T -> T) =
    spec name (fun r ->
        let shape = shapeOf r 1 3
        let a = r.Next(-shape.Length, shape.Length)
        let keep = r.Next 2 = 0
        case $"{name} {show shape} axis {a} keepDim {keep}" (fun x -> csharp x[0] a keep) (fun x -> torchFunction a keep x[0]) [| uniform r -3.0 3.0 shape |])

/// A shape of rank 1..3 and an axis of it (negative half of the time) whose size is at least minimum.
let private withAxis (r: Random) (minimum: int) =
    let shape = shapeOf r 1 3
    let normalized = r.Next shape.Length
    let shape = Array.updateAt normalized (r.Next(minimum, 5)) shape
    shape, (if r.Next 2 = 0 then normalized - shape.Length else normalized), normalized

let private lstmSequence =
    spec "lstm_sequence" (fun r ->
        let steps, batch, inputSize, hidden = r.Next(1, 4), r.Next(1, 4), r.Next(1, 4), r.Next(1, 3)
        let reverse, withBias, withLengths = r.Next 2 = 0, r.Next 2 = 0, r.Next 2 = 0
        let lengths = if withLengths then Some(Array.init batch (fun _ -> r.Next(1, steps + 1))) else None
        let inputs =
            [| normal r [| steps; batch; inputSize |]; normal r [| batch; hidden |]; normal r [| batch; hidden |]
               normal r [| 4 * hidden; inputSize |]; normal r [| 4 * hidden; hidden |]
               if withBias then normal r [| 4 * hidden |]; normal r [| 4 * hidden |] |]
        let bias (x: 'a[]) k = if withBias then Some x[k] else None
        let lengthsText = match lengths with Some l -> $" lengths {show l}" | None -> ""
        case $"lstm_sequence T{steps} B{batch} I{inputSize} H{hidden} reverse {reverse} bias {withBias}{lengthsText}"
             (fun x -> Tensor.LstmSequence(x[0], x[1], x[2], x[3], x[4], Option.toObj (bias x 5), Option.toObj (bias x 6), reverse, Option.toObj lengths))
             (fun x -> TorchOps.lstmSequence x[0] x[1] x[2] x[3] x[4] (bias x 5) (bias x 6) reverse lengths) inputs)

let private gruSequence =
    spec "gru_sequence" (fun r ->
        let steps, batch, inputSize, hidden = r.Next(1, 4), r.Next(1, 4), r.Next(1, 4), r.Next(1, 3)
        let reverse, withBias, withLengths = r.Next 2 = 0, r.Next 2 = 0, r.Next 2 = 0
        let lengths = if withLengths then Some(Array.init batch (fun _ -> r.Next(1, steps + 1))) else None
        let inputs =
            [| normal r [| steps; batch; inputSize |]; normal r [| batch; hidden |]
               normal r [| 3 * hidden; inputSize |]; normal r [| 3 * hidden; hidden |]
               if withBias then normal r [| 3 * hidden |]; normal r [| 3 * hidden |] |]
        let bias (x: 'a[]) k = if withBias then Some x[k] else None
        let lengthsText = match lengths with Some l -> $" lengths {show l}" | None -> ""
        case $"gru_sequence T{steps} B{batch} I{inputSize} H{hidden} reverse {reverse} bias {withBias}{lengthsText}"
             (fun x -> Tensor.GruSequence(x[0], x[1], x[2], x[3], Option.toObj (bias x 4), Option.toObj (bias x 5), reverse, Option.toObj lengths))
             (fun x -> TorchOps.gruSequence x[0] x[1] x[2] x[3] (bias x 4) (bias x 5) reverse lengths) inputs)

/// One generator per operation of the core op set (and per public form that records one, e.g. transpose records permute).
let specs : OpSpec list =
    [ binary "add" (fun a b -> a + b) (fun a s -> a + s) (fun s b -> s + b) TorchOps.add (fun r -> uniform r -2.0 2.0)
      binary "sub" (fun a b -> a - b) (fun a s -> a - s) (fun s b -> s - b) TorchOps.sub (fun r -> uniform r -2.0 2.0)
      binary "mul" (fun a b -> a * b) (fun a s -> a * s) (fun s b -> s * b) TorchOps.mul (fun r -> uniform r -2.0 2.0)
      binary "div" (fun a b -> a / b) (fun a s -> a / s) (fun s b -> s / b) TorchOps.div (fun r -> awayFromZero r 0.5 2.0)
      unary "neg" (fun x -> -x) TorchOps.neg (fun r -> uniform r -2.0 2.0)
      spec "pow" (fun r ->
          let exponent = [| 2.0; 3.0; 1.0; 0.0; -1.0; 0.5; -1.5; 1.7 |][r.Next 8]
          let shape = shapeOf r 0 3
          let x =
              if exponent = Math.Round exponent && exponent >= 0.0 then uniform r -2.0 2.0 shape
              elif exponent = Math.Round exponent then awayFromZero r 0.4 2.0 shape
              else uniform r 0.3 2.0 shape
          case $"pow {show shape} ^ {exponent}" (fun x -> x[0].Pow(exponent)) (fun x -> TorchOps.pow exponent x[0]) [| x |])
      unary "exp" (fun x -> x.Exp()) TorchOps.exp (fun r -> uniform r -2.0 2.0)
      unary "log" (fun x -> x.Log()) TorchOps.log (fun r -> uniform r 0.2 3.0)
      unary "sqrt" (fun x -> x.Sqrt()) TorchOps.sqrt (fun r -> uniform r 0.2 3.0)
      unary "abs" (fun x -> x.Abs()) TorchOps.abs (fun r -> awayFromZero r 0.05 2.0)
      unary "tanh" (fun x -> x.Tanh()) TorchOps.tanh (fun r -> uniform r -3.0 3.0)
      unary "sigmoid" (fun x -> x.Sigmoid()) TorchOps.sigmoid (fun r -> uniform r -4.0 4.0)
      unary "relu" (fun x -> x.Relu()) TorchOps.relu (fun r -> awayFromZero r 0.05 2.0)
      spec "leaky_relu" (fun r ->
          let slope = 0.01 + 0.29 * r.NextDouble()
          let shape = shapeOf r 0 3
          case $"leaky_relu {show shape} slope {slope}" (fun x -> x[0].LeakyRelu(slope)) (fun x -> TorchOps.leakyRelu slope x[0]) [| awayFromZero r 0.05 2.0 shape |])
      spec "softplus" (fun r ->
          let beta, threshold = [| 1.0; 2.0; 0.5 |][r.Next 3], [| 20.0; 1.0; -0.5 |][r.Next 3]
          let shape = shapeOf r 0 3
          let x = uniform r -3.0 3.0 shape
          let away = x.ToDoubleArray() |> Array.map (fun v -> if abs (beta * v - threshold) < 0.05 then v + 0.1 / beta else v)
          case $"softplus {show shape} beta {beta} threshold {threshold}" (fun x -> x[0].Softplus(beta, threshold))
               (fun x -> TorchOps.softplus beta threshold x[0]) [| Tensor.FromArray(away, Nullable x.Shape) |])
      spec "clamp" (fun r ->
          let low, high = -r.NextDouble(), r.NextDouble()
          let minimum, maximum = [| Some low, Some high; Some low, None; None, Some high |][r.Next 3]
          let near bound (v: float) = match bound with Some b -> abs (v - b) < 0.01 | None -> false
          let shape = shapeOf r 0 3
          let x = (uniform r -2.0 2.0 shape).ToDoubleArray() |> Array.map (fun v -> if near minimum v || near maximum v then v + 0.03 else v)
          case $"clamp {show shape} to [{minimum}, {maximum}]" (fun x -> x[0].Clamp(Option.toNullable minimum, Option.toNullable maximum))
               (fun x -> TorchOps.clamp minimum maximum x[0]) [| Tensor.FromArray(x, Nullable(Shape(shape))) |])
      spec "where" (fun r ->
          let full = shapeOf r 0 3
          let reduce () = (full |> Array.map (fun size -> if r.Next 3 = 0 then 1 else size))[r.Next(0, full.Length + 1) ..]
          let shapeCondition, shapeA, shapeB = reduce (), reduce (), reduce ()
          let condition = tensorOf shapeCondition (fun () -> float (r.Next 2))
          case $"where {show shapeCondition} {show shapeA} {show shapeB}" (fun x -> Tensor.Where(condition, x[0], x[1]))
               (fun x -> TorchOps.where (TorchTensor.ofTensor condition) x[0] x[1]) [| normal r shapeA; normal r shapeB |])
      spec "dropout" (fun r ->
          let probability = [| 0.2; 0.5; 0.8 |][r.Next 3]
          let seed = uint64 (r.Next 1_000_000)
          let shape = shapeOf r 0 3
          // AutoDiffRnn's documented rule: one uniform draw per element in row-major order, kept when the draw is at least p.
          let draws = Generator(seed)
          let mask = tensorOf shape (fun () -> if draws.NextDouble() >= probability then 1.0 else 0.0)
          case $"dropout {show shape} p {probability} seed {seed}" (fun x -> x[0].Dropout(probability, true, Generator(seed)))
               (fun x -> TorchOps.dropout (TorchTensor.ofTensor mask) probability x[0]) [| normal r shape |])
      spec "layer_norm" (fun r ->
          let features = r.Next(1, 6)
          let input, weight, bias = normal r (Array.append (shapeOf r 0 2) [| features |]), normal r [| features |], normal r [| features |]
          let epsilon = if r.Next 2 = 0 then 1e-5 else 0.1
          if r.Next 2 = 0 then
              case $"layer_norm {input.Shape} eps {epsilon} with weight and bias" (fun x -> Tensor.LayerNorm(x[0], x[1], x[2], epsilon))
                   (fun x -> TorchOps.layerNorm epsilon (Some x[1]) (Some x[2]) x[0]) [| input; weight; bias |]
          else
              case $"layer_norm {input.Shape} eps {epsilon}" (fun x -> Tensor.LayerNorm(x[0], null, null, epsilon))
                   (fun x -> TorchOps.layerNorm epsilon None None x[0]) [| input |])
      spec "linear" (fun r ->
          let leading = shapeOf r 0 2
          let features, outputs = r.Next(1, 5), r.Next(1, 5)
          let input, weight, bias = normal r (Array.append leading [| features |]), normal r [| outputs; features |], normal r [| outputs |]
          if r.Next 2 = 0 then
              case $"linear {input.Shape} weight {weight.Shape} with bias" (fun x -> Tensor.Linear(x[0], x[1], x[2]))
                   (fun x -> TorchOps.linear x[0] x[1] (Some x[2])) [| input; weight; bias |]
          else
              case $"linear {input.Shape} weight {weight.Shape}" (fun x -> Tensor.Linear(x[0], x[1], null)) (fun x -> TorchOps.linear x[0] x[1] None) [| input; weight |])
      spec "matmul" (fun r ->
          let m, inner, n, batch = r.Next(1, 5), r.Next(1, 5), r.Next(1, 5), r.Next(1, 4)
          let rankA, rankB = [| 2, 2; 3, 3; 3, 2; 2, 3 |][r.Next 4]
          let transposeA, transposeB = r.Next 2 = 0, r.Next 2 = 0
          let layout rank rows columns transposed =
              Array.append (if rank = 3 then [| batch |] else [||]) (if transposed then [| columns; rows |] else [| rows; columns |])
          let shapeA, shapeB = layout rankA m inner transposeA, layout rankB inner n transposeB
          case $"matmul {show shapeA} (transposed {transposeA}) x {show shapeB} (transposed {transposeB})"
               (fun x -> Tensor.MatMul(x[0], x[1], transposeA, transposeB)) (fun x -> TorchOps.matmulWith transposeA transposeB x[0] x[1])
               [| normal r shapeA; normal r shapeB |])
      reduction "sum" (fun x -> x.Sum()) (fun x axes keep -> x.Sum(axes, keep)) TorchOps.sum TorchOps.sumAxes (fun r -> uniform r -2.0 2.0)
      { reduction "mean" (fun x -> x.Mean()) (fun x axes keep -> x.Mean(axes, keep)) TorchOps.mean TorchOps.meanAxes (fun r -> uniform r -2.0 2.0) with Records = [ "sum" ] }
      reduction "max" (fun x -> x.Max()) (fun x axes keep -> x.Max(axes, keep)) TorchOps.max TorchOps.maxAxes distinct
      reduction "min" (fun x -> x.Min()) (fun x axes keep -> x.Min(axes, keep)) TorchOps.min TorchOps.minAxes distinct
      alongAxis "softmax" (fun x a _ -> x.Softmax(a)) (fun a _ x -> TorchOps.softmax a x)
      alongAxis "log_softmax" (fun x a _ -> x.LogSoftmax(a)) (fun a _ x -> TorchOps.logSoftmax a x)
      alongAxis "logsumexp" (fun x a keep -> x.LogSumExp(a, keep)) (fun a keep x -> TorchOps.logSumExp a keep x)
      spec "reshape" (fun r ->
          let shape = shapeOf r 1 3
          let n = count shape
          let divisors = [| 1 .. n |] |> Array.filter (fun d -> n % d = 0)
          let first = divisors[r.Next divisors.Length]
          let target = if r.Next 2 = 0 then [| first; -1 |] else [| n / first; first; 1 |]
          // tanh after the reshape: the output depends on where each element went
          case $"reshape {show shape} to {show target}" (fun x -> x[0].Reshape(target).Tanh()) (fun x -> (TorchOps.reshape target x[0]).tanh())
               [| normal r shape |])
      recording "transpose" [ "permute" ] (fun r ->
          let shape = shapeOf r 2 4
          let first = r.Next shape.Length
          let second = (first + 1 + r.Next(shape.Length - 1)) % shape.Length
          case $"transpose {show shape} {first} {second - shape.Length}" (fun x -> x[0].Transpose(first, second - shape.Length))
               (fun x -> TorchOps.transpose first (second - shape.Length) x[0]) [| normal r shape |])
      spec "permute" (fun r ->
          let shape = shapeOf r 2 4
          let mutable axes = [| 0 .. shape.Length - 1 |]
          while axes = [| 0 .. shape.Length - 1 |] do
              axes <- Array.copy axes
              r.Shuffle axes
          case $"permute {show shape} by {show axes}" (fun x -> x[0].Permute(axes)) (fun x -> TorchOps.permute axes x[0]) [| normal r shape |])
      spec "expand" (fun r ->
          let full = Array.append (shapeOf r 1 1) (shapeOf r 1 2 |> Array.map (fun size -> size + 1))
          let reduced = (full |> Array.mapi (fun k size -> if k = 0 || r.Next 2 = 0 then 1 else size))[r.Next 2 ..]
          case $"expand {show reduced} to {show full}" (fun x -> x[0].Expand(Shape(full))) (fun x -> TorchOps.expand full x[0]) [| normal r reduced |])
      spec "sum_to" (fun r ->
          let full = Array.append (shapeOf r 1 1) (shapeOf r 1 2 |> Array.map (fun size -> size + 1))
          let reduced = (full |> Array.mapi (fun k size -> if k = 0 || r.Next 2 = 0 then 1 else size))[r.Next 2 ..]
          case $"sum_to {show full} to {show reduced}" (fun x -> x[0].SumTo(Shape(reduced))) (fun x -> TorchOps.sumTo reduced x[0]) [| normal r full |])
      spec "narrow" (fun r ->
          let shape, a, normalized = withAxis r 2
          let size = shape[normalized]
          let length = r.Next(1, size)
          let start = r.Next(0, size - length + 1)
          case $"narrow {show shape} axis {a} from {start} length {length}" (fun x -> x[0].Narrow(a, start, length))
               (fun x -> TorchOps.narrow a start length x[0]) [| normal r shape |])
      spec "narrow_backward" (fun r ->
          let shape, a, normalized = withAxis r 2
          let size = shape[normalized]
          let length = r.Next(1, size)
          let start = r.Next(0, size - length + 1)
          let x = normal r shape
          case $"narrow_backward (VJP of narrow {show shape} axis {a} from {start} length {length})"
               (fun u -> Diff.vjpRecorded (fun x -> x.Narrow(a, start, length)) (x.To(u[0].DType)) u[0])
               (fun u -> TorchOps.narrowBackward shape a start u[0]) [| normal r (Array.updateAt normalized length shape) |])
      recording "select" [ "narrow" ] (fun r ->
          let shape, a, normalized = withAxis r 2
          let index = r.Next(-shape[normalized], shape[normalized])
          case $"select {show shape} axis {a} index {index}" (fun x -> x[0].Select(a, index)) (fun x -> TorchOps.select a index x[0]) [| normal r shape |])
      spec "index_select" (fun r ->
          let shape, a, normalized = withAxis r 1
          let indices = Array.init (r.Next(1, 6)) (fun _ -> r.Next shape[normalized])
          case $"index_select {show shape} axis {a} indices {show indices}" (fun x -> x[0].IndexSelect(a, indices))
               (fun x -> TorchOps.indexSelect a indices x[0]) [| normal r shape |])
      spec "index_add" (fun r ->
          let shape, a, normalized = withAxis r 1
          let indices = Array.init (r.Next(1, 6)) (fun _ -> r.Next shape[normalized])
          let x = normal r shape
          case $"index_add (VJP of index_select {show shape} axis {a} indices {show indices})"
               (fun u -> Diff.vjpRecorded (fun x -> x.IndexSelect(a, indices)) (x.To(u[0].DType)) u[0])
               (fun u -> TorchOps.indexAdd shape a indices u[0]) [| normal r (Array.updateAt normalized indices.Length shape) |])
      spec "concat" (fun r ->
          let shape, a, normalized = withAxis r 1
          let parts = Array.init (r.Next(2, 4)) (fun _ -> normal r (Array.updateAt normalized (r.Next(1, 4)) shape))
          let shapes = parts |> Array.map (fun p -> string p.Shape) |> String.concat " "
          case $"concat {shapes} axis {a}" (fun x -> Tensor.Concat(x, a)) (fun x -> TorchOps.concat a x) parts)
      recording "stack" [ "concat" ] (fun r ->
          let shape = shapeOf r 0 3
          let position = r.Next(-(shape.Length + 1), shape.Length + 1)
          let parts = Array.init (r.Next(2, 4)) (fun _ -> normal r shape)
          case $"stack {parts.Length} of {show shape} axis {position}" (fun x -> Tensor.Stack(x, position)) (fun x -> TorchOps.stack position x) parts)
      recording "split" [ "narrow" ] (fun r ->
          let shape, a, normalized = withAxis r 2
          let size = shape[normalized]
          let x = normal r shape
          if r.Next 2 = 0 then
              let cut = r.Next(1, size)
              let sizes = [| cut; size - cut |]
              let piece = r.Next 2
              case $"split {show shape} sizes {show sizes} axis {a}, piece {piece}" (fun x -> (x[0].Split(sizes, a))[piece])
                   (fun x -> (TorchOps.split sizes a x[0])[piece]) [| x |]
          else
              let every = r.Next(1, size)
              case $"split {show shape} every {every} axis {a}, all pieces joined in reverse"
                   (fun x -> Tensor.Concat(Array.rev (x[0].Split(every, a)), a)) (fun x -> TorchOps.concat a (Array.rev (TorchOps.splitEvery every a x[0]))) [| x |])
      recording "chunk" [ "narrow" ] (fun r ->
          let shape, a, _ = withAxis r 2
          let chunks = r.Next(2, 5)
          case $"chunk {show shape} into {chunks} axis {a}, all pieces joined in reverse"
               (fun x -> Tensor.Concat(Array.rev (x[0].Chunk(chunks, a)), a)) (fun x -> TorchOps.concat a (Array.rev (TorchOps.chunk chunks a x[0]))) [| normal r shape |])
      spec "to" (fun r ->
          let shape = shapeOf r 0 3
          // values on the float32 grid and a power of two: the float32 round trip is exact at every point GradCheck probes
          let x = tensorOf shape (fun () -> float (r.Next 513 - 256) / 64.0)
          let c = [| 0.5; 2.0; -4.0 |][r.Next 3]
          { case $"to float32 and back {show shape} times {c}" (fun x -> (x[0].To(DType.Float32) * c).To(DType.Float64))
                 (fun x -> ((TorchOps.convert DType.Float32 x[0]) * TorchOps.scalarLike (TorchOps.convert DType.Float32 x[0]) c) |> TorchOps.convert DType.Float64) [| x |]
            with Float32Grid = true })
      lstmSequence
      gruSequence ]

/// Every op's generator: the core ops and the convolution and pooling ops.
let allSpecs =
    specs
    @ [ for s in ConvolutionSpecs.specs ->
          { Name = s.Name; Records = s.Records
            Make = fun r -> let c = s.Make r in case c.Label c.CSharp c.Torch c.Inputs } ]

/// The pass thresholds of the issue: libtorch and the tape agree to 1e-10 relative in float64.
let options =
    { GradCheckOptions.Default with
        Tolerances = { GradCheckOptions.Default.Tolerances with Value = 1e-10; Jacobian = 1e-10 }
        Trials = 1 }

let seeds = [ 1; 2; 3 ]

let private gradCheck (spec: OpSpec) (seed: int) =
    test $"{spec.Name} seed {seed}: GradCheck against libtorch" {
        let c = spec.Make(Random(seed * 7919 + spec.Name.Length))
        let report =
            { TorchOracle.case c.Label c.CSharp c.Torch c.Inputs with Float32Grid = c.Float32Grid }
            |> GradCheck.checkWith options
        if not report.Passed then failtest (report.ToTable())
        // not vacuous: libtorch's reverse mode was compared for every input, and the op was recorded
        let againstTorch = report.Comparisons |> List.filter (fun comparison -> comparison.Against = "libtorch" && comparison.Check = ReverseVsOracle)
        Expect.equal againstTorch.Length c.Inputs.Length $"{c.Label}: one libtorch VJP comparison per input"
        for name in spec.Records do
            Expect.contains report.Operations name $"{c.Label}: records {name}"
    }

let private agreement (spec: OpSpec) (dtype: DType) (tolerance: float) (seed: int) =
    test $"{spec.Name} seed {seed}: {dtype} values and gradients agree with libtorch to {tolerance:E0}" {
        let c = spec.Make(Random(seed * 104729 + spec.Name.Length))
        Agreement.ofFunctions c.Label dtype (uint64 seed) c.CSharp c.Torch c.Inputs |> expectAgreement tolerance
    }

[<Tests>]
let tests =
    testList "ops vs libtorch" [
        test "every operation of Operations.Names is covered" {
            let covered = allSpecs |> List.collect (fun spec -> spec.Records) |> set
            let missing = Operations.Names |> Seq.filter (fun name -> not (covered.Contains name)) |> List.ofSeq
            Expect.isEmpty missing "operations without a libtorch case"
            Expect.isTrue (Operations.Names.Count >= 38) $"the op set has {Operations.Names.Count} operations"
        }
        for spec in allSpecs do
            testList spec.Name [
                for seed in seeds do
                    gradCheck spec seed
                    agreement spec DType.Float64 1e-10 seed
                    agreement spec DType.Float32 1e-4 seed ]
    ]
