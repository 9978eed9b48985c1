/// GradCheck of the sequence-to-sequence modules against the references on duals of the F# layer (Seq2SeqReference): the three
/// attention scores with a padding mask and one full decoder step; and a check that the reference really masks.
module AutoDiffRnn.FSharp.Tests.Seq2SeqTests

open Expecto
open AutoDiffRnn
open AutoDiffRnn.FSharp
open AutoDiffRnn.FSharp.Tests.Support

[<Tests>]
let tests =
    testList "sequence to sequence" [
        for case in Seq2SeqReference.cases () do
            test case.Name {
                let report = GradCheck.check case
                expectPasses report
                Expect.isTrue (report.Comparisons |> List.exists (fun c -> c.Check = Jacobians)) "full Jacobians are compared"
                Expect.isTrue (report.Comparisons |> List.exists (fun c -> c.Check = DotProduct)) "the dot-product identity is checked"
            }
        test "the reference gives padding zero weight, so the check would see a mask the C# module ignored" {
            let attention = Seq2SeqReference.createAttention "general"
            let queries = Tensor.Normal(Shape([| 2; 3; 3 |]), 0.0, 1.0, DType.Float64, Generator(2UL))
            let memory = Tensor.Normal(Shape([| 2; 4; 3 |]), 0.0, 1.0, DType.Float64, Generator(3UL))
            let mask = Seq2SeqReference.mask ()
            let _, weights = Seq2SeqReference.attend (Seq2SeqReference.scores "general" attention (Dual.ofTensor queries) (Dual.ofTensor memory)) (Dual.ofTensor memory) mask
            let unmasked = attention.Forward(queries, memory, Tensor.OnesLike(mask)).Weights.ToDoubleArray()
            Expect.equal weights.Primal[3 * 4 + 3] 0.0 "padding weight in the reference"
            Expect.isGreaterThan unmasked[3 * 4 + 3] 0.0 "without the mask the step gets weight"
        }
    ]
