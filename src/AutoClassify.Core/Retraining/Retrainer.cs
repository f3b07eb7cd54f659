using System.Globalization;
using AutoClassify.Dataset;
using AutoClassify.Evaluation;
using AutoClassify.Imaging;
using AutoClassify.Imaging.Formats;
using AutoClassify.IO;
using AutoClassify.Models;
using AutoClassify.Models.Cnn;
using AutoClassify.Models.Transfer;
using AutoClassify.Packaging;
using AutoClassify.Preprocessing;
using AutoClassify.Tensors;
using AutoClassify.Tiling;

namespace AutoClassify.Retraining;

/// <summary>
/// Retrains a registry model on a new labeled batch: checks the batch against the old data before any training,
/// trains a challenger on the champion's training images still on disk plus the batch (never on the reference set;
/// a CNN or fine-tuned transfer model warm-starts from the champion, a frozen one reuses its backbone), scores champion and challenger on the same reference images, stores the
/// challenger as a new version and promotes it only when its macro-F1 is not worse beyond the tolerance.
/// </summary>
public static class Retrainer
{
    /// <summary>The report's file name inside the challenger's version folder when no path is given.</summary>
    public const string ReportFileName = "retrain-report.html";

    // Below this many ulps of difference, two macro-F1 values count as equal.
    const double Epsilon = 1e-12;

    /// <summary>Runs the whole retrain; throws <see cref="BatchCheckException"/> (listing every finding) before any training when the batch has errors.</summary>
    public static RetrainResult Run(RetrainOptions options, IBenchmarkObserver? observer = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var log = observer ?? PackageTrainer.SilentObserver.Instance;
        var started = DateTimeOffset.UtcNow;
        var threads = options.Threads > 0 ? options.Threads : Environment.ProcessorCount;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = threads, CancellationToken = cancellationToken };
        var warnings = new List<string>();
        void Warn(string text)
        {
            warnings.Add(text);
            log.Message("warning: " + text);
        }

        var registry = new ModelRegistry(options.Registry);
        var championPath = registry.ResolveChampion(options.Name);
        var championVersion = registry.ChampionVersion(options.Name)!.Value;
        using var champion = ModelPackage.Open(championPath);
        var manifest = champion.Manifest;
        var crop = manifest.Preprocessing.Crop.ToMargins();
        var banner = manifest.Preprocessing.BannerTreatment();
        var tiling = manifest.Preprocessing.Tiling;
        log.Message($"champion: '{options.Name}' version {championVersion} ({manifest.ModelKind}; classes {string.Join(", ", manifest.ClassNames)})");

        var (old, oldRecorded) = LocateOldImages(manifest, parallel, log, Warn);
        var reference = ReferenceSet.TryRead(registry, options.Name);
        var referenceImages = LocateReferenceImages(reference, parallel, Warn);
        var batch = LoadBatch(options.BatchPath, crop, threads, parallel, log, Warn, out var batchRoot);

        PrepareAll([.. old, .. referenceImages, .. batch], crop, banner, manifest.Preprocessing.ResampleNm, manifest.Preprocessing.ReduceAbovePixels, parallel, log, Warn);
        old.RemoveAll(s => s.Prepared is null);
        referenceImages.RemoveAll(s => s.Prepared is null);
        batch.RemoveAll(s => s.Prepared is null);
        if (tiling is not null)
        {
            foreach (var images in new[] { old, referenceImages, batch })
                LeaveOutSmallerThanTile(images, tiling.Size, Warn);
        }

        var check = CheckBatch(options, manifest, old, referenceImages, batch, batchRoot, threads, log);
        var classes = check.NewClasses.Count == 0
            ? [.. manifest.ClassNames]
            : manifest.ClassNames.Concat(check.NewClasses).Order(StringComparer.Ordinal).ToList();

