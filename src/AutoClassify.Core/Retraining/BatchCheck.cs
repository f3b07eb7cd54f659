using System.Globalization;
using AutoClassify.Dataset;
using AutoClassify.Imaging;
using AutoClassify.Preprocessing;

namespace AutoClassify.Retraining;

/// <summary>Where an image of a retrain comes from.</summary>
public enum ImageOrigin
{
    /// <summary>An image the champion trained on.</summary>
    Training,

    /// <summary>An image of the registry's reference set (never trained on).</summary>
    Reference,

    /// <summary>An image of the new labeled batch.</summary>
    Batch,
}

/// <summary>
/// What the batch check knows of one image: where it is, its class, its file's SHA-256, the perceptual hash and
/// the intensity statistics of its prepared pixels.
/// </summary>
/// <param name="Location">The image as shown to the user (a path).</param>
/// <param name="ClassName">Its label.</param>
/// <param name="Sha256">SHA-256 of the file (hex).</param>
/// <param name="PHash">The <see cref="PerceptualHash"/> of the prepared image.</param>
/// <param name="Mean">Mean of the prepared pixels (0..1).</param>
/// <param name="Std">Standard deviation of the prepared pixels.</param>
/// <param name="Origin">Old training data, reference set or new batch.</param>
public sealed record CheckedImage(string Location, string ClassName, string Sha256, ulong PHash, double Mean, double Std, ImageOrigin Origin)
{
    /// <summary>The standardised thumbnail that confirms a hash match (<see cref="PerceptualHash.Correlation"/>); null lets the hash alone decide.</summary>
    public float[]? Thumbnail { get; init; }

    /// <summary>Computes the fingerprint and statistics of a prepared image.</summary>
    public static CheckedImage From(string location, string className, string sha256, GrayImage prepared, ImageOrigin origin)
    {
        ArgumentNullException.ThrowIfNull(prepared);
        double sum = 0, squares = 0;
        foreach (var p in prepared.Pixels)
        {
            sum += p;
            squares += (double)p * p;
        }
        var n = prepared.Pixels.Length;
        var mean = sum / n;
        var std = Math.Sqrt(Math.Max(0, (squares / n) - (mean * mean)));
        var fingerprint = PerceptualHash.Fingerprint(prepared);
        return new CheckedImage(location, className, sha256, fingerprint.Hash, mean, std, origin) { Thumbnail = fingerprint.Thumbnail };
    }
}

/// <summary>What a finding is about.</summary>
public enum BatchFindingKind
{
    /// <summary>A class folder of the batch that the model does not know.</summary>
    UnknownClass,

    /// <summary>A class the model does not know, accepted with <see cref="BatchCheckOptions.AllowNewClasses"/>.</summary>
    NewClass,

    /// <summary>The same file content under two different labels.</summary>
    LabelConflict,

    /// <summary>The same file content twice with the same label.</summary>
    ExactDuplicate,

    /// <summary>Visually almost the same image (perceptual hashes within the threshold).</summary>
    NearDuplicate,

    /// <summary>The batch's class proportions differ markedly from the old data's.</summary>
    BalanceDrift,

    /// <summary>A class's brightness or contrast in the batch differs markedly from the old data's.</summary>
    IntensityDrift,

    /// <summary>Anything else worth knowing (unreadable or skipped files, missing old data).</summary>
    Other,
}

/// <summary>One finding of the batch check, naming the file(s) or class it concerns.</summary>
public sealed record BatchFinding(BatchFindingKind Kind, ProblemSeverity Severity, string Location, string Message)
{
    public override string ToString() => $"{(Severity == ProblemSeverity.Error ? "error" : "warning")}: {Location}: {Message}";
}

/// <summary>Thresholds of the batch check; <see cref="Validate"/> names a bad one.</summary>
public sealed class BatchCheckOptions
{
    /// <summary>The defaults.</summary>
    public static class Defaults
    {
        public const int NearDuplicateDistance = 4;
        public const double NearDuplicateCorrelation = 0.95;
        public const double BalanceDrift = 0.25;
        public const double IntensityDrift = 1.5;
    }

    /// <summary>Classes the model does not know are warnings, not errors.</summary>
    public bool AllowNewClasses { get; init; }

    /// <summary>Two images are near duplicates when their perceptual hashes differ in at most this many of 64 bits...</summary>
    public int NearDuplicateDistance { get; init; } = Defaults.NearDuplicateDistance;

