using System.Globalization;
using AutoClassify.Dataset;
using AutoClassify.Imaging.Formats;
using AutoClassify.IO;
using AutoClassify.Preprocessing;

namespace AutoClassify.Evaluation;

/// <summary>The pixel size of one image and where it came from.</summary>
public sealed class ImageScaleRecord
{
    /// <summary>The image's path below the data set root.</summary>
    public string Path { get; set; } = "";

    /// <summary>Nanometres per pixel along x; null when unknown.</summary>
    public double? NmPerPixel { get; set; }

    /// <summary>"--nm-per-pixel", a metadata source (e.g. "FEI/Thermo tag 34682 PixelWidth"), or null when unknown.</summary>
    public string? Source { get; set; }
}

/// <summary>The pixel sizes of one class's images.</summary>
public sealed class ClassScale
{
    public string ClassName { get; set; } = "";

    /// <summary>Images of the class whose scale is known.</summary>
    public int Known { get; set; }

    public int Images { get; set; }

    public double? MinNm { get; set; }

    public double? MedianNm { get; set; }

    public double? MaxNm { get; set; }
}

/// <summary>Where every image's scale came from, whether they agree, and the one scale the run measures in.</summary>
public sealed class ScaleSummary
{
    /// <summary>The scale features are measured at (nm per pixel); null when it is unknown or the images disagree.</summary>
    public double? NmPerPixel { get; set; }

    /// <summary>Where <see cref="NmPerPixel"/> came from: "--nm-per-pixel", "--resample-nm", or the metadata sources.</summary>
    public string? Source { get; set; }

    /// <summary>The common nm per pixel every image was resampled to (<c>--resample-nm</c>); null when not resampled.</summary>
    public double? ResampledToNm { get; set; }

    /// <summary>The intensity mapping of microscope data (see <see cref="IntensityMapping"/>).</summary>
    public string IntensityMapping { get; set; } = Imaging.Formats.IntensityMapping.Name;

    /// <summary>Every image's own scale, in data set order.</summary>
    public List<ImageScaleRecord> Images { get; set; } = [];

    /// <summary>Scales per class, in label order.</summary>
    public List<ClassScale> PerClass { get; set; } = [];

    /// <summary>True when the classes' median scales differ by more than 1 %: models may learn the magnification.</summary>
    public bool ClassesDiffer { get; set; }

    /// <summary>Disagreements and metadata problems, one sentence each.</summary>
    public List<string> Warnings { get; set; } = [];
}

/// <summary>
/// Reads every image's pixel size (the flag, else the file's own metadata: microscope headers, TIFF vendor tags,
/// TIFF resolution tags, else the data banner's scale bar read by OCR) and decides the run's scale. Precedence:
/// <c>--nm-per-pixel</c>, then metadata, then the banner.
/// </summary>
public static class ScaleSurvey
{
    /// <summary>Scales within this relative difference count as equal.</summary>
    public const double Tolerance = 0.01;

    /// <summary>Surveys the scales of a data set's images.</summary>
    /// <param name="dataset">The validated data set.</param>
    /// <param name="nmPerPixel">The user's <c>--nm-per-pixel</c>, which overrides every file's metadata; null to read metadata.</param>
    /// <param name="resampleNm">The <c>--resample-nm</c> target, or null.</param>
    public static ScaleSummary Build(LabeledDataset dataset, double? nmPerPixel, double? resampleNm = null) => Build(dataset, nmPerPixel, resampleNm, threads: 0);

    /// <summary>
    /// As <see cref="Build(LabeledDataset, double?, double?)"/> on <paramref name="threads"/> workers (0 = all cores).
    /// Headers and metadata are read without pixels; a file that declares no scale is decoded for its banner, one image
    /// per worker at a time, and dropped once its scale bar is read.
    /// </summary>
    public static ScaleSummary Build(LabeledDataset dataset, double? nmPerPixel, double? resampleNm, int threads)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentOutOfRangeException.ThrowIfNegative(threads);
        var summary = new ScaleSummary { ResampledToNm = resampleNm };
        var byFile = new Dictionary<string, ScaleReading>(StringComparer.Ordinal);
        if (nmPerPixel is null)
        {
            // Files without metadata are decoded for their banner's scale bar: read them in parallel, once per file.
            var files = dataset.Items.Select(i => (File: EmPath.FileOf(i.FullPath), i.FullPath)).DistinctBy(f => f.File, StringComparer.Ordinal).ToArray();
            var readings = new ScaleReading[files.Length];
            Parallel.For(0, files.Length, new ParallelOptions { MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount },
                i => readings[i] = ImageScales.ReadOrBanner(files[i].FullPath));
            for (var i = 0; i < files.Length; i++)
                byFile[files[i].File] = readings[i];
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in dataset.Items)
        {
            if (nmPerPixel is { } flag)
            {
                summary.Images.Add(new ImageScaleRecord { Path = item.RelativePath, NmPerPixel = flag, Source = "--nm-per-pixel" });
                continue;
            }
            var file = EmPath.FileOf(item.FullPath);
            var reading = byFile[file];
            if (seen.Add(file))
            {
                foreach (var warning in reading.Warnings.Select(w => w.Replace(dataset.Root + System.IO.Path.DirectorySeparatorChar, "", StringComparison.Ordinal)))
                {
                    if (!summary.Warnings.Contains(warning, StringComparer.Ordinal))
                        summary.Warnings.Add(warning);
                }
                if (reading.Scale is { } s && Math.Abs(s.Size.NanometresX - s.Size.NanometresY) > Tolerance * s.Size.NanometresX)
                    summary.Warnings.Add(string.Create(CultureInfo.InvariantCulture,
                        $"'{item.RelativePath}': pixels are not square ({s.Size.NanometresX:G4} x {s.Size.NanometresY:G4} nm); the x size is used"));
            }
            summary.Images.Add(new ImageScaleRecord { Path = item.RelativePath, NmPerPixel = reading.Scale?.Size.NanometresX, Source = reading.Scale?.Source });
        }

