using System.CommandLine;
using System.Globalization;
using AutoClassify.Features;
using AutoClassify.Models.Segmenters;

namespace AutoClassify.Cli;

/// <summary>
/// The pixel forest's own options, shared by <c>train-segmenter</c> and <c>segment-benchmark</c>: trees, tree depth,
/// the feature bank's scales and the share of images held out to tune the instance split. Each is optional: an absent one keeps <see cref="PixelForestOptions"/>' default.
/// </summary>
internal sealed class PixelForestCommandOptions
{
    static readonly PixelForestOptions Defaults = new();

    readonly Option<int?> trees = new("--forest-trees") { Description = $"Pixel forest: number of trees (default {Defaults.Forest.Trees})." };
    readonly Option<int?> depth = new("--forest-depth") { Description = $"Pixel forest: maximum tree depth (default {Defaults.Forest.MaxDepth})." };
    readonly Option<string?> scales = new("--forest-scales")
    {
        HelpName = "σ,σ,…",
        Description = $"Pixel forest: Gaussian scales of the feature bank in pixels, comma-separated, at most {PixelForestOptions.MaxScales} (default {string.Join(",", PixelFeatureBank.DefaultScales.Select(s => s.ToString(CultureInfo.InvariantCulture)))}).",
    };

    readonly Option<double?> validation = new("--forest-validation")
    {
        Description = $"Pixel forest, instance masks: share of the images (whole images, by group) kept out of the fit to tune the instance split on; 0 fits on all and keeps untuned settings (default {Defaults.ValidationFraction.ToString(CultureInfo.InvariantCulture)}).",
    };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { trees, depth, scales, validation })
            command.Options.Add(option);
    }

    /// <summary>
    /// The U-Net and pixel-forest options given, over the defaults; throws one <see cref="ArgumentException"/> naming
    /// every bad value of both (exit code 2), so a user fixes them in one go.
    /// </summary>
    public (UNetOptions UNet, PixelForestOptions Forest) ReadWith(UNetCommandOptions unet, ParseResult parse, int threads)
    {
        ArgumentNullException.ThrowIfNull(unet);
        var unetOptions = unet.Build(parse, threads);
        var (forest, parseProblems) = Build(parse, unet.SplitSemanticObjects(parse));
        var unetProblems = unetOptions.Problems();
        var forestProblems = parseProblems.Concat(forest.Problems()).ToList();
        var messages = new List<string>();
        if (unetProblems.Count > 0)
            messages.Add("Invalid U-Net options: " + string.Join(" ", unetProblems));
        if (forestProblems.Count > 0)
            messages.Add("Invalid pixel-forest options (--forest-trees, --forest-depth, --forest-scales, --forest-validation): " + string.Join(" ", forestProblems));
        if (messages.Count > 0)
            throw new ArgumentException(string.Join(" ", messages));
        CommonOptions.RequireFastPrecision(unetOptions.TrainingPrecision, "--train-precision");
        return (unetOptions, forest);
    }

    /// <summary>The options given over the defaults, unchecked, with the scales that did not parse as numbers.</summary>
    internal (PixelForestOptions Options, IReadOnlyList<string> Problems) Build(ParseResult parse, bool splitSemanticObjects)
    {
        var problems = new List<string>();
        var scaleList = Defaults.Scales;
        if (parse.GetValue(scales) is { } text)
        {
            var parsed = new List<double>();
            foreach (var token in text.Split(',', StringSplitOptions.TrimEntries))
            {
                if (double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
                    parsed.Add(value);
                else
                    problems.Add($"--forest-scales: '{token}' is not a number of pixels.");
            }
            // When nothing parsed, the parse problems already say what is wrong with the list.
            if (parsed.Count > 0 || problems.Count == 0)
                scaleList = parsed;
        }
        var options = new PixelForestOptions
        {
            Scales = scaleList,
            Forest = new RandomForestOptions
            {
                Trees = parse.GetValue(trees) ?? Defaults.Forest.Trees,
                MaxDepth = parse.GetValue(depth) ?? Defaults.Forest.MaxDepth,
            },
            ValidationFraction = parse.GetValue(validation) ?? Defaults.ValidationFraction,
            SplitSemanticObjects = splitSemanticObjects,
        };
        return (options, problems);
    }
}
