using AutoClassify.Evaluation;
using AutoClassify.Models.Cnn;
using static AutoClassify.Reporting.HtmlFormat;

namespace AutoClassify.Reporting;

/// <summary>What a CNN looked at: Grad-CAM over the gallery's images, and the first layer's filters and activations.</summary>
internal sealed partial class HtmlReportRenderer
{
    const string AttentionCss = """
        figure.cam { width: auto; max-width: 100%; }
        figure.cam img, details.firstlayer img { image-rendering: pixelated; image-rendering: crisp-edges; max-width: 100%; height: auto; }
        figure.cam figcaption { max-width: 236px; }
        svg.colourbar { display: block; margin: 4px 0 8px; max-width: 100%; height: auto; }
        details.firstlayer { margin: 8px 0 12px; }
        details.firstlayer > summary { cursor: pointer; font-weight: 600; }
        figure.acts { margin: 6px 0 12px; }
        figure.acts > div { display: flex; flex-wrap: wrap; gap: 8px; align-items: flex-start; }

        """;

    // Bytes the Grad-CAM and first-layer PNGs add to the page (base64).
    long _attentionBytes;

    void Attention(string id, int index, ModelResult model)
    {
        if (AttentionPlan.Build(model, index < Galleries.Models.Count ? Galleries.Models[index] : null, _classes.Count) is not { } plan)
            return;
        var before = _attentionBytes;
        var missing = plan.MissingFolds.Select(f => Int(f + 1)).ToList();
        _sb.Append(Inv, $"<h3 id=\"{id}-gradcam\">What the network looked at: Grad-CAM</h3>\n");
        if (plan.Unavailable is { } reason)
        {
            _sb.Append(Inv, $"<p class=\"quiet\" id=\"{id}-gradcam-none\">{E(model.Name)} has no class activation maps: {E(reason)}.</p>\n");
            return;
        }
        _sb.Append(Inv, $"<p class=\"quiet\">Each pair shows the network's input ({Int(plan.InputSize)} × {Int(plan.InputSize)} px, as prepared for the CNN) and, on the right, its class activation map for the class the model predicted, by HiResCAM (Draelos and Carin, 2020), the form of Grad-CAM that keeps the gradient per location: at every location of the activations after the last convolutional block (<code>{E(plan.Layer)}</code>), each channel's activation is multiplied by the gradient of the predicted class's score (logit) with respect to it, the channels are summed, negative sums are set to 0, and the map is enlarged bilinearly to the input and blended {Int((int)Math.Round(AttentionImages.Blend * 100))} % over it. Where the network ends in global average pooling and a linear layer this is Grad-CAM itself; where a dense layer reads the flattened maps (LipNet-1, -2, -4, -6), Grad-CAM's per-channel average of the gradient would lose which locations count for which class. Bright regions raised the predicted class's score; where only pooling and one linear layer follow the layer, the map before the cut at 0 adds up to the score minus its bias. An image on which no location raised the score (the class won by the evidence against the others) is shown without a map and says so. Each fold's model explains its own test images only. All maps of this model share one scale, 0 to {E(AttentionImages.Sig(plan.Scale))} (the largest value shown), so their brightness can be compared.{(missing.Count == 0 ? "" : $" Folds {string.Join(", ", missing)} have no maps (they were restored from a checkpoint written before maps were recorded).")}</p>\n");
        _sb.Append(AttentionImages.ColourBar(plan.Scale, "Grad-CAM, logit units (shared by every map of this model)", $"{id}-gradcam-scale")).Append('\n');
        _sb.Append("<h4>Top losses</h4>\n");
        if (plan.Wrong.Count == 0)
            _sb.Append("<p class=\"quiet\">No misclassified test image to explain.</p>\n");
        else
            CamGallery($"{id}-gradcam-wrong", plan.Wrong, plan);
        _sb.Append("<h4>Correctly classified: the surest test image of each class</h4>\n");
        if (plan.Right.Count == 0)
            _sb.Append("<p class=\"quiet\">No class has a correctly classified test image.</p>\n");
        else
            CamGallery($"{id}-gradcam-right", plan.Right, plan);
        FirstLayer(id, plan.FirstLayer);
        _sb.Append(Inv, $"<p class=\"quiet\">These images of {E(model.Name)} take {E(Bytes(_attentionBytes - before))} of the page (PNG at the network's resolution, enlarged by the browser; inputs and maps larger than {Int(CnnModel.MaxExplanationSide)} px were averaged down when recorded).</p>\n");
    }

