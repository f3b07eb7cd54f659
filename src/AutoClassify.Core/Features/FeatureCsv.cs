using System.Globalization;
using System.Text;
using AutoClassify.IO;
using CsvHelper;

namespace AutoClassify.Features;

/// <summary>
/// Writes a feature matrix as CSV: columns <c>path</c>, <c>class</c>, then one per feature name. Numbers use
/// the invariant culture and round-trip exactly, whatever the machine's locale.
/// </summary>
public static class FeatureCsv
{
    /// <summary>
    /// Writes the CSV to <paramref name="path"/> atomically: a temporary file in the same folder is renamed
    /// over the target, so a reader never sees half a file.
    /// </summary>
    public static void Write(string path, FeatureMatrix features, IReadOnlyList<string> relativePaths, IReadOnlyList<string> classNames)
    {
        AtomicFile.Write(path, stream =>
        {
            using var writer = new StreamWriter(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), leaveOpen: true);
            Write(writer, features, relativePaths, classNames);
        });
    }

    /// <summary>Writes the CSV to <paramref name="writer"/>; <paramref name="classNames"/> holds each row's class name.</summary>
    public static void Write(TextWriter writer, FeatureMatrix features, IReadOnlyList<string> relativePaths, IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(relativePaths);
        ArgumentNullException.ThrowIfNull(classNames);
        if (relativePaths.Count != features.Count)
            throw new ArgumentException($"Got {relativePaths.Count} paths for {features.Count} feature rows.", nameof(relativePaths));
        if (classNames.Count != features.Count)
            throw new ArgumentException($"Got {classNames.Count} class names for {features.Count} feature rows.", nameof(classNames));

        using var csv = CsvWriter.Create(writer, CsvCells.WriterOptions, leaveOpen: true);
        csv.WriteField("path");
        csv.WriteField("class");
        foreach (var name in features.Names)
            csv.WriteField(name);
        csv.EndRecord();
        for (var i = 0; i < features.Count; i++)
        {
            csv.WriteField(CsvCells.Protect(relativePaths[i]));
            csv.WriteField(CsvCells.Protect(classNames[i]));
            foreach (var value in features.Rows[i])
                csv.WriteField(value, "R");
            csv.EndRecord();
        }
        csv.Flush();
    }
}
