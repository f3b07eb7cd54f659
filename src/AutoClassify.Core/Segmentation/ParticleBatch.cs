using AutoClassify.Dataset;
using AutoClassify.Native;
using AutoClassify.Preprocessing;
using AutoClassify.Reporting;

namespace AutoClassify.Segmentation;

/// <summary>Settings of <see cref="ParticleBatch.Run"/>.</summary>
public sealed class ParticleBatchOptions
{
    /// <summary>Margins cut from every image before segmentation (e.g. an SEM data banner).</summary>
    public CropMargins Crop { get; init; }

    /// <summary>Images segmented at once; 0 = all cores.</summary>
    public int Threads { get; init; }

    public ParticleSegmentationOptions Segmentation { get; init; } = new();
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

    /// <summary>Path (relative to <see cref="OutputDirectory"/>) of an image's 16-bit label PNG.</summary>
    public static string LabelPath(string imagePath) => "labels/" + imagePath + ".labels.png";
}

/// <summary>
/// Segments every image under a folder (recursively; no class folders needed) and writes, under the output
/// folder: <c>labels/…labels.png</c> (16-bit), <c>overlays/…overlay.png</c>, <c>particles.csv</c>,
/// <c>summary.csv</c> and <c>index.html</c>. An unreadable image is listed as an error and the batch goes on.
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
            throw new ArgumentException($"No images (PNG, JPEG, TIFF, BMP) under '{root}'.", nameof(root));

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
                var image = ImageCodec.Decode(files[i]);
                if (!options.Crop.IsNone)
                    image = image.Crop(options.Crop.Top, options.Crop.Bottom, options.Crop.Left, options.Crop.Right);
                var segmentation = segmenter.Segment(image);
                ParticleOutput.SaveLabels(segmentation, Path.Combine(output, ParticleBatchResult.LabelPath(relative)));
                ParticleOutput.SaveOverlay(image, segmentation, Path.Combine(output, ParticleBatchResult.OverlayPath(relative)));
                images[i] = SegmentedImage.From(relative, segmentation);
            }
            catch (ImageDecodeException e)
            {
                errors[i] = new ParticleBatchError(relative, e.Reason);
            }
            catch (Exception e) when (e is ArgumentException or NativeException or IOException or UnauthorizedAccessException)
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

    /// <summary>Image files under <paramref name="root"/> in ordinal path order, skipping masks and the output folder.</summary>
    internal static List<string> FindImages(string root, string output)
    {
        var outputPrefix = output.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        // Links are never followed (no loops, nothing counted twice); unreadable folders are passed over.
        return DataTree.Scan(root).Files
            .Where(f => DatasetLoader.ImageExtensions.Contains(Path.GetExtension(f)))
            .Where(f => !f.EndsWith(DatasetLoader.MaskSuffix, StringComparison.OrdinalIgnoreCase))
            .Where(f => !f.StartsWith(outputPrefix, StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToList();
    }
}
