using System.Diagnostics;
using System.Text.RegularExpressions;

namespace AutoClassify.Tests.Support;

/// <summary>One table or figure of a printed report: the pages its first and last line landed on, and its height on screen.</summary>
internal sealed record PrintedBlock(int Index, string Name, int FirstPage, int LastPage, int HeightPx, int RightPx);

/// <summary>What a report printed to PDF by headless Chromium looks like, read back with poppler's pdftotext and pdfinfo.</summary>
internal sealed record PrintedReport(string PdfPath, long Bytes, int Pages, string[] PageTexts, PrintedBlock[] Blocks, int PageWidthPx);

/// <summary>
/// Prints a report with <c>chromium --headless --print-to-pdf</c>, as a reader's "Save as PDF" does, and finds where
/// each table and figure landed. The report forbids scripts, so, as in <see cref="ReportLayoutCheck"/>, the pages are
/// found on a copy whose one inline script writes a tiny absolutely positioned marker (no change to the layout) into
/// the first and last row of every table and at the start and end of every figure; pdftotext then says which page
/// each marker is on.
/// </summary>
internal static class ReportPrintCheck
{
    const string PdfToText = "/usr/bin/pdftotext";
    const string PdfInfo = "/usr/bin/pdfinfo";

    const string Script = """
        <script>
        (() => {
          const mark = (parent, text, first) => {
            const s = document.createElement('span');
            s.textContent = ' ' + text + ' ';
            s.style.cssText = 'position:absolute;font-size:3px;line-height:3px;color:#000;white-space:nowrap;';
            if (first) parent.insertBefore(s, parent.firstChild); else parent.appendChild(s);
          };
          const blocks = [...document.querySelectorAll('table, figure')].filter(e => !e.parentElement.closest('table, figure'));
          blocks.forEach((e, i) => {
            const r = e.getBoundingClientRect();
            const named = e.id || (e.querySelector('[id]') || {}).id || e.tagName.toLowerCase() + '-' + (e.className || '').split(' ')[0];
            const tag = `${i}H${Math.round(r.height)}W${Math.round(r.right)}N${named.replace(/[^A-Za-z0-9]/g, 'x')}`;
            if (e.tagName === 'TABLE') {
              const rows = e.rows;
              if (rows.length === 0 || rows[0].cells.length === 0) return;
              mark(rows[0].cells[0], `QZS${tag}Q`, true);
              const last = rows[rows.length - 1];
              mark(last.cells[last.cells.length - 1], `QZE${i}Q`, true);
            } else {
              mark(e, `QZS${tag}Q`, true);
              mark(e, `QZE${i}Q`, false);
            }
            e.setAttribute('data-print-block', String(i));
          });
          document.title = 'marked ' + blocks.length;
        })();
        </script>
        """;

    /// <summary>Prints <paramref name="htmlPath"/> unchanged to <paramref name="pdfPath"/>; returns the page count.</summary>
    public static int Print(TempDirectory dir, string htmlPath, string pdfPath)
    {
        Require();
        Chromium.Run(dir, $"--print-to-pdf={pdfPath}", "--no-pdf-header-footer", "--virtual-time-budget=5000", new Uri(Path.GetFullPath(htmlPath)).AbsoluteUri);
        Assert.True(File.Exists(pdfPath), $"Chromium wrote no PDF to {pdfPath}.");
        return PageCount(pdfPath);
    }

    /// <summary>Prints a marked copy of <paramref name="htmlPath"/> and reads back where every table and figure landed.</summary>
    public static PrintedReport PrintMarked(TempDirectory dir, string htmlPath)
    {
        Require();
        var html = File.ReadAllText(htmlPath);
        Assert.Contains("default-src 'none'", html, StringComparison.Ordinal);
        var marked = html
            .Replace("default-src 'none'; style-src 'unsafe-inline'", "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'", StringComparison.Ordinal)
            .Replace("</body>", Script + "</body>", StringComparison.Ordinal);
        var copy = dir.File($"print-{Guid.NewGuid():N}.html");
        File.WriteAllText(copy, marked);
        var pdf = Path.ChangeExtension(copy, ".pdf");
        var pages = Print(dir, copy, pdf);

        var text = Run(PdfToText, "-enc", "UTF-8", pdf, "-");
        // pdftotext ends every page with a form feed.
        var pageTexts = text.Split('\f')[..pages];
        var starts = new Dictionary<int, (int Page, int Height, int Right, string Name)>();
        var ends = new Dictionary<int, int>();
        for (var p = 0; p < pageTexts.Length; p++)
        {
            foreach (Match m in Regex.Matches(pageTexts[p], @"QZS(\d+)H(\d+)W(\d+)N(\w+)Q"))
                starts.TryAdd(int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), (p + 1, int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture), int.Parse(m.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture), m.Groups[4].Value));
            foreach (Match m in Regex.Matches(pageTexts[p], @"QZE(\d+)Q"))
                ends[int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)] = p + 1;
        }
        var blocks = starts.OrderBy(s => s.Key).Select(s => new PrintedBlock(s.Key, s.Value.Name, s.Value.Page, ends.GetValueOrDefault(s.Key, -1), s.Value.Height, s.Value.Right)).ToArray();
        var width = (int)Math.Round(PageWidthPoints(pdf) * 96 / 72);
        return new PrintedReport(pdf, new FileInfo(pdf).Length, pages, pageTexts, blocks, width);
    }

    /// <summary>The plain text of every page of <paramref name="pdfPath"/>, in order.</summary>
    public static string[] Pages(string pdfPath) => Run(PdfToText, "-enc", "UTF-8", pdfPath, "-").Split('\f')[..PageCount(pdfPath)];

    public static void Require()
    {
        Chromium.Require();
        if (!File.Exists(PdfToText) || !File.Exists(PdfInfo))
            Assert.Fail($"poppler-utils is needed to read the printed report but {PdfToText} does not exist: run scripts/install-deps.sh --with-browser.");
    }

    static int PageCount(string pdf)
    {
        var m = Regex.Match(Run(PdfInfo, pdf), @"^Pages:\s+(\d+)", RegexOptions.Multiline);
        Assert.True(m.Success, $"pdfinfo found no page count in {pdf}.");
        return int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    static double PageWidthPoints(string pdf)
    {
        var m = Regex.Match(Run(PdfInfo, pdf), @"^Page size:\s+([\d.]+) x ([\d.]+) pts", RegexOptions.Multiline);
        Assert.True(m.Success, $"pdfinfo found no page size in {pdf}.");
        return double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    static string Run(string tool, params string[] arguments)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in arguments)
            start.ArgumentList.Add(a);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {tool}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{tool} did not finish within 60 s.");
        }
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{tool} exited with {process.ExitCode}: {stderr.Result}");
        return stdout.Result;
    }
}
