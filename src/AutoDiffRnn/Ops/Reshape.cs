using AutoDiffRnn.Autodiff;

namespace AutoDiffRnn;

/// <summary>reshape: the same elements in row-major order under a new shape (one size may be -1). VJP: g reshaped back.</summary>
[Operation(Name)]
internal static class ReshapeOp
{
    public static Tensor Apply(Tensor x, int[] dimensions)
    {
        var shape = Resolve(x, dimensions);
        if (shape == x.Shape) return x;
        var output = x.Alias(shape); // storage is shared: tensors are never mutated through the API
        return Tape.Record(Name, output, [x], g => [Apply(g, x.Shape.Dimensions)]);
    }

    private static Shape Resolve(Tensor x, int[] dimensions)
    {
        var resolved = (int[])dimensions.Clone();
        int inferred = Array.IndexOf(resolved, -1);
        if (inferred >= 0 && Array.IndexOf(resolved, -1, inferred + 1) >= 0)
            throw new ArgumentException($"{Name}: only one dimension can be -1, got [{string.Join(",", dimensions)}]");
        if (resolved.Any(size => size < -1))
            throw new ArgumentException($"{Name}: invalid size in [{string.Join(",", dimensions)}] (sizes are non-negative, or -1 once)");
        if (inferred >= 0)
        {
            long known = 1; // capped, so the product of the other sizes cannot overflow
            for (int i = 0; i < resolved.Length; i++) if (i != inferred) known = Math.Min(known * resolved[i], 1L + int.MaxValue);
            if (known == 0 || x.ElementCount % known != 0)
                throw new ArgumentException($"{Name}: cannot reshape {x.Shape} ({x.ElementCount} elements) to [{string.Join(",", dimensions)}]");
            resolved[inferred] = (int)(x.ElementCount / known);
        }
        long count = 1;
        foreach (var size in resolved) count = Math.Min(count * size, 1L + int.MaxValue);
        if (count != x.ElementCount)
            throw new ArgumentException($"{Name}: cannot reshape {x.Shape} ({x.ElementCount} elements) to [{string.Join(",", resolved)}] " +
                $"({(count > int.MaxValue ? $"more than {int.MaxValue}" : count.ToString())} elements)");
        return Shape.Wrap(resolved);
    }

    /// <summary>The operation's name, as registered, recorded on the tape and used in error messages.</summary>
    internal const string Name = "reshape";
}

public sealed partial class Tensor
{
    /// <summary>The same elements under a new shape; one size may be -1 to be inferred.</summary>
    public Tensor Reshape(params int[] shape) => ReshapeOp.Apply(this, shape);

    /// <summary>The same elements under a new shape.</summary>
    public Tensor Reshape(Shape shape) => ReshapeOp.Apply(this, shape.Dimensions);
}
