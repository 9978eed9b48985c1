namespace AutoDiffRnn.Nn;

/// <summary>
/// A lookup table of vectors, as <c>torch.nn.Embedding</c>: weight [count, dimension] ~ N(0, 1). With a padding index, that row
/// starts at zero and receives no gradient.
/// </summary>
public sealed class Embedding : Module
{
    /// <summary>Creates the table.</summary>
    public Embedding(int count, int dimension, int? paddingIndex = null, DType dtype = DType.Float32, Generator? generator = null)
    {
        if (count <= 0 || dimension <= 0)
            throw new ArgumentException($"Embedding: count and dimension must be positive, got {count} and {dimension}");
        if (paddingIndex is int pad && (pad < 0 || pad >= count))
            throw new ArgumentOutOfRangeException(nameof(paddingIndex), $"Embedding: padding index {pad} is outside [0, {count})");
        var weight = Tensor.Normal(new Shape(count, dimension), dtype: dtype, generator: generator);
        if (paddingIndex is int row)
            for (int j = 0; j < dimension; j++) weight.SetFlat(row * dimension + j, 0);
        Weight = RegisterParameter("weight", weight);
        PaddingIndex = paddingIndex;
    }

    /// <summary>The table [count, dimension].</summary>
    public Tensor Weight { get; }

    /// <summary>The row that is padding (no gradient), if any.</summary>
    public int? PaddingIndex { get; }

    /// <summary>The vectors of <paramref name="ids"/>, shaped <paramref name="shape"/> + [dimension] (default: [ids.Length, dimension]).</summary>
    public Tensor Forward(int[] ids, Shape? shape = null)
    {
        var idsShape = shape ?? new Shape(ids.Length);
        if (idsShape.ElementCount != ids.Length)
            throw new ArgumentException($"Embedding: {ids.Length} ids do not fill shape {idsShape}");
        int rowCount = Weight.Shape[0];
        for (int position = 0; position < ids.Length; position++)
            if ((uint)ids[position] >= (uint)rowCount)
                throw new ArgumentOutOfRangeException(nameof(ids),
                    $"Embedding: id {ids[position]} at position {position} is outside the table of {rowCount} rows (weight {Weight.Shape})");
        var rows = Weight.IndexSelect(0, ids);
        if (PaddingIndex is int pad && ids.Contains(pad))
        {
            // same values, but padding rows pass no gradient back to the table
            var keep = Tensor.FromArray(ids.Select(id => id == pad ? 0.0 : 1.0).ToArray(), new Shape(ids.Length, 1), Weight.DType);
            rows = Tensor.Where(keep, rows, rows.Detach());
        }
        return rows.Reshape([.. idsShape, Weight.Shape[1]]);
    }
}
