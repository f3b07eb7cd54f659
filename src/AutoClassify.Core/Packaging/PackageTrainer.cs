using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using AutoClassify.Dataset;
using AutoClassify.Evaluation;
using AutoClassify.Features;
using AutoClassify.Imaging;
using AutoClassify.Imaging.Formats;
using AutoClassify.Models;
using AutoClassify.Preprocessing;
using AutoClassify.Tiling;

namespace AutoClassify.Packaging;

/// <summary>What <see cref="PackageTrainer.Train"/> fits and records.</summary>
public sealed class PackageTrainingOptions
{
    public required string DatasetPath { get; init; }

    /// <summary>A <see cref="ModelCatalog"/> name that is also a <see cref="PackagedModelKinds"/> kind.</summary>
    public string Model { get; init; } = "svm";

    public int Seed { get; init; } = 42;

    /// <summary>Worker threads; 0 means all cores.</summary>
    public int Threads { get; init; }

    public CropMargins Crop { get; init; }

    /// <summary>
    /// Share of each class held out for the validation report before the final fit on all data (0.2 = a
    /// stratified fifth: fold 0 of round(1 / share) folds); 0 skips validation and records no metrics.
    /// </summary>
    public double ValidationShare { get; init; } = 0.2;

    public ModelSettings ModelSettings { get; init; } = new();

    /// <summary>Abstention thresholds by class name; classes not listed get <see cref="DefaultThreshold"/>.</summary>
    public IReadOnlyDictionary<string, double> Thresholds { get; init; } = new Dictionary<string, double>();

    /// <summary>Threshold of every class not in <see cref="Thresholds"/> (0 = never abstain).</summary>
    public double DefaultThreshold { get; init; }

    /// <summary>
    /// Derive every class's threshold from the validation fit for this precision (<c>--threshold auto:P</c>), instead of
    /// <see cref="Thresholds"/>; null for none. Needs a validation share.
    /// </summary>
    public double? AutoThresholdPrecision { get; init; }

    /// <summary>
    /// Pixel size for whole-field features (<c>svm-field</c>); null reads the TIFF resolution tags, else the features
    /// stay in pixels. Recorded in the manifest; prediction measures new images at the same scale.
    /// </summary>
    public double? NmPerPixel { get; init; }

    /// <summary>
    /// Rescale every image to this many nm per pixel (<c>--resample-nm</c>) from its own pixel size before the model
    /// sees it; recorded in the manifest so prediction rescales new images the same way. Null keeps the pixels.
    /// </summary>
    public double? ResampleNm { get; init; }

    /// <summary>
    /// What to do with a burned-in data banner found after the crop: crop it (default), reflect the rows beside it, or
    /// keep it. Recorded in the manifest; prediction and retraining treat new images the same way.
    /// </summary>
    public BannerMode Banner { get; init; } = BannerMode.Crop;

    /// <summary>Train on tiles of this layout (tiles inherit their image's label), or null to use images whole.</summary>
    public TileSpec? Tile { get; init; }

    /// <summary>How a tiled model's tile probabilities become an image's, at validation and at prediction time.</summary>
    public TileAggregation TileAggregation { get; init; } = TileAggregation.Mean;

    /// <summary>The default map threshold recorded for a tiled package (prediction may set another).</summary>
    public double MapThreshold { get; init; } = PackageTiling.DefaultMapThreshold;

    /// <summary>The command line as typed, recorded in the manifest.</summary>
    public string CommandLine { get; init; } = "";

    /// <summary>
    /// Share of each class to hold out as the registry's reference set (<see cref="ReferenceSet"/>) when
    /// <see cref="Reference"/> is null; 0 holds out nothing. <c>train</c> sets it when it creates a new name.
    /// </summary>
    public double ReferenceShare { get; init; }

    /// <summary>An existing reference set: every image whose content it holds is left out of training.</summary>
    public ReferenceSet? Reference { get; init; }

    /// <summary>Validation folds implied by <see cref="ValidationShare"/> (0 when validation is off).</summary>
    public int ValidationFolds => ValidationShare == 0 ? 0 : Math.Max(2, (int)Math.Round(1 / ValidationShare));

