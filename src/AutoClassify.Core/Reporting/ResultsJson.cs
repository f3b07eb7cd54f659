using System.Text.Json;
using AutoClassify.Evaluation;
using AutoClassify.IO;

namespace AutoClassify.Reporting;

/// <summary>Reads and writes <see cref="BenchmarkResult"/> as indented, culture-independent JSON (results.json).</summary>
public static class ResultsJson
{
    /// <summary>camelCase properties; NaN written as "NaN" (an undefined SD is NaN); non-ASCII letters kept readable (<see cref="JsonFormat.Results"/>).</summary>
    public static JsonSerializerOptions Options => JsonFormat.Results;

    public static string Serialize(BenchmarkResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return JsonSerializer.Serialize(result, Options);
    }

    public static BenchmarkResult Deserialize(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return JsonSerializer.Deserialize<BenchmarkResult>(json, Options)
            ?? throw new JsonException("results.json holds null instead of a benchmark result.");
    }

    /// <summary>Reads a results.json written by <see cref="ResultsJsonExporter"/>.</summary>
    public static BenchmarkResult Read(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        try
        {
            return Deserialize(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{path}' is not a valid AutoClassify results file: {e.Message}", e);
        }
    }
}
