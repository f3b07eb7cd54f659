using System.Globalization;
using System.Text;
using AutoClassify.Evaluation;

namespace AutoClassify.Reporting;

/// <summary>
/// A "Methods" section generated from a run: data, folds, models and their regimes, statistics, software and the
/// references to cite, in Markdown (written as methods.md and shown in the report). Every statement comes from the result.
/// </summary>
public static class MethodsText
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The paragraphs, each a Markdown paragraph without line breaks inside.</summary>
    public static IReadOnlyList<string> Paragraphs(BenchmarkResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var s = result.Settings;
        var d = result.Dataset;
        var classes = d.ClassNames;
        var n = result.Items.Count > 0 ? result.Items.Count : d.ClassCounts.Sum();
        var paragraphs = new List<string>();
        var refs = new SortedSet<string>(StringComparer.Ordinal);

        var data = new StringBuilder();
        data.Append(Inv, $"**Data.** The data set comprised {n} images in {classes.Count} classes (");
        data.Append(string.Join(", ", classes.Select((c, k) => $"{c}: {(k < d.ClassCounts.Count ? d.ClassCounts[k] : 0)}")));
        data.Append(Inv, $"); {d.Skipped.Count} further files were skipped as unreadable or not images.");
        if (d.ImageSizes.Count > 0)
            data.Append(Inv, $" Images measured {d.ImageSizes.MinWidth}–{d.ImageSizes.MaxWidth} × {d.ImageSizes.MinHeight}–{d.ImageSizes.MaxHeight} pixels.");
        if (!s.Crop.IsNone)
            data.Append(Inv, $" A fixed margin was cropped (top {s.Crop.Top}, bottom {s.Crop.Bottom}, left {s.Crop.Left}, right {s.Crop.Right} pixels).");
        if (d.Banners is { } b)
            data.Append(Inv, $" Burned-in data banners were detected in {b.BannersFound} of {b.ImagesChecked} images and handled by {b.Mode}.");
        if (s.Extra.TryGetValue("intensity_mapping", out var mapping))
            data.Append(Inv, $" Intensities: {mapping.TrimEnd('.')}.");
        if (s.Extra.TryGetValue("resample_nm", out var resample) && resample != "off")
            data.Append(Inv, $" Every image was resampled to {resample} nm per pixel.");
        if (d.ContentSha256 is { } hash)
            data.Append(Inv, $" The data set's content hash (SHA-256 over every image's path, class and file hash) is `{hash}`.");
        paragraphs.Add(data.ToString());

        var inner = s.Extra.GetValueOrDefault("inner_folds");
        var folds = new StringBuilder();
        folds.Append(Inv, $"**Evaluation.** Models were compared by stratified {s.Folds}-fold cross-validation with seed {s.Seed}; every model saw the same folds, sections of one stack file were kept in one fold, and anything fitted (feature scaling, hyper-parameters, early stopping, resampling, augmentation) was fitted on the training folds only. The fold of every image is listed in `folds.csv`.");
        paragraphs.Add(folds.ToString());

        foreach (var model in result.Models)
        {
            var facts = model.Folds.Count > 0 ? model.Folds[0].Training.Facts : new Dictionary<string, string>();
            var text = new StringBuilder();
            text.Append(Inv, $"**{model.Name}.** ");
            if (facts.TryGetValue("kernel", out var kernel))
            {
                refs.Add(LibSvm);
                refs.Add(SvmGuide);
                var features = model.Folds.SelectMany(f => f.Training.PermutationImportance.Keys).Distinct().Count();
                text.Append(Inv, $"A support vector machine (LIBSVM {facts.GetValueOrDefault("libsvm", "")}, C-SVC, {kernel} kernel{(facts.ContainsKey("class_weights") ? ", class-weighted" : "")}) on {(features > 0 ? $"{features} " : "")}handcrafted features standardised on the training folds");
                text.Append(Inv, $"; C{(kernel == "rbf" ? " and γ" : "")} were chosen by {(inner is null ? "inner" : inner + "-fold inner")} cross-validation on the training folds over the '{s.Extra.GetValueOrDefault("svm_grid", "default")}' grid. Chosen per fold: C = {string.Join(", ", model.Folds.Select(f => PowerOfTwo(f.Training.Facts.GetValueOrDefault("C"))))}");
                if (kernel == "rbf")
                    text.Append(Inv, $", γ = {string.Join(", ", model.Folds.Select(f => PowerOfTwo(f.Training.Facts.GetValueOrDefault("gamma"))))}");
                text.Append('.');
            }
            else if (facts.TryGetValue("architecture", out var architecture))
            {
                refs.Add(Torch);
                text.Append(Inv, $"A convolutional network ({architecture.TrimEnd('.')}; {facts.GetValueOrDefault("parameters", "?")} parameters) trained from scratch with libtorch on {facts.GetValueOrDefault("input_size", "?")}-pixel inputs ({facts.GetValueOrDefault("input_mode", "whole image")}, {facts.GetValueOrDefault("normalisation", "per-image normalisation").TrimEnd('.')}).");
                var optimizer = facts.GetValueOrDefault("optimizer", "?");
                if (optimizer == "adam")
                    refs.Add(Adam);
                text.Append(Inv, $" Optimiser {optimizer}, learning rate {facts.GetValueOrDefault("learning_rate", "?")}{(facts.TryGetValue("momentum", out var momentum) ? $", momentum {momentum}" : "")}, weight decay {facts.GetValueOrDefault("weight_decay", "?")}, batch size {facts.GetValueOrDefault("batch_size", "?")}, label smoothing {facts.GetValueOrDefault("label_smoothing", "0")}, dropout {facts.GetValueOrDefault("dropout", "?")}; class-weighted loss: {facts.GetValueOrDefault("class_weighted_loss", "?")}; sampler: {facts.GetValueOrDefault("sampler", "?")}; augmentation: {facts.GetValueOrDefault("augmentation", "none")}.");
                var epochs = model.Folds.Select(f => f.Training.Facts.GetValueOrDefault("epochs_run")).OfType<string>().ToList();
                var best = model.Folds.Select(f => f.Training.Facts.GetValueOrDefault("best_epoch")).OfType<string>().ToList();
                var checks = facts.GetValueOrDefault("validations_per_epoch", "1");
                if (checks == "1")
                    text.Append(Inv, $" Training ran for at most {facts.GetValueOrDefault("max_epochs", "?")} epochs with early stopping on the loss of a stratified {facts.GetValueOrDefault("validation_fraction", "?")} validation split of the training folds (patience {facts.GetValueOrDefault("patience", "?")}), keeping the weights of the best epoch");
                else
                    text.Append(Inv, $" Training ran for at most {facts.GetValueOrDefault("max_epochs", "?")} epochs with early stopping on the loss of a stratified {facts.GetValueOrDefault("validation_fraction", "?")} validation split of the training folds, checked {checks} times per epoch (after equal runs of whole batches; patience {facts.GetValueOrDefault("patience", "?")} checks), keeping the weights of the best check");
                text.Append(epochs.Count > 0 ? $" (epochs run per fold: {string.Join(", ", epochs)}; best epochs: {string.Join(", ", best)})." : ".");
            }
            else
            {
                text.Append(Inv, $"Trained per fold as described in the report's training table ({string.Join(", ", facts.Keys.Take(6))}).");
            }
            text.Append(Inv, $" Decision rule: {model.DecisionRule.TrimEnd('.')}.");
            paragraphs.Add(text.ToString());
        }

        refs.Add(Wilson);
        refs.Add(Bootstrap);
        var stats = new StringBuilder("**Statistics.** Each figure is reported as the mean ± sample standard deviation over the test folds and, over all pooled out-of-fold predictions, with a 95 % confidence interval: a stratified percentile bootstrap for accuracy, macro-F1, balanced accuracy, log loss and per-class F1, and Wilson score intervals for per-class rates.");
        if (result.Models.Count > 1)
        {
            refs.Add(McNemar);
            refs.Add(NadeauBengio);
            refs.Add(Holm);
            stats.Append(" Models were compared pairwise on the same images by McNemar's exact test and by the corrected resampled t-test of Nadeau and Bengio on per-fold differences; p-values were Holm-adjusted over model pairs, at a 5 % level.");
        }
        stats.Append(" Calibration is summarised by the expected calibration error over 10 confidence bins and the Brier score.");
        paragraphs.Add(stats.ToString());

        refs.Add(OpenCv);
        var software = new StringBuilder();
        software.Append(Inv, $"**Software.** AutoClassify {s.ToolVersion}");
        foreach (var (name, version) in s.NativeVersions.Where(v => v.Key != "AutoClassifyNative"))
            software.Append(Inv, $", {name} {version}");
        if (s.Environment.TryGetValue(".NET runtime", out var dotnet))
            software.Append(Inv, $", {dotnet}");
        if (s.Environment.TryGetValue("Operating system", out var os))
            software.Append(Inv, $", on {os}");
        if (s.Environment.TryGetValue("CPU", out var cpu))
            software.Append(Inv, $" ({cpu})");
        software.Append(Inv, $". Command: `{s.CommandLine}`.");
        paragraphs.Add(software.ToString());

        paragraphs.Add("**References.** " + string.Join(" ", refs.Select((r, i) => $"[{i + 1}] {r}")));
        return paragraphs;
    }

    /// <summary>The whole section as a Markdown document.</summary>
    public static string Markdown(BenchmarkResult result) =>
        "# Methods\n\n" + string.Join("\n\n", Paragraphs(result)) + "\n";

    /// <summary>A hyper-parameter as a power of two when it is one (4 → 2^2), else as given.</summary>
    internal static string PowerOfTwo(string? text)
    {
        if (text is null || !double.TryParse(text, NumberStyles.Float, Inv, out var v) || !(v > 0))
            return text ?? "?";
        var exponent = Math.Log2(v);
        return Math.Abs(exponent - Math.Round(exponent)) < 1e-9 ? $"2^{(int)Math.Round(exponent)}" : v.ToString("G3", Inv);
    }

    const string LibSvm = "Chang C-C, Lin C-J. LIBSVM: a library for support vector machines. ACM Transactions on Intelligent Systems and Technology 2(3):27 (2011).";
    const string SvmGuide = "Hsu C-W, Chang C-C, Lin C-J. A practical guide to support vector classification. Technical report, National Taiwan University (2003).";
    const string Torch = "Paszke A, et al. PyTorch: an imperative style, high-performance deep learning library. Advances in Neural Information Processing Systems 32 (2019).";
    const string Adam = "Kingma DP, Ba J. Adam: a method for stochastic optimization. International Conference on Learning Representations (2015).";
    const string OpenCv = "Bradski G. The OpenCV library. Dr. Dobb's Journal of Software Tools (2000).";
    const string Wilson = "Wilson EB. Probable inference, the law of succession, and statistical inference. Journal of the American Statistical Association 22:209–212 (1927).";
    const string Bootstrap = "Efron B, Tibshirani RJ. An Introduction to the Bootstrap. Chapman & Hall (1993).";
    const string McNemar = "McNemar Q. Note on the sampling error of the difference between correlated proportions or percentages. Psychometrika 12:153–157 (1947).";
    const string NadeauBengio = "Nadeau C, Bengio Y. Inference for the generalization error. Machine Learning 52:239–281 (2003).";
    const string Holm = "Holm S. A simple sequentially rejective multiple test procedure. Scandinavian Journal of Statistics 6:65–70 (1979).";
}