        for (var k = 0; k < dataset.ClassNames.Count; k++)
        {
            var known = dataset.Items.Select((item, i) => (item, i)).Where(p => p.item.Label == k)
                .Select(p => summary.Images[p.i].NmPerPixel).ToList();
            var values = known.OfType<double>().Order().ToList();
            summary.PerClass.Add(new ClassScale
            {
                ClassName = dataset.ClassNames[k],
                Images = known.Count,
                Known = values.Count,
                MinNm = values.Count > 0 ? values[0] : null,
                MedianNm = values.Count > 0 ? OrderStatistics.Median(values.Order().ToArray()) : null,
                MaxNm = values.Count > 0 ? values[^1] : null,
            });
        }
        var medians = summary.PerClass.Select(c => c.MedianNm).OfType<double>().ToList();
        summary.ClassesDiffer = medians.Count > 1 && !Agree(medians);
        if (summary.ClassesDiffer && resampleNm is null)
            summary.Warnings.Add("The pixel size differs between classes (see the table): a model can learn the magnification instead of the specimen. Rescale every image to one scale with --resample-nm X.");

        var all = summary.Images.Select(i => i.NmPerPixel).ToList();
        var knownAll = all.OfType<double>().Order().ToList();
        var unknown = all.Count - knownAll.Count;
        if (resampleNm is { } target)
        {
            (summary.NmPerPixel, summary.Source) = (target, "--resample-nm");
        }
        else if (nmPerPixel is { } given)
        {
            (summary.NmPerPixel, summary.Source) = (given, "--nm-per-pixel");
        }
        else if (knownAll.Count > 0 && unknown > 0)
        {
            summary.Warnings.Add(string.Create(CultureInfo.InvariantCulture,
                $"{knownAll.Count} image(s) declare a pixel size and {unknown} do not: sizes stay in pixels. Give --nm-per-pixel, or --resample-nm X to rescale the images that have one (the others are then refused)."));
        }
        else if (knownAll.Count > 0 && !Agree(knownAll))
        {
            summary.Warnings.Add(string.Create(CultureInfo.InvariantCulture,
                $"The images' pixel sizes disagree ({knownAll[0]:G4} to {knownAll[^1]:G4} nm): sizes stay in pixels. Use --resample-nm X to bring every image to one scale."));
        }
        else if (knownAll.Count > 0)
        {
            summary.NmPerPixel = OrderStatistics.Median(knownAll.Order().ToArray());
            summary.Source = string.Join("; ", summary.Images.Select(i => i.Source).OfType<string>().Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));
        }
        return summary;
    }

    /// <summary>
    /// Resamples every prepared image (indexed like the survey's images) to <paramref name="targetNm"/>; throws
    /// <see cref="ArgumentException"/> listing the images whose scale is unknown, since they cannot be resampled.
    /// </summary>
    public static PreparedImage[] Resample(IReadOnlyList<PreparedImage> prepared, ScaleSummary scales, double targetNm)
    {
        ArgumentNullException.ThrowIfNull(prepared);
        var resample = Resampler(scales, targetNm);
        var result = new PreparedImage[prepared.Count];
        Parallel.For(0, result.Length, i => result[i] = resample(i, prepared[i]));
        return result;
    }

    /// <summary>
    /// What <see cref="Resample"/> does to the image with index i, one image at a time; throws as it does, before any
    /// image is touched, when a scale is unknown.
    /// </summary>
    public static Func<int, PreparedImage, PreparedImage> Resampler(ScaleSummary scales, double targetNm)
    {
        ArgumentNullException.ThrowIfNull(scales);
        var unknown = scales.Images.Where(i => i.NmPerPixel is null).Select(i => i.Path).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"--resample-nm needs every image's pixel size, but {unknown.Count} image(s) declare none: {string.Join(", ", unknown.Take(10))}{(unknown.Count > 10 ? ", ..." : "")}. Give --nm-per-pixel for the whole set, or remove them."));
        return (i, image) => ScaleResampling.Apply(image, scales.Images[i].NmPerPixel!.Value, targetNm);
    }

    /// <summary>
    /// The least factor each image (by index) is read reduced by before <see cref="Resampler"/> shrinks it to
    /// <paramref name="targetNm"/> (<see cref="ScaleResampling.DecodeFactor"/>); 1 where the scale is unknown.
    /// </summary>
    public static Func<int, int> DecodeFactors(ScaleSummary scales, double targetNm)
    {
        ArgumentNullException.ThrowIfNull(scales);
        return i => scales.Images[i].NmPerPixel is { } nm ? ScaleResampling.DecodeFactor(nm, targetNm) : 1;
    }

    static bool Agree(List<double> values) => values.Max() <= values.Min() * (1 + Tolerance);
}
