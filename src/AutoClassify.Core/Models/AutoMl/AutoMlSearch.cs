using System.Globalization;
using AutoClassify.Dataset;
using AutoClassify.IO;
using AutoClassify.Models.Cnn;
using AutoClassify.Native;

namespace AutoClassify.Models.AutoMl;

/// <summary>
/// One nested search on one training fold. The fold is split into stratified inner folds (groups kept together); every
/// trial fits on the inner-training parts and is scored by the macro-F1 of its pooled inner-validation predictions, so
/// nothing outside <c>trainIndices</c> is ever read. Cheap probes come first: one RBF SVM per feature representation
/// (object features, whole-field features) says which are worth the budget. Then the SVM grid, its refinement and the
/// samplers on the kept representations, the catalog's other feature learners, and the image models (families × input
/// sizes) by successive halving, sized from the cost of a first short trial. While image models wait, the feature
/// models take at most <see cref="AutoMlOptions.FeatureShare"/> of the budget and finish afterwards if time is left.
/// Before each trial its cost is estimated from earlier ones; it starts only when it and a refit of the winner fit in
/// what is left. A trial that started runs to its end unless the budget itself runs out. Last, an average of the best
/// few pipelines' inner out-of-fold probabilities competes with the best single one; the winner is refitted on the
/// whole training fold.
/// </summary>
internal sealed class AutoMlSearch
{
    // A refit reads all of the fold where an inner fit reads (K-1)/K of it; SVM solvers grow faster than linearly.
    const double RefitSafety = 1.25;

    readonly AutoMlOptions options;
    readonly ModelSettings settings;
    readonly TrainingData data;
    readonly IReadOnlyList<int> train;
    readonly Dictionary<int, int> position;
    readonly TrainingContext context;
    readonly (int[] Fit, int[] Validation)[] folds;
    readonly long started;
    readonly List<Trial> trials = [];
    readonly List<Skip> skipped = [];
    readonly HashSet<string> failedFamilies = new(StringComparer.Ordinal);
    readonly List<string> notes = [];
    readonly string? innerNote;
    int nextKey;
    bool budgetExhausted;
    bool planBound;
    TimeSpan? phaseEnd;
    Trial? best;

    public AutoMlSearch(AutoMlOptions options, ModelSettings settings, TrainingData data, IReadOnlyList<int> trainIndices, TrainingContext context)
    {
        this.options = options;
        this.settings = settings;
        this.data = data;
        train = trainIndices;
        position = new Dictionary<int, int>(train.Count);
        for (var p = 0; p < train.Count; p++)
            position.TryAdd(train[p], p);
        this.context = context;
        started = options.Clock.GetTimestamp();
        (folds, innerNote) = InnerFolds();
    }

    int K => folds.Length;

    TimeSpan Elapsed => options.Clock.GetElapsedTime(started);

    bool TrialCapReached => options.MaxTrials is { } cap && trials.Count >= cap;

    bool Stopped => TrialCapReached || budgetExhausted || context.CancellationToken.IsCancellationRequested;

    bool PhaseOver => phaseEnd is { } end && Elapsed >= end;

