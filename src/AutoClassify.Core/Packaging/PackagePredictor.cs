using System.Globalization;
using AutoClassify.Dataset;
using AutoClassify.Evaluation;
using AutoClassify.Imaging;
using AutoClassify.Imaging.Formats;
using AutoClassify.IO;
using AutoClassify.Preprocessing;
using AutoClassify.Tiling;
using CsvHelper;

namespace AutoClassify.Packaging;

/// <summary>The outcome for one image: its probabilities, or the reason it could not be read.</summary>
/// <param name="Path">The image file as given or found.</param>
/// <param name="PredictedClass">Index of the most probable class (lowest index on ties); -1 when <see cref="Error"/> is set.</param>
/// <param name="Probabilities">Class probabilities, indexed like the manifest's class names; empty on error.</param>
/// <param name="Abstained">True when the top probability is below the predicted class's threshold.</param>
/// <param name="Error">Why the image could not be read, or null.</param>
/// <param name="Map">The per-tile probabilities of a tiled package, or null.</param>
/// <param name="Reduction">The whole factor the image was reduced by under the package's <c>reduce_above_pixels</c> (1: read at full resolution).</param>
public sealed record ImagePrediction(string Path, int PredictedClass, double[] Probabilities, bool Abstained, string? Error, PredictionMap? Map = null,
    int Reduction = 1);

/// <summary>Settings of a prediction run.</summary>
public sealed class PredictionOptions
{
    /// <summary>Worker threads; 0 means all cores.</summary>
    public int Threads { get; init; }

    /// <summary>Images decoded and predicted together; memory stays proportional to this, not to the input count.</summary>
    public int BatchSize { get; init; } = 256;

    /// <summary>
    /// Folder for the per-image maps of a tiled package (<c>&lt;name&gt;.heatmap.png</c>, <c>&lt;name&gt;.overlay.png</c>,
    /// <c>&lt;name&gt;.tiles.csv</c>; see <see cref="PredictionMapRenderer"/>); null writes none.
    /// </summary>
    public string? MapsDirectory { get; init; }

    /// <summary>Class whose probability the heat map shows and the overlay tints; null: the image's predicted class, and every class in the overlay.</summary>
    public string? MapClass { get; init; }

    /// <summary>Probability above which the overlay tints a position; null: the package's (<see cref="PackageTiling.MapThreshold"/>).</summary>
    public double? MapThreshold { get; init; }

    public void Validate()
    {
        if (MapThreshold is { } t && !(t > 0 && t < 1))
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"--map-threshold must lie strictly between 0 and 1, not {t}."));
        if (MapsDirectory is not null && string.IsNullOrWhiteSpace(MapsDirectory))
            throw new ArgumentException("--maps names no folder.");
        if (Threads < 0)
            throw new ArgumentException($"--threads must be zero or more, not {Threads}.");
        if (BatchSize < 1)
            throw new ArgumentException($"The batch size must be at least 1, not {BatchSize}.");
    }
}

/// <summary>Counts of a finished prediction run.</summary>
public sealed record PredictionRunSummary(long Total, long Failed)
{
    /// <summary>The images reduced under the package's <c>reduce_above_pixels</c>, with their factors, in prediction order.</summary>
    public IReadOnlyList<(string Path, int Factor)> Reduced { get; init; } = [];
}

