namespace AutoDiffRnn.Optim;

/// <summary>How error messages name a parameter: its name (or position) with its dtype and shape.</summary>
internal static class ParameterLabel
{
    /// <summary>"parameter 3", for parameters given without names.</summary>
    public static string OfIndex(int index) => $"parameter {index}";

    /// <summary>"weight_ih_l0 (float32 [64,16])".</summary>
    public static string Describe(string name, Tensor parameter) => $"{name} ({parameter.DType.Name()} {parameter.Shape})";
}
