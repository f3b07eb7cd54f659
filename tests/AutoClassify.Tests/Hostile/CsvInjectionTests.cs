using AutoClassify.Features;
using AutoClassify.IO;
using AutoClassify.Packaging;
using AutoClassify.Tests.Support;
using CsvHelper;
using static AutoClassify.Tests.Support.CliRunner;

namespace AutoClassify.Tests.Hostile;

public sealed class CsvInjectionTests(HostileFixture fixture) : IClassFixture<HostileFixture>, IDisposable
{
    static readonly char[] Triggers = ['=', '+', '-', '@', '\t', '\r'];

    readonly TempDirectory temp = new("hostile-csv");

    public void Dispose() => temp.Dispose();

    [Theory]
    [InlineData("=HYPERLINK(\"http://x\";\"y\")")]
    [InlineData("+1")]
    [InlineData("-2+3")]
    [InlineData("@SUM(A1)")]
    [InlineData("\tcmd")]
    [InlineData("\rcmd")]
    [InlineData("'=already quoted")]
    [InlineData("'")]
    [InlineData("''")]
    [InlineData("'plain")]
    [InlineData("a=b")]
    [InlineData("")]
    public void Should_neutralise_formulas_and_give_every_value_back_exactly(string value)
    {
        var cell = CsvCells.Protect(value);

        Assert.False(cell.Length > 0 && Triggers.Contains(cell[0]), $"'{cell}' would run as a formula");
        Assert.Equal(value, CsvCells.Unprotect(cell));
    }

    [Fact]
    public void Should_leave_negative_numbers_alone_and_escape_unprotected_text_as_a_second_guard()
    {
        using var text = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
        using (var csv = CsvWriter.Create(text, CsvCells.WriterOptions, leaveOpen: true))
        {
            csv.WriteField(-5.5, default);
            csv.WriteField("-x");
            csv.EndRecord();
        }

        var line = text.ToString().TrimEnd();
        Assert.StartsWith("-5.5,", line, StringComparison.Ordinal);
        Assert.DoesNotContain(",-x", line, StringComparison.Ordinal);
        Assert.Contains("'-x", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_write_formula_like_class_and_file_names_as_text_in_the_feature_csv_and_read_them_back()
    {
        // Given classes and files whose names a spreadsheet would run as formulas
        var data = temp.Combine("data");
        TestImages.WriteClass(data, "=cmd", 2);
        TestImages.WriteClass(data, "+plus", 2);
        File.Move(Path.Combine(data, "+plus", "+plus_000.png"), Path.Combine(data, "+plus", "-1+2.png"));
        var csvPath = temp.File("features.csv");

        // When the features are exported
        var (code, _, stderr) = Run("features", data, "--out", csvPath, "--threads", "2");

        // Then no cell starts like a formula, numbers stay numbers, and our reader recovers the names exactly
        Assert.True(code == 0, stderr);
        var cells = ReadCells(csvPath);
        Assert.All(cells.Skip(1).SelectMany(r => r.Take(2)), c => Assert.DoesNotContain(c[0], Triggers));
        Assert.All(cells.Skip(1).SelectMany(r => r.Skip(2)), c => Assert.True(double.TryParse(c, System.Globalization.CultureInfo.InvariantCulture, out _), c));
        var table = ExtraFeatureTable.Read(csvPath);
        Assert.Equal(["+plus/+plus_001.png", "+plus/-1+2.png", "=cmd/=cmd_000.png", "=cmd/=cmd_001.png"], table.Rows.Select(r => r.Key).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Should_write_formula_like_file_names_as_text_in_predictions()
    {
        // Given inputs named as the user typed them: two formulas (relative, not found here) and a real image
        using var package = ModelPackage.Open(fixture.Package);
        var real = Path.Combine(fixture.Data, "small", "small_000.png");
        var csvPath = temp.File("p.csv");

        // When predicted into a CSV
        var summary = PackagePredictor.PredictToCsv(package, ["=1+1.png", "@SUM(A1).png", real], csvPath);

        // Then every text cell is safe, and un-escaping gives each path back
        Assert.Equal(2, summary.Failed);
        var rows = ReadCells(csvPath).Skip(1).ToList();
        Assert.Equal(["=1+1.png", "@SUM(A1).png", real], rows.Select(r => CsvCells.Unprotect(r[0])));
        Assert.All(rows.SelectMany(r => new[] { r[0], r[1], r[^1] }).Where(c => c.Length > 0), c => Assert.DoesNotContain(c[0], Triggers));
    }

    static List<string[]> ReadCells(string path)
    {
        using var csv = CsvReader.Create(File.OpenRead(path), CsvReaderOptions.Default with { HasHeader = false }, leaveOpen: false);
        var rows = new List<string[]>();
        while (csv.Read())
            rows.Add(Enumerable.Range(0, csv.FieldCount).Select(i => csv.GetString(i) ?? "").ToArray());
        return rows;
    }
}
