using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace AutoClassify.Tests.Support;

/// <summary>What a real browser measured on a report at one window width (see <see cref="ReportLayoutCheck.Measure"/>).</summary>
internal sealed record ReportLayout(
    int Width,
    int ScrollWidth,
    int Figures,
    string[] FiguresWithoutCaption,
    int Images,
    string[] ImagesWithoutAlt,
    string[] ExternalReferences,
    int InternalLinks,
    string[] BrokenLinks,
    string[] LinksNotLanding,
    string[] WideElements,
    string[]? ImagesNotDrawn = null);

/// <summary>
/// Measures a report in headless Chromium. The report forbids scripts, so the check runs on a copy whose policy
/// admits one inline script (and still nothing external); the script writes its measurements into the DOM.
/// </summary>
internal static class ReportLayoutCheck
{
    const string Script = """
        <script>
        addEventListener('load', () => {
          const doc = document.documentElement;
          const name = e => e.id || (e.tagName.toLowerCase() + (e.className && typeof e.className === 'string' ? '.' + e.className.split(' ')[0] : ''));
          const figures = [...document.querySelectorAll('figure')];
          const images = [...document.querySelectorAll('img, svg[role=img], [role=img]')];
          const external = [];
          for (const e of document.querySelectorAll('[src], [href]')) {
            for (const a of ['src', 'href']) {
              const v = e.getAttribute(a);
              if (v !== null && !v.startsWith('#') && !v.startsWith('data:')) external.push(a + '=' + v.slice(0, 80));
            }
          }
          for (const s of document.styleSheets) for (const r of s.cssRules) if (/url\((?!["']?data:)/.test(r.cssText)) external.push('css ' + r.cssText.slice(0, 80));
          const links = [...document.querySelectorAll('a[href^="#"]')];
          const broken = links.filter(a => !document.getElementById(decodeURIComponent(a.getAttribute('href').slice(1)))).map(a => a.getAttribute('href'));
          const notLanding = [];
          for (const a of links.filter(a => /-cell-/.test(a.getAttribute('href'))).slice(0, 40)) {
            const target = document.getElementById(a.getAttribute('href').slice(1));
            if (!target) continue;
            location.hash = a.getAttribute('href');
            const top = target.getBoundingClientRect().top;
            const atBottom = scrollY + innerHeight >= doc.scrollHeight - 2;
            if (Math.abs(top) > 2 && !(atBottom && top >= 0 && top < innerHeight)) notLanding.push(a.getAttribute('href') + ' top=' + top);
          }
          scrollTo(0, 0);
          const wide = [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > doc.clientWidth + 1 && getComputedStyle(e).position !== 'fixed')
            .filter(e => !e.closest('.scroll, .gallery-scroll')).slice(0, 20).map(e => name(e) + ' right=' + Math.round(e.getBoundingClientRect().right));
          const out = {
            width: doc.clientWidth, scrollWidth: doc.scrollWidth,
            figures: figures.length,
            figuresWithoutCaption: figures.filter(f => !f.querySelector(':scope > figcaption') || !f.querySelector(':scope > figcaption').textContent.trim()).map(name),
            images: images.length,
            imagesNotDrawn: [...document.querySelectorAll('img')].filter(i => !i.complete || i.naturalWidth === 0).map(i => (i.getAttribute('alt') || name(i)).slice(0, 80)),
            imagesWithoutAlt: images.filter(i => i.tagName === 'IMG' ? !(i.getAttribute('alt') || '').trim() : !(i.getAttribute('aria-label') || '').trim()).map(name),
            externalReferences: external, internalLinks: links.length, brokenLinks: broken, linksNotLanding: notLanding, wideElements: wide,
          };
          const pre = document.createElement('pre');
          pre.id = 'layout-check';
          pre.textContent = JSON.stringify(out);
          document.body.appendChild(pre);
        });
        </script>
        """;

