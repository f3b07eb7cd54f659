using System.Text.RegularExpressions;
using AutoClassify.Tests.Support;

namespace AutoClassify.Tests;

/// <summary>
/// The core's folders are the pipeline's stages, in order; a namespace may use its own stage and earlier ones only.
/// The crossings that remain are listed by name so that no new one can slip in unnoticed.
/// </summary>
public partial class LayeringTests
{
    // Each stage's rank: IO is the foundation, Native the libtorch, OpenCV and LIBSVM binding, Imaging the image types and
    // codecs (grey images, masks, the EM formats) that every later stage reads and writes, and Tensors the C# tensor API.
    static readonly Dictionary<string, int> Rank = new()
    {
        ["IO"] = 0,
        ["Native"] = 1,
        ["Imaging"] = 2,
        ["Tensors"] = 3,
        ["Dataset"] = 4,
        ["Preprocessing"] = 5,
        ["Segmentation"] = 6,
        ["Features"] = 7,
        ["Tiling"] = 8,
        ["Models"] = 9,
        ["Evaluation"] = 10,
        ["Reporting"] = 11,
        ["Packaging"] = 12,
        ["Retraining"] = 13,
        ["Cluster"] = 14,
    };

    // Known crossings (file, the later stage it uses), to be removed rather than added to. None remain: a stage that must
    // reach a later one does it through an interface it owns and the later stage registers (BackbonePackages).
    static readonly HashSet<(string File, string Uses)> Known = [];

    [Fact]
    public void Should_keep_every_namespace_off_the_stages_after_its_own()
    {
        // Given every source file of the core
        var core = Path.Combine(RepoPaths.Root, "src", "AutoClassify.Core");
        var found = new List<string>();
        var crossings = new HashSet<(string File, string Uses)>();
        foreach (var file in Directory.EnumerateFiles(core, "*.cs", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(core, file).Replace('\\', '/');
            if (relative.StartsWith("obj/", StringComparison.Ordinal) || relative.StartsWith("bin/", StringComparison.Ordinal))
                continue;
            var text = File.ReadAllText(file);
            var own = Namespace().Match(text);
            if (!own.Success || !Rank.TryGetValue(own.Groups[1].Value, out var stage))
                continue;

            // When its using directives, and the names it qualifies in code (comments and strings left out), are read
            var code = Directive().Replace(Comment().Replace(StringLiteral().Replace(text, "\"\""), ""), "");
            var uses = Using().Matches(text).Select(m => m.Groups[1].Value).Concat(Qualified().Matches(code).Select(m => m.Groups[1].Value));
            foreach (var use in uses.Distinct(StringComparer.Ordinal))
            {
                if (!Rank.TryGetValue(use, out var used) || used <= stage)
                    continue;
                crossings.Add((relative, use));
                if (!Known.Contains((relative, use)))
                    found.Add($"{relative} ({own.Groups[1].Value}) uses {use}");
            }
        }

        // Then none reaches forward beyond the listed crossings, and every listed crossing still exists
        Assert.True(found.Count == 0, "namespaces that use a later stage:\n" + string.Join("\n", found));
        var gone = Known.Where(k => !crossings.Contains(k)).Select(k => $"{k.File} no longer uses {k.Uses}").ToList();
        Assert.True(gone.Count == 0, "crossings removed; take them off the Known list:\n" + string.Join("\n", gone));
    }

    [GeneratedRegex(@"^namespace AutoClassify\.(\w+)", RegexOptions.Multiline)]
    private static partial Regex Namespace();

    [GeneratedRegex(@"^using (?:static )?(?:\w+ = )?(?:global::)?AutoClassify\.(\w+)", RegexOptions.Multiline)]
    private static partial Regex Using();

    // A stage named in code, fully (AutoClassify.Evaluation.X) or partly (Evaluation.X) qualified.
    [GeneratedRegex(@"(?<![\w.])(?:global::)?(?:AutoClassify\.)?(\w+)\.[A-Z]")]
    private static partial Regex Qualified();

    [GeneratedRegex(@"^(?:using|namespace) .*$", RegexOptions.Multiline)]
    private static partial Regex Directive();

    [GeneratedRegex(@"//.*")]
    private static partial Regex Comment();

    [GeneratedRegex(@"""(?:[^""\\\n]|\\.)*""")]
    private static partial Regex StringLiteral();
}
