using System.Globalization;
using AutoClassify.Evaluation.Statistics;

namespace AutoClassify.Retraining;

/// <summary>When <c>retrain</c> promotes a challenger.</summary>
public enum PromotionRule
{
    /// <summary>Its reference macro-F1 is at most the tolerance below the champion's (the default).</summary>
    Tolerance,

    /// <summary>It is not statistically worse than the champion (<see cref="PairedComparison.Worse"/>).</summary>
    NotWorse,

    /// <summary>It is statistically better than the champion (<see cref="PairedComparison.Better"/>).</summary>
    Better,
}

/// <summary>A reference image whose predicted class differs between champion and challenger.</summary>
/// <param name="Location">The image file.</param>
/// <param name="TrueClass">Its label.</param>
/// <param name="Champion">The champion's prediction.</param>
/// <param name="Challenger">The challenger's prediction.</param>
public sealed record ChangedPrediction(string Location, string TrueClass, string Champion, string Challenger)
{
    /// <summary>"fixed" when only the challenger is right, "broken" when only the champion is, "still wrong" otherwise.</summary>
    public string Effect => Challenger == TrueClass ? "fixed" : Champion == TrueClass ? "broken" : "still wrong";
}

/// <summary>
/// Champion and challenger compared on the same reference images as paired predictions: exact McNemar on the images
/// only one of them gets right, and a seeded stratified bootstrap interval for the difference in macro-F1
/// (challenger minus champion). It also says how far a single changed prediction can move macro-F1, so a tolerance
/// finer than that is known to be decided by one image.
/// </summary>
public sealed record PairedComparison
{
    /// <summary>The significance level of <see cref="Worse"/> and <see cref="Better"/> (two-sided 95 %).</summary>
    public const double Alpha = 0.05;

    /// <summary>Reference classes with fewer images than this are too small to judge a class by.</summary>
    public const int MinimumPerClass = 5;

    /// <summary>Exact McNemar; <see cref="McNemarResult.OnlyFirstCorrect"/> counts the images only the champion gets right.</summary>
    public required McNemarResult McNemar { get; init; }

    /// <summary>Challenger's macro-F1 minus the champion's on the reference images.</summary>
    public required double MacroF1Difference { get; init; }

    /// <summary>The 95 % stratified bootstrap percentile interval of <see cref="MacroF1Difference"/>.</summary>
    public required Interval MacroF1DifferenceInterval { get; init; }

    /// <summary>Bootstrap replicates (B) and seed.</summary>
    public required int Replicates { get; init; }

    public required int BootstrapSeed { get; init; }

    /// <summary>The reference class with the fewest images, and how many it has.</summary>
    public required string SmallestClass { get; init; }

    public required int SmallestClassCount { get; init; }

    /// <summary>The largest change of the champion's macro-F1 that changing the prediction of one reference image can make.</summary>
    public required double OneFlip { get; init; }

    /// <summary>Reference classes with fewer than <see cref="MinimumPerClass"/> images, with their counts.</summary>
    public required IReadOnlyList<(string Class, int Count)> SmallClasses { get; init; }

    /// <summary>Images whose prediction differs between the two models, in reference order.</summary>
    public required IReadOnlyList<ChangedPrediction> Changed { get; init; }

    /// <summary>
    /// The challenger is statistically worse: exact McNemar rejects at <see cref="Alpha"/> with the champion alone right
    /// more often, and the interval for the macro-F1 difference lies wholly below zero. Both must agree, because a
    /// percentile bootstrap over a class of two or three images excludes zero far too easily.
    /// </summary>
    public bool Worse => McNemar.PValue < Alpha && McNemar.OnlyFirstCorrect > McNemar.OnlySecondCorrect
        && MacroF1DifferenceInterval.IsDefined && MacroF1DifferenceInterval.Upper < 0;

    /// <summary>
    /// The challenger is statistically better: exact McNemar rejects at <see cref="Alpha"/> with the challenger alone right
    /// more often, and the interval for the macro-F1 difference lies wholly above zero.
    /// </summary>
    public bool Better => McNemar.PValue < Alpha && McNemar.OnlySecondCorrect > McNemar.OnlyFirstCorrect
        && MacroF1DifferenceInterval.IsDefined && MacroF1DifferenceInterval.Lower > 0;

    /// <summary>True when one changed prediction can move macro-F1 by more than <paramref name="tolerance"/>.</summary>
    public bool CannotResolve(double tolerance) => OneFlip > tolerance;

    /// <summary>One plain sentence on what the paired test says.</summary>
    public string Verdict()
    {
        var inv = CultureInfo.InvariantCulture;
        var tests = string.Create(inv,
            $"exact McNemar p = {McNemar.PValue:0.###} ({McNemar.OnlyFirstCorrect} image(s) only the champion gets right, {McNemar.OnlySecondCorrect} only the challenger), macro-F1 difference {MacroF1Difference:+0.000;-0.000;0.000} with 95 % bootstrap interval [{MacroF1DifferenceInterval.Lower:0.000}, {MacroF1DifferenceInterval.Upper:0.000}]");
        if (Worse)
            return $"The challenger is statistically worse than the champion: {tests}.";
        if (Better)
            return $"The challenger is statistically better than the champion: {tests}.";
        return $"The reference set cannot tell the two models apart: {tests}.";
    }