    /// <summary>Throws naming the first bad setting.</summary>
    public void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(DatasetPath);
        ModelCatalog.InputOf(Model);
        if (PackagedModelKinds.Find(Model) is null)
            throw new ArgumentException($"Model '{Model}' cannot be packaged yet; packageable: {string.Join(", ", PackagedModelKinds.Names)}.");
        if (Threads < 0)
            throw new ArgumentException($"--threads must be zero or more, not {Threads}.");
        if (!double.IsFinite(ValidationShare) || ValidationShare < 0 || ValidationShare > 0.5)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"--validation must be in [0, 0.5], not {ValidationShare}."));
        if (NmPerPixel is { } nm && !(nm > 0 && double.IsFinite(nm)))
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"--nm-per-pixel must be a positive number, not {nm}."));
        if (ResampleNm is { } target && !(target > 0 && double.IsFinite(target)))
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"--resample-nm must be a positive number, not {target}."));
        if (!Enum.IsDefined(Banner))
            throw new ArgumentException($"--banner value {Banner} is unknown.");
        if (Tile is { Size: 0 })
            throw new ArgumentException("--tile is empty; build it with new TileSpec(size, stride) or TileSpec.Parse.");
        if (!Enum.IsDefined(TileAggregation))
            throw new ArgumentException($"--tile-aggregate value {TileAggregation} is unknown.");
        if (!(MapThreshold > 0 && MapThreshold < 1))
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"--map-threshold must lie strictly between 0 and 1, not {MapThreshold}."));
        if (!double.IsFinite(ReferenceShare) || ReferenceShare < 0 || ReferenceShare > 0.5)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"--reference must be in [0, 0.5], not {ReferenceShare}."));
        CheckThreshold(DefaultThreshold, "the default threshold");
        foreach (var (name, value) in Thresholds)
            CheckThreshold(value, $"the threshold of '{name}'");
        if (AutoThresholdPrecision is { } precision)
        {
            if (!(precision > 0 && precision <= 1))
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"--threshold auto:{precision} needs a target precision in (0, 1]."));
            if (ValidationShare <= 0)
                throw new ArgumentException("--threshold auto needs held-out images to choose thresholds on: give --validation above 0.");
            if (Thresholds.Count > 0 || DefaultThreshold > 0)
                throw new ArgumentException("--threshold auto derives every class's threshold; it cannot be combined with given thresholds.");
        }
    }

    static void CheckThreshold(double value, string what)
    {
        if (!double.IsFinite(value) || value < 0 || value > 1)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{what} is {value}; thresholds are probabilities in [0, 1]."));
    }
}

/// <summary>A model fitted on all the data, with the manifest to package it under. Dispose it to free the model.</summary>
public sealed class TrainedPackage : IDisposable
{
    internal TrainedPackage(ModelPackageManifest manifest, IPackagedModel model, ReferenceSet? carvedReference = null)
    {
        Manifest = manifest;
        Model = model;
        CarvedReference = carvedReference;
    }

    /// <summary>The manifest without its payload list (filled in when written).</summary>
    public ModelPackageManifest Manifest { get; }

    public IPackagedModel Model { get; }

    /// <summary>The reference set this training drew (<see cref="PackageTrainingOptions.ReferenceShare"/>), to be stored with the registry; null when none was drawn.</summary>
    public ReferenceSet? CarvedReference { get; }

    /// <summary>Writes the package to a stream (e.g. <see cref="ModelRegistry.Add(string, Action{Stream})"/>).</summary>
    public ModelPackageManifest WriteTo(Stream stream) => ModelPackage.Write(stream, Manifest, Model);

    /// <summary>Writes the package to a file, atomically.</summary>
    public ModelPackageManifest WriteTo(string path) => ModelPackage.Write(path, Manifest, Model);

    public void Dispose() => Model.Dispose();
}

