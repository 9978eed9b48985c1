namespace AutoDiffRnn.Tests.Tensors;

/// <summary>Element counts in checked arithmetic and index/range checks that cannot overflow, each error naming the op and the shape.</summary>
public class ShapeAndIndexValidationTests
{
    [Fact]
    public void AnElementCountThatOverflowsIsRefusedNamingTheShape()
    {
        // 65536^4 = 2^64 wrapped to 0 elements before.
        var error = Assert.ThrowsAny<ArgumentException>(() => Tensor.Zeros(new Shape(65536, 65536, 65536, 65536)));
        Assert.Contains("[65536,65536,65536,65536]", error.Message);
        Assert.Contains("more than 2147483647 elements", error.Message);
        Assert.ThrowsAny<ArgumentException>(() => new Shape(46341, 46341));
        Assert.Equal(int.MaxValue, new Shape(int.MaxValue, 1).ElementCount);
        Assert.Equal(0, new Shape(0, 65536, 65536, 65536).ElementCount);
    }

    [Fact]
    public void ReshapeToAShapeWhoseCountWrapsIsRefused()
    {
        var empty = Tensor.Zeros(new Shape(0));
        var error = Assert.Throws<ArgumentException>(() => empty.Reshape(65536, 65536, 65536, 65536));
        Assert.StartsWith("reshape:", error.Message);
        Assert.Contains("[0]", error.Message);
        Assert.Contains("more than 2147483647", error.Message);
        Assert.StartsWith("reshape:", Assert.Throws<ArgumentException>(() => empty.Reshape(-1, 0)).Message);
        Assert.Equal(new Shape(0, 65536), empty.Reshape(-1, 65536).Shape);
    }

    public static TheoryData<int, int, int> BadSlices => new()
    {
        { 1, int.MaxValue, 2 },       // start + length overflowed to a negative number and passed
        { 1, 2, int.MaxValue },
        { 1, int.MaxValue, int.MaxValue },
        { 1, -1, 1 },
        { 1, 0, -1 },
        { 1, 3, 1 },
        { 0, 1, 2 },
    };

    [Theory]
    [MemberData(nameof(BadSlices))]
    public void NarrowNamesTheOpDimValuesAndShapeWithoutOverflow(int dim, int start, int length)
    {
        var x = Tensor.Zeros(new Shape(2, 3));
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => x.Narrow(dim, start, length));
        Assert.StartsWith("narrow:", error.Message);
        Assert.Contains($"start {start}", error.Message);
        Assert.Contains($"length {length}", error.Message);
        Assert.Contains($"dim {dim}", error.Message);
        Assert.Contains("[2,3]", error.Message);
    }

    [Fact]
    public void NarrowAtTheVeryEndAndEmptySlicesWork()
    {
        var x = Tensor.Arange(6, DType.Float64).Reshape(2, 3);
        Assert.Equal(new double[] { 2, 5 }, x.Narrow(1, 2, 1).ToDoubleArray());
        Assert.Equal(new Shape(2, 0), x.Narrow(1, 3, 0).Shape);
    }

    [Fact]
    public void SplitAndChunkWithHugeSizesDoNotOverflow()
    {
        var x = Tensor.Arange(5, DType.Float64);
        Assert.Single(x.Split(int.MaxValue, 0));
        Assert.Equal(5, x.Chunk(int.MaxValue, 0).Length);
        var error = Assert.Throws<ArgumentException>(() => x.Split([int.MaxValue, int.MaxValue, 7], 0));
        Assert.StartsWith("split:", error.Message);
        Assert.Contains("[5]", error.Message);
    }

    [Theory]
    [InlineData(10L)]
    [InlineData(6L)]
    [InlineData(-1L)]
    [InlineData(long.MaxValue)]
    [InlineData(long.MinValue)]
    public void AFlatIndexOutOfRangeNamesTheIndexAndShape(long index)
    {
        var t = Tensor.Zeros(new Shape(2, 3));
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => t[index]);
        Assert.StartsWith("index:", error.Message);
        Assert.Contains($"flat index {index}", error.Message);
        Assert.Contains("[2,3]", error.Message);
    }

    [Fact]
    public void AMultiDimensionalIndexOutOfRangeNamesTheDimAndShape()
    {
        var t = Tensor.Zeros(new Shape(2, 3));
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => t[1, 3]);
        Assert.Contains("dim 1: 3 is not in 0..2", error.Message);
        Assert.Contains("[2,3]", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => t[-1, 0]);
        Assert.Equal(0, t[1, 2]);
    }

    [Fact]
    public void SelectAndIndexSelectNameTheOpAndShape()
    {
        var t = Tensor.Zeros(new Shape(2, 3));
        Assert.Contains("[2,3]", Assert.Throws<ArgumentOutOfRangeException>(() => t.Select(1, int.MinValue)).Message);
        Assert.Contains("[2,3]", Assert.Throws<ArgumentOutOfRangeException>(() => t.Select(1, 3)).Message);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => t.IndexSelect(0, [0, int.MaxValue]));
        Assert.StartsWith("index_select:", error.Message);
    }
}