    /// <summary>Runs the whole search and the refit; the returned model owns the refitted winner.</summary>
    public AutoMlModel Run()
    {
        context.Log?.Invoke(string.Create(CultureInfo.InvariantCulture,
            $"auto: searching on {train.Count} training items with {K} inner folds, budget {options.DescribeBudget()}{(options.MaxTrials is { } cap ? $", at most {cap} trials" : "")}"));
        var representations = Probes();
        var features = FeatureCandidates(representations).GetEnumerator();
        try
        {
            var families = ImageFamilies();
            // Image models get their share: the feature models pause at the share and finish after them.
            if (families.Count > 0 && options.TimeBudget is { } budget)
                phaseEnd = budget * options.FeatureShare;
            var featuresLeft = RunWhile(features, () => !PhaseOver);
            phaseEnd = null;
            ImagePhase(families);
            if (featuresLeft && !Stopped)
            {
                context.Log?.Invoke("auto: back to the feature models with the time the image models left");
                RunWhile(features, () => true);
            }
        }
        finally
        {
            features.Dispose();
        }
        context.CancellationToken.ThrowIfCancellationRequested();
        ReportSkipped();
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
        var ensemble = Ensemble(ranking);
        var records = ranking.Select(t => t.Record).ToList();
        if (ensemble is { Kept: true })
            records.Insert(0, ensemble.Record);
        for (var i = 0; i < records.Count; i++)
            records[i].Rank = i + 1;
        records[0].Winner = true;
        var members = ensemble is { Kept: true } ? ensemble.Members : [ranking[0]];
        var winnerRecord = records[0];

        context.Log?.Invoke(string.Create(CultureInfo.InvariantCulture,
            $"auto: winner is trial {winnerRecord.Trial}, {winnerRecord.Family} on {winnerRecord.Representation} ({winnerRecord.FormatSettings()}), inner macro-F1 {winnerRecord.ValidationMacroF1:F4}; refitting on all {train.Count} training items"));
        var refitClock = options.Clock.GetTimestamp();
        var fitted = new List<ITrainedModel>();
        try
        {
            foreach (var member in members)
            {
                options.Audit?.Invoke(new AutoMlDataAccess(0, member.Candidate.Family, "refit", train));
                fitted.Add(member.Candidate.Fit(data, train, new TrainingContext
                {
                    Seed = Seeds.Derive(context.Seed, "automl-refit", members.Count == 1 ? 0 : member.Candidate.Key),
                    Threads = context.Threads,
                    Log = context.Log,
                    CancellationToken = context.CancellationToken,
                }));
            }
            ITrainedModel model = fitted.Count == 1
                ? fitted[0]
                : new EnsembleModel(fitted, members.Select(m => m.Candidate.PackageKind).ToList(), data.ClassCount);
            var summary = Summarise(winnerRecord, ensemble, ranking[0], searchTime, options.Clock.GetElapsedTime(refitClock), model.Summary);
            context.Progress?.Report(1);
            return new AutoMlModel(model, fitted.Count == 1 ? members[0].Candidate.PackageKind : EnsembleModel.Kind, winnerRecord, summary);
        }
        catch
        {
            foreach (var model in fitted)
                model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// One quick RBF SVM (class weights, C = 2^3, γ = 1/features) per feature representation the data holds. Those within
    /// <see cref="AutoMlSearchSpace.ProbeMargin"/> of the best probe are searched further, best first.
    /// </summary>
    List<ModelInput> Probes()
    {
        var space = options.Space;
        if (space.RbfLog2C.Count == 0 && space.LinearLog2C.Count == 0 && FeatureLearners(space.FeatureInputs).Count == 0)
            return [];
        var available = space.FeatureInputs.Where(i => data.FeaturesFor(i) is not null).Distinct().ToList();
        foreach (var missing in space.FeatureInputs.Except(available))
            context.Log?.Invoke($"auto: the data has no {AutoMlCandidate.RepresentationOf(missing)}, so no model on them is tried");
        if (available.Count <= 1)
            return available;
        var probes = new List<(ModelInput Input, double? Score)>();
        foreach (var input in available)
        {
            var dimension = Math.Max(1, data.FeaturesFor(input)!.Names.Count);
            var trial = TryRun(Svm("probe", input, LibSvmKernel.Rbf, 3, Math.Round(-Math.Log2(dimension)), space.FeatureSamplers[0]));
            probes.Add((input, trial?.Score));
        }
        var top = probes.Max(p => p.Score ?? double.NegativeInfinity);
        var kept = probes.Where(p => p.Score is { } s && s >= top - space.ProbeMargin).OrderByDescending(p => p.Score).Select(p => p.Input).ToList();
        var text = string.Join(", ", probes.Select(p => $"{AutoMlCandidate.RepresentationOf(p.Input)} {(p.Score is { } s ? s.ToString("F3", CultureInfo.InvariantCulture) : "no score")}"));
        var dropped = probes.Select(p => p.Input).Except(kept).ToList();
        var verdict = dropped.Count == 0
            ? "searching both"
            : string.Create(CultureInfo.InvariantCulture, $"searching {string.Join(" and ", kept.Select(AutoMlCandidate.RepresentationOf))} only (the others scored more than {space.ProbeMargin:F2} below)");
        context.Log?.Invoke($"auto: probes (inner macro-F1): {text}; {verdict}");
        notes.Add($"probes: {text}; {verdict}");
        return kept.Count > 0 ? kept : available;
    }

    /// <summary>The feature candidates in order, proposed lazily so each step can read the scores of the steps before it.</summary>
    IEnumerable<AutoMlCandidate> FeatureCandidates(List<ModelInput> representations)
    {
        var space = options.Space;
        var sampler = space.FeatureSamplers[0];
        foreach (var input in representations)
        {
            var grid = new List<AutoMlCandidate>();
            foreach (var c in space.RbfLog2C)
            {
                foreach (var g in space.RbfLog2Gamma)
                    grid.Add(Svm("grid", input, LibSvmKernel.Rbf, c, g, sampler));
            }
            foreach (var c in space.LinearLog2C)
                grid.Add(Svm("grid", input, LibSvmKernel.Linear, c, 0, sampler));
            var order = grid.ToArray();
            // A seeded order, so a trial cap or a short budget still samples both kernels across the whole grid.
            new Random(Seeds.Derive(context.Seed, "automl-grid-order", (int)input)).Shuffle(order);
            foreach (var candidate in order)
            {
                if (!Tried((SvmCandidate)candidate))
                    yield return candidate;
            }

            var bestRbf = trials
                .Where(t => t.Score is not null && t.Candidate is SvmCandidate { Kernel: LibSvmKernel.Rbf } s && s.Input == input)
                .OrderByDescending(t => t.Score)
                .ThenBy(t => t.Record.Trial)
                .FirstOrDefault();
            if (space.RefineRbf && bestRbf is not null)
            {
                var centre = (SvmCandidate)bestRbf.Candidate;
                foreach (var dc in new[] { -2.0, 0, 2 })
                {
                    foreach (var dg in new[] { -2.0, 0, 2 })
                    {
                        var (c, g) = (centre.Log2C + dc, centre.Log2Gamma + dg);
                        if ((dc == 0 && dg == 0) || Math.Abs(c) > 60 || Math.Abs(g) > 60)
                            continue;
                        var neighbour = Svm("refine", input, LibSvmKernel.Rbf, c, g, sampler);
                        if (!Tried(neighbour))
                            yield return neighbour;
                    }
                }
            }

            var leaders = new List<SvmCandidate>();
            foreach (var t in trials.Where(t => t.Candidate is SvmCandidate s && s.Input == input && t.Score is not null).OrderByDescending(t => t.Score).ThenBy(t => t.Record.Trial))
            {
                var svm = (SvmCandidate)t.Candidate;
                if (leaders.Count < options.SamplerCandidates && !leaders.Any(l => l.SameModel(svm)))
                    leaders.Add(svm);
            }
            foreach (var leader in leaders)
            {
                foreach (var other in space.FeatureSamplers.Skip(1))
                    yield return Svm("sampler", input, leader.Kernel, leader.Log2C, leader.Log2Gamma, other);
            }
        }
        foreach (var (model, learner) in FeatureLearners(representations))
            yield return new CatalogCandidate(nextKey++, "learner", model, learner, settings);
    }

    bool Tried(SvmCandidate candidate) =>
        trials.Any(t => t.Candidate is SvmCandidate s && s.SameModel(candidate) && s.Sampler == candidate.Sampler);

    /// <summary>
    /// The catalog's feature learners other than the SVMs (the ML.NET baselines, once registered) on the given
    /// representations, or those <see cref="AutoMlSearchSpace.FeatureLearners"/> names: (catalog name, learner name).
    /// </summary>
    List<(string Model, string Learner)> FeatureLearners(IReadOnlyList<ModelInput> representations)
    {
        var result = new List<(string, string)>();
        foreach (var name in ModelCatalog.Names)
        {
            var family = ModelCatalog.Family(name);
            if (family.IsFeatureSvm || !representations.Contains(family.Input))
                continue;
            var learner = family.Input == ModelInput.FieldFeatures && name.EndsWith("-field", StringComparison.Ordinal) ? name[..^"-field".Length] : name;
            if (options.Space.FeatureLearners is { } wanted && !wanted.Contains(learner, StringComparer.Ordinal))
                continue;
            result.Add((name, learner));
        }
        return result;
    }

    /// <summary>Runs candidates while <paramref name="proceed"/> holds; true when some are left.</summary>
    bool RunWhile(IEnumerator<AutoMlCandidate> candidates, Func<bool> proceed)
    {
        while (true)
        {
            if (Stopped)
                return false;
            if (!proceed())
            {
                context.Log?.Invoke(string.Create(CultureInfo.InvariantCulture,
                    $"auto: the feature models used their {options.FeatureShare:P0} share of the budget; the image models go next"));
                return true;
            }
            if (!candidates.MoveNext())
                return false;
            TryRun(candidates.Current);
        }
    }

    IReadOnlyList<AutoMlImageFamily> ImageFamilies()
    {
        var families = options.Space.AvailableImageFamilies();
        if (families.Count > 0 && data.Images is null)
        {
            context.Log?.Invoke("auto: the data has no images, so no CNN is tried");
            return [];
        }
        return families;
    }

    /// <summary>
    /// Input sizes of the image models: <see cref="AutoMlSearchSpace.ImageSizes"/>, or the CNN options' size (the
    /// family's own when unset) and twice that when the prepared images are at least that large (at most 128 px).
    /// </summary>
    IReadOnlyList<int> ImageSizes(AutoMlImageFamily family)
    {
        if (options.Space.ImageSizes is { Count: > 0 } fixedSizes)
            return fixedSizes;
        var spec = LipNet.Names.Contains(family.Model) ? LipNet.Find(family.Model) : null;
        // Transfer models read their own input size (ImageNet's 224 px unless set), not the CNN options'.
        var baseSize = spec is null ? settings.Transfer.InputSize ?? 224 : settings.Cnn.InputSize ?? spec.DefaultInputSize;
        var sides = data.Images!.Where(i => i is not null).Select(i => Math.Min(i.Width, i.Height)).Order().ToList();
        var median = sides.Count == 0 ? 0 : sides[sides.Count / 2];
        var sizes = new List<int> { baseSize };
        if (spec is not null && baseSize * 2 <= Math.Min(median, 128))
            sizes.Add(baseSize * 2);
        return sizes;
    }

    void ImagePhase(IReadOnlyList<AutoMlImageFamily> families)
    {
        if (families.Count == 0 || Stopped)
            return;
        var rungs = RungEpochs();
        var eta = options.ReductionFactor;
        var plannedRungs = rungs.Count;
        var target = options.TimeBudget is null ? (int)Math.Min(options.MaxImageConfigs, Math.Pow(eta, rungs.Count - 1)) : options.MaxImageConfigs;
        var planned = options.TimeBudget is null;
        var draws = new int[families.Count];
        var proposed = 0;
        var rung = new List<Trial>();
        var sizes = families.Select(ImageSizes).ToList();
        var later = string.Join("/", rungs.Skip(1));
        var rest = rungs.Count == 1 ? "no later rung" : planned ? $"later rungs {later} epochs" : $"how many of the later rungs ({later} epochs) run is planned from the first trial's cost";
        context.Log?.Invoke(string.Create(CultureInfo.InvariantCulture,
            $"auto: image models {string.Join(", ", families.Select((f, i) => $"{f.Model} at {string.Join("/", sizes[i])} px"))}: rung 1 trains {rungs[0]} epochs; {rest}"));
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
            var config = ImageConfig.Draw(families[f], draws[f]++, options.Space, settings.Cnn, sizes[f], context.Seed);
            var trial = TryRun(new ImageCandidate(nextKey++, "rung 1", config, rungs[0], settings));
            if (trial is null)
                continue;
            rung.Add(trial);
            if (!planned && trial.Score is not null)
            {
                planned = true;
                (var configurations, plannedRungs, var cost) = Plan(trial, rungs);
                planBound = configurations < options.MaxImageConfigs || plannedRungs < rungs.Count;
                // The plan counts configurations from this one on; proposals before it (failed families) stay counted.
                target = proposed - 1 + configurations;
                var inv = CultureInfo.InvariantCulture;
                var message = configurations == 1 && plannedRungs == 1
                    ? string.Create(inv, $"a first {rungs[0]}-epoch CNN trial took {trial.Record.Seconds:F1} s; no further image trial fits in the {Remaining():F0} s left")
                    : string.Create(inv, $"a first {rungs[0]}-epoch CNN trial took {trial.Record.Seconds:F1} s; planning {configurations} configuration(s) (this one included) over {plannedRungs} rung(s), about {cost:F0} s of the {Remaining():F0} s left");
                context.Log?.Invoke("auto: " + message);
                if (planBound)
                    notes.Add(message);
            }
        }

        var ran = new List<int> { rung.Count };
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
            ran.Add(next.Count);
            rung = next;
        }
        var imageTrials = trials.Where(t => t.Candidate is ImageCandidate).ToList();
        context.Log?.Invoke(string.Create(CultureInfo.InvariantCulture,
            $"auto: image models ran {imageTrials.Count} trial(s) ({string.Join(", ", ran.Select((n, i) => $"rung {i + 1}: {n}"))}), {imageTrials.Count(t => t.Score is not null)} scored"));
        if (imageTrials.All(t => t.Score is null))
            TooSmallForImages(families, imageTrials, rungs[0]);
    }

