using System.Globalization;
using AutoClassify.Dataset;
using AutoClassify.IO;
using AutoClassify.Models.Cnn;
using AutoClassify.Models.Transfer;
using AutoClassify.Native;
using AutoClassify.Tiling;

namespace AutoClassify.Models.AutoMl;

/// <summary>
/// One nested search on one training fold. The fold is split into stratified inner folds (groups kept together); every
/// trial fits on the inner-training parts and is scored by the macro-F1 of its pooled inner-validation predictions, so
/// nothing outside <c>trainIndices</c> is ever read. Cheap probes come first: one RBF SVM per feature representation
/// (object features, whole-field features, and the whole-field features of tiles at one or two sizes chosen from the
/// image size, scored per image on the mean of its tiles) says which are worth the budget. Then the SVM grid, its
/// refinement and the samplers on the kept representations, the catalog's other feature learners, and the image models (families × input
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

    // A catalog learner's first probe reads about this fraction of each class of an inner-training part.
    const int ProbeDivisor = 8;

    // Measuring the tiles of one size may take at most this share of the time left; a sample projects the cost first.
    const double TileShare = 0.25;

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
    readonly Dictionary<string, double> probeEstimates = new(StringComparer.Ordinal);
    readonly Dictionary<(string Representation, string Family), double> probeSeconds = [];
    readonly Dictionary<string, double> tileSeconds = new(StringComparer.Ordinal);
    readonly string? innerNote;
    int nextKey;
    int? backboneInputSize;
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
                : new EnsembleModel(fitted, members.Select(m => m.Candidate.PackageKind).ToList(), data.ClassCount, ensemble!.Stacker);
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
    /// One quick RBF SVM (class weights, C = 2^3, γ = 1/features) per feature representation the data holds, tiles
    /// included (<see cref="TileViews"/>). Those within <see cref="AutoMlSearchSpace.ProbeMargin"/> of the best probe are
    /// searched further, best first.
    /// </summary>
    List<View> Probes()
    {
        var space = options.Space;
        if (space.RbfLog2C.Count == 0 && space.LinearLog2C.Count == 0 && FeatureLearners(space.FeatureInputs.Select(i => new View(i, null)).ToList()).Count == 0)
            return [];
        var available = space.FeatureInputs.Where(i => data.FeaturesFor(i) is not null).Distinct().ToList();
        foreach (var missing in space.FeatureInputs.Except(available))
            context.Log?.Invoke($"auto: the data has no {AutoMlCandidate.RepresentationOf(missing)}, so no model on them is tried");
        var views = available.Select(i => new View(i, null)).ToList();
        if (available.Contains(ModelInput.FieldFeatures))
            views.AddRange(TileViews());
        if (views.Count <= 1)
            return views;
        var probes = new List<(View View, double? Score)>();
        foreach (var view in views)
        {
            var dimension = Math.Max(1, data.FeaturesFor(view.Input)!.Names.Count);
            var trial = TryRun(Svm("probe", view, LibSvmKernel.Rbf, 3, Math.Round(-Math.Log2(dimension)), space.FeatureSamplers[0]));
            probes.Add((view, trial?.Score));
        }
        var top = probes.Max(p => p.Score ?? double.NegativeInfinity);
        var kept = probes.Where(p => p.Score is { } s && s >= top - space.ProbeMargin).OrderByDescending(p => p.Score).Select(p => p.View).ToList();
        var text = string.Join(", ", probes.Select(p => $"{p.View.Name} {(p.Score is { } s ? s.ToString("F3", CultureInfo.InvariantCulture) : "no score")}"));
        var dropped = probes.Select(p => p.View).Except(kept).ToList();
        var verdict = dropped.Count == 0
            ? views.Count == 2 ? "searching both" : "searching all"
            : string.Create(CultureInfo.InvariantCulture, $"searching {string.Join(" and ", kept.Select(v => v.Name))} only (the others scored more than {space.ProbeMargin:F2} below)");
        context.Log?.Invoke($"auto: probes (inner macro-F1): {text}; {verdict}");
        notes.Add($"probes: {text}; {verdict}");
        return kept.Count > 0 ? kept : views;
    }

    /// <summary>
    /// The tiled representations worth a probe: <see cref="AutoMlSearchSpace.TileSizes"/>, or sizes chosen from the
    /// smallest training image (<see cref="AutoMlTiling.Sizes"/>), each with its tiles measured. None when the items are
    /// tiles already, have no images, or are too small for 2 × 2 tiles; a size is left out when measuring its tiles
    /// would take more than <see cref="TileShare"/> of the time left (projected from a sample). Each decision is logged.
    /// </summary>
    List<View> TileViews()
    {
        var space = options.Space;
        if (space.TileSizes is { Count: 0 })
            return [];
        var inv = CultureInfo.InvariantCulture;
        var why = data.Images is null ? "the data has no images"
            : data.ItemTile is { } tile ? $"the items are tiles of {tile} px already (--tile)"
            : null;
        if (why is not null)
        {
            context.Log?.Invoke($"auto: {why}, so no tiling is tried");
            return [];
        }
        var sides = train.Select(i => data.Images![i]).Where(i => i is not null).Select(i => (i.Width, i.Height)).ToList();
        if (sides.Count == 0)
            return [];
        var smallest = sides.MinBy(s => Math.Min(s.Width, s.Height));
        var side = Math.Min(smallest.Width, smallest.Height);
        var sizes = space.TileSizes ?? AutoMlTiling.Sizes(side);
        if (sizes.Count == 0)
        {
            var message = string.Create(inv,
                $"no tiling: the smallest training image is {smallest.Width}x{smallest.Height} px, too small for 2 × 2 tiles of at least {AutoMlTiling.MinTileSize} px");
            context.Log?.Invoke("auto: " + message);
            notes.Add(message);
            return [];
        }
        context.Log?.Invoke(string.Create(inv,
            $"auto: tiling at {string.Join(" and ", sizes)} px{(space.TileSizes is null ? $" (from the smallest training image's shorter side, {side} px: half of it{(sizes.Count > 1 ? " and half again" : "")})" : "")}: a probe SVM on each size's tile features, at most {space.TilesPerImage} tiles of an image per fit, an image's tiles averaged into its probabilities"));
        var views = new List<View>();
        foreach (var size in sizes)
        {
            var tiling = new AutoMlTiling(new TileSpec(size, size), space.TilesPerImage);
            if (MeasureTiles(tiling))
                views.Add(new View(ModelInput.FieldFeatures, tiling));
        }
        return views;
    }

    /// <summary>
    /// Cuts and measures the tiles of every training image at <paramref name="tiling"/>'s size; under a time budget a
    /// sample goes first, and the rest only when its projected cost fits <see cref="TileShare"/> of the time left.
    /// </summary>
    bool MeasureTiles(AutoMlTiling tiling)
    {
        var inv = CultureInfo.InvariantCulture;
        var tiles = TileFeatures.For(data, tiling.Spec);
        var missing = tiles.Unmeasured(train);
        var clock = options.Clock.GetTimestamp();
        try
        {
            if (options.TimeBudget is not null && missing.Length > 0)
            {
                var sample = missing.Take(Math.Max(context.EffectiveThreads, missing.Length / 20)).ToArray();
                tiles.Measure(sample, context.Threads, context.CancellationToken);
                var seconds = options.Clock.GetElapsedTime(clock).TotalSeconds;
                var rest = missing.Length - sample.Length;
                var projected = seconds * rest / sample.Length;
                var allowed = Remaining() * TileShare;
                if (projected > allowed)
                {
                    var message = string.Create(inv,
                        $"{tiling.Representation} not tried: measuring the tiles of the other {rest} training images would take about {projected:F0} s ({sample.Length} took {seconds:F1} s), more than {TileShare:P0} of the {Remaining():F0} s left");
                    context.Log?.Invoke("auto: " + message);
                    notes.Add(message);
                    return false;
                }
            }
            tiles.Measure(train, context.Threads, context.CancellationToken);
            return true;
        }
        finally
        {
            tileSeconds[tiling.Representation] = tileSeconds.GetValueOrDefault(tiling.Representation) + options.Clock.GetElapsedTime(clock).TotalSeconds;
        }
    }

    /// <summary>The feature candidates in order, proposed lazily so each step can read the scores of the steps before it.</summary>
    IEnumerable<AutoMlCandidate> FeatureCandidates(List<View> representations)
    {
        var space = options.Space;
        var sampler = space.FeatureSamplers[0];
        foreach (var view in representations)
        {
            var grid = new List<AutoMlCandidate>();
            foreach (var c in space.RbfLog2C)
            {
                foreach (var g in space.RbfLog2Gamma)
                    grid.Add(Svm("grid", view, LibSvmKernel.Rbf, c, g, sampler));
            }
            foreach (var c in space.LinearLog2C)
                grid.Add(Svm("grid", view, LibSvmKernel.Linear, c, 0, sampler));
            var order = grid.ToArray();
            // A seeded order, so a trial cap or a short budget still samples both kernels across the whole grid.
            new Random(view.Tiling is { } tiling
                ? Seeds.Derive(context.Seed, "automl-grid-order", (int)view.Input, tiling.Spec.Size)
                : Seeds.Derive(context.Seed, "automl-grid-order", (int)view.Input)).Shuffle(order);
            foreach (var candidate in order)
            {
                if (!Tried((SvmCandidate)candidate))
                    yield return candidate;
            }

            var bestRbf = trials
                .Where(t => t.Score is not null && t.Candidate is SvmCandidate { Kernel: LibSvmKernel.Rbf } s && view.Holds(s))
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
                        var neighbour = Svm("refine", view, LibSvmKernel.Rbf, c, g, sampler);
                        if (!Tried(neighbour))
                            yield return neighbour;
                    }
                }
            }

            var leaders = new List<SvmCandidate>();
            foreach (var t in trials.Where(t => t.Candidate is SvmCandidate s && view.Holds(s) && t.Score is not null).OrderByDescending(t => t.Score).ThenBy(t => t.Record.Trial))
            {
                var svm = (SvmCandidate)t.Candidate;
                if (leaders.Count < options.SamplerCandidates && !leaders.Any(l => l.SameModel(svm)))
                    leaders.Add(svm);
            }
            foreach (var leader in leaders)
            {
                foreach (var other in space.FeatureSamplers.Skip(1))
                    yield return Svm("sampler", view, leader.Kernel, leader.Log2C, leader.Log2Gamma, other);
            }
        }
        foreach (var (model, learner, view) in FeatureLearners(representations))
            yield return new CatalogCandidate(nextKey++, "learner", model, learner, settings, view.Tiling) { Audit = options.Audit };
    }

    bool Tried(SvmCandidate candidate) =>
        trials.Any(t => t.Candidate is SvmCandidate s && s.SameModel(candidate) && s.Sampler == candidate.Sampler);

    /// <summary>
    /// The catalog's feature learners other than the SVMs (the ML.NET baselines, once registered) on the given
    /// representations, or those <see cref="AutoMlSearchSpace.FeatureLearners"/> names: (catalog name, learner name, representation).
    /// </summary>
    List<(string Model, string Learner, View View)> FeatureLearners(IReadOnlyList<View> representations)
    {
        var result = new List<(string, string, View)>();
        foreach (var name in ModelCatalog.Names)
        {
            var family = ModelCatalog.Family(name);
            if (family.IsFeatureSvm)
                continue;
            var learner = family.Input == ModelInput.FieldFeatures && name.EndsWith("-field", StringComparison.Ordinal) ? name[..^"-field".Length] : name;
            if (options.Space.FeatureLearners is { } wanted && !wanted.Contains(learner, StringComparer.Ordinal))
                continue;
            foreach (var view in representations.Where(v => v.Input == family.Input))
                result.Add((name, learner, view));
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

    List<AutoMlImageFamily> ImageFamilies()
    {
        var families = options.Space.AvailableImageFamilies().ToList();
        if (settings.Transfer.Backbone is { } backbone && options.Space.BackboneFamilies.Count > 0 && data.Images is not null)
            families.InsertRange(0, BackboneFamilies(backbone).Where(b => !families.Any(f => f.Model == b.Model)));
        if (families.Count > 0 && data.Images is null)
        {
            context.Log?.Invoke("auto: the data has no images, so no CNN is tried");
            return [];
        }
        return families;
    }

    /// <summary>
    /// The <see cref="AutoMlSearchSpace.BackboneFamilies"/> when the <c>--backbone</c> package opens as a LipNet backbone
    /// (its input size is read here); none, with the reason logged, when it does not.
    /// </summary>
    IReadOnlyList<AutoMlImageFamily> BackboneFamilies(string backbone)
    {
        try
        {
            using var opened = LipNetBackbone.Open(backbone);
            backboneInputSize = opened.DefaultInputSize;
        }
        catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException or UnauthorizedAccessException)
        {
            context.Log?.Invoke($"auto: --backbone {backbone} cannot serve as a LipNet backbone ({e.Message.Split('\n', 2)[0].Trim()}); its frozen features are not searched");
            return [];
        }
        var families = options.Space.BackboneFamilies;
        context.Log?.Invoke(string.Create(CultureInfo.InvariantCulture,
            $"auto: --backbone {backbone}: its frozen features at {backboneInputSize} px are searched first ({string.Join(", ", families.Select(f => f.Model))})"));
        return families;
    }

    /// <summary>
    /// Input sizes of the image models: <see cref="AutoMlSearchSpace.ImageSizes"/>, or the CNN options' size (the
    /// family's own when unset) and twice that when the prepared images are at least that large (at most 128 px).
    /// </summary>
    IReadOnlyList<int> ImageSizes(AutoMlImageFamily family)
    {
        // A LipNet backbone reads its package's input size, whatever the space or the CNN options say.
        if (family.Model.StartsWith(BackboneSource.LipNetPrefix, StringComparison.Ordinal) && backboneInputSize is { } packaged)
            return [packaged];
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

    void ImagePhase(List<AutoMlImageFamily> families)
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
    void TooSmallForImages(List<AutoMlImageFamily> families, List<Trial> imageTrials, int epochs)
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
            var reserve = best is null ? 0 : Refit(best.Record.Seconds);
            if (Remaining() <= reserve)
            {
                budgetExhausted = true;
                return null;
            }
            if (candidate is CatalogCandidate catalog && Estimate(candidate) is null && !Probe(catalog, reserve))
                return null;
            var remaining = budget - Elapsed;
            if (remaining.TotalSeconds <= reserve)
            {
                budgetExhausted = true;
                return null;
            }
            if (Estimate(candidate) is { } estimate && estimate + Math.Max(reserve, Refit(estimate)) > remaining.TotalSeconds)
            {
                skipped.Add(new Skip(candidate, estimate, remaining.TotalSeconds, Elapsed));
                if (candidate is CatalogCandidate)
                {
                    context.Log?.Invoke(string.Create(CultureInfo.InvariantCulture,
                        $"auto: {candidate.Family} on {candidate.Representation} does not start: its trial needs about {estimate:F1} s and its refit {Refit(estimate):F1} s (from its probe), {remaining.TotalSeconds:F1} s are left"));
                }
                return null;
            }
            // Until some trial has a score there is nothing to return, so the first one is never cut short.
            if (best is not null)
                deadline = remaining - TimeSpan.FromSeconds(reserve);
        }
        return Evaluate(candidate, deadline);
    }

    double Refit(double trialSeconds) => RefitSafety * trialSeconds / Math.Max(1, K - 1);

    /// <summary>
    /// Measures a catalog learner before its first trial, so the budget check has an estimate: the learner (with its own
    /// tuning) is fitted on a small stratified sample of the first inner-training part (whole groups, at least as many
    /// per class as its own inner folds) and on one twice that size; the seconds per item between the two, extrapolated
    /// linearly to an inner-training part, times <c>K</c>, is the trial's estimate. Each probe may take at most 1/(K+1) of
    /// the time left after the reserve: every inner fit and the refit read at least as many items, so a longer probe
    /// proves the trial cannot fit. False when it is skipped for that reason (logged and listed as skipped).
    /// </summary>
    bool Probe(CatalogCandidate candidate, double reserve)
    {
        var inv = CultureInfo.InvariantCulture;
        var (small, large) = ProbeSamples(candidate.Key);
        var measured = new List<(int Items, double Seconds)>();
        foreach (var sample in large.Length > small.Length ? new[] { small, large } : new[] { small })
        {
            var limit = Math.Max(0, Remaining() - reserve) / (K + 1);
            var clock = options.Clock.GetTimestamp();
            var over = false;
            try
            {
                using var timer = new CancellationTokenSource(TimeSpan.FromSeconds(limit), options.Clock);
                using var link = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, timer.Token);
                options.Audit?.Invoke(new AutoMlDataAccess(0, candidate.Family, "probe", sample));
                using var model = candidate.Fit(data, sample, new TrainingContext
                {
                    Seed = Seeds.Derive(context.Seed, "automl-probe", candidate.Key, measured.Count),
                    Threads = context.Threads,
                    CancellationToken = link.Token,
                });
            }
            catch (OperationCanceledException) when (!context.CancellationToken.IsCancellationRequested)
            {
                over = true;
            }
            catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
            {
                // The trial itself will fail and say why; the probe only has no estimate to give.
                context.Log?.Invoke($"auto: the probe of {candidate.Family} on {candidate.Representation} failed ({e.Message.Split('\n', 2)[0].Trim()}); its trial runs unestimated");
                return true;
            }
            finally
            {
                var key = (candidate.Representation, candidate.Family);
                probeSeconds[key] = probeSeconds.GetValueOrDefault(key) + options.Clock.GetElapsedTime(clock).TotalSeconds;
            }
            var seconds = options.Clock.GetElapsedTime(clock).TotalSeconds;
            if (over || seconds > limit)
            {
                var left = Remaining();
                skipped.Add(new Skip(candidate, (K + 1) * seconds, left, Elapsed));
                var message = string.Create(inv,
                    $"{candidate.Family} on {candidate.Representation} does not start: its probe on {sample.Length} items {(over ? "was stopped after" : "took")} {seconds:F1} s, more than the {limit:F1} s that each of its {K} inner fits and its refit could take in the {left:F0} s left");
                context.Log?.Invoke("auto: " + message);
                notes.Add(message);
                return false;
            }
            measured.Add((sample.Length, seconds));
        }
        var fitSize = folds.Average(f => f.Fit.Length);
        var (n1, t1) = measured[0];
        var perFit = measured.Count == 1
            ? t1 * Math.Max(1, fitSize / n1)
            : Math.Max(t1, measured[1].Seconds) + Math.Max(0, (measured[1].Seconds - t1) / (measured[1].Items - n1)) * Math.Max(0, fitSize - measured[1].Items);
        probeEstimates[ProbeKey(candidate)] = K * perFit;
        context.Log?.Invoke(string.Create(inv,
            $"auto: probe of {candidate.Family} on {candidate.Representation}: {string.Join(" and ", measured.Select(m => $"{m.Seconds:F1} s on {m.Items} items"))}; its trial ({K} fits on about {fitSize:F0} items) should take about {K * perFit:F1} s"));
        return true;
    }

    /// <summary>
    /// Two nested samples of the first inner-training part for <see cref="Probe"/>: per class about 1/<see cref="ProbeDivisor"/>
    /// of its groups (at least the learner's inner folds), then twice that; groups (tiles of one image) stay whole.
    /// </summary>
    (int[] Small, int[] Large) ProbeSamples(int key)
    {
        var fit = folds[0].Fit;
        var random = new Random(Seeds.Derive(context.Seed, "automl-probe-sample", key));
        var (small, large) = (new List<int>(), new List<int>());
        var units = fit.GroupBy(i => data.Groups is null ? i : data.Groups[i]).OrderBy(g => g.Key).ToList();
        foreach (var byClass in units.GroupBy(u => data.Labels[u.First()]).OrderBy(c => c.Key))
        {
            var members = byClass.ToArray();
            random.Shuffle(members);
            var n = Math.Min(members.Length, Math.Max(settings.InnerFolds, (members.Length + ProbeDivisor - 1) / ProbeDivisor));
            small.AddRange(members.Take(n).SelectMany(u => u));
            large.AddRange(members.Take(Math.Min(members.Length, 2 * n)).SelectMany(u => u));
        }
        return ([.. small.Order()], [.. large.Order()]);
    }

    /// <summary>Expected seconds of a trial, from the finished trials most like it; null when none is comparable.</summary>
    double? Estimate(AutoMlCandidate candidate)
    {
        var finished = trials.Where(t => t.Score is not null).ToList();
        switch (candidate)
        {
            case SvmCandidate svm:
                {
                    var svms = finished.Where(t => t.Candidate is SvmCandidate s && s.Input == svm.Input && Equals(s.Tiling, svm.Tiling)).ToList();
                    var alike = svms.Where(t => t.Candidate.Family == svm.Family && ((SvmCandidate)t.Candidate).Sampler == svm.Sampler).ToList();
                    var family = svms.Where(t => t.Candidate.Family == svm.Family).ToList();
                    var pool = alike.Count > 0 ? alike : family.Count > 0 ? family : svms;
                    return pool.Count > 0 ? pool.Average(t => t.Record.Seconds) : null;
                }
            case CatalogCandidate catalog:
                {
                    var same = finished.Where(t => t.Candidate is CatalogCandidate c && c.Model == catalog.Model && Equals(c.Tiling, catalog.Tiling)).ToList();
                    return same.Count > 0 ? same.Average(t => t.Record.Seconds) : probeEstimates.TryGetValue(ProbeKey(catalog), out var probed) ? probed : null;
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

    static string ProbeKey(CatalogCandidate candidate) => candidate.Tiling is { } tiling ? $"{candidate.Model} on {tiling.Representation}" : candidate.Model;

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
                // Fractional when a LipNet stopped between the validation checks inside an epoch.
                if (model.Summary.Facts.TryGetValue("epochs_run", out var text) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var epochs))
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
    /// Two ways to combine the best 2…<see cref="AutoMlSearchSpace.EnsembleSize"/> pipelines (the best trial of each
    /// learner and representation), each scored on the inner folds: the mean of their inner out-of-fold probabilities,
    /// and a stack, a <see cref="StackingCombiner"/> on those probabilities whose score is itself cross-validated over
    /// the inner folds (fitted on the other folds' rows, scored on the fold's own), so no row's label reaches the
    /// combiner that scores it. The average is kept when it beats the best single pipeline; the stack when it beats both
    /// that and the average. Either is dropped when refitting its members does not fit in the time left. Null when
    /// there is nothing to combine.
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
        var rows = Enumerable.Range(0, train.Count).Where(p => pipelines.All(t => t.OutOfFold![p] is not null)).ToArray();
        var labels = rows.Select(p => data.Labels[train[p]]).ToArray();
        (double F1, double Accuracy, List<Trial> Members)? mean = null, stack = null;
        for (var m = 2; m <= pipelines.Count; m++)
        {
            var subset = pipelines.Take(m).ToList();
            var perMember = subset.Select(t => rows.Select(p => t.OutOfFold![p]).ToArray()).ToList();
            var averaged = Score(EnsembleModel.Average(perMember, rows.Length, data.ClassCount), labels);
            if (double.IsFinite(averaged.F1) && (mean is null || averaged.F1 > mean.Value.F1))
                mean = (averaged.F1, averaged.Accuracy, subset);
            var stacked = Score(CrossValidatedStack(perMember, rows, labels), labels);
            if (double.IsFinite(stacked.F1) && (stack is null || stacked.F1 > stack.Value.F1))
                stack = (stacked.F1, stacked.Accuracy, subset);
        }
        if (mean is not { } a)
            return null;
        var inv = CultureInfo.InvariantCulture;
        var meanRecord = Record(a.Members, a.F1, a.Accuracy, EnsembleModel.MeanCombine, trials.Count + 1);
        var meanKept = Beats(meanRecord, a.F1, single.Score!.Value, "the best single pipeline's");
        var records = new List<TrialRecord> { meanRecord };
        TrialRecord? stackRecord = null;
        var stackKept = false;
        if (stack is { } b)
        {
            stackRecord = Record(b.Members, b.F1, b.Accuracy, "stacked: " + StackingCombiner.Describe(b.Members.Count), trials.Count + 2);
            stackKept = Beats(stackRecord, b.F1, single.Score!.Value, "the best single pipeline's") && Beats(stackRecord, b.F1, a.F1, "the average's");
            records.Add(stackRecord);
        }
        if (stackKept && meanKept)
            meanRecord.Note = "not kept: the stacked ensemble scored higher";
        var (record, members, kept) = stackKept ? (stackRecord!, stack!.Value.Members, true) : (meanRecord, a.Members, meanKept);
        if (kept)
        {
            var refit = members.Sum(t => Refit(t.Record.Seconds));
            if (options.TimeBudget is not null && refit > Remaining())
            {
                kept = false;
                record.Note = string.Create(inv, $"not kept: refitting its {members.Count} members needs about {refit:F0} s, {Remaining():F0} s are left");
            }
        }
        foreach (var r in records)
        {
            context.Log?.Invoke(string.Create(inv,
                $"auto: ensemble ({r.Settings["combine"]}) of {r.Settings["members"]}: inner macro-F1 {r.ValidationMacroF1:F4} against the best single {single.Score:F4}; {(kept && r == record ? "kept" : r.Note ?? "not kept")}"));
        }
        foreach (var r in records.Where(x => !(kept && x == record)))
        {
            r.Note ??= "not kept";
            r.Note += string.Create(inv, $" (it scored {r.ValidationMacroF1:F4})");
            r.ValidationMacroF1 = r.ValidationAccuracy = null;
        }
        StackingCombiner? stacker = null;
        if (kept && record == stackRecord)
        {
            var perMember = members.Select(t => rows.Select(p => t.OutOfFold![p]).ToArray()).ToList();
            stacker = StackingCombiner.Fit(perMember, labels, data.ClassCount);
        }
        return new EnsembleChoice(record, records, members, kept, stacker);

        static bool Beats(TrialRecord record, double score, double rival, string whose)
        {
            if (score > rival + 1e-9)
                return true;
            record.Note ??= string.Create(CultureInfo.InvariantCulture, $"not kept: inner macro-F1 {score:F4} does not beat {whose} {rival:F4}");
            return false;
        }
    }

    /// <summary>Out-of-fold predictions of the stack on <paramref name="rows"/>: per inner fold, a combiner fitted on the other folds' rows.</summary>
    double[][] CrossValidatedStack(List<double[][]> perMember, int[] rows, int[] labels)
    {
        var result = new double[rows.Length][];
        var foldOf = new int[train.Count];
        for (var f = 0; f < K; f++)
        {
            foreach (var item in folds[f].Validation)
                foldOf[position[item]] = f;
        }
        for (var f = 0; f < K; f++)
        {
            var fit = Enumerable.Range(0, rows.Length).Where(r => foldOf[rows[r]] != f).ToArray();
            var held = Enumerable.Range(0, rows.Length).Where(r => foldOf[rows[r]] == f).ToArray();
            if (held.Length == 0)
                continue;
            var combiner = StackingCombiner.Fit(perMember.Select(m => fit.Select(r => m[r]).ToArray()).ToList(), fit.Select(r => labels[r]).ToArray(), data.ClassCount);
            var predicted = combiner.Predict(perMember.Select(m => held.Select(r => m[r]).ToArray()).ToList(), held.Length);
            for (var i = 0; i < held.Length; i++)
                result[held[i]] = predicted[i];
        }
        return result;
    }

    (double F1, double Accuracy) Score(double[][] probabilities, int[] labels)
    {
        var confusion = new ConfusionMatrix(data.ClassCount);
        for (var r = 0; r < labels.Length; r++)
            confusion.Counts[labels[r], OrderStatistics.ArgMax(probabilities[r])]++;
        return (confusion.MacroF1(), confusion.Accuracy());
    }

    static TrialRecord Record(List<Trial> members, double f1, double accuracy, string combine, int number) => new()
    {
        Trial = number,
        Family = EnsembleModel.Kind,
        Representation = string.Join(" + ", members.Select(t => t.Candidate.Representation).Distinct()),
        Stage = "ensemble",
        Settings = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["members"] = string.Join(" + ", members.Select(t => $"#{t.Record.Trial.ToString(CultureInfo.InvariantCulture)} {t.Candidate.Family}")),
            ["combine"] = combine,
        },
        ValidationMacroF1 = f1,
        ValidationAccuracy = accuracy,
    };

    static double? Finite(double value) => double.IsFinite(value) ? value : null;

    SvmCandidate Svm(string stage, View view, LibSvmKernel kernel, double log2C, double log2Gamma, AutoMlSampler sampler) =>
        new(nextKey++, stage, view.Input, kernel, log2C, log2Gamma, sampler, options.Space.UndersampleFraction, view.Tiling) { Audit = options.Audit };

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
        var spent = trials.GroupBy(t => (t.Candidate.Representation, t.Candidate.Family))
            .ToDictionary(g => g.Key, g => (Seconds: g.Sum(t => t.Record.Seconds), Count: g.Count()));
        foreach (var key in probeSeconds.Keys.Where(k => !spent.ContainsKey(k)))
            spent[key] = (0, 0);
        facts["automl_time_by_pipeline"] = string.Join("; ", spent
            .OrderByDescending(p => p.Value.Seconds + probeSeconds.GetValueOrDefault(p.Key))
            .Select(p => string.Create(inv, $"{p.Key.Family} on {p.Key.Representation}: {p.Value.Seconds:F1} s in {p.Value.Count}") +
                (probeSeconds.TryGetValue(p.Key, out var probe) ? string.Create(inv, $" (and {probe:F1} s of probes)") : ""))
            .Concat(tileSeconds.Select(t => string.Create(inv, $"measuring {t.Key}: {t.Value:F1} s"))));
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
            summary.Trials.AddRange(ensemble.Records);
        return summary;
    }

    /// <summary>One sentence: what was chosen, and how the best pipeline on another representation or learner compared.</summary>
    string Choice(TrialRecord winner, EnsembleChoice? ensemble, Trial bestSingle)
    {
        var inv = CultureInfo.InvariantCulture;
        var memberList = ensemble is null ? "" : string.Join(", ", ensemble.Members.Select(m => $"{m.Candidate.Family} on {m.Candidate.Representation}"));
        var what = winner.Family != "ensemble" ? $"{winner.Family} on {winner.Representation}"
            : ensemble!.Stacker is null ? $"an ensemble averaging {memberList}"
            : $"a stacked ensemble of {memberList} (a logistic regression on their probabilities)";
        var score = winner.ValidationMacroF1!.Value;
        var winnerTiled = winner.Family == "ensemble" ? ensemble!.Members.Any(m => m.Candidate.Tiling is not null) : IsTiled(winner);
        var tiled = trials.Where(t => t.Candidate.Tiling is not null).ToList();
        var bestTiled = tiled.Where(t => t.Score is not null).OrderByDescending(t => t.Score).ThenBy(t => t.Record.Trial).FirstOrDefault();
        // Tiling is said whenever it was tried, even when an untiled rival is the closer one.
        var tiling = winnerTiled || tiled.Count == 0 ? null
            : bestTiled is null ? "no tiled pipeline could be scored"
            : string.Create(inv, $"tiling at {bestTiled.Candidate.Tiling!.Spec.Size} px ({bestTiled.Candidate.Family}) scored {score - bestTiled.Score!.Value:F3} lower");
        if (winner.Family == "ensemble")
        {
            return string.Create(inv,
                $"Chose {what} (inner macro-F1 {score:F3}); the best single pipeline, {bestSingle.Candidate.Family} on {bestSingle.Candidate.Representation}, scored {bestSingle.Score:F3}") +
                (tiling is null ? "." : $"; {tiling}.");
        }
        var rival = trials.Where(t => t.Score is not null && t.Candidate.Representation != winner.Representation && t.Candidate.Tiling is null)
            .OrderByDescending(t => t.Score).ThenBy(t => t.Record.Trial).FirstOrDefault();
        var otherLearner = trials.Where(t => t.Score is not null && t.Candidate.Representation == winner.Representation && t.Candidate.Family != winner.Family)
            .OrderByDescending(t => t.Score).FirstOrDefault();
        var comparisons = new List<string>();
        if (rival is not null)
            comparisons.Add(string.Create(inv, $"{rival.Candidate.Representation} ({rival.Candidate.Family}) scored {score - rival.Score!.Value:F3} lower"));
        if (tiling is not null)
            comparisons.Add(tiling);
        if (otherLearner is not null)
            comparisons.Add(string.Create(inv, $"{otherLearner.Candidate.Family} on the same representation {score - otherLearner.Score!.Value:F3} lower"));
        return string.Create(inv, $"Chose {what} (inner macro-F1 {score:F3})") +
            (comparisons.Count == 0 ? ", the only kind of pipeline scored." : "; on the inner folds " + string.Join(", and ", comparisons) + ".");

        bool IsTiled(TrialRecord record) => trials.Any(t => t.Record == record && t.Candidate.Tiling is not null);
    }

    sealed class Trial(AutoMlCandidate candidate, TrialRecord record, TimeSpan startedAt)
    {
        public AutoMlCandidate Candidate { get; } = candidate;

        public TrialRecord Record { get; } = record;

        /// <summary>Search time when the trial started.</summary>
        public TimeSpan StartedAt { get; } = startedAt;

        public double? Score => Record.ValidationMacroF1 is { } s && double.IsFinite(s) ? s : null;

        /// <summary>Epochs trained over all inner folds (image models), for the cost per epoch.</summary>
        public double EpochsRun { get; set; }

        /// <summary>Inner folds finished.</summary>
        public int FoldsDone { get; set; }

        /// <summary>Inner-validation probabilities by position in the training fold; null unless the trial was scored.</summary>
        public double[][]? OutOfFold { get; set; }
    }

    /// <summary>A feature representation: the item's feature matrix of <paramref name="Input"/>, or its tiles' (<paramref name="Tiling"/>).</summary>
    sealed record View(ModelInput Input, AutoMlTiling? Tiling)
    {
        public string Name => Tiling?.Representation ?? AutoMlCandidate.RepresentationOf(Input);

        public bool Holds(AutoMlCandidate candidate) => candidate.Input == Input && Equals(candidate.Tiling, Tiling);
    }

    /// <summary>A candidate that did not start: its estimated seconds, the seconds left and the search time then.</summary>
    sealed record Skip(AutoMlCandidate Candidate, double Estimate, double Left, TimeSpan At);

    /// <summary>The combination that competes (<paramref name="Record"/>), every combination scored, and the stack's fitted combiner when it is the one.</summary>
    sealed record EnsembleChoice(TrialRecord Record, List<TrialRecord> Records, List<Trial> Members, bool Kept, StackingCombiner? Stacker);
}
