using System.Globalization;
using AutoClassify.IO;
using CsvHelper;

namespace AutoClassify.Features;

/// <summary>One data row of an extra-features CSV.</summary>
/// <param name="Line">1-based line in the file.</param>
/// <param name="Key">The image it describes, as written (a relative path or a file name).</param>
/// <param name="Values">One value per <see cref="ExtraFeatureTable.Columns"/> entry.</param>
public sealed record ExtraFeatureRow(int Line, string Key, double[] Values);

/// <summary>
/// Extra per-image features from a CSV, such as the measurements a microscope's software exports, read and checked
/// before any work starts.
/// </summary>
/// <remarks>
/// The file has a header. The key column is the first named <c>path</c>, <c>relative_path</c>, <c>file</c>,
/// <c>filename</c>, <c>file_name</c>, <c>image</c> or <c>name</c> (any case), else the first column. Columns named
/// <c>class</c>, <c>label</c> or <c>category</c> are left out, because they would leak the answer. Every other
/// column is a feature, and each of its cells must be a finite number with a '.' decimal point (no thousands
/// separators). The separator (, ; tab or |) is detected. An empty or non-numeric cell is an error naming the file,
/// line and column: a blank in an instrument's export usually means a failed measurement, which should not be
/// papered over silently. Drop such a row instead; its image is then treated as one without a row. A text column
/// (a date, an operator) is reported once, to be removed from the file; it is not skipped silently, because a
/// numeric column written with decimal commas would look just the same.
/// </remarks>
public sealed class ExtraFeatureTable
{
    /// <summary>Header names (any case) taken as the key column, in order of preference.</summary>
    public static readonly IReadOnlyList<string> KeyColumnNames = ["path", "relative_path", "file", "filename", "file_name", "image", "name"];

    /// <summary>Header names (any case) that are never used as features: they would hand the model the label.</summary>
    public static readonly IReadOnlyList<string> LabelColumnNames = ["class", "label", "category"];

    // Enough problems to fix a file in one go without flooding the terminal.
    const int ProblemsShown = 20;

    ExtraFeatureTable(string sourcePath, string keyColumn, IReadOnlyList<string> columns, IReadOnlyList<string> ignoredColumns, IReadOnlyList<ExtraFeatureRow> rows)
    {
        SourcePath = sourcePath;
        KeyColumn = keyColumn;
        Columns = columns;
        IgnoredColumns = ignoredColumns;
        Rows = rows;
    }

    /// <summary>The CSV file (absolute).</summary>
    public string SourcePath { get; }

    public string FileName => Path.GetFileName(SourcePath);

    /// <summary>The header of the column that names the image.</summary>
    public string KeyColumn { get; }

    /// <summary>The feature columns, in file order.</summary>
    public IReadOnlyList<string> Columns { get; }

    /// <summary>Label-like columns that were left out.</summary>
    public IReadOnlyList<string> IgnoredColumns { get; }

    public IReadOnlyList<ExtraFeatureRow> Rows { get; }