/// <summary>
/// Trains a production model: validates the data set, leaves out the registry's reference images, optionally
/// scores a stratified hold-out for the manifest's metrics, refits on the rest, and records provenance
/// (training file hashes, data folder, seed, versions, command line).
/// </summary>
public static class PackageTrainer
{
    public static TrainedPackage Train(PackageTrainingOptions options, IBenchmarkObserver? observer = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var log = observer ?? SilentObserver.Instance;
        var started = DateTimeOffset.UtcNow;
        var threads = options.Threads > 0 ? options.Threads : Environment.ProcessorCount;
        var trainer = ModelCatalog.Create(options.Model, options.ModelSettings);
        var kind = PackagedModelKinds.Find(options.Model)!;

        var validationFolds = options.ValidationFolds;
        var dataset = DatasetLoader.Load(options.DatasetPath, new DatasetOptions { Folds = Math.Max(2, validationFolds), Crop = options.Crop, Threads = threads });
        foreach (var warning in dataset.Warnings)
            log.Message(warning.ToString());
        foreach (var skipped in dataset.Skipped)
            log.Message($"skipped {skipped.RelativePath}: {skipped.Reason}");
        foreach (var name in options.Thresholds.Keys)
        {
            if (!dataset.ClassNames.Contains(name, StringComparer.Ordinal))
                throw new ArgumentException($"A threshold is given for class '{name}', but the data set's classes are {string.Join(", ", dataset.ClassNames)}.");
        }

        var files = HashTrainingFiles(dataset, threads, log, cancellationToken);
        var (kept, reference, carved) = HoldOutReference(dataset, files, options, log);
        if (kept.Items.Count != dataset.Items.Count)
        {
            var used = kept.Items.SelectMany(i => i.MaskPath is null ? [i.RelativePath] : new[] { i.RelativePath, Relative(dataset.Root, i.MaskPath) })
                .ToHashSet(StringComparer.Ordinal);
            files = files.Where(f => used.Contains(f.Path)).ToList();
            dataset = kept;
        }
        var input = ModelCatalog.InputOf(options.Model);
        var scales = ScaleSurvey.Build(dataset, options.NmPerPixel, options.ResampleNm, threads);
        foreach (var warning in scales.Warnings)
            log.Message("Warning: " + warning);
        var (nmPerPixel, scaleSource) = (scales.NmPerPixel, scales.Source);
        if (input == ModelInput.FieldFeatures)
            log.Message($"Whole-field features: {FeatureSet.Field(nmPerPixel).Describe()}{(scaleSource is null ? "" : $", pixel size from {scaleSource}")}.");
        var (data, tiled, reduced) = Prepare(dataset, options, ModelCatalog.InputsOf(options.Model), scales, threads, log, cancellationToken);
        var all = Enumerable.Range(0, data.Labels.Length).ToArray();
        var unit = tiled is null ? "images" : "tiles";

        var metrics = new Dictionary<string, MetricSummary>(StringComparer.Ordinal);
        var facts = new Dictionary<string, string>(StringComparer.Ordinal);
        if (reduced is not null)
            facts["reduced_images"] = reduced;
        Dictionary<string, ThresholdEstimate>? autoThresholds = null;
        if (validationFolds > 0)
        {
            // Split images, not tiles: no image lends tiles to both sides.
            var assignment = StackGroups.Of(dataset.Items) is { } stacks
                ? GroupedFolds.Assign(dataset.Labels, stacks, validationFolds, Seeds.Derive(options.Seed, "validation-split"))
                : StratifiedKFold.Assign(dataset.Labels, validationFolds, Seeds.Derive(options.Seed, "validation-split"));
            var (trainImages, testImages) = StratifiedKFold.Split(assignment, 0);
            var train = tiled is null ? trainImages : TilesOf(tiled, trainImages);
            log.StageStarted($"{trainer.Name}: validation fit", 1);
            using (var model = trainer.Train(data, train, Context(options, Seeds.Derive(options.Seed, trainer.Name, 1), log, cancellationToken)))
            {
                var test = testImages;
                var probabilities = tiled is null
                    ? model.PredictProbabilities(data, test)
                    : Aggregate(tiled, testImages, model.PredictProbabilities(data, TilesOf(tiled, testImages)), options.TileAggregation);
                var truth = test.Select(i => dataset.Labels[i]).ToArray();
                var predicted = probabilities.Select(p => ModelResultBuilder.Decide(p)).ToArray();
                var m = ClassificationMetrics.Compute(truth, predicted, probabilities, data.ClassCount);
                metrics["accuracy"] = new MetricSummary(m.Accuracy, null, 1);
                metrics["macro_f1"] = new MetricSummary(m.MacroF1, null, 1);
                metrics["balanced_accuracy"] = new MetricSummary(m.BalancedAccuracy, null, 1);
                if (double.IsFinite(m.LogLoss))
                    metrics["log_loss"] = new MetricSummary(m.LogLoss, null, 1);
                facts["validation_items"] = test.Length.ToString(CultureInfo.InvariantCulture);
                facts["validation_split"] = string.Create(CultureInfo.InvariantCulture, $"stratified, fold 1 of {validationFolds}")
                    + (tiled is null ? "" : $", by image; tiles aggregated by {options.TileAggregation.ToName()}");
                log.Message(string.Create(CultureInfo.InvariantCulture,
                    $"validation on {test.Length} held-out images: accuracy {m.Accuracy:F3}, macro-F1 {m.MacroF1:F3}, balanced accuracy {m.BalancedAccuracy:F3}"));
                if (options.AutoThresholdPrecision is { } target)
                    autoThresholds = AutoThresholds.Choose(truth, predicted, probabilities, dataset.ClassNames, target, log.Message);
            }
            log.StepCompleted($"{trainer.Name}: validation fit");
        }

        log.StageStarted($"{trainer.Name}: final fit on all {all.Length} {unit}", 1);
        var final = trainer.Train(data, all, Context(options, Seeds.Derive(options.Seed, trainer.Name, 0), log, cancellationToken));
        IPackagedModel packaged;
        var search = PackageSearchSummary.From(final.Summary);
        // A tiled AutoML winner is packaged as its tile learner with the tiling, as train --tile packages one.
        var searchTiling = AutoMlPackaging.TilingOf(final);
        try
        {
            foreach (var (key, value) in final.Summary.Facts)
                facts[key] = value;
            packaged = kind.Wrap(final);
        }
        catch
        {
            final.Dispose();
            throw;
        }
        log.StepCompleted($"{trainer.Name}: final fit on all {all.Length} {unit}");
        var tiling = options.Tile is { } tile ? PackageTiling.From(tile, options.TileAggregation, options.MapThreshold) : null;
        AddTrainingFacts(facts, options.Model, options.ModelSettings, final.Summary, tiling, all.Length);
        tiling ??= searchTiling;

        var thresholds = autoThresholds?.Where(t => t.Value.Threshold > 0).ToDictionary(t => t.Key, t => t.Value.Threshold, StringComparer.Ordinal)
            ?? dataset.ClassNames
            .Select(c => (c, options.Thresholds.TryGetValue(c, out var t) ? t : options.DefaultThreshold))
            .Where(x => x.Item2 > 0)
            .ToDictionary(x => x.c, x => x.Item2, StringComparer.Ordinal);
        var manifest = new ModelPackageManifest
        {
            ModelKind = packaged.Kind,
            ClassNames = [.. dataset.ClassNames],
            Preprocessing = packaged.Preprocessing with
            {
                Crop = PackageCrop.From(options.Crop),
                BannerMode = BannerDetector.ModeName(options.Banner),
                Tiling = tiling,
                ResampleNm = options.ResampleNm,
                ReduceAbovePixels = ReduceAbove(options),
                IntensityMapping = IntensityMapping.Name,
            },
            Metrics = metrics,
            Thresholds = thresholds,
            ThresholdEstimates = autoThresholds,
            TrainingCounts = TrainingCounts(dataset.ClassNames, dataset.Labels),
            Provenance = Provenance(files, [dataset.Root], reference, options.Seed, options.CommandLine, started, facts)
                with
            { DatasetContentSha256 = ContentHash(dataset, files) },
            AutoMl = search,
        };
        return new TrainedPackage(manifest, packaged, carved);
    }

