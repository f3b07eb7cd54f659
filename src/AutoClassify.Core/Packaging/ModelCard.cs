using System.Globalization;
using System.Net;
using System.Text;
using AutoClassify.Reporting;

namespace AutoClassify.Packaging;

/// <summary>
/// The model card of a package, built only from facts its manifest records: intended use, classes and their
/// training counts, the data hash, preprocessing, training regime, validation figures, thresholds, known limits
/// and provenance. What the manifest does not record is said to be missing, never guessed.
/// Written into every package as <see cref="EntryName"/> (Markdown) and shown as HTML by <c>models show NAME --html</c>.
/// </summary>
public static class ModelCard
{
    /// <summary>Name of the Markdown card inside the archive.</summary>
    public const string EntryName = "model-card.md";

    /// <summary>One section of the card: a heading, sentences, and an optional table (header row first).</summary>
    public sealed record Section(string Title, IReadOnlyList<string> Lines, IReadOnlyList<IReadOnlyList<string>>? Table = null);

    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The card's title for a package of <paramref name="manifest"/>, named <paramref name="name"/> when it has one.</summary>
    public static string Title(ModelPackageManifest manifest, string? name = null) =>
        $"Model card: {(string.IsNullOrWhiteSpace(name) ? manifest.ModelKind : $"{name} ({manifest.ModelKind})")}";

    /// <summary>The card's sections, in reading order.</summary>
    public static IReadOnlyList<Section> Sections(ModelPackageManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return [IntendedUse(manifest), Classes(manifest), Preprocessing(manifest), Regime(manifest), Metrics(manifest),
            Thresholds(manifest), Limits(manifest), Provenance(manifest)];
    }

    /// <summary>The card as Markdown.</summary>
    public static string Markdown(ModelPackageManifest manifest, string? name = null)
    {
        var text = new StringBuilder();
        text.Append("# ").Append(Title(manifest, name)).Append("\n\n");
        foreach (var section in Sections(manifest))
        {
            text.Append("## ").Append(section.Title).Append("\n\n");
            foreach (var line in section.Lines)
                text.Append("- ").Append(line).Append('\n');
            if (section.Lines.Count > 0)
                text.Append('\n');
            if (section.Table is { Count: > 0 } table)
            {
                text.Append(Row(table[0])).Append('|').Append(string.Concat(table[0].Select(_ => " --- |"))).Append('\n');
                foreach (var row in table.Skip(1))
                    text.Append(Row(row));
                text.Append('\n');
            }
        }
        return text.ToString();

        static string Row(IReadOnlyList<string> cells) =>
            "| " + string.Join(" | ", cells.Select(c => c.Replace("|", "\\|", StringComparison.Ordinal))) + " |\n";
    }

