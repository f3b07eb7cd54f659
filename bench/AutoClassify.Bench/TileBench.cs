using System.Diagnostics;
using System.Globalization;
using AutoClassify.Features;
using AutoClassify.Imaging;
using AutoClassify.Models;
using AutoClassify.Models.Cnn;
using AutoClassify.Packaging;
using AutoClassify.Preprocessing;
using AutoClassify.Tiling;

namespace AutoClassify.Bench;

/// <summary>
/// Tiles/s through the production tiling path (decode, banner crop, cut into tiles, predict every tile, aggregate
/// to the image row, CSV) on 640x480 fields, for a tiled svm-field package and a tiled LipNet-4 package, 2 threads;
/// also with per-image maps written. Uses ncm-sem-6 (../shared/datasets) when present, else generated fields of disks.
/// Also checks that the whole-field features are finite on every field used, and times them on whole fields.
/// </summary>
internal sealed class TileBench : IBenchSuite
{
    const int Threads = 2;
    const string TileText = "128";

    public string Name => "tiles";

    public string Description => "tiles/s through tiling + prediction (+ maps) on 640x480 fields, tiled svm-field and LipNet-4 packages, 2 threads";

    public void Run(BenchOptions options)
    {
        var work = Directory.CreateTempSubdirectory("ac-bench-tiles-");
        try
        {
            var (training, fields, source) = Inputs(options, work.FullName);
            Console.WriteLine(Invariant($"fields: {source}; {fields.Count} prediction fields, training set {training}; tiles {TileText} px; {Threads} threads"));
            CheckFeatures(fields);

            var spec = TileSpec.Parse(TileText);
            var repeat = options.Quick ? 1 : 3;
            Console.WriteLine($"{"package",-18} {"maps",5} {"images/s",9} {"tiles/s",9} {"ms/image",9}");
            foreach (var model in new[] { "svm-field", "lipnet4" })
            {
                var clock = Stopwatch.StartNew();
                using var trained = PackageTrainer.Train(new PackageTrainingOptions
                {
                    DatasetPath = training,
                    Model = model,
                    Seed = 42,
                    Threads = Threads,
                    ValidationShare = 0,
                    Tile = spec,
                    ModelSettings = new ModelSettings { Grid = "coarse", Cnn = new CnnOptions { MaxEpochs = 3, Patience = 3, Threads = Threads } },
                    CommandLine = "bench tiles",
                });
                var path = Path.Combine(work.FullName, model + ".acpkg");
                trained.WriteTo(path);
                Console.WriteLine(Invariant($"  ({model}: trained on {trained.Manifest.Provenance.Facts["training_tiles"]} tiles in {clock.Elapsed.TotalSeconds:F1} s)"));
                using var package = ModelPackage.Open(path);
                Measure(package, fields, maps: null, work.FullName);
                foreach (var maps in new[] { false, true })
                {
                    var best = 0.0;
                    var tiles = 0.0;
                    for (var r = 0; r < repeat; r++)
                    {
                        var (rate, tilesPerImage) = Measure(package, fields, maps ? Path.Combine(work.FullName, "maps") : null, work.FullName);
                        best = Math.Max(best, rate);
                        tiles = tilesPerImage;
                    }
                    Console.WriteLine(Invariant($"{model + " @" + TileText,-18} {(maps ? "yes" : "no"),5} {best,9:F2} {best * tiles,9:F0} {1000 / best,9:F0}"));
                }
            }
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    /// <summary>Images/s (best of the run) and tiles per image for one pass over <paramref name="fields"/>.</summary>
    static (double Rate, double TilesPerImage) Measure(LoadedModelPackage package, IReadOnlyList<string> fields, string? maps, string work)
    {
        var clock = Stopwatch.StartNew();
        long tiles = 0;
        var summary = PackagePredictor.PredictToCsv(package, fields, Path.Combine(work, "predictions.csv"),
            new PredictionOptions { Threads = Threads, BatchSize = 16, MapsDirectory = maps }, row => tiles += row.Map?.Tiles.Count ?? 0);
        if (summary.Failed > 0)
            throw new InvalidOperationException($"{summary.Failed} fields failed");
        return (summary.Total / clock.Elapsed.TotalSeconds, (double)tiles / summary.Total);
    }

    /// <summary>Whole-field features of every prediction field: all finite? And the time per whole field.</summary>
    static void CheckFeatures(IReadOnlyList<string> fields)
    {
        var images = fields.Select(f => ImagePreparation.Prepare(f, null, default).Image).ToList();
        var set = FeatureSet.Field(null);
        var clock = Stopwatch.StartNew();
        var matrix = set.ExtractAll(images, null, Threads);
        var seconds = clock.Elapsed.TotalSeconds;
        var bad = matrix.Rows.Sum(r => r.Count(v => !double.IsFinite(v)));
        var counts = matrix.Rows.Select(r => r[0]).Order().ToArray();
        Console.WriteLine(Invariant(
            $"whole-field features on {images.Count} prepared fields of {images[0].Width}x{images[0].Height}: {bad} non-finite of {matrix.Count * matrix.Dimension}; particles per field {counts[0]:F0}..{counts[^1]:F0} (median {counts[counts.Length / 2]:F0}); {images.Count / seconds:F1} fields/s on {Threads} threads"));
    }

    /// <summary>A small training set (class folders) and the fields to predict: ncm-sem-6 when present, else generated.</summary>
    static (string Training, List<string> Fields, string Source) Inputs(BenchOptions options, string work)
    {
        var ncm = Path.Combine(options.SharedRoot, "datasets", "ncm-sem-6");
        var training = Path.Combine(work, "train");
        var fields = new List<string>();
        if (Directory.Exists(ncm))
        {
            foreach (var dir in Directory.GetDirectories(ncm).Order(StringComparer.Ordinal))
            {
                var images = Directory.GetFiles(dir, "*.jpg").Order(StringComparer.Ordinal).ToList();
                var target = Path.Combine(training, Path.GetFileName(dir));
                Directory.CreateDirectory(target);
                foreach (var image in images.Take(4))
                    File.Copy(image, Path.Combine(target, Path.GetFileName(image)));
                fields.AddRange(images.Skip(4).Take(options.Quick ? 3 : 8));
            }
            return (training, fields, "ncm-sem-6 (640x480 JPEG, banner cropped to 640x448)");
        }

        var generated = Path.Combine(work, "fields");
        Directory.CreateDirectory(generated);
        for (var c = 0; c < 2; c++)
        {
            var target = Path.Combine(training, c == 0 ? "a" : "b");
            Directory.CreateDirectory(target);
            for (var i = 0; i < 4; i++)
                PngWriter.Write(Path.Combine(target, Invariant($"f{i}.png")), Flip(SegmentBench.MakeField(100 * (c + 1) + i), c == 1));
        }
        for (var i = 0; i < (options.Quick ? 12 : 32); i++)
        {
            var path = Path.Combine(generated, Invariant($"field_{i:D2}.png"));
            PngWriter.Write(path, SegmentBench.MakeField(5000 + i));
            fields.Add(path);
        }
        return (training, fields, "generated 640x480 fields of disks");
    }

    // A second class that differs from the first: the intensities inverted.
    static GrayImage Flip(GrayImage image, bool invert)
    {
        if (invert)
        {
            for (var i = 0; i < image.Pixels.Length; i++)
                image.Pixels[i] = 1 - image.Pixels[i];
        }
        return image;
    }

    static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
