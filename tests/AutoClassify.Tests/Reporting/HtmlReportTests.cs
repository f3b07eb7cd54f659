using System.Net;
using System.Text.RegularExpressions;
using AutoClassify.Reporting;

namespace AutoClassify.Tests.Reporting;

public partial class HtmlReportTests
{
    [GeneratedRegex(@"<h([1-3])[^>]*>(.*?)</h\1>", RegexOptions.Singleline)]
    private static partial Regex Heading();

    [GeneratedRegex(@"<table id=""([^""]+)""[^>]*>(.*?)</table>", RegexOptions.Singleline)]
    private static partial Regex Table();

    [GeneratedRegex("<[^>]+>")]
    private static partial Regex Tag();

    [GeneratedRegex(@"\d,\d")]
    private static partial Regex DecimalComma();

    /// <summary>Headings, then every table's id with its data-cell count: the shape of the page.</summary>
    static List<string> Structure(string html)
    {
        var shape = Heading().Matches(html).Select(m => $"h{m.Groups[1].Value}: {WebUtility.HtmlDecode(Tag().Replace(m.Groups[2].Value, ""))}").ToList();
        shape.AddRange(Table().Matches(html).Select(m => $"table {m.Groups[1].Value}: {Regex.Count(m.Groups[2].Value, "<td")} cells"));
        return shape;
    }

