using System.Globalization;
using AutoClassify.Dataset;
using AutoClassify.Evaluation.Segmentation;
using AutoClassify.Imaging;
using AutoClassify.Models;
using AutoClassify.Models.Segmenters;
using Xunit.Abstractions;

namespace AutoClassify.Tests.Models.Segmenters;

/// <summary>
/// A small pixel forest fitted once on noisy touching discs, with a quarter of its fields held out to tune the instance
/// split. Its only feature scale is 1 px, so its votes are as speckled as a forest's whose scales are too fine for the data.
/// </summary>
public sealed class TunedForestFixture : IDisposable
{
    public const int Seed = 11;
    public const int Size = 96;

    /// <summary>Standard deviation of the noise added to the fields, on top of their own.</summary>
    const double Noise = 0.2;

    public TunedForestFixture()
    {
        var clean = TouchingDiscs.Data(count: 8, width: Size, height: Size, pairs: 4, seed: 800);
        Data = new SegmentationData
        {
            Samples = [.. clean.Samples.Select(s => s with { Image = Noisy(s.Image, seed: s.Group) })],
            Kind = clean.Kind,
            ClassNames = clean.ClassNames,
        };
        Segmenter = (PixelForestSegmenter)new PixelForestTrainer(Small(validation: 0.25)).Train(Data, new TrainingContext { Seed = Seed, Threads = 2 }, Summary);
    }

    /// <summary>Eight shallow trees on the 1-px scale alone: fitted in a second.</summary>
    public static PixelForestOptions Small(double validation, bool splitSemantic = true) => new()
    {
        Scales = [1],
        Forest = new RandomForestOptions { Trees = 8, MaxDepth = 12 },
        SamplesPerClassPerImage = 400,
        ValidationFraction = validation,
        SplitSemanticObjects = splitSemantic,
    };

    /// <summary>A touching-disc field of the fixture's kind that the forest never saw, and its instance mask.</summary>
    public static (GrayImage Image, int[] Mask) Unseen(int seed)
    {
        var (image, mask) = TouchingDiscs.Generate(Size, Size, pairs: 4, seed);
        return (Noisy(image, seed), mask);
    }

    static GrayImage Noisy(GrayImage image, int seed)
    {
        var random = new Random(seed + 7000);
        var pixels = image.Pixels.Select(p => (float)Math.Clamp(p + (Noise * Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble())), 0, 1)).ToArray();
        return new GrayImage(image.Width, image.Height, pixels);
    }

    public SegmentationData Data { get; }

    public SegmenterTrainingSummary Summary { get; } = new();

    public PixelForestSegmenter Segmenter { get; }

    public void Dispose() => Segmenter.Dispose();
}

public class PixelForestTuningTests(TunedForestFixture trained, ITestOutputHelper output) : IClassFixture<TunedForestFixture>
{
    const int Size = TunedForestFixture.Size;

