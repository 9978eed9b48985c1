/// AutoDiffRnn's RNN / LSTM / GRU layers against torch.nn.RNN / LSTM / GRU loaded with the same weights by PyTorch name: outputs,
/// final states and every gradient (input, initial states, all parameters), over a grid of configurations.
module AutoDiffRnn.FSharp.Torch.Tests.RecurrentTests

open System
open Expecto
open AutoDiffRnn
open AutoDiffRnn.Nn
open AutoDiffRnn.FSharp.Torch
open AutoDiffRnn.FSharp.Torch.Tests.Support

/// One recurrent configuration.
type Configuration =
    { Kind: RecurrentKind
      Layers: int
      Bidirectional: bool
      Bias: bool
      InitialState: bool
      VariableLengths: bool
      BatchFirst: bool
      Fused: bool
      Seed: int }

    override this.ToString() =
        $"{this.Kind} L{this.Layers}" + (if this.Bidirectional then " bidirectional" else "") + (if this.Bias then " bias" else " no bias")
        + (if this.InitialState then " h0" else "") + (if this.VariableLengths then " lengths" else "") + (if this.BatchFirst then " batch-first" else "")
        + (if this.Fused then " fused" else "") + $" seed {this.Seed}"

let kinds = [ RecurrentKind.RnnTanh; RecurrentKind.RnnRelu; RecurrentKind.Lstm; RecurrentKind.Gru ]

/// The full grid of kind × layers 1–3 × directions × bias × initial state × variable lengths (192 configurations); batch-first, the fused
/// kernels (every kind) and the seed drawn for each from one seeded generator.
let grid =
    let random = Random(20261202)
    let rnnFused = Random(20261203) // the fused RNN drawn apart, so the LSTM and GRU configurations stay those drawn before it existed
    [ for kind in kinds do
        for layers in 1 .. 3 do
            for bidirectional in [ false; true ] do
                for bias in [ true; false ] do
                    for initialState in [ false; true ] do
                        for variableLengths in [ false; true ] do
                            { Kind = kind; Layers = layers; Bidirectional = bidirectional; Bias = bias; InitialState = initialState
                              VariableLengths = variableLengths; BatchFirst = random.Next 2 = 0
                              Fused =
                                  if kind = RecurrentKind.Lstm || kind = RecurrentKind.Gru then random.Next 2 = 0 else rnnFused.Next 2 = 0
                              Seed = random.Next 1_000_000 } ]

/// The layer and its inputs for a configuration: T 1–5, B 1–3, I 1–4, H 1–4; lengths 1..T with at least one shorter than T when T > 1.
let setup (dtype: DType) (c: Configuration) =
    let random = Random(c.Seed)
    let steps, batch, inputSize, hidden = random.Next(1, 6), random.Next(1, 4), random.Next(1, 5), random.Next(1, 5)
    let layer =
        RecurrentLayer(c.Kind, inputSize, hidden, c.Layers, c.Bias, c.BatchFirst, 0.0, c.Bidirectional, dtype, Generator(uint64 c.Seed))
    layer.UseFusedKernels <- c.Fused
    let directions = if c.Bidirectional then 2 else 1
    let input = normal random (if c.BatchFirst then [| batch; steps; inputSize |] else [| steps; batch; inputSize |])
    let state () = if c.InitialState then Some(normal random [| c.Layers * directions; batch; hidden |]) else None
    let h0 = state ()
    let c0 = if c.Kind = RecurrentKind.Lstm then state () else None
    let lengths =
        if c.VariableLengths then
            let lengths = Array.init batch (fun _ -> random.Next(1, steps + 1))
            if steps > 1 && Array.forall ((=) steps) lengths then lengths[random.Next batch] <- random.Next(1, steps)
            Some lengths
        else None
    layer, input, h0, c0, lengths

let private compare (layout: WeightLayout) (dtype: DType) (c: Configuration) =
    let layer, input, h0, c0, lengths = setup dtype c
    TorchRecurrent.compare layout (uint64 c.Seed) layer input h0 c0 lengths

let private expectedQuantities (c: Configuration) =
    let directions = if c.Bidirectional then 2 else 1
    let perCell = if c.Bias then 4 else 2
    let states = if c.InitialState then (if c.Kind = RecurrentKind.Lstm then 2 else 1) else 0
    3 (* output, h_n, d input *) + (if c.Kind = RecurrentKind.Lstm then 1 else 0) + states + c.Layers * directions * perCell

[<Tests>]
let tests =
    testList "recurrent vs libtorch" [
        testList "grid float64 (1e-10)" [
            for c in grid do
                test (string c) {
                    let agreement = compare PyTorchLayout DType.Float64 c
                    Expect.equal agreement.Errors.Length (expectedQuantities c) $"every quantity compared:\n{agreement}"
                    expectAgreement 1e-10 agreement
                }
        ]
        testList "grid float32 (1e-4), every fourth configuration" [
            for c in grid |> List.indexed |> List.filter (fun (k, _) -> k % 4 = 1) |> List.map snd do
                test (string c) { compare PyTorchLayout DType.Float32 c |> expectAgreement 1e-4 }
        ]
        test "the grid covers every value of every axis" {
            let values f = grid |> List.map f |> List.distinct |> List.length
            Expect.equal (values (fun c -> c.Kind)) 4 "kinds"
            Expect.equal (values (fun c -> c.Layers)) 3 "layers"
            for axis, f in [ "directions", (fun c -> c.Bidirectional); "bias", (fun c -> c.Bias); "initial state", (fun c -> c.InitialState)
                             "variable lengths", (fun c -> c.VariableLengths); "batch first", (fun c -> c.BatchFirst); "fused", (fun c -> c.Fused) ] do
                Expect.equal (values f) 2 axis
        }
        test "LSTM gates loaded into libtorch as i, g, f, o are caught" {
            let c = { Kind = RecurrentKind.Lstm; Layers = 1; Bidirectional = false; Bias = true; InitialState = false; VariableLengths = false
                      BatchFirst = false; Fused = false; Seed = 5 }
            let agreement = compare (GateBlocks [| 0; 2; 1; 3 |]) DType.Float64 c
            Expect.isFalse (agreement.Within 1e-4) $"the mismatch must fail the comparison:\n{agreement}"
            Expect.isGreaterThan agreement.MaxError 1e-3 "by far"
            // and the same configuration in the right layout passes: the failure is the layout's
            compare PyTorchLayout DType.Float64 c |> expectAgreement 1e-10
        }
        test "GRU gates loaded into libtorch as z, r, n are caught (stacked, bidirectional, with lengths)" {
            let c = { Kind = RecurrentKind.Gru; Layers = 2; Bidirectional = true; Bias = true; InitialState = true; VariableLengths = true
                      BatchFirst = true; Fused = false; Seed = 6 }
            let agreement = compare (GateBlocks [| 1; 0; 2 |]) DType.Float64 c
            Expect.isFalse (agreement.Within 1e-4) $"the mismatch must fail the comparison:\n{agreement}"
            compare PyTorchLayout DType.Float64 c |> expectAgreement 1e-10
        }
        test "a gate-block layout that does not divide the rows is refused, naming the parameter" {
            let layer = RecurrentLayer(RecurrentKind.Lstm, 2, 3, 1, true, false, 0.0, false, DType.Float64, Generator(1UL))
            let message = throwsMessage<ArgumentException> (fun () -> TorchRecurrent.ofLayer (GateBlocks [| 0; 1; 2; 3; 4 |]) layer |> ignore)
            Expect.stringContains message "weight_ih_l0" "names the parameter"
            Expect.stringContains message "12 rows" "names the size"
        }
    ]
