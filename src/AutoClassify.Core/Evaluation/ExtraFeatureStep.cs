using System.Globalization;
using AutoClassify.Dataset;
using AutoClassify.Features;
using AutoClassify.Models;
using AutoClassify.Tiling;

namespace AutoClassify.Evaluation;

/// <summary>
/// The benchmark's <c>--features extra.csv</c>: reads and matches the file before any image is prepared, appends the
/// columns to the handcrafted features (of every tile, from its source image, when tiling is on), lets feature models
/// impute images without a row from their training fold, and records the columns and every unmatched row or image
/// in the result. Matching and its warnings are per image, never per tile.
/// </summary>
internal sealed class ExtraFeatureStep
{
    readonly ExtraFeatureJoin join;
    readonly IReadOnlyList<string> warnings;

    ExtraFeatureStep(ExtraFeatureJoin join)
    {
        this.join = join;
        warnings = join.Warnings();
    }

    /// <summary>Reads and matches the CSV named by the options; null when there is none or no feature model would use it.</summary>
    public static ExtraFeatureStep? Load(BenchmarkOptions options, LabeledDataset dataset, IBenchmarkObserver observer)
    {
        if (options.ExtraFeaturesPath is not { } path)
            return null;
        if (!options.Models.Any(m => ModelCatalog.InputsOf(m).Contains(ModelInput.Features)))
        {
            observer.Message($"Warning: --features {Path.GetFileName(path)} is not used: no model of this run learns from features.");
            return null;
        }
        var join = ExtraFeatureTable.Read(path).Match(dataset.Items.Select(i => i.RelativePath).ToArray());
        var step = new ExtraFeatureStep(join);
        observer.Message(step.Summary());
        foreach (var warning in step.warnings)
            observer.Message(warning);
        return step;
    }

    /// <summary>
    /// The data with the extra columns appended to its handcrafted feature matrix. When the items are tiles,
    /// <paramref name="tiled"/> maps each to its source image, whose values every tile inherits.
    /// </summary>
    public TrainingData AppendTo(TrainingData data, TiledData? tiled = null)
    {
        if (data.Features is null)
            return data;
        return data.WithFeatures(tiled is null ? join.AppendTo(data.Features) : join.AppendTo(data.Features, tiled.SourceImage));
    }

    /// <summary>Feature models impute images without a row; image models are returned as they are.</summary>
    public IModelTrainer Wrap(IModelTrainer trainer) =>
        join.ImagesWithoutRow.Count > 0 && ModelCatalog.InputsOf(trainer.Name).Contains(ModelInput.Features) ? new MeanImputingTrainer(trainer) : trainer;

    /// <summary>Writes the file, its columns and the match counts into the settings, and the warnings into the data summary.</summary>
    public void Record(BenchmarkResult result)
    {
        var table = join.Table;
        result.Settings.Extra["extra_features_file"] = table.SourcePath;
        result.Settings.Extra["extra_features_columns"] = string.Join(", ", table.Columns);
        result.Settings.Extra["extra_features_matched"] = Summary();
        result.Dataset.Warnings.AddRange(warnings);
    }

    string Summary()
    {
        var matched = join.ImageCount - join.ImagesWithoutRow.Count;
        return string.Create(CultureInfo.InvariantCulture,
            $"Extra features: {join.Table.Columns.Count} column(s) from {join.Table.FileName} for {matched} of {join.ImageCount} images " +
            $"({join.MatchedByPath} by relative path, {join.MatchedByName} by file name)") +
            (join.ImagesWithoutRow.Count > 0 ? string.Create(CultureInfo.InvariantCulture, $"; {join.ImagesWithoutRow.Count} imputed with the training fold's mean.") : ".");
    }
}
