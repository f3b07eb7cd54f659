using System.Globalization;
using System.Text.RegularExpressions;
using AutoClassify.Evaluation;
using AutoClassify.Reporting;
using AutoClassify.Tests.Support;

namespace AutoClassify.Tests.Reporting;

/// <summary>Numbers, constants, long class names and print: the report as a reader reads it, on screen and on paper.</summary>
public class ReportReadabilityTests(GalleryRun run) : IClassFixture<GalleryRun>
{
    /// <summary>Eight classes with 40-character names, the hardest case the report must keep square and on screen.</summary>
    internal static readonly string[] LongClasses =
    [
        "multilamellar vesicle with electron-dense", "unilamellar vesicle, small and spherical1",
        "unilamellar vesicle, large and elongated2", "aggregated liposomes in a dense cluster 3",
        "ruptured membrane fragments with debris 4", "empty field with carbon support film only",
        "nucleus with condensed heterochromatin 6", "mitochondrion with visible cristae, intact",
    ];

    [Theory]
    [InlineData(0.903, "0.903")]
    [InlineData(0.90349, "0.903")]
    [InlineData(0.0123456, "0.0123")]
    [InlineData(1.23456, "1.23")]
    [InlineData(12.3456, "12.3")]
    [InlineData(123.456, "123")]
    [InlineData(12345.6, "12346")]
    [InlineData(0.9, "0.900")]
    [InlineData(1.0, "1.00")]
    [InlineData(0.99996, "1.00")]
    [InlineData(99.96, "100")]
    [InlineData(0.0, "0")]
    [InlineData(-0.0001234, "-0.000123")]
    [InlineData(0.0000123456, "1.23e-5")]
    [InlineData(-1e-12, "-1.00e-12")]
    [InlineData(double.NaN, "n/a")]
    [InlineData(0.69314718055994529, "0.693")]
    public void Should_show_three_significant_digits(double value, string expected)
    {
        Assert.Equal(expected, ReportNumber.Sig(value));
    }

    [Fact]
    public void Should_floor_p_values_and_write_times_and_shares_to_three_digits_in_any_culture()
    {
        // Given a culture that writes a decimal comma
        using var culture = new CultureScope("de-DE");

        // Then p-values, signed differences, shares and durations keep the invariant point and three digits
        Assert.Equal("< 0.001", ReportNumber.P(0.00004));
        Assert.Equal("0.00100", ReportNumber.P(0.001));
        Assert.Equal("0.0123", ReportNumber.P(0.0123456));
        Assert.Equal("0.688", ReportNumber.P(0.6875));
        Assert.Equal("+0.0123", ReportNumber.Signed(0.0123456));
        Assert.Equal("−0.250", ReportNumber.Signed(-0.25));
        Assert.Equal("95.3%", ReportNumber.Percent(0.95345));
        Assert.Equal("100%", ReportNumber.Percent(1));
        Assert.Equal("12.3 ms", ReportNumber.Duration(TimeSpan.FromMilliseconds(12.34)));
        Assert.Equal("4.57 s", ReportNumber.Duration(TimeSpan.FromSeconds(4.5678)));
        Assert.Equal("1 min 00 s", ReportNumber.Duration(TimeSpan.FromSeconds(59.97)));
        Assert.Equal("3 min 07 s", ReportNumber.Duration(TimeSpan.FromSeconds(187.4)));
        Assert.Equal("2 h 05 min", ReportNumber.Duration(TimeSpan.FromMinutes(125.2)));
    }

    [Fact]
    public void Should_show_no_number_with_more_than_three_significant_digits_in_the_report()
    {
        // Given the report of a real run, and the hand-made one with a CNN (curves, losses, times)
        foreach (var html in new[] { run.Html, HtmlReport.Render(ReportFixtures.Create()) })
        {
            // When its visible text is read (tags, attributes, styles and code dropped; thumbnails hold only base64)
            var text = VisibleText(html);

            // Then no decimal number carries more than three significant digits: no 16-digit losses, no 0.12345
            var long_ = Regex.Matches(text, @"(?<![\w.])(\d+\.\d+)(?![\w.])").Select(m => m.Value).Where(TooPrecise).Distinct().ToList();
            Assert.True(long_.Count == 0, "Numbers with more than three significant digits: " + string.Join(", ", long_.Take(20)));
        }
    }

