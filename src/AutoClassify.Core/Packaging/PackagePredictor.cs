using System.Globalization;
using AutoClassify.Dataset;
using AutoClassify.Evaluation;
using AutoClassify.Preprocessing;
using AutoClassify.Reporting;
using CsvHelper;

namespace AutoClassify.Packaging;

/// <summary>The outcome for one image: its probabilities, or the reason it could not be read.</summary>
/// <param name="Path">The image file as given or found.</param>
/// <param name="PredictedClass">Index of the most probable class (lowest index on ties); -1 when <see cref="Error"/> is set.</param>
/// <param name="Probabilities">Class probabilities, indexed like the manifest's class names; empty on error.</param>
/// <param name="Abstained">True when the top probability is below the predicted class's threshold.</param>
/// <param name="Error">Why the image could not be read, or null.</param>
public sealed record ImagePrediction(string Path, int PredictedClass, double[] Probabilities, bool Abstained, string? Error);

/// <summary>Settings of a prediction run.</summary>
public sealed class PredictionOptions
{
    /// <summary>Worker threads; 0 means all cores.</summary>
    public int Threads { get; init; }

    /// <summary>Images decoded and predicted together; memory stays proportional to this, not to the input count.</summary>
    public int BatchSize { get; init; } = 256;

    public void Validate()
    {
        if (Threads < 0)
            throw new ArgumentException($"--threads must be zero or more, not {Threads}.");
        if (BatchSize < 1)
            throw new ArgumentException($"The batch size must be at least 1, not {BatchSize}.");
    }
}

/// <summary>Counts of a finished prediction run.</summary>
public sealed record PredictionRunSummary(long Total, long Failed);

/// <summary>
/// Applies a loaded package to image files in batches: decode and crop as the manifest says (with a
/// sibling <c>&lt;name&gt;.mask.png</c> when present, as in training), predict, flag abstentions. An image
/// that cannot be read yields a row with its error; the run goes on.
/// </summary>
public static class PackagePredictor
{
    /// <summary>
    /// Expands the command line's inputs: a folder gives its image files (recursively, masks and hidden
    /// entries excluded, sorted ordinally); a file is taken as is, whatever it holds.
    /// </summary>
    public static IReadOnlyList<string> CollectInputs(IEnumerable<string> pathsOrFolders)
    {
        ArgumentNullException.ThrowIfNull(pathsOrFolders);
        var result = new List<string>();
        foreach (var input in pathsOrFolders)
        {
            if (Directory.Exists(input))
            {
                // Paths keep the form the user typed (relative stays relative), so the CSV reads like the command line.
                var root = input;
                result.AddRange(Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
                    .Where(f => DatasetLoader.ImageExtensions.Contains(Path.GetExtension(f))
                        && !f.EndsWith(DatasetLoader.MaskSuffix, StringComparison.OrdinalIgnoreCase)
                        && !Path.GetRelativePath(root, f).Split(Path.DirectorySeparatorChar).Any(p => p.StartsWith('.')))
                    .Order(StringComparer.Ordinal));
            }
            else if (File.Exists(input))
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
        var classes = package.Manifest.ClassNames;
        AtomicFile.Write(csvPath, stream =>
        {
            using var csv = CsvWriter.Create(stream, new CsvWriterOptions { FormatProvider = CultureInfo.InvariantCulture }, leaveOpen: true);
            csv.WriteHeader(["path", "predicted_class", .. classes.Select(c => "p_" + c), "abstained", "error"]);
            foreach (var row in Predict(package, files, options, cancellationToken))
            {
                total++;
                csv.WriteField(row.Path);
                if (row.Error is null)
                {
                    csv.WriteField(classes[row.PredictedClass]);
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
                    csv.WriteField(row.Error);
                }
                csv.EndRecord();
                onPredicted?.Invoke(row);
            }
        });
        return new PredictionRunSummary(total, failed);
    }

    static IEnumerable<ImagePrediction> PredictBatches(LoadedModelPackage package, IEnumerable<string> files,
        PredictionOptions options, CancellationToken cancellationToken)
    {
        var crop = package.Manifest.Preprocessing.Crop.ToMargins();
        var banner = package.Manifest.Preprocessing.BannerTreatment();
        var threads = options.Threads > 0 ? options.Threads : Environment.ProcessorCount;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = threads, CancellationToken = cancellationToken };
        foreach (var batch in files.Chunk(options.BatchSize))
        {
            var prepared = new PreparedImage?[batch.Length];
            var errors = new string?[batch.Length];
            Parallel.For(0, batch.Length, parallel, i => (prepared[i], errors[i]) = TryPrepare(batch[i], crop, banner));

            var ok = Enumerable.Range(0, batch.Length).Where(i => prepared[i] is not null).ToArray();
            var probabilities = ok.Length == 0 ? [] : package.Model.PredictProbabilities(ok.Select(i => prepared[i]!).ToArray(), threads);
            Array.Clear(prepared);
            var next = 0;
            for (var i = 0; i < batch.Length; i++)
            {
                if (errors[i] is { } error)
                {
                    yield return new ImagePrediction(batch[i], -1, [], false, error);
                    continue;
                }
                var p = probabilities[next++];
                var top = ModelResultBuilder.Decide(p);
                yield return new ImagePrediction(batch[i], top, p, p[top] < package.Manifest.ThresholdOf(top), null);
            }
        }
    }

    static (PreparedImage?, string?) TryPrepare(string path, CropMargins crop, BannerMode banner)
    {
        try
        {
            var mask = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, Path.GetFileNameWithoutExtension(path) + DatasetLoader.MaskSuffix);
            return (ImagePreparation.Prepare(path, File.Exists(mask) ? mask : null, crop, banner), null);
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
            return (null, $"Cannot prepare image '{path}': {ex.Message}");
        }
    }
}
