using System.Globalization;
using AutoClassify.Evaluation;
using AutoClassify.Native;

namespace AutoClassify.Models.AutoMl;

/// <summary>
/// One nested search on one training fold. The fold is split into stratified inner folds; every trial fits on the
/// inner-training parts and is scored by the macro-F1 of its pooled inner-validation predictions, so nothing outside
/// <c>trainIndices</c> is ever read. Cheap feature models run first (a shuffled coarse SVM grid, the neighbours of its
/// best cell, then the samplers on the best cells); image models follow by successive halving, sized from the cost of
/// a first short trial. Before each trial its cost is estimated from earlier ones, and it only starts when it and a
/// refit of the winner fit in what is left of the budget. The best trial is refitted on the whole training fold.
/// </summary>
internal sealed class AutoMlSearch
{
    // A refit reads all of the fold where an inner fit reads (K-1)/K of it; SVM solvers grow faster than linearly.
    const double RefitSafety = 1.25;

    readonly AutoMlOptions options;
    readonly ModelSettings settings;
    readonly TrainingData data;
    readonly IReadOnlyList<int> train;
    readonly TrainingContext context;
    readonly (int[] Fit, int[] Validation)[] folds;
    readonly long started;
    readonly List<Trial> trials = [];
    readonly HashSet<string> failedFamilies = new(StringComparer.Ordinal);
    readonly string? innerNote;
    int nextKey;
    bool budgetExhausted;
    bool budgetBound;
    Trial? best;

    public AutoMlSearch(AutoMlOptions options, ModelSettings settings, TrainingData data, IReadOnlyList<int> trainIndices, TrainingContext context)
    {
        this.options = options;
        this.settings = settings;
        this.data = data;
        train = trainIndices;
        this.context = context;
        started = options.Clock.GetTimestamp();
        (folds, innerNote) = InnerFolds();
    }

    int K => folds.Length;

    TimeSpan Elapsed => options.Clock.GetElapsedTime(started);

    bool TrialCapReached => options.MaxTrials is { } cap && trials.Count >= cap;

    bool Stopped => TrialCapReached || budgetExhausted || context.CancellationToken.IsCancellationRequested;

