namespace AutoDiffRnn.FSharp.Torch

open System
open TorchSharp
open AutoDiffRnn
open AutoDiffRnn.FSharp

/// <summary>
/// One row of the libtorch table: the libtorch counterpart of a row of the op table (<c>AutoDiffRnn.FSharp.OpTable</c>) of the same
/// name, given the row's drawn arguments. The libtorch tests draw each op's cases from its F# row and check them against this.
/// </summary>
[<NoEquality; NoComparison>]
type TorchRow =
    {
      /// <summary>The name of the op table's row.</summary>
      Name: string
      /// <summary>The libtorch function for the drawn arguments (boxed, as <c>OpSample.Arguments</c> holds them).</summary>
      Torch: objnull -> TorchFunction }

/// <summary>Building libtorch rows.</summary>
[<RequireQualifiedAccess; CompilationRepresentation(CompilationRepresentationFlags.ModuleSuffix)>]
module TorchRow =

    type private T = torch.Tensor

    /// <summary>A row whose function takes the arguments the F# row draws (of the same type; a mismatch is reported naming the row).</summary>
    let create (name: string) (torchFunction: 'Arguments -> T[] -> T) : TorchRow =
        { Name = name
          Torch =
            fun arguments ->
                let typed =
                    try unbox<'Arguments> arguments
                    with :? InvalidCastException ->
                        let actual = match arguments with null -> "nothing" | a -> a.GetType().Name
                        invalidArg "arguments" $"libtorch row {name}: expects arguments of type {typeof<'Arguments>.Name}, the op table's row drew {actual}"
                torchFunction typed }

    /// <summary>An element-wise op of one tensor with no other arguments.</summary>
    let unary (name: string) (torchFunction: T -> T) = create name (fun () (x: T[]) -> torchFunction x[0])

    /// <summary>A broadcasting binary op, in each <c>BinaryForm</c> (a scalar becomes a 0-d tensor of the other side's dtype).</summary>
    let binary (name: string) (torchFunction: T -> T -> T) =
        create name (fun form (x: T[]) ->
            match form with
            | TensorScalar s -> torchFunction x[0] (torch.tensor(s, dtype = x[0].dtype))
            | ScalarTensor s -> torchFunction (torch.tensor(s, dtype = x[0].dtype)) x[0]
            | TensorTensor -> torchFunction x[0] x[1])

    /// <summary>A reduction over all elements or over axes (see <c>Reduction</c>).</summary>
    let reduction (name: string) (all: T -> T) (axes: int[] -> bool -> T -> T) =
        create name (fun (reduction: Reduction) (x: T[]) ->
            match reduction with
            | All -> all x[0]
            | Axis(axis, keep) -> axes [| axis |] keep x[0]
            | Axes(a, keep) -> axes a keep x[0])

/// <summary>
/// libtorch counterparts of every operation of <c>AutoDiffRnn.Operations.Names</c>, with AutoDiffRnn's argument conventions
/// (axes as ints, negative from the end; shapes as int arrays), written with PyTorch's own operators: what the tape is checked against.
/// </summary>
[<RequireQualifiedAccess>]
module TorchOps =

    type private T = torch.Tensor

    let private longs (values: int[]) = values |> Array.map int64

    /// <summary>A 0-d tensor of the given value with the dtype of <c>like</c>.</summary>
    let scalarLike (like: T) (value: float) : T = torch.tensor(value, dtype = like.dtype)

    /// <summary>a + b, broadcast.</summary>
    let add (a: T) (b: T) : T = a + b
    /// <summary>a − b, broadcast.</summary>
    let sub (a: T) (b: T) : T = a - b
    /// <summary>a · b element-wise, broadcast.</summary>
    let mul (a: T) (b: T) : T = a * b
    /// <summary>a / b element-wise, broadcast.</summary>
    let div (a: T) (b: T) : T = a / b
    /// <summary>−x.</summary>
    let neg (x: T) : T = x.neg()
    /// <summary>x to a constant power.</summary>
    let pow (exponent: float) (x: T) : T = x.pow(torch.tensor(exponent, dtype = x.dtype))
    /// <summary>eˣ.</summary>
    let exp (x: T) : T = x.exp()
    /// <summary>ln x.</summary>
    let log (x: T) : T = x.log()
    /// <summary>√x.</summary>
    let sqrt (x: T) : T = x.sqrt()
    /// <summary>|x|.</summary>
    let abs (x: T) : T = x.abs()
    /// <summary>tanh x.</summary>
    let tanh (x: T) : T = x.tanh()
    /// <summary>σ(x).</summary>
    let sigmoid (x: T) : T = x.sigmoid()
    /// <summary>max(x, 0).</summary>
    let relu (x: T) : T = x.relu()
    /// <summary>x, or slope · x below zero.</summary>
    let leakyRelu (slope: float) (x: T) : T = torch.nn.functional.leaky_relu(x, slope)
    /// <summary>ln(1 + e^(βx)) / β, x itself where βx exceeds the threshold.</summary>
    let softplus (beta: float) (threshold: float) (x: T) : T = torch.nn.functional.softplus(x, beta, threshold)

    /// <summary>x limited to [minimum, maximum] (either bound optional).</summary>
    let clamp (minimum: float option) (maximum: float option) (x: T) : T =
        let low = match minimum with Some m -> x.clamp_min(m.ToScalar()) | None -> x
        match maximum with Some m -> low.clamp_max(m.ToScalar()) | None -> low

    /// <summary>a where the condition is non-zero, b elsewhere (broadcast over all three).</summary>
    let where (condition: T) (a: T) (b: T) : T = torch.where(condition.ne(torch.tensor(0.0, dtype = condition.dtype)), a, b)

    /// <summary>Inverted dropout with a given keep mask (1 keeps, 0 drops; libtorch's own random stream differs from ours).</summary>
    let dropout (mask: T) (probability: float) (x: T) : T =
        let scale = if probability = 1.0 then 0.0 else 1.0 / (1.0 - probability)
        x * mask.to_type(x.dtype) * scalarLike x scale

    /// <summary>The tensor converted to another dtype (differentiable, as AutoDiffRnn's <c>to</c>).</summary>
    let convert (dtype: AutoDiffRnn.DType) (x: T) : T = x.to_type(TorchTensor.scalarTypeOf dtype)

    let private transposeLast (transposed: bool) (x: T) = if transposed then x.transpose(-2L, -1L) else x

    /// <summary>Matrix product of 2-D or batched 3-D tensors, either side optionally transposed in its last two axes.</summary>
    let matmulWith (transposeA: bool) (transposeB: bool) (a: T) (b: T) : T = torch.matmul(transposeLast transposeA a, transposeLast transposeB b)

    /// <summary>torch.nn.functional.layer_norm over the last axis, weight and bias optional.</summary>
    let layerNorm (epsilon: float) (weight: T option) (bias: T option) (x: T) : T =
        let none = Unchecked.defaultof<T>
        torch.nn.functional.layer_norm(x, [| x.shape[x.shape.Length - 1] |], Option.defaultValue none weight, Option.defaultValue none bias, epsilon)

    /// <summary>x Wᵀ + b.</summary>
    let linear (x: T) (weight: T) (bias: T option) : T =
        torch.nn.functional.linear(x, weight, match bias with Some b -> b | None -> Unchecked.defaultof<T>)

    /// <summary>The sum of all elements (0-d).</summary>
    let sum (x: T) : T = x.sum()
    /// <summary>The sum over the given axes.</summary>
    let sumAxes (axes: int[]) (keepDim: bool) (x: T) : T = x.sum(longs axes, keepDim)
    /// <summary>The mean of all elements (0-d).</summary>
    let mean (x: T) : T = x.mean()
    /// <summary>The mean over the given axes.</summary>
    let meanAxes (axes: int[]) (keepDim: bool) (x: T) : T = x.mean(longs axes, keepDim)
    /// <summary>The largest element (0-d).</summary>
    let max (x: T) : T = x.max()
    /// <summary>The largest element over the given axes.</summary>
    let maxAxes (axes: int[]) (keepDim: bool) (x: T) : T = x.amax(longs axes, keepDim)
    /// <summary>The smallest element (0-d).</summary>
    let min (x: T) : T = x.min()
    /// <summary>The smallest element over the given axes.</summary>
    let minAxes (axes: int[]) (keepDim: bool) (x: T) : T = x.amin(longs axes, keepDim)
    /// <summary>Softmax along an axis.</summary>
    let softmax (axis: int) (x: T) : T = x.softmax(int64 axis)
    /// <summary>Log-softmax along an axis.</summary>
    let logSoftmax (axis: int) (x: T) : T = x.log_softmax(int64 axis)
    /// <summary>log Σ exp along an axis.</summary>
    let logSumExp (axis: int) (keepDim: bool) (x: T) : T = x.logsumexp(int64 axis, keepDim)

    /// <summary>The same elements in another shape (one size may be −1).</summary>
    let reshape (shape: int[]) (x: T) : T = x.reshape(longs shape)
    /// <summary>Axes reordered.</summary>
    let permute (axes: int[]) (x: T) : T = x.permute(longs axes)
    /// <summary>Two axes swapped.</summary>
    let transpose (first: int) (second: int) (x: T) : T = x.transpose(int64 first, int64 second)
    /// <summary>Broadcast to a larger shape.</summary>
    let expand (shape: int[]) (x: T) : T = x.expand(longs shape)

    /// <summary>The sum of a broadcast tensor down to a shape it was broadcast from (the VJP of <c>expand</c>).</summary>
    let sumTo (shape: int[]) (x: T) : T =
        let rank = x.shape.Length
        let leading = rank - shape.Length
        if leading < 0 then invalidArg "shape" $"sum_to: target rank {shape.Length} exceeds the input's rank {rank}"
        let summedLeading = if leading > 0 then x.sum(Array.init leading int64, false) else x
        let ones = [| for k in 0 .. shape.Length - 1 do if shape[k] = 1 && summedLeading.shape[k] <> 1L then int64 k |]
        if ones.Length > 0 then summedLeading.sum(ones, true) else summedLeading

    /// <summary>The elements whose index along the axis is in [start, start + length).</summary>
    let narrow (axis: int) (start: int) (length: int) (x: T) : T = x.narrow(int64 axis, int64 start, int64 length)
    /// <summary>One index along an axis, the axis removed.</summary>
    let select (axis: int) (index: int) (x: T) : T = x.select(int64 axis, int64 index)
    /// <summary>Slices along an axis at the given indices (repeats allowed).</summary>
    let indexSelect (axis: int) (indices: int[]) (x: T) : T = x.index_select(int64 axis, TorchTensor.ofIndices indices)
    /// <summary>Tensors joined along an existing axis.</summary>
    let concat (axis: int) (xs: T[]) : T = torch.cat(xs, int64 axis)
    /// <summary>Tensors joined along a new axis.</summary>
    let stack (axis: int) (xs: T[]) : T = torch.stack(xs, int64 axis)
    /// <summary>Pieces of the given sizes along an axis.</summary>
    let split (sizes: int[]) (axis: int) (x: T) : T[] = x.split(longs sizes, int64 axis)
    /// <summary>Pieces of one size along an axis (the last may be smaller).</summary>
    let splitEvery (size: int) (axis: int) (x: T) : T[] = x.split(int64 size, axis)
    /// <summary>PyTorch's chunk: pieces of size ⌈n / chunks⌉ along an axis.</summary>
    let chunk (chunks: int) (axis: int) (x: T) : T[] = x.chunk(int64 chunks, int64 axis)

    /// <summary>The VJP of a function of one tensor at x along u, recorded by libtorch so that it can be differentiated again
    /// (the counterparts of <c>narrow_backward</c> and <c>index_add</c>).</summary>
    let vjpRecorded (f: T -> T) (x: T) (u: T) : T =
        use _ = torch.enable_grad()
        let leaf = x.detach().requires_grad_(true)
        let gradients = torch.autograd.grad([| f leaf |], [| leaf |], [| u |], create_graph = true)
        gradients[0]

    /// <summary>The VJP of narrow (a zero tensor of the input's shape with u in the slice), differentiable in u.</summary>
    let narrowBackward (shape: int[]) (axis: int) (start: int) (u: T) : T =
        let length = Checked.int u.shape[(axis + shape.Length) % shape.Length]
        vjpRecorded (narrow axis start length) (torch.zeros(longs shape, dtype = u.dtype)) u

    /// <summary>The VJP of index_select (u's slices added at the indices), differentiable in u.</summary>
    let indexAdd (shape: int[]) (axis: int) (indices: int[]) (u: T) : T =
        vjpRecorded (indexSelect axis indices) (torch.zeros(longs shape, dtype = u.dtype)) u

    /// <summary>One LSTM step in PyTorch's gate order (i, f, g, o): the new hidden and cell states.</summary>
    let lstmCell (weightIh: T) (weightHh: T) (biasIh: T option) (biasHh: T option) (x: T) (h: T) (c: T) : T * T =
        let gates = linear x weightIh biasIh + linear h weightHh biasHh
        let parts = gates.chunk(4L, 1L)
        let i, f, g, o = parts[0].sigmoid(), parts[1].sigmoid(), parts[2].tanh(), parts[3].sigmoid()
        let c' = f * c + i * g
        o * c'.tanh(), c'

    /// <summary>One GRU step in PyTorch's gate order (r, z, n; b_hn inside the reset product): the new hidden state.</summary>
    let gruCell (weightIh: T) (weightHh: T) (biasIh: T option) (biasHh: T option) (x: T) (h: T) : T =
        let inputs = (linear x weightIh biasIh).chunk(3L, 1L)
        let hiddens = (linear h weightHh biasHh).chunk(3L, 1L)
        let r = (inputs[0] + hiddens[0]).sigmoid()
        let z = (inputs[1] + hiddens[1]).sigmoid()
        let n = (inputs[2] + r * hiddens[2]).tanh()
        (scalarLike h 1.0 - z) * n + z * h

    let private sequence (steps: int) (reverse: bool) (lengths: int[] option) (batch: int) (dtype: torch.ScalarType) step =
        let order = if reverse then [| steps - 1 .. -1 .. 0 |] else [| 0 .. steps - 1 |]
        let rows = Array.zeroCreate steps
        for t in order do
            let mask =
                match lengths with
                | Some lengths -> Some(torch.tensor([| for b in 0 .. batch - 1 -> if t < lengths[b] then 1.0 else 0.0 |], dtype = dtype).reshape(int64 batch, 1L))
                | None -> None
            rows[t] <- step t mask
        torch.stack(rows, 0L)

    /// <summary>
    /// The counterpart of <c>lstm_sequence</c>: one LSTM direction over input [T, B, I], returning [T, B, 3H] with per step the output
    /// (zero past a sequence's length), the hidden state and the cell state (carried unchanged past the length).
    /// </summary>
    let lstmSequence (input: T) (hidden: T) (cell: T) (weightIh: T) (weightHh: T) (biasIh: T option) (biasHh: T option)
                     (reverse: bool) (lengths: int[] option) : T =
        let steps, batch = Checked.int input.shape[0], Checked.int input.shape[1]
        let mutable h, c = hidden, cell
        sequence steps reverse lengths batch input.dtype (fun t mask ->
            let h', c' = lstmCell weightIh weightHh biasIh biasHh (input.select(0L, int64 t)) h c
            match mask with
            | Some m ->
                let keep = m.ne(scalarLike m 0.0)
                h <- torch.where(keep, h', h)
                c <- torch.where(keep, c', c)
                torch.cat([| h' * m; h; c |], 1L)
            | None ->
                h <- h'
                c <- c'
                torch.cat([| h'; h; c |], 1L))

    /// <summary>
    /// A cell with one state (GRU, tanh or relu RNN) over input [T, B, I]: [T, B, 2H] with per step the output (zero past a sequence's
    /// length) and the hidden state (carried unchanged past the length).
    /// </summary>
    let private hiddenStateSequence (cell: T -> T -> T) (input: T) (hidden: T) (reverse: bool) (lengths: int[] option) : T =
        let steps, batch = Checked.int input.shape[0], Checked.int input.shape[1]
        let mutable h = hidden
        sequence steps reverse lengths batch input.dtype (fun t mask ->
            let h' = cell (input.select(0L, int64 t)) h
            match mask with
            | Some m ->
                h <- torch.where(m.ne(scalarLike m 0.0), h', h)
                torch.cat([| h' * m; h |], 1L)
            | None ->
                h <- h'
                torch.cat([| h'; h |], 1L))

    /// <summary>The counterpart of <c>rnn_sequence</c>: [T, B, 2H] with per step the output and the hidden state (tanh, or relu).</summary>
    let rnnSequence (input: T) (hidden: T) (weightIh: T) (weightHh: T) (biasIh: T option) (biasHh: T option) (relu: bool)
                    (reverse: bool) (lengths: int[] option) : T =
        let cell (x: T) (h: T) =
            let pre = linear x weightIh biasIh + linear h weightHh biasHh
            if relu then pre.relu() else pre.tanh()
        hiddenStateSequence cell input hidden reverse lengths

    /// <summary>The counterpart of <c>gru_sequence</c>: [T, B, 2H] with per step the output and the hidden state.</summary>
    let gruSequence (input: T) (hidden: T) (weightIh: T) (weightHh: T) (biasIh: T option) (biasHh: T option)
                    (reverse: bool) (lengths: int[] option) : T =
        hiddenStateSequence (gruCell weightIh weightHh biasIh biasHh) input hidden reverse lengths

    /// <summary>
    /// The libtorch rows of the core ops and the fused sequences, one per row of <c>OpTable.core</c> and <c>RecurrentRows.rows</c>
    /// (the convolution rows are in <c>TorchTable</c>, after the convolution counterparts).
    /// </summary>
    let rows : TorchRow list =
        [ TorchRow.binary "add" add
          TorchRow.binary "sub" sub
          TorchRow.binary "mul" mul
          TorchRow.binary "div" div
          TorchRow.unary "neg" neg
          TorchRow.create "pow" (fun exponent (x: T[]) -> pow exponent x[0])
          TorchRow.unary "exp" exp
          TorchRow.unary "log" log
          TorchRow.create "layer_norm" (fun (epsilon: float, withWeight: bool, withBias: bool) (x: T[]) ->
              layerNorm epsilon (if withWeight then Some x[1] else None) (if withBias then Some x[x.Length - 1] else None) x[0])
          TorchRow.unary "log1p" (fun x -> x.log1p())
          TorchRow.unary "sqrt" sqrt
          TorchRow.unary "abs" abs
          TorchRow.unary "tanh" tanh
          TorchRow.unary "sigmoid" sigmoid
          TorchRow.unary "relu" relu
          TorchRow.create "leaky_relu" (fun slope (x: T[]) -> leakyRelu slope x[0])
          TorchRow.create "softplus" (fun (beta, threshold) (x: T[]) -> softplus beta threshold x[0])
          TorchRow.create "clamp" (fun (minimum, maximum) (x: T[]) -> clamp minimum maximum x[0])
          TorchRow.create "where" (fun (condition: Tensor, _: DType) (x: T[]) -> where (TorchTensor.ofTensor condition) x[0] x[1])
          TorchRow.create "dropout" (fun (probability, _: uint64, mask: Tensor) (x: T[]) -> dropout (TorchTensor.ofTensor mask) probability x[0])
          TorchRow.create "to" (fun (c: float) (x: T[]) ->
              let single = convert DType.Float32 x[0]
              single * scalarLike single c |> convert DType.Float64)
          TorchRow.create "matmul" (fun (transposeA, transposeB) (x: T[]) -> matmulWith transposeA transposeB x[0] x[1])
          TorchRow.create "linear" (fun withBias (x: T[]) -> linear x[0] x[1] (if withBias then Some x[2] else None))
          TorchRow.reduction "sum" sum sumAxes
          TorchRow.reduction "mean" mean meanAxes
          TorchRow.reduction "max" max maxAxes
          TorchRow.reduction "min" min minAxes
          TorchRow.create "softmax" (fun (axis, _: bool) (x: T[]) -> softmax axis x[0])
          TorchRow.create "log_softmax" (fun (axis, _: bool) (x: T[]) -> logSoftmax axis x[0])
          TorchRow.create "logsumexp" (fun (axis, keep) (x: T[]) -> logSumExp axis keep x[0])
          TorchRow.create "reshape" (fun target (x: T[]) -> (reshape target x[0]).tanh())
          TorchRow.create "transpose" (fun (first, second) (x: T[]) -> transpose first second x[0])
          TorchRow.create "permute" (fun axes (x: T[]) -> permute axes x[0])
          TorchRow.create "expand" (fun full (x: T[]) -> expand full x[0])
          TorchRow.create "sum_to" (fun reduced (x: T[]) -> sumTo reduced x[0])
          TorchRow.create "narrow" (fun (axis, start, length) (x: T[]) -> narrow axis start length x[0])
          TorchRow.create "narrow_backward" (fun (shape, axis, start, _: int, _: Tensor) (u: T[]) -> narrowBackward shape axis start u[0])
          TorchRow.create "select" (fun (axis, index) (x: T[]) -> select axis index x[0])
          TorchRow.create "index_select" (fun (axis, indices) (x: T[]) -> indexSelect axis indices x[0])
          TorchRow.create "index_add" (fun (shape, axis, indices, _: Tensor) (u: T[]) -> indexAdd shape axis indices u[0])
          TorchRow.create "concat" (fun axis (x: T[]) -> concat axis x)
          TorchRow.create "stack" (fun position (x: T[]) -> stack position x)
          TorchRow.create "split" (fun (by, axis, index) (x: T[]) ->
              let pieces = match by with OpTable.Sizes sizes -> split sizes axis x[0] | OpTable.Every every -> splitEvery every axis x[0]
              if index < 0 then concat axis (Array.rev pieces) else pieces[index])
          TorchRow.create "chunk" (fun (chunks, axis) (x: T[]) -> concat axis (Array.rev (chunk chunks axis x[0])))
          TorchRow.create "lstm_sequence" (fun (a: SequenceArguments) (x: T[]) ->
              let bias k = if a.WithBias then Some x[k] else None
              lstmSequence x[0] x[1] x[2] x[3] x[4] (bias 5) (bias 6) a.Reverse a.Lengths)
          TorchRow.create "gru_sequence" (fun (a: SequenceArguments) (x: T[]) ->
              let bias k = if a.WithBias then Some x[k] else None
              gruSequence x[0] x[1] x[2] x[3] (bias 4) (bias 5) a.Reverse a.Lengths)
          TorchRow.create "rnn_sequence" (fun ((a: SequenceArguments), (relu: bool)) (x: T[]) ->
              let bias k = if a.WithBias then Some x[k] else None
              rnnSequence x[0] x[1] x[2] x[3] (bias 4) (bias 5) relu a.Reverse a.Lengths) ]