    /// <summary>
    /// ... and whose standardised 32 × 32 thumbnails correlate at least this much (re-encoded or slightly noisy copies
    /// score above 0.99; distinct micrographs that share a hash mostly below 0.5).
    /// </summary>
    public double NearDuplicateCorrelation { get; init; } = Defaults.NearDuplicateCorrelation;

    /// <summary>Total variation distance between the old and the batch's class shares above which balance drift is reported (0..1).</summary>
    public double BalanceDriftThreshold { get; init; } = Defaults.BalanceDrift;

    /// <summary>
    /// Shift of a class's mean brightness or contrast in the batch, in standard deviations of the old images'
    /// values, above which intensity drift is reported.
    /// </summary>
    public double IntensityDriftThreshold { get; init; } = Defaults.IntensityDrift;

    /// <summary>Throws naming the first bad setting.</summary>
    public void Validate()
    {
        if (NearDuplicateDistance is < 0 or > 32)
            throw new ArgumentException($"The near-duplicate distance must lie in [0, 32] bits, not {NearDuplicateDistance}.");
        if (!double.IsFinite(NearDuplicateCorrelation) || NearDuplicateCorrelation < -1 || NearDuplicateCorrelation > 1)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"The near-duplicate correlation must lie in [-1, 1], not {NearDuplicateCorrelation}."));
        if (!double.IsFinite(BalanceDriftThreshold) || BalanceDriftThreshold < 0 || BalanceDriftThreshold > 1)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"The balance drift threshold must lie in [0, 1], not {BalanceDriftThreshold}."));
        if (!double.IsFinite(IntensityDriftThreshold) || IntensityDriftThreshold < 0)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"The intensity drift threshold must be a finite number of SDs, 0 or more, not {IntensityDriftThreshold}."));
    }
}

/// <summary>Every finding of a batch check, and which batch images must not be trained on.</summary>
public sealed class BatchCheckReport
{
    internal BatchCheckReport(List<BatchFinding> findings, Dictionary<int, string> leftOut, List<string> newClasses)
    {
        Findings = findings;
        LeftOut = leftOut;
        NewClasses = newClasses;
    }

    /// <summary>Errors first, then warnings, each group in the order found.</summary>
    public IReadOnlyList<BatchFinding> Findings { get; }

    public IEnumerable<BatchFinding> Errors => Findings.Where(f => f.Severity == ProblemSeverity.Error);

    public IEnumerable<BatchFinding> Warnings => Findings.Where(f => f.Severity == ProblemSeverity.Warning);

    public bool HasErrors => Findings.Any(f => f.Severity == ProblemSeverity.Error);

    /// <summary>
    /// Batch images (by index) that must not be trained on, with the reason: copies of images already present, and
    /// near duplicates of reference images (training on them would leak the reference set).
    /// </summary>
    public IReadOnlyDictionary<int, string> LeftOut { get; }

    /// <summary>Batch classes the model does not know, ordinally sorted.</summary>
    public IReadOnlyList<string> NewClasses { get; }
}

/// <summary>Thrown before any training when the batch check finds errors; lists every finding.</summary>
public sealed class BatchCheckException : Exception
{
    public BatchCheckException(string batch, BatchCheckReport report)
        : base(FormatMessage(batch, report))
    {
        Batch = batch;
        Report = report;
    }

    /// <summary>The batch folder.</summary>
    public string Batch { get; }

    public BatchCheckReport Report { get; }

    static string FormatMessage(string batch, BatchCheckReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var errors = report.Errors.ToList();
        var warnings = report.Warnings.ToList();
        var text = $"The batch at '{batch}' cannot be added ({errors.Count} error(s), {warnings.Count} warning(s)); nothing was trained:" + Environment.NewLine +
            string.Join(Environment.NewLine, errors.Select(f => "  " + f));
        return warnings.Count == 0 ? text : text + Environment.NewLine + string.Join(Environment.NewLine, warnings.Select(f => "  " + f));
    }
}

/// <summary>
/// Checks a new labeled batch against the data a model already has, before any training, and reports every
/// finding at once: unknown classes, label conflicts, exact and near duplicates (against the old data and within
/// the batch), class-balance drift and intensity drift.
/// </summary>
public static class BatchCheck
{
    // A class's statistics are compared only when the old data holds at least this many of its images.
    const int MinimumForDrift = 3;

    // Keeps the drift ratio finite for a class whose old images are all alike.
    const double StdFloor = 0.01;