    /// <summary>
    /// The facts every package records about its final fit, beside the trainer's own: the grid settings of a
    /// feature model, the training time and, for a tiled model, the tiles it learned from and their layout.
    /// </summary>
    internal static void AddTrainingFacts(IDictionary<string, string> facts, string model, ModelSettings settings, TrainingSummary summary,
        PackageTiling? tiling, int trainingItems)
    {
        var inv = CultureInfo.InvariantCulture;
        if (ModelCatalog.IsFeatureModel(model))
            facts["grid"] = settings.Grid;
        if (ModelCatalog.IsFeatureSvm(model))
            facts["svm_tune_max"] = settings.SvmTuneMax.ToString(inv);
        facts["training_seconds"] = summary.TrainingTime.TotalSeconds.ToString("F1", inv);
        if (tiling is not null)
        {
            facts["training_tiles"] = trainingItems.ToString(inv);
            facts["tile_layout"] = $"{tiling.ToSpec()} px ({tiling.ToAggregation().ToName()} aggregation)";
        }
    }

    /// <summary>The provenance of a package trained now on <paramref name="files"/>: their hash, this build's versions, the seed and command line.</summary>
    internal static PackageProvenance Provenance(IReadOnlyList<TrainingFile> files, IReadOnlyList<string> roots, ReferenceSet? reference, int seed,
        string commandLine, DateTimeOffset started, IReadOnlyDictionary<string, string> facts) => new()
        {
            TrainingSetSha256 = TrainingSetHash(files),
            TrainingFiles = files,
            DataRoots = roots,
            Reference = reference?.ToPackageReference(),
            Seed = seed,
            AutoClassifyVersion = BenchmarkRunner.ToolVersion,
            NativeVersions = BenchmarkRunner.NativeVersions(),
            CommandLine = commandLine,
            CreatedUtc = started,
            Facts = facts,
        };

