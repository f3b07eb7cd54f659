using AutoClassify.Evaluation;
using static AutoClassify.Reporting.HtmlFormat;

namespace AutoClassify.Reporting;

/// <summary>The report's images: top losses, most-confused pairs and a gallery behind every confusion-matrix cell.</summary>
internal sealed partial class HtmlReportRenderer
{
    const string GalleryCss = """
        .gallery { display: flex; flex-wrap: wrap; gap: 10px 12px; margin: 6px 0 10px; }
        figure.thumb { width: 132px; margin: 0; font-size: 12px; line-height: 1.3; }
        figure.thumb img, figure.thumb .noimg { display: block; max-width: 128px; max-height: 128px; width: auto; height: auto; border: 1px solid var(--hair); background: #f0f0f0; }
        figure.thumb .noimg { width: 128px; height: 64px; padding: 6px; color: var(--muted); font-style: italic; }
        figure.thumb figcaption { margin: 3px 0 0; color: var(--ink); overflow-wrap: anywhere; }
        figure.thumb figcaption code { color: var(--muted); font-size: 0.92em; }
        .wrong { color: #b3261e; font-weight: 600; }
        section.cell { margin: 4px 0 14px; }
        section.cell:target, section.cell:target h4 { background: #fff8d6; }
        section.cell h4 { font-size: 14px; font-weight: 600; margin: 10px 0 2px; }
        table.cm td.v a { color: inherit; display: block; }
        table.cm td.v a:hover { text-decoration: underline; }
        ol.pairs { margin: 4px 0; padding-left: 22px; }

        """;

    GalleryPlan? _galleryPlan;

    GalleryPlan Galleries => _galleryPlan ??= GalleryPlan.Build(_r);

    /// <summary>The anchor of a cell's gallery, or null when the cell is empty.</summary>
    string? CellHref(int model, int t, int p) =>
        model < Galleries.Models.Count && Galleries.Models[model].Cells.Any(c => c.True == t && c.Predicted == p)
            ? $"#m{Int(model)}-cell-{Int(t)}-{Int(p)}"
            : null;

    void Gallery(string id, int index, ModelResult model)
    {
        if (index >= Galleries.Models.Count || model.Predictions.Count == 0)
            return;
        var g = Galleries.Models[index];
        _sb.Append(Inv, $"<h3 id=\"{id}-top-losses\">Top losses: the most confidently wrong test images<sup><a href=\"#note-images\">10</a></sup></h3>\n");
        if (g.Wrong == 0)
        {
            _sb.Append("<p class=\"quiet\">No test image was misclassified.</p>\n");
        }
        else
        {
            _sb.Append(Inv, $"<p class=\"quiet\">The {Int(g.TopLosses.Count)} of {Int(g.Wrong)} misclassified out-of-fold predictions with the highest loss −ln p(true class), highest first; p is the probability the model gave its predicted class.</p>\n");
            Thumbnails($"{id}-top-losses-gallery", g.TopLosses);
        }

        _sb.Append(Inv, $"<h3 id=\"{id}-confused\">Most confused pairs</h3>\n");
        if (g.ConfusedPairs.Count == 0)
        {
            _sb.Append("<p class=\"quiet\">No class was mistaken for another.</p>\n");
        }
        else
        {
            _sb.Append("<ol class=\"pairs\">");
            foreach (var c in g.ConfusedPairs)
            {
                var support = model.Predictions.Count(p => p.TrueLabel == c.True);
                _sb.Append(Inv, $"<li><a href=\"#{id}-cell-{Int(c.True)}-{Int(c.Predicted)}\">{E(ClassName(c.True))} taken for {E(ClassName(c.Predicted))}</a>: {Int(c.Count)} of {Int(support)} images ({Percent(support == 0 ? double.NaN : (double)c.Count / support)})</li>");
            }
            _sb.Append("</ol>\n");
            foreach (var c in g.ConfusedPairs)
                Cell(id, c);
        }

        _sb.Append(Inv, $"<h3 id=\"{id}-cells\">Images behind every confusion-matrix cell</h3>\n<p class=\"quiet\">Each count in the matrices above links here. Wrong cells show their {Int(GalleryPlan.PerWrongCell)} most confident images, right cells their {Int(GalleryPlan.PerRightCell)} closest calls (lowest probability); <code>predictions.csv</code> lists every image (filter on <code>model</code>, <code>true_class</code> and <code>predicted_class</code>).</p>\n");
        foreach (var c in g.Cells.Where(c => !g.ConfusedPairs.Contains(c)))
            Cell(id, c);
    }