    /// <summary>Runs every check.</summary>
    /// <param name="existing">The old data: the champion's training images found on disk and the reference images.</param>
    /// <param name="batch">The new batch, in order; <see cref="BatchCheckReport.LeftOut"/> indexes it.</param>
    /// <param name="knownClasses">The model's classes.</param>
    /// <param name="options">Thresholds; null takes the defaults.</param>
    public static BatchCheckReport Run(IReadOnlyList<CheckedImage> existing, IReadOnlyList<CheckedImage> batch,
        IReadOnlyCollection<string> knownClasses, BatchCheckOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(existing);
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(knownClasses);
        options ??= new BatchCheckOptions();
        options.Validate();
        var findings = new List<BatchFinding>();
        var leftOut = new Dictionary<int, string>();

        var newClasses = batch.Select(b => b.ClassName).Distinct(StringComparer.Ordinal)
            .Where(c => !knownClasses.Contains(c, StringComparer.Ordinal)).Order(StringComparer.Ordinal).ToList();
        foreach (var name in newClasses)
        {
            var files = batch.Where(b => b.ClassName == name).Select(b => b.Location).ToList();
            var listed = string.Join(", ", files.Take(5)) + (files.Count > 5 ? string.Create(CultureInfo.InvariantCulture, $" and {files.Count - 5} more") : "");
            findings.Add(options.AllowNewClasses
                ? new(BatchFindingKind.NewClass, ProblemSeverity.Warning, name + "/",
                    string.Create(CultureInfo.InvariantCulture, $"new class with {files.Count} image(s) ({listed}); the challenger will learn it and cannot warm-start"))
                : new(BatchFindingKind.UnknownClass, ProblemSeverity.Error, name + "/",
                    string.Create(CultureInfo.InvariantCulture, $"class is unknown to the model (its classes: {string.Join(", ", knownClasses)}); {files.Count} image(s): {listed}. Rename the folder, or pass --allow-new-classes to add the class")));
        }

        FindDuplicates(existing, batch, options, findings, leftOut);
        FindBalanceDrift(existing, batch, options.BalanceDriftThreshold, findings);
        FindIntensityDrift(existing, batch, options.IntensityDriftThreshold, findings);

        var ordered = findings.Where(f => f.Severity == ProblemSeverity.Error).Concat(findings.Where(f => f.Severity != ProblemSeverity.Error)).ToList();
        return new BatchCheckReport(ordered, leftOut, newClasses);
    }