    /// <summary>
    /// Compares two models' predictions of the same images. Labels and predictions index <paramref name="classes"/>;
    /// the bootstrap resamples images within their true class, <paramref name="replicates"/> times from <paramref name="seed"/>.
    /// </summary>
    public static PairedComparison Compute(IReadOnlyList<string> locations, IReadOnlyList<int> truth, IReadOnlyList<int> champion, IReadOnlyList<int> challenger,
        IReadOnlyList<string> classes, int seed, int replicates = StratifiedBootstrap.DefaultReplicates)
    {
        ArgumentNullException.ThrowIfNull(locations);
        ArgumentNullException.ThrowIfNull(truth);
        ArgumentNullException.ThrowIfNull(champion);
        ArgumentNullException.ThrowIfNull(challenger);
        ArgumentNullException.ThrowIfNull(classes);
        if (truth.Count == 0)
            throw new ArgumentException("A paired comparison needs at least one image.", nameof(truth));
        if (locations.Count != truth.Count || champion.Count != truth.Count || challenger.Count != truth.Count)
            throw new ArgumentException($"Paired predictions differ in length: {locations.Count} images, {truth.Count} labels, {champion.Count} and {challenger.Count} predictions.");

        var mcnemar = Evaluation.Statistics.McNemar.Exact(truth, champion, challenger);
        var all = Enumerable.Range(0, truth.Count).ToArray();
        var difference = MacroF1(truth, challenger, all, classes.Count) - MacroF1(truth, champion, all, classes.Count);
        var bootstrap = new StratifiedBootstrap(truth, replicates, seed);
        var interval = bootstrap.Percentile(sample => [MacroF1(truth, challenger, sample, classes.Count) - MacroF1(truth, champion, sample, classes.Count)])[0];

        var counts = classes.Select((c, k) => (Class: c, Count: truth.Count(t => t == k))).Where(x => x.Count > 0).ToList();
        var smallest = counts.MinBy(x => x.Count);
        var changed = all.Where(i => champion[i] != challenger[i])
            .Select(i => new ChangedPrediction(locations[i], classes[truth[i]], classes[champion[i]], classes[challenger[i]]))
            .ToList();
        return new PairedComparison
        {
            McNemar = mcnemar,
            MacroF1Difference = difference,
            MacroF1DifferenceInterval = interval,
            Replicates = replicates,
            BootstrapSeed = seed,
            SmallestClass = smallest.Class,
            SmallestClassCount = smallest.Count,
            OneFlip = OneFlipChange(truth, champion, classes.Count),
            SmallClasses = [.. counts.Where(x => x.Count < MinimumPerClass)],
            Changed = changed,
        };
    }

    /// <summary>
    /// The largest change of macro-F1 over <paramref name="predicted"/> that changing one image's prediction to any
    /// other class can make: the resolution of the reference set.
    /// </summary>
    public static double OneFlipChange(IReadOnlyList<int> truth, IReadOnlyList<int> predicted, int classCount)
    {
        ArgumentNullException.ThrowIfNull(truth);
        ArgumentNullException.ThrowIfNull(predicted);
        var all = Enumerable.Range(0, truth.Count).ToArray();
        var baseline = MacroF1(truth, predicted, all, classCount);
        var flipped = predicted.ToArray();
        double largest = 0;
        for (var i = 0; i < flipped.Length; i++)
        {
            var original = flipped[i];
            for (var k = 0; k < classCount; k++)
            {
                if (k == original)
                    continue;
                flipped[i] = k;
                largest = Math.Max(largest, Math.Abs(MacroF1(truth, flipped, all, classCount) - baseline));
            }
            flipped[i] = original;
        }
        return largest;
    }

    // Macro-F1 over the classes present among the sampled images, as ClassificationMetrics computes it.
    static double MacroF1(IReadOnlyList<int> truth, IReadOnlyList<int> predicted, int[] sample, int classCount)
    {
        var tp = new int[classCount];
        var fp = new int[classCount];
        var fn = new int[classCount];
        foreach (var i in sample)
        {
            if (truth[i] == predicted[i])
            {
                tp[truth[i]]++;
            }
            else
            {
                fn[truth[i]]++;
                fp[predicted[i]]++;
            }
        }
        double sum = 0;
        var present = 0;
        for (var k = 0; k < classCount; k++)
        {
            if (tp[k] + fn[k] == 0)
                continue;
            sum += 2.0 * tp[k] / (2.0 * tp[k] + fp[k] + fn[k]);
            present++;
        }
        return present == 0 ? double.NaN : sum / present;
    }
}