    /// <summary>Says plainly that no image model could be scored, and which budget would have let one in.</summary>
    void TooSmallForImages(IReadOnlyList<AutoMlImageFamily> families, List<Trial> imageTrials, int epochs)
    {
        if (options.TimeBudget is not { } budget)
            return;
        var inv = CultureInfo.InvariantCulture;
        var cut = imageTrials.FirstOrDefault(t => t.Record.Note?.StartsWith("stopped", StringComparison.Ordinal) == true);
        var skip = skipped.FirstOrDefault(s => s.Candidate is ImageCandidate);
        string message;
        if (cut is not null || skip is not null)
        {
            var (family, trialSeconds, lowerBound) = cut is not null
                ? (cut.Candidate.Family, cut.FoldsDone > 0 ? cut.Record.Seconds * K / cut.FoldsDone : cut.Record.Seconds * K, cut.FoldsDone == 0)
                : (skip!.Candidate.Family, skip.Estimate, false);
            var startedAt = cut?.StartedAt.TotalSeconds ?? skip!.At.TotalSeconds;
            var needed = TimeSpan.FromSeconds(Math.Ceiling((startedAt + trialSeconds + Refit(trialSeconds)) / 60) * 60);
            var perRun = needed * options.BudgetShares;
            var about = lowerBound ? "more than " : "about ";
            var run = options.BudgetShares > 1
                ? $" (--time-budget {TimeBudget.Format(perRun)} for this run's {options.BudgetShares.ToString(inv)} searches)."
                : $" (--time-budget {TimeBudget.Format(perRun)}).";
            message = string.Create(inv,
                $"the {TimeBudget.Format(budget)} budget per search is too small for any image model: one {epochs}-epoch {family} trial on {K} inner folds needs {about}{trialSeconds:F0} s here and its refit about {Refit(trialSeconds):F0} s, after {startedAt:F0} s of feature models. A budget of {about}{TimeBudget.Format(needed)} per search would let one in{run}");
        }
        else if (imageTrials.Count == 0)
        {
            message = $"no image model ({string.Join(", ", families.Select(f => f.Model))}) was tried: " +
                (TrialCapReached ? "the trial cap was reached first." : "the feature models used the whole budget.");
        }
        else
        {
            message = "no image model trial could be scored: " + string.Join("; ", imageTrials.Select(t => $"{t.Candidate.Family}: {t.Record.Note}").Distinct().Take(3));
        }
        context.Log?.Invoke("auto: " + message);
        notes.Add(message);
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
    /// How many configurations the first rung takes (the measured one included) and how many rungs, after a first-rung
    /// trial: the most rungs, then the most configurations, whose remaining trials and the refit of a top-rung winner fit
    /// in the time left, with the same cost rule <see cref="TryRun"/> then applies to each trial. Also the planned seconds.
    /// </summary>
    (int Configurations, int Rungs, double Seconds) Plan(Trial first, List<int> rungs)
    {
        var available = Remaining();
        var perEpoch = first.Record.Seconds / rungs[0];
        double Cost(int configurations, int rungCount)
        {
            var (total, n) = (0.0, configurations);
            for (var r = 0; r < rungCount; r++)
            {
                total += n * perEpoch * rungs[r];
                n = (n + options.ReductionFactor - 1) / options.ReductionFactor;
            }
            return total - first.Record.Seconds + Refit(perEpoch * rungs[rungCount - 1]);
        }
        for (var r = rungs.Count; r >= 1; r--)
        {
            var minimum = (int)Math.Min(options.MaxImageConfigs, Math.Pow(options.ReductionFactor, r - 1));
            if (r > 1 && Cost(minimum, r) > available)
                continue;
            var n = minimum;
            while (n < options.MaxImageConfigs && Cost(n + 1, r) <= available)
                n++;
            return (n, r, Math.Max(0, Cost(n, r)));
        }
        return (1, 1, 0);
    }

    double Remaining() => options.TimeBudget is { } budget ? Math.Max(0, (budget - Elapsed).TotalSeconds) : double.PositiveInfinity;

    /// <summary>Runs the candidate when its estimated cost fits the budget; null when it did not start.</summary>
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
                skipped.Add(new Skip(candidate, estimate, remaining.TotalSeconds, Elapsed));
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
        var finished = trials.Where(t => t.Score is not null).ToList();
        switch (candidate)
        {
            case SvmCandidate svm:
                {
                    var svms = finished.Where(t => t.Candidate is SvmCandidate s && s.Input == svm.Input).ToList();
                    var alike = svms.Where(t => t.Candidate.Family == svm.Family && ((SvmCandidate)t.Candidate).Sampler == svm.Sampler).ToList();
                    var family = svms.Where(t => t.Candidate.Family == svm.Family).ToList();
                    var pool = alike.Count > 0 ? alike : family.Count > 0 ? family : svms;
                    return pool.Count > 0 ? pool.Average(t => t.Record.Seconds) : null;
                }
            case ImageCandidate image:
                {
                    // Seconds per epoch and input pixel of one inner fit, per family; a trial's cost grows with both.
                    static double? Rate(IEnumerable<Trial> pool)
                    {
                        var measured = pool.Where(t => t.EpochsRun > 0).ToList();
                        return measured.Count == 0 ? null
                            : measured.Sum(t => t.Record.Seconds) / measured.Sum(t => t.EpochsRun * Pixels(t.Candidate));
                    }
                    var images = finished.Where(t => t.Candidate is ImageCandidate).ToList();
                    var rate = Rate(images.Where(t => t.Candidate.Family == image.Family))
                        ?? images.GroupBy(t => t.Candidate.Family).Select(g => Rate(g)).Max();
                    return rate * image.Epochs * K * Pixels(image);
                }
            default:
                return null;
        }
    }

