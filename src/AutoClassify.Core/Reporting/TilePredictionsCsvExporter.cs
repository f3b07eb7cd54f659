using System.Globalization;
using AutoClassify.Evaluation;
using AutoClassify.IO;
using CsvHelper;

namespace AutoClassify.Reporting;

/// <summary>
/// Writes <c>tile_predictions.csv</c> for a tiled run: one row per tile per model with its source image, its square
/// (x, y, size in prepared-image pixels), its test fold (1-based) and class probabilities. Untiled runs get no file.
/// </summary>
public sealed class TilePredictionsCsvExporter : IReportExporter
{
    public const string FileName = "tile_predictions.csv";

    static readonly CsvWriterOptions Options = CsvCells.WriterOptions;

    public string Name => "tile-csv";

    public void Export(BenchmarkResult result, string outDir)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentException.ThrowIfNullOrWhiteSpace(outDir);
        if (result.Tiling is null)
            return;
        AtomicFile.Write(Path.Combine(outDir, FileName), stream => Write(result, stream));
    }

    /// <summary>Writes the CSV to <paramref name="stream"/> (left open); the result must come from a tiled run.</summary>
    public static void Write(BenchmarkResult result, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(stream);
        var tiling = result.Tiling ?? throw new InvalidOperationException("The result is not from a tiled run: it has no tiling block.");
        var classes = result.Dataset.ClassNames;
        using var csv = CsvWriter.Create(stream, Options, leaveOpen: true);

        string[] fixedColumns = ["model", "image_path", "tile_x", "tile_y", "tile_size", "fold", "true_class", "predicted_class"];
        csv.WriteHeader([.. fixedColumns, .. classes.Select(name => "p_" + name)]);
        foreach (var model in result.Models)
        {
            foreach (var p in model.TileLevel?.Predictions ?? [])
            {
                if ((uint)p.Item >= (uint)tiling.Tiles.Count)
                    throw new InvalidOperationException($"Model '{model.Name}' has a prediction for tile {p.Item}, but the result lists {tiling.Tiles.Count} tiles.");
                var tile = tiling.Tiles[p.Item];
                if ((uint)tile.Item >= (uint)result.Items.Count)
                    throw new InvalidOperationException($"Tile {p.Item} belongs to image {tile.Item}, but the result lists {result.Items.Count} images.");
                if (p.Probabilities.Length != classes.Count)
                    throw new InvalidOperationException($"Model '{model.Name}', tile {p.Item}: {p.Probabilities.Length} probabilities for {classes.Count} classes.");
                csv.WriteField(CsvCells.Protect(model.Name));
                csv.WriteField(CsvCells.Protect(result.Items[tile.Item].Path));
                csv.WriteField(tile.X, default);
                csv.WriteField(tile.Y, default);
                csv.WriteField(tiling.Size, default);
                csv.WriteField(p.Fold + 1, default);
                csv.WriteField(CsvCells.Protect(classes[p.TrueLabel]));
                csv.WriteField(CsvCells.Protect(classes[p.PredictedLabel]));
                foreach (var probability in p.Probabilities)
                    csv.WriteField(probability, default);
                csv.EndRecord();
            }
        }
    }
}
