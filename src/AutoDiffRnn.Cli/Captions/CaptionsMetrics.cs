namespace AutoDiffRnn.Cli.Captions;

/// <summary>What <c>train captions</c> reports, on scenes that each contain a colour–shape pair never seen in training.</summary>
/// <param name="Attention">"additive" or "none".</param>
/// <param name="GreedyExactMatch">Fraction of held-out scenes whose greedy caption is exactly right.</param>
/// <param name="BeamExactMatch">The same with beam search.</param>
/// <param name="BeamWidth">The beam width.</param>
/// <param name="WordAccuracy">Fraction of reference word positions the greedy caption gets right (position by position; a missing word is wrong).</param>
/// <param name="SeenExactMatch">Greedy exact match on fresh scenes of the training distribution (new layouts, only seen pairs), for comparison.</param>
/// <param name="TestSize">Held-out scenes.</param>
/// <param name="FinalLoss">Mean training loss over the last 50 steps.</param>
/// <param name="Steps">Optimizer steps.</param>
/// <param name="Parameters">Parameter count.</param>
/// <param name="Examples">A few held-out captions: "reference => generated".</param>
/// <param name="TrainSeconds">Training time.</param>
/// <param name="Seconds">Total wall time.</param>
public sealed record CaptionsMetrics(string Attention, double GreedyExactMatch, double BeamExactMatch, int BeamWidth, double WordAccuracy, double SeenExactMatch, int TestSize,
    double FinalLoss, int Steps, long Parameters, string[] Examples, double TrainSeconds, double Seconds);
