using AutoClassify.Models.Cnn;
using AutoClassify.Tensors;
using AutoClassify.Tests.Tensors;

namespace AutoClassify.Tests.Models.Cnn;

[Collection(TorchTests.Name)]
public class BatchAugmentationTests
{
    [Fact]
    public void Should_leave_images_unchanged_under_the_identity_theta()
    {
        using var scope = DisposeScope.Begin();
        var batch = Tensor.Randn([3, 1, 12, 20]);
        var identity = new AffineAugmenter(AugmentationOptions.None, seed: 1).DrawThetas(3, 20, 12);

        var output = CnnTrainer.Augment(batch, identity);

        var expected = batch.ToArray<float>();
        var actual = output.ToArray<float>();
        Assert.Equal(batch.Shape, output.Shape);
        Assert.All(expected.Zip(actual), p => Assert.True(Math.Abs(p.First - p.Second) <= 1e-5f, $"{p.First} vs {p.Second}"));
    }

    [Fact]
    public void Should_keep_shapes_and_give_each_sample_its_own_transform()
    {
        using var scope = DisposeScope.Begin();
        var one = Tensor.Randn([1, 1, 16, 16]);
        var batch = one.Expand(4, 1, 16, 16).Contiguous();
        var thetas = new AffineAugmenter(AugmentationOptions.Default, seed: 2).DrawThetas(4, 16, 16);

        var output = CnnTrainer.Augment(batch, thetas);

        Assert.Equal(new long[] { 4, 1, 16, 16 }, output.Shape);
        var values = output.ToArray<float>();
        var first = values.AsSpan(0, 256).ToArray();
        var second = values.AsSpan(256, 256).ToArray();
        Assert.NotEqual(first, second);
    }

    [Fact]
    public void Should_keep_a_centred_disk_a_disk_under_rotation_and_flips()
    {
        // The label survives: a centred disk rotated and mirrored is still (nearly) the same disk.
        const int size = 24;
        var pixels = new float[size * size];
        for (var y = 0; y < size; y++)
        {
            for (var x = 0; x < size; x++)
            {
                var r = Math.Sqrt(Math.Pow(x + 0.5 - size / 2.0, 2) + Math.Pow(y + 0.5 - size / 2.0, 2));
                pixels[y * size + x] = r <= 7 ? 1f : 0f;
            }
        }
        var options = AugmentationOptions.None with { Rotate = true, FlipHorizontal = true, FlipVertical = true };
        using var scope = DisposeScope.Begin();
        var batch = Tensor.FromArray(pixels, [1, 1, size, size]).Expand(8, 1, size, size).Contiguous();

        var output = CnnTrainer.Augment(batch, new AffineAugmenter(options, seed: 3).DrawThetas(8, size, size)).ToArray<float>();

        for (var i = 0; i < 8; i++)
        {
            var sample = output.AsSpan(i * size * size, size * size).ToArray();
            var meanDifference = sample.Zip(pixels, (a, b) => Math.Abs(a - b)).Average();
            Assert.True(meanDifference < 0.05, $"sample {i} differs by {meanDifference:F3} on average");
            Assert.Equal(pixels.Sum(), sample.Sum(), 0.05 * pixels.Sum());
        }
    }

    [Fact]
    public void Should_move_whole_pixels_without_interpolating_under_the_field_transforms()
    {
        // Given random texture: any interpolation would blend neighbours and change the values
        const int size = 9;
        using var scope = DisposeScope.Begin();
        var one = Tensor.Randn([1, 1, size, size]);
        var source = one.ToArray<float>();
        var batch = one.Expand(16, 1, size, size).Contiguous();
        var augmenter = new AffineAugmenter(AugmentationOptions.Field, seed: 5);
        var draws = Enumerable.Range(0, 16).Select(_ => augmenter.Draw()).ToList();
        var thetas = draws.SelectMany(d => d.ToTheta(size, size)).ToArray();

        // When
        var output = CnnTrainer.Augment(batch, thetas).ToArray<float>();

        // Then every sample is the source turned and mirrored exactly, pixel for pixel
        for (var i = 0; i < draws.Count; i++)
        {
            var expected = Orient(source, size, draws[i]);
            var actual = output.AsSpan(i * size * size, size * size).ToArray();
            Assert.All(expected.Zip(actual), p => Assert.Equal(p.First, p.Second, 1e-5f));
        }
        Assert.True(draws.Select(d => (d.QuarterTurns, d.FlipX, d.FlipY)).Distinct().Count() >= 6, "16 draws should cover most of the 16 turn and mirror combinations");
    }

    // The pixel grid mirrored as the draw says, then turned: output (x, y) reads the source where theta maps it.
    static float[] Orient(float[] source, int size, AffineDraw draw)
    {
        var result = new float[source.Length];
        for (var y = 0; y < size; y++)
        {
            for (var x = 0; x < size; x++)
            {
                // Centred coordinates, through the flips then the quarter turns (counter-clockwise in image axes).
                int u = x - size / 2, v = y - size / 2;
                if (draw.FlipX)
                    u = -u;
                if (draw.FlipY)
                    v = -v;
                for (var t = 0; t < draw.QuarterTurns; t++)
                    (u, v) = (-v, u);
                result[y * size + x] = source[(v + size / 2) * size + u + size / 2];
            }
        }
        return result;
    }
}
