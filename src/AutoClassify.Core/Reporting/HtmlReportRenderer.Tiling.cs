using AutoClassify.Evaluation;
using AutoClassify.Tiling;
using static AutoClassify.Reporting.HtmlFormat;

namespace AutoClassify.Reporting;

/// <summary>The report's parts for tiled runs: the tiling section, tile-level figures and spatial prediction maps.</summary>
internal sealed partial class HtmlReportRenderer
{
    /// <summary>Width of a prediction-map panel in the report, in CSS pixels.</summary>
    const int MapPanelWidth = 240;

    static readonly (string Name, string Note, Func<AggregatedMetrics, MeanSd> Get)[] LevelFigures =
    [
        ("Accuracy", "", a => a.Accuracy),
        ("Macro-F1", "note-macro", a => a.MacroF1),
        ("Balanced accuracy", "note-macro", a => a.BalancedAccuracy),
        ("Log loss", "note-logloss", a => a.LogLoss),
    ];

    void Tiling()
    {
        if (_r.Tiling is not { } t)
            return;
        _sb.Append("<section id=\"tiling\">\n<h2>Tiling</h2>\n");
        _sb.Append(Inv, $"<p class=\"lead\">Every prepared image (after the crop and banner handling) was cut into square tiles. Tiles inherit their image's label; the models were trained and tested on tiles, and each test image's class comes from its tiles' probabilities ({E(AggregationText(t.Aggregation))}). <strong>Image-level figures are the headline</strong>: the comparison and model sections report images, with the tile-level figures beside them.</p>\n");
        _sb.Append("<table id=\"tiling-settings\" class=\"kv\"><tbody>\n");
        Row("Tile size", $"{Int(t.Size)} px");
        Row("Stride", t.Stride == t.Size ? $"{Int(t.Stride)} px (tiles abut; the last tile of a row or column sits flush with the edge, overlapping its neighbour where the size does not divide evenly)" : $"{Int(t.Stride)} px (tiles overlap by {Int(t.Size - t.Stride)} px)");
        Row("Tiles", Int(t.TileCount));
        Row("Tiles per image", t.TilesPerImageMin == t.TilesPerImageMax ? Int(t.TilesPerImageMin) : $"{Int(t.TilesPerImageMin)}–{Int(t.TilesPerImageMax)} (median {Num(t.TilesPerImageMedian, t.TilesPerImageMedian % 1 == 0 ? 0 : 1)})");
        Row("Image decision", E(AggregationText(t.Aggregation)));
        Row("Tile predictions", $"<code>{E(TilePredictionsCsvExporter.FileName)}</code> (image, tile corner and size, fold, probabilities)");
        _sb.Append("</tbody></table>\n");
        _sb.Append(Inv, $"<p id=\"tiling-grouping\" class=\"rule\"><span class=\"label\">Grouped folds:</span> {E(t.Grouping)}</p>\n");

        _sb.Append("<h3>Image level and tile level</h3>\n<div class=\"scroll\"><table id=\"tiling-levels\" class=\"num compact\"><thead><tr><th scope=\"col\" rowspan=\"2\" class=\"text\">Model</th>");
        foreach (var f in LevelFigures)
            _sb.Append(Inv, $"<th scope=\"colgroup\" colspan=\"2\" class=\"group\">{f.Name}{NoteRef(f.Note)}</th>");
        _sb.Append("</tr><tr>");
        foreach (var _ in LevelFigures)
            _sb.Append("<th scope=\"col\" class=\"group-start\">Images</th><th scope=\"col\">Tiles</th>");
        _sb.Append("</tr></thead><tbody>\n");
        foreach (var model in _r.Models)
        {
            _sb.Append(Inv, $"<tr><th scope=\"row\" class=\"text\">{E(model.Name)}</th>");
            foreach (var f in LevelFigures)
            {
                var tile = model.TileLevel is { } tl ? MeanSdHtml(f.Get(tl.Aggregate)) : NotAvailable;
                _sb.Append(Inv, $"<td class=\"group-start\"><strong>{MeanSdHtml(f.Get(model.Aggregate))}</strong></td><td>{tile}</td>");
            }
            _sb.Append("</tr>\n");
        }
        _sb.Append("</tbody></table></div>\n</section>\n");

        void Row(string header, string valueHtml) => _sb.Append(Inv, $"<tr><th scope=\"row\">{header}</th><td>{valueHtml}</td></tr>\n");
    }