    static double Pixels(AutoMlCandidate candidate) => candidate is ImageCandidate i ? (double)i.Config.InputSize * i.Config.InputSize : 1;

    Trial Evaluate(AutoMlCandidate candidate, TimeSpan? deadline)
    {
        var number = trials.Count + 1;
        var record = new TrialRecord
        {
            Trial = number,
            Family = candidate.Family,
            Representation = candidate.Representation,
            Stage = candidate.Stage,
            Settings = candidate.Settings.ToDictionary(s => s.Key, s => s.Value, StringComparer.Ordinal),
        };
        var trial = new Trial(candidate, record, Elapsed);
        var clock = options.Clock.GetTimestamp();
        using var timer = deadline is { } d ? new CancellationTokenSource(d > TimeSpan.Zero ? d : TimeSpan.Zero, options.Clock) : new CancellationTokenSource();
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, timer.Token);
        var confusion = new ConfusionMatrix(data.ClassCount);
        var outOfFold = new double[train.Count][];
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
                {
                    confusion.Counts[data.Labels[validation[r]], OrderStatistics.ArgMax(probabilities[r])]++;
                    outOfFold[position[validation[r]]] = probabilities[r];
                }
                if (model.Summary.Facts.TryGetValue("epochs_run", out var text) && int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var epochs))
                    trial.EpochsRun += epochs;
                trial.FoldsDone = f + 1;
                // The budget's end, checked on the search's own clock too (the timer above may run on another).
                if (deadline is { } end && f + 1 < K && options.Clock.GetElapsedTime(clock) >= end)
                    throw new OperationCanceledException();
            }
            record.ValidationMacroF1 = Finite(confusion.MacroF1());
            record.ValidationAccuracy = Finite(confusion.Accuracy());
            if (record.ValidationMacroF1 is not null)
                trial.OutOfFold = outOfFold;
        }
        catch (OperationCanceledException) when (!context.CancellationToken.IsCancellationRequested)
        {
            // Only the budget's own end stops a running trial; its finished inner folds are too few to compare.
            record.Note = string.Create(CultureInfo.InvariantCulture, $"stopped at the time budget after {trial.FoldsDone} of {K} inner folds");
            budgetExhausted = true;
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
                $"auto: trial {number} {candidate.Family} on {candidate.Representation} ({candidate.Describe()}): inner macro-F1 {trial.Score:F4}, best so far ({record.Seconds:F1} s)"));
        }
        else if (candidate is not SvmCandidate || record.Note is not null)
        {
            context.Log?.Invoke(string.Create(CultureInfo.InvariantCulture,
                $"auto: trial {number} {candidate.Family} on {candidate.Representation} ({candidate.Describe()}): {(trial.Score is { } s ? $"inner macro-F1 {s:F4}" : record.Note)} ({record.Seconds:F1} s)"));
        }
        context.Progress?.Report(options.TimeBudget is { } b ? Math.Min(0.99, Elapsed / b)
            : options.MaxTrials is { } cap ? Math.Min(0.99, (double)trials.Count / cap) : 0);
        return trial;
    }

    /// <summary>Logs the trials that did not start because their estimated cost did not fit the time left.</summary>
    void ReportSkipped()
    {
        if (skipped.Count == 0)
            return;
        var inv = CultureInfo.InvariantCulture;
        var groups = skipped.GroupBy(s => (s.Candidate.Family, s.Candidate.Representation))
            .Select(g => string.Create(inv, $"{g.Count()} {g.Key.Family} on {g.Key.Representation} (≈{g.Min(s => s.Estimate):F0} s each, {g.Max(s => s.Left):F0} s left)"));
        var message = $"{skipped.Count} planned trial(s) did not start, as their estimated cost and a refit did not fit the time left: {string.Join("; ", groups)}";
        context.Log?.Invoke("auto: " + message);
        notes.Add(message);
    }

    /// <summary>
    /// The mean of the inner out-of-fold probabilities of the best 2…<see cref="AutoMlSearchSpace.EnsembleSize"/>
    /// pipelines (the best trial of each learner and representation); kept when it beats the best single pipeline and
    /// refitting its members fits in the time left. Null when there is nothing to combine.
    /// </summary>
    EnsembleChoice? Ensemble(List<Trial> ranking)
    {
        if (options.Space.EnsembleSize < 2)
            return null;
        var pipelines = ranking.Where(t => t.OutOfFold is not null)
            .GroupBy(t => (t.Candidate.Family, t.Candidate.Representation))
            .Select(g => g.First())
            .Take(options.Space.EnsembleSize)
            .ToList();
        if (pipelines.Count < 2)
            return null;
        var single = ranking[0];
        (double F1, double Accuracy, List<Trial> Members)? chosen = null;
        for (var m = 2; m <= pipelines.Count; m++)
        {
            var members = pipelines.Take(m).ToList();
            var confusion = new ConfusionMatrix(data.ClassCount);
            for (var p = 0; p < train.Count; p++)
            {
                if (members.Any(t => t.OutOfFold![p] is null))
                    continue;
                var mean = new double[data.ClassCount];
                foreach (var t in members)
                {
                    for (var k = 0; k < mean.Length; k++)
                        mean[k] += t.OutOfFold![p][k] / members.Count;
                }
                confusion.Counts[data.Labels[train[p]], OrderStatistics.ArgMax(mean)]++;
            }
            var f1 = confusion.MacroF1();
            if (double.IsFinite(f1) && (chosen is null || f1 > chosen.Value.F1))
                chosen = (f1, confusion.Accuracy(), members);
        }
        if (chosen is not { } c)
            return null;
        var inv = CultureInfo.InvariantCulture;
        var record = new TrialRecord
        {
            Trial = trials.Count + 1,
            Family = "ensemble",
            Representation = string.Join(" + ", c.Members.Select(t => t.Candidate.Representation).Distinct()),
            Stage = "ensemble",
            Settings = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["members"] = string.Join(" + ", c.Members.Select(t => $"#{t.Record.Trial.ToString(inv)} {t.Candidate.Family}")),
                ["combine"] = "mean probability",
            },
            ValidationMacroF1 = c.F1,
            ValidationAccuracy = c.Accuracy,
        };
        var kept = c.F1 > single.Score!.Value + 1e-9;
        if (!kept)
        {
            record.Note = string.Create(inv, $"not kept: inner macro-F1 {c.F1:F4} does not beat the best single pipeline's {single.Score:F4}");
        }
        else
        {
            var refit = c.Members.Sum(t => Refit(t.Record.Seconds));
            if (options.TimeBudget is not null && refit > Remaining())
            {
                kept = false;
                record.Note = string.Create(inv, $"not kept: refitting its {c.Members.Count} members needs about {refit:F0} s, {Remaining():F0} s are left");
            }
        }
        context.Log?.Invoke(string.Create(inv,
            $"auto: ensemble of trials {string.Join(", ", c.Members.Select(t => t.Record.Trial))}: inner macro-F1 {c.F1:F4} against the best single {single.Score:F4}; {(kept ? "kept" : record.Note)}"));
        if (!kept)
            record.ValidationMacroF1 = record.ValidationAccuracy = null;
        if (!kept)
            record.Note += string.Create(inv, $" (it scored {c.F1:F4})");
        return new EnsembleChoice(record, c.Members, kept);
    }

    static double? Finite(double value) => double.IsFinite(value) ? value : null;

    SvmCandidate Svm(string stage, ModelInput input, LibSvmKernel kernel, double log2C, double log2Gamma, AutoMlSampler sampler) =>
        new(nextKey++, stage, input, kernel, log2C, log2Gamma, sampler, options.Space.UndersampleFraction);

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

    TrainingSummary Summarise(TrialRecord winner, EnsembleChoice? ensemble, Trial bestSingle, TimeSpan searchTime, TimeSpan refitTime, TrainingSummary fitted)
    {
        var inv = CultureInfo.InvariantCulture;
        var summary = new TrainingSummary();
        var facts = summary.Facts;
        facts["automl_winner"] = winner.Family;
        facts["automl_winner_representation"] = winner.Representation;
        facts["automl_winner_settings"] = winner.FormatSettings();
        facts["automl_winner_trial"] = winner.Trial.ToString(inv);
        facts["automl_validation_macro_f1"] = winner.ValidationMacroF1!.Value.ToString("F4", inv);
        facts["automl_choice"] = Choice(winner, ensemble, bestSingle);
        facts["automl_trials"] = trials.Count.ToString(inv);
        var unscored = trials.Count(t => t.Score is null);
        if (unscored > 0)
            facts["automl_unscored_trials"] = unscored.ToString(inv);
        if (skipped.Count > 0)
            facts["automl_skipped_trials"] = skipped.Count.ToString(inv);
        facts["automl_time_budget"] = options.DescribeBudget();
        facts["automl_search_seconds"] = searchTime.TotalSeconds.ToString("F1", inv);
        facts["automl_refit_seconds"] = refitTime.TotalSeconds.ToString("F1", inv);
        facts["automl_stopped_by"] = TrialCapReached ? "max trials"
            : budgetExhausted ? "time budget"
            : skipped.Count > 0 || planBound ? "time left too short for the next trial"
            : "plan complete";
        facts["automl_time_by_pipeline"] = string.Join("; ", trials
            .GroupBy(t => (t.Candidate.Representation, t.Candidate.Family))
            .OrderByDescending(g => g.Sum(t => t.Record.Seconds))
            .Select(g => string.Create(inv, $"{g.Key.Family} on {g.Key.Representation}: {g.Sum(t => t.Record.Seconds):F1} s in {g.Count()}")));
        facts["automl_inner_folds"] = K.ToString(inv);
        if (innerNote is not null)
            facts["automl_inner_note"] = innerNote;
        if (notes.Count > 0)
            facts["automl_notes"] = string.Join(" | ", notes);
        foreach (var (key, value) in fitted.Facts)
            facts.TryAdd(key, value);
        foreach (var (key, values) in fitted.Curves)
            summary.Curves[key] = values;
        summary.Trials.AddRange(trials.Select(t => t.Record));
        if (ensemble is not null)
            summary.Trials.Add(ensemble.Record);
        return summary;
    }

    /// <summary>One sentence: what was chosen, and how the best pipeline on another representation or learner compared.</summary>
    string Choice(TrialRecord winner, EnsembleChoice? ensemble, Trial bestSingle)
    {
        var inv = CultureInfo.InvariantCulture;
        var what = winner.Family == "ensemble"
            ? $"an ensemble averaging {string.Join(", ", ensemble!.Members.Select(m => $"{m.Candidate.Family} on {m.Candidate.Representation}"))}"
            : $"{winner.Family} on {winner.Representation}";
        var score = winner.ValidationMacroF1!.Value;
        if (winner.Family == "ensemble")
        {
            return string.Create(inv,
                $"Chose {what} (inner macro-F1 {score:F3}); the best single pipeline, {bestSingle.Candidate.Family} on {bestSingle.Candidate.Representation}, scored {bestSingle.Score:F3}.");
        }
        var rival = trials.Where(t => t.Score is not null && t.Candidate.Representation != winner.Representation)
            .OrderByDescending(t => t.Score).ThenBy(t => t.Record.Trial).FirstOrDefault();
        var otherLearner = trials.Where(t => t.Score is not null && t.Candidate.Representation == winner.Representation && t.Candidate.Family != winner.Family)
            .OrderByDescending(t => t.Score).FirstOrDefault();
        var comparisons = new List<string>();
        if (rival is not null)
            comparisons.Add(string.Create(inv, $"{rival.Candidate.Representation} ({rival.Candidate.Family}) scored {score - rival.Score!.Value:F3} lower"));
        if (otherLearner is not null)
            comparisons.Add(string.Create(inv, $"{otherLearner.Candidate.Family} on the same representation {score - otherLearner.Score!.Value:F3} lower"));
        return string.Create(inv, $"Chose {what} (inner macro-F1 {score:F3})") +
            (comparisons.Count == 0 ? ", the only kind of pipeline scored." : "; on the inner folds " + string.Join(", and ", comparisons) + ".");
    }

    sealed class Trial(AutoMlCandidate candidate, TrialRecord record, TimeSpan startedAt)
    {
        public AutoMlCandidate Candidate { get; } = candidate;

        public TrialRecord Record { get; } = record;

        /// <summary>Search time when the trial started.</summary>
        public TimeSpan StartedAt { get; } = startedAt;

        public double? Score => Record.ValidationMacroF1 is { } s && double.IsFinite(s) ? s : null;

        /// <summary>Epochs trained over all inner folds (image models), for the cost per epoch.</summary>
        public int EpochsRun { get; set; }

        /// <summary>Inner folds finished.</summary>
        public int FoldsDone { get; set; }

        /// <summary>Inner-validation probabilities by position in the training fold; null unless the trial was scored.</summary>
        public double[][]? OutOfFold { get; set; }
    }

    /// <summary>A candidate that did not start: its estimated seconds, the seconds left and the search time then.</summary>
    sealed record Skip(AutoMlCandidate Candidate, double Estimate, double Left, TimeSpan At);

    sealed record EnsembleChoice(TrialRecord Record, List<Trial> Members, bool Kept);
}