    /// <summary>How many of <paramref name="labels"/> fall in each class, by class name.</summary>
    internal static Dictionary<string, int> TrainingCounts(IReadOnlyList<string> classNames, IEnumerable<int> labels)
    {
        var counts = classNames.ToDictionary(c => c, _ => 0, StringComparer.Ordinal);
        foreach (var label in labels)
            counts[classNames[label]]++;
        return counts;
    }

    // The report appendix's data set hash, from the file hashes already taken rather than reading every image again.
    static string ContentHash(LabeledDataset dataset, List<TrainingFile> files)
    {
        var sha = files.ToDictionary(f => f.Path, f => f.Sha256, StringComparer.Ordinal);
        return RunEnvironment.DatasetHashOf(dataset.Items.Select(i => (i.RelativePath, dataset.ClassNames[i.Label], sha[i.RelativePath],
            i.MaskPath is null ? null : sha[Relative(dataset.Root, i.MaskPath)])));
    }

    /// <summary>SHA-256 (hex) over <c>sha256  path\n</c> lines of the files sorted ordinally by path.</summary>
    public static string TrainingSetHash(IEnumerable<TrainingFile> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        var text = new StringBuilder();
        foreach (var file in files.OrderBy(f => f.Path, StringComparer.Ordinal))
            text.Append(file.Sha256).Append("  ").Append(file.Path).Append('\n');
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    // The data set without the reference images, the reference set in effect, and the one drawn here (if any).
    static (LabeledDataset Kept, ReferenceSet? Reference, ReferenceSet? Carved) HoldOutReference(LabeledDataset dataset, List<TrainingFile> files,
        PackageTrainingOptions options, IBenchmarkObserver log)
    {
        var sha = files.ToDictionary(f => f.Path, f => f.Sha256, StringComparer.Ordinal);
        bool[] held;
        ReferenceSet? carved = null;
        var reference = options.Reference;
        if (reference is not null)
        {
            var referenceShas = reference.Items.Select(i => i.Sha256).ToHashSet(StringComparer.OrdinalIgnoreCase);
            held = dataset.Items.Select(i => referenceShas.Contains(sha[i.RelativePath])).ToArray();
            if (held.Any(h => h))
                log.Message($"reference set: {held.Count(h => h)} image(s) of this data set belong to the registry's reference set and are left out of training");
        }
        else if (options.ReferenceShare > 0)
        {
            held = ReferenceSplit.Carve(dataset.Labels, options.ReferenceShare, Seeds.Derive(options.Seed, "reference-split"), Math.Max(2, options.ValidationFolds));
            reference = carved = new ReferenceSet
            {
                Seed = options.Seed,
                Share = options.ReferenceShare,
                CreatedUtc = DateTimeOffset.UtcNow,
                Items = [.. dataset.Items.Where((_, i) => held[i]).Select(i => new ReferenceItem(dataset.Root, i.RelativePath, sha[i.RelativePath], dataset.ClassNames[i.Label]))],
            };
            var perClass = dataset.ClassNames.Select((c, k) => $"{c} {dataset.Items.Where((item, i) => held[i] && item.Label == k).Count()}");
            log.Message($"reference set: {carved.Items.Count} image(s) held out of training for later comparisons ({string.Join(", ", perClass)})");
        }
        else
        {
            return (dataset, null, null);
        }
        WarnSmallReferenceClasses(reference, dataset.ClassNames, log);
        var kept = new LabeledDataset
        {
            Root = dataset.Root,
            ClassNames = dataset.ClassNames,
            Items = [.. dataset.Items.Where((_, i) => !held[i])],
            Skipped = dataset.Skipped,
            Warnings = dataset.Warnings,
        };
        var empty = dataset.ClassNames.Where((_, k) => !kept.Items.Any(i => i.Label == k)).ToList();
        if (empty.Count > 0)
            throw new ArgumentException($"Every image of class(es) {string.Join(", ", empty)} belongs to the reference set; add new images to train on.");
        return (kept, reference, carved);
    }

    /// <summary>Reference images per class below which one changed prediction swings the retrain comparison.</summary>
    public const int MinimumReferencePerClass = 5;

    // A class with a handful of reference images lets one image decide a later retrain; say so while it can still be fixed.
    static void WarnSmallReferenceClasses(ReferenceSet reference, IReadOnlyList<string> classes, IBenchmarkObserver log)
    {
        var small = classes.Select(c => (Class: c, Count: reference.Items.Count(i => i.ClassName == c)))
            .Where(x => x.Count < MinimumReferencePerClass).ToList();
        if (small.Count == 0)
            return;
        log.Message(string.Create(CultureInfo.InvariantCulture,
            $"Warning: the reference set holds fewer than {MinimumReferencePerClass} images of {string.Join(", ", small.Select(x => $"{x.Class} ({x.Count})"))}: one changed prediction of such a class moves a retrain's macro-F1 by a tenth or more. Grow it with new labelled images no version trained on: 'autoclassify models grow-reference NAME --add FOLDER', or train a new name with a larger --reference share."));
    }

    static string Relative(string root, string path) => Path.GetRelativePath(root, path).Replace(Path.DirectorySeparatorChar, '/');

    static List<TrainingFile> HashTrainingFiles(LabeledDataset dataset, int threads, IBenchmarkObserver log, CancellationToken cancellationToken)
    {
        var paths = dataset.Items
            .SelectMany(i => i.MaskPath is null ? [i.FullPath] : new[] { i.FullPath, i.MaskPath })
            .ToArray();
        const string stage = "Hashing training files";
        log.StageStarted(stage, paths.Length);
        var files = new TrainingFile[paths.Length];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = threads, CancellationToken = cancellationToken };
        Parallel.For(0, paths.Length, parallel, i =>
        {
            var relative = Relative(dataset.Root, paths[i]);
            files[i] = new TrainingFile(relative, ModelPackage.Sha256Hex(paths[i]));
            log.StepCompleted(stage);
        });
        return files.OrderBy(f => f.Path, StringComparer.Ordinal).ToList();
    }

