using System.Globalization;
using AutoClassify.Evaluation.Segmentation;
using AutoClassify.Imaging;
using AutoClassify.Models.Segmenters;
using AutoClassify.Preprocessing;
using Xunit.Abstractions;

namespace AutoClassify.Tests.Models.Segmenters;

public class InstancePostProcessingTests(ITestOutputHelper output)
{
    /// <summary>
    /// Instance-scheme probabilities a network might give for <paramref name="mask"/>: the true class leads by
    /// <paramref name="lead"/> in logit, and every channel carries smooth noise (white noise blurred by σ 1.5 px,
    /// scaled to <paramref name="amplitude"/>), so the arg-max interior breaks into fragments and specks of
    /// foreground dot the background, as on micrographs the network has not mastered.
    /// </summary>
    internal static float[] NoisyProbabilities(int[] mask, int width, int height, int seed, double lead = 2.5, double amplitude = 1.5)
    {
        var targets = SegmentationTargets.InstanceTargets(mask, width, height, boundaryWidth: 2);
        var random = new Random(seed);
        var n = width * height;
        var logits = new double[3 * n];
        for (var c = 0; c < 3; c++)
        {
            var white = new float[n];
            for (var i = 0; i < n; i++)
                white[i] = (float)Gaussian(random);
            var smooth = ImageOps.GaussianBlur(new GrayImage(width, height, white), 1.5).Pixels;
            var deviation = Math.Sqrt(smooth.Average(v => (double)v * v));
            for (var i = 0; i < n; i++)
                logits[(c * n) + i] = (amplitude * smooth[i] / deviation) + (targets[i] == c ? lead : 0);
        }
        var probabilities = new float[3 * n];
        for (var i = 0; i < n; i++)
        {
            var max = Math.Max(logits[i], Math.Max(logits[n + i], logits[(2 * n) + i]));
            var sum = 0.0;
            for (var c = 0; c < 3; c++)
                sum += Math.Exp(logits[(c * n) + i] - max);
            for (var c = 0; c < 3; c++)
                probabilities[(c * n) + i] = (float)(Math.Exp(logits[(c * n) + i] - max) / sum);
        }
        return probabilities;
    }

    static double Gaussian(Random random) => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    static (InstanceTuningImage Image, int[] Mask)[] Fields(int firstSeed, int count) =>
        [.. Enumerable.Range(firstSeed, count).Select(seed =>
        {
            var (_, mask) = TouchingDiscs.Generate(96, 96, pairs: 4, seed: seed);
            return (new InstanceTuningImage(NoisyProbabilities(mask, 96, 96, seed + 5000), 96, 96, mask), mask);
        })];

    static double MeanF1(IEnumerable<(InstanceTuningImage Image, int[] Mask)> fields, Func<InstanceTuningImage, int[]> split) =>
        fields.Average(f => InstanceScores.Match(f.Mask, split(f.Image)).F1);

