using System.Text.Json;
using AutoClassify.Evaluation.Segmentation;
using AutoClassify.Tests.Support;

namespace AutoClassify.Tests.Evaluation.Segmentation;

/// <summary>
/// The segmentation metrics against values computed independently (tests/fixtures/segmentation/reference.py: full
/// contingency matrices, SciPy's KS and Wasserstein, distance transforms, the Hungarian assignment) and by hand.
/// </summary>
public class SegmentationMetricsTests
{
    // The arrays of reference.py, row-major.
    static readonly int[] Truth =
    [
        1, 1, 1, 0, 2, 2,
        1, 1, 1, 0, 2, 2,
        1, 1, 1, 0, 2, 2,
        0, 0, 0, 0, 0, 0,
        3, 3, 0, 4, 4, 4,
        3, 3, 0, 4, 4, 4,
    ];

    static readonly int[] Predicted =
    [
        5, 5, 5, 5, 7, 7,
        5, 5, 5, 0, 7, 7,
        5, 5, 0, 0, 7, 0,
        0, 0, 0, 0, 0, 0,
        8, 8, 0, 8, 8, 9,
        8, 8, 0, 8, 8, 9,
    ];

    static readonly double[] SizesA = [3.0, 4.5, 5.0, 5.0, 7.25, 9.0, 12.0];
    static readonly double[] SizesB = [2.0, 4.0, 5.0, 6.5, 8.0];

    static readonly JsonElement Reference = JsonDocument.Parse(File.ReadAllText(
        Path.Combine(RepoPaths.Root, "tests", "fixtures", "segmentation", "reference.json"))).RootElement;

    static double Ref(params string[] path)
    {
        var e = Reference;
        foreach (var p in path)
            e = e.GetProperty(p);
        return e.GetDouble();
    }

    [Fact]
    public void Should_MatchTheReference_ForRandAndInformationScores()
    {
        // Given the reference segmentations (a merge of objects 3 and 4, a shrunk object 1, background holes)
        // When scored
        var s = RandInfo.Score(Truth, Predicted);

        // Then every score matches the contingency-matrix computation
        Assert.Equal(Ref("rand_info", "v_rand"), s.VRand, 12);
        Assert.Equal(Ref("rand_info", "v_rand_split"), s.VRandSplit, 12);
        Assert.Equal(Ref("rand_info", "v_rand_merge"), s.VRandMerge, 12);
        Assert.Equal(Ref("rand_info", "v_info"), s.VInfo, 12);
        Assert.Equal(Ref("rand_info", "v_info_split"), s.VInfoSplit, 12);
        Assert.Equal(Ref("rand_info", "v_info_merge"), s.VInfoMerge, 12);
    }

    [Fact]
    public void Should_ScoreRandByHand_OnATinyMerge()
    {
        // Given two true segments of 2 pixels each that the prediction merges, and a background pixel the truth ignores
        int[] truth = [1, 1, 2, 2, 0];
        int[] predicted = [7, 7, 7, 7, 7];

        // When scored
        var s = RandInfo.Score(truth, predicted);

        // Then, by hand: p = (1/2, 1/2) in one predicted row; Σp² = 1/2, Σs² = 1, Σt² = 1/2
        Assert.Equal(0.5 / ((0.5 * 1) + (0.5 * 0.5)), s.VRand, 12);
        Assert.Equal(1.0, s.VRandSplit, 12);
        Assert.Equal(0.5, s.VRandMerge, 12);
        // H(S) = 0, H(T) = ln 2, I = 0: nothing was split, everything merged
        Assert.Equal(1.0, s.VInfoSplit, 12);
        Assert.Equal(0.0, s.VInfoMerge, 12);
        Assert.Equal(0.0, s.VInfo, 12);
    }

    [Fact]
    public void Should_GivePerfectScores_ForAPerfectPrediction_WhateverTheIds()
    {
        // Given a prediction that renames every object
        var renamed = Truth.Select(v => v == 0 ? 0 : v + 40).ToArray();

        // When scored
        var s = RandInfo.Score(Truth, renamed);
        var m = InstanceScores.Match(Truth, renamed);

        // Then every score is 1
        Assert.Equal(1.0, s.VRand, 12);
        Assert.Equal(1.0, s.VInfo, 12);
        Assert.Equal(1.0, m.F1, 12);
        Assert.Equal(1.0, m.MeanMatchedIoU, 12);
    }