/// <summary>
/// Applies a loaded package to image files in batches: decode and crop as the manifest says (with a
/// sibling <c>&lt;name&gt;.mask.png</c> when present, as in training), predict, flag abstentions. A tiled package
/// cuts each image into its tiles, predicts every tile and aggregates them into the image's probabilities (and
/// writes the image's maps when asked). An image that cannot be read, or is smaller than a tile, yields a row
/// with its error; the run goes on.
/// </summary>
public static class PackagePredictor
{
    /// <summary>
    /// Expands the command line's inputs: a folder gives its image files (recursively, masks and hidden
    /// entries excluded, sorted ordinally); a file is taken as is, whatever it holds. Symbolic links inside a folder
    /// are never followed (their targets inside it are found under their own path); each is passed to
    /// <paramref name="onSkipped"/> with the reason, as are folders that cannot be read.
    /// </summary>
    public static IReadOnlyList<string> CollectInputs(IEnumerable<string> pathsOrFolders, Action<string, string>? onSkipped = null)
    {
        ArgumentNullException.ThrowIfNull(pathsOrFolders);
        var result = new List<string>();
        foreach (var input in pathsOrFolders)
        {
            if (Directory.Exists(input))
            {
                // Paths keep the form the user typed (relative stays relative), so the CSV reads like the command line.
                var root = input;
                var full = Path.GetFullPath(root);
                string AsTyped(string path) => Path.Combine(root, Path.GetRelativePath(full, path));
                var scan = DataTree.Scan(root, name => name.StartsWith('.'));
                result.AddRange(scan.Files
                    .Where(f => DatasetLoader.ImageExtensions.Contains(Path.GetExtension(f))
                        && !f.EndsWith(DatasetLoader.MaskSuffix, StringComparison.OrdinalIgnoreCase))
                    .Select(AsTyped)
                    .Order(StringComparer.Ordinal)
                    .SelectMany(EmFormats.Expand));
                var realRoot = DataTree.RealPath(full) ?? full;
                foreach (var link in scan.Links.Where(l => l.IsFolder || DatasetLoader.ImageExtensions.Contains(Path.GetExtension(l.Path))))
                {
                    var reason = DataTree.Classify(link, realRoot, out var target)
                        ?? $"symbolic link to '{target}' in the same folder; predicted once, there";
                    onSkipped?.Invoke(AsTyped(link.Path), reason);
                }
                foreach (var (folder, reason) in scan.Unreadable)
                    onSkipped?.Invoke(AsTyped(folder), reason);
            }
            else if (File.Exists(input))
            {
                result.AddRange(EmFormats.Expand(input));
            }
            else if (EmPath.Split(input) is { Section: not null } section && File.Exists(section.File))
            {
                result.Add(input);
            }
            else
            {
                throw new FileNotFoundException($"Input '{input}' is neither a file nor a folder.", input);
            }
        }
        return result;
    }

    /// <summary>Predicts the files lazily, one batch at a time, in input order.</summary>
    public static IEnumerable<ImagePrediction> Predict(LoadedModelPackage package, IEnumerable<string> files,
        PredictionOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(package);
        ArgumentNullException.ThrowIfNull(files);
        options ??= new PredictionOptions();
        options.Validate();
        if (options.MapsDirectory is not null && package.Manifest.Preprocessing.Tiling is null)
            throw new ArgumentException($"--maps needs a package trained on tiles (train --tile); '{package.Path}' reads whole images.");
        if (options.MapClass is { } name && !package.Manifest.ClassNames.Contains(name, StringComparer.Ordinal))
            throw new ArgumentException($"--map-class '{name}' is not a class of the model; its classes are {string.Join(", ", package.Manifest.ClassNames)}.");
        return PredictBatches(package, files, options, cancellationToken);
    }

