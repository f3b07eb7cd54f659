using System.CommandLine;
using System.Globalization;
using AutoClassify.Models.Cnn;
using AutoClassify.Models.Svm;
using AutoClassify.Reporting;
using AutoClassify.Retraining;

namespace AutoClassify.Cli;

internal static class RetrainCommand
{
    internal static Command Create()
    {
        var name = new Argument<string>("name") { Description = "Registry name of the model to retrain; its champion is the baseline." };
        var add = new Option<DirectoryInfo>("--add") { Description = "The new labeled batch: a folder with one subfolder per class.", Required = true };
        var registry = ModelsCommand.RegistryOption();
        var allowNew = new Option<bool>("--allow-new-classes") { Description = "Add classes the model does not know instead of stopping with an error." };
        var fromScratch = new Option<bool>("--from-scratch") { Description = "Train a CNN challenger from fresh weights instead of the champion's; a -finetune challenger from its backbone's original source and a new head." };
        var force = new Option<bool>("--force") { Description = "Promote the challenger even when it scores worse on the reference set." };
        var tolerance = new Option<double>("--tolerance")
        {
            Description = "How much lower the challenger's reference macro-F1 may be than the champion's and still be promoted.",
            DefaultValueFactory = _ => RetrainOptions.DefaultTolerance,
        };
        var promoteIf = new Option<string>("--promote-if")
        {
            Description = "Promotion rule: tolerance (macro-F1 at most --tolerance below the champion's), not-worse (unless statistically worse: exact McNemar or the bootstrap interval of the macro-F1 difference, at 5 %) or better (only when statistically better).",
            DefaultValueFactory = _ => "tolerance",
        };
        promoteIf.AcceptOnlyFromAmong("tolerance", "not-worse", "better");
        var report = new Option<FileInfo?>("--report") { Description = "Comparison report (HTML) to write; default: retrain-report.html beside the challenger's package." };
        var threads = CommonOptions.Threads();
        var seed = CommonOptions.Seed(42);
        var epochs = new Option<int?>("--epochs") { Description = "Maximum CNN epochs (default: the champion's)." };
        var patience = new Option<int?>("--patience") { Description = "CNN early-stopping patience (default: the champion's)." };
        var lr = new Option<double?>("--lr") { Description = "CNN learning rate (default: the champion's)." };
        var epochSize = new Option<int?>("--epoch-size") { Description = "Items drawn per CNN epoch, 0 for the sampler's natural size (default: the champion's)." };
        var lrSchedule = new Option<string?>("--lr-schedule") { Description = "LipNet learning rate after the warm-up, constant or cosine (default: the champion's)." };
        lrSchedule.AcceptOnlyFromAmong("constant", "cosine");
        var lrWarmup = new Option<double?>("--lr-warmup") { Description = "LipNet epochs of linear learning-rate warm-up, 0 for none (default: the champion's)." };
        var validationsPerEpoch = new Option<int?>("--validations-per-epoch") { Description = "LipNet validation checks per epoch (default: the champion's)." };
        var grid = new Option<string?>("--grid") { Description = "SVM grid, full or coarse (default: the champion's)." };
        grid.AcceptOnlyFromAmong("full", "coarse");
        var svmSearch = new Option<string?>("--svm-search") { Description = "SVM grid search, coarse-to-fine or exhaustive (default: the champion's)." };
        svmSearch.AcceptOnlyFromAmong("coarse-to-fine", "exhaustive");
        var nearDuplicate = new Option<int>("--near-duplicate-bits")
        {
            Description = "Images whose 64-bit perceptual hashes differ in at most this many bits (and whose thumbnails correlate at 0.95 or more) are near duplicates.",
            DefaultValueFactory = _ => BatchCheckOptions.Defaults.NearDuplicateDistance,
        };

        var command = new Command("retrain", "Check a new labeled batch, train a challenger on the old data plus the batch, compare it with the champion on the frozen reference set and promote it only if it is not worse.")
        {
            name, add, registry, allowNew, fromScratch, force, tolerance, promoteIf, report, threads, seed, epochs, patience, lr, epochSize, lrSchedule, lrWarmup, validationsPerEpoch, grid, svmSearch, nearDuplicate, CommonOptions.MaxImagePixels(), CommonOptions.KeepDamagedJpeg(),
        };
        command.SetAction((parse, cancellationToken) =>
        {
            var batchPath = parse.GetRequiredValue(add).FullName;
            var registryPath = OutputGuard.Folder(parse.GetValue(registry)!.ToString(), "--registry", [batchPath]);
            var reportPath = parse.GetValue(report) is { } given ? OutputGuard.File(given.ToString(), "--report", [], [batchPath, registryPath]) : null;
            var options = new RetrainOptions
            {
                Name = parse.GetRequiredValue(name),
                BatchPath = batchPath,
                Registry = registryPath,
                AllowNewClasses = parse.GetValue(allowNew),
                FromScratch = parse.GetValue(fromScratch),
                Force = parse.GetValue(force),
                Tolerance = parse.GetValue(tolerance),
                PromoteIf = parse.GetValue(promoteIf) switch
                {
                    "not-worse" => PromotionRule.NotWorse,
                    "better" => PromotionRule.Better,
                    _ => PromotionRule.Tolerance,
                },
                ReportPath = reportPath,
                Threads = parse.GetValue(threads),
                Seed = parse.GetValue(seed),
                Epochs = parse.GetValue(epochs),
                Patience = parse.GetValue(patience),
                LearningRate = parse.GetValue(lr),
                EpochSize = parse.GetValue(epochSize),
                Schedule = parse.GetValue(lrSchedule) switch
                {
                    "cosine" => LearningRateSchedule.Cosine,
                    "constant" => LearningRateSchedule.Constant,
                    _ => null,
                },
                LearningRateWarmupEpochs = parse.GetValue(lrWarmup),
                ValidationsPerEpoch = parse.GetValue(validationsPerEpoch),
                Grid = parse.GetValue(grid),
                SvmSearch = parse.GetValue(svmSearch) switch
                {
                    "coarse-to-fine" => SvmSearch.CoarseToFine,
                    "exhaustive" => SvmSearch.Exhaustive,
                    _ => null,
                },
                Check = new BatchCheckOptions { NearDuplicateDistance = parse.GetValue(nearDuplicate) },
                CommandLine = "autoclassify " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1)),
            };
            var stdout = parse.InvocationConfiguration.Output;
            var observer = new ConsoleObserver(stdout);
            var result = observer.Run(() => Retrainer.Run(options, observer, cancellationToken));
            var inv = CultureInfo.InvariantCulture;
            if (result.Champion is { } champion && result.Challenger is { } challenger)
            {
                stdout.WriteLine(string.Create(inv, $"Reference set ({challenger.Images} images): champion v{result.ChampionVersion} macro-F1 {champion.MacroF1:F3}, accuracy {champion.Accuracy:F3}; challenger v{result.ChallengerVersion} macro-F1 {challenger.MacroF1:F3}, accuracy {challenger.Accuracy:F3}."));
            }
            if (result.Paired is { } paired && result.PromoteIf == PromotionRule.Tolerance)
                stdout.WriteLine(paired.Verdict());
            if (result.Paired is { Changed.Count: > 0 } changed)
                stdout.WriteLine(string.Create(inv, $"{changed.Changed.Count} reference image(s) changed prediction: {RetrainReport.ChangedPredictionsPath(result.ReportPath)}"));
            stdout.WriteLine(result.Reason);
            stdout.WriteLine(string.Create(inv,
                $"Stored '{result.Name}' version {result.ChallengerVersion} at {result.ChallengerPackagePath}; the champion is version {(result.Promoted ? result.ChallengerVersion : result.ChampionVersion)}. Report: {result.ReportPath}"));
            return Task.FromResult(result.Promoted ? ExitCodes.Success : ExitCodes.NotPromoted);
        });
        return command;
    }
}
