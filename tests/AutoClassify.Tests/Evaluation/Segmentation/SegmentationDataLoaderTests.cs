using AutoClassify.Dataset;
using AutoClassify.Imaging;
using AutoClassify.Models.Segmenters;
using AutoClassify.Preprocessing;
using AutoClassify.Tests.Preprocessing;
using AutoClassify.Tests.Support;

namespace AutoClassify.Tests.Evaluation.Segmentation;

public class SegmentationDataLoaderTests
{
    [Fact]
    public void Should_DetectInstanceMasks_AndKeep16BitIdsExactly()
    {
        // Given images/ + masks/ with 16-bit instance masks, one holding the id 300, named 0..10
        using var temp = new TempDirectory("segdata-inst");
        SegmentationScenes.WriteInstanceSet(temp.Path, 11, 64, seed: 3);
        var (image, ids) = SegmentationScenes.Render(64, 64, seed: 99);
        var big = ids.Select(v => v == 0 ? 0 : v + 299).ToArray();
        PngWriter.Write(temp.Combine("images", "5.png"), image);
        SegmentationScenes.SaveIds(big, 64, 64, temp.Combine("masks", "5.png"));

        // When loaded
        var set = SegmentationDataLoader.Load(temp.Path);

        // Then the kind is instances, the ids survive, and the images come in natural order
        Assert.Equal(MaskKind.Instances, set.Data.Kind);
        Assert.True(set.KindDecision.Detected);
        Assert.Equal(big, set.Data.Samples[5].Mask);
        Assert.Equal(["0.png", "1.png", "2.png", "3.png", "4.png", "5.png", "6.png", "7.png", "8.png", "9.png", "10.png"], set.Data.Samples.Select(s => s.Path));
    }

    [Fact]
    public void Should_DetectBinaryAndClassMaps_BesideTheImages()
    {
        // Given binary masks beside their images, and a second folder of 3-class maps
        using var temp = new TempDirectory("segdata-kinds");
        var binary = temp.Combine("binary");
        var classes = temp.Combine("classes");
        Directory.CreateDirectory(binary);
        Directory.CreateDirectory(classes);
        for (var i = 0; i < 3; i++)
        {
            var (image, ids) = SegmentationScenes.Render(48, 48, seed: 10 + i, pairs: 2);
            PngWriter.Write(Path.Combine(binary, $"a{i}.png"), image);
            SegmentationScenes.SaveBinary(ids, 48, 48, Path.Combine(binary, $"a{i}.mask.png"));
            PngWriter.Write(Path.Combine(classes, $"c{i}.png"), image);
            // Class 1 left halves, class 2 right halves of every object: each class forms several regions.
            var map = ids.Select((v, p) => v == 0 ? 0f : (p % 48 < 24 ? 1f : 2f) / 255f).ToArray();
            File.WriteAllBytes(Path.Combine(classes, $"c{i}.mask.png"), ImageCodec.Encode(new GrayImage(48, 48, map), ImageFileFormat.Png));
        }

        // When each is loaded
        var b = SegmentationDataLoader.Load(binary);
        var c = SegmentationDataLoader.Load(classes);

        // Then one is binary with 0/1 masks, the other a class map of three classes
        Assert.Equal(MaskKind.Binary, b.Data.Kind);
        Assert.All(b.Data.Samples, s => Assert.True(s.Mask.All(v => v is 0 or 1)));
        Assert.Equal(MaskKind.ClassMap, c.Data.Kind);
        Assert.Equal(3, c.Data.ClassNames.Count);
    }

