namespace AutoDiffRnn.Compile;

/// <summary>A run of a compiled cell over a sequence, whatever its element type (<see cref="SequenceRun{T}"/>).</summary>
internal interface ISequenceRun
{
    /// <summary>Runs the sequence: the outputs [T, B, H] then each final state, end to end in <paramref name="packed"/>.</summary>
    void Forward(Tensor packed);

    /// <summary>The gradients of the op's inputs (input, states, captured parameters) given that of the packed outputs (same layout as in <see cref="Forward"/>).</summary>
    Tensor?[] Backward(Tensor gradient);

    /// <summary>Hands the buffers kept for the backward back to the storage pool.</summary>
    void Release();
}