    [Fact]
    public void Should_state_a_fact_that_is_the_same_in_every_fold_once_above_the_per_fold_table()
    {
        // Given the hand-made results, whose CNN records its architecture and learning rate in every fold
        var result = ReportFixtures.Create();
        foreach (var fold in result.Models[1].Folds)
        {
            fold.Training.Facts["architecture"] = "LipNet-4: 4 conv blocks (32, 64, 128, 256 filters), global average pooling, dropout 0.5";
            fold.Training.Facts["learning_rate"] = "0.001";
        }
        result.Models[1].Folds[2].Training.Facts["learning_rate"] = "0.0005";

        // When the report is rendered
        var html = HtmlReport.Render(result);

        // Then the architecture appears once, in the constants above the per-fold table, and the learning rate, which
        // differs in one fold, stays in the table with a value per fold
        var constants = Regex.Match(html, "<table id=\"m1-training-constant\".*?</table>", RegexOptions.Singleline).Value;
        Assert.Equal(1, Regex.Count(constants, "LipNet-4: 4 conv blocks"));
        Assert.DoesNotContain("learning_rate", constants, StringComparison.Ordinal);
        var perFold = Regex.Match(html, "<table id=\"m1-training\".*?</table>", RegexOptions.Singleline).Value;
        Assert.DoesNotContain("architecture", perFold, StringComparison.Ordinal);
        Assert.Matches("<code>learning_rate</code></th><td>0.001</td><td>0.001</td><td>0.0005</td>", perFold);
    }

    [Theory]
    [InlineData("0.6092", "0.609")]
    [InlineData("0.001", "0.001")]
    [InlineData("0.5", "0.5")]
    [InlineData("1.000", "1.00")]
    [InlineData("12345.678", "12346")]
    [InlineData("3.24", "3.24")]
    [InlineData("128", "128")]
    [InlineData("rbf", "rbf")]
    [InlineData("4.6.0", "4.6.0")]
    [InlineData("a=2.807,b=8.889,c=1.5", "a=2.81,b=8.89,c=1.5")]
    [InlineData("-0.12345", "-0.123")]
    public void Should_cut_recorded_facts_to_three_significant_digits_without_padding_settings(string fact, string shown)
    {
        Assert.Equal(shown, ReportNumber.Fact(fact));
    }

    [Fact]
    public void Should_split_constant_facts_from_varying_ones_and_keep_a_single_fold_whole()
    {
        var folds = new IReadOnlyDictionary<string, string>[]
        {
            new Dictionary<string, string> { ["kernel"] = "rbf", ["C"] = "8", ["only_here"] = "x" },
            new Dictionary<string, string> { ["kernel"] = "rbf", ["C"] = "2" },
        };

        var (constant, varying) = FoldConstants.Split(folds);
        var (single, singleVarying) = FoldConstants.Split([folds[0]]);

        Assert.Equal([new KeyValuePair<string, string>("kernel", "rbf")], constant);
        Assert.Equal(["C", "only_here"], varying);
        Assert.Empty(single);
        Assert.Equal(3, singleVarying.Count);
    }

    [Fact]
    public void Should_key_long_class_names_by_letter_under_the_matrix_and_write_medium_ones_up_the_column()
    {
        Assert.Equal(HtmlConfusion.HeaderStyle.Across, HtmlConfusion.Headers(["a", "bb", "spore"]));
        Assert.Equal(HtmlConfusion.HeaderStyle.Rotated, HtmlConfusion.Headers(ReportFixtures.PlainClasses));
        Assert.Equal(HtmlConfusion.HeaderStyle.Keyed, HtmlConfusion.Headers(LongClasses));
        Assert.Equal(["A", "B", "Z", "A1", "B1"], new[] { 0, 1, 25, 26, 27 }.Select(HtmlConfusion.Key));

        var html = HtmlReport.Render(ReportFixtures.Create(LongClasses));
        var matrix = Regex.Match(html, "<table id=\"m0-confusion-raw\".*?</table>", RegexOptions.Singleline).Value;
        Assert.Contains($"<th scope=\"col\" class=\"cls\"><abbr title=\"{LongClasses[7]}\">H</abbr></th>", matrix, StringComparison.Ordinal);
        Assert.Contains($"<th scope=\"row\" class=\"cls\"><abbr title=\"{LongClasses[7]}\">H</abbr></th>", matrix, StringComparison.Ordinal);
        var figure = Regex.Match(html, "<table id=\"m0-confusion-raw\".*?</figure>", RegexOptions.Singleline).Value;
        Assert.Contains($"<li><span class=\"cm-letter\">H</span> {LongClasses[7]}</li>", figure, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(480)]
    [InlineData(1280)]
    public void Should_keep_confusion_matrices_square_and_on_screen_with_eight_40_character_classes(int width)
    {
        // Given a report whose eight classes have 40-character names
        Chromium.Require();
        using var dir = new TempDirectory("long-names");
        new HtmlReportExporter().Export(ReportFixtures.Create(LongClasses), dir.Path);
        var html = dir.File(HtmlReportExporter.FileName);

        // When Chromium lays it out at a phone and a desktop width
        var layout = ReportLayoutCheck.Measure(dir, html, width);
        var cells = MeasureCells(dir, html, width);
        ReportLayoutCheck.Screenshot(dir, html, $"benchmark-long-class-names-{width}", width, 7000);

        // Then the page does not scroll sideways, no matrix scrolls inside its box, and every cell is square
        ReportLayoutCheck.AssertReadable(layout);
        Assert.NotEmpty(cells);
        foreach (var (table, cellWidth, cellHeight, overflow) in cells)
        {
            Assert.True(Math.Abs(cellWidth - cellHeight) <= 2, $"{table} at {width} px: cells are {cellWidth}×{cellHeight} px.");
            Assert.True(overflow <= 1, $"{table} at {width} px overflows its box by {overflow} px.");
        }
    }

    [Fact]
    public void Should_print_a_real_report_to_pdf_with_no_table_or_figure_cut_across_pages()
    {
        // Given the report of a real run
        using var dir = new TempDirectory("print");

        // When headless Chromium prints it, as it is and with invisible markers at each table's and figure's ends
        var pdf = dir.File("report.pdf");
        var pages = ReportPrintCheck.Print(dir, run.HtmlPath, pdf);
        var text = string.Join("\n", ReportPrintCheck.Pages(pdf));
        var printed = ReportPrintCheck.PrintMarked(dir, run.HtmlPath);
        File.Copy(pdf, Path.Combine(Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "report-screenshots")).FullName, "benchmark.pdf"), overwrite: true);

