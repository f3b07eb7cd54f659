using AutoClassify.Evaluation.Statistics;

namespace AutoClassify.Tests.Evaluation.Statistics;

public class StratifiedBootstrapTests
{
    // 3 classes of 150, 40 and 10 items; each right with probability 0.9, 0.7, 0.5.
    static (int[] Truth, bool[] Correct) Data()
    {
        var random = new Random(7);
        var truth = new List<int>();
        var correct = new List<bool>();
        foreach (var (label, count, rate) in new[] { (0, 150, 0.9), (1, 40, 0.7), (2, 10, 0.5) })
        {
            for (var i = 0; i < count; i++)
            {
                truth.Add(label);
                correct.Add(random.NextDouble() < rate);
            }
        }
        return (truth.ToArray(), correct.ToArray());
    }

    [Fact]
    public void Should_keep_every_class_count_in_every_replicate()
    {
        var (truth, _) = Data();
        var bootstrap = new StratifiedBootstrap(truth, replicates: 50, seed: 3);

        foreach (var sample in bootstrap.Samples())
        {
            Assert.Equal(truth.Length, sample.Length);
            for (var k = 0; k < 3; k++)
                Assert.Equal(truth.Count(t => t == k), sample.Count(i => truth[i] == k));
        }
    }

    [Fact]
    public void Should_repeat_with_the_seed_and_differ_with_another()
    {
        var (truth, correct) = Data();
        double[] Accuracy(int[] s) => [s.Count(i => correct[i]) / (double)s.Length];

        var a = new StratifiedBootstrap(truth, 300, 11).Percentile(Accuracy);
        var b = new StratifiedBootstrap(truth, 300, 11).Percentile(Accuracy);
        var c = new StratifiedBootstrap(truth, 300, 12).Percentile(Accuracy);

        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void Should_match_the_stratified_normal_approximation_of_accuracy()
    {
        // Given the accuracy of stratified data, whose variance is Σ (n_k/N)² p_k(1 − p_k)/n_k with fixed class counts
        var (truth, correct) = Data();
        var n = truth.Length;
        var accuracy = correct.Count(c => c) / (double)n;
        double variance = 0;
        for (var k = 0; k < 3; k++)
        {
            var members = Enumerable.Range(0, n).Where(i => truth[i] == k).ToArray();
            var p = members.Count(i => correct[i]) / (double)members.Length;
            variance += Math.Pow(members.Length / (double)n, 2) * p * (1 - p) / members.Length;
        }
        var half = 1.959964 * Math.Sqrt(variance);

        // When the bootstrap resamples it 4000 times
        var interval = new StratifiedBootstrap(truth, 4000, 5).Percentile(s => [s.Count(i => correct[i]) / (double)s.Length])[0];

        // Then its percentile interval sits where the normal approximation puts it (to Monte Carlo and discreteness error)
        Assert.True(interval.Contains(accuracy));
        Assert.Equal(accuracy - half, interval.Lower, 0.012);
        Assert.Equal(accuracy + half, interval.Upper, 0.012);
    }
}