    /// <summary>
    /// Predicts the files into a CSV (<c>path, predicted_class, p_&lt;class&gt;..., abstained, error</c>), written
    /// as it goes into a temporary file that replaces <paramref name="csvPath"/> only when the run completes.
    /// </summary>
    public static PredictionRunSummary PredictToCsv(LoadedModelPackage package, IEnumerable<string> files, string csvPath,
        PredictionOptions? options = null, Action<ImagePrediction>? onPredicted = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(package);
        ArgumentException.ThrowIfNullOrWhiteSpace(csvPath);
        long total = 0, failed = 0;
        var reduced = new List<(string, int)>();
        var classes = package.Manifest.ClassNames;
        AtomicFile.Write(csvPath, stream =>
        {
            using var csv = CsvWriter.Create(stream, CsvCells.WriterOptions, leaveOpen: true);
            csv.WriteHeader(["path", "predicted_class", .. classes.Select(c => "p_" + c), "abstained", "error"]);
            foreach (var row in Predict(package, files, options, cancellationToken))
            {
                total++;
                if (row.Reduction > 1)
                    reduced.Add((row.Path, row.Reduction));
                csv.WriteField(CsvCells.Protect(row.Path));
                if (row.Error is null)
                {
                    csv.WriteField(CsvCells.Protect(classes[row.PredictedClass]));
                    foreach (var p in row.Probabilities)
                        csv.WriteField(p, default);
                    csv.WriteField(row.Abstained ? "true" : "false");
                    csv.WriteField("");
                }
                else
                {
                    failed++;
                    csv.WriteField("");
                    for (var k = 0; k < classes.Count; k++)
                        csv.WriteField("");
                    csv.WriteField("");
                    csv.WriteField(CsvCells.Protect(row.Error));
                }
                csv.EndRecord();
                onPredicted?.Invoke(row);
            }
        });
        return new PredictionRunSummary(total, failed) { Reduced = reduced };
    }