        var usable = Enumerable.Range(0, batch.Count).Where(i => !check.LeftOut.ContainsKey(i)).ToList();
        var (updatedReference, carved) = ExtendReference(reference, options, check, batch, usable, classes, Warn, log);
        var referenceShas = (updatedReference?.Items ?? []).Select(i => i.Sha256).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var training = old.Where(s => !referenceShas.Contains(s.Sha256))
            .Concat(usable.Where(i => !carved.Contains(i)).Select(i => batch[i]).Where(s => !referenceShas.Contains(s.Sha256)))
            .ToList();
        var batchTrained = training.Count(s => s.Origin == ImageOrigin.Batch);
        if (old.Count == 0)
            Warn($"none of the champion's training images is available: the challenger is trained on the new batch alone ({batchTrained} image(s))");
        var counts = classes.Select(c => training.Count(s => s.ClassName == c)).ToArray();
        var empty = classes.Where((_, k) => counts[k] == 0).ToList();
        if (empty.Count > 0)
            throw new ArgumentException($"Class(es) {string.Join(", ", empty)} would have no training image: the champion's images of them are not on disk and the batch at '{batchRoot}' adds none.");
        log.Message($"challenger training set: {training.Count} image(s) ({old.Count} old, {batchTrained} from the batch): " +
            string.Join(", ", classes.Select((c, k) => string.Create(CultureInfo.InvariantCulture, $"{c} {counts[k]}"))));

        var (settings, carriedSettings) = ChampionSettings.From(champion, options);
        log.Message(CarriedSetting.Summary(carriedSettings));
        var trainer = ModelCatalog.Create(manifest.ModelKind, settings);
        var kind = PackagedModelKinds.Find(manifest.ModelKind)
            ?? throw new InvalidOperationException($"Model kind '{manifest.ModelKind}' cannot be packaged by this build.");
        var (initialWeights, warmStart) = WarmStart(trainer, champion, classes, options, championVersion);
        log.Message($"warm start: {warmStart}");

        var data = BuildTrainingData(training, classes, ModelCatalog.InputOf(manifest.ModelKind), manifest.Preprocessing.FeatureSet?.NmPerPixel, tiling, threads, cancellationToken);
        var stage = tiling is null
            ? $"{trainer.Name}: challenger fit on {training.Count} images"
            : string.Create(CultureInfo.InvariantCulture, $"{trainer.Name}: challenger fit on {data.Labels.Length} tiles of {training.Count} images");
        log.StageStarted(stage, 1);
        var context = new TrainingContext
        {
            Seed = Seeds.Derive(options.Seed, "retrain", 0),
            Threads = options.Threads,
            Log = log.Message,
            CancellationToken = cancellationToken,
        };
        var all = Enumerable.Range(0, data.Labels.Length).ToArray();
        ITrainedModel trained = trainer switch
        {
            CnnTrainer cnn => cnn.Train(data, all, context, initialWeights),
            FineTuneTrainer fineTune => fineTune.Train(data, all, context, initialWeights),
            _ => trainer.Train(data, all, context),
        };
        IPackagedModel challenger;
        try
        {
            challenger = kind.Wrap(trained);
        }
        catch
        {
            trained.Dispose();
            throw;
        }
        using var _ = challenger;
        log.StepCompleted(stage);

        var scoring = referenceImages.Concat(carved.Select(i => batch[i])).ToList();
        var shared = scoring.Where(s => manifest.ClassNames.Contains(s.ClassName, StringComparer.Ordinal)).ToList();
        var fresh = scoring.Where(s => !manifest.ClassNames.Contains(s.ClassName, StringComparer.Ordinal) && classes.Contains(s.ClassName, StringComparer.Ordinal)).ToList();
        var (championScore, championPredicted) = shared.Count == 0 ? (null, []) : Score(champion.Model, tiling, manifest.ClassNames, shared, classes, threads);
        var (challengerScore, challengerPredicted) = shared.Count == 0 ? (null, []) : Score(challenger, tiling, classes, shared, classes, threads);
        double? newClassAccuracy = fresh.Count == 0 ? null : Score(challenger, tiling, classes, fresh, classes, threads).Score.Accuracy;
        var paired = shared.Count == 0 ? null : PairedComparison.Compute([.. shared.Select(s => s.Location)], [.. shared.Select(s => classes.IndexOf(s.ClassName))],
            championPredicted, challengerPredicted, classes, Seeds.Derive(options.Seed, "retrain-bootstrap"));
        if (paired is not null)
        {
            log.Message(paired.Verdict());
            if (paired.CannotResolve(options.Tolerance))
                Warn(Resolution(paired, options.Tolerance));
        }
        var (promoted, reason) = Decide(championScore, challengerScore, paired, options);
        log.Message(reason);