    static readonly JsonSerializerOptions Json = new() { PropertyNameCaseInsensitive = true };

    /// <summary>Opens <paramref name="htmlPath"/> at <paramref name="width"/> px and returns what the browser measured.</summary>
    public static ReportLayout Measure(TempDirectory dir, string htmlPath, int width)
    {
        Chromium.Require();
        var html = File.ReadAllText(htmlPath);
        Assert.Contains("default-src 'none'", html, StringComparison.Ordinal);
        var instrumented = html
            .Replace("default-src 'none'; style-src 'unsafe-inline'", "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'", StringComparison.Ordinal)
            .Replace("</body>", Script + "</body>", StringComparison.Ordinal);
        var copy = dir.File($"layout-{width}-{Guid.NewGuid():N}.html");
        File.WriteAllText(copy, instrumented);
        var dom = Chromium.Run(dir, "--dump-dom", $"--window-size={width},900", "--virtual-time-budget=5000", new Uri(copy).AbsoluteUri);
        var match = Regex.Match(dom, "<pre id=\"layout-check\">(.*?)</pre>", RegexOptions.Singleline);
        Assert.True(match.Success, "The layout script wrote no result; did Chromium run it?");
        return JsonSerializer.Deserialize<ReportLayout>(WebUtility.HtmlDecode(match.Groups[1].Value), Json)!;
    }

    /// <summary>Asserts what every report must satisfy at any width.</summary>
    public static void AssertReadable(ReportLayout layout)
    {
        Assert.True(layout.ScrollWidth <= layout.Width, $"The page scrolls sideways at {layout.Width} px: it is {layout.ScrollWidth} px wide. Wide: {string.Join("; ", layout.WideElements)}");
        Assert.Empty(layout.FiguresWithoutCaption);
        Assert.Empty(layout.ImagesWithoutAlt);
        Assert.Empty(layout.ImagesNotDrawn ?? []);
        Assert.Empty(layout.ExternalReferences);
        Assert.Empty(layout.BrokenLinks);
        Assert.Empty(layout.LinksNotLanding);
    }

    /// <summary>
    /// Checks a report of any kind at a desktop (1280 px) and a phone (480 px) width with <see cref="AssertReadable"/>,
    /// and writes a screenshot of each into report-screenshots/<paramref name="kind"/>-WIDTH.png.
    /// <paramref name="linksBesideIt"/> admits plain relative links to files written next to the page (the segment
    /// report links its embedded previews to the full-size overlays); nothing is ever fetched to show the page.
    /// </summary>
    public static void AssertReadableWithScreenshots(TempDirectory dir, string htmlPath, string kind, bool linksBesideIt = false)
    {
        foreach (var width in new[] { 1280, 480 })
        {
            var layout = Measure(dir, htmlPath, width);
            Screenshot(dir, htmlPath, $"{kind}-{width}", width, 2400);
            if (linksBesideIt)
                layout = layout with { ExternalReferences = [.. layout.ExternalReferences.Where(r => !(r.StartsWith("href=", StringComparison.Ordinal) && !r.Contains(':', StringComparison.Ordinal) && !r.Contains("..", StringComparison.Ordinal)))] };
            AssertReadable(layout);
        }
    }

    /// <summary>Takes a screenshot of the report (scrolled to <paramref name="fragment"/>, e.g. <c>#notes</c>) into the test output folder (report-screenshots/NAME.png) and returns its path.</summary>
    public static string Screenshot(TempDirectory dir, string htmlPath, string name, int width, int height, string fragment = "")
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "report-screenshots");
        Directory.CreateDirectory(folder);
        var png = Path.Combine(folder, name + ".png");
        Chromium.Run(dir, $"--screenshot={png}", $"--window-size={width},{height}", "--hide-scrollbars", new Uri(Path.GetFullPath(htmlPath)).AbsoluteUri + fragment);
        Assert.True(File.Exists(png), $"Chromium wrote no screenshot to {png}.");
        return png;
    }
}
