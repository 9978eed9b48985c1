namespace AutoDiffRnn.Autodiff;

/// <summary>
/// The gradients one first-order backward pass created itself, and how many places of the pass still hold each: once a gradient is
/// consumed (turned into its inputs' gradients, added into a sum or a leaf's gradient) and nothing holds it any more, its storage goes
/// back to the pool for the next pass. Tensors created before the pass began (the caller's output gradient, anything an op saved in
/// the forward pass) are never touched, and a gradient that shares its storage with another tensor is only dropped, never returned.
/// </summary>
internal sealed class GradientRecycling
{
    private long firstSerial = long.MaxValue; // nothing is the pass's own before Begin
    private readonly Dictionary<Tensor, int> holders = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<Tensor> adopted = new(ReferenceEqualityComparer.Instance);
    private readonly List<Tensor> consumedByNode = [];

    /// <summary>Starts a pass: the tensors created from now on are its own. Returns this.</summary>
    public GradientRecycling Begin()
    {
        firstSerial = Tensor.NextSerial;
        return this;
    }

    /// <summary>Forgets the pass (the collections are kept for the next one).</summary>
    public void Clear()
    {
        firstSerial = long.MaxValue;
        holders.Clear();
        adopted.Clear();
        consumedByNode.Clear();
    }

    /// <summary>True for a tensor this pass created.</summary>
    private bool IsOwn(Tensor tensor) => tensor.Serial >= firstSerial;

    /// <summary>A gradient was stored as the pending gradient of some tensor.</summary>
    public void Place(Tensor gradient)
    {
        if (IsOwn(gradient)) holders[gradient] = holders.GetValueOrDefault(gradient) + 1;
    }

    /// <summary>A pending gradient was taken out of its place.</summary>
    public void Unplace(Tensor gradient)
    {
        if (IsOwn(gradient)) holders[gradient] = holders.GetValueOrDefault(gradient) - 1;
    }

    /// <summary>True when a leaf may keep <paramref name="gradient"/> itself as its gradient: this pass created it, nothing else holds it, and it owns its storage alone.</summary>
    public bool CanAdopt(Tensor gradient) =>
        IsOwn(gradient) && holders.GetValueOrDefault(gradient) <= 0 && gradient.OwnsStorageAlone && !adopted.Contains(gradient);

    /// <summary>True when <paramref name="sum"/>, a pending gradient, may be updated in place: this pass created it, one place holds it, and it owns its storage alone.</summary>
    public bool CanAddInto(Tensor sum) =>
        IsOwn(sum) && holders.GetValueOrDefault(sum) == 1 && sum.OwnsStorageAlone && !adopted.Contains(sum);

    /// <summary><paramref name="gradient"/> became a leaf's gradient: it lives on.</summary>
    public void Adopted(Tensor gradient) => adopted.Add(gradient);

    /// <summary>A gradient was used up by the node being processed: <see cref="Consumed"/> once the node's gradients are all placed.</summary>
    public void ConsumeAfterNode(Tensor gradient) => consumedByNode.Add(gradient);

    /// <summary>The node's gradients are all placed: releases what it used up and nothing holds any more.</summary>
    public void NodeDone()
    {
        foreach (var gradient in consumedByNode) Consumed(gradient);
        consumedByNode.Clear();
    }

    /// <summary>A gradient was used up; if this pass created it and no place holds it any more, its storage is released.</summary>
    public void Consumed(Tensor gradient)
    {
        if (!IsOwn(gradient) || holders.GetValueOrDefault(gradient) > 0 || adopted.Contains(gradient)) return;
        holders.Remove(gradient);
        gradient.Release(ReleaseReason.Backward);
    }
}
