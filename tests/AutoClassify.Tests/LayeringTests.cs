using System.Text.RegularExpressions;
using AutoClassify.Tests.Support;

namespace AutoClassify.Tests;

/// <summary>
/// The core's folders are the pipeline's stages, in order; a namespace may use its own stage and earlier ones only.
/// The crossings that remain are listed by name so that no new one can slip in unnoticed.
/// </summary>
public partial class LayeringTests
{
    // Each stage's rank; IO is the foundation, and Tensors with Native is the libtorch, OpenCV and LIBSVM binding.
    static readonly Dictionary<string, int> Rank = new()
    {
        ["IO"] = 0,
        ["Tensors"] = 1,
        ["Native"] = 1,
        ["Dataset"] = 2,
        ["Preprocessing"] = 3,
        ["Segmentation"] = 4,
        ["Features"] = 5,
        ["Tiling"] = 6,
        ["Models"] = 7,
        ["Evaluation"] = 8,
        ["Reporting"] = 9,
        ["Packaging"] = 10,
        ["Retraining"] = 11,
        ["Cluster"] = 12,
    };

    // Known crossings (file, the later stage it uses), to be removed rather than added to.
    static readonly HashSet<(string File, string Uses)> Known =
    [
        ("Dataset/Synthesis/LiposomeSynthesizer.cs", "Evaluation"),
        ("Dataset/DatasetLoader.cs", "Preprocessing"),
        ("Dataset/StackGroups.cs", "Preprocessing"),
        ("Dataset/Synthesis/CropRenderer.cs", "Preprocessing"),
        ("Dataset/Synthesis/LiposomeSynthesizer.cs", "Preprocessing"),
        ("Evaluation/RunEnvironment.cs", "Packaging"),
        ("Evaluation/RunFingerprint.cs", "Packaging"),
        ("Evaluation/FoldCheckpoint.cs", "Reporting"),
        ("Models/AutoMl/AutoMlCandidate.cs", "Evaluation"),
        ("Models/AutoMl/AutoMlSearch.cs", "Evaluation"),
        ("Models/Cnn/CnnTrainer.cs", "Evaluation"),
        ("Models/Cnn/EarlyStopping.cs", "Evaluation"),
        ("Models/Cnn/EpochSampler.cs", "Evaluation"),
        ("Models/Segmenters/UNetTrainer.cs", "Evaluation"),
        ("Models/Smote.cs", "Evaluation"),
        ("Models/Svm/SvmTrainer.cs", "Evaluation"),
        ("Models/Transfer/FeatureExtractor.cs", "Evaluation"),
        ("Models/Transfer/FineTuneTrainer.cs", "Evaluation"),
        ("Models/Transfer/FrozenTrainer.cs", "Evaluation"),
        ("Models/Transfer/TransferFit.cs", "Evaluation"),
        ("Models/Transfer/TransferTrainingLoop.cs", "Evaluation"),
        ("Models/Transfer/BackboneOrigin.cs", "Packaging"),
        ("Models/Transfer/BackboneSource.cs", "Packaging"),
        ("Models/Transfer/LipNetBackbone.cs", "Packaging"),
        ("Reporting/RetrainReport.cs", "Retraining"),
        ("Segmentation/ParticleGeometry.cs", "Features"),
        ("Segmentation/ParticleMeasurement.cs", "Features"),
        ("Segmentation/ParticleReport.cs", "Reporting"),
        ("Tensors/Tensor.Images.cs", "Preprocessing"),
    ];

    [Fact]
    public void Should_keep_every_namespace_off_the_stages_after_its_own()
    {
        // Given every source file of the core
        var core = Path.Combine(RepoPaths.Root, "src", "AutoClassify.Core");
        var found = new List<string>();
        foreach (var file in Directory.EnumerateFiles(core, "*.cs", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(core, file).Replace('\\', '/');
            if (relative.StartsWith("obj/", StringComparison.Ordinal) || relative.StartsWith("bin/", StringComparison.Ordinal))
                continue;
            var text = File.ReadAllText(file);
            var own = Namespace().Match(text);
            if (!own.Success || !Rank.TryGetValue(own.Groups[1].Value, out var stage))
                continue;

            // When its using directives are read
            foreach (Match use in Using().Matches(text))
            {
                if (Rank.TryGetValue(use.Groups[1].Value, out var used) && used > stage && !Known.Contains((relative, use.Groups[1].Value)))
                    found.Add($"{relative} ({own.Groups[1].Value}) uses {use.Groups[1].Value}");
            }
        }

        // Then none reaches forward beyond the listed crossings
        Assert.True(found.Count == 0, "namespaces that use a later stage:\n" + string.Join("\n", found));
    }

    [GeneratedRegex(@"^namespace AutoClassify\.(\w+)", RegexOptions.Multiline)]
    private static partial Regex Namespace();

    [GeneratedRegex(@"^using AutoClassify\.(\w+)", RegexOptions.Multiline)]
    private static partial Regex Using();
}
