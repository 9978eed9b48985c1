namespace AutoDiffRnn.FSharp

open System
open AutoDiffRnn

/// <summary>The arguments of a fused sequence op's row: direction, whether the biases are inputs, the lengths (None: all full).</summary>
type SequenceArguments = { Reverse: bool; WithBias: bool; Lengths: int[] option }

/// <summary>
/// The op table's rows of the fused recurrent sequence ops (lstm_sequence, gru_sequence, rnn_sequence; first-order backward), against the
/// cells of <c>Recurrent</c> on duals unrolled with PyTorch's packed-sequence rule.
/// </summary>
[<RequireQualifiedAccess>]
module RecurrentRows =

    /// Runs a cell over the steps in the direction asked; past an element's length the state is kept and the output is zero.
    /// Each step's row is [output | state parts].
    let private unroll (arguments: SequenceArguments) (input: Dual) (initial: Dual list) (cell: Dual -> Dual list -> Dual * Dual list) =
        let steps, batch = input.Shape[0], input.Shape[1]
        let lengths = defaultArg arguments.Lengths (Array.create batch steps)
        let rows = Array.zeroCreate steps
        let mutable state = initial
        for t in (if arguments.Reverse then [ steps - 1 .. -1 .. 0 ] else [ 0 .. steps - 1 ]) do
            let output, next = cell (Dual.select 0 t input) state
            let mask = Dual.constant [| batch; 1 |] [| for b in 0 .. batch - 1 -> if t < lengths[b] then 1.0 else 0.0 |]
            state <- List.map2 (Dual.where mask) next state
            rows[t] <- Dual.concat 1 (Array.ofList (output * mask :: state))
        Dual.stack 0 rows

    let private weights (arguments: SequenceArguments) (x: Dual[]) first =
        { InputWeights = x[first]; HiddenWeights = x[first + 1]
          InputBias = (if arguments.WithBias then Some x[first + 2] else None)
          HiddenBias = (if arguments.WithBias then Some x[first + 3] else None) }

    /// <summary>The reference of lstm_sequence: per step [output | hidden state | cell state].</summary>
    let lstmSequenceReference (arguments: SequenceArguments) (x: Dual[]) =
        let w = weights arguments x 3
        unroll arguments x[0] [ x[1]; x[2] ] (fun input state ->
            let h', c' = Recurrent.lstmCell w input state[0] state[1]
            h', [ h'; c' ])

    /// <summary>The reference of gru_sequence: per step [output | hidden state].</summary>
    let gruSequenceReference (arguments: SequenceArguments) (x: Dual[]) =
        let w = weights arguments x 2
        unroll arguments x[0] [ x[1] ] (fun input state -> let h' = Recurrent.gruCell w input state[0] in h', [ h' ])

    /// <summary>The reference of rnn_sequence (tanh, or relu): per step [output | hidden state].</summary>
    let rnnSequenceReference (relu: bool) (arguments: SequenceArguments) (x: Dual[]) =
        let w = weights arguments x 2
        unroll arguments x[0] [ x[1] ] (fun input state -> let h' = Recurrent.rnnCell relu w input state[0] in h', [ h' ])

    let private draw (name: string) (gates: int) (states: int) (random: Random) =
        let steps, batch, inputSize, hidden = random.Next(1, 4), random.Next(1, 4), random.Next(1, 4), random.Next(1, 3)
        let arguments =
            { Reverse = random.Next 2 = 0; WithBias = random.Next 2 = 0
              Lengths = if random.Next 2 = 0 then Some(Array.init batch (fun _ -> random.Next(1, steps + 1))) else None }
        let normal (shape: int[]) = Draw.tensor random Normal shape
        let inputs =
            [| normal [| steps; batch; inputSize |]
               for _ in 1 .. states do normal [| batch; hidden |]
               normal [| gates * hidden; inputSize |]; normal [| gates * hidden; hidden |]
               if arguments.WithBias then normal [| gates * hidden |]; normal [| gates * hidden |] |]
        let lengths = match arguments.Lengths with Some l -> $" lengths {Draw.show l}" | None -> ""
        { Label = $"{name} T{steps} B{batch} I{inputSize} H{hidden} reverse {arguments.Reverse} bias {arguments.WithBias}{lengths}"
          Arguments = arguments; Inputs = inputs }

    let private bias (arguments: SequenceArguments) (x: Tensor[]) k = if arguments.WithBias then x[k] else Unchecked.defaultof<Tensor>

    /// The empty-tensor sweep's call of a sequence op: 3 steps of no batch (hidden size 2, input size 2, weights 0.1). A sequence of no
    /// steps is refused, as in PyTorch.
    let private emptyCalls (gates: int) (call: Tensor -> Tensor -> Tensor -> Tensor -> Tensor) =
        let full (shape: int[]) (like: Tensor) = Tensor.Full(Shape(shape), 0.1, like.DType)
        [ "no batch",
          (fun (x: Tensor) -> call (x.Reshape(3, 0, 2)) (full [| 0; 2 |] x) (full [| gates * 2; 2 |] x) (full [| gates * 2; 2 |] x)) ]

    /// <summary>The rows: lstm_sequence, gru_sequence and rnn_sequence (tanh or relu) over T, B, I ≤ 3, H ≤ 2, either direction, with or without biases and lengths.</summary>
    let rows : OpSpec list =
        [ OpSpec.create "lstm_sequence" (draw "lstm_sequence" 4 2)
              (fun a x -> Tensor.LstmSequence(x[0], x[1], x[2], x[3], x[4], bias a x 5, bias a x 6, a.Reverse, Option.toObj a.Lengths))
              lstmSequenceReference
          |> OpSpec.onEmpty (emptyCalls 4 (fun input hidden wih whh -> Tensor.LstmSequence(input, hidden, hidden, wih, whh, null, null)))
          OpSpec.create "gru_sequence" (draw "gru_sequence" 3 1)
              (fun a x -> Tensor.GruSequence(x[0], x[1], x[2], x[3], bias a x 4, bias a x 5, a.Reverse, Option.toObj a.Lengths))
              gruSequenceReference
          |> OpSpec.onEmpty (emptyCalls 3 (fun input hidden wih whh -> Tensor.GruSequence(input, hidden, wih, whh, null, null)))
          OpSpec.create "rnn_sequence"
              (fun random ->
                  let relu = random.Next 2 = 0
                  let drawn = draw (if relu then "rnn_sequence relu" else "rnn_sequence tanh") 1 1 random
                  { Label = drawn.Label; Arguments = (drawn.Arguments, relu); Inputs = drawn.Inputs })
              (fun (a, relu) x -> Tensor.RnnSequence(x[0], x[1], x[2], x[3], bias a x 4, bias a x 5, relu, a.Reverse, Option.toObj a.Lengths))
              (fun (a, relu) x -> rnnSequenceReference relu a x)
          |> OpSpec.onEmpty (emptyCalls 1 (fun input hidden wih whh -> Tensor.RnnSequence(input, hidden, wih, whh, null, null))) ]
