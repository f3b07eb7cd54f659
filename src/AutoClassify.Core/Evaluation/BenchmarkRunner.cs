using System.Diagnostics;
using System.Reflection;
using AutoClassify.Dataset;
using AutoClassify.Features;
using AutoClassify.Imaging;
using AutoClassify.Models;
using AutoClassify.Native;
using AutoClassify.Preprocessing;
using AutoClassify.Tiling;

namespace AutoClassify.Evaluation;

/// <summary>What to benchmark and how.</summary>
public sealed class BenchmarkOptions
{
    public required string DatasetPath { get; init; }

    public int Folds { get; init; } = 5;

    public int Seed { get; init; } = 42;

    public IReadOnlyList<string> Models { get; init; } = ["svm"];

    public CropMargins Crop { get; init; }

    /// <summary>What to do with detected data banners (searched after <see cref="Crop"/>).</summary>
    public BannerMode Banner { get; init; } = BannerMode.Crop;

    /// <summary>What to do with exact and near copies among the images, found before the folds are drawn.</summary>
    public NearDuplicateMode NearDuplicates { get; init; } = NearDuplicateMode.Group;

    /// <summary>Physical pixel size given by the user, recorded in the report; null when unknown.</summary>
    public double? NmPerPixel { get; init; }

    /// <summary>
    /// Rescale every prepared image to this many nm per pixel (<c>--resample-nm</c>), from its own scale (see
    /// <see cref="ScaleSurvey"/>); null keeps the images' pixels.
    /// </summary>
    public double? ResampleNm { get; init; }

    /// <summary>Worker threads; 0 means all cores.</summary>
    public int Threads { get; init; }

    /// <summary>
    /// Cross-validate the feature models beside the networks when the run holds both and has at least 2 threads (see
    /// <see cref="ModelOverlap"/>); false runs the models one after another (<c>--no-overlap</c>).
    /// </summary>
    public bool Overlap { get; init; } = true;

    /// <summary>
    /// Overlap only data sets of at least this many images (<c>--overlap-min-images</c>): below it the feature models
    /// finish in moments and the network would only lose its second thread. A rule on the data, never on timing.
    /// </summary>
    public int OverlapMinImages { get; init; } = DefaultOverlapMinImages;

    /// <summary>The default of <see cref="OverlapMinImages"/>.</summary>
    public const int DefaultOverlapMinImages = 2000;

    public ModelSettings ModelSettings { get; init; } = new();

    /// <summary>Tiles cut from every prepared image, or null to use images whole (see <see cref="TiledData"/>).</summary>
    public TileSpec? Tile { get; init; }

    /// <summary>How the test tiles' probabilities become an image's probabilities when tiling is on.</summary>
    public TileAggregation TileAggregation { get; init; } = TileAggregation.Mean;

    /// <summary>Probability above which a prediction-map cell is tinted in its class's colour.</summary>
    public double MapThreshold { get; init; } = 0.5;

    /// <summary>The command line as typed, recorded in the report.</summary>
    public string CommandLine { get; init; } = "";

    /// <summary>Folder where every finished fold is saved (see <see cref="FoldCheckpoint"/>); null saves nothing.</summary>
    public string? CheckpointDirectory { get; init; }

    /// <summary>Reuse the folds saved in <see cref="CheckpointDirectory"/> by an interrupted run with the same fingerprint.</summary>
    public bool Resume { get; init; }

    /// <summary>
    /// CSV of extra per-image features appended to the feature models' input (see <see cref="ExtraFeatureTable"/>); with
    /// <see cref="Tile"/>, every tile gets its image's row. Null for none.
    /// </summary>
    public string? ExtraFeaturesPath { get; init; }

    /// <summary>
    /// Which folds this process trains. <see cref="BenchmarkScope.Units"/> and <see cref="BenchmarkScope.CheckpointOnly"/>
    /// need a checkpoint that <see cref="BenchmarkRunner.OpenCheckpoint"/> wrote for the same fingerprint.
    /// </summary>
    public BenchmarkScope Scope { get; init; } = BenchmarkScope.All;

    /// <summary>The units to train when <see cref="Scope"/> is <see cref="BenchmarkScope.Units"/>.</summary>
    public IReadOnlyList<BenchmarkUnit> Units { get; init; } = [];

    /// <summary>
    /// Trains network units in a second process once the feature models of an overlapped run are done, when the
    /// networks' thread count fits twice into <see cref="Threads"/> (2 threads: 1 each); null keeps every fit in this
    /// process. Needs <see cref="CheckpointDirectory"/>, through which the units come back.
    /// </summary>
    public IUnitWorker? UnitWorker { get; init; }

