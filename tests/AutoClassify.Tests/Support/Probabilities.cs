namespace AutoClassify.Tests.Support;

/// <summary>Comparisons of two sets of class probabilities, one row per item.</summary>
internal static class Probabilities
{
    /// <summary>The largest absolute difference over every item and class; asserts both have the same shape.</summary>
    public static double MaxDifference(double[][] expected, double[][] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        var worst = 0.0;
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i].Length, actual[i].Length);
            for (var k = 0; k < expected[i].Length; k++)
                worst = Math.Max(worst, Math.Abs(expected[i][k] - actual[i][k]));
        }
        return worst;
    }
}