    void CamGallery(string id, List<Prediction> predictions, AttentionPlan plan)
    {
        _sb.Append(Inv, $"<div class=\"gallery\" id=\"{id}\">\n");
        foreach (var p in predictions)
        {
            var map = plan.Maps[p.Item];
            var path = (uint)p.Item < (uint)_r.Items.Count ? _r.Items[p.Item].Path : $"item {Int(p.Item)}";
            var confidence = ModelGallery.Confidence(p);
            var right = p.TrueLabel == p.PredictedLabel;
            if (map.IsEmpty)
            {
                // Drawing the empty map would read as "looked nowhere"; say what the zero means instead.
                var (ipng, iw, ih) = AttentionImages.Input(map.Input);
                var izoom = AttentionImages.Zoom(ih);
                _sb.Append("<figure class=\"thumb cam nomap\">");
                Png(ipng, iw * izoom, ih * izoom, $"{path}: network input; no location raised the score of predicted class {ClassName(p.PredictedLabel)} (true {ClassName(p.TrueLabel)}, probability {Num(confidence, 2)})");
                _sb.Append(Inv, $"<figcaption>true {E(ClassName(p.TrueLabel))} · <span class=\"{(right ? "right" : "wrong")}\">pred {E(ClassName(p.PredictedLabel))}</span> p {Num(confidence, 2)} · <strong>no map</strong>: no location raised this class's score (logit {E(AttentionImages.Sig(map.Logit))}, locations' sum {E(AttentionImages.Sig(map.Total))})<br>fold {Int(p.Fold + 1)} · <code>{E(path)}</code></figcaption></figure>\n");
                continue;
            }
            var alt = $"{path}: network input and Grad-CAM for predicted class {ClassName(p.PredictedLabel)} (true {ClassName(p.TrueLabel)}, probability {Num(confidence, 2)})";
            var (png, width, height) = AttentionImages.GradCam(map, plan.Scale);
            var zoom = AttentionImages.Zoom(height);
            _sb.Append("<figure class=\"thumb cam\">");
            Png(png, width * zoom, height * zoom, alt);
            _sb.Append(Inv, $"<figcaption>true {E(ClassName(p.TrueLabel))} · <span class=\"{(right ? "right" : "wrong")}\">pred {E(ClassName(p.PredictedLabel))}</span> p {Num(confidence, 2)} · peak {E(AttentionImages.Sig(map.Values.DefaultIfEmpty(0).Max()))}<br>fold {Int(p.Fold + 1)} · <code>{E(path)}</code></figcaption></figure>\n");
        }
        _sb.Append("</div>\n");
    }

    void FirstLayer(string id, FoldResult? fold)
    {
        if (fold is null || fold.Training.Explanation is not { Filters: { } filters } e)
            return;
        _sb.Append(Inv, $"<details class=\"firstlayer\" id=\"{id}-first-layer\"><summary>First layer: its {Int(filters.Count)} filters and their activation maps for one test image per class (fold {Int(fold.Fold + 1)})</summary>\n");
        var (fpng, fw, fh) = AttentionImages.Filters(filters);
        var fzoom = Math.Max(1, 8 * 3 / filters.KernelSize);
        _sb.Append(Inv, $"<figure class=\"acts\"><div>");
        Png(fpng, fw * fzoom, fh * fzoom, $"the {Int(filters.Count)} first-layer kernels of {Int(filters.KernelSize)} × {Int(filters.KernelSize)} weights, fold {Int(fold.Fold + 1)}");
        _sb.Append(Inv, $"</div><figcaption>The {Int(filters.Count)} kernels of <code>{E(filters.Name)}</code> ({Int(filters.KernelSize)} × {Int(filters.KernelSize)} weights each, in filter order, eight to a row). Mid grey is 0; white and black are ± {E(AttentionImages.Sig(filters.Weights.Select(w => Math.Abs(w)).DefaultIfEmpty(0).Max()))}, the largest absolute weight.</figcaption></figure>\n");
        if (e.Activations.Count > 0)
        {
            var scale = e.Activations.Max(a => (double)a.Max);
            _sb.Append(Inv, $"<p class=\"quiet\">Activation maps after the first convolution and its ReLU, one map per filter in the order above, for the surest correctly classified test image of each class (or the one given its class the highest probability). One scale for all, 0 to {E(AttentionImages.Sig(scale))}.</p>\n");
            _sb.Append(AttentionImages.ColourBar(scale, "activation after the first ReLU (shared by every map below)", $"{id}-activation-scale")).Append('\n');
            foreach (var a in e.Activations)
            {
                var path = (uint)a.Item < (uint)_r.Items.Count ? _r.Items[a.Item].Path : $"item {Int(a.Item)}";
                var (ipng, iw, ih) = AttentionImages.Input(a.Input);
                var (apng, aw, ah) = AttentionImages.Activations(a, scale);
                var izoom = AttentionImages.Zoom(ih, 64);
                var azoom = AttentionImages.Zoom(a.Side, 32);
                _sb.Append("<figure class=\"acts\"><div>");
                Png(ipng, iw * izoom, ih * izoom, $"{path}: network input, class {ClassName(a.TrueClass)}");
                Png(apng, aw * azoom, ah * azoom, $"{path}: the {Int(a.Channels)} first-layer activation maps");
                _sb.Append(Inv, $"</div><figcaption>Class {E(ClassName(a.TrueClass))}: <code>{E(path)}</code></figcaption></figure>\n");
            }
        }
        _sb.Append("</details>\n");
    }

    void Png(byte[] png, int width, int height, string alt)
    {
        var base64 = Convert.ToBase64String(png);
        _attentionBytes += base64.Length;
        _sb.Append(Inv, $"<img src=\"data:image/png;base64,{base64}\" width=\"{Int(width)}\" height=\"{Int(height)}\" alt=\"{E(alt)}\">");
    }
}
