using AutoDiffRnn.Losses;
using AutoDiffRnn.Nn;

namespace AutoDiffRnn.Tests.Tensors;

/// <summary>
/// Wrong calls through the public API: each is an ArgumentException (or a subclass) whose message starts with the op or module at
/// fault and shows the shape or value, checked before any span is touched, never an IndexOutOfRange, DivideByZero or span message.
/// </summary>
public class WrongCallTests
{
    private static Tensor Z(params int[] shape) => Tensor.Zeros(new Shape(shape));

    public static TheoryData<string, string, string> Calls() => new()
    {
        { "linear wrong in-features", "linear:", "[2,5]" },
        { "linear scalar input", "linear:", "[]" },
        { "lstm cell wrong input", "LstmCell:", "[2,5]" },
        { "gru wrong input rank", "GRU:", "[2,3]" },
        { "lstm wrong state", "LSTM:", "[1,3,4]" },
        { "rnn lengths count", "recurrent layer:", "batch of 2" },
        { "rnn length zero", "recurrent layer:", "length 0" },
        { "embedding id out of range", "Embedding:", "id 9 at position 0" },
        { "embedding ids do not fill", "Embedding:", "[2,2]" },
        { "permute repeated", "permute:", "[0,0]" },
        { "softmax axis", "softmax:", "axis 2" },
        { "sum axis twice", "sum:", "listed twice" },
        { "concat dtype", "concat:", "float64" },
        { "stack shapes", "stack:", "[2,3]" },
        { "where shapes", "where:", "[4]" },
        { "expand", "expand:", "[3]" },
        { "select", "select:", "index 5" },
        { "transpose axis", "transpose:", "axis 7" },
        { "index_select negative", "index_select:", "index -1" },
        { "cross entropy targets", "nll:", "3 targets" },
        { "cross entropy class", "nll:", "target 7" },
        { "mse shapes", "mse:", "[3]" },
        { "masked shapes", "masked loss:", "[2]" },
        { "dropout probability", "dropout", "1.5" },
        { "matmul rank", "matmul:", "[2]" },
        { "split sizes", "split:", "[1,1]" },
        { "chunk count", "chunk:", "0" },
        { "from array", "FromArray:", "[2,2]" },
        { "reshape two -1", "reshape:", "[-1,-1]" },
        { "narrow axis", "narrow:", "axis 3" },
    };

    private static void Call(string name)
    {
        switch (name)
        {
            case "linear wrong in-features": Tensor.Linear(Z(2, 5), Z(4, 3), null); break;
            case "linear scalar input": Tensor.Linear(Tensor.Scalar(1), Z(4, 3), null); break;
            case "lstm cell wrong input": new LstmCell(3, 4).Forward(Z(2, 5)); break;
            case "gru wrong input rank": new Gru(3, 4).Forward(Z(2, 3)); break;
            case "lstm wrong state": new Lstm(3, 4).Forward(Z(5, 2, 3), Z(1, 3, 4)); break;
            case "rnn lengths count": new Rnn(3, 4).Forward(Z(5, 2, 3), lengths: [1]); break;
            case "rnn length zero": new Rnn(3, 4).Forward(Z(5, 2, 3), lengths: [0, 1]); break;
            case "embedding id out of range": new Embedding(4, 2).Forward([9]); break;
            case "embedding ids do not fill": new Embedding(4, 2).Forward([1, 2, 3], new Shape(2, 2)); break;
            case "permute repeated": Z(2, 3).Permute(0, 0); break;
            case "softmax axis": Z(2, 3).Softmax(2); break;
            case "sum axis twice": Z(2, 3).Sum([0, -2]); break;
            case "concat dtype": Tensor.Concat([Z(2), Tensor.Zeros(new Shape(2), DType.Float64)], 0); break;
            case "stack shapes": Tensor.Stack([Z(2, 3), Z(3, 2)], 0); break;
            case "where shapes": Tensor.Where(Z(4), Z(3), Z(3)); break;
            case "expand": Z(3).Expand(new Shape(2, 4)); break;
            case "select": Z(2, 3).Select(1, 5); break;
            case "transpose axis": Z(2, 3).Transpose(0, 7); break;
            case "index_select negative": Z(2, 3).IndexSelect(0, [-1]); break;
            case "cross entropy targets": Loss.CrossEntropy(Z(2, 4), [0, 1, 2]); break;
            case "cross entropy class": Loss.CrossEntropy(Z(2, 4), [0, 7]); break;
            case "mse shapes": Loss.MeanSquaredError(Z(3), Z(3, 1)); break;
            case "masked shapes": Loss.Masked(Z(2, 2), Z(2)); break;
            case "dropout probability": Z(2).Dropout(1.5, true); break;
            case "matmul rank": Tensor.MatMul(Z(2), Z(2, 2)); break;
            case "split sizes": Z(3).Split([1, 1], 0); break;
            case "chunk count": Z(3).Chunk(0, 0); break;
            case "from array": Tensor.FromArray(new float[3], new Shape(2, 2)); break;
            case "reshape two -1": Z(4).Reshape(-1, -1); break;
            case "narrow axis": Z(2, 3).Narrow(3, 0, 1); break;
            default: throw new InvalidOperationException(name);
        }
    }

    [Theory]
    [MemberData(nameof(Calls))]
    public void AWrongCallNamesTheOpAndTheValuesAtFault(string call, string op, string detail)
    {
        var error = Assert.ThrowsAny<ArgumentException>(() => Call(call));
        Assert.StartsWith(op, error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(detail, error.Message);
    }
}