    void ImageLevelNote(ModelResult model)
    {
        if (_r.Tiling is { } t && model.TileLevel is not null)
            _sb.Append(Inv, $"<p class=\"quiet\">Image level: each test image's {E(AggregationText(t.Aggregation))}. Tile-level figures and prediction maps follow the confusion matrices.</p>\n");
    }

    void TileLevel(string id, ModelResult model)
    {
        if (model.TileLevel is not { } tl || _r.Tiling is null)
            return;
        var a = tl.Aggregate;
        _sb.Append(Inv, $"<h3>Tile level</h3>\n<table id=\"{id}-tile-overall\" class=\"num\"><thead><tr><th scope=\"col\" class=\"text\">Figure</th><th scope=\"col\">Mean ± SD<sup><a href=\"#note-sd\">2</a></sup></th>");
        for (var f = 0; f < tl.FoldMetrics.Count; f++)
            _sb.Append(Inv, $"<th scope=\"col\" class=\"fold\">Fold {Int(f + 1)}</th>");
        _sb.Append("</tr></thead><tbody>\n");
        var perFold = new Func<ClassificationMetrics, double>[] { m => m.Accuracy, m => m.MacroF1, m => m.BalancedAccuracy, m => m.LogLoss };
        for (var i = 0; i < LevelFigures.Length; i++)
        {
            _sb.Append(Inv, $"<tr><th scope=\"row\" class=\"text\">{LevelFigures[i].Name}{NoteRef(LevelFigures[i].Note)}</th><td>{MeanSdHtml(LevelFigures[i].Get(a))}</td>");
            foreach (var m in tl.FoldMetrics)
                _sb.Append(Inv, $"<td class=\"fold\">{Num(perFold[i](m))}</td>");
            _sb.Append("</tr>\n");
        }
        _sb.Append("</tbody></table>\n");
        PerClassTable($"{id}-tile-per-class", a, "Tiles");
        _sb.Append("<div class=\"row\">\n");
        ConfusionTable($"{id}-tile-confusion-raw", "Tiles: counts summed over folds", a, normalized: false);
        ConfusionTable($"{id}-tile-confusion-norm", "Tiles: row-normalised, mean over folds", a, normalized: true);
        _sb.Append("</div>\n");
        PredictionMaps(id, model, tl);
    }