    [Fact]
    public void Should_MatchTheHungarianAssignment_ForInstances()
    {
        // When the reference objects are matched at IoU 0.5
        var m = InstanceScores.Match(Truth, Predicted);

        // Then counts, precision, recall, F1 and mean IoU match the optimal assignment
        Assert.Equal((int)Ref("instances", "true"), m.TrueCount);
        Assert.Equal((int)Ref("instances", "predicted"), m.PredictedCount);
        Assert.Equal((int)Ref("instances", "matched"), m.Matched);
        Assert.Equal(Ref("instances", "precision"), m.Precision, 12);
        Assert.Equal(Ref("instances", "recall"), m.Recall, 12);
        Assert.Equal(Ref("instances", "f1"), m.F1, 12);
        Assert.Equal(Ref("instances", "mean_iou"), m.MeanMatchedIoU, 12);
    }

    [Fact]
    public void Should_MatchScipy_ForKolmogorovSmirnovAndWasserstein()
    {
        // When two size samples are compared
        var c = SizeDistributions.Compare(SizesA, SizesB);

        // Then the KS statistic and the Wasserstein-1 distance are SciPy's, and the medians are 5 and 5
        Assert.Equal(Ref("ks"), c.KolmogorovSmirnov, 12);
        Assert.Equal(Ref("wasserstein"), c.Wasserstein, 12);
        Assert.Equal(0.0, c.MedianRelativeError, 12);
        Assert.Equal(0.0, SizeDistributions.KolmogorovSmirnov([1.0, 2.0], [1.0, 2.0]), 12);
        // A shift by 3 moves every unit of mass by 3
        Assert.Equal(3.0, SizeDistributions.Wasserstein([1.0, 2.0, 4.0], [4.0, 5.0, 7.0]), 12);
    }

    [Theory]
    [InlineData(0.0, "boundary_tolerance_0")]
    [InlineData(1.0, "boundary_tolerance_1")]
    [InlineData(2.0, "boundary_tolerance_2")]
    public void Should_MatchDistanceTransforms_ForBoundaryF1(double tolerance, string key)
    {
        // When the reference maps' boundaries are compared at a tolerance
        var (precision, recall, f1) = BoundaryScore.Score(Truth, Predicted, 6, 6, tolerance);

        // Then precision, recall and F1 are those of the Euclidean distance transform
        Assert.Equal(Ref(key, "precision"), precision, 12);
        Assert.Equal(Ref(key, "recall"), recall, 12);
        Assert.Equal(Ref(key, "f1"), f1, 12);
    }

    [Fact]
    public void Should_ScorePixelsAndClasses()
    {
        // Given the foreground of the reference maps
        var t = Truth.Select(v => v != 0 ? 1 : 0).ToArray();
        var p = Predicted.Select(v => v != 0 ? 1 : 0).ToArray();

        // When scored per pixel and per class
        var accuracy = PixelScores.Accuracy(t, p);
        var (dice, iou) = PixelScores.PerClass(t, p, 3);

        // Then accuracy, Dice and IoU match, and the absent class 2 is undefined rather than 0 or 1
        Assert.Equal(Ref("pixel", "accuracy"), accuracy, 12);
        Assert.Equal(Ref("pixel", "dice"), dice[1], 12);
        Assert.Equal(Ref("pixel", "iou"), iou[1], 12);
        Assert.True(double.IsNaN(dice[2]));
    }

    [Fact]
    public void Should_LeaveBorderParticlesOutOfTheSizes()
    {
        // Given an object on the border (id 1) and one inside of 12 pixels (id 2)
        var ids = new int[8 * 8];
        ids[0] = 1;
        for (var y = 2; y < 5; y++)
        {
            for (var x = 2; x < 6; x++)
                ids[(y * 8) + x] = 2;
        }

        // When diameters are measured at 2 nm per pixel
        var d = SizeDistributions.EquivalentDiameters(ids, 8, 8, 2);

        // Then only the inner object counts, at √(4·12/π)·2 nm
        Assert.Equal([Math.Sqrt(4 * 12 / Math.PI) * 2], d);
    }
}
