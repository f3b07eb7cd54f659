using System.Globalization;
using System.Text;
using System.Text.Json;
using AutoClassify.Evaluation.Segmentation;
using AutoClassify.IO;
using CsvHelper;

namespace AutoClassify.Reporting;

/// <summary>
/// Writes a segmentation benchmark: <c>results.json</c> (settings, each model's settings and wall time, every fold's
/// scores, facts and curves, the mean ± SD per model), <c>per_image.csv</c>, <c>folds.csv</c> and the HTML report <c>index.html</c>. Every file is
/// written atomically; numbers are invariant, undefined ones are empty (CSV) or null (JSON).
/// </summary>
public static class SegmentBenchmarkFiles
{
    public const int SchemaVersion = 1;

    /// <summary>The leading columns of <c>per_image.csv</c>; the metric keys follow.</summary>
    public static IReadOnlyList<string> PerImageColumns { get; } =
        ["model", "fold", "image", "width", "height", "predict_seconds", "true_objects_measured", "predicted_objects_measured", "scale_factor"];

    /// <summary>The leading columns of <c>folds.csv</c>; the metric keys follow.</summary>
    public static IReadOnlyList<string> FoldColumns { get; } = ["model", "fold", "train_images", "test_images", "training_seconds"];

    public static void WriteAll(SegmentBenchmarkResult result, string outputDirectory)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentException.ThrowIfNullOrWhiteSpace(outputDirectory);
        Directory.CreateDirectory(outputDirectory);
        AtomicFile.WriteAllBytes(Path.Combine(outputDirectory, "results.json"), Json(result));
        WriteCsv(Path.Combine(outputDirectory, "per_image.csv"), w => WritePerImage(w, result));
        WriteCsv(Path.Combine(outputDirectory, "folds.csv"), w => WriteFolds(w, result));
        AtomicFile.WriteAllText(Path.Combine(outputDirectory, "index.html"), SegmentBenchmarkReport.Render(result));
    }

    /// <summary>The results as indented UTF-8 JSON.</summary>
    public static byte[] Json(SegmentBenchmarkResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        using var stream = new MemoryStream();
        using (var j = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            j.WriteStartObject();
            j.WriteNumber("schema_version", SchemaVersion);
            j.WriteString("tool", "autoclassify segment-benchmark");
            j.WriteString("started_utc", result.Started.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
            j.WriteNumber("wall_seconds", Math.Round(result.WallTime.TotalSeconds, 3));
            j.WriteNumber("seed", result.Seed);
            j.WriteStartObject("data");
            j.WriteString("root", result.Root);
            j.WriteString("mask_kind", KindName(result.Kind));
            j.WriteBoolean("mask_kind_detected", result.KindDecision.Detected);
            j.WriteString("mask_kind_reason", result.KindDecision.Reason);
            j.WriteStartArray("classes");
            foreach (var c in result.ClassNames)
                j.WriteStringValue(c);
            j.WriteEndArray();
            if (result.NmPerPixel is { } scale)
                j.WriteNumber("nm_per_pixel", scale);
            else
                j.WriteNull("nm_per_pixel");
            j.WriteString("banner", result.BannerMode);
            j.WriteNumber("banners_found", result.BannersFound);
            j.WriteStartArray("images");
            for (var i = 0; i < result.ImagePaths.Count; i++)
            {
                j.WriteStartObject();
                j.WriteString("path", result.ImagePaths[i]);
                j.WriteNumber("fold", result.FoldOfImage[i] + 1);
                j.WriteEndObject();
            }
            j.WriteEndArray();
            j.WriteEndObject();
            j.WriteStartObject("folds");
            j.WriteNumber("count", result.FoldCount);
            j.WriteString("method", result.FoldMethod);
            j.WriteEndObject();
            j.WriteStartArray("metrics");
            foreach (var k in result.MetricKeys)
                j.WriteStringValue(k);
            j.WriteEndArray();
            j.WriteStartArray("models");
            foreach (var m in result.Models)
            {
                j.WriteStartObject();
                j.WriteString("name", m.Model);
                if (m.Error is null)
                    j.WriteNull("error");
                else
                    j.WriteString("error", m.Error);
                j.WriteNumber("wall_seconds", Math.Round(m.WallTime.TotalSeconds, 3));
                j.WriteStartObject("settings");
                foreach (var (key, value) in m.Settings)
                    j.WriteString(key, value);
                j.WriteEndObject();
                j.WriteStartObject("scores");
                foreach (var (key, value) in m.Scores)
                {
                    j.WriteStartObject(key);
                    Number(j, "mean", value.Mean);
                    Number(j, "sd", value.Sd);
                    j.WriteNumber("folds", value.Count);
                    j.WriteEndObject();
                }
                j.WriteEndObject();
                j.WriteStartArray("folds");
                foreach (var f in m.Folds)
                {
                    j.WriteStartObject();
                    j.WriteNumber("fold", f.Fold + 1);
                    j.WriteNumber("train_images", f.TrainImages);
                    j.WriteNumber("test_images", f.TestImages);
                    j.WriteNumber("training_seconds", Math.Round(f.Training.TrainingTime.TotalSeconds, 3));
                    j.WriteStartObject("facts");
                    foreach (var (key, value) in f.Training.Facts.OrderBy(p => p.Key, StringComparer.Ordinal))
                        j.WriteString(key, value);
                    j.WriteEndObject();
                    j.WriteStartObject("curves");
                    foreach (var (key, values) in f.Training.Curves.OrderBy(p => p.Key, StringComparer.Ordinal))
                    {
                        j.WriteStartArray(key);
                        foreach (var v in values)
                            NumberValue(j, v);
                        j.WriteEndArray();
                    }
                    j.WriteEndObject();
                    j.WriteStartObject("scores");
                    foreach (var key in result.MetricKeys)
                        Number(j, key, f.Scores.GetValueOrDefault(key, double.NaN));
                    j.WriteEndObject();
                    j.WriteEndObject();
                }
                j.WriteEndArray();
                j.WriteEndObject();
            }
            j.WriteEndArray();
            j.WriteStartArray("warnings");
            foreach (var w in result.Warnings)
                j.WriteStringValue(w);
            j.WriteEndArray();
            j.WriteEndObject();
        }
        return stream.ToArray();
    }

    /// <summary>One row per model and test image: its fold, size, prediction time, object counts and every score.</summary>
    public static void WritePerImage(TextWriter writer, SegmentBenchmarkResult result)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(result);
        using var csv = CsvWriter.Create(writer, CsvCells.WriterOptions, leaveOpen: true);
        foreach (var name in PerImageColumns.Concat(result.MetricKeys))
            csv.WriteField(name);
        csv.EndRecord();
        foreach (var m in result.Models)
        {
            foreach (var r in m.Images)
            {
                csv.WriteField(CsvCells.Protect(r.Model));
                csv.WriteField(r.Fold + 1);
                csv.WriteField(CsvCells.Protect(r.Path));
                csv.WriteField(r.Width);
                csv.WriteField(r.Height);
                csv.WriteField(Math.Round(r.PredictTime.TotalSeconds, 4), "R");
                csv.WriteField(r.TrueDiameters.Length);
                csv.WriteField(r.PredictedDiameters.Length);
                if (r.ScaleFactor is { } factor)
                    csv.WriteField(Math.Round(factor, 5), "R");
                else
                    csv.WriteField("");
                foreach (var key in result.MetricKeys)
                    Field(csv, r.Scores.GetValueOrDefault(key, double.NaN));
                csv.EndRecord();
            }
        }
    }

    /// <summary>One row per model and fold: sizes, training time and the fold's scores.</summary>
    public static void WriteFolds(TextWriter writer, SegmentBenchmarkResult result)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(result);
        using var csv = CsvWriter.Create(writer, CsvCells.WriterOptions, leaveOpen: true);
        foreach (var name in FoldColumns.Concat(result.MetricKeys))
            csv.WriteField(name);
        csv.EndRecord();
        foreach (var m in result.Models)
        {
            foreach (var f in m.Folds)
            {
                csv.WriteField(CsvCells.Protect(f.Model));
                csv.WriteField(f.Fold + 1);
                csv.WriteField(f.TrainImages);
                csv.WriteField(f.TestImages);
                csv.WriteField(Math.Round(f.Training.TrainingTime.TotalSeconds, 3), "R");
                foreach (var key in result.MetricKeys)
                    Field(csv, f.Scores.GetValueOrDefault(key, double.NaN));
                csv.EndRecord();
            }
        }
    }

    /// <summary>The command-line and JSON name of a mask kind.</summary>
    public static string KindName(Models.Segmenters.MaskKind kind) => kind switch
    {
        Models.Segmenters.MaskKind.Binary => "binary",
        Models.Segmenters.MaskKind.ClassMap => "class-map",
        _ => "instances",
    };

    static void Field(CsvWriter csv, double value)
    {
        if (double.IsFinite(value))
            csv.WriteField(value, "R");
        else
            csv.WriteField("");
    }

    static void Number(Utf8JsonWriter j, string name, double value)
    {
        j.WritePropertyName(name);
        NumberValue(j, value);
    }

    static void NumberValue(Utf8JsonWriter j, double value)
    {
        if (double.IsFinite(value))
            j.WriteNumberValue(value);
        else
            j.WriteNullValue();
    }

    static void WriteCsv(string path, Action<TextWriter> write) =>
        AtomicFile.Write(path, stream =>
        {
            using var writer = new StreamWriter(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), leaveOpen: true);
            write(writer);
        });
}
