using AutoClassify.Models.Segmenters;
using AutoClassify.Tensors;
using AutoClassify.Tests.Tensors;

namespace AutoClassify.Tests.Models.Segmenters;

[Collection(TorchTests.Name)]
public class UNetTests
{
    [Theory]
    [InlineData(false, 64, 48)]
    [InlineData(true, 37, 53)]
    [InlineData(false, 5, 3)]
    public void Should_give_one_logit_per_class_at_every_input_pixel(bool residual, int height, int width)
    {
        using var scope = DisposeScope.Begin();
        Torch.ManualSeed(1);
        using var network = new UNet(1, 3, depth: 3, baseWidth: 4, residual: residual);
        network.Eval();

        var logits = network.Forward(Tensor.Randn([2, 1, height, width]));

        Assert.Equal([2L, 3L, (long)height, (long)width], logits.Shape);
        Assert.True(double.IsFinite(logits.Abs().Sum().ToDouble()));
    }

    [Fact]
    public void Should_name_its_layers_by_level_and_double_the_width_at_each()
    {
        using var network = new UNet(1, 2, depth: 2, baseWidth: 8, residual: true);

        var names = network.NamedParameters().Select(p => p.Name).ToList();

        Assert.Contains("down0.conv1.weight", names);
        Assert.Contains("down2.conv2.weight", names);
        Assert.Contains("down1.shortcut.0.weight", names);
        Assert.Contains("up1.weight", names);
        Assert.Contains("dec0.bn2.bias", names);
        Assert.Contains("head.weight", names);
        Assert.Equal([32L, 32L, 3L, 3L], network.StateDict()["down2.conv2.weight"].Shape);
        Assert.Equal([32L, 16L, 2L, 2L], network.StateDict()["up1.weight"].Shape);
        Assert.Equal(4, network.SizeMultiple);
    }

    [Fact]
    public void Should_mark_only_the_pixels_near_another_object_as_boundary()
    {
        // Given two squares touching along a vertical edge, and a third one on its own
        const int width = 12, height = 6;
        var ids = new int[width * height];
        for (var y = 1; y < 5; y++)
        {
            for (var x = 0; x < 4; x++)
                ids[(y * width) + x] = 1;
            for (var x = 4; x < 8; x++)
                ids[(y * width) + x] = 2;
            for (var x = 9; x < 12; x++)
                ids[(y * width) + x] = 3;
        }

        // When
        var targets = SegmentationTargets.InstanceTargets(ids, width, height, boundaryWidth: 1);

        // Then
        var row = targets.AsSpan(2 * width, width).ToArray();
        Assert.Equal(new byte[] { 1, 1, 1, 2, 2, 1, 1, 1, 0, 1, 1, 1 }, row);
        Assert.All(targets.AsSpan(0, width).ToArray(), t => Assert.Equal(0, t));
    }

    [Fact]
    public void Should_split_touching_objects_at_the_predicted_boundary_with_the_watershed()
    {
        // Given probabilities of two discs touching along x = 20, with a boundary band between them
        const int width = 40, height = 24;
        var n = width * height;
        var probabilities = TouchingDiscs.TwoDiscProbabilities(width, height);

        // When
        var instances = SegmentationTargets.SplitInstances(probabilities, width, height, minArea: 4);

        // Then there are two objects, each covering its disc, and the boundary band is shared between them
        Assert.Equal(2, instances.Max());
        var left = instances[(12 * width) + 12];
        var right = instances[(12 * width) + 28];
        Assert.NotEqual(0, left);
        Assert.NotEqual(0, right);
        Assert.NotEqual(left, right);
        Assert.Equal(0, instances[0]);
        Assert.All(Enumerable.Range(0, n).Where(i => probabilities[i] == 0), i => Assert.NotEqual(0, instances[i]));
    }

    [Fact]
    public void Should_mirror_indices_beyond_the_image_without_repeating_the_edge()
    {
        Assert.Equal([2, 1, 0, 1, 2, 3, 2, 1, 0, 1], Enumerable.Range(-2, 10).Select(i => SegmenterInput.Mirror(i, 4)));
        Assert.Equal(0, SegmenterInput.Mirror(-5, 1));
    }

    [Fact]
    public void Should_centre_overlapping_tiles_on_the_image_with_a_margin_at_both_ends()
    {
        var starts = UNetSegmenter.Starts(150, 32, 12);

        Assert.All(starts.Zip(starts.Skip(1)), p => Assert.Equal(20, p.Second - p.First));
        Assert.True(starts[0] <= -6);
        Assert.True(starts[^1] + 32 >= 156);
        Assert.Equal([-13], UNetSegmenter.Starts(5, 32, 12));
    }

    [Theory]
    [InlineData(1024, 512, 64, 8)]
    [InlineData(768, 512, 64, 8)]
    [InlineData(150, 32, 12, 4)]
    [InlineData(5, 32, 12, 4)]
    [InlineData(3000, 512, 64, 16)]
    public void Should_shrink_tiles_to_cover_an_axis_in_as_few_tiles_with_little_waste(int length, int tile, int overlap, int multiple)
    {
        var (side, starts) = UNetSegmenter.Layout(length, tile, overlap, multiple);

        // As few tiles as full-size ones would need, each a multiple of 2^depth no larger than asked
        Assert.Equal(UNetSegmenter.Starts(length, tile, overlap).Length, starts.Length);
        Assert.Equal(0, side % multiple);
        Assert.InRange(side, multiple, tile);
        // Covering the axis with half the overlap to spare at both ends, and wasting less than a multiple per tile
        Assert.True(starts[0] <= -(overlap / 2) || (starts.Length == 1 && starts[0] <= 0));
        Assert.True(starts[^1] + side >= length + (starts.Length == 1 ? 0 : overlap / 2));
        var neededPerTile = starts.Length == 1 ? length + (2 * (overlap / 2)) : Math.Ceiling((length + (2 * (overlap / 2)) - overlap) / (double)starts.Length) + overlap;
        Assert.True(side < neededPerTile + multiple, $"side {side} for {neededPerTile} needed");
    }

    [Fact]
    public void Should_cut_a_1024_by_768_field_into_six_tiles_of_408_by_448_by_default()
    {
        Assert.Equal((408, 3), (UNetSegmenter.Layout(1024, 512, 64, 8).Side, UNetSegmenter.Layout(1024, 512, 64, 8).Starts.Length));
        Assert.Equal((448, 2), (UNetSegmenter.Layout(768, 512, 64, 8).Side, UNetSegmenter.Layout(768, 512, 64, 8).Starts.Length));
    }
}