    /// <summary>Runs the whole search and the refit; the returned model owns the refitted winner.</summary>
    public AutoMlModel Run()
    {
        context.Log?.Invoke(string.Create(CultureInfo.InvariantCulture,
            $"auto: searching on {train.Count} training items with {K} inner folds, budget {options.DescribeBudget()}{(options.MaxTrials is { } cap ? $", at most {cap} trials" : "")}"));
        FeaturePhase();
        ImagePhase();
        context.CancellationToken.ThrowIfCancellationRequested();
        var searchTime = Elapsed;

        var ranking = trials.Where(t => t.Score is not null).OrderByDescending(t => t.Score).ThenBy(t => t.Record.Trial).ToList();
        if (ranking.Count == 0)
        {
            var reasons = trials.Select(t => $"trial {t.Record.Trial} ({t.Candidate.Family}): {t.Record.Note}").Take(5);
            throw new InvalidOperationException(
                $"AutoML scored no trial on this training fold ({trials.Count} tried). " + (trials.Count == 0
                    ? "No candidate can use this data: the feature models need features and the image models need images."
                    : string.Join("; ", reasons)));
        }
        for (var i = 0; i < ranking.Count; i++)
            ranking[i].Record.Rank = i + 1;
        var winner = ranking[0];
        winner.Record.Winner = true;

        context.Log?.Invoke(string.Create(CultureInfo.InvariantCulture,
            $"auto: winner is trial {winner.Record.Trial}, {winner.Candidate.Family} ({winner.Candidate.Describe()}), inner macro-F1 {winner.Score:F4}; refitting on all {train.Count} training items"));
        options.Audit?.Invoke(new AutoMlDataAccess(0, winner.Candidate.Family, "refit", train));
        var refitClock = options.Clock.GetTimestamp();
        var model = winner.Candidate.Fit(data, train, new TrainingContext
        {
            Seed = Seeds.Derive(context.Seed, "automl-refit"),
            Threads = context.Threads,
            Log = context.Log,
            CancellationToken = context.CancellationToken,
        });
        try
        {
            var summary = Summarise(winner, searchTime, options.Clock.GetElapsedTime(refitClock), model.Summary);
            context.Progress?.Report(1);
            return new AutoMlModel(model, winner.Candidate.PackageKind, winner.Record, summary);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    void FeaturePhase()
    {
        var space = options.Space;
        if (space.RbfLog2C.Count == 0 && space.LinearLog2C.Count == 0)
            return;
        if (data.Features is null)
        {
            context.Log?.Invoke("auto: the data has no feature matrix, so no SVM is tried");
            return;
        }
        var gridSampler = space.FeatureSamplers[0];
        var grid = new List<AutoMlCandidate>();
        foreach (var c in space.RbfLog2C)
        {
            foreach (var g in space.RbfLog2Gamma)
                grid.Add(Svm("grid", LibSvmKernel.Rbf, c, g, gridSampler));
        }
        foreach (var c in space.LinearLog2C)
            grid.Add(Svm("grid", LibSvmKernel.Linear, c, 0, gridSampler));
        var order = grid.ToArray();
        // A seeded order, so a trial cap or a short budget still samples both kernels across the whole grid.
        new Random(Seeds.Derive(context.Seed, "automl-grid-order")).Shuffle(order);
        RunAll(order);

        var bestRbf = trials
            .Where(t => t.Score is not null && t.Candidate is SvmCandidate { Kernel: LibSvmKernel.Rbf })
            .OrderByDescending(t => t.Score)
            .ThenBy(t => t.Record.Trial)
            .FirstOrDefault();
        if (space.RefineRbf && bestRbf is not null)
        {
            var centre = (SvmCandidate)bestRbf.Candidate;
            var neighbours = new List<AutoMlCandidate>();
            foreach (var dc in new[] { -2.0, 0, 2 })
            {
                foreach (var dg in new[] { -2.0, 0, 2 })
                {
                    var (c, g) = (centre.Log2C + dc, centre.Log2Gamma + dg);
                    if ((dc == 0 && dg == 0) || Math.Abs(c) > 60 || Math.Abs(g) > 60)
                        continue;
                    if (!trials.Any(t => t.Candidate is SvmCandidate s && s.Kernel == LibSvmKernel.Rbf && s.Log2C == c && s.Log2Gamma == g && s.Sampler == gridSampler))
                        neighbours.Add(Svm("refine", LibSvmKernel.Rbf, c, g, gridSampler));
                }
            }
            RunAll(neighbours);
        }

        var leaders = new List<SvmCandidate>();
        foreach (var t in trials.Where(t => t.Candidate is SvmCandidate && t.Score is not null).OrderByDescending(t => t.Score).ThenBy(t => t.Record.Trial))
        {
            var svm = (SvmCandidate)t.Candidate;
            if (leaders.Count < options.SamplerCandidates && !leaders.Any(l => l.SameModel(svm)))
                leaders.Add(svm);
        }
        RunAll(leaders.SelectMany(l => space.FeatureSamplers.Skip(1).Select(s => Svm("sampler", l.Kernel, l.Log2C, l.Log2Gamma, s))).ToList());
    }

    void ImagePhase()
    {
        var families = options.Space.AvailableImageFamilies();
        if (families.Count == 0 || Stopped)
            return;
        if (data.Images is null)
        {
            context.Log?.Invoke("auto: the data has no images, so no CNN is tried");
            return;
        }
        var rungs = RungEpochs();
        var eta = options.ReductionFactor;
        var plannedRungs = rungs.Count;
        var target = options.TimeBudget is null ? (int)Math.Min(options.MaxImageConfigs, Math.Pow(eta, rungs.Count - 1)) : options.MaxImageConfigs;
        var planned = options.TimeBudget is null;
        var draws = new int[families.Count];
        var proposed = 0;
        var rung = new List<Trial>();
        context.Log?.Invoke($"auto: image models {string.Join(", ", families.Select(f => f.Model))} by successive halving over {string.Join("/", rungs)} epochs");
        while (!Stopped && proposed < target)
        {
            var f = proposed % families.Count;
            proposed++;
            if (failedFamilies.Contains(families[f].Model))
            {
                if (families.All(x => failedFamilies.Contains(x.Model)))
                    break;
                target++;
                continue;
            }
            var config = ImageConfig.Draw(families[f], draws[f]++, options.Space, settings.Cnn, context.Seed);
            var trial = TryRun(new ImageCandidate(nextKey++, "rung 1", config, rungs[0], settings));
            if (trial is null)
                continue;
            rung.Add(trial);
            if (!planned && trial.Score is not null)
            {
                planned = true;
                (target, plannedRungs) = Plan(trial.Record.Seconds, rungs.Count);
                if (target < options.MaxImageConfigs || plannedRungs < rungs.Count)
                    budgetBound = true;
                context.Log?.Invoke(string.Create(CultureInfo.InvariantCulture,
                    $"auto: a first {rungs[0]}-epoch CNN trial took {trial.Record.Seconds:F1} s; planning {target} configurations over {plannedRungs} rung(s)"));
            }
        }

        for (var r = 1; r < plannedRungs && !Stopped; r++)
        {
            var scored = rung.Where(t => t.Score is not null).OrderByDescending(t => t.Score).ThenBy(t => t.Record.Trial).ToList();
            var keep = (scored.Count + eta - 1) / eta;
            var next = new List<Trial>();
            foreach (var t in scored.Take(keep))
            {
                if (Stopped)
                    break;
                var config = ((ImageCandidate)t.Candidate).Config;
                if (TryRun(new ImageCandidate(nextKey++, $"rung {r + 1}", config, rungs[r], settings)) is { } promoted)
                    next.Add(promoted);
            }
            if (next.Count == 0)
                break;
            rung = next;
        }
    }

    /// <summary>Epochs per rung: the first rung's, times η each rung, up to the CNN options' maximum.</summary>
    List<int> RungEpochs()
    {
        var max = settings.Cnn.MaxEpochs;
        var rungs = new List<int> { Math.Min(options.MinEpochs, max) };
        while (rungs[^1] < max)
            rungs.Add((int)Math.Min(max, (long)rungs[^1] * options.ReductionFactor));
        return rungs;
    }

    /// <summary>
    /// How many configurations the first rung takes, and how many rungs, when a first-rung trial costs
    /// <paramref name="cost"/> seconds: each rung costs about as much as the first, so R rungs of n configurations cost
    /// n·R·cost. The most rungs whose full bracket (η^(R-1) configurations) fits the remaining budget win.
    /// </summary>
    (int Configurations, int Rungs) Plan(double cost, int maxRungs)
    {
        var available = Math.Max(0, (options.TimeBudget!.Value - Elapsed).TotalSeconds) + cost;
        var eta = options.ReductionFactor;
        var rungs = 1;
        while (rungs < maxRungs && Math.Pow(eta, rungs) * (rungs + 1) * cost <= available)
            rungs++;
        var configurations = (int)Math.Clamp(Math.Floor(available / (rungs * Math.Max(cost, 1e-3))), 1, options.MaxImageConfigs);
        return (configurations, rungs);
    }

    void RunAll(IEnumerable<AutoMlCandidate> candidates)
    {
        foreach (var candidate in candidates)
        {
            if (Stopped)
                return;
            TryRun(candidate);
        }
    }

    /// <summary>Runs the candidate when its estimated cost fits the budget; null when it was skipped.</summary>
    Trial? TryRun(AutoMlCandidate candidate)
    {
        if (Stopped)
            return null;
        TimeSpan? deadline = null;
        if (options.TimeBudget is { } budget)
        {
            var remaining = budget - Elapsed;
            var reserve = best is null ? 0 : Refit(best.Record.Seconds);
            if (remaining.TotalSeconds <= reserve)
            {
                budgetExhausted = true;
                return null;
            }
            if (Estimate(candidate) is { } estimate && estimate + Math.Max(reserve, Refit(estimate)) > remaining.TotalSeconds)
            {
                budgetBound = true;
                return null;
            }
            // Until some trial has a score there is nothing to return, so the first one is never cut short.
            if (best is not null)
                deadline = remaining - TimeSpan.FromSeconds(reserve);
        }
        return Evaluate(candidate, deadline);
    }

    double Refit(double trialSeconds) => RefitSafety * trialSeconds / Math.Max(1, K - 1);

    /// <summary>Expected seconds of a trial, from the finished trials most like it; null when none is comparable.</summary>
    double? Estimate(AutoMlCandidate candidate)
    {
        var finished = trials.Where(t => t.Record.Note is null || t.Score is not null).ToList();
        if (candidate is SvmCandidate svm)
        {
            var svms = finished.Where(t => t.Candidate is SvmCandidate).ToList();
            var alike = svms.Where(t => t.Candidate.Family == svm.Family && ((SvmCandidate)t.Candidate).Sampler == svm.Sampler).ToList();
            var family = svms.Where(t => t.Candidate.Family == svm.Family).ToList();
            var pool = alike.Count > 0 ? alike : family.Count > 0 ? family : svms;
            return pool.Count > 0 ? pool.Average(t => t.Record.Seconds) : null;
        }
        var image = (ImageCandidate)candidate;
        // Seconds per epoch of one inner fit; a trial stopped on its projection counts with its projected cost.
        static double? Rate(IEnumerable<Trial> pool)
        {
            var measured = pool.Where(t => t.Candidate is ImageCandidate && (t.Projected is not null || (t.EpochsRun > 0 && t.Score is not null))).ToList();
            return measured.Count == 0 ? null
                : measured.Sum(t => t.Projected ?? t.Record.Seconds) / measured.Sum(t => t.Projected is null ? t.EpochsRun : ((ImageCandidate)t.Candidate).Epochs * t.Folds);
        }
        var images = trials.Where(t => t.Candidate is ImageCandidate).ToList();
        var rate = Rate(images.Where(t => t.Candidate.Family == image.Family))
            ?? images.GroupBy(t => t.Candidate.Family).Select(g => Rate(g)).Max();
        return rate * image.Epochs * K;
    }

    Trial Evaluate(AutoMlCandidate candidate, TimeSpan? deadline)
    {
        var number = trials.Count + 1;
        var record = new TrialRecord
        {
            Trial = number,
            Family = candidate.Family,
            Stage = candidate.Stage,
            Settings = candidate.Settings.ToDictionary(s => s.Key, s => s.Value, StringComparer.Ordinal),
        };
        var trial = new Trial(candidate, record, K);
        var clock = options.Clock.GetTimestamp();
        using var timer = deadline is { } d ? new CancellationTokenSource(d > TimeSpan.Zero ? d : TimeSpan.Zero, options.Clock) : new CancellationTokenSource();
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, timer.Token);
        var confusion = new ConfusionMatrix(data.ClassCount);
        double? projected = null;
        // Projects the trial's cost from its finished inner folds (each fold's own setup included) and stops it when it
        // cannot finish in time, instead of spending the rest of the budget on it.
        void Project(double done)
        {
            if (deadline is not { } d || done <= 0 || limit.IsCancellationRequested)
                return;
            var estimate = options.Clock.GetElapsedTime(clock).TotalSeconds / done;
            if (estimate > d.TotalSeconds)
            {
                projected = estimate;
                limit.Cancel();
            }
        }
        try
        {
            for (var f = 0; f < K; f++)
            {
                limit.Token.ThrowIfCancellationRequested();
                var (fit, validation) = folds[f];
                options.Audit?.Invoke(new AutoMlDataAccess(number, candidate.Family, "fit", fit));
                using var model = candidate.Fit(data, fit, new TrainingContext
                {
                    Seed = Seeds.Derive(context.Seed, "automl-trial", candidate.Key, f),
                    Threads = context.Threads,
                    CancellationToken = limit.Token,
                });
                options.Audit?.Invoke(new AutoMlDataAccess(number, candidate.Family, "predict", validation));
                var probabilities = model.PredictProbabilities(data, validation);
                for (var r = 0; r < validation.Length; r++)
                    confusion.Counts[data.Labels[validation[r]], ModelResultBuilder.Decide(probabilities[r])]++;
                if (model.Summary.Facts.TryGetValue("epochs_run", out var text) && int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var epochs))
                    trial.EpochsRun += epochs;
                if (f + 1 < K)
                    Project((f + 1.0) / K);
            }
            record.ValidationMacroF1 = Finite(confusion.MacroF1());
            record.ValidationAccuracy = Finite(confusion.Accuracy());
        }
        catch (OperationCanceledException) when (!context.CancellationToken.IsCancellationRequested && projected is { } p)
        {
            record.Note = string.Create(CultureInfo.InvariantCulture, $"stopped early: projected {p:F0} s, more than the {deadline!.Value.TotalSeconds:F0} s left");
            trial.Projected = p;
            budgetBound = true;
        }
        catch (OperationCanceledException) when (!context.CancellationToken.IsCancellationRequested)
        {
            record.Note = "stopped at the time budget";
            budgetExhausted = true;
            budgetBound = true;
        }
        catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
        {
            // One unusable candidate (a bad combination, weights that cannot be found) must not end the search.
            record.Note = "failed: " + e.Message.Split('\n', 2)[0].Trim();
            if (candidate is ImageCandidate)
                failedFamilies.Add(candidate.Family);
        }
        record.Seconds = options.Clock.GetElapsedTime(clock).TotalSeconds;
        trials.Add(trial);
        if (trial.Score is not null && (best is null || trial.Score > best.Score))
        {
            best = trial;
            context.Log?.Invoke(string.Create(CultureInfo.InvariantCulture,
                $"auto: trial {number} {candidate.Family} ({candidate.Describe()}): inner macro-F1 {trial.Score:F4}, best so far ({record.Seconds:F1} s)"));
        }
        else if (candidate is ImageCandidate || record.Note is not null)
        {
            context.Log?.Invoke(string.Create(CultureInfo.InvariantCulture,
                $"auto: trial {number} {candidate.Family} ({candidate.Describe()}): {(trial.Score is { } s ? $"inner macro-F1 {s:F4}" : record.Note)} ({record.Seconds:F1} s)"));
        }
        context.Progress?.Report(options.TimeBudget is { } b ? Math.Min(0.99, Elapsed / b)
            : options.MaxTrials is { } cap ? Math.Min(0.99, (double)trials.Count / cap) : 0);
        return trial;
    }