    void PredictionMaps(string id, ModelResult model, TileLevelResult tl)
    {
        var t = _r.Tiling!;
        var thumbnails = t.MapImages.ToDictionary(m => m.Item);
        var imagePredictions = model.Predictions.ToDictionary(p => p.Item);
        var tilePredictions = tl.Predictions.ToDictionary(p => p.Item);
        var tilesByImage = t.Tiles.Select((tile, index) => (tile, index)).ToLookup(x => x.tile.Item, x => x.index);
        var maps = tl.MapItems.Where(i => thumbnails.ContainsKey(i) && imagePredictions.ContainsKey(i)).ToList();
        if (maps.Count == 0)
            return;

        _sb.Append(Inv, $"<h3>Prediction maps</h3>\n<div id=\"{id}-maps\" class=\"maps\">\n");
        _sb.Append(Inv, $"<p class=\"lead\">Each test image as predicted while it was held out: left, the micrograph with every cell where one class's probability exceeds {Num(t.MapThreshold, 2)} tinted, hatched and outlined in that class's colour and pattern (cells with no class above it stay clear), so domains dominated by one class stand out; right, the probability of the image's true class per cell. Overlapping or edge-flush tiles are averaged where they meet.</p>\n");
        ClassKey(id);
        Legend("Right panel: probability of the true class");

        var worst = maps.Where(i => !IsConfidentCorrectPick(i)).ToList();
        var correct = maps.Except(worst).ToList();
        Group("Worst-classified test images (lowest probability of the true class)", "worst", worst);
        Group("Correctly classified, the most confident of each class", "correct", correct);
        _sb.Append("</div>\n");

        // MapItems lists the worst first; the picks after the first WorstMapped are the confident correct ones.
        bool IsConfidentCorrectPick(int item) => tl.MapItems.IndexOf(item) >= TiledEvaluation.WorstMapped;

        void Group(string title, string kind, List<int> items)
        {
            if (items.Count == 0)
                return;
            _sb.Append(Inv, $"<h4>{E(title)}</h4>\n<div class=\"map-grid\" id=\"{id}-maps-{kind}\">\n");
            foreach (var item in items)
                Map(item);
            _sb.Append("</div>\n");
        }

        void Map(int item)
        {
            var image = thumbnails[item];
            var prediction = imagePredictions[item];
            var tiles = tilesByImage[item].Where(tilePredictions.ContainsKey).ToList();
            if (tiles.Count == 0)
                return;
            var map = new PredictionMap(image.Width, image.Height,
                tiles.Select(i => new TileRect(t.Tiles[i].X, t.Tiles[i].Y, t.Size)).ToList(),
                tiles.Select(i => tilePredictions[i].Probabilities).ToArray());
            var cell = PredictionMapSvg.CellSize(t.Size, t.Stride, image.Width, image.Height);
            var path = item < _r.Items.Count ? _r.Items[item].Path : $"image {Int(item)}";
            var truth = ClassName(prediction.TrueLabel);
            var predicted = ClassName(prediction.PredictedLabel);
            var verdict = prediction.TrueLabel == prediction.PredictedLabel ? "correct" : "wrong";
            _sb.Append(Inv, $"<figure class=\"map {verdict}\" data-item=\"{Int(item)}\"><div class=\"panels\">");
            _sb.Append(PredictionMapSvg.Overlay(map, image.ThumbnailPng, t.MapThreshold, cell, MapPanelWidth, $"{path}: cells where a class's probability exceeds {Num(t.MapThreshold, 2)}, tinted by class", $"{id}-map-{Int(item)}"));
            _sb.Append(PredictionMapSvg.HeatMap(map, prediction.TrueLabel, cell, MapPanelWidth, $"{path}: probability of {truth} per cell"));
            _sb.Append("</div>");
            _sb.Append(Inv, $"<figcaption><code>{E(path)}</code><br>true <span class=\"cls-key\" style=\"--c:{PredictionMapSvg.ClassColor(prediction.TrueLabel)}\">{E(truth)}</span> · predicted <span class=\"cls-key\" style=\"--c:{PredictionMapSvg.ClassColor(prediction.PredictedLabel)}\">{E(predicted)}</span> ({verdict}) · p(true) {Num(prediction.Probabilities[prediction.TrueLabel])} · fold {Int(prediction.Fold + 1)} · {Int(tiles.Count)} tiles</figcaption></figure>\n");
        }
    }

    void ClassKey(string id)
    {
        _sb.Append("<p class=\"legend-line class-key\"><span class=\"label\">Left panel, each class's tint, hatching and outline:</span>");
        for (var k = 0; k < _classes.Count; k++)
            _sb.Append(Inv, $"<span class=\"key\">{PredictionMapSvg.Swatch(k, $"{id}-key-h{Int(k)}")}{E(_classes[k])}</span>");
        _sb.Append("</p>\n");
    }

    string ClassName(int k) => (uint)k < (uint)_classes.Count ? _classes[k] : $"class {Int(k)}";

    static string AggregationText(string aggregation) => aggregation switch
    {
        "vote" => "tiles vote for their most probable class; the image takes the class with most votes",
        _ => "tile probabilities are averaged; the image takes the class with the highest mean",
    };

    /// <summary>Style rules for the tiling parts, added to the page only when the run was tiled.</summary>
    internal const string TilingCss = """
.maps h4 { font-size: 13.5px; font-weight: 600; margin: 14px 0 6px; }
.map-grid { display: flex; flex-wrap: wrap; gap: 14px 22px; }
figure.map { margin: 0; max-width: 500px; }
figure.map .panels { display: flex; gap: 6px; }
figure.map svg { display: block; max-width: 100%; height: auto; background: #fff; }
figure.map figcaption { font-size: 12.5px; margin-top: 3px; }
figure.map.wrong figcaption code { color: #b3261e; }
.swatch-map { display: inline-block; flex: none; }
.cls-key { border-bottom: 3px solid var(--c); }

""";
}
