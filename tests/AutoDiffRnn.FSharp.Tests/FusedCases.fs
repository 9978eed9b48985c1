/// GradCheck cases of the fused recurrent ops (first-order backward only), against the reference LSTM on duals.
module AutoDiffRnn.FSharp.Tests.FusedCases

open AutoDiffRnn
open AutoDiffRnn.FSharp
open AutoDiffRnn.FSharp.Tests.Support

/// The reference of lstm_sequence: per step [output | hidden state | cell state], inactive steps keep the state and output zero.
let private lstmSequenceReference (reverse: bool) (lengths: int[]) (x: Dual[]) =
    let input, h0, c0 = x[0], x[1], x[2]
    let weights = { InputWeights = x[3]; HiddenWeights = x[4]; InputBias = Some x[5]; HiddenBias = Some x[6] }
    let steps, batch = input.Shape[0], input.Shape[1]
    let rows = Array.zeroCreate steps
    let mutable h, c = h0, c0
    for t in (if reverse then [ steps - 1 .. -1 .. 0 ] else [ 0 .. steps - 1 ]) do
        let h', c' = Recurrent.lstmCell weights (Dual.select 0 t input) h c
        let mask = Dual.constant [| batch; 1 |] [| for b in 0 .. batch - 1 -> if t < lengths[b] then 1.0 else 0.0 |]
        h <- Dual.where mask h' h
        c <- Dual.where mask c' c
        rows[t] <- Dual.concat 1 [| h' * mask; h; c |]
    Dual.stack 0 rows

/// The reference of gru_sequence: per step [output | hidden state].
let private gruSequenceReference (reverse: bool) (lengths: int[]) (x: Dual[]) =
    let input = x[0]
    let weights = { InputWeights = x[2]; HiddenWeights = x[3]; InputBias = Some x[4]; HiddenBias = Some x[5] }
    let steps, batch = input.Shape[0], input.Shape[1]
    let rows = Array.zeroCreate steps
    let mutable h = x[1]
    for t in (if reverse then [ steps - 1 .. -1 .. 0 ] else [ 0 .. steps - 1 ]) do
        let h' = Recurrent.gruCell weights (Dual.select 0 t input) h
        let mask = Dual.constant [| batch; 1 |] [| for b in 0 .. batch - 1 -> if t < lengths[b] then 1.0 else 0.0 |]
        h <- Dual.where mask h' h
        rows[t] <- Dual.concat 1 [| h' * mask; h |]
    Dual.stack 0 rows

/// The reference of rnn_sequence: per step [output | hidden state].
let private rnnSequenceReference (relu: bool) (reverse: bool) (lengths: int[]) (x: Dual[]) =
    let input = x[0]
    let weights = { InputWeights = x[2]; HiddenWeights = x[3]; InputBias = Some x[4]; HiddenBias = Some x[5] }
    let steps, batch = input.Shape[0], input.Shape[1]
    let rows = Array.zeroCreate steps
    let mutable h = x[1]
    for t in (if reverse then [ steps - 1 .. -1 .. 0 ] else [ 0 .. steps - 1 ]) do
        let h' = Recurrent.rnnCell relu weights (Dual.select 0 t input) h
        let mask = Dual.constant [| batch; 1 |] [| for b in 0 .. batch - 1 -> if t < lengths[b] then 1.0 else 0.0 |]
        h <- Dual.where mask h' h
        rows[t] <- Dual.concat 1 [| h' * mask; h |]
    Dual.stack 0 rows

/// lstm_sequence, gru_sequence and rnn_sequence (tanh and relu) forwards and in reverse, with ragged lengths.
let cases =
    [ for reverse in [ false; true ] ->
        let steps, batch, inputSize, hidden = 4, 3, 2, 3
        let lengths = [| 4; 1; 3 |]
        let inputs =
            [| normal 1UL [| steps; batch; inputSize |]; normal 2UL [| batch; hidden |]; normal 3UL [| batch; hidden |]
               normal 4UL [| 4 * hidden; inputSize |]; normal 5UL [| 4 * hidden; hidden |]; normal 6UL [| 4 * hidden |]; normal 7UL [| 4 * hidden |] |]
        GradCase.create $"lstm_sequence reverse={reverse} lengths [4,1,3]"
            (fun x -> Tensor.LstmSequence(x[0], x[1], x[2], x[3], x[4], x[5], x[6], reverse, lengths))
            (lstmSequenceReference reverse lengths)
            inputs ]
    @ [ for reverse in [ false; true ] ->
          let steps, batch, inputSize, hidden = 4, 3, 2, 3
          let lengths = [| 2; 4; 1 |]
          let inputs =
              [| normal 11UL [| steps; batch; inputSize |]; normal 12UL [| batch; hidden |]
                 normal 13UL [| 3 * hidden; inputSize |]; normal 14UL [| 3 * hidden; hidden |]; normal 15UL [| 3 * hidden |]; normal 16UL [| 3 * hidden |] |]
          GradCase.create $"gru_sequence reverse={reverse} lengths [2,4,1]"
              (fun x -> Tensor.GruSequence(x[0], x[1], x[2], x[3], x[4], x[5], reverse, lengths))
              (gruSequenceReference reverse lengths)
              inputs ]
    @ [ for relu in [ false; true ] do
          for reverse in [ false; true ] ->
              let steps, batch, inputSize, hidden = 4, 3, 2, 3
              let lengths = [| 3; 1; 4 |]
              let inputs =
                  [| normal 21UL [| steps; batch; inputSize |]; normal 22UL [| batch; hidden |]
                     normal 23UL [| hidden; inputSize |]; normal 24UL [| hidden; hidden |]; normal 25UL [| hidden |]; normal 26UL [| hidden |] |]
              GradCase.create $"rnn_sequence relu={relu} reverse={reverse} lengths [3,1,4]"
                  (fun x -> Tensor.RnnSequence(x[0], x[1], x[2], x[3], x[4], x[5], relu, reverse, lengths))
                  (rnnSequenceReference relu reverse lengths)
                  inputs ]