    static (TrainingData Data, TiledData? Tiled, string? Reduced) Prepare(LabeledDataset dataset, PackageTrainingOptions options, IReadOnlySet<ModelInput> inputs,
        ScaleSummary scales, int threads, IBenchmarkObserver log, CancellationToken cancellationToken)
    {
        var nmPerPixel = scales.NmPerPixel;
        const string stage = "Preparing images";
        log.StageStarted(stage, dataset.Items.Count);
        if (options.Banner == BannerMode.Keep)
            log.Message("Warning: data banners were kept; their text (dates, sample names) can leak the labels, and the model will expect them in new images.");
        // Packed without loss (a byte per 8-bit pixel) rather than held as float: the same pixels at a quarter of the memory.
        var prepared = PreparedImageStore.Prepare(dataset, options.Crop, options.Banner, PixelRetention.Compact, threads,
            options.ResampleNm is { } target ? ScaleSurvey.Resampler(scales, target) : null, onPrepared: () => log.StepCompleted(stage),
            cancellationToken: cancellationToken, reduceAbovePixels: ReduceAbove(options),
            minimumReduction: options.ResampleNm is { } shrinkTo ? ScaleSurvey.DecodeFactors(scales, shrinkTo) : null);
        var reduced = ReduceAbove(options) is { } bound ? ImageReduction.Describe(dataset.Items.Select(i => i.RelativePath).ToList(), prepared.Reductions, bound) : null;
        if (reduced is not null)
            log.Message(reduced + "; the package reduces new images above the same size in the same way.");
        if (options.Tile is not { } spec)
        {
            var whole = TrainingData.FromPrepared(dataset, prepared, inputs, threads, nmPerPixel, cancellationToken);
            whole.Groups = StackGroups.Of(dataset.Items);
            return (whole, null, reduced);
        }

        var tiled = TiledData.Expand(dataset, prepared, spec, PixelRetention.Compact);
        log.Message(string.Create(CultureInfo.InvariantCulture, $"Tiling: {tiled.TileCount} tiles of {spec} px from {tiled.ImageCount} images."));
        var data = TrainingData.FromPrepared(tiled.Tiles, tiled.Prepared, inputs, threads, nmPerPixel, cancellationToken);
        data.Groups = StackGroups.ForTraining(dataset.Items, tiled.SourceImage);
        data.ItemTile = spec;
        return (data, tiled, reduced);
    }

