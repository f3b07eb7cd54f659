using System.Globalization;
using AutoClassify.Evaluation;
using AutoClassify.Imaging;
using AutoClassify.Models;

namespace AutoClassify.Tests.Reporting;

/// <summary>Small hand-made benchmark results: 3 classes, 6 images each, 3 folds, an SVM and a CNN with curves.</summary>
internal static class ReportFixtures
{
    internal const string EvilClass = "<script>alert(1)</script>";
    internal const string EvilFile = "a&b \"c\".png";

    internal static readonly string[] PlainClasses = ["mitochondrion", "nucleus", "vesicle"];
    internal static readonly string[] EvilClasses = [EvilClass, "B&B", "vesicle"];

    const int Folds = 3;
    const int PerClass = 6;

    // Items the SVM and the CNN get wrong, and the class they predict instead (item i is in fold i % 3).
    static readonly Dictionary<int, int> SvmErrors = new() { [3] = 1, [7] = 2, [8] = 0, [14] = 1, [16] = 1 };
    static readonly Dictionary<int, int> CnnErrors = new() { [3] = 2, [10] = 0, [17] = 0 };

    internal static BenchmarkResult Create(string[]? classNames = null, bool withCnn = true, string skippedFile = "notes/readme.txt")
    {
        var classes = classNames ?? PlainClasses;
        var items = new List<ItemAssignment>();
        for (var c = 0; c < classes.Length; c++)
        {
            for (var i = 0; i < PerClass; i++)
            {
                items.Add(new ItemAssignment
                {
                    Path = string.Create(CultureInfo.InvariantCulture, $"{classes[c]}/img_{i:00}.tif"),
                    Label = c,
                    ClassName = classes[c],
                    Fold = i % Folds,
                });
            }
        }
        var labels = items.Select(i => i.Label).ToArray();
        var folds = items.Select(i => i.Fold).ToArray();

        var result = new BenchmarkResult
        {
            Dataset = new DatasetSummary
            {
                Root = "/data/em/cells",
                ClassNames = [.. classes],
                ClassCounts = [.. Enumerable.Repeat(PerClass, classes.Length)],
                ImageSizes = ImageSizeStats.From([(1024, 768), (1024, 768), (2048, 1536), (512, 512)]),
                Skipped =
                [
                    new SkippedFile { Path = skippedFile, Reason = "not an image (unknown extension)" },
                    new SkippedFile { Path = "vesicle/broken.tif", Reason = "cannot be decoded by OpenCV" },
                ],
                Warnings = ["Class 'vesicle' has only 6 images; results for it are uncertain."],
            },
            Settings = new RunSettings
            {
                Folds = Folds,
                Seed = 42,
                Crop = new CropMargins(0, 64, 0, 0),
                Models = withCnn ? ["svm", "lipnet4"] : ["svm"],
                Threads = 0,
                ToolVersion = "0.1.0-test",
                NativeVersions = new() { ["OpenCV"] = "4.6.0", ["libtorch"] = "1.13.1", ["LIBSVM"] = "3.24", [".NET"] = "10.0.0" },
                CommandLine = "autoclassify run /data/em/cells --folds 3 --seed 42 --crop 0,64,0,0",
                StartedUtc = new DateTimeOffset(2025, 3, 14, 9, 26, 53, TimeSpan.Zero),
                WallTime = TimeSpan.FromSeconds(754.5),
                Extra = new() { ["CNN input"] = "128 x 128 px" },
            },
            Items = items,
        };

        result.Models.Add(BuildModel("svm", labels, folds, classes.Length, SvmErrors, fold =>
        {
            var s = new TrainingSummary { TrainingTime = TimeSpan.FromSeconds(3.25 + fold) };
            s.Facts["kernel"] = "rbf";
            s.Facts["C"] = (fold == 1 ? 8 : 4).ToString(CultureInfo.InvariantCulture);
            s.Facts["gamma"] = (fold == 2 ? 0.125 : 0.0625).ToString(CultureInfo.InvariantCulture);
            return s;
        }));

        if (withCnn)
        {
            result.Models.Add(BuildModel("lipnet4", labels, folds, classes.Length, CnnErrors, fold =>
            {
                var s = new TrainingSummary { TrainingTime = TimeSpan.FromSeconds(95 + 10 * fold) };
                s.Facts["epochs"] = "12";
                s.Facts["best_epoch"] = (9 + fold).ToString(CultureInfo.InvariantCulture);
                s.Facts["learning_rate"] = "0.001";
                var epochs = Enumerable.Range(1, 12).ToArray();
                s.Curves["train_loss"] = epochs.Select(e => 1.1 * Math.Exp(-0.25 * e) + 0.05).ToArray();
                s.Curves["val_loss"] = epochs.Select(e => 1.1 * Math.Exp(-0.2 * e) + 0.15 + 0.01 * fold + 0.004 * e).ToArray();
                s.Curves["train_acc"] = epochs.Select(e => 1 - 0.65 * Math.Exp(-0.3 * e)).ToArray();
                s.Curves["val_acc"] = epochs.Select(e => 0.95 - 0.6 * Math.Exp(-0.25 * e) - 0.02 * fold).ToArray();
                return s;
            }));
        }
        return result;
    }

    static ModelResult BuildModel(string name, int[] labels, int[] folds, int classCount, Dictionary<int, int> errors, Func<int, TrainingSummary> summary)
    {
        var builder = new ModelResultBuilder(name, labels, classCount);
        for (var f = 0; f < Folds; f++)
        {
            var test = Enumerable.Range(0, labels.Length).Where(i => folds[i] == f).ToArray();
            var probabilities = test.Select(i => Row(errors.TryGetValue(i, out var wrong) ? wrong : labels[i], classCount, confident: i % 2 == 0)).ToArray();
            builder.AddFold(f, test, probabilities, summary(f));
        }
        return builder.Build();
    }

    static double[] Row(int predicted, int classCount, bool confident)
    {
        var top = confident ? 0.8 : 0.6;
        var row = Enumerable.Repeat((1 - top) / (classCount - 1), classCount).ToArray();
        row[predicted] = top;
        return row;
    }
}
