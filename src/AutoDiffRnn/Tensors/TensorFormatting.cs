using System.Globalization;
using System.Text;

namespace AutoDiffRnn;

public sealed partial class Tensor
{
    private const int EdgeItems = 3;      // shown at each end of a long dimension
    private const int ElisionThreshold = 1000; // tensors with more elements are elided

    /// <summary>
    /// The tensor as text: shape, type and values, nested by dimension like PyTorch; long dimensions of large tensors
    /// are elided with "...". Example: <c>tensor([[1, 2], [3, 4]], shape=[2,2], dtype=float32)</c>.
    /// </summary>
    public override string ToString()
    {
        var text = new StringBuilder("tensor(");
        bool elide = ElementCount > ElisionThreshold;
        AppendValues(text, 0, 0, elide);
        text.Append($", shape={Shape}, dtype={DType.Name()}");
        if (GradFn is not null) text.Append($", grad_fn={GradFn.OperationName}");
        else if (RequiresGrad) text.Append(", requires_grad=true");
        return text.Append(')').ToString();
    }

    private void AppendValues(StringBuilder text, int dimension, int offset, bool elide)
    {
        if (dimension == Rank)
        {
            text.Append(this[(long)offset].ToString("G6", CultureInfo.InvariantCulture));
            return;
        }
        int size = Shape[dimension], stride = Shape.Product(dimension + 1, Rank);
        text.Append('[');
        for (int i = 0; i < size; i++)
        {
            if (elide && size > 2 * EdgeItems && i == EdgeItems)
            {
                text.Append("..., ");
                i = size - EdgeItems - 1;
                continue;
            }
            AppendValues(text, dimension + 1, offset + i * stride, elide);
            if (i < size - 1) text.Append(dimension == Rank - 1 ? ", " : ",\n" + new string(' ', dimension + 8));
        }
        text.Append(']');
    }
}
