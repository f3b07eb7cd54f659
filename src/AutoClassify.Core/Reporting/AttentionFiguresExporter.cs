using System.Text;
using AutoClassify.Evaluation;
using AutoClassify.IO;
using static AutoClassify.Reporting.HtmlFormat;

namespace AutoClassify.Reporting;

/// <summary>
/// Writes into <c>figures/</c>, per CNN, <c>MODEL-gradcam.svg</c> (the report's Grad-CAM images with their classes and
/// one colour bar) and <c>MODEL-first-layer.svg</c> (the first layer's kernels and activation maps): standalone SVGs
/// with the pictures embedded as PNGs at the network's resolution, drawn with sharp pixels.
/// </summary>
public sealed class AttentionFiguresExporter : IReportExporter
{
    const int Columns = 4;

    public string Name => "attention figures";

    public void Export(BenchmarkResult result, string outDir)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentException.ThrowIfNullOrWhiteSpace(outDir);
        var figures = Render(result);
        if (figures.Count == 0)
            return;
        var dir = Path.Combine(outDir, FiguresExporter.FolderName);
        Directory.CreateDirectory(dir);
        foreach (var (file, svg) in figures)
            AtomicFile.WriteAllText(Path.Combine(dir, file), svg);
    }

    /// <summary>Every attention figure of the run as (file name, SVG text); empty when no model is a CNN.</summary>
    internal static List<(string File, string Svg)> Render(BenchmarkResult result)
    {
        var classes = result.Dataset.ClassNames;
        var galleries = GalleryPlan.Build(result);
        var figures = new List<(string, string)>();
        for (var i = 0; i < result.Models.Count; i++)
        {
            var model = result.Models[i];
            if (AttentionPlan.Build(model, i < galleries.Models.Count ? galleries.Models[i] : null, classes.Count) is not { } plan)
                continue;
            var slug = FiguresExporter.Slug(model.Name);
            if (plan.Wrong.Count + plan.Right.Count > 0)
                figures.Add(($"{slug}-gradcam.svg", GradCam(model.Name, plan, classes)));
            if (plan.FirstLayer?.Training.Explanation is { Filters: not null } e)
                figures.Add(($"{slug}-first-layer.svg", FirstLayer(model.Name, plan.FirstLayer.Fold, e, classes)));
        }
        return figures;
    }

    static string GradCam(string model, AttentionPlan plan, IReadOnlyList<string> classes)
    {
        var shown = plan.Wrong.Select(p => (p, "top loss")).Concat(plan.Right.Select(p => (p, "right"))).ToList();
        var zoom = AttentionImages.Zoom(plan.InputSize, 96);
        var panelW = (2 * plan.InputSize + 1) * zoom;
        var panelH = plan.InputSize * zoom;
        const double pad = 14, captionH = 30, top = 28, barH = 50;
        var columns = Math.Min(Columns, shown.Count);
        var rows = (shown.Count + columns - 1) / columns;
        var width = pad + columns * (panelW + pad);
        var height = top + rows * (panelH + captionH + pad) + barH;
        var title = $"{model}: Grad-CAM (HiResCAM) for the predicted class (input left, map right), one scale 0 to {AttentionImages.Sig(plan.Scale)}";
        var sb = Open(width, height, title);
        for (var n = 0; n < shown.Count; n++)
        {
            var (p, kind) = shown[n];
            var x = pad + n % columns * (panelW + pad);
            var y = top + n / columns * (panelH + captionH + pad);
            var map = plan.Maps[p.Item];
            if (map.IsEmpty)
            {
                var (input, _, _) = AttentionImages.Input(map.Input);
                Image(sb, input, x, y, panelH, panelH);
                var mid = x + panelH + (panelW - panelH) / 2;
                sb.Append(Inv, $"<text x=\"{Coord(mid)}\" y=\"{Coord(y + panelH / 2 - 6)}\" text-anchor=\"middle\">no map: no location</text>");
                sb.Append(Inv, $"<text x=\"{Coord(mid)}\" y=\"{Coord(y + panelH / 2 + 8)}\" text-anchor=\"middle\">raised this score</text>");
            }
            else
            {
                var (png, _, _) = AttentionImages.GradCam(map, plan.Scale);
                Image(sb, png, x, y, panelW, panelH);
            }
            var confidence = ModelGallery.Confidence(p);
            sb.Append(Inv, $"<text x=\"{Coord(x)}\" y=\"{Coord(y + panelH + 12)}\">{E(kind)}, fold {Int(p.Fold + 1)}: true {E(ClassName(classes, p.TrueLabel))}</text>");
            sb.Append(Inv, $"<text x=\"{Coord(x)}\" y=\"{Coord(y + panelH + 25)}\">predicted {E(ClassName(classes, p.PredictedLabel))}, p {Num(confidence, 2)}</text>");
        }
        sb.Append(Inv, $"<g transform=\"translate({Coord(pad)} {Coord(height - barH)})\">").Append(AttentionImages.ColourBar(plan.Scale, "Grad-CAM, logit units", "scale")).Append("</g></svg>\n");
        return sb.ToString();
    }

    static string FirstLayer(string model, int fold, Models.Cnn.CnnExplanation e, IReadOnlyList<string> classes)
    {
        var filters = e.Filters!;
        var (fpng, fw, fh) = AttentionImages.Filters(filters);
        var fzoom = Math.Max(1, 24 / filters.KernelSize);
        var scale = e.Activations.Select(a => (double)a.Max).DefaultIfEmpty(0).Max();
        var rows = e.Activations.Select(a =>
        {
            var (ipng, iw, ih) = AttentionImages.Input(a.Input);
            var (apng, aw, ah) = AttentionImages.Activations(a, scale);
            return (a, ipng, iw, ih, apng, aw, ah);
        }).ToList();
        var azoom = rows.Count == 0 ? 1 : AttentionImages.Zoom(rows[0].a.Side, 40);
        const double pad = 14, top = 28, label = 16, barH = 50;
        var rowHeights = rows.Select(r => Math.Max(r.ih * azoom, r.ah * azoom) + label + pad).ToList();
        var width = pad + Math.Max(fw * fzoom, rows.Select(r => (r.iw + 4 + r.aw) * (double)azoom).DefaultIfEmpty(0).Max()) + pad;
        var height = top + label + fh * fzoom + pad + rowHeights.Sum() + (rows.Count > 0 ? barH : 0);
        var title = $"{model}: first-layer kernels and activation maps (fold {fold + 1})";
        var sb = Open(width, height, title);
        var maxWeight = filters.Weights.Select(w => Math.Abs(w)).DefaultIfEmpty(0).Max();
        sb.Append(Inv, $"<text x=\"{Coord(pad)}\" y=\"{Coord(top + 11)}\">{Int(filters.Count)} kernels of {Int(filters.KernelSize)} × {Int(filters.KernelSize)}: mid grey 0, white/black ± {AttentionImages.Sig(maxWeight)}</text>");
        Image(sb, fpng, pad, top + label, fw * fzoom, fh * fzoom);
        var y = top + label + fh * fzoom + pad;
        for (var i = 0; i < rows.Count; i++)
        {
            var r = rows[i];
            sb.Append(Inv, $"<text x=\"{Coord(pad)}\" y=\"{Coord(y + 11)}\">class {E(ClassName(classes, r.a.TrueClass))}: input, then one activation map per kernel</text>");
            Image(sb, r.ipng, pad, y + label, r.iw * azoom, r.ih * azoom);
            Image(sb, r.apng, pad + (r.iw + 4) * azoom, y + label, r.aw * azoom, r.ah * azoom);
            y += rowHeights[i];
        }
        if (rows.Count > 0)
            sb.Append(Inv, $"<g transform=\"translate({Coord(pad)} {Coord(y)})\">").Append(AttentionImages.ColourBar(scale, "activation after the first ReLU", "scale")).Append("</g>");
        sb.Append("</svg>\n");
        return sb.ToString();
    }

    static StringBuilder Open(double width, double height, string title)
    {
        var sb = new StringBuilder();
        sb.Append(Inv, $"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {Coord(width)} {Coord(height)}\" width=\"{Coord(width)}\" height=\"{Coord(height)}\" role=\"img\" aria-label=\"{E(title)}\" font-family=\"sans-serif\" font-size=\"11\">");
        sb.Append(Inv, $"<title>{E(title)}</title><rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>");
        sb.Append(Inv, $"<text x=\"{Coord(width / 2)}\" y=\"16\" text-anchor=\"middle\" font-size=\"13\">{E(title)}</text>");
        return sb;
    }

    static void Image(StringBuilder sb, byte[] png, double x, double y, double width, double height) =>
        sb.Append(Inv, $"<image href=\"data:image/png;base64,{Convert.ToBase64String(png)}\" x=\"{Coord(x)}\" y=\"{Coord(y)}\" width=\"{Coord(width)}\" height=\"{Coord(height)}\" preserveAspectRatio=\"none\" style=\"image-rendering: pixelated\"/>");

    static string ClassName(IReadOnlyList<string> classes, int k) => (uint)k < (uint)classes.Count ? classes[k] : $"class {Int(k)}";
}