    /// <summary>The card as one self-contained HTML page (no scripts, no external requests); every value is escaped.</summary>
    public static string Html(ModelPackageManifest manifest, string? name = null)
    {
        var title = WebUtility.HtmlEncode(Title(manifest, name));
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\" />\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\" />\n")
            .Append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\" />\n")
            .Append("<title>").Append(title).Append("</title>\n<style>\n")
            .Append("body{font-family:system-ui,sans-serif;max-width:52rem;margin:1.5rem auto;padding:0 1rem;line-height:1.45;color:#1b1b1b}\n")
            .Append("h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:1.6rem;border-bottom:1px solid #ddd}\n")
            .Append(".scroll{overflow-x:auto}table{border-collapse:collapse;margin:.5rem 0}th,td{border:1px solid #ccc;padding:.25rem .6rem;text-align:left}\n")
            .Append("th{background:#f3f3f3}code{overflow-wrap:anywhere}li{overflow-wrap:anywhere}\n")
            .Append("</style>\n</head>\n<body>\n<h1>").Append(title).Append("</h1>\n");
        foreach (var section in Sections(manifest))
        {
            html.Append("<section>\n<h2>").Append(WebUtility.HtmlEncode(section.Title)).Append("</h2>\n");
            if (section.Lines.Count > 0)
            {
                html.Append("<ul>\n");
                foreach (var line in section.Lines)
                    html.Append("<li>").Append(WebUtility.HtmlEncode(line)).Append("</li>\n");
                html.Append("</ul>\n");
            }
            if (section.Table is { Count: > 0 } table)
            {
                html.Append("<div class=\"scroll\"><table>\n<thead><tr>");
                foreach (var cell in table[0])
                    html.Append("<th>").Append(WebUtility.HtmlEncode(cell)).Append("</th>");
                html.Append("</tr></thead>\n<tbody>\n");
                foreach (var row in table.Skip(1))
                {
                    html.Append("<tr>");
                    foreach (var cell in row)
                        html.Append("<td>").Append(WebUtility.HtmlEncode(cell)).Append("</td>");
                    html.Append("</tr>\n");
                }
                html.Append("</tbody>\n</table></div>\n");
            }
            html.Append("</section>\n");
        }
        return html.Append("</body>\n</html>\n").ToString();
    }

    static Section IntendedUse(ModelPackageManifest m) => new("Intended use",
    [
        $"Classifies {Describe(m.Preprocessing)} into one of {m.ClassNames.Count} classes: {string.Join(", ", m.ClassNames)}.",
        "Meant for images from the same microscope, magnification range and preparation as the training images; "
            + "any other image is still forced into one of these classes.",
        "A prediction whose probability is below its class's threshold is answered 'uncertain' (see Thresholds).",
    ]);

    static string Describe(PackagePreprocessing p) =>
        p.Tiling is null ? "whole electron-microscopy images" : "electron-microscopy images, tile by tile,";

    static Section Classes(ModelPackageManifest m)
    {
        var lines = new List<string>();
        List<IReadOnlyList<string>>? table = null;
        if (m.TrainingCounts is { Count: > 0 } counts)
        {
            var total = counts.Values.Sum();
            lines.Add(string.Create(Inv, $"{total} training images in all."));
            table = [["class", "training images", "share"]];
            foreach (var name in m.ClassNames)
            {
                var n = counts.GetValueOrDefault(name);
                table.Add([name, n.ToString(Inv), total == 0 ? "-" : ReportNumber.Percent((double)n / total)]);
            }
        }
        else
        {
            lines.Add("Training counts per class: not recorded in this package (written before they were). "
                + string.Create(Inv, $"It lists {m.Provenance.TrainingFiles.Count} training files (images and masks)."));
            lines.Add("Classes: " + string.Join(", ", m.ClassNames) + ".");
        }
        lines.Add(m.Provenance.DatasetContentSha256 is { Length: > 0 } hash
            ? $"Data set content hash (SHA-256 over every image's path, class and content and its mask's content, as in a benchmark report's appendix): {hash}."
            : "Data set content hash: not recorded in this package.");
        if (!string.IsNullOrEmpty(m.Provenance.TrainingSetSha256))
            lines.Add($"Training file list hash (SHA-256 over the sorted file hashes and paths): {m.Provenance.TrainingSetSha256}.");
        if (m.Provenance.Reference is { } reference)
            lines.Add(string.Create(Inv, $"A reference set of {reference.Items} images was held out of training (item list SHA-256 {reference.Sha256})."));
        return new Section("Classes and training data", lines, table);
    }

    static Section Preprocessing(ModelPackageManifest m)
    {
        var p = m.Preprocessing;
        var lines = new List<string>
        {
            $"Data banner: {p.BannerMode switch { "crop" => "detected and cropped away", "reflect" => "detected and filled by reflecting the image above it", _ => "kept" }} ({p.BannerMode}).",
            string.Create(Inv, $"Crop margins (px): top {p.Crop.Top}, bottom {p.Crop.Bottom}, left {p.Crop.Left}, right {p.Crop.Right}."),
            p.Tiling is { } t
                ? string.Create(Inv, $"Tiling: {t.Size} px tiles every {t.Stride} px; an image's probabilities are the {t.Aggregation} over its tiles; maps mark positions above {t.MapThreshold:0.###}.")
                : "Tiling: none; the model reads whole images.",
            p.ResampleNm is { } nm
                ? string.Create(Inv, $"Scale: every image is resampled to {nm:0.###} nm per pixel before the model sees it.")
                : "Scale: images are not resampled; the model assumes new images share the training images' pixel size.",
            p.InputSize is { } size
                ? string.Create(Inv, $"Network input: {p.InputMode}, {size}×{size} px, normalisation {p.Normalisation}.")
                : $"Model input: {p.InputMode}.",
        };
        if (p.FeatureSet is { } f)
            lines.Add(string.Create(Inv, $"Features: {f.Count} {f.Name} features, lengths in {f.LengthUnit}")
                + (f.NmPerPixel is { } fnm ? string.Create(Inv, $" at {fnm:0.###} nm per pixel.") : "."));
        lines.Add($"Object masks: {p.Masks}.");
        lines.Add(p.IntensityMapping is { } mapping ? $"Microscope intensities wider than 8 bits: {mapping}." : "Intensity mapping: not recorded.");
        return new Section("Preprocessing", lines);
    }

    static Section Regime(ModelPackageManifest m)
    {
        var lines = new List<string> { $"Model: {m.ModelKind}.", string.Create(Inv, $"Seed: {m.Provenance.Seed}.") };
        if (m.AutoMl is { } search)
            lines.Add($"Chosen by an AutoML search: {search.Winner} {search.WinnerSettings}".TrimEnd() + ".");
        if (m.Provenance.Facts.TryGetValue("retrained_from", out var parent))
        {
            lines.Add($"Retrained from {parent}, whose training settings it carries over; overridden on the retrain command line: "
                + m.Provenance.Facts.GetValueOrDefault("retrain_settings_overridden", "not recorded") + ".");
        }
        var facts = m.Provenance.Facts.Where(f => !f.Key.StartsWith("validation_", StringComparison.Ordinal)).OrderBy(f => f.Key, StringComparer.Ordinal).ToList();
        if (facts.Count == 0)
            lines.Add("Hyper-parameters of the final fit: not recorded.");
        List<IReadOnlyList<string>>? table = facts.Count == 0 ? null : [["setting", "value"], .. facts.Select(f => (IReadOnlyList<string>)[f.Key.Replace('_', ' '), f.Value])];
        return new Section("Training regime", lines, table);
    }

    static Section Metrics(ModelPackageManifest m)
    {
        var facts = m.Provenance.Facts;
        if (m.Metrics.Count == 0)
            return new Section("Validation", ["No validation figures are recorded: the package was trained without a validation split "
                + "(e.g. --validation 0), so how well it generalises is unknown. Benchmark the data set to measure it."]);
        var lines = new List<string>();
        if (facts.TryGetValue("validation_split", out var split))
            lines.Add($"Split: {split}.");
        int? items = facts.TryGetValue("validation_items", out var n) && int.TryParse(n, NumberStyles.Integer, Inv, out var parsed) && parsed > 0 ? parsed : null;
        if (items is not null)
            lines.Add(string.Create(Inv, $"{items} held-out images."));
        lines.Add("The figures come from a fit that never saw the held-out images; the packaged model was then fitted on all its training images.");
        List<IReadOnlyList<string>> table = [["metric", "value", "spread or 95% interval"]];
        foreach (var (name, s) in m.Metrics.OrderBy(x => x.Key, StringComparer.Ordinal))
            table.Add([name.Replace('_', ' '), ReportNumber.Sig(s.Mean), Spread(name, s, items)]);
        return new Section("Validation", lines, table);
    }

    // A spread only from what is stored: SD over folds, or a Wilson interval for an accuracy from one split of known size.
    static string Spread(string name, MetricSummary s, int? items)
    {
        if (s.Sd is { } sd && s.N > 1)
            return string.Create(Inv, $"± {ReportNumber.Sig(sd)} SD over {s.N} folds");
        if (name == "accuracy" && items is { } n && s.Mean is >= 0 and <= 1)
        {
            const double z = 1.959964;
            var centre = (s.Mean + (z * z / (2 * n))) / (1 + (z * z / n));
            var half = z / (1 + (z * z / n)) * Math.Sqrt((s.Mean * (1 - s.Mean) / n) + (z * z / (4.0 * n * n)));
            return string.Create(Inv, $"{ReportNumber.Sig(Math.Max(0, centre - half))} to {ReportNumber.Sig(Math.Min(1, centre + half))} (Wilson, n = {n})");
        }
        return "none recorded (single split)";
    }

    static Section Thresholds(ModelPackageManifest m)
    {
        if (m.Thresholds.Count == 0 && m.ThresholdEstimates is not { Count: > 0 })
            return new Section("Thresholds", ["None: the model answers every image with its most probable class; expected coverage is 100% by construction."]);
        var lines = new List<string> { "A prediction below its class's threshold is answered 'uncertain'." };
        if (m.ThresholdEstimates is not { Count: > 0 })
            lines.Add("Expected coverage: not recorded (thresholds were set by hand, not derived with --threshold auto:P).");
        List<IReadOnlyList<string>> table = [["class", "threshold", "target precision", "expected coverage", "expected precision"]];
        foreach (var name in m.ClassNames)
        {
            var estimate = m.ThresholdEstimates?.GetValueOrDefault(name);
            table.Add([name, m.Thresholds.TryGetValue(name, out var t) ? ReportNumber.Sig(t) : "none",
                estimate?.TargetPrecision.ToString("F2", Inv) ?? "-", (estimate is null ? null : ReportNumber.Percent(estimate.ExpectedCoverage)) ?? "-",
                (estimate is null ? null : ReportNumber.Sig(estimate.ExpectedPrecision)) ?? "-"]);
        }
        return new Section("Thresholds and expected coverage", lines, table);
    }

    static Section Limits(ModelPackageManifest m)
    {
        var lines = new List<string>
        {
            "It knows only its own classes: an image of anything else is assigned to one of them.",
            "Figures hold for data like the training data; another microscope, stain, magnification or detector can lower them without warning.",
        };
        if (m.TrainingCounts is { Count: > 0 } counts)
        {
            var small = m.ClassNames.Where(c => counts.GetValueOrDefault(c) < 30).ToList();
            if (small.Count > 0)
                lines.Add($"Classes with fewer than 30 training images, whose figures are uncertain: {string.Join(", ", small)}.");
        }
        if (m.Metrics.Count == 0)
            lines.Add("Not validated: no held-out figures are stored.");
        else if (m.Metrics.Values.All(s => s.N <= 1))
            lines.Add("Validated on one split only; the figures carry the noise of that split.");
        if (m.Preprocessing.ResampleNm is null)
            lines.Add("Images at another pixel size than the training images are not rescaled.");
        return new Section("Known limits", lines);
    }

    static Section Provenance(ModelPackageManifest m)
    {
        var p = m.Provenance;
        var lines = new List<string>
        {
            $"Created (UTC): {p.CreatedUtc.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", Inv)}.",
            $"AutoClassify version: {(p.AutoClassifyVersion.Length == 0 ? "not recorded" : p.AutoClassifyVersion)}.",
            p.NativeVersions.Count == 0 ? "Native libraries: not recorded." : "Native libraries: " + string.Join(", ", p.NativeVersions.OrderBy(v => v.Key, StringComparer.Ordinal).Select(v => $"{v.Key} {v.Value}")) + ".",
            $"Command line: {(p.CommandLine.Length == 0 ? "not recorded" : p.CommandLine)}.",
        };
        if (p.DataRoots.Count > 0)
            lines.Add("Data folders: " + string.Join(", ", p.DataRoots) + ".");
        return new Section("Provenance", lines);
    }
}