    [Fact]
    public void Should_ListEveryProblemAtOnce()
    {
        // Given a --masks folder with: a good pair, an image without mask, a mask of the wrong size, an empty mask,
        // an image that does not decode, and a class map holding an unexpected 7
        using var temp = new TempDirectory("segdata-bad");
        var images = temp.Combine("img");
        var masks = temp.Combine("lbl");
        Directory.CreateDirectory(images);
        Directory.CreateDirectory(masks);
        var (image, ids) = SegmentationScenes.Render(40, 40, seed: 1, pairs: 1);
        var classMap = ids.Select(v => v == 0 ? 0 : 1).ToArray();
        void Map(string name, int[] values, int w, int h) =>
            File.WriteAllBytes(Path.Combine(masks, name), ImageCodec.Encode(new GrayImage(w, h, [.. values.Select(v => v / 255f)]), ImageFileFormat.Png));
        foreach (var name in new[] { "good", "nomask", "small", "empty", "seven", "other" })
            PngWriter.Write(Path.Combine(images, name + ".png"), image);
        File.WriteAllBytes(Path.Combine(images, "broken.png"), [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, 1, 2]);
        Map("good.png", classMap, 40, 40);
        Map("other_mask.png", [.. classMap.Select(v => v * 2)], 40, 40);
        Map("broken.png", classMap, 40, 40);
        Map("small.png", new int[30 * 30], 30, 30);
        Map("empty.png", new int[40 * 40], 40, 40);
        Map("seven.png", [.. classMap.Select((v, i) => i == 0 ? 7 : v)], 40, 40);

        // When loaded as a class map
        var e = Assert.Throws<DatasetValidationException>(() => SegmentationDataLoader.Load(images,
            new SegmentationDataOptions { MasksDirectory = masks, Kind = MaskKind.ClassMap }));

        // Then one exception names every problem with its file
        var errors = e.Problems.Where(p => p.Severity == ProblemSeverity.Error).Select(p => p.ToString()).ToList();
        Assert.Contains(errors, p => p.Contains("nomask.png: has no mask", StringComparison.Ordinal));
        Assert.Contains(errors, p => p.Contains("small.png", StringComparison.Ordinal) && p.Contains("30x30 but the image is 40x40", StringComparison.Ordinal));
        Assert.Contains(errors, p => p.Contains("empty.png", StringComparison.Ordinal) && p.Contains("empty", StringComparison.Ordinal));
        Assert.Contains(errors, p => p.Contains("broken.png: image does not decode", StringComparison.Ordinal));
        Assert.Contains(errors, p => p.Contains("seven.png", StringComparison.Ordinal) && p.Contains("holds 7", StringComparison.Ordinal));
        Assert.DoesNotContain(errors, p => p.Contains("good.png", StringComparison.Ordinal));
    }

    [Fact]
    public void Should_CropTheMaskWithTheImage_WhenABannerIsFound()
    {
        // Given an SEM field with a 24-row banner at the bottom and a mask whose banner rows are all foreground
        using var temp = new TempDirectory("segdata-banner");
        var image = BannerImages.WithBanner(200, 150, 24, BannerEdge.Bottom, bright: false, seed: 8, scaleBar: 60);
        PngWriter.Write(temp.File("field.png"), image);
        var mask = new int[200 * 150];
        for (var i = 0; i < mask.Length; i++)
            mask[i] = i >= (150 - 24) * 200 || (i % 200 is > 40 and < 60 && i / 200 is > 30 and < 50) ? 1 : 0;
        SegmentationScenes.SaveBinary(mask, 200, 150, temp.File("field.mask.png"));

        // When loaded with the default (crop) and with keep
        var cropped = SegmentationDataLoader.Load(temp.Path);
        var kept = SegmentationDataLoader.Load(temp.Path, new SegmentationDataOptions { Banner = BannerMode.Keep });

        // Then the crop removes the banner rows from image and mask alike: only the 19 × 19 square is left of the mask
        var s = cropped.Data.Samples[0];
        Assert.Equal(1, cropped.BannersFound);
        Assert.Equal(s.Width * s.Height, s.Mask.Length);
        Assert.True(s.Height <= 150 - 24, $"height {s.Height}");
        Assert.Equal(19 * 19, s.Mask.Count(v => v != 0));
        Assert.Equal(150, kept.Data.Samples[0].Height);
    }
}