    /// <summary>
    /// How prepared images are held during the run; null chooses: none when only features are read (each image is
    /// measured as it is prepared), compact when a model reads images or tiles. <see cref="PixelRetention.Eager"/> is the
    /// path before the store (every image as float at once), kept to measure and test against.
    /// </summary>
    internal PixelRetention? Pixels { get; init; }

    public void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(DatasetPath);
        if (Folds < 2)
            throw new ArgumentException($"--folds must be at least 2, not {Folds}.");
        if (Threads < 0)
            throw new ArgumentException($"--threads must be zero or more, not {Threads}.");
        if (Models.Count == 0)
            throw new ArgumentException("--models names no model.");
        if (!Enum.IsDefined(Banner))
            throw new ArgumentException($"--banner value {Banner} is unknown.");
        if (NmPerPixel is { } nm && !(nm > 0 && double.IsFinite(nm)))
            throw new ArgumentException($"--nm-per-pixel must be a positive number, not {nm.ToString(System.Globalization.CultureInfo.InvariantCulture)}.");
        if (ResampleNm is { } target && !(target > 0 && double.IsFinite(target)))
            throw new ArgumentException($"--resample-nm must be a positive number, not {target.ToString(System.Globalization.CultureInfo.InvariantCulture)}.");
        if (Tile is { Size: 0 })
            throw new ArgumentException("--tile is empty; build it with new TileSpec(size, stride) or TileSpec.Parse.");
        if (!Enum.IsDefined(TileAggregation))
            throw new ArgumentException($"--tile-aggregate value {TileAggregation} is unknown.");
        if (!(MapThreshold > 0 && MapThreshold < 1))
            throw new ArgumentException($"--map-threshold must lie strictly between 0 and 1, not {MapThreshold.ToString(System.Globalization.CultureInfo.InvariantCulture)}.");
        foreach (var model in Models)
            ModelCatalog.InputOf(model);
        if (Resume && CheckpointDirectory is null)
            throw new ArgumentException("--resume needs a checkpoint folder (BenchmarkOptions.CheckpointDirectory).");
        if (Scope != BenchmarkScope.All && CheckpointDirectory is null)
            throw new ArgumentException($"Scope {Scope} needs a checkpoint folder (BenchmarkOptions.CheckpointDirectory).");
        if (Scope == BenchmarkScope.Units && Units.Count == 0)
            throw new ArgumentException("Scope Units names no unit.");
        foreach (var unit in Units)
        {
            if (!Models.Contains(unit.Model, StringComparer.Ordinal))
                throw new ArgumentException($"Unit {unit} names a model that --models does not list.");
            if (unit.Fold < 0 || unit.Fold >= Folds)
                throw new ArgumentException($"Unit {unit} lies outside the {Folds} folds.");
        }
    }
}

/// <summary>
/// Runs a cross-validated benchmark: validates the data set, prepares images and features once,
/// assigns stratified folds once, and fits every model on the same folds.
/// </summary>
public static class BenchmarkRunner
{
    public static BenchmarkResult Run(BenchmarkOptions options, IBenchmarkObserver? observer = null, CancellationToken cancellationToken = default) =>
        Run(options, observer, ModelCatalog.Create, cancellationToken);