    /// <summary>Reads and checks the whole file; throws a <see cref="FormatException"/> listing every bad cell at once.</summary>
    public static ExtraFeatureTable Read(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        path = Path.GetFullPath(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"The extra-features file '{path}' does not exist.", path);
        var name = Path.GetFileName(path);

        using var stream = File.OpenRead(path);
        using var csv = CsvReader.Create(stream, CsvReaderOptions.Default with { TrackLineNumbers = true, TrimWhitespace = true });
        var headers = csv.Headers.Select(h => h.Trim()).ToArray();
        if (headers.Length < 2)
            throw new FormatException($"{name}: the header names {headers.Length} column(s); expected an image column (path or file name) and at least one feature column.");

        var keyIndex = FindKeyColumn(headers);
        var problems = new List<string>();
        foreach (var duplicate in headers.GroupBy(h => h, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
            problems.Add($"column '{duplicate.Key}' appears {duplicate.Count()} times in the header");
        foreach (var empty in headers.Select((h, i) => (h, i)).Where(c => c.h.Length == 0))
            problems.Add($"column {empty.i + 1} has no name in the header");
        var featureIndices = Enumerable.Range(0, headers.Length)
            .Where(i => i != keyIndex && !LabelColumnNames.Contains(headers[i], StringComparer.OrdinalIgnoreCase))
            .ToArray();
        var ignored = Enumerable.Range(0, headers.Length)
            .Where(i => i != keyIndex && LabelColumnNames.Contains(headers[i], StringComparer.OrdinalIgnoreCase))
            .Select(i => headers[i])
            .ToArray();
        if (featureIndices.Length == 0)
            throw new FormatException($"{name}: no feature column beside the image column '{headers[keyIndex]}'" + (ignored.Length > 0 ? $" (label columns are never used: {string.Join(", ", ignored)})." : "."));

        var rows = new List<ExtraFeatureRow>();
        var badCells = new List<(int Line, int Feature, string Problem, bool Text)>();
        while (csv.Read())
        {
            var line = (int)csv.LineNumber;
            if (csv.FieldCount > headers.Length)
                problems.Add(string.Create(CultureInfo.InvariantCulture, $"line {line}: {csv.FieldCount} fields, but the header names {headers.Length} columns"));
            var key = CsvCells.Unprotect((csv.GetString(keyIndex) ?? "").Trim());
            if (key.Length == 0)
                problems.Add(string.Create(CultureInfo.InvariantCulture, $"line {line}, column '{headers[keyIndex]}': no image path or file name"));
            var values = new double[featureIndices.Length];
            for (var j = 0; j < featureIndices.Length; j++)
            {
                var text = (csv.GetString(featureIndices[j]) ?? "").Trim();
                if (ParseProblem(text, csv.Separator, out values[j]) is { } problem)
                    badCells.Add((line, j, problem, IsText(text, csv.Separator)));
            }
            rows.Add(new ExtraFeatureRow(line, key, values));
        }
        // A column without a single number is text (a date, an operator): one line for it, not one per row.
        var textColumns = badCells.GroupBy(c => c.Feature)
            .Where(g => rows.Count > 1 && g.Count() == rows.Count && g.All(c => c.Text))
            .ToDictionary(g => g.Key, g => g.First());
        foreach (var (feature, first) in textColumns)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture,
                $"column '{headers[featureIndices[feature]]}' holds no number (line {first.Line}: {first.Problem}); remove it from the file"));
        }
        problems.AddRange(badCells.Where(c => !textColumns.ContainsKey(c.Feature)).Select(c =>
            string.Create(CultureInfo.InvariantCulture, $"line {c.Line}, column '{headers[featureIndices[c.Feature]]}': {c.Problem}")));
        if (problems.Count == 0 && rows.Count == 0)
            problems.Add("the file has a header but no data rows");
        if (problems.Count > 0)
        {
            var more = problems.Count > ProblemsShown ? Environment.NewLine + $"  ... and {problems.Count - ProblemsShown} more" : "";
            throw new FormatException($"The extra-features file '{path}' cannot be used ({problems.Count} problem(s)):" + Environment.NewLine +
                string.Join(Environment.NewLine, problems.Take(ProblemsShown).Select(p => "  " + p)) + more);
        }
        return new ExtraFeatureTable(path, headers[keyIndex], featureIndices.Select(i => headers[i]).ToArray(), ignored, rows);
    }

    /// <summary>Matches the rows to images given by their dataset-relative paths ('/'-separated): by relative path first, then by file name.</summary>
    public ExtraFeatureJoin Match(IReadOnlyList<string> relativePaths)
    {
        ArgumentNullException.ThrowIfNull(relativePaths);
        var byPath = new Dictionary<string, int>(StringComparer.Ordinal);
        var byName = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (var i = 0; i < relativePaths.Count; i++)
        {
            byPath[relativePaths[i]] = i;
            var fileName = FileNameOf(relativePaths[i]);
            if (!byName.TryGetValue(fileName, out var list))
                byName[fileName] = list = [];
            list.Add(i);
        }

        var claims = new Dictionary<int, List<ExtraFeatureRow>>();
        var unmatched = new List<ExtraFeatureRow>();
        var ambiguous = new List<AmbiguousRow>();
        int matchedByPath = 0, matchedByName = 0;
        foreach (var row in Rows)
        {
            var key = NormaliseKey(row.Key);
            int item;
            if (byPath.TryGetValue(key, out item))
            {
                matchedByPath++;
            }
            else if (byName.TryGetValue(FileNameOf(key), out var candidates))
            {
                if (candidates.Count > 1)
                {
                    ambiguous.Add(new AmbiguousRow(row, candidates.Select(c => relativePaths[c]).ToArray()));
                    continue;
                }
                item = candidates[0];
                matchedByName++;
            }
            else
            {
                unmatched.Add(row);
                continue;
            }
            if (!claims.TryGetValue(item, out var rows))
                claims[item] = rows = [];
            rows.Add(row);
        }

        var conflicts = claims.Where(c => c.Value.Count > 1).OrderBy(c => c.Key).ToList();
        if (conflicts.Count > 0)
        {
            throw new FormatException($"The extra-features file '{SourcePath}' gives some images more than one row:" + Environment.NewLine +
                string.Join(Environment.NewLine, conflicts.Take(ProblemsShown).Select(c =>
                    $"  {relativePaths[c.Key]}: lines {string.Join(", ", c.Value.Select(r => r.Line.ToString(CultureInfo.InvariantCulture)))}")));
        }
        if (claims.Count == 0)
        {
            var examples = string.Join(", ", Rows.Take(3).Select(r => $"'{r.Key}'"));
            throw new FormatException($"No row of the extra-features file '{SourcePath}' matches an image of the dataset by relative path " +
                $"(e.g. '{(relativePaths.Count > 0 ? relativePaths[0] : "")}') or by file name; its '{KeyColumn}' column holds {examples}." +
                (ambiguous.Count > 0 ? string.Create(CultureInfo.InvariantCulture, $" {ambiguous.Count} row(s) name a file that exists in several folders; give relative paths.") : ""));
        }

        var values = new double[]?[relativePaths.Count];
        foreach (var (item, rows) in claims)
            values[item] = rows[0].Values;
        return new ExtraFeatureJoin(this, relativePaths, values, unmatched, ambiguous, matchedByPath, matchedByName);
    }

    static int FindKeyColumn(string[] headers)
    {
        foreach (var name in KeyColumnNames)
        {
            var index = Array.FindIndex(headers, h => h.Equals(name, StringComparison.OrdinalIgnoreCase));
            if (index >= 0)
                return index;
        }
        return 0;
    }

    static string? ParseProblem(string text, char separator, out double value)
    {
        value = 0;
        if (text.Length == 0)
            return "empty cell; every feature needs a value (drop the row to leave the image without extra features)";
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value))
        {
            var hint = text.Contains(',', StringComparison.Ordinal) && separator != ',' ? " (decimal commas are not supported; write 1.5, not 1,5)" : "";
            return $"'{text}' is not a number{hint}";
        }
        if (!double.IsFinite(value))
            return $"'{text}' is not a finite number";
        return null;
    }

    // Words, dates and the like; not blanks or numbers written with a decimal comma, which are reported cell by cell.
    static bool IsText(string text, char separator) =>
        text.Length > 0 && !(separator != ',' && text.Contains(',', StringComparison.Ordinal)) && !double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _);

    internal static string NormaliseKey(string key)
    {
        var normal = key.Trim().Replace('\\', '/');
        while (normal.StartsWith("./", StringComparison.Ordinal))
            normal = normal[2..];
        return normal;
    }

    static string FileNameOf(string path) => path[(path.LastIndexOf('/') + 1)..];
}

