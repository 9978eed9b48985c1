using AutoDiffRnn.Autodiff;

namespace AutoDiffRnn;

/// <summary>reshape: the same elements in row-major order under a new shape (one size may be -1). VJP: g reshaped back.</summary>
[Operation("reshape")]
internal static class ReshapeOp
{
    public static Tensor Apply(Tensor x, int[] dimensions)
    {
        var shape = Resolve(x, dimensions);
        if (shape == x.Shape) return x;
        var output = new Tensor(x.Storage, shape); // storage is shared: tensors are never mutated through the API
        return Tape.Record("reshape", output, [x], g => [Apply(g, x.Shape.Dimensions)]);
    }

    private static Shape Resolve(Tensor x, int[] dimensions)
    {
        var resolved = (int[])dimensions.Clone();
        int inferred = Array.IndexOf(resolved, -1);
        if (inferred >= 0 && Array.IndexOf(resolved, -1, inferred + 1) >= 0)
            throw new ArgumentException($"reshape: only one dimension can be -1, got [{string.Join(",", dimensions)}]");
        if (resolved.Any(size => size < -1))
            throw new ArgumentException($"reshape: invalid size in [{string.Join(",", dimensions)}]");
        if (inferred >= 0)
        {
            int known = 1;
            for (int i = 0; i < resolved.Length; i++) if (i != inferred) known *= resolved[i];
            if (known == 0 || x.ElementCount % known != 0)
                throw new ArgumentException($"reshape: cannot reshape {x.Shape} ({x.ElementCount} elements) to [{string.Join(",", dimensions)}]");
            resolved[inferred] = x.ElementCount / known;
        }
        var shape = Shape.Wrap(resolved);
        if (shape.ElementCount != x.ElementCount)
            throw new ArgumentException($"reshape: cannot reshape {x.Shape} ({x.ElementCount} elements) to {shape} ({shape.ElementCount} elements)");
        return shape;
    }
}

public sealed partial class Tensor
{
    /// <summary>The same elements under a new shape; one size may be -1 to be inferred.</summary>
    public Tensor Reshape(params int[] shape) => ReshapeOp.Apply(this, shape);

    /// <summary>The same elements under a new shape.</summary>
    public Tensor Reshape(Shape shape) => ReshapeOp.Apply(this, shape.Dimensions);
}