    [Fact]
    public void Should_split_unseen_touching_discs_better_with_the_split_tuned_on_held_out_fields_than_untuned()
    {
        // Given four fields the forest never saw
        var test = Enumerable.Range(900, 4).Select(TunedForestFixture.Unseen).ToArray();
        var untunedSettings = new InstancePostProcessing { MinObjectArea = trained.Segmenter.Info.MinArea };

        // When they are split by the tuned settings (as Predict does), by untuned thresholds and by the arg-max split it replaces
        double tuned = 0, untuned = 0, legacy = 0;
        foreach (var (image, mask) in test)
        {
            var prediction = trained.Segmenter.Predict(image);
            var probabilities = prediction.Probabilities!;
            tuned += InstanceScores.Match(mask, prediction.Instances!).F1 / test.Length;
            untuned += InstanceScores.Match(mask, untunedSettings.Apply(probabilities, Size, Size)).F1 / test.Length;
            var argMax = ArgMax(probabilities, Size * Size);
            var split = InteriorBoundaryScheme.ToInstances(argMax, probabilities.AsSpan(InteriorBoundaryScheme.Boundary * Size * Size, Size * Size), Size, Size, minArea: trained.Segmenter.Info.MinArea);
            legacy += InstanceScores.Match(mask, split).F1 / test.Length;
        }

        // Then the tuned split finds the discs far better than either (the forest's speckled votes break untuned seeds apart)
        var facts = trained.Summary.Facts;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"validation F1 {facts["post_validation_f1"]} (untuned {facts["post_untuned_validation_f1"]}); test F1 tuned {tuned:F3}, untuned {untuned:F3}, arg-max split {legacy:F3}; {trained.Segmenter.Info.PostProcessing!.Summary()}"));
        Assert.True(tuned >= 0.75, $"Tuned instance F1 {tuned:F3} on fields the forest never saw.");
        Assert.True(tuned >= untuned + 0.3, $"Tuned F1 {tuned:F3} against untuned {untuned:F3}.");
        Assert.True(tuned >= legacy + 0.3, $"Tuned F1 {tuned:F3} against the arg-max split's {legacy:F3}.");
    }

    [Fact]
    public void Should_tune_on_the_held_out_fields_with_a_forest_fitted_on_the_others_only()
    {
        // Given the trainer's seeded split of the eight fields, and a forest fitted on the fitting fields alone
        var (fit, validation) = UNetTrainer.SplitByGroup(trained.Data, 0.25, Seeds.Derive(TunedForestFixture.Seed, "pixel-forest-validation"));
        var aloneSummary = new SegmenterTrainingSummary();
        using var alone = (PixelForestSegmenter)new PixelForestTrainer(TunedForestFixture.Small(validation: 0))
            .Train(trained.Data.Subset(fit), new TrainingContext { Seed = TunedForestFixture.Seed, Threads = 2 }, aloneSummary);
        var heldOut = validation.Select(i => trained.Data.Samples[i]).ToArray();

        // When the grid search is repeated by hand on the held-out fields
        var images = heldOut.Select(s => new InstanceTuningImage(trained.Segmenter.Predict(s.Image).Probabilities!, Size, Size, s.Mask)).ToArray();
        var referenceArea = InstancePostProcessingTuner.ReferenceArea(trained.Data.Samples.Select(s => s.Mask));
        var byHand = InstancePostProcessingTuner.Tune(images, referenceArea, trained.Segmenter.Info.MinArea, threads: 2);

        // Then the forest is the one fitted without them, and the trainer chose what the search chooses there
        Assert.Equal((6, 2), (fit.Length, validation.Length));
        Assert.All(heldOut.Zip(images), pair => Assert.Equal(alone.Predict(pair.First.Image).Probabilities, pair.Second.Probabilities));
        Assert.Equal(byHand.Chosen, trained.Segmenter.Info.PostProcessing);
        Assert.NotEqual(byHand.Untuned, byHand.Chosen);
        var facts = trained.Summary.Facts;
        Assert.Equal(byHand.F1.ToString("F4", CultureInfo.InvariantCulture), facts["post_validation_f1"]);
        Assert.StartsWith("2 validation image(s)", facts["post_tuned_on"], StringComparison.Ordinal);
        Assert.Equal(("6", "2"), (facts["fit_images"], facts["validation_images"]));
        // And without held-out fields the untuned settings are kept, and said to be
        Assert.Equal(new InstancePostProcessing { MinObjectArea = alone.Info.MinArea }, alone.Info.PostProcessing);
        Assert.Equal("none (no validation images)", aloneSummary.Facts["post_tuned_on"]);
    }

    [Fact]
    public void Should_fit_semantic_data_on_every_image_without_a_split_when_asked()
    {
        // Given the discs as foreground against background
        var semantic = Binary(3);
        var summary = new SegmenterTrainingSummary();

        // When a forest is fitted on them with the semantic split off
        using var forest = (PixelForestSegmenter)new PixelForestTrainer(TunedForestFixture.Small(validation: 0.25, splitSemantic: false)).Train(semantic, new TrainingContext { Seed = 5, Threads = 2 }, summary);

        // Then no image was held out and nothing is split
        Assert.Null(forest.Info.PostProcessing);
        Assert.Equal("3", summary.Facts["fit_images"]);
        Assert.Equal("semantic", summary.Facts["scheme"]);
        Assert.DoesNotContain(summary.Facts.Keys, k => k.StartsWith("post_", StringComparison.Ordinal));
        Assert.Null(forest.Predict(semantic.Samples[0].Image).Instances);
    }

    [Fact]
    public void Should_split_two_class_data_with_settings_tuned_on_a_held_out_image_as_the_unet_does()
    {
        // Given the discs as foreground against background (a touching pair is one true region)
        var semantic = Binary(4);
        var summary = new SegmenterTrainingSummary();

        // When a forest is fitted on them with the split (the default)
        using var forest = (PixelForestSegmenter)new PixelForestTrainer(TunedForestFixture.Small(validation: 0.25)).Train(semantic, new TrainingContext { Seed = 5, Threads = 2 }, summary);

        // Then one image was held out and the split is what the tuner picks on it alone, against its 4-connected regions
        Assert.Equal("3", summary.Facts["fit_images"]);
        Assert.Equal("1", summary.Facts["validation_images"]);
        Assert.Equal("semantic + tuned watershed split", summary.Facts["scheme"]);
        var (_, validation) = UNetTrainer.SplitByGroup(semantic, 0.25, Seeds.Derive(5, "pixel-forest-validation"));
        var held = semantic.Samples[Assert.Single(validation)];
        int[] Regions(SegmentationSample s) => AutoClassify.Preprocessing.LabelRegions.Components(s.Mask, s.Width, s.Height, eightConnected: false, out _);
        var maps = InstancePostProcessing.FromSemantic(forest.Predict(held.Image).Probabilities!, held.Width, held.Height);
        var byHand = InstancePostProcessingTuner.Tune([new InstanceTuningImage(maps, held.Width, held.Height, Regions(held))],
            InstancePostProcessingTuner.ReferenceArea(semantic.Samples.Select(Regions)), new PixelForestOptions().MinArea, threads: 2);
        Assert.Equal(byHand.Chosen, forest.Info.PostProcessing);

        // And a prediction's objects come from those settings while its labels stay the arg-max classes
        var (image, mask) = TunedForestFixture.Unseen(seed: 7);
        var prediction = forest.Predict(image);
        var plane = image.Width * image.Height;
        Assert.Equal(ArgMax(prediction.Probabilities!, plane), prediction.Labels);
        Assert.Equal(forest.Info.PostProcessing!.Apply(InstancePostProcessing.FromSemantic(prediction.Probabilities!, image.Width, image.Height), image.Width, image.Height), prediction.Instances);
        output.WriteLine($"chosen {forest.Info.PostProcessing.Summary()}, held-out F1 {byHand.F1:F3} (plain regions {byHand.UntunedF1:F3}); unseen field: {prediction.Instances!.Max()} objects, {mask.Max()} true discs");
    }

    SegmentationData Binary(int count) => new()
    {
        Samples = [.. trained.Data.Samples.Take(count).Select(s => s with { Mask = [.. s.Mask.Select(id => id != 0 ? 1 : 0)] })],
        Kind = MaskKind.Binary,
        ClassNames = ["background", "particle"],
    };

    static int[] ArgMax(float[] probabilities, int plane)
    {
        var classes = probabilities.Length / plane;
        var labels = new int[plane];
        for (var i = 0; i < plane; i++)
        {
            for (var c = 1; c < classes; c++)
            {
                if (probabilities[(c * plane) + i] > probabilities[(labels[i] * plane) + i])
                    labels[i] = c;
            }
        }
        return labels;
    }
}