    static double? Finite(double value) => double.IsFinite(value) ? value : null;

    SvmCandidate Svm(string stage, LibSvmKernel kernel, double log2C, double log2Gamma, AutoMlSampler sampler) =>
        new(nextKey++, stage, kernel, log2C, log2Gamma, sampler, options.Space.UndersampleFraction);

    ((int[] Fit, int[] Validation)[] Folds, string? Note) InnerFolds()
    {
        var labels = train.Select(i => data.Labels[i]).ToArray();
        // Tiles of one image stay on one side of every inner split, as in the outer folds.
        var tiles = data.Groups is null ? null : train.Select(i => data.Groups[i]).ToArray();
        var unit = tiles is null ? "training item" : "training image";
        var classes = (tiles is null ? labels : GroupedFolds.GroupLabels(labels, tiles))
            .GroupBy(l => l).OrderBy(g => g.Count()).ThenBy(g => g.Key).ToList();
        if (classes.Count < 2)
            throw new ArgumentException("AutoML needs at least two classes in the training fold, but it holds only " + (classes.Count == 0 ? "no items." : $"class '{data.ClassNames[classes[0].Key]}'."));
        var smallest = classes[0].Count();
        var name = data.ClassNames[classes[0].Key];
        if (smallest < 2)
            throw new ArgumentException($"Class '{name}' has a single {unit}; AutoML's inner validation needs at least 2 per class.");
        var k = Math.Min(options.InnerFolds, smallest);
        var note = k < options.InnerFolds ? $"inner folds reduced from {options.InnerFolds} to {k}: class '{name}' has only {smallest} {unit}s" : null;
        var seed = Seeds.Derive(context.Seed, "automl-inner-cv");
        var assignment = tiles is null ? StratifiedKFold.Assign(labels, k, seed) : GroupedFolds.Assign(labels, tiles, k, seed);
        var result = new (int[], int[])[k];
        for (var f = 0; f < k; f++)
        {
            var (fitPositions, validationPositions) = StratifiedKFold.Split(assignment, f);
            result[f] = (fitPositions.Select(p => train[p]).ToArray(), validationPositions.Select(p => train[p]).ToArray());
        }
        return (result, note);
    }

