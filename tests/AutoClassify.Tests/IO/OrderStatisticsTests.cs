using AutoClassify.IO;

namespace AutoClassify.Tests.IO;

public class OrderStatisticsTests
{
    [Fact]
    public void Should_interpolate_quantiles_as_numpy()
    {
        double[] sorted = [1, 2, 3, 4];
        Assert.Equal(1.075, OrderStatistics.Quantile(sorted, 0.025), 1e-12);
        Assert.Equal(2.5, OrderStatistics.Quantile(sorted, 0.5), 1e-12);
        Assert.Equal(4, OrderStatistics.Quantile(sorted, 1), 1e-12);
        Assert.Equal(1, OrderStatistics.Quantile(sorted, -0.5));
        Assert.True(double.IsNaN(OrderStatistics.Quantile([], 0.5)));
    }

    [Fact]
    public void Should_take_the_middle_value_or_the_mean_of_the_two_middle_values_as_median()
    {
        Assert.Equal(2, OrderStatistics.Median([1, 2, 7]));
        Assert.Equal(4.5, OrderStatistics.Median([1, 2, 7, 9]));
        Assert.Equal(3, OrderStatistics.Median([3]));
        Assert.True(double.IsNaN(OrderStatistics.Median([])));
    }
}
