using AutoClassify.Dataset;
using AutoClassify.Imaging;
using AutoClassify.Imaging.Formats;
using AutoClassify.IO;
using AutoClassify.Native;
using AutoClassify.Preprocessing;
using AutoClassify.Segmentation;

namespace AutoClassify.Reporting;

/// <summary>Settings of <see cref="ParticleBatch.Run"/>.</summary>
public sealed record ParticleBatchOptions
{
    /// <summary>Margins cut from every image before segmentation (e.g. an SEM data banner).</summary>
    public CropMargins Crop { get; init; }

    /// <summary>What to do with a data banner found after the crop: cut it off (default), mirror the rows beside it, or keep it.</summary>
    public BannerMode Banner { get; init; } = BannerMode.Crop;

    /// <summary>Images segmented at once; 0 = all cores.</summary>
    public int Threads { get; init; }

    public ParticleSegmentationOptions Segmentation { get; init; } = new();

    /// <summary>
    /// A trained model that draws the particles instead of the classical pipeline; null uses the classical one. With a
    /// model only <see cref="ParticleSegmentationOptions.MinArea"/> and <see cref="ParticleSegmentationOptions.NmPerPixel"/>
    /// of <see cref="Segmentation"/> apply, and its probability maps are written too.
    /// </summary>
    public IParticleLabeler? Labeler { get; init; }

    /// <summary>
    /// Where <see cref="ParticleSegmentationOptions.NmPerPixel"/> came from: "--nm-per-pixel" when given, else the
    /// images' metadata that <see cref="ParticleBatch.Run"/> found (it fills this in).
    /// </summary>
    public string? ScaleSource { get; init; }

    /// <summary>Why the images' own scales were not used (some lack one, or they disagree); null when nothing to say.</summary>
    public string? ScaleWarning { get; init; }

    /// <summary>
    /// Nanometres per pixel every image is rescaled to after the banner (<c>--resample-nm</c>), from its own pixel size
    /// (the flag, its metadata or its banner's scale bar); an image without one is an error row. Null: not resampled.
    /// </summary>
    public double? ResampleNm { get; init; }
}

/// <summary>An image the batch could not use, and why.</summary>
public sealed record ParticleBatchError(string Path, string Reason);