    static void FindDuplicates(IReadOnlyList<CheckedImage> existing, IReadOnlyList<CheckedImage> batch, BatchCheckOptions options,
        List<BatchFinding> findings, Dictionary<int, string> leftOut)
    {
        var existingBySha = existing.GroupBy(e => e.Sha256.ToUpperInvariant()).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var firstInBatch = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < batch.Count; i++)
        {
            var b = batch[i];
            var sha = b.Sha256.ToUpperInvariant();
            if (existingBySha.TryGetValue(sha, out var same))
            {
                if (same.ClassName != b.ClassName)
                {
                    findings.Add(Conflict(b, same, "is identical to"));
                }
                else
                {
                    findings.Add(new(BatchFindingKind.ExactDuplicate, ProblemSeverity.Warning, b.Location,
                        $"is identical to {Describe(same)} ('{same.ClassName}'); it is not added again"));
                }
                leftOut[i] = $"identical to {Describe(same)}";
                continue;
            }
            if (firstInBatch.TryGetValue(sha, out var first))
            {
                var earlier = batch[first];
                if (earlier.ClassName != b.ClassName)
                    findings.Add(Conflict(b, earlier, "is identical to"));
                else
                    findings.Add(new(BatchFindingKind.ExactDuplicate, ProblemSeverity.Warning, b.Location, $"is identical to {Describe(earlier)}; only the first copy is used"));
                leftOut[i] = $"identical to {Describe(earlier)}";
                continue;
            }
            firstInBatch[sha] = i;

            var (near, distance) = Closest(b, existing, existing.Count, options);
            if (near is not null)
            {
                if (near.ClassName != b.ClassName)
                {
                    findings.Add(Conflict(b, near, Looks(distance)));
                }
                else if (near.Origin == ImageOrigin.Reference)
                {
                    findings.Add(new(BatchFindingKind.NearDuplicate, ProblemSeverity.Warning, b.Location,
                        $"{Looks(distance)} {Describe(near)}; it is left out of training so the reference set stays unseen"));
                    leftOut[i] = $"near duplicate of {Describe(near)}";
                }
                else
                {
                    findings.Add(new(BatchFindingKind.NearDuplicate, ProblemSeverity.Warning, b.Location, $"{Looks(distance)} {Describe(near)}"));
                }
                continue;
            }
            var (earlierNear, d) = Closest(b, batch, i, options);
            if (earlierNear is not null)
            {
                findings.Add(earlierNear.ClassName != b.ClassName
                    ? Conflict(b, earlierNear, Looks(d))
                    : new(BatchFindingKind.NearDuplicate, ProblemSeverity.Warning, b.Location, $"{Looks(d)} {Describe(earlierNear)}"));
            }
        }
    }

    // The near duplicate among the first `count` of `pool` with the smallest pHash distance to `image`, if any.
    static (CheckedImage? Image, int Distance) Closest(CheckedImage image, IReadOnlyList<CheckedImage> pool, int count, BatchCheckOptions options)
    {
        CheckedImage? best = null;
        var bestDistance = int.MaxValue;
        for (var j = 0; j < count; j++)
        {
            var d = PerceptualHash.Distance(image.PHash, pool[j].PHash);
            if (d <= options.NearDuplicateDistance && d < bestDistance && !pool[j].Sha256.Equals(image.Sha256, StringComparison.OrdinalIgnoreCase)
                && (image.Thumbnail is null || pool[j].Thumbnail is null || PerceptualHash.Correlation(image.Thumbnail, pool[j].Thumbnail!) >= options.NearDuplicateCorrelation))
            {
                best = pool[j];
                bestDistance = d;
            }
        }
        return (best, bestDistance);
    }

    static BatchFinding Conflict(CheckedImage image, CheckedImage other, string relation) =>
        new(BatchFindingKind.LabelConflict, ProblemSeverity.Error, image.Location,
            $"label conflict: labelled '{image.ClassName}' here, but it {relation} {Describe(other)} labelled '{other.ClassName}'");

    static string Looks(int distance) => string.Create(CultureInfo.InvariantCulture, $"looks like (perceptual-hash distance {distance} of 64 bits)");

    static string Describe(CheckedImage image) => image.Origin switch
    {
        ImageOrigin.Training => $"training image {image.Location}",
        ImageOrigin.Reference => $"reference image {image.Location}",
        _ => $"batch image {image.Location}",
    };

    static void FindBalanceDrift(IReadOnlyList<CheckedImage> existing, IReadOnlyList<CheckedImage> batch, double threshold, List<BatchFinding> findings)
    {
        if (existing.Count == 0 || batch.Count == 0)
            return;
        var classes = existing.Select(e => e.ClassName).Concat(batch.Select(b => b.ClassName)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        double Share(IReadOnlyList<CheckedImage> images, string c) => (double)images.Count(i => i.ClassName == c) / images.Count;
        var shares = classes.Select(c => (Class: c, Old: Share(existing, c), New: Share(batch, c))).ToList();
        var distance = 0.5 * shares.Sum(s => Math.Abs(s.Old - s.New));
        if (distance <= threshold)
            return;
        var detail = string.Join(", ", shares.Select(s => string.Create(CultureInfo.InvariantCulture, $"{s.Class} {100 * s.Old:F0}% → {100 * s.New:F0}%")));
        findings.Add(new(BatchFindingKind.BalanceDrift, ProblemSeverity.Warning, "batch",
            string.Create(CultureInfo.InvariantCulture, $"class balance differs from the old data (total variation distance {distance:F2} > {threshold:F2}): {detail}")));
    }

    static void FindIntensityDrift(IReadOnlyList<CheckedImage> existing, IReadOnlyList<CheckedImage> batch, double threshold, List<BatchFinding> findings)
    {
        foreach (var name in batch.Select(b => b.ClassName).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            var old = existing.Where(e => e.ClassName == name).ToList();
            if (old.Count < MinimumForDrift)
                continue;
            var fresh = batch.Where(b => b.ClassName == name).ToList();
            foreach (var (what, value) in new (string, Func<CheckedImage, double>)[] { ("mean intensity", i => i.Mean), ("contrast (pixel SD)", i => i.Std) })
            {
                var values = old.Select(value).ToArray();
                var mean = values.Average();
                var sd = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1));
                var batchMean = fresh.Average(value);
                var shift = Math.Abs(batchMean - mean) / Math.Max(sd, StdFloor);
                if (shift > threshold)
                {
                    findings.Add(new(BatchFindingKind.IntensityDrift, ProblemSeverity.Warning, name + "/",
                        string.Create(CultureInfo.InvariantCulture,
                            $"{what} of the batch's {fresh.Count} image(s) is {batchMean:F3}, against {mean:F3} ± {sd:F3} in the old data ({shift:F1} SD); check the microscope settings or preprocessing")));
                }
            }
        }
    }
}
