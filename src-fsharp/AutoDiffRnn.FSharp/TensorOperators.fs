namespace AutoDiffRnn.FSharp

open AutoDiffRnn

type private OperandTensor = AutoDiffRnn.Tensor

/// <summary>F# operators on C# tensors that C# does not define (+, −, ·, unary − come from the C# operators).</summary>
[<AutoOpen>]
module TensorOperators =

    /// <summary>The matrix product a · b (2-D, or batched 3-D): <c>x *@ w + b</c>.</summary>
    let ( *@ ) (a: OperandTensor) (b: OperandTensor) = OperandTensor.MatMul(a, b)

    /// <summary>Every element raised to a constant power: <c>x .** 2.0</c> (F#'s ** needs a static Pow the C# type lacks).</summary>
    let ( .** ) (x: OperandTensor) (exponent: float) = x.Pow(exponent)