/// <summary>What a batch produced: the images in path order, the failures, and the output folder.</summary>
public sealed record ParticleBatchResult(
    string Root,
    string OutputDirectory,
    IReadOnlyList<SegmentedImage> Images,
    IReadOnlyList<ParticleBatchError> Errors,
    ParticleBatchOptions Options,
    TimeSpan WallTime)
{
    /// <summary>Path (relative to <see cref="OutputDirectory"/>) of an image's overlay PNG.</summary>
    public static string OverlayPath(string imagePath) => "overlays/" + imagePath + ".overlay.png";

    /// <summary>Images in which a data banner was found (and treated as <see cref="ParticleBatchOptions.Banner"/> says).</summary>
    public int BannersFound => Images.Count(i => i.BannerRows > 0);

    /// <summary>Path (relative to <see cref="OutputDirectory"/>) of an image's 16-bit label PNG.</summary>
    public static string LabelPath(string imagePath) => "labels/" + imagePath + ".labels.png";

    /// <summary>
    /// Path (relative to <see cref="OutputDirectory"/>) of a model's probability map of one output channel: an 8-bit grey
    /// PNG, value = round(255 × probability). Channel names are made file-safe (anything but letters, digits, '-' and '_' becomes '_').
    /// </summary>
    public static string ProbabilityPath(string imagePath, string channel) =>
        "probabilities/" + imagePath + "." + new string([.. channel.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_')]) + ".png";
}

/// <summary>
/// Segments every image under a folder (recursively; no class folders needed) and writes, under the output
/// folder: <c>labels/…labels.png</c> (16-bit), <c>overlays/…overlay.png</c>, <c>particles.csv</c>,
/// <c>summary.csv</c> and <c>index.html</c>, plus <c>probabilities/…&lt;channel&gt;.png</c> when a trained model
/// (<see cref="ParticleBatchOptions.Labeler"/>) draws the particles. An image that cannot be read or segmented is
/// listed as an error and the batch goes on.
/// </summary>
public static class ParticleBatch
{
    public static ParticleBatchResult Run(string root, string outputDirectory, ParticleBatchOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        ArgumentException.ThrowIfNullOrWhiteSpace(outputDirectory);
        options ??= new ParticleBatchOptions();
        ArgumentOutOfRangeException.ThrowIfNegative(options.Threads, nameof(options.Threads));
        var segmenter = new ParticleSegmenter(options.Segmentation);
        var fullRoot = Path.GetFullPath(root);
        if (!Directory.Exists(fullRoot))
            throw new DirectoryNotFoundException($"Image folder '{root}' does not exist.");
        var output = Path.GetFullPath(outputDirectory);
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var files = FindImages(fullRoot, output);
        if (files.Count == 0)
            throw new ArgumentException($"No images (PNG, JPEG, TIFF, BMP, {EmFormats.Names}) under '{root}'.", nameof(root));

        var own = ImageScalesOf(options, files);
        options = WithScale(options, own);
        segmenter = new ParticleSegmenter(options.Segmentation);
        var images = new SegmentedImage?[files.Count];
        var errors = new ParticleBatchError?[files.Count];
        var parallel = new ParallelOptions
        {
            MaxDegreeOfParallelism = options.Threads > 0 ? options.Threads : Environment.ProcessorCount,
            CancellationToken = cancellationToken,
        };
        Parallel.For(0, files.Count, parallel, i =>
        {
            var relative = Path.GetRelativePath(fullRoot, files[i]).Replace('\\', '/');
            try
            {
                // An image shrunk 2x or more by --resample-nm is read reduced by the whole part of the shrink.
                var factor = options.ResampleNm is { } shrinkTo && own[i].Scale is { } fileScale ? ScaleResampling.DecodeFactor(fileScale.Size.NanometresX, shrinkTo) : 1;
                // The banner's text and scale bar would otherwise be measured as particles.
                var prepared = ImagePreparation.Prepare(files[i], null, options.Crop, options.Banner, null, factor);
                var banner = prepared.Banner;
                var image = prepared.Image;
                if (options.ResampleNm is { } target)
                {
                    var nm = own[i].Scale?.Size.NanometresX
                        ?? throw new ArgumentException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                            $"the image states no pixel size (no metadata, no readable scale bar), so it cannot be rescaled to {target:G4} nm per pixel; give --nm-per-pixel"));
                    image = ScaleResampling.Apply(prepared, nm, target).Image;
                }
                var (segmentation, probabilityChannels, scaleFactor) = options.Labeler is { } labeler
                    ? Learned(labeler, image, relative, output, options.Segmentation, cancellationToken)
                    : (segmenter.Segment(image), [], null);
                ParticleOutput.SaveLabels(segmentation, Path.Combine(output, ParticleBatchResult.LabelPath(relative)));
                var overlay = ParticleOutput.RenderOverlay(image, segmentation);
                AtomicFile.WriteAllBytes(Path.Combine(output, ParticleBatchResult.OverlayPath(relative)), overlay);
                images[i] = SegmentedImage.From(relative, segmentation) with
                {
                    BannerRows = (banner?.Rows ?? 0) * prepared.Reduction,
                    Preview = ParticleOutput.Preview(image, segmentation),
                    ProbabilityChannels = probabilityChannels,
                    ScaleFactor = scaleFactor,
                };
            }
            catch (ImageDecodeException e)
            {
                errors[i] = new ParticleBatchError(relative, e.Reason);
            }
            catch (Exception e) when (e is ArgumentException or NativeException or IOException or UnauthorizedAccessException or InvalidDataException)
            {
                errors[i] = new ParticleBatchError(relative, e.Message);
            }
        });

        var done = images.OfType<SegmentedImage>().ToList();
        var failed = errors.OfType<ParticleBatchError>().ToList();
        Directory.CreateDirectory(output);
        ParticleOutput.WriteParticles(Path.Combine(output, "particles.csv"), done);
        ParticleOutput.WriteSummaries(Path.Combine(output, "summary.csv"), done);
        var result = new ParticleBatchResult(fullRoot, output, done, failed, options, clock.Elapsed);
        AtomicFile.WriteAllText(Path.Combine(output, "index.html"), ParticleReport.Render(result));
        return result;
    }

    // Also returns the channels whose probability maps were written, for the report's links, and the model's resize factor.
    static (ParticleSegmentation Segmentation, IReadOnlyList<string> ProbabilityChannels, double? ScaleFactor) Learned(IParticleLabeler labeler, GrayImage image, string relative, string output,
        ParticleSegmentationOptions settings, CancellationToken cancellationToken)
    {
        var field = labeler.Label(image, cancellationToken);
        if (field.Instances.Length != image.Width * image.Height)
            throw new InvalidDataException($"the model {labeler.Name} labelled {field.Instances.Length} pixels of a {image.Width}x{image.Height} image");
        if (field.Probabilities is { } probabilities)
        {
            var n = image.Width * image.Height;
            if (probabilities.Length != field.ChannelNames.Count * n)
                throw new InvalidDataException($"the model {labeler.Name} gave {probabilities.Length} probabilities for {field.ChannelNames.Count} channels of a {image.Width}x{image.Height} image");
            for (var c = 0; c < field.ChannelNames.Count; c++)
            {
                var map = new GrayImage(image.Width, image.Height, probabilities.AsSpan(c * n, n).ToArray());
                AtomicFile.WriteAllBytes(Path.Combine(output, ParticleBatchResult.ProbabilityPath(relative, field.ChannelNames[c])), ImageCodec.Encode(map, ImageFileFormat.Png));
            }
        }
        return (ParticleMeasurement.FromLabels(image, field.Instances, settings.MinArea, settings.NmPerPixel),
            field.Probabilities is null ? [] : field.ChannelNames, field.ScaleFactor);
    }

    // Each file's own scale: the flag, else its metadata, else its banner's scale bar (read in parallel: OCR is slow).
    static ScaleReading[] ImageScalesOf(ParticleBatchOptions options, List<string> files)
    {
        if (options.Segmentation.NmPerPixel is { } flag)
            return [.. files.Select(_ => new ScaleReading(new ImageScale(new PixelSize(flag, flag), "--nm-per-pixel"), []))];
        var readings = new ScaleReading[files.Count];
        Parallel.For(0, files.Count, new ParallelOptions { MaxDegreeOfParallelism = options.Threads > 0 ? options.Threads : Environment.ProcessorCount },
            i => readings[i] = ImageScales.ReadOrBanner(files[i]));
        return readings;
    }

    // The flag wins; else every image's own scale, used only when all have one and they agree within 1 %.
    static ParticleBatchOptions WithScale(ParticleBatchOptions options, ScaleReading[] own)
    {
        if (options.ResampleNm is { } target)
        {
            var from = Sources(own.Where(r => !r.Unreadable).Select(r => r.Scale));
            return options with { Segmentation = options.Segmentation with { NmPerPixel = target }, ScaleSource = from.Length == 0 ? "--resample-nm" : "--resample-nm, from " + from };
        }
        if (options.Segmentation.NmPerPixel is not null)
            return options with { ScaleSource = options.ScaleSource ?? "--nm-per-pixel" };
        // Unreadable files become error rows later; they must not hide the others' scale.
        var readings = own.Where(r => !r.Unreadable).Select(r => r.Scale).ToList();
        var known = readings.OfType<ImageScale>().Select(s => s.Size.NanometresX).Order().ToList();
        string? warning = null;
        if (known.Count == 0)
            return options;
        if (known.Count < readings.Count)
            warning = $"{known.Count} of {readings.Count} images declare a pixel size; sizes stay in pixels (give --nm-per-pixel)";
        else if (known[^1] > known[0] * 1.01)
            warning = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"the images' pixel sizes disagree ({known[0]:G4} to {known[^1]:G4} nm); sizes stay in pixels (give --nm-per-pixel, or segment each magnification apart)");
        if (warning is not null)
            return options with { ScaleWarning = warning };
        var source = Sources(readings);
        return options with
        {
            Segmentation = options.Segmentation with { NmPerPixel = known[known.Count / 2] },
            ScaleSource = source,
        };
    }

    static string Sources(IEnumerable<ImageScale?> scales) =>
        string.Join("; ", scales.OfType<ImageScale>().Select(s => s.Source).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));

    /// <summary>Image files under <paramref name="root"/> in natural path order (2 before 10), skipping masks and the output folder.</summary>
    internal static List<string> FindImages(string root, string output)
    {
        var outputPrefix = output.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        // Links are never followed (no loops, nothing counted twice); unreadable folders are passed over.
        return DataTree.Scan(root).Files
            .Where(f => DatasetLoader.ImageExtensions.Contains(Path.GetExtension(f)))
            .Where(f => !f.EndsWith(DatasetLoader.MaskSuffix, StringComparison.OrdinalIgnoreCase))
            .Where(f => !f.StartsWith(outputPrefix, StringComparison.Ordinal))
            .OrderBy(f => Path.GetRelativePath(root, f).Replace('\\', '/'), NaturalOrder.Instance)
            .SelectMany(EmFormats.Expand)
            .ToList();
    }
}