    static IEnumerable<ImagePrediction> PredictBatches(LoadedModelPackage package, IEnumerable<string> files,
        PredictionOptions options, CancellationToken cancellationToken)
    {
        var crop = package.Manifest.Preprocessing.Crop.ToMargins();
        var tiling = package.Manifest.Preprocessing.Tiling;
        var banner = package.Manifest.Preprocessing.BannerTreatment();
        var threads = options.Threads > 0 ? options.Threads : Environment.ProcessorCount;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = threads, CancellationToken = cancellationToken };
        var maps = options.MapsDirectory is null ? null : new MapWriter(options, package.Manifest.ClassNames, tiling!.MapThreshold);
        foreach (var batch in files.Chunk(options.BatchSize))
        {
            var prepared = new PreparedImage?[batch.Length];
            var errors = new string?[batch.Length];
            Parallel.For(0, batch.Length, parallel, i => (prepared[i], errors[i]) = TryPrepare(batch[i], crop, banner, package.Manifest.Preprocessing.ResampleNm,
                package.Manifest.Preprocessing.ReduceAbovePixels));

            var ok = Enumerable.Range(0, batch.Length).Where(i => prepared[i] is not null).ToArray();
            PredictionMap?[] tileMaps;
            double[][] probabilities;
            if (tiling is null)
            {
                probabilities = ok.Length == 0 ? [] : package.Model.PredictProbabilities(ok.Select(i => prepared[i]!).ToArray(), threads);
                tileMaps = new PredictionMap?[ok.Length];
            }
            else
            {
                (probabilities, tileMaps) = PredictTiled(package, tiling, batch, prepared, errors, threads);
                ok = Enumerable.Range(0, batch.Length).Where(i => errors[i] is null).ToArray();
                maps?.Write(batch, prepared, ok, tileMaps!, probabilities, parallel);
            }
            var reductions = prepared.Select(p => p?.Reduction ?? 1).ToArray();
            Array.Clear(prepared);
            var next = 0;
            for (var i = 0; i < batch.Length; i++)
            {
                if (errors[i] is { } error)
                {
                    yield return new ImagePrediction(batch[i], -1, [], false, error);
                    continue;
                }
                var map = tileMaps[next];
                var p = probabilities[next++];
                var top = ModelResultBuilder.Decide(p);
                yield return new ImagePrediction(batch[i], top, p, p[top] < package.Manifest.ThresholdOf(top), null, map, reductions[i]);
            }
        }
    }

    /// <summary>
    /// Probabilities for prepared images as the package's model reads them: whole, or cut into the package's tiles and
    /// aggregated per image (every image must then hold at least one tile). Retrain scores champion and challenger
    /// with it.
    /// </summary>
    public static double[][] PredictPrepared(IPackagedModel model, PackageTiling? tiling, IReadOnlyList<PreparedImage> images, int threads)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(images);
        if (images.Count == 0)
            return [];
        if (tiling is null)
            return model.PredictProbabilities(images, threads);
        if (images.FirstOrDefault(i => i.Image.Width < tiling.Size || i.Image.Height < tiling.Size) is { } small)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"An image of {small.Image.Width}x{small.Image.Height} pixels after preprocessing is smaller than the model's {tiling.Size}-pixel tiles."), nameof(images));
        }
        return PredictTiles(model, tiling, images, threads).Probabilities;
    }

    /// <summary>
    /// Cuts every readable image of a batch into the package's tiles, predicts all tiles at once and aggregates
    /// each image's; an image smaller than a tile gets an error. Returns rows for the images without error, in order.
    /// </summary>
    static (double[][] Probabilities, PredictionMap?[] Maps) PredictTiled(LoadedModelPackage package, PackageTiling tiling, string[] batch,
        PreparedImage?[] prepared, string?[] errors, int threads)
    {
        var size = tiling.ToSpec().Size;
        var usable = new List<PreparedImage>();
        for (var i = 0; i < batch.Length; i++)
        {
            if (prepared[i] is not { } image)
                continue;
            if (image.Image.Width < size || image.Image.Height < size)
            {
                errors[i] = string.Create(CultureInfo.InvariantCulture,
                    $"Image '{batch[i]}' is {image.Image.Width}x{image.Image.Height} after preprocessing, smaller than the model's {size}-pixel tiles.");
                continue;
            }
            usable.Add(image);
        }
        if (usable.Count == 0)
            return ([], []);
        var (probabilities, maps) = PredictTiles(package.Model, tiling, usable, threads);
        return (probabilities, [.. maps]);
    }

    /// <summary>Tiles cut and predicted at once, in pixels: a huge field's tiles never exist all together.</summary>
    const long TilePixelBudget = 1L << 24;

    /// <summary>
    /// Predicts all tiles of the images (each at least one tile large), cut and predicted at most
    /// <see cref="TilePixelBudget"/> pixels of tiles at a time; each image's map and aggregated probabilities, in order.
    /// </summary>
    static (double[][] Probabilities, PredictionMap[] Maps) PredictTiles(IPackagedModel model, PackageTiling tiling, IReadOnlyList<PreparedImage> images, int threads)
    {
        var spec = tiling.ToSpec();
        var aggregation = tiling.ToAggregation();
        var rects = images.Select(i => Tiler.Layout(i.Image.Width, i.Image.Height, spec)).ToArray();
        var tileProbabilities = rects.Select(r => new double[r.Count][]).ToArray();
        var perChunk = (int)Math.Max(1, TilePixelBudget / ((long)spec.Size * spec.Size));
        var chunk = new List<PreparedImage>(Math.Min(perChunk, rects.Sum(r => r.Count)));
        var owners = new List<(int Image, int Tile)>(chunk.Capacity);
        void Flush()
        {
            if (chunk.Count == 0)
                return;
            var predicted = model.PredictProbabilities(chunk, threads);
            for (var k = 0; k < owners.Count; k++)
                tileProbabilities[owners[k].Image][owners[k].Tile] = predicted[k];
            chunk.Clear();
            owners.Clear();
        }
        for (var n = 0; n < images.Count; n++)
        {
            var image = images[n];
            for (var t = 0; t < rects[n].Count; t++)
            {
                var rect = rects[n][t];
                chunk.Add(new PreparedImage(Tiler.Cut(image.Image, rect), image.Mask is null ? null : Tiler.Cut(image.Mask, rect)));
                owners.Add((n, t));
                if (chunk.Count == perChunk)
                    Flush();
            }
        }
        Flush();
        var maps = new PredictionMap[images.Count];
        var probabilities = new double[images.Count][];
        for (var n = 0; n < images.Count; n++)
        {
            var own = rects[n];
            maps[n] = new PredictionMap(own.Max(r => r.X + r.Size), own.Max(r => r.Y + r.Size), own, tileProbabilities[n]);
            probabilities[n] = maps[n].Aggregate(aggregation);
        }
        return (probabilities, maps);
    }

    static (PreparedImage?, string?) TryPrepare(string path, CropMargins crop, BannerMode banner, double? resampleNm, long? reduceAbovePixels)
    {
        try
        {
            var mask = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, Path.GetFileNameWithoutExtension(path) + DatasetLoader.MaskSuffix);
            var maskPath = File.Exists(mask) ? mask : null;
            if (resampleNm is not { } target)
                return (ImagePreparation.Prepare(path, maskPath, crop, banner, reduceAbovePixels), null);
            // The model saw every image at one scale; an image that does not declare its own cannot be brought to it.
            if (ImageScales.ReadOrBanner(path).Scale is not { } scale)
                return (null, string.Create(CultureInfo.InvariantCulture, $"the file declares no pixel size, and the model resamples every image to {target} nm per pixel"));
            var nm = scale.Size.NanometresX;
            var prepared = ImagePreparation.Prepare(path, maskPath, crop, banner, reduceAbovePixels, ScaleResampling.DecodeFactor(nm, target));
            return (ScaleResampling.Apply(prepared, nm, target), null);
        }
        catch (ImageDecodeException ex)
        {
            return (null, ex.Message);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return (null, $"Cannot read image '{path}': {ex.Message}");
        }
        catch (ArgumentException ex)
        {
            return (null, $"Cannot prepare image '{path}': {Messages.Plain(ex.Message)}");
        }
    }

    /// <summary>Writes each tiled image's heat map, overlay and tile CSV, under a file name unique within the run.</summary>
    sealed class MapWriter
    {
        readonly string directory;
        readonly IReadOnlyList<string> classNames;
        readonly int? mapClass;
        readonly double threshold;
        readonly HashSet<string> used = new(StringComparer.OrdinalIgnoreCase);

        public MapWriter(PredictionOptions options, IReadOnlyList<string> classNames, double packageThreshold)
        {
            directory = Path.GetFullPath(options.MapsDirectory!);
            Directory.CreateDirectory(directory);
            this.classNames = classNames;
            mapClass = options.MapClass is { } name ? classNames.ToList().IndexOf(name) : null;
            threshold = options.MapThreshold ?? packageThreshold;
        }

        public void Write(string[] batch, PreparedImage?[] prepared, int[] ok, PredictionMap?[] maps, double[][] probabilities, ParallelOptions parallel)
        {
            // Names are handed out in input order, so a rerun gives every image the same files.
            var stems = ok.Select(i => Path.Combine(directory, Unique(Path.GetFileNameWithoutExtension(batch[i])))).ToArray();
            try
            {
                Parallel.For(0, ok.Length, parallel, n =>
                {
                    var map = maps[n]!;
                    PredictionMapRenderer.WriteHeatMap(stems[n] + ".heatmap.png", map, mapClass ?? ModelResultBuilder.Decide(probabilities[n]));
                    PredictionMapRenderer.WriteOverlay(stems[n] + ".overlay.png", prepared[ok[n]]!.Image, map, threshold, mapClass);
                    PredictionMapRenderer.WriteTileCsv(stems[n] + ".tiles.csv", map, classNames);
                });
            }
            catch (AggregateException ex) when (ex.InnerExceptions.Count == 1)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(ex.InnerExceptions[0]);
            }
        }

        string Unique(string stem)
        {
            var name = stem.Length == 0 ? "image" : stem;
            for (var n = 2; !used.Add(name); n++)
                name = string.Create(CultureInfo.InvariantCulture, $"{stem}_{n}");
            return name;
        }
    }
}