    TrainingSummary Summarise(Trial winner, TimeSpan searchTime, TimeSpan refitTime, TrainingSummary fitted)
    {
        var inv = CultureInfo.InvariantCulture;
        var summary = new TrainingSummary();
        var facts = summary.Facts;
        facts["automl_winner"] = winner.Candidate.Family;
        facts["automl_winner_settings"] = winner.Candidate.Describe();
        facts["automl_winner_trial"] = winner.Record.Trial.ToString(inv);
        facts["automl_validation_macro_f1"] = winner.Score!.Value.ToString("F4", inv);
        facts["automl_trials"] = trials.Count.ToString(inv);
        var unscored = trials.Count(t => t.Score is null);
        if (unscored > 0)
            facts["automl_unscored_trials"] = unscored.ToString(inv);
        facts["automl_time_budget"] = options.DescribeBudget();
        facts["automl_search_seconds"] = searchTime.TotalSeconds.ToString("F1", inv);
        facts["automl_refit_seconds"] = refitTime.TotalSeconds.ToString("F1", inv);
        facts["automl_stopped_by"] = TrialCapReached ? "max trials" : budgetExhausted || budgetBound ? "time budget" : "plan complete";
        facts["automl_inner_folds"] = K.ToString(inv);
        if (innerNote is not null)
            facts["automl_inner_note"] = innerNote;
        foreach (var (key, value) in fitted.Facts)
            facts.TryAdd(key, value);
        foreach (var (key, values) in fitted.Curves)
            summary.Curves[key] = values;
        summary.Trials.AddRange(trials.Select(t => t.Record));
        return summary;
    }

    sealed class Trial(AutoMlCandidate candidate, TrialRecord record, int folds)
    {
        public int Folds { get; } = folds;

        /// <summary>The projected cost of a trial stopped because it could not finish in time.</summary>
        public double? Projected { get; set; }

        public AutoMlCandidate Candidate { get; } = candidate;

        public TrialRecord Record { get; } = record;

        public double? Score => Record.ValidationMacroF1 is { } s && double.IsFinite(s) ? s : null;

        /// <summary>Epochs trained over all inner folds (image models), for the cost per epoch.</summary>
        public int EpochsRun { get; set; }
    }
}