    [Fact]
    public void Should_beat_the_untuned_split_by_a_wide_margin_on_noisy_touching_discs_it_was_not_tuned_on()
    {
        // Given noisy probabilities of touching discs: four fields to tune on, four others to score on
        var validation = Fields(300, 4);
        var test = Fields(400, 4);
        var referenceArea = InstancePostProcessingTuner.ReferenceArea(validation.Select(v => v.Mask));

        // When the post-processing is tuned on the first four
        var result = InstancePostProcessingTuner.Tune([.. validation.Select(v => v.Image)], referenceArea, minObjectFloor: 4, threads: 2);

        // Then on the other four it finds the discs far better than untuned thresholds or the arg-max split it replaces
        var tuned = MeanF1(test, f => result.Chosen.Apply(f.Probabilities, f.Width, f.Height));
        var untuned = MeanF1(test, f => result.Untuned.Apply(f.Probabilities, f.Width, f.Height));
        var legacy = MeanF1(test, f => SegmentationTargets.SplitInstances(f.Probabilities, f.Width, f.Height, minArea: 4));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"reference area {referenceArea} px; chosen {string.Join(", ", result.Chosen.Describe().Select(p => $"{p.Key} {p.Value}"))}; validation F1 {result.F1:F3} (untuned {result.UntunedF1:F3}); test F1 tuned {tuned:F3}, untuned {untuned:F3}, arg-max split {legacy:F3}"));
        Assert.True(tuned >= 0.7, $"Tuned instance F1 {tuned:F3} on fields it was not tuned on.");
        Assert.True(tuned >= untuned + 0.3, $"Tuned F1 {tuned:F3} against untuned {untuned:F3}.");
        Assert.True(tuned >= legacy + 0.3, $"Tuned F1 {tuned:F3} against the arg-max split's {legacy:F3}.");
        Assert.True(result.F1 > result.UntunedF1, "The choice should beat the untuned settings on the images it was tuned on.");
        Assert.Equal(new InstanceTuningGrid().Count, result.Candidates);
    }

    [Fact]
    public void Should_use_seeds_of_the_minimum_area_and_drop_objects_below_the_minimum()
    {
        // Given two touching discs whose interior holds a one-pixel speck of its own, and a small blob far from them
        const int width = 48, height = 24;
        var n = width * height;
        var probabilities = TouchingDiscs.TwoDiscProbabilities(width, height);
        for (var y = 3; y <= 5; y++)
        {
            for (var x = 42; x <= 44; x++)
            {
                probabilities[(y * width) + x] = 0;
                probabilities[n + (y * width) + x] = 1;
            }
        }
        // A ring of boundary around (12, 12) cuts a one-pixel speck off the left disc's interior.
        foreach (var (dx, dy) in new[] { (-1, -1), (0, -1), (1, -1), (-1, 0), (1, 0), (-1, 1), (0, 1), (1, 1) })
        {
            var i = ((12 + dy) * width) + 12 + dx;
            probabilities[n + i] = 0;
            probabilities[(2 * n) + i] = 1;
        }

        // When split with and without minimum areas
        var loose = new InstancePostProcessing().Apply(probabilities, width, height);
        var strict = new InstancePostProcessing { MinSeedArea = 2, MinObjectArea = 10 }.Apply(probabilities, width, height);

        // Then the speck and the blob are objects of their own only without the minimums
        Assert.Equal(4, loose.Max());
        Assert.Equal(2, strict.Max());
        Assert.Equal(strict[(12 * width) + 8], strict[(12 * width) + 12]);
        Assert.NotEqual(strict[(12 * width) + 8], strict[(12 * width) + 28]);
        Assert.Equal(0, strict[(4 * width) + 43]);
        Assert.All(Enumerable.Range(0, n).Where(i => probabilities[i] == 0 && strict[i] == 0), i => Assert.Equal(1f, probabilities[n + i]));
    }

    [Fact]
    public void Should_split_two_semantic_cells_that_a_faint_gap_in_their_membrane_joins()
    {
        // Given two-class probabilities (background = membrane, foreground = cell) of two 10 x 10 cells, sure of
        // themselves, between them a membrane with a 3-px gap where p(cell) is 0.6: arg-max makes them one region
        const int width = 26, height = 12;
        var n = width * height;
        var semantic = new float[2 * n];
        for (var i = 0; i < n; i++)
        {
            int x = i % width, y = i / width;
            var cell = y is >= 1 and <= 10 && ((x is >= 1 and <= 11) || (x is >= 14 and <= 24));
            var gap = y is >= 5 and <= 7 && x is 12 or 13;
            var p = cell ? 0.95f : gap ? 0.6f : 0.02f;
            semantic[n + i] = p;
            semantic[i] = 1 - p;
        }

        // When split as one region per connected foreground, and with seeds where p(cell) ≥ 0.8
        var maps = InstancePostProcessing.FromSemantic(semantic, width, height);
        var plain = new InstancePostProcessing().Apply(maps, width, height);
        var seeded = new InstancePostProcessing { SeedThreshold = 0.8 }.Apply(maps, width, height);

        // Then the maps are background, interior and background again as the boundary; the plain split merges the
        // cells, the seeded one keeps them apart and still gives the gap's pixels to one of them
        Assert.Equal(semantic, maps[..(2 * n)]);
        Assert.Equal(semantic[..n], maps[(2 * n)..]);
        Assert.Equal(1, plain.Max());
        Assert.Equal(2, seeded.Max());
        Assert.NotEqual(seeded[(5 * width) + 5], seeded[(5 * width) + 20]);
        Assert.True(seeded[(6 * width) + 12] > 0 && seeded[(6 * width) + 13] > 0);
        Assert.Throws<ArgumentException>(() => InstancePostProcessing.FromSemantic(new float[3 * n], width, height));
    }

    [Fact]
    public void Should_refuse_thresholds_outside_the_unit_interval_naming_them()
    {
        var error = Assert.Throws<InvalidOperationException>(() => new InstancePostProcessing { SeedThreshold = 1.5 }.Apply(new float[3 * 4], 2, 2));

        Assert.Contains("seed threshold must lie in (0, 1), got 1.5", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_refuse_a_seed_label_outside_the_seed_table_in_the_native_flood_naming_it()
    {
        // 2 x 2, all foreground; the seed table holds the background and seed 1, but a pixel claims seed 5.
        var fields = InstanceFields.From(new float[3 * 4], 2, 2);
        var seeds = new SeedRegions([1, 1, 0, 5], [1, 2]);

        var error = Assert.Throws<AutoClassify.Native.NativeException>(() => fields.Flood(fields.Ground([1, 1, 1, 1]), seeds, 0, out _));

        Assert.Contains("seed label 5 is outside 0..1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_refuse_a_foreground_pixel_outside_the_grounds_regions_in_the_native_flood_naming_it()
    {
        // 2 x 2, all foreground, one region; a ground forged to put pixel 3 in region 7
        var fields = InstanceFields.From(new float[3 * 4], 2, 2);
        var ground = fields.Ground([1, 1, 1, 1]);
        var forged = ground with { Regions = [1, 1, 1, 7] };

        var error = Assert.Throws<AutoClassify.Native.NativeException>(() => fields.Flood(forged, new SeedRegions([0, 0, 0, 0], [4]), 0, out _));

        Assert.Equal(2, ground.RegionCount);
        Assert.Contains("foreground pixel 3 has region 7, outside 1..1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_flood_one_shared_ground_as_each_setting_floods_its_own()
    {
        // Given noisy touching discs and one foreground, with its ground made once
        var (image, mask) = Fields(700, 1)[0];
        var fields = InstanceFields.From(image.Probabilities, image.Width, image.Height);
        var foreground = fields.Foreground(0.5);
        var ground = fields.Ground(foreground);

        // When floods with other seeds and seed areas run on it one after another, as the tuner runs them
        foreach (var (sigma, threshold, minSeed) in new[] { (0.0, 0.5, 0), (1.0, 0.7, 12), (2.0, 0.9, 40), (0.0, 0.6, 3), (0.0, 0.5, 0) })
        {
            var shared = fields.Flood(ground, fields.Seeds(foreground, fields.Interior(sigma), threshold), minSeed, out var areas);

            // Then each gives the objects of the same setting applied on its own, which makes a fresh ground
            var own = new InstancePostProcessing { ForegroundThreshold = 0.5, SeedThreshold = threshold, SeedSigma = sigma, MinSeedArea = minSeed }
                .Apply(image.Probabilities, image.Width, image.Height);
            Assert.Equal(own, InstanceFields.DropSmall(shared, areas, 0));
            Assert.True(shared.Max() >= 4, $"Only {shared.Max()} objects at seed threshold {threshold}; the field holds {mask.Max()}.");
        }
    }

    [Fact]
    public void Should_take_the_median_over_images_of_each_images_median_object_area()
    {
        // Given one image of three objects (2, 3, 50 px), one of a single 8-px object, one empty
        var first = new int[100];
        Array.Fill(first, 1, 0, 2);
        Array.Fill(first, 2, 10, 3);
        Array.Fill(first, 3, 40, 50);
        var second = new int[100];
        Array.Fill(second, 7, 20, 8);

        // When
        var area = InstancePostProcessingTuner.ReferenceArea([first, second, new int[100]]);

        // Then the image medians are 3 and 8, and the empty image does not count
        Assert.Equal(5.5, area);
    }

    [Theory]
    [InlineData(5)] // 26 × 21 cells: the overlap table is an array
    [InlineData(34)] // 1,157 × 926 cells: above 2^20, a dictionary
    public void Should_score_a_grid_of_squares_as_the_evaluation_does_whether_the_overlaps_fit_an_array_or_not(int side)
    {
        // Given a side × side grid of 4-px squares, predicted one pixel to the right (IoU 0.6), except every
        // fifth, which is missing, and every seventh, three pixels to the right (IoU 0.14 with its square and with the next)
        const int pitch = 6;
        var width = (side * pitch) + 4;
        var truth = new int[width * width];
        var predicted = new int[width * width];
        int matched = 0, predictedCount = 0;
        for (var k = 0; k < side * side; k++)
        {
            var (left, top) = ((k % side) * pitch, k / side * pitch);
            var shift = k % 7 == 6 ? 3 : 1;
            var present = k % 5 != 4;
            if (present)
            {
                predictedCount++;
                matched += shift == 1 ? 1 : 0;
            }
            for (var y = top; y < top + 4; y++)
            {
                for (var x = left; x < left + 4; x++)
                {
                    truth[(y * width) + x] = k + 1;
                    if (present)
                        predicted[(y * width) + x + shift] = predictedCount;
                }
            }
        }

        // When the tuner's F1 scores it
        var f1 = InstancePostProcessingTuner.InstanceF1(truth, predicted);

        // Then it counts the matches the grid was built with, as the evaluation's matching does
        Assert.Equal(2.0 * matched / ((side * side) + predictedCount), f1, 12);
        Assert.Equal(InstanceScores.Match(truth, predicted).F1, f1, 12);
    }
}
