using AutoClassify.Evaluation;

namespace AutoClassify.Tests.Evaluation;

public class ClassificationMetricsTests
{
    const double Tolerance = 1e-9;

    // Confusion matrix (rows true A, B, C; columns predicted A, B, C):
    //   A: 5 2 1   B: 1 6 1   C: 0 2 4      22 items, 15 on the diagonal.
    static (int[] Truth, int[] Predicted) HandExample()
    {
        var truth = new List<int>();
        var predicted = new List<int>();
        int[,] counts = { { 5, 2, 1 }, { 1, 6, 1 }, { 0, 2, 4 } };
        for (var t = 0; t < 3; t++)
        {
            for (var p = 0; p < 3; p++)
            {
                for (var n = 0; n < counts[t, p]; n++)
                {
                    truth.Add(t);
                    predicted.Add(p);
                }
            }
        }
        return (truth.ToArray(), predicted.ToArray());
    }

    [Fact]
    public void Should_match_hand_computed_per_class_figures_of_a_three_class_matrix()
    {
        // Given the hand example
        var (truth, predicted) = HandExample();

        // When
        var m = ClassificationMetrics.Compute(truth, predicted, null, 3);

        // Then (by hand: A has TP 5, FN 3, FP 1, TN 13; B has TP 6, FN 2, FP 4, TN 10; C has TP 4, FN 2, FP 2, TN 14)
        Assert.Equal(22, m.Count);
        Assert.Equal(0.625, m.PerClass[0].Tpr, Tolerance);
        Assert.Equal(0.9285714286, m.PerClass[0].Tnr, Tolerance);
        Assert.Equal(0.8333333333, m.PerClass[0].Ppv, Tolerance);
        Assert.Equal(0.8125, m.PerClass[0].Npv, Tolerance);
        Assert.Equal(0.7142857143, m.PerClass[0].F1, Tolerance);
        Assert.Equal(8, m.PerClass[0].Support);

        Assert.Equal(0.75, m.PerClass[1].Tpr, Tolerance);
        Assert.Equal(0.7142857143, m.PerClass[1].Tnr, Tolerance);
        Assert.Equal(0.6, m.PerClass[1].Ppv, Tolerance);
        Assert.Equal(0.8333333333, m.PerClass[1].Npv, Tolerance);
        Assert.Equal(0.6666666667, m.PerClass[1].F1, Tolerance);
        Assert.Equal(8, m.PerClass[1].Support);

        Assert.Equal(0.6666666667, m.PerClass[2].Tpr, Tolerance);
        Assert.Equal(0.875, m.PerClass[2].Tnr, Tolerance);
        Assert.Equal(0.6666666667, m.PerClass[2].Ppv, Tolerance);
        Assert.Equal(0.875, m.PerClass[2].Npv, Tolerance);
        Assert.Equal(0.6666666667, m.PerClass[2].F1, Tolerance);
        Assert.Equal(6, m.PerClass[2].Support);

        Assert.All(m.PerClass, c => Assert.Empty(c.Undefined));
        Assert.Equal([[5L, 2, 1], [1L, 6, 1], [0L, 2, 4]], m.Confusion);
    }

    [Fact]
    public void Should_match_hand_computed_accuracy_macro_f1_and_balanced_accuracy()
    {
        var (truth, predicted) = HandExample();

        var m = ClassificationMetrics.Compute(truth, predicted, null, 3);

        Assert.Equal(0.6818181818, m.Accuracy, Tolerance);          // 15 / 22
        Assert.Equal(0.6825396825, m.MacroF1, Tolerance);           // (10/14 + 2/3 + 2/3) / 3
        Assert.Equal(0.6805555556, m.BalancedAccuracy, Tolerance);  // (5/8 + 6/8 + 4/6) / 3
        Assert.True(double.IsNaN(m.LogLoss));
    }

    [Fact]
    public void Should_compute_log_loss_with_clipping_of_zero_probabilities()
    {
        // Given four rows; the last gives the true class probability 0, clipped to 1e-15
        int[] truth = [0, 1, 2, 0];
        double[][] probabilities =
        [
            [0.7, 0.2, 0.1],
            [0.1, 0.8, 0.1],
            [0.2, 0.3, 0.5],
            [0.0, 1.0, 0.0],
        ];
        int[] predicted = [0, 1, 2, 1];

        // When
        var m = ClassificationMetrics.Compute(truth, predicted, probabilities, 3);

        // Then: (0.3566749439 + 0.2231435513 + 0.6931471806 + 34.5387763949) / 4
        Assert.Equal(8.9529355177, m.LogLoss, Tolerance);
        Assert.Equal(0.3566749439, ClassificationMetrics.ComputeLogLoss([0], [[0.7, 0.2, 0.1]], 3), Tolerance);
    }

    [Fact]
    public void Should_report_zero_and_flag_a_ratio_whose_denominator_is_zero()
    {
        // Given class 2 is present but never predicted
        int[] truth = [0, 1, 2, 2];
        int[] predicted = [0, 1, 0, 1];

        var m = ClassificationMetrics.Compute(truth, predicted, null, 3);

        Assert.Equal(0, m.PerClass[2].Ppv);
        Assert.Equal(0, m.PerClass[2].F1);
        Assert.Equal(["PPV"], m.PerClass[2].Undefined);
        Assert.Empty(m.PerClass[0].Undefined);
    }

    [Fact]
    public void Should_average_macro_figures_over_classes_present_in_the_truth()
    {
        // Given class 2 absent from the truth and never predicted: its TPR, PPV and F1 are undefined
        int[] truth = [0, 0, 1, 1];
        int[] predicted = [0, 1, 1, 1];

        var m = ClassificationMetrics.Compute(truth, predicted, null, 3);

        Assert.Equal((2.0 / 3 + 0.8) / 2, m.MacroF1, Tolerance);
        Assert.Equal((0.5 + 1.0) / 2, m.BalancedAccuracy, Tolerance);
        Assert.Equal(["TPR", "PPV", "F1"], m.PerClass[2].Undefined);
        Assert.Equal(1.0, m.PerClass[2].Tnr, Tolerance);
    }

    [Fact]
    public void Should_reject_labels_outside_the_class_range()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => ClassificationMetrics.Compute([0, 3], [0, 1], null, 3));
        Assert.Contains("Label 3", ex.Message, StringComparison.Ordinal);
    }
}