/// <summary>A row whose file name fits several images and which gives no path that settles it.</summary>
/// <param name="Row">The row.</param>
/// <param name="Candidates">Relative paths of the images with that file name.</param>
public sealed record AmbiguousRow(ExtraFeatureRow Row, IReadOnlyList<string> Candidates);

/// <summary>
/// An <see cref="ExtraFeatureTable"/> matched to a dataset's images: the values per image (none for an image without a
/// row), and what did not match. Images without a row get NaN in <see cref="AppendTo(FeatureMatrix)"/>, for a model to
/// impute from its training fold (see <see cref="Models.MeanImputingTrainer"/>).
/// </summary>
public sealed class ExtraFeatureJoin
{
    /// <summary>Prefix of the extra columns in the joined feature matrix, so they never clash with handcrafted names.</summary>
    public const string ColumnPrefix = "extra:";

    readonly double[]?[] values;

    internal ExtraFeatureJoin(ExtraFeatureTable table, IReadOnlyList<string> relativePaths, double[]?[] values,
        IReadOnlyList<ExtraFeatureRow> unmatchedRows, IReadOnlyList<AmbiguousRow> ambiguousRows, int matchedByPath, int matchedByName)
    {
        Table = table;
        this.values = values;
        UnmatchedRows = unmatchedRows;
        AmbiguousRows = ambiguousRows;
        MatchedByPath = matchedByPath;
        MatchedByName = matchedByName;
        ImagesWithoutRow = Enumerable.Range(0, values.Length).Where(i => values[i] is null).Select(i => relativePaths[i]).ToArray();
    }

    public ExtraFeatureTable Table { get; }

    /// <summary>Rows that name no image of the dataset.</summary>
    public IReadOnlyList<ExtraFeatureRow> UnmatchedRows { get; }

