using AutoClassify.Imaging;
using AutoClassify.Models.Segmenters;
using AutoClassify.Tensors;
using AutoClassify.Tests.Tensors;

namespace AutoClassify.Tests.Models.Segmenters;

[Collection(TorchTests.Name)]
public class UNetTilingTests
{
    static readonly float[] HeadBias = [0.3f, -0.2f, 1.0f];

    [Theory]
    [InlineData(77, 53, 4096, 1 << 20)]
    [InlineData(77, 53, 32, 1024)]
    [InlineData(150, 131, 4096, 2500)]
    [InlineData(5, 3, 4096, 1 << 20)]
    public void Should_give_a_constant_map_without_seams_when_the_network_ignores_its_input(int width, int height, int tileSize, int budget)
    {
        // Given a U-Net whose every weight is zero but the head's bias, so each pixel's logits are that bias
        using var segmenter = ConstantSegmenter();
        var random = new Random(4);
        var image = new GrayImage(width, height, Enumerable.Range(0, width * height).Select(_ => (float)random.NextDouble()).ToArray());

        // When an image is predicted in one pass or through many blended tiles
        var plan = segmenter.TilePlan(width, height, tileSize, 8, budget);
        var probabilities = segmenter.Probabilities(image, tileSize, 8, budget);

        // Then every pixel of every channel holds softmax(bias): no tile edge, gap or double count shows
        var exp = HeadBias.Select(b => Math.Exp(b)).ToArray();
        int n = width * height;
        for (var c = 0; c < 3; c++)
        {
            var expected = exp[c] / exp.Sum();
            for (var i = 0; i < n; i++)
                Assert.True(Math.Abs(probabilities[(c * n) + i] - expected) < 1e-6, $"channel {c} pixel {i}: {probabilities[(c * n) + i]} against {expected} ({plan})");
        }
    }

    static UNetSegmenter ConstantSegmenter()
    {
        Torch.ManualSeed(2);
        var network = new UNet(1, 3, depth: 2, baseWidth: 4);
        using (Torch.NoGrad())
        {
            foreach (var (name, parameter) in network.NamedParameters())
            {
                if (name == "head.bias")
                {
                    using var bias = Tensor.FromArray(HeadBias, [3]);
                    parameter.CopyFrom(bias);
                }
                else if (!name.Contains(".bn", StringComparison.Ordinal))
                    parameter.Zero();
            }
        }
        var info = new UNetSegmenterInfo
        {
            Model = "unet",
            Scheme = OutputScheme.Semantic,
            ChannelNames = ["a", "b", "c"],
            ClassNames = ["a", "b", "c"],
            Depth = 2,
            BaseWidth = 4,
            Residual = false,
        };
        return new UNetSegmenter(network, info, threads: 1);
    }
}