    [Fact]
    public void Should_render_the_same_report_under_german_and_english_cultures()
    {
        // Given (no commas in the command line, which is shown verbatim)
        var result = ReportFixtures.Create();
        result.Settings.CommandLine = "autoclassify run /data/em/cells --folds 3";

        // When
        string german, english;
        using (new CultureScope("de-DE"))
            german = HtmlReport.Render(result);
        using (new CultureScope("en-US"))
            english = HtmlReport.Render(result);

        // Then
        Assert.Equal(Structure(english), Structure(german));
        Assert.Equal(english, german);
        Assert.DoesNotMatch(DecimalComma(), german);
        Assert.Contains("0.722<span class=\"sd\"> ± 0.0962</span>", german, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_have_the_expected_sections_and_tables()
    {
        var html = HtmlReport.Render(ReportFixtures.Create());

        var shape = Structure(html);

        var headings = shape.Where(s => s.StartsWith("h2", StringComparison.Ordinal)).ToList();
        Assert.Equal(["h2: Run settings", "h2: Data", "h2: Model comparison", "h2: Model: svm", "h2: Model: lipnet4", "h2: Methods", "h2: Reproducibility", "h2: Notes"], headings);
        Assert.Contains("table class-counts: 8 cells", shape);         // (3 classes + total) x (images, share)
        Assert.Contains("table fold-sizes: 9 cells", shape);           // 3 classes x 3 folds
        Assert.Contains("table skipped-files: 4 cells", shape);
        Assert.Contains("table comparison-per-class: 24 cells", shape); // 3 classes x 4 figures x 2 models
        foreach (var m in new[] { "m0", "m1" })
        {
            Assert.Contains($"table {m}-overall: 20 cells", shape);    // 4 figures x (mean, pooled with CI, 3 folds)
            Assert.Contains($"table {m}-per-class-ci: 21 cells", shape); // 3 classes x (4 Wilson rates, F1, AUC, AP)
            Assert.Contains($"table {m}-per-class: 21 cells", shape);  // 3 classes x 7 columns
            Assert.Contains($"table {m}-confusion-raw: 9 cells", shape);
            Assert.Contains($"table {m}-confusion-norm: 9 cells", shape);
        }
        Assert.Contains("table m0-training: 12 cells", shape);         // (C, γ + test images + time) x 3 folds
        Assert.Contains("table m0-training-constant: 1 cells", shape); // the kernel, the same in every fold, once
        Assert.Equal(2 * 3, Regex.Count(html, "<svg class=\"chart\""));  // CNN only: loss and accuracy per fold
    }

    [Fact]
    public void Should_show_the_summed_confusion_counts_and_the_hand_computed_accuracy()
    {
        // SVM errors in the fixture: 3 -> nucleus, 7 -> vesicle, 8 -> mitochondrion, 14 -> nucleus, 16 -> nucleus
        var html = HtmlReport.Render(ReportFixtures.Create());

        var raw = Table().Matches(html).Single(m => m.Groups[1].Value == "m0-confusion-raw").Groups[2].Value;
        var cells = Regex.Matches(raw, @"<td[^>]*>(?:<a href=""#m0-cell-\d-\d"">)?(\d+)(?:</a>)?</td>").Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal([5, 1, 0, 1, 4, 1, 0, 2, 4], cells);
        // Accuracy per fold: fold 1 5/6, fold 2 4/6 and fold 3 4/6 -> mean 0.722, SD 0.096
        var overall = Table().Matches(html).Single(m => m.Groups[1].Value == "m0-overall").Groups[2].Value;
        // and pooled 13/18 = 0.722 with its bootstrap interval between them
        Assert.Matches(@"<td>0\.722<span class=""sd""> ± 0\.0962</span></td><td>0\.722 <span class=""ci"">\[0\.\d{3,4}, 0\.\d{3,4}\]</span></td><td class=""fold"">0\.833</td><td class=""fold"">0\.667</td><td class=""fold"">0\.667</td>", overall);
    }

    [Fact]
    public void Should_escape_class_names_file_names_and_reasons()
    {
        // Given a class named like a script and a file name with markup characters
        var result = ReportFixtures.Create(ReportFixtures.EvilClasses, skippedFile: ReportFixtures.EvilFile);
        result.Dataset.Skipped[1].Reason = "<b>not</b> decodable";
        result.Settings.CommandLine = "run --crop '<x>'";

        // When
        var html = HtmlReport.Render(result);

        // Then
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<b>", html, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", html, StringComparison.Ordinal);
        Assert.Contains("a&amp;b &quot;c&quot;.png", html, StringComparison.Ordinal);
        Assert.Contains("B&amp;B", html, StringComparison.Ordinal);
        Assert.Contains("&lt;b&gt;not&lt;/b&gt; decodable", html, StringComparison.Ordinal);
        Assert.DoesNotContain("a&b", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_not_reference_anything_outside_the_file()
    {
        var html = HtmlReport.Render(ReportFixtures.Create());

        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotMatch(@"(src|href)\s*=\s*""(?!#)", html);
        Assert.DoesNotContain("url(", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("@import", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<link", html, StringComparison.OrdinalIgnoreCase);
        // The only URL is the SVG namespace name, which is never fetched.
        Assert.Equal(Regex.Count(html, "https?://"), Regex.Count(html, "xmlns=\"http://www.w3.org/2000/svg\""));
    }

    [Fact]
    public void Should_leave_out_the_comparison_and_curves_for_a_single_model_without_curves()
    {
        var html = HtmlReport.Render(ReportFixtures.Create(withCnn: false));

        Assert.DoesNotContain("id=\"comparison\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<svg class=\"chart\"", html, StringComparison.Ordinal);
        Assert.Contains("id=\"m0-per-class\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_show_the_tuned_hyper_parameters_and_decision_rule_of_every_fold()
    {
        var html = HtmlReport.Render(ReportFixtures.Create());

        var training = Table().Matches(html).Single(m => m.Groups[1].Value == "m0-training").Groups[2].Value;
        Assert.Contains("<th scope=\"row\" class=\"text\"><code>C</code></th><td><span title=\"4\">2<sup>2</sup></span></td><td><span title=\"8\">2<sup>3</sup></span></td><td><span title=\"4\">2<sup>2</sup></span></td>", training, StringComparison.Ordinal);
        Assert.Contains("<code>γ</code></th><td><span title=\"0.0625\">2<sup>−4</sup></span></td><td><span title=\"0.0625\">2<sup>−4</sup></span></td><td><span title=\"0.125\">2<sup>−3</sup></span></td>", training, StringComparison.Ordinal);
        Assert.Contains("argmax", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_render_an_empty_result_without_failing()
    {
        var html = HtmlReport.Render(new AutoClassify.Evaluation.BenchmarkResult());

        Assert.Contains("<h2>Notes</h2>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"model-0\"", html, StringComparison.Ordinal);
    }
}
