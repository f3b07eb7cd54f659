using System.Text;
using AutoClassify.Dataset;
using AutoClassify.IO;
using AutoClassify.Preprocessing;
using AutoClassify.Segmentation;
using static AutoClassify.Reporting.HtmlFormat;

namespace AutoClassify.Reporting;

/// <summary>
/// Renders a <see cref="ParticleBatchResult"/> as one self-contained HTML page (inline CSS and SVG, no scripts):
/// settings, a histogram of equivalent diameters, one row per image and the list of unreadable files.
/// Culture-independent; every file name is escaped.
/// </summary>
public static class ParticleReport
{
    /// <summary>Overlay previews embedded in the page at most; a larger batch links the rest.</summary>
    public const int MaxPreviews = 60;

    /// <summary>The whole page as an HTML document.</summary>
    public static string Render(ParticleBatchResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var sb = new StringBuilder();
        var o = result.Options.Segmentation;
        var unit = o.NmPerPixel is null ? "px" : "nm";
        var total = result.Images.Sum(i => i.Summary.Count);
        var border = result.Images.Sum(i => i.Summary.BorderCount);
        var diameters = result.Images.SelectMany(i => i.MeasuredDiameters()).Order().ToArray();
        var folder = Path.GetFileName(result.Root.TrimEnd(Path.DirectorySeparatorChar));

        sb.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        sb.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        sb.Append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n");
        sb.Append(Inv, $"<title>AutoClassify particles: {E(folder)}</title>\n<style>\n").Append(ReportCss.Text)
            .Append(".previews { gap: 12px; }\n.previews figure { margin: 0; max-width: 260px; }\n.previews img { max-width: 100%; border: 1px solid #ddd; }\n")
            .Append("</style>\n</head>\n<body>\n<main>\n");
        sb.Append(Inv, $"<header>\n<h1>Particle segmentation: {E(folder)}</h1>\n");
        sb.Append(Inv, $"<p class=\"subtitle\">{Int(result.Images.Count)} images segmented · {Int(result.Errors.Count)} unreadable · {Int(total)} particles, {Int(border)} cut by the border and left out of the sizes · wall time {E(Duration(result.WallTime))}</p>\n</header>\n");

        sb.Append("<section id=\"settings\">\n<h2>Settings</h2>\n<table id=\"settings-table\" class=\"kv\"><tbody>\n");
        Row("Folder", $"<code>{E(result.Root)}</code>");
        var c = result.Options.Crop;
        Row("Crop (top, bottom, left, right)", c.IsNone ? "none" : E($"{Int(c.Top)}, {Int(c.Bottom)}, {Int(c.Left)}, {Int(c.Right)} px"));
        Row("Data banners", E($"{BannerDetector.ModeName(result.Options.Banner)}; found in {result.BannersFound} of {result.Images.Count} images"));
        Row("Scale", o.NmPerPixel is { } s ? E(Num(s) + " nm per pixel" + (result.Options.ScaleSource is { } from ? $" ({from})" : ""))
            : E("unknown: sizes in pixels" + (result.Options.ScaleWarning is { } why ? $"; {why}" : "")));
        if (result.Options.Labeler is { } labeler)
        {
            Row("Segmenter", E("trained model " + labeler.Name));
            foreach (var (key, value) in labeler.Settings)
                Row(E(key), E(value));
            Row("Probability maps", E("probabilities/<image>.<channel>.png, linked per image as p(channel): 8-bit grey, value = 255 × probability"));
        }
        else
        {
            Row("Contrast normalisation", E(o.Normalization.ToString()));
            Row("Threshold, polarity", E($"{o.Threshold}, {o.Polarity}"));
            Row("Seeds", E(o.Markers == MarkerMethod.HMaxima ? $"h-maxima of the distance transform, h = {Num(o.PeakHeight, 1)} px" : $"distance ≥ {Num(o.PeakFraction, 2)} × blob maximum"));
        }
        Row("Minimum particle area", E($"{Int(o.MinArea)} px"));
        Row("Threads", result.Options.Threads > 0 ? Int(result.Options.Threads) : "all cores");
        sb.Append("</tbody></table>\n</section>\n");

        sb.Append("<section id=\"sizes\">\n<h2>Particle sizes</h2>\n");
        if (diameters.Length == 0)
        {
            sb.Append("<p class=\"quiet\">No particle clear of the image border was found.</p>\n");
        }
        else
        {
            sb.Append(Inv, $"<p class=\"lead\">Equivalent diameter (diameter of the disk of equal area) of {Int(diameters.Length)} particles not touching the border: median {Num(OrderStatistics.Quantile(diameters, 0.5))} {unit}, 10–90 % range {Num(OrderStatistics.Quantile(diameters, 0.1))}–{Num(OrderStatistics.Quantile(diameters, 0.9))} {unit}.</p>\n");
            sb.Append("<figure id=\"diameter-histogram\">");
            sb.Append(SvgHistogram.Render(diameters, $"equivalent diameter ({unit})", "Histogram of equivalent diameters"));
            sb.Append(Inv, $"<figcaption>Equivalent diameters ({unit}) of the particles clear of the border, all images.</figcaption></figure>\n");
        }
        sb.Append("</section>\n");

        sb.Append("<section id=\"images\">\n<h2>Images</h2>\n");
        sb.Append(Inv, $"<div class=\"scroll\"><table id=\"image-table\" class=\"num compact\"><thead><tr><th scope=\"col\" class=\"text\">Image</th><th scope=\"col\">Size</th><th scope=\"col\">Particles</th><th scope=\"col\">Border-cut</th><th scope=\"col\">Measured</th><th scope=\"col\">D10 ({unit})</th><th scope=\"col\">D50 ({unit})</th><th scope=\"col\">D90 ({unit})</th><th scope=\"col\">Area fraction</th><th scope=\"col\" class=\"text\">Files</th></tr></thead><tbody>\n");
        foreach (var image in result.Images)
        {
            var m = image.Summary;
            sb.Append(Inv, $"<tr><th scope=\"row\" class=\"text\"><code>{E(image.Path)}</code></th><td>{Int(image.Width)}×{Int(image.Height)}</td><td>{Int(m.Count)}</td><td>{Int(m.BorderCount)}</td><td>{Int(m.MeasuredCount)}</td>");
            sb.Append(Inv, $"<td>{Num(m.DiameterQ10)}</td><td>{Num(m.DiameterQ50)}</td><td>{Num(m.DiameterQ90)}</td><td>{Percent(m.AreaFraction)}</td>");
            sb.Append(Inv, $"<td class=\"text\"><a href=\"{E(Href(ParticleBatchResult.OverlayPath(image.Path)))}\">overlay</a> · <a href=\"{E(Href(ParticleBatchResult.LabelPath(image.Path)))}\">labels</a>");
            if (image.ProbabilityChannels.Count > 0)
                sb.Append(" · p(").AppendJoin(", ", image.ProbabilityChannels.Select(c => $"<a class=\"probability\" href=\"{E(Href(ParticleBatchResult.ProbabilityPath(image.Path, c)))}\">{E(c)}</a>")).Append(')');
            sb.Append("</td></tr>\n");
        }
        sb.Append("</tbody></table></div>\n<p class=\"quiet\">Per-particle measurements: particles.csv; per-image summaries: summary.csv.</p>\n</section>\n");

        var previews = result.Images.Where(i => i.Preview is not null).Take(MaxPreviews).ToList();
        if (previews.Count > 0)
        {
            sb.Append("<section id=\"overlays\">\n<h2>Overlays</h2>\n");
            sb.Append(Inv, $"<p class=\"quiet\">Each measured particle tinted and outlined in its own colour; particles cut by the border outlined in magenta.{(result.Images.Count > previews.Count ? $" The first {Int(previews.Count)} images; the rest are linked in the table." : "")}</p>\n");
            sb.Append("<div class=\"row previews\">\n");
            foreach (var image in previews)
            {
                sb.Append(Inv, $"<figure><a href=\"{E(Href(ParticleBatchResult.OverlayPath(image.Path)))}\"><img src=\"data:image/png;base64,{Convert.ToBase64String(image.Preview!)}\" alt=\"particles found in {E(image.Path)}\"></a>");
                sb.Append(Inv, $"<figcaption><code>{E(image.Path)}</code> · {Int(image.Summary.Count)} particles</figcaption></figure>\n");
            }
            sb.Append("</div>\n</section>\n");
        }

        sb.Append("<section id=\"errors\">\n<h2>Unreadable images</h2>\n");
        if (result.Errors.Count == 0)
        {
            sb.Append("<p class=\"quiet\">None.</p>\n");
        }
        else
        {
            sb.Append("<ul class=\"warnings\" id=\"error-list\">\n");
            foreach (var e in result.Errors)
                sb.Append(Inv, $"<li><code>{E(e.Path)}</code>: {E(e.Reason)}</li>\n");
            sb.Append("</ul>\n");
        }
        sb.Append("</section>\n<footer>Generated by AutoClassify segment.</footer>\n</main>\n</body>\n</html>\n");
        return sb.ToString();

        void Row(string header, string valueHtml) => sb.Append(Inv, $"<tr><th scope=\"row\">{header}</th><td>{valueHtml}</td></tr>\n");
    }

    // Relative link: each path segment percent-encoded, so odd file names stay one link.
    static string Href(string relative) => string.Join('/', relative.Split('/').Select(Uri.EscapeDataString));
}
