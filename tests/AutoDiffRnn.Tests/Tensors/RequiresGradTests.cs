namespace AutoDiffRnn.Tests.Tensors;

/// <summary>The one gradient-flag API: the settable <see cref="Tensor.RequiresGrad"/> and its chaining form <see cref="Tensor.SetRequiresGrad"/>.</summary>
public class RequiresGradTests
{
    [Fact]
    public void SetRequiresGradSetsAndClearsTheFlagOfTheSameLeaf()
    {
        var x = Tensor.FromArray(new double[] { 1, 2 });
        Assert.False(x.RequiresGrad);
        Assert.Same(x, x.SetRequiresGrad());
        Assert.True(x.RequiresGrad);
        Assert.Same(x, x.SetRequiresGrad(false));
        Assert.False(x.RequiresGrad);
        x.RequiresGrad = true;
        Assert.True((x * 2.0).RequiresGrad);
    }

    [Fact]
    public void AnOpsOutputRefusesItNamingTheOp()
    {
        var y = Tensor.FromArray(new double[] { 1, 2 }).SetRequiresGrad() * 2.0;
        var error = Assert.Throws<InvalidOperationException>(() => y.SetRequiresGrad(false));
        Assert.Contains("'mul'", error.Message);
        Assert.True(y.RequiresGrad);
    }
}
