using static AutoClassify.Reporting.HtmlFormat;

namespace AutoClassify.Reporting;

internal sealed partial class HtmlReportRenderer
{
    // Every image's scale, its source, disagreements, and the per-class table that exposes a magnification confound.
    void Scales()
    {
        if (_r.Dataset.Scales is not { } s)
            return;
        _sb.Append("<section id=\"scales\">\n<h2>Pixel size</h2>\n");
        _sb.Append("<p class=\"lead\">Where each image's scale came from: <code>--nm-per-pixel</code> first, then the file's own metadata (MRC/DM/SER headers, TIFF vendor tags, TIFF resolution tags). Every image's value is in results.json.</p>\n");
        if (s.Warnings.Count > 0)
        {
            _sb.Append("<ul id=\"scale-warnings\" class=\"warnings\">");
            foreach (var warning in s.Warnings)
                _sb.Append(Inv, $"<li>{E(warning)}</li>");
            _sb.Append("</ul>\n");
        }
        _sb.Append("<table id=\"scale-summary\" class=\"kv\"><tbody>\n");
        Row("Scale used", s.NmPerPixel is { } nm ? $"{E(Nm(nm))} nm/px ({E(s.Source)})" : "unknown: sizes in pixels");
        Row("Resampled", s.ResampledToNm is { } target ? $"every image to {E(Nm(target))} nm/px (--resample-nm)" : "no");
        var bySource = s.Images.GroupBy(i => i.Source ?? "none (no metadata)").OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal);
        Row("Sources", string.Join("; ", bySource.Select(g => $"{E(g.Key)}: {Int(g.Count())}")));
        Row("Intensity mapping", E(s.IntensityMapping));
        _sb.Append("</tbody></table>\n");

        if (s.PerClass.Any(c => c.Known > 0))
        {
            _sb.Append(Inv, $"<table id=\"scale-per-class\"><caption>Pixel size per class (nm/px){(s.ClassesDiffer ? ": the classes differ, so magnification can stand in for the class" : "")}</caption>\n");
            _sb.Append("<thead><tr><th scope=\"col\" class=\"text\">Class</th><th scope=\"col\">Images with a scale</th><th scope=\"col\">Min</th><th scope=\"col\">Median</th><th scope=\"col\">Max</th></tr></thead>\n<tbody>\n");
            foreach (var c in s.PerClass)
                _sb.Append(Inv, $"<tr><th scope=\"row\" class=\"text\">{E(c.ClassName)}</th><td>{Int(c.Known)} of {Int(c.Images)}</td><td>{Opt(c.MinNm)}</td><td>{Opt(c.MedianNm)}</td><td>{Opt(c.MaxNm)}</td></tr>\n");
            _sb.Append("</tbody></table>\n");
        }
        _sb.Append("</section>\n");

        void Row(string header, string valueHtml) => _sb.Append(Inv, $"<tr><th scope=\"row\">{header}</th><td>{valueHtml}</td></tr>\n");
        static string Opt(double? value) => value is { } v ? E(Nm(v)) : "–";
    }

    static string Nm(double value) => ReportNumber.Sig(value);
}