    static long? ReduceAbove(PackageTrainingOptions options) => ImageReduction.BoundFor(options.Tile is not null, options.ResampleNm is not null);

    static int[] TilesOf(TiledData tiled, IEnumerable<int> images) =>
        [.. images.SelectMany(i => Enumerable.Range(tiled.TilesOf(i).First, tiled.TilesOf(i).Count))];

    /// <summary>Each image's probabilities from its tiles' (given in <see cref="TilesOf"/> order).</summary>
    static double[][] Aggregate(TiledData tiled, int[] images, double[][] tileProbabilities, TileAggregation mode)
    {
        var result = new double[images.Length][];
        var next = 0;
        for (var n = 0; n < images.Length; n++)
        {
            var (first, count) = tiled.TilesOf(images[n]);
            var (width, height) = tiled.ImageSizes[images[n]];
            var rects = tiled.Rects.Skip(first).Take(count).ToList();
            result[n] = new PredictionMap(width, height, rects, tileProbabilities[next..(next + count)]).Aggregate(mode);
            next += count;
        }
        return result;
    }

    static TrainingContext Context(PackageTrainingOptions options, int seed, IBenchmarkObserver log, CancellationToken cancellationToken) => new()
    {
        Seed = seed,
        Threads = options.Threads,
        Log = log.Message,
        CancellationToken = cancellationToken,
    };

    internal sealed class SilentObserver : IBenchmarkObserver
    {
        public static readonly SilentObserver Instance = new();

        public void StageStarted(string stage, int totalSteps) { }

        public void StepCompleted(string stage) { }

        public void Message(string text) { }
    }
}