    /// <summary>
    /// Trains only <see cref="BenchmarkOptions.Units"/> and saves each to the checkpoint that <see cref="OpenCheckpoint"/>
    /// wrote; returns the units trained (those already saved are skipped). Nothing else is written.
    /// </summary>
    public static IReadOnlyList<BenchmarkUnit> RunUnits(BenchmarkOptions options, IBenchmarkObserver? observer = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Scope != BenchmarkScope.Units)
            throw new ArgumentException("RunUnits needs Scope = Units.", nameof(options));
        var trained = new List<BenchmarkUnit>();
        Run(options, observer, ModelCatalog.Create, trained, cancellationToken);
        return trained;
    }

    /// <summary>
    /// Loads the data set, computes the run's fingerprint and opens its checkpoint as a local run would (keeping folds of
    /// an equal fingerprint when <see cref="BenchmarkOptions.Resume"/> is set); returns the units that still have no saved
    /// fold. A scheduler calls this once before it hands units out, so concurrent tasks never create the checkpoint.
    /// </summary>
    public static IReadOnlyList<BenchmarkUnit> OpenCheckpoint(BenchmarkOptions options, IBenchmarkObserver? observer = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (options.CheckpointDirectory is null)
            throw new ArgumentException("OpenCheckpoint needs a checkpoint folder (BenchmarkOptions.CheckpointDirectory).", nameof(options));
        observer ??= NullObserver.Instance;
        var threads = options.Threads > 0 ? options.Threads : Environment.ProcessorCount;
        var (dataset, _, _) = LoadChecked(options, threads, observer, cancellationToken);
        foreach (var warning in dataset.Warnings)
            observer.Message(warning.ToString());
        var checkpoint = FoldCheckpoint.Open(options.CheckpointDirectory, RunFingerprint.Compute(options, dataset, threads, cancellationToken), options.Resume, observer.Message);
        return BenchmarkUnit.All(options.Models, options.Folds).Where(u => !checkpoint.Has(u)).ToList();
    }

    /// <summary>Runs with trainers made by <paramref name="createTrainer"/>; tests wrap real trainers to see what they are given.</summary>
    internal static BenchmarkResult Run(BenchmarkOptions options, IBenchmarkObserver? observer, Func<string, ModelSettings, IModelTrainer> createTrainer,
        CancellationToken cancellationToken) => Run(options, observer, createTrainer, trainedUnits: null, cancellationToken)!;

    // With Scope = Units the trained units go into trainedUnits and the result is null.
    static BenchmarkResult? Run(BenchmarkOptions options, IBenchmarkObserver? observer, Func<string, ModelSettings, IModelTrainer> createTrainer,
        List<BenchmarkUnit>? trainedUnits, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        observer ??= NullObserver.Instance;
        var started = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        var threads = options.Threads > 0 ? options.Threads : Environment.ProcessorCount;

        // The trainers are built before the data are read, so a bad model setting stops the run at once; the networks'
        // are built again once the image count has decided their thread count.
        var trainers = options.Models.Select(m => createTrainer(m, options.ModelSettings)).ToList();
        var (dataset, copies, copiesSummary) = LoadChecked(options, threads, observer, cancellationToken);
        var overlap = ModelOverlap.Plan(options, threads, dataset.Items.Count);
        if (overlap.Enabled)
            trainers = options.Models.Select(m => createTrainer(m, ModelCatalog.IsFeatureModel(m) ? options.ModelSettings : overlap.NetworkSettings(options.ModelSettings))).ToList();
        foreach (var warning in dataset.Warnings)
            observer.Message(warning.ToString());
        if (dataset.Skipped.Count > 0)
            observer.Message($"{dataset.Skipped.Count} file(s) skipped; the report lists each with its reason.");

        var extra = ExtraFeatureStep.Load(options, dataset, observer);
        var checkpoint = options.CheckpointDirectory is not { } checkpointDir ? null
            : options.Scope == BenchmarkScope.All
                ? FoldCheckpoint.Open(checkpointDir, RunFingerprint.Compute(options, dataset, threads, cancellationToken), options.Resume, observer.Message)
                : FoldCheckpoint.OpenExisting(checkpointDir, RunFingerprint.Compute(options, dataset, threads, cancellationToken), observer.Message);
        var labels = dataset.Labels;
        // Sections of one stack file, and copies of one picture, share a fold; without either this is the plain stratified assignment.
        var imageGroups = MergeGroups(StackGroups.Of(dataset.Items), copies);
        if (imageGroups is not null)
            CheckGroupsPerClass(dataset, imageGroups, options.Folds);
        var assignment = imageGroups is not null
            ? GroupedFolds.Assign(labels, imageGroups, options.Folds, options.Seed)
            : StratifiedKFold.Assign(labels, options.Folds, options.Seed);
        if (options.Scope == BenchmarkScope.CheckpointOnly)
        {
            // Refuse before any image is prepared: an aggregation job must never fall back to training.
            var missing = BenchmarkUnit.All(options.Models, options.Folds).Where(u => !checkpoint!.Has(u)).ToList();
            if (missing.Count > 0)
                throw new MissingUnitsException(checkpoint!.Directory, missing);
        }
        HashSet<BenchmarkUnit>? pending = null;
        if (options.Scope == BenchmarkScope.Units)
        {
            pending = options.Units.Where(u => !checkpoint!.Has(u)).ToHashSet();
            foreach (var done in options.Units.Where(u => !pending.Contains(u)))
                observer.Message($"{done} is already saved in the checkpoint; not trained again.");
            if (pending.Count == 0)
                return null;
        }

        // A cluster task prepares only its own models' inputs; the aggregation job needs none, as it trains nothing.
        var inputs = (options.Scope switch
        {
            BenchmarkScope.Units => pending!.Select(u => u.Model).Distinct(),
            BenchmarkScope.CheckpointOnly => [],
            _ => options.Models,
        }).SelectMany(ModelCatalog.InputsOf).ToHashSet();
        var timer = new StageTimer();
        var data = Prepare(dataset, options, inputs, imageGroups, threads, observer, timer, out var banners, out var scales, out var tiled, out var reduced, cancellationToken);
        // Every tile inherits its source image's row; the training fold's means (MeanImputingTrainer) then come from its training tiles.
        data = extra?.AppendTo(data, tiled) ?? data;

        // Tiles take their image's fold, so tiling never splits an image across training and test.
        var fitAssignment = tiled?.TileFolds(assignment) ?? assignment;

        // Each model books its stages on its own timer, merged in the order asked, so the table does not depend on which arm finished first.
        var results = new ModelResult?[trainers.Count];
        var modelTimers = trainers.Select(_ => new StageTimer()).ToArray();
        var second = SecondProcess(options, overlap, checkpoint);
        void CrossValidateModel(int i, Func<int> threadsNow, CancellationToken token)
        {
            var claims = second is not null && overlap.NetworkModels.Contains(options.Models[i]) ? second.Claims : null;
            var result = CrossValidate(extra?.Wrap(trainers[i]) ?? trainers[i], data, fitAssignment, options, threadsNow, observer, modelTimers[i], checkpoint, pending,
                trainedUnits, claims, token);
            results[i] = result is null || tiled is null ? result : TiledEvaluation.ToImageLevel(result, tiled, options.TileAggregation);
        }
        var sideBySide = overlap.Enabled ? ModelArms.Run(overlap, options.Models, CrossValidateModel, observer, cancellationToken, second) : (TimeSpan?)null;
        if (sideBySide is null)
        {
            for (var i = 0; i < trainers.Count; i++)
                CrossValidateModel(i, () => options.Threads, cancellationToken);
        }
        foreach (var modelTimer in modelTimers)
            timer.Add(modelTimer);
        if (sideBySide is { } overlapWall)
            timer.Add(null, ModelArms.WallStage, overlapWall.TotalSeconds, folds: 0);
        var modelResults = results.OfType<ModelResult>().ToList();
        if (options.Scope == BenchmarkScope.Units)
            return null;

        var run = new BenchmarkResult
        {
            Dataset = Summarise(dataset, banners, scales),
            Settings = new RunSettings
            {
                Folds = options.Folds,
                Seed = options.Seed,
                Crop = options.Crop,
                Models = [.. options.Models],
                Threads = threads,
                ToolVersion = ToolVersion,
                NativeVersions = NativeVersions(),
                Environment = RunEnvironment.Capture(),
                CommandLine = options.CommandLine,
                StartedUtc = started,
                WallTime = clock.Elapsed,
                Extra =
                {
                    ["inner_folds"] = options.ModelSettings.InnerFolds.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    ["svm_grid"] = options.ModelSettings.Grid,
                    ["banner"] = BannerDetector.ModeName(options.Banner),
                    ["nm_per_pixel"] = options.NmPerPixel?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "not given",
                    ["resample_nm"] = options.ResampleNm?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "off",
                    ["intensity_mapping"] = Imaging.Formats.IntensityMapping.Name,
                    ["near_duplicates"] = copiesSummary,
                    ["reduce_images"] = reduced,
                    ["overlap"] = overlap.Describe(options.Overlap),
                },
            },
            Items = dataset.Items.Select((item, i) => new ItemAssignment
            {
                Path = item.RelativePath,
                Label = item.Label,
                ClassName = dataset.ClassNames[item.Label],
                Fold = assignment[i],
            }).ToList(),
            Models = modelResults,
            Timing = timer.Rows(),
            Tiling = tiled is null ? null : TiledEvaluation.Summarise(tiled, options.TileAggregation, options.MapThreshold, options.Folds, options.Seed, modelResults),
        };
        if (second is not null)
        {
            run.Settings.Extra["second_process"] = second.Claims.TrainedElsewhere.Count == 0 ? "asked, but no network unit was left once the feature models were done"
                : $"{string.Join(", ", second.Claims.TrainedElsewhere)} trained in a second process once the feature models were done (the same seed and thread count as here, so the same numbers)";
        }
        if (options.Models.Any(m => ModelCatalog.InputsOf(m).Contains(ModelInput.FieldFeatures)))
            run.Settings.Extra["field_features"] = FeatureSet.Field(banners.NmPerPixel).Describe();
        run.Dataset.ContentSha256 = RunEnvironment.DatasetHash(dataset, threads, cancellationToken);
        extra?.Record(run);
        checkpoint?.Record(run);
        EvidenceBuilder.Attach(run);
        return run;
    }

    /// <summary>The tool's informational version.</summary>
    public static string ToolVersion =>
        typeof(BenchmarkRunner).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    static TrainingData Prepare(LabeledDataset dataset, BenchmarkOptions options, HashSet<ModelInput> inputs, int[]? imageGroups,
        int threads, IBenchmarkObserver observer, StageTimer timer, out BannerSummary banners, out ScaleSummary scales, out TiledData? tiled, out string reduced,
        CancellationToken cancellationToken)
    {
        const string stage = "Preparing images";
        scales = ScaleSurvey.Build(dataset, options.NmPerPixel, options.ResampleNm, threads);
        foreach (var warning in scales.Warnings)
            observer.Message("Warning: " + warning);
        var resample = options.ResampleNm is { } target ? ScaleSurvey.Resampler(scales, target) : null;
        var retention = options.Pixels ?? (inputs.Contains(ModelInput.Images) || options.Tile is not null ? PixelRetention.Compact : PixelRetention.None);
        // Whole images are measured while their pixels are at hand; tiles once they are cut, and the float path as it always was.
        var measureNow = options.Tile is null && retention != PixelRetention.Eager;
        var handcrafted = measureNow && inputs.Contains(ModelInput.Features) ? new double[dataset.Items.Count][] : null;
        var field = measureNow && inputs.Contains(ModelInput.FieldFeatures) ? new double[dataset.Items.Count][] : null;
        var fieldSet = FeatureSet.Field(scales.NmPerPixel);
        long featureTicks = 0;
        observer.StageStarted(stage, dataset.Items.Count);
        var wall = Stopwatch.StartNew();
        var bound = ImageReduction.BoundFor(options.Tile is not null, options.ResampleNm is not null);
        var prepared = PreparedImageStore.Prepare(dataset, options.Crop, options.Banner, retention, threads, resample,
            handcrafted is null && field is null ? null : (i, image) =>
            {
                var started = Stopwatch.GetTimestamp();
                if (handcrafted is not null)
                    handcrafted[i] = FeatureSet.Handcrafted.Extract(image.Image, image.Mask);
                if (field is not null)
                    field[i] = fieldSet.Extract(image);
                Interlocked.Add(ref featureTicks, Stopwatch.GetTimestamp() - started);
            },
            () => observer.StepCompleted(stage), reduceAbovePixels: bound, cancellationToken: cancellationToken,
            minimumReduction: options.ResampleNm is { } shrinkTo ? ScaleSurvey.DecodeFactors(scales, shrinkTo) : null);
        wall.Stop();
        // The rule train records in the package, so cross-validated numbers are those of the package's own inputs.
        reduced = bound is { } limit
            ? ImageReduction.Describe(dataset.Items.Select(i => i.RelativePath).ToList(), prepared.Reductions, limit) ?? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"above {limit:N0} pixels (none this large)")
            : "off (" + (options.Tile is not null ? "tiles are cut at full resolution" : "--resample-nm reads each file's pixel size") + ")";
        if (bound is not null && prepared.Reductions.Any(r => r > 1))
            observer.Message(reduced + ".");
        if (resample is not null)
            observer.Message(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"Resampled every image to {options.ResampleNm} nm per pixel (--resample-nm)."));
        banners = BannerSummaryBuilder.Build(dataset, prepared, options.Crop, options.Banner, options.NmPerPixel, scales);
        observer.Message($"Data banners: {banners.BannersFound} of {banners.ImagesChecked} images, {banners.BannersRemoved} removed (--banner {banners.Mode}).");
        if (options.Banner == BannerMode.Keep && banners.BannersFound > 0)
            observer.Message("Warning: data banners were kept; their text (dates, sample names) can leak the labels.");
        tiled = options.Tile is { } spec ? TiledData.Expand(dataset, prepared, spec, retention == PixelRetention.Eager ? PixelRetention.Eager : PixelRetention.Compact) : null;
        if (tiled is not null)
            observer.Message($"Tiling: {tiled.TileCount} tiles of {tiled.Spec.Size} px (stride {tiled.Spec.Stride}) from {tiled.ImageCount} images; models learn from tiles, folds are grouped by image.");
        const string featureStage = "Extracting features";
        var extractFeatures = inputs.Contains(ModelInput.Features) || inputs.Contains(ModelInput.FieldFeatures);
        if (extractFeatures)
            observer.StageStarted(featureStage, 1);
        if (inputs.Contains(ModelInput.FieldFeatures))
            observer.Message($"Whole-field features: {FeatureSet.Field(banners.NmPerPixel).Describe()}.");
        TrainingData data;
        if (measureNow)
        {
            // One pass did both: the features' share of its wall time is their share of the workers' busy time.
            var workers = Math.Min(threads, Math.Max(1, dataset.Items.Count));
            var featureShare = Math.Min(1, featureTicks / Math.Max(1.0, wall.Elapsed.TotalSeconds * Stopwatch.Frequency * workers));
            timer.Add(null, "prepare images", wall.Elapsed.TotalSeconds * (1 - featureShare), folds: 0);
            data = new TrainingData
            {
                ClassNames = dataset.ClassNames,
                Labels = dataset.Labels,
                Features = handcrafted is null ? null : new FeatureMatrix(FeatureSet.Handcrafted.Names, handcrafted),
                FieldFeatures = field is null ? null : new FeatureMatrix(fieldSet.Names, field),
                FieldNmPerPixel = field is null ? null : scales.NmPerPixel,
                Images = inputs.Contains(ModelInput.Images) ? prepared.Images : null,
                Masks = inputs.Contains(ModelInput.Images) ? prepared.Masks : null,
            };
            timer.Add(null, extractFeatures ? "features" : "image data", wall.Elapsed.TotalSeconds * featureShare, folds: 0);
        }
        else
        {
            timer.Add(null, "prepare images", wall.Elapsed.TotalSeconds, folds: 0);
            var (items, images, nmPerPixel) = (tiled?.Tiles ?? dataset, tiled?.Prepared ?? prepared, banners.NmPerPixel);
            data = timer.Time(extractFeatures ? "features" : "image data", () =>
                TrainingData.FromPrepared(items, images, inputs, threads, nmPerPixel, cancellationToken));
        }
        data.Groups = StackGroups.ForTiles(imageGroups, tiled?.SourceImage);
        data.ItemTile = tiled?.Spec;
        if (extractFeatures)
            observer.StepCompleted(featureStage);
        return data;
    }

    // threadsNow is read as each fit and each importance pass starts: fixed for a network, elastic for a feature model beside one.
    static ModelResult? CrossValidate(IModelTrainer trainer, TrainingData data, int[] assignment, BenchmarkOptions options, Func<int> threadsNow,
        IBenchmarkObserver observer, StageTimer timer, FoldCheckpoint? checkpoint, IReadOnlySet<BenchmarkUnit>? pending, List<BenchmarkUnit>? trainedUnits,
        UnitClaims? claims, CancellationToken cancellationToken)
    {
        // A cluster task trains its units only; a local run (pending null) every fold the checkpoint lacks.
        var units = pending?.Where(u => u.Model == trainer.Name).Select(u => u.Fold).ToHashSet();
        if (units is { Count: 0 })
            return null;
        var stage = $"{trainer.Name}: {(units is null ? $"{options.Folds}-fold cross-validation" : $"fold {string.Join(", ", units.Order().Select(f => f + 1))} of {options.Folds}")}";
        observer.StageStarted(stage, units?.Count ?? options.Folds);
        var builder = new ModelResultBuilder(trainer.Name, data.Labels, data.ClassCount);
        var restored = units is null
            ? checkpoint?.Restore(trainer.Name, assignment, options.Folds, builder, observer.Message) ?? new HashSet<int>()
            : new HashSet<int>();
        observer.StepsResumed(stage, restored.Count);
        var trainedElsewhere = new List<int>();
        for (var fold = 0; fold < options.Folds; fold++)
        {
            if (restored.Contains(fold) || (units is not null && !units.Contains(fold)))
                continue;
            if (options.Scope == BenchmarkScope.CheckpointOnly)
                throw new MissingUnitsException(checkpoint!.Directory, [new BenchmarkUnit(trainer.Name, fold)]);
            if (claims is not null && !claims.TryClaimHere(new BenchmarkUnit(trainer.Name, fold)))
                trainedElsewhere.Add(fold);
            else
                Fit(fold);
        }
        foreach (var fold in trainedElsewhere)
        {
            // The second process saved the fold in the checkpoint; a fold it did not save is trained here after all.
            if (claims!.WaitFor(new BenchmarkUnit(trainer.Name, fold), cancellationToken) &&
                checkpoint!.RestoreFold(trainer.Name, fold, assignment, builder, observer.Message) is { } training)
            {
                timer.AddTraining(trainer.Name, training, training.TrainingTime.TotalSeconds);
                observer.StepCompleted(stage);
            }
            else
            {
                Fit(fold);
            }
        }
        return units is null ? builder.Build() : null;

        void Fit(int fold)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (train, test) = StratifiedKFold.Split(assignment, fold);
            var context = new TrainingContext
            {
                Seed = Seeds.Derive(options.Seed, trainer.Name, fold),
                Threads = threadsNow(),
                Log = observer.Message,
                Progress = new StepProgressReporter(observer, stage),
                CancellationToken = cancellationToken,
            };
            var clock = Stopwatch.StartNew();
            using var model = trainer.Train(data, train, context);
            model.Summary.TrainingTime = clock.Elapsed;
            timer.AddTraining(trainer.Name, model.Summary, clock.Elapsed.TotalSeconds);
            clock.Restart();
            var probabilities = model.PredictProbabilities(data, test);
            timer.Add(trainer.Name, "prediction", clock.Elapsed.TotalSeconds);
            if (ModelCatalog.Names.Contains(trainer.Name) && ModelCatalog.IsFeatureModel(trainer.Name))
            {
                clock.Restart();
                foreach (var (feature, drop) in PermutationImportance.Compute(model, data, ModelCatalog.InputOf(trainer.Name), test,
                    Seeds.Derive(options.Seed, trainer.Name + "-importance", fold), threadsNow(), cancellationToken))
                    model.Summary.PermutationImportance[feature] = drop;
                timer.Add(trainer.Name, "permutation importance", clock.Elapsed.TotalSeconds);
            }
            if (options.Tile is null && model is Models.Cnn.IGradCamModel explained)
            {
                clock.Restart();
                model.Summary.Explanation = CnnExplanations.Compute(explained, data, test, probabilities, firstLayer: fold == 0);
                timer.Add(trainer.Name, "Grad-CAM", clock.Elapsed.TotalSeconds);
            }
            builder.AddFold(fold, test, probabilities, model.Summary);
            checkpoint?.Save(trainer.Name, fold, test, probabilities, model.Summary);
            if (trainedUnits is not null)
            {
                lock (trainedUnits)
                    trainedUnits.Add(new BenchmarkUnit(trainer.Name, fold));
            }
            observer.StepCompleted(stage);
        }
    }

    // A second process trains network units on the thread the feature arm frees, when the caller gave a worker and the
    // networks' fixed thread count fits twice; the units it takes come back through the checkpoint.
    static ModelArms.SecondProcess? SecondProcess(BenchmarkOptions options, ModelOverlap overlap, FoldCheckpoint? checkpoint)
    {
        if (options.UnitWorker is not { } worker || checkpoint is null || options.Scope != BenchmarkScope.All || !overlap.Enabled ||
            2 * overlap.NetworkThreads > overlap.Threads)
            return null;
        var units = BenchmarkUnit.All(overlap.NetworkModels, options.Folds).Where(u => !checkpoint.Has(u));
        return new ModelArms.SecondProcess(new UnitClaims(units), worker);
    }

    /// <summary>The reason a dropped copy is listed among the skipped files.</summary>
    public const string DroppedCopyReason = "copy of ";

    // The data set as the run uses it: copies checked (and with Drop, left out) before anything else sees it, so the
    // checkpoint's fingerprint, the folds and the report all describe the same images. Also the copy groups to keep whole.
    static (LabeledDataset Dataset, int[]? Copies, string Summary) LoadChecked(BenchmarkOptions options, int threads, IBenchmarkObserver observer, CancellationToken cancellationToken)
    {
        var dataset = DatasetLoader.Load(options.DatasetPath, new DatasetOptions { Folds = options.Folds, Crop = options.Crop, Threads = threads });
        if (options.NearDuplicates == NearDuplicateMode.Keep)
            return (dataset, null, "keep: not checked");
        var scan = DuplicateScan.Run(dataset, options.Crop, options.Banner, new DuplicateScanOptions(), threads, cancellationToken);
        var conflicts = scan.LabelConflicts(dataset);
        if (conflicts.Count > 0)
            throw new DatasetValidationException(dataset.Root, conflicts);
        var summary = $"{options.NearDuplicates.ToString().ToLowerInvariant()}: {scan.Describe(options.NearDuplicates)}";
        observer.Message($"Near duplicates (--near-duplicates {summary}).");
        if (scan.Groups.Count == 0)
            return (dataset, null, summary);
        if (options.NearDuplicates == NearDuplicateMode.Group)
            return (dataset, scan.GroupOf, summary);
        var keptOf = scan.Groups.SelectMany(g => g.Members.Skip(1).Select(i => (Copy: i, Kept: g.Members[0]))).ToDictionary(x => x.Copy, x => x.Kept);
        var dropped = new LabeledDataset
        {
            Root = dataset.Root,
            ClassNames = dataset.ClassNames,
            Items = [.. dataset.Items.Where((_, i) => !keptOf.ContainsKey(i))],
            Skipped = [.. dataset.Skipped, .. keptOf.OrderBy(x => x.Key).Select(x => new Dataset.SkippedFile(dataset.Items[x.Key].RelativePath,
                DroppedCopyReason + dataset.Items[x.Value].RelativePath + " (--near-duplicates drop)"))],
            Warnings = dataset.Warnings,
        };
        CheckGroupsPerClass(dropped, [.. Enumerable.Range(0, dropped.Items.Count)], options.Folds);
        return (dropped, null, summary);
    }

    // Copies and stacks shrink the units folds are dealt from; a class with fewer units than folds is named here.
    static void CheckGroupsPerClass(LabeledDataset dataset, int[] groups, int folds)
    {
        var units = GroupedFolds.GroupLabels(dataset.Labels, groups);
        var tooFew = dataset.ClassNames.Select((c, k) => (Class: c, Units: units.Count(l => l == k))).Where(x => x.Units < folds).ToList();
        if (tooFew.Count == 0)
            return;
        throw new DatasetValidationException(dataset.Root, [.. tooFew.Select(x => new DatasetProblem(ProblemSeverity.Error, x.Class + "/",
            string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"only {x.Units} distinct image(s) once copies and stack sections are counted as one, fewer than the {folds} folds; use fewer --folds, or --near-duplicates keep to ignore copies")))]);
    }

    // Items in one group when they share a stack file or are copies of one picture.
    static int[]? MergeGroups(int[]? stacks, int[]? copies)
    {
        if (stacks is null || copies is null)
            return stacks ?? copies;
        var parent = Enumerable.Range(0, stacks.Length).ToArray();
        int Root(int i)
        {
            while (parent[i] != i)
                i = parent[i] = parent[parent[i]];
            return i;
        }
        foreach (var key in new[] { stacks, copies })
        {
            var first = new Dictionary<int, int>();
            for (var i = 0; i < key.Length; i++)
            {
                if (first.TryGetValue(key[i], out var f))
                    parent[Math.Max(Root(f), Root(i))] = Math.Min(Root(f), Root(i));
                else
                    first[key[i]] = i;
            }
        }
        return [.. Enumerable.Range(0, stacks.Length).Select(Root)];
    }

    static DatasetSummary Summarise(LabeledDataset dataset, BannerSummary banners, ScaleSummary scales) => new()
    {
        Root = dataset.Root,
        ClassNames = [.. dataset.ClassNames],
        ClassCounts = [.. dataset.ClassCounts()],
        ImageSizes = ImageSizeStats.From(dataset.Items.Select(i => (i.Width, i.Height))),
        Skipped = dataset.Skipped.Select(s => new SkippedFile { Path = s.RelativePath, Reason = s.Reason }).ToList(),
        Warnings = dataset.Warnings.Select(w => w.ToString()).ToList(),
        Banners = banners,
        Scales = scales,
    };

    internal static Dictionary<string, string> NativeVersions()
    {
        var versions = new Dictionary<string, string>
        {
            ["AutoClassifyNative"] = NativeShim.Version,
            ["OpenCV"] = NativeShim.OpenCvVersion,
            ["LIBSVM"] = RunEnvironment.LibSvmVersionText(Native.LibSvm.Version),
        };
        if (NativeShim.TorchVersion is { } torch)
            versions["libtorch"] = torch;
        return versions;
    }

    sealed class NullObserver : IBenchmarkObserver
    {
        public static readonly NullObserver Instance = new();

        public void StageStarted(string stage, int totalSteps) { }

        public void StepCompleted(string stage) { }

        public void Message(string text) { }
    }
}