    void Cell(string id, GalleryCell c)
    {
        var verdict = c.True == c.Predicted ? "right" : "wrong";
        _sb.Append(Inv, $"<section class=\"cell\" id=\"{id}-cell-{Int(c.True)}-{Int(c.Predicted)}\"><h4>True {E(ClassName(c.True))}, predicted {E(ClassName(c.Predicted))} ({verdict}): {Int(c.Count)} {(c.Count == 1 ? "image" : "images")}{(c.Shown.Count < c.Count ? $", {Int(c.Shown.Count)} shown" : "")}</h4>\n");
        Thumbnails(null, c.Shown);
        _sb.Append("</section>\n");
    }

    void Thumbnails(string? id, IReadOnlyList<Prediction> predictions)
    {
        _sb.Append(id is null ? "<div class=\"gallery\">\n" : $"<div class=\"gallery\" id=\"{id}\">\n");
        foreach (var p in predictions)
        {
            var path = (uint)p.Item < (uint)_r.Items.Count ? _r.Items[p.Item].Path : $"item {Int(p.Item)}";
            var confidence = ModelGallery.Confidence(p);
            var right = p.TrueLabel == p.PredictedLabel;
            var alt = $"{path}: true {ClassName(p.TrueLabel)}, predicted {ClassName(p.PredictedLabel)} with probability {Num(confidence)}";
            _sb.Append("<figure class=\"thumb\">");
            if (_images.Of(p.Item) is { } t)
                _sb.Append(Inv, $"<img src=\"data:image/jpeg;base64,{t.Base64}\" width=\"{Int(t.Width)}\" height=\"{Int(t.Height)}\" alt=\"{E(alt)}\">");
            else
                _sb.Append(Inv, $"<div class=\"noimg\" role=\"img\" aria-label=\"{E(alt)}\">{E(_images.ProblemOf(p.Item) is null ? "not embedded" : "unreadable")}</div>");
            var trueP = (uint)p.TrueLabel < (uint)p.Probabilities.Length ? p.Probabilities[p.TrueLabel] : double.NaN;
            _sb.Append(Inv, $"<figcaption>true {E(ClassName(p.TrueLabel))}<br><span class=\"{(right ? "right" : "wrong")}\">pred {E(ClassName(p.PredictedLabel))}</span> p {Num(confidence)}");
            if (!right)
                _sb.Append(Inv, $" <span class=\"ci\">(true {Num(trueP)})</span>");
            _sb.Append(Inv, $"<br>fold {Int(p.Fold + 1)} · <code>{E(path)}</code></figcaption></figure>\n");
        }
        _sb.Append("</div>\n");
    }

    /// <summary>One sentence on what the thumbnails are and what the cap or unreadable files left out.</summary>
    void ImagesNote()
    {
        if (_images.Unavailable is { } why)
        {
            _sb.Append(Inv, $"<li id=\"note-images\">Gallery images are not embedded: {E(why)}. The galleries list each image's path, classes and probabilities.</li>\n");
            return;
        }
        var dropped = _images.DroppedByCap == 0
            ? $"The cap of {E(Bytes(_images.CapBytes))} dropped no thumbnail"
            : $"The cap of {E(Bytes(_images.CapBytes))} dropped {Int(_images.DroppedByCap)} {(_images.DroppedByCap == 1 ? "thumbnail" : "thumbnails")} (shown as “not embedded”): thumbnails are taken in order of importance, every model's top losses first, then the most-confused pairs, then the other cells";
        var unreadable = _images.Unreadable == 0 ? "" : $" {Int(_images.Unreadable)} {(_images.Unreadable == 1 ? "image" : "images")} could not be read again and show as “unreadable”.";
        _sb.Append(Inv, $"<li id=\"note-images\">Gallery thumbnails are the test images read again from the data set when the report was written, prepared as the run prepared them (manual crop, data-banner handling and, with --resample-nm, resampling), at most {Int(ReportImages.MaxSide)} px on the longer side, stretched from their 1st to 99th intensity percentile and JPEG-compressed (quality {Int(ReportImages.JpegQuality)}). {Int(_images.Embedded)} thumbnails take {E(Bytes(_images.Bytes))} of the page. {dropped}.{unreadable}</li>\n");
    }

    static string Bytes(long bytes) => bytes >= 1024 * 1024
        ? Num(bytes / (1024.0 * 1024)) + " MiB"
        : (bytes / 1024.0).ToString("0", Inv) + " KiB";
}