        var challengerManifest = BuildManifest(challenger, manifest, classes, training, trained.Summary, challengerScore, updatedReference,
            options, championVersion, warmStart, promoted, started, parallel, settings, carriedSettings, data.Labels.Length);
        if (carved.Count > 0)
            updatedReference!.WriteTo(registry, options.Name);
        ModelPackageManifest? stored = null;
        var version = registry.Add(options.Name, stream => stored = ModelPackage.Write(stream, challengerManifest, challenger));
        if (promoted)
            registry.Promote(options.Name, version);
        var packagePath = registry.PackagePath(options.Name, version);
        var reportPath = Path.GetFullPath(options.ReportPath ?? Path.Combine(Path.GetDirectoryName(packagePath)!, ReportFileName));

        var result = new RetrainResult
        {
            Name = options.Name,
            ChampionVersion = championVersion,
            ChallengerVersion = version,
            Promoted = promoted,
            Reason = reason,
            ClassNames = classes,
            ChampionClassNames = manifest.ClassNames,
            Champion = championScore,
            Challenger = challengerScore,
            NewClassAccuracy = newClassAccuracy,
            Tolerance = options.Tolerance,
            PromoteIf = options.PromoteIf,
            Paired = paired,
            Check = check,
            DataWarnings = warnings,
            OldImagesRecorded = oldRecorded,
            OldImagesFound = old.Count,
            BatchImages = batch.Count,
            BatchImagesTrained = batchTrained,
            TrainingCounts = counts,
            Settings = carriedSettings,
            WarmStart = warmStart,
            ChallengerManifest = stored!,
            ChallengerPackagePath = packagePath,
            ReportPath = reportPath,
            Seed = options.Seed,
            StartedUtc = started,
        };
        AtomicFile.WriteAllText(reportPath, RetrainReport.Render(result));
        if (paired is not null)
            AtomicFile.Write(RetrainReport.ChangedPredictionsPath(reportPath), stream => RetrainReport.WriteChangedPredictions(paired, stream));
        return result;
    }

    /// <summary>An image taking part in a retrain, filled in stage by stage.</summary>
    sealed class SourceImage(string root, string relativePath, string className, ImageOrigin origin, string? maskPath = null)
    {
        public string Root { get; } = root;

        public string RelativePath { get; } = relativePath;

        public string FullPath { get; } = Path.Combine(root, relativePath.Replace('/', Path.DirectorySeparatorChar));

        public string ClassName { get; } = className;

        public ImageOrigin Origin { get; } = origin;

        public string? MaskPath { get; } = maskPath;

        public string Sha256 { get; set; } = "";

        public PreparedImage? Prepared { get; set; }

        /// <summary>How the image is named to the user: batch images relative to the batch, others in full.</summary>
        public string Location => Origin == ImageOrigin.Batch ? RelativePath : FullPath;
    }

    static (List<SourceImage> Found, int Recorded) LocateOldImages(ModelPackageManifest manifest, ParallelOptions parallel, IBenchmarkObserver log, Action<string> warn)
    {
        var provenance = manifest.Provenance;
        var recorded = provenance.TrainingFiles.Where(f => !f.Path.EndsWith(DatasetLoader.MaskSuffix, StringComparison.OrdinalIgnoreCase)).ToList();
        if (recorded.Count == 0)
        {
            warn("the champion's package lists no training files");
            return ([], 0);
        }
        if (provenance.DataRoots.Count == 0)
        {
            warn($"the champion's package does not record the folder of its {recorded.Count} training image(s) (it predates data roots in provenance)");
            return ([], recorded.Count);
        }

        const string stage = "Finding the champion's training images";
        log.StageStarted(stage, recorded.Count);
        var outcome = new (SourceImage? Image, string? Missing, string? Changed)[recorded.Count];
        Parallel.For(0, recorded.Count, parallel, i =>
        {
            outcome[i] = LocateOne(recorded[i], provenance.DataRoots, manifest.ClassNames);
            log.StepCompleted(stage);
        });
        var found = outcome.Where(o => o.Image is not null).Select(o => o.Image!).ToList();
        var missing = outcome.Where(o => o.Missing is not null).Select(o => o.Missing!).ToList();
        var changed = outcome.Where(o => o.Changed is not null).Select(o => o.Changed!).ToList();
        if (missing.Count > 0)
        {
            warn(string.Create(CultureInfo.InvariantCulture,
                $"{missing.Count} of the champion's {recorded.Count} training image(s) are no longer on disk ({Sample(missing)}); retraining from the {found.Count} still found"));
        }
        if (changed.Count > 0)
        {
            warn(string.Create(CultureInfo.InvariantCulture,
                $"{changed.Count} of the champion's training image(s) changed since it was trained and are left out ({Sample(changed)})"));
        }
        return (found, recorded.Count);
    }

    static (SourceImage?, string?, string?) LocateOne(TrainingFile file, IReadOnlyList<string> roots, IReadOnlyList<string> classes)
    {
        if (file.Root < 0 || file.Root >= roots.Count)
            return (null, file.Path, null);
        var image = new SourceImage(roots[file.Root], file.Path, file.Path.Split('/')[0], ImageOrigin.Training, SiblingMask(Path.Combine(roots[file.Root], file.Path)));
        if (!File.Exists(EmPath.FileOf(image.FullPath)))
            return (null, image.FullPath, null);
        if (!classes.Contains(image.ClassName, StringComparer.Ordinal))
            return (null, null, $"{image.FullPath} (not in a class folder of the model)");
        try
        {
            image.Sha256 = ModelPackage.Sha256Hex(image.FullPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return (null, $"{image.FullPath} ({ex.Message})", null);
        }
        return image.Sha256.Equals(file.Sha256, StringComparison.OrdinalIgnoreCase) ? (image, null, null) : (null, null, image.FullPath);
    }

    static string? SiblingMask(string imagePath)
    {
        var mask = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(imagePath))!, Path.GetFileNameWithoutExtension(imagePath) + DatasetLoader.MaskSuffix);
        return File.Exists(mask) ? mask : null;
    }

    static List<SourceImage> LocateReferenceImages(ReferenceSet? reference, ParallelOptions parallel, Action<string> warn)
    {
        if (reference is null)
            return [];
        var items = reference.Items;
        var found = new SourceImage?[items.Count];
        Parallel.For(0, items.Count, parallel, i =>
        {
            var item = items[i];
            var image = new SourceImage(item.Root, item.Path, item.ClassName, ImageOrigin.Reference, SiblingMask(item.FullPath));
            try
            {
                if (File.Exists(EmPath.FileOf(image.FullPath)))
                {
                    image.Sha256 = ModelPackage.Sha256Hex(image.FullPath);
                    if (image.Sha256.Equals(item.Sha256, StringComparison.OrdinalIgnoreCase))
                        found[i] = image;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                found[i] = null;
            }
        });
        var lost = items.Where((_, i) => found[i] is null).Select(i => i.FullPath).ToList();
        if (lost.Count > 0)
        {
            warn(string.Create(CultureInfo.InvariantCulture,
                $"{lost.Count} of the {items.Count} reference image(s) are missing or changed ({Sample(lost)}); the comparison uses the {items.Count - lost.Count} left"));
        }
        return [.. found.Where(f => f is not null).Select(f => f!)];
    }

    static List<SourceImage> LoadBatch(string path, CropMargins crop, int threads, ParallelOptions parallel, IBenchmarkObserver log, Action<string> warn, out string root)
    {
        var dataset = DatasetLoader.Load(path, new DatasetOptions { Folds = 1, MinClasses = 1, Crop = crop, Threads = threads });
        root = dataset.Root;
        foreach (var problem in dataset.Warnings)
            warn("batch: " + problem);
        foreach (var skipped in dataset.Skipped)
            warn($"batch: skipped {skipped.RelativePath}: {skipped.Reason}");
        var images = dataset.Items.Select(i => new SourceImage(dataset.Root, i.RelativePath, dataset.ClassNames[i.Label], ImageOrigin.Batch, i.MaskPath)).ToList();
        const string stage = "Hashing the batch";
        log.StageStarted(stage, images.Count);
        Parallel.For(0, images.Count, parallel, i =>
        {
            images[i].Sha256 = ModelPackage.Sha256Hex(images[i].FullPath);
            log.StepCompleted(stage);
        });
        log.Message(string.Create(CultureInfo.InvariantCulture, $"batch: {images.Count} image(s) in {dataset.ClassNames.Count} class folder(s) at {dataset.Root}"));
        return images;
    }

    static void PrepareAll(List<SourceImage> images, CropMargins crop, BannerMode banner, double? resampleNm, long? reduceAbovePixels,
        ParallelOptions parallel, IBenchmarkObserver log, Action<string> warn)
    {
        const string stage = "Preparing images";
        log.StageStarted(stage, images.Count);
        var failures = new string?[images.Count];
        Parallel.For(0, images.Count, parallel, i =>
        {
            var image = images[i];
            try
            {
                // The champion's --resample-nm applies to old and new images alike, each from its own pixel size.
                if (resampleNm is { } target)
                {
                    var nm = (ImageScales.ReadOrBanner(image.FullPath).Scale
                        ?? throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"the file declares no pixel size, and the model resamples every image to {target} nm per pixel"))).Size.NanometresX;
                    var reduced = ImagePreparation.Prepare(image.FullPath, image.MaskPath, crop, banner, reduceAbovePixels, ScaleResampling.DecodeFactor(nm, target));
                    image.Prepared = ScaleResampling.Apply(reduced, nm, target);
                }
                else
                {
                    image.Prepared = ImagePreparation.Prepare(image.FullPath, image.MaskPath, crop, banner, reduceAbovePixels);
                }
            }
            catch (Exception ex) when (ex is ImageDecodeException or IOException or UnauthorizedAccessException or ArgumentException)
            {
                failures[i] = $"{image.Location}: {ex.Message}";
            }
            log.StepCompleted(stage);
        });
        foreach (var failure in failures.Where(f => f is not null))
            warn("cannot prepare " + failure + "; left out");
    }

    static BatchCheckReport CheckBatch(RetrainOptions options, ModelPackageManifest manifest, List<SourceImage> old, List<SourceImage> reference,
        List<SourceImage> batch, string batchRoot, int threads, IBenchmarkObserver log)
    {
        static CheckedImage ToChecked(SourceImage s) => CheckedImage.From(s.Location, s.ClassName, s.Sha256, s.Prepared!.Image, s.Origin);
        var existing = old.Concat(reference).AsParallel().AsOrdered().WithDegreeOfParallelism(threads).Select(ToChecked).ToList();
        var fresh = batch.AsParallel().AsOrdered().WithDegreeOfParallelism(threads).Select(ToChecked).ToList();
        var check = new BatchCheckOptions
        {
            AllowNewClasses = options.AllowNewClasses,
            NearDuplicateDistance = options.Check.NearDuplicateDistance,
            NearDuplicateCorrelation = options.Check.NearDuplicateCorrelation,
            BalanceDriftThreshold = options.Check.BalanceDriftThreshold,
            IntensityDriftThreshold = options.Check.IntensityDriftThreshold,
        };
        var report = BatchCheck.Run(existing, fresh, manifest.ClassNames, check);
        var errors = report.Errors.Count();
        log.Message($"batch check: {errors} error(s), {report.Findings.Count - errors} warning(s)");
        foreach (var finding in report.Findings)
            log.Message(finding.ToString());
        if (report.HasErrors)
            throw new BatchCheckException(batchRoot, report);
        return report;
    }

    // Draws reference images from the batch for classes the reference set lacks: all classes when the model has no
    // reference set yet, the new classes otherwise. Existing reference items never change.
    static (ReferenceSet? Updated, HashSet<int> Carved) ExtendReference(ReferenceSet? reference, RetrainOptions options, BatchCheckReport check,
        List<SourceImage> batch, List<int> usable, List<string> classes, Action<string> warn, IBenchmarkObserver log)
    {
        var candidates = reference is null ? usable : usable.Where(i => check.NewClasses.Contains(batch[i].ClassName, StringComparer.Ordinal)).ToList();
        if (candidates.Count == 0)
            return (reference, []);
        var share = reference?.Share ?? ReferenceSet.DefaultShare;
        var labels = candidates.Select(i => classes.IndexOf(batch[i].ClassName)).ToArray();
        var held = ReferenceSplit.Carve(labels, share, Seeds.Derive(options.Seed, "reference-split-retrain"), keepAtLeast: 1);
        var carved = candidates.Where((_, k) => held[k]).ToHashSet();
        if (carved.Count == 0)
            return (reference, []);
        if (reference is null)
        {
            warn(string.Create(CultureInfo.InvariantCulture,
                $"model '{options.Name}' has no reference set (it was trained before reference sets existed); {carved.Count} image(s) of the batch become its reference set, held out of training now and in later retrains"));
        }
        else
        {
            log.Message(string.Create(CultureInfo.InvariantCulture, $"reference set: {carved.Count} image(s) of the new class(es) join it, held out of training"));
        }
        var items = carved.Order().Select(i => new ReferenceItem(batch[i].Root, batch[i].RelativePath, batch[i].Sha256, batch[i].ClassName));
        var updated = reference is null
            ? new ReferenceSet { Seed = options.Seed, Share = share, CreatedUtc = DateTimeOffset.UtcNow, Items = [.. items] }
            : reference with { Items = [.. reference.Items, .. items] };
        return (updated, carved);
    }

    // The weights a challenger starts from: a CNN's whole network, a fine-tuned transfer model's head (its backbone
    // comes from the champion's package through ChampionSettings, or from its original source with --from-scratch).
    static (IReadOnlyDictionary<string, Tensor>? Weights, string Description) WarmStart(IModelTrainer trainer, LoadedModelPackage champion,
        IReadOnlyList<string> classes, RetrainOptions options, int championVersion)
    {
        var inv = CultureInfo.InvariantCulture;
        if (trainer is FrozenTrainer frozen)
        {
            var head = frozen.Head == FrozenHead.Svm ? "SVM" : "softmax";
            return (null, string.Create(inv,
                $"frozen backbone: champion v{championVersion}'s own, reopened from its package with the weights it was trained on; the {head} head is refitted from scratch on the old and new data{(options.FromScratch ? " (--from-scratch changes nothing: a frozen backbone is its original)" : "")}"));
        }
        if (trainer is FineTuneTrainer fineTune)
        {
            if (fineTune.Source.TransferPackage is null)
                return (null, string.Create(inv, $"no, --from-scratch: the backbone restarts from {fineTune.Origin?.ToString() ?? fineTune.Source.ToString()}, the source champion v{championVersion} was first trained from, under a new head"));
            if (!classes.SequenceEqual(champion.Manifest.ClassNames, StringComparer.Ordinal))
                return (null, string.Create(inv, $"partly: the backbone starts from champion v{championVersion}'s fine-tuned one; the head is new, as the class list changed"));
            if (champion.Model is not TransferPackagedModel transfer)
                return (null, string.Create(inv, $"partly: the backbone starts from champion v{championVersion}'s fine-tuned one; the head is new, as the champion's package holds no transfer head"));
            return (transfer.Model.Head.StateDict(), string.Create(inv, $"yes, backbone and head from the weights of champion v{championVersion}"));
        }
        if (trainer is not CnnTrainer cnn)
            return (null, $"not applicable (a feature model such as {trainer.Name} is refitted from scratch)");
        if (options.FromScratch)
            return (null, "no, --from-scratch");
        if (!classes.SequenceEqual(champion.Manifest.ClassNames, StringComparer.Ordinal))
            return (null, "no, the class list changed (fresh weights)");
        if (champion.Model is not CnnPackagedModel packaged || packaged.Model.Info.Model != cnn.Spec.Name || packaged.Model.Info.InputSize != cnn.Options.EffectiveInputSize)
            return (null, "no, the champion's network does not match the challenger's architecture (fresh weights)");
        return (packaged.Model.Network.StateDict(), string.Create(CultureInfo.InvariantCulture, $"yes, from the weights of champion v{championVersion}"));
    }

    // A tiled champion's images must hold at least one tile; smaller ones (a batch of another format) are left out by name.
    static void LeaveOutSmallerThanTile(List<SourceImage> images, int size, Action<string> warn)
    {
        var small = images.Where(s => s.Prepared!.Image.Width < size || s.Prepared.Image.Height < size).ToList();
        if (small.Count == 0)
            return;
        warn(string.Create(CultureInfo.InvariantCulture,
            $"{small.Count} image(s) are smaller than the model's {size}-pixel tiles after preprocessing and are left out ({Sample([.. small.Select(s => $"{s.Location} is {s.Prepared!.Image.Width}x{s.Prepared.Image.Height}")])})"));
        images.RemoveAll(small.Contains);
    }

    // Whole images, or for a tiled champion the tiles of every image, grouped by image so the validation split keeps images whole.
    static TrainingData BuildTrainingData(List<SourceImage> training, List<string> classes, ModelInput input, double? nmPerPixel, PackageTiling? tiling,
        int threads, CancellationToken cancellationToken)
    {
        var dataset = new LabeledDataset
        {
            Root = "",
            ClassNames = classes,
            Items = [.. training.Select(s => new DatasetItem(s.RelativePath, s.FullPath, classes.IndexOf(s.ClassName), s.MaskPath, s.Prepared!.Image.Width, s.Prepared.Image.Height))],
            Skipped = [],
            Warnings = [],
        };
        PreparedImage[] prepared = [.. training.Select(s => s.Prepared!)];
        if (tiling is null)
            return TrainingData.FromPrepared(dataset, prepared, [input], threads, nmPerPixel, cancellationToken);
        var tiled = TiledData.Expand(dataset, prepared, tiling.ToSpec());
        var data = TrainingData.FromPrepared(tiled.Tiles, tiled.Prepared, [input], threads, nmPerPixel, cancellationToken);
        data.Groups = tiled.SourceImage;
        return data;
    }

    static (ReferenceScore Score, int[] Predicted) Score(IPackagedModel model, PackageTiling? tiling, IReadOnlyList<string> modelClasses, List<SourceImage> images, List<string> classes, int threads)
    {
        var probabilities = PackagePredictor.PredictPrepared(model, tiling, [.. images.Select(s => s.Prepared!)], threads);
        var predicted = probabilities.Select(p => classes.IndexOf(modelClasses[ModelResultBuilder.Decide(p)])).ToArray();
        var truth = images.Select(s => classes.IndexOf(s.ClassName)).ToArray();
        var metrics = ClassificationMetrics.Compute(truth, predicted, null, classes.Count);
        return (new ReferenceScore(images.Count, metrics.Accuracy, metrics.MacroF1, metrics.BalancedAccuracy, metrics.Confusion), predicted);
    }

    /// <summary>The warning when one image's prediction can move macro-F1 by more than the tolerance.</summary>
    public static string Resolution(PairedComparison paired, double tolerance)
    {
        ArgumentNullException.ThrowIfNull(paired);
        return string.Create(CultureInfo.InvariantCulture,
            $"the reference set cannot resolve the tolerance {tolerance:0.###}: one changed prediction moves macro-F1 by up to {paired.OneFlip:0.000} (its smallest class, {paired.SmallestClass}, has {paired.SmallestClassCount} image(s)); grow the reference set with 'autoclassify models grow-reference', or decide with --promote-if not-worse");
    }

    static (bool Promoted, string Reason) Decide(ReferenceScore? champion, ReferenceScore? challenger, PairedComparison? paired, RetrainOptions options)
    {
        var inv = CultureInfo.InvariantCulture;
        if (champion is null || challenger is null)
        {
            return options.Force
                ? (true, "Promoted by --force without a comparison: no reference image of the champion's classes is available.")
                : (false, "Not promoted: no reference image of the champion's classes is available (the reference set is empty, or its files are gone), so the challenger cannot be compared with the champion; promote it with --force or 'autoclassify models promote'.");
        }
        var delta = challenger.MacroF1 - champion.MacroF1;
        if (options.PromoteIf != PromotionRule.Tolerance && paired is not null)
        {
            var rule = options.PromoteIf == PromotionRule.Better ? "better" : "not-worse";
            var wins = options.PromoteIf == PromotionRule.Better ? paired.Better : !paired.Worse;
            var test = paired.Verdict();
            if (wins)
                return (true, $"Promoted (--promote-if {rule}): {test}");
            return options.Force
                ? (true, $"Promoted by --force although --promote-if {rule} refuses it: {test}")
                : (false, $"Not promoted (--promote-if {rule}): {test} It is kept as a non-champion version.");
        }
        var figures = string.Create(inv, $"reference macro-F1 {challenger.MacroF1:F3} against the champion's {champion.MacroF1:F3} (change {delta:+0.000;-0.000;0.000}, tolerance {options.Tolerance:0.###}) on {challenger.Images} image(s)");
        if (delta >= -options.Tolerance - Epsilon)
            return (true, $"Promoted: {figures}.");
        return options.Force
            ? (true, $"Promoted by --force although it is worse: {figures}.")
            : (false, $"Not promoted, the challenger is worse beyond the tolerance: {figures}. It is kept as a non-champion version.");
    }

    static ModelPackageManifest BuildManifest(IPackagedModel challenger, ModelPackageManifest champion, IReadOnlyList<string> classes,
        List<SourceImage> training, TrainingSummary summary, ReferenceScore? score, ReferenceSet? reference, RetrainOptions options,
        int championVersion, string warmStart, bool promoted, DateTimeOffset started, ParallelOptions parallel, ModelSettings settings,
        IReadOnlyList<CarriedSetting> carriedSettings, int trainingItems)
    {
        var roots = training.Select(s => s.Root).Distinct(StringComparer.Ordinal).ToList();
        var maskSha = new string?[training.Count];
        Parallel.For(0, training.Count, parallel, i => maskSha[i] = training[i].MaskPath is { } mask ? ModelPackage.Sha256Hex(mask) : null);
        var files = new List<TrainingFile>();
        for (var i = 0; i < training.Count; i++)
        {
            var s = training[i];
            var root = roots.IndexOf(s.Root);
            files.Add(new TrainingFile(s.RelativePath, s.Sha256, root));
            if (s.MaskPath is not null)
                files.Add(new TrainingFile(Path.GetRelativePath(s.Root, s.MaskPath).Replace(Path.DirectorySeparatorChar, '/'), maskSha[i]!, root));
        }
        files = [.. files.OrderBy(f => f.Root).ThenBy(f => f.Path, StringComparer.Ordinal)];

        var inv = CultureInfo.InvariantCulture;
        var facts = new Dictionary<string, string>(summary.Facts, StringComparer.Ordinal)
        {
            ["retrained_from"] = "v" + championVersion.ToString(inv),
            ["retrain_warm_start"] = warmStart,
            ["promotion"] = promoted ? "promoted" : "refused",
        };
        PackageTrainer.AddTrainingFacts(facts, champion.ModelKind, settings, summary, champion.Preprocessing.Tiling, trainingItems);
        CarriedSetting.AddFacts(facts, carriedSettings);
        var metrics = new Dictionary<string, MetricSummary>(StringComparer.Ordinal);
        if (score is not null)
        {
            metrics["accuracy"] = new MetricSummary(score.Accuracy, null, 1);
            metrics["macro_f1"] = new MetricSummary(score.MacroF1, null, 1);
            metrics["balanced_accuracy"] = new MetricSummary(score.BalancedAccuracy, null, 1);
            facts["validation_items"] = score.Images.ToString(inv);
            facts["validation_split"] = "the registry's reference set";
        }
        return new ModelPackageManifest
        {
            ModelKind = challenger.Kind,
            ClassNames = [.. classes],
            Preprocessing = challenger.Preprocessing with
            {
                Crop = champion.Preprocessing.Crop,
                BannerMode = champion.Preprocessing.BannerMode,
                Tiling = champion.Preprocessing.Tiling,
                ResampleNm = champion.Preprocessing.ResampleNm,
                ReduceAbovePixels = champion.Preprocessing.ReduceAbovePixels,
                IntensityMapping = IntensityMapping.Name,
            },
            Metrics = metrics,
            Thresholds = champion.Thresholds.Where(t => classes.Contains(t.Key, StringComparer.Ordinal)).ToDictionary(StringComparer.Ordinal),
            TrainingCounts = classes.ToDictionary(c => c, c => training.Count(s => s.ClassName == c), StringComparer.Ordinal),
            Provenance = PackageTrainer.Provenance(files, roots, reference, options.Seed, options.CommandLine, started, facts)
                with
            { DatasetContentSha256 = RunEnvironment.DatasetHashOf(training.Select((s, i) => (s.RelativePath, s.ClassName, s.Sha256, maskSha[i]))) },
        };
    }

    static string Sample(List<string> items) =>
        string.Join(", ", items.Take(3)) + (items.Count > 3 ? string.Create(CultureInfo.InvariantCulture, $" and {items.Count - 3} more") : "");
}
