/// Fixed GradCheck cases of the fused recurrent ops (first-order backward only) at a ragged batch, forwards and in reverse,
/// against the op table's references (RecurrentRows) on duals.
module AutoDiffRnn.FSharp.Tests.FusedCases

open AutoDiffRnn
open AutoDiffRnn.FSharp
open AutoDiffRnn.FSharp.Tests.Support

/// lstm_sequence, gru_sequence and rnn_sequence (tanh, relu) forwards and in reverse, with ragged lengths.
let cases =
    [ for reverse in [ false; true ] ->
        let steps, batch, inputSize, hidden = 4, 3, 2, 3
        let lengths = [| 4; 1; 3 |]
        let inputs =
            [| normal 1UL [| steps; batch; inputSize |]; normal 2UL [| batch; hidden |]; normal 3UL [| batch; hidden |]
               normal 4UL [| 4 * hidden; inputSize |]; normal 5UL [| 4 * hidden; hidden |]; normal 6UL [| 4 * hidden |]; normal 7UL [| 4 * hidden |] |]
        GradCase.create $"lstm_sequence reverse={reverse} lengths [4,1,3]"
            (fun x -> Tensor.LstmSequence(x[0], x[1], x[2], x[3], x[4], x[5], x[6], reverse, lengths))
            (RecurrentRows.lstmSequenceReference { Reverse = reverse; WithBias = true; Lengths = Some lengths })
            inputs ]
    @ [ for reverse in [ false; true ] ->
          let steps, batch, inputSize, hidden = 4, 3, 2, 3
          let lengths = [| 2; 4; 1 |]
          let inputs =
              [| normal 11UL [| steps; batch; inputSize |]; normal 12UL [| batch; hidden |]
                 normal 13UL [| 3 * hidden; inputSize |]; normal 14UL [| 3 * hidden; hidden |]; normal 15UL [| 3 * hidden |]; normal 16UL [| 3 * hidden |] |]
          GradCase.create $"gru_sequence reverse={reverse} lengths [2,4,1]"
              (fun x -> Tensor.GruSequence(x[0], x[1], x[2], x[3], x[4], x[5], reverse, lengths))
              (RecurrentRows.gruSequenceReference { Reverse = reverse; WithBias = true; Lengths = Some lengths })
              inputs ]
    @ [ for reverse in [ false; true ] do
          for relu in [ false; true ] ->
              let steps, batch, inputSize, hidden = 4, 3, 2, 3
              let lengths = [| 3; 1; 4 |]
              let inputs =
                  [| normal 21UL [| steps; batch; inputSize |]; normal 22UL [| batch; hidden |]
                     normal 23UL [| hidden; inputSize |]; normal 24UL [| hidden; hidden |]; normal 25UL [| hidden |]; normal 26UL [| hidden |] |]
              GradCase.create $"rnn_sequence relu={relu} reverse={reverse} lengths [3,1,4]"
                  (fun x -> Tensor.RnnSequence(x[0], x[1], x[2], x[3], x[4], x[5], relu, reverse, lengths))
                  (RecurrentRows.rnnSequenceReference relu { Reverse = reverse; WithBias = true; Lengths = Some lengths })
                  inputs ]
