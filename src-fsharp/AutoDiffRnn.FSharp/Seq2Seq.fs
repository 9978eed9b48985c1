namespace AutoDiffRnn.FSharp

open AutoDiffRnn
open AutoDiffRnn.Nn
open AutoDiffRnn.Nn.Seq2Seq

/// <summary>
/// References on duals for the sequence-to-sequence modules (<c>AutoDiffRnn.Nn.Seq2Seq</c>) and their GradCheck cases: the three
/// attention scores with a padding mask, and one full decoder step (embedding, LSTM cell, additive attention, combine, output).
/// The masked softmax is written differently from the C# modules (exp(e)·mask / Σ exp(e)·mask instead of a −1e30 fill), so a wrong
/// mask or a wrong gradient shows up in the values, the dot-product identity or the Jacobians.
/// </summary>
[<RequireQualifiedAccess>]
module Seq2SeqReference =

    let private batch, querySteps, sourceSteps, size = 2, 3, 4, 3

    let private normal (seed: uint64) (shape: int[]) = Tensor.Normal(Shape(shape), 0.0, 1.0, DType.Float64, Generator(seed))

    /// <summary>The padding mask of the cases: source 0 has 4 real steps, source 1 has 2 (steps 2 and 3 are padding).</summary>
    let mask () = Tensor.FromArray([| 1.0; 1.0; 1.0; 1.0; 1.0; 1.0; 0.0; 0.0 |], Shape(batch, sourceSteps), DType.Float64)

    let private parameter (m: Module) (name: string) = Dual.ofTensor (m.StateDict().[name])

    /// <summary>Softmax of scores (B, T, S) over the real source steps only, then the weighted sum of values (B, S, M): (context, weights).</summary>
    let attend (scores: Dual) (values: Dual) (valid: Tensor) =
        let m = Dual.ofTensor valid |> Dual.reshape [| valid.Shape[0]; 1; valid.Shape[1] |]
        let exps = Dual.exp scores * m
        let weights = exps / Dual.sumAxis 2 true exps
        Dual.matmul weights values, weights

    /// <summary>The scores (B, T, S) of an attention module ("additive", "dot" or "general"), its parameters read as constants.</summary>
    let scores (kind: string) (attention: Attention) (queries: Dual) (memory: Dual) =
        match kind with
        | "dot" -> Dual.matmulWith false true queries memory
        | "general" -> Dual.matmulWith false true queries (Dual.linear memory (parameter attention "key.weight") None)
        | _ ->
            let b, t, s = queries.Shape[0], queries.Shape[1], memory.Shape[1]
            let a = (attention :?> AdditiveAttention).AttentionSize
            let projected = Dual.linear queries (parameter attention "query.weight") None |> Dual.reshape [| b; t; 1; a |]
            let keys = Dual.linear memory (parameter attention "key.weight") (Some(parameter attention "key.bias")) |> Dual.reshape [| b; 1; s; a |]
            Dual.linear (Dual.tanh (projected + keys)) (parameter attention "energy.weight") None |> Dual.reshape [| b; t; s |]

    /// <summary>A float64 attention module of the cases' sizes.</summary>
    let createAttention (kind: string) : Attention =
        match kind with
        | "dot" -> DotProductAttention(size)
        | "general" -> GeneralAttention(size, size, DType.Float64, Generator(1UL))
        | _ -> AdditiveAttention(size, size, 5, DType.Float64, Generator(1UL))

    let private flat (pieces: Tensor[]) = Tensor.Concat(pieces |> Array.map (fun p -> p.Reshape(-1)), 0)
    let private flatDuals (pieces: Dual[]) = pieces |> Array.map (Dual.reshape [| -1 |]) |> Dual.concat 0

    /// <summary>Context and weights of an attention kind as functions of the queries (2, 3, 3) and the memory (2, 4, 3).</summary>
    let attentionCase (kind: string) =
        let attention = createAttention kind
        GradCase.create $"{kind} attention with padding (lengths [4,2])"
            (fun x ->
                let result = attention.Forward(x[0], x[1], mask ())
                flat [| result.Context; result.Weights |])
            (fun x ->
                let context, weights = attend (scores kind attention x[0] x[1]) x[1] (mask ())
                flatDuals [| context; weights |])
            [| normal 2UL [| batch; querySteps; size |]; normal 3UL [| batch; sourceSteps; size |] |]

    /// <summary>One decoder step with additive attention (Luong placement) as a function of the state (h, c) and the encoder memory.</summary>
    let decoderStepCase () =
        let generator = Generator(5UL)
        let hidden, vocabulary, embedding = 3, 5, 2
        let attention = AdditiveAttention(hidden, size, 4, DType.Float64, generator)
        let decoder = Seq2SeqDecoder(vocabulary, embedding, hidden, attention = attention, dtype = DType.Float64, generator = generator)
        let previous = [| 1; 4 |]
        let weights =
            { InputWeights = parameter decoder "rnn.weight_ih_l0"; HiddenWeights = parameter decoder "rnn.weight_hh_l0"
              InputBias = Some(parameter decoder "rnn.bias_ih_l0"); HiddenBias = Some(parameter decoder "rnn.bias_hh_l0") }
        GradCase.create "decoder step (LSTM, additive attention) with padding"
            (fun x ->
                let step = decoder.Step(previous, DecoderState(x[0], x[1]), attention.Prepare(x[2], mask ()))
                flat [| step.Logits; step.State.Hidden; nonNull step.State.Cell; nonNull step.AttentionWeights |])
            (fun x ->
                let input = Dual.ofTensor (decoder.Embedding.Weight.IndexSelect(0, previous))
                let h, c = Recurrent.lstmCell weights input (Dual.select 0 0 x[0]) (Dual.select 0 0 x[1])
                let query = Dual.reshape [| batch; 1; hidden |] h
                let context, attentionWeights = attend (scores "additive" attention query x[2]) x[2] (mask ())
                let combined = Dual.tanh (Dual.linear (Dual.concat 2 [| context; query |]) (parameter decoder "combine.weight") (Some(parameter decoder "combine.bias")))
                let logits = Dual.linear combined (parameter decoder "output.weight") (Some(parameter decoder "output.bias"))
                flatDuals [| logits; h; c; attentionWeights |])
            [| normal 6UL [| 1; batch; hidden |]; normal 7UL [| 1; batch; hidden |]; normal 8UL [| batch; sourceSteps; size |] |]

    /// <summary>Every case: the three attention kinds and the decoder step.</summary>
    [<CompiledName("Cases")>]
    let cases () : GradCase list = [ for kind in [ "additive"; "dot"; "general" ] -> attentionCase kind ] @ [ decoderStepCase () ]
