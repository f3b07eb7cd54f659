using AutoClassify.Models;
using static AutoClassify.Reporting.HtmlFormat;

namespace AutoClassify.Reporting;

/// <summary>The reproducibility appendix: what a reader needs to repeat the run, and what will repeat exactly.</summary>
internal sealed partial class HtmlReportRenderer
{
    void Reproducibility()
    {
        var s = _r.Settings;
        _sb.Append("<section id=\"reproducibility\">\n<h2>Reproducibility</h2>\n<table id=\"reproducibility-table\" class=\"kv\"><tbody>\n");
        Row("Data set content (SHA-256)", _r.Dataset.ContentSha256 is { } hash
            ? $"<code>{E(hash)}</code><br><span class=\"quiet\">over every image's path, class and file hash and its mask's file hash; equal hashes mean the same images, labels and masks</span>"
            : "<span class=\"quiet\">not recorded (results written before the hash existed)</span>");
        Row("Images", $"{Int(_r.Items.Count)} in {Int(_classes.Count)} classes");
        Row("Seed", Int(s.Seed));
        Row("Command line", $"<code>{E(s.CommandLine)}</code>");
        Row("Folds", $"stratified {Int(s.Folds)}-fold; the fold of every image is in <code>{FoldsCsvExporter.FileName}</code> (counted from 1, as here and in <code>{PredictionsCsvExporter.FileName}</code>; <code>results.json</code> counts from 0)");
        Row("Figures", $"every chart and confusion matrix of this page is also a standalone SVG in <code>{FiguresExporter.FolderName}/</code>, with mean training curves across folds");
        Row("AutoClassify", E(s.ToolVersion));
        foreach (var (key, value) in s.NativeVersions)
            Row(E(key), E(value));
        if (s.Environment.Count == 0)
            Row("Machine", "<span class=\"quiet\">not recorded (results written before it was)</span>");
        foreach (var (key, value) in s.Environment)
            Row(E(key), E(value));
        Row("Threads", s.Threads > 0 ? Int(s.Threads) : "all cores");
        _sb.Append("</tbody></table>\n");

        var cnn = _r.Models.Any(m => ModelCatalog.Names.Contains(m.Name) && ModelCatalog.InputsOf(m.Name).Contains(ModelInput.Images));
        _sb.Append("<p id=\"repeatability\" class=\"lead\">What repeats: the same data hash, command line, seed and versions give the same folds, the same inner splits, sampling and augmentation draws (all derived from the seed by integer arithmetic), and on the same machine with the same thread count every number on this page, to the last digit. ");
        _sb.Append("On another CPU, OpenCV, glibc's maths functions and libtorch (through oneDNN) pick vectorised code paths by the instruction set the CPU has, and sum in another order; floating-point results may then differ in the last digits. ");
        _sb.Append(cnn
            ? "A feature SVM's predictions rarely change from that, but a CNN's training repeats those rounding differences over thousands of steps and early stopping can pick another epoch, so its figures may differ by more than the last digit (a few images predicted differently); compare CNN figures within one machine, or by their intervals, not digit by digit.</p>\n"
            : "The figures here come from feature models, whose predictions rarely change from such rounding differences; when one does, it moves a figure by one image.</p>\n");
        _sb.Append("</section>\n");

        void Row(string header, string valueHtml) => _sb.Append(Inv, $"<tr><th scope=\"row\">{header}</th><td>{valueHtml}</td></tr>\n");
    }
}
