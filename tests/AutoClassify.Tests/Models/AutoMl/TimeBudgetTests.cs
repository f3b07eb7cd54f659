using AutoClassify.Models.AutoMl;

namespace AutoClassify.Tests.Models.AutoMl;

public class TimeBudgetTests
{
    [Theory]
    [InlineData("90s", 90)]
    [InlineData("30m", 1800)]
    [InlineData("1h", 3600)]
    [InlineData("1h30m", 5400)]
    [InlineData("2m30s", 150)]
    [InlineData(" 1H5M ", 3900)]
    [InlineData("1h0m1s", 3601)]
    public void Should_read_hours_minutes_and_seconds(string text, int seconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(seconds), TimeBudget.Parse(text));
    }

    [Theory]
    [InlineData("30")]
    [InlineData("1.5h")]
    [InlineData("m")]
    [InlineData("")]
    [InlineData("30m1h")]
    [InlineData("-5m")]
    [InlineData("10 min")]
    [InlineData("0s")]
    [InlineData("200h")]
    public void Should_reject_text_that_is_not_a_positive_duration_and_quote_it(string text)
    {
        var error = Assert.Throws<FormatException>(() => TimeBudget.Parse(text));

        Assert.Contains($"'{text}'", error.Message, StringComparison.Ordinal);
        Assert.Contains("--time-budget", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(5400, "1h30m")]
    [InlineData(90, "1m30s")]
    [InlineData(24, "24s")]
    [InlineData(7200, "2h")]
    public void Should_write_a_budget_the_parser_reads_back(int seconds, string text)
    {
        var budget = TimeSpan.FromSeconds(seconds);

        Assert.Equal(text, TimeBudget.Format(budget));
        Assert.Equal(budget, TimeBudget.Parse(TimeBudget.Format(budget)));
    }

    [Fact]
    public void Should_split_a_run_budget_evenly_over_the_outer_folds()
    {
        Assert.Equal(TimeSpan.FromMinutes(6), AutoMlOptions.SplitBudget(TimeSpan.FromMinutes(30), 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => AutoMlOptions.SplitBudget(TimeSpan.FromMinutes(30), 0));
    }
}