        // Then the PDF has several pages holding the report's text, the contents bar is left out, the markers did not
        // move anything, and every table and figure short enough for one page sits whole on one page
        Assert.True(new FileInfo(pdf).Length > 100_000, $"The PDF is only {new FileInfo(pdf).Length} bytes.");
        Assert.True(pages >= 4, $"The PDF has {pages} pages.");
        foreach (var heading in new[] { "Classification benchmark", "Run settings", "Confusion matrices", "Top losses", "Methods", "Reproducibility", "Notes" })
            Assert.Contains(heading, text, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(pages, printed.Pages);
        Assert.True(printed.Blocks.Length >= 15, $"Only {printed.Blocks.Length} tables and figures were found in the PDF.");
        var fitting = printed.Blocks.Where(b => b.HeightPx < 900).ToList();
        var cut = fitting.Where(b => b.FirstPage != b.LastPage).Select(b => $"{b.Name} (pages {b.FirstPage}–{b.LastPage}, {b.HeightPx} px)").ToList();
        Assert.True(cut.Count == 0, "Cut across pages: " + string.Join("; ", cut));
        Assert.True(fitting.Count >= 15, $"Only {fitting.Count} blocks fit a page.");
    }

    // Each confusion matrix's first cell size and how far the table overflows its own box, as Chromium lays it out.
    static List<(string Table, int Width, int Height, int Overflow)> MeasureCells(TempDirectory dir, string htmlPath, int width)
    {
        const string script = """
            <script>
            addEventListener('load', () => {
              const out = [...document.querySelectorAll('table.cm')].map(t => {
                const r = t.querySelector('td.v').getBoundingClientRect();
                return [t.id, Math.round(r.width), Math.round(r.height), t.scrollWidth - t.clientWidth];
              });
              const pre = document.createElement('pre'); pre.id = 'cells'; pre.textContent = JSON.stringify(out); document.body.appendChild(pre);
            });
            </script>
            """;
        var html = File.ReadAllText(htmlPath)
            .Replace("default-src 'none'; style-src 'unsafe-inline'", "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'", StringComparison.Ordinal)
            .Replace("</body>", script + "</body>", StringComparison.Ordinal);
        var copy = dir.File($"cells-{width}.html");
        File.WriteAllText(copy, html);
        var dom = Chromium.Run(dir, "--dump-dom", $"--window-size={width},900", "--virtual-time-budget=5000", new Uri(copy).AbsoluteUri);
        var json = Regex.Match(dom, "<pre id=\"cells\">(.*?)</pre>", RegexOptions.Singleline);
        Assert.True(json.Success, "The measuring script wrote nothing.");
        var rows = System.Text.Json.JsonSerializer.Deserialize<System.Text.Json.JsonElement[][]>(System.Net.WebUtility.HtmlDecode(json.Groups[1].Value))!;
        return rows.Select(r => (r[0].GetString()!, r[1].GetInt32(), r[2].GetInt32(), r[3].GetInt32())).ToList();
    }

    static string VisibleText(string html)
    {
        var body = Regex.Replace(html, "<(style|script|code|title)\\b.*?</\\1>", " ", RegexOptions.Singleline);
        body = Regex.Replace(body, "<[^>]*>", " ");
        return System.Net.WebUtility.HtmlDecode(body);
    }

    // More digits than three significant ones need; digits left of the point are never rounded away, so 12346 is fine.
    static bool TooPrecise(string number)
    {
        var parts = number.Split('.');
        var integer = parts[0].TrimStart('0');
        return integer.Length > 0 ? parts[1].Length > Math.Max(0, 3 - integer.Length) : parts[1].TrimStart('0').Length > 3;
    }
}
