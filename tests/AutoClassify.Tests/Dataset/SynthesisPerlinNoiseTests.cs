using AutoClassify.Dataset.Synthesis;

namespace AutoClassify.Tests.Dataset;

public class SynthesisPerlinNoiseTests
{
    [Fact]
    public void Should_repeat_for_a_seed_and_differ_between_seeds()
    {
        var a = new PerlinNoise(5);
        var b = new PerlinNoise(5);
        var c = new PerlinNoise(6);

        var points = Enumerable.Range(0, 50).Select(i => (X: i * 0.37, Y: i * 0.21 + 0.5)).ToList();

        Assert.All(points, p => Assert.Equal(a.Fractal(p.X, p.Y, 4), b.Fractal(p.X, p.Y, 4)));
        Assert.Contains(points, p => Math.Abs(a.Fractal(p.X, p.Y, 4) - c.Fractal(p.X, p.Y, 4)) > 1e-3);
    }

    [Fact]
    public void Should_be_bounded_smooth_and_not_flat()
    {
        var noise = new PerlinNoise(11);
        double min = double.MaxValue, max = double.MinValue, largestStep = 0;
        for (var y = 0; y < 60; y++)
        {
            for (var x = 0; x < 200; x++)
            {
                double u = x * 0.05, v = y * 0.13;
                var value = noise.Sample(u, v);
                min = Math.Min(min, value);
                max = Math.Max(max, value);
                largestStep = Math.Max(largestStep, Math.Abs(noise.Sample(u + 0.01, v) - value));
            }
        }

        Assert.InRange(min, -1.0001, -0.3);
        Assert.InRange(max, 0.3, 1.0001);
        // Gradient noise is continuous: a 0.01 step cannot jump far.
        Assert.True(largestStep < 0.05, $"largest step {largestStep}");
    }

    [Fact]
    public void Should_close_a_periodic_curve_smoothly()
    {
        var noise = new PerlinNoise(2);

        var start = noise.Periodic(0, 1.5, 3, offset: 9);
        var end = noise.Periodic(2 * Math.PI, 1.5, 3, offset: 9);
        var justBefore = noise.Periodic(2 * Math.PI - 1e-3, 1.5, 3, offset: 9);

        Assert.Equal(start, end, 1e-12);
        Assert.Equal(start, justBefore, 1e-2);
    }
}