    /// <summary>Rows matched by file name to several images, and so not used.</summary>
    public IReadOnlyList<AmbiguousRow> AmbiguousRows { get; }

    /// <summary>Relative paths of the images no row matched.</summary>
    public IReadOnlyList<string> ImagesWithoutRow { get; }

    public int MatchedByPath { get; }

    public int MatchedByName { get; }

    public int ImageCount => values.Length;

    /// <summary>The extra values of image <paramref name="item"/>, or null when no row matched it.</summary>
    public IReadOnlyList<double>? ValuesOf(int item) => values[item];

    /// <summary>The feature matrix with the extra columns appended (named <see cref="ColumnPrefix"/> + column); NaN where an image has no row.</summary>
    public FeatureMatrix AppendTo(FeatureMatrix features)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (features.Count != values.Length)
            throw new ArgumentException($"{Table.FileName}: the feature matrix has {features.Count} rows, but the file was matched to {values.Length} images.", nameof(features));
        return AppendTo(features, Enumerable.Range(0, values.Length).ToArray());
    }

    /// <summary>
    /// As <see cref="AppendTo(FeatureMatrix)"/> for a matrix with rows that are parts of the matched images (e.g. the tiles
    /// cut from them): row <c>i</c> gets the values of image <c>imageOf[i]</c>, so every part inherits its image's row.
    /// </summary>
    public FeatureMatrix AppendTo(FeatureMatrix features, IReadOnlyList<int> imageOf)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(imageOf);
        if (imageOf.Count != features.Count)
            throw new ArgumentException($"{Table.FileName}: the feature matrix has {features.Count} rows, but {imageOf.Count} are mapped to an image.", nameof(imageOf));
        var names = features.Names.Concat(Table.Columns.Select(c => ColumnPrefix + c)).ToArray();
        var missing = Enumerable.Repeat(double.NaN, Table.Columns.Count).ToArray();
        var rows = new double[features.Count][];
        for (var i = 0; i < rows.Length; i++)
        {
            var image = imageOf[i];
            if (image < 0 || image >= values.Length)
                throw new ArgumentOutOfRangeException(nameof(imageOf), image, $"{Table.FileName}: row {i} of the feature matrix names image {image}, but the file was matched to {values.Length} images.");
            rows[i] = [.. features.Rows[i], .. values[image] ?? missing];
        }
        return new FeatureMatrix(names, rows);
    }

    /// <summary>The unmatched, ambiguous and missing rows as warnings for the user and the report; empty when every image matched one row.</summary>
    public IReadOnlyList<string> Warnings()
    {
        const int shown = 10;
        var file = Table.FileName;
        var warnings = new List<string>();
        if (Table.IgnoredColumns.Count > 0)
            warnings.Add($"warning: {file}: label column(s) {string.Join(", ", Table.IgnoredColumns.Select(c => $"'{c}'"))} not used as features (they would leak the answer)");
        if (UnmatchedRows.Count > 0)
        {
            warnings.Add(string.Create(CultureInfo.InvariantCulture, $"warning: {file}: {UnmatchedRows.Count} row(s) match no image and are not used: ") +
                List(UnmatchedRows.Select(r => string.Create(CultureInfo.InvariantCulture, $"line {r.Line} '{r.Key}'")), shown));
        }
        foreach (var row in AmbiguousRows.Take(shown))
        {
            warnings.Add(string.Create(CultureInfo.InvariantCulture,
                $"warning: {file}: line {row.Row.Line} '{row.Row.Key}' is ambiguous, not used: that file name fits {string.Join(", ", row.Candidates)}; give the relative path"));
        }
        if (AmbiguousRows.Count > shown)
            warnings.Add(string.Create(CultureInfo.InvariantCulture, $"warning: {file}: {AmbiguousRows.Count - shown} more ambiguous row(s) not used"));
        if (ImagesWithoutRow.Count > 0)
        {
            warnings.Add(string.Create(CultureInfo.InvariantCulture, $"warning: {file}: {ImagesWithoutRow.Count} image(s) have no row; their extra features are imputed with the mean of each training fold: ") +
                List(ImagesWithoutRow, shown));
        }
        return warnings;
    }

    static string List(IEnumerable<string> items, int shown)
    {
        var list = items.ToList();
        return string.Join(", ", list.Take(shown)) + (list.Count > shown ? string.Create(CultureInfo.InvariantCulture, $", and {list.Count - shown} more") : "");
    }
}
