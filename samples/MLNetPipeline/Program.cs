// AutoClassify inside an ML.NET pipeline: load a labeled image folder, compute the handcrafted features, train
// LIBSVM, cross-validate with stratified folds, then predict one image with a PredictionEngine (from the pipeline,
// or from a package made by `autoclassify train` when one is given).
// Usage: MLNetPipeline <dataset folder> [folds] [model.acpkg]
using System.Globalization;
using AutoClassify.MLNet;
using Microsoft.ML;
using Microsoft.ML.Data;

if (args.Length is < 1 or > 3)
{
    Console.Error.WriteLine("usage: MLNetPipeline <dataset folder> [folds] [model.acpkg]");
    return 2;
}
var folds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5;

var ml = new MLContext(seed: 1);
IDataView data = ml.Data.LoadImageFolder(args[0], new ImageFolderOptions { Folds = folds });

var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
    .Append(ml.Transforms.HandcraftedFeatures())
    .Append(ml.MulticlassClassification.Trainers.LibSvm(seed: 1));

var results = ml.MulticlassClassification.StratifiedCrossValidate(data, pipeline, numberOfFolds: folds, samplingKeyColumnName: "Group", seed: 1);
foreach (var fold in results)
    Console.WriteLine(FormattableString.Invariant($"fold {fold.Fold}: accuracy {fold.Metrics.MicroAccuracy:F3}, macro accuracy {fold.Metrics.MacroAccuracy:F3}, log loss {fold.Metrics.LogLoss:F3}"));
Console.WriteLine(FormattableString.Invariant($"mean macro accuracy {results.Average(r => r.Metrics.MacroAccuracy):F3}"));
foreach (var fold in results)
    fold.Dispose();

var first = ml.Data.CreateEnumerable<ImageRow>(data, reuseRowObject: false).First();
if (args.Length == 3)
{
    using var package = ml.Model.LoadAutoClassifyPackage(args[2]);
    var engine = ml.Model.CreatePredictionEngine<ImageRow, PackagePrediction>(package);
    var prediction = engine.Predict(first);
    var name = prediction.PredictedLabel == 0 ? "none (" + prediction.Error + ")" : package.ClassNames[(int)prediction.PredictedLabel - 1];
    Console.WriteLine(FormattableString.Invariant($"package {package.Kind}: {Path.GetFileName(first.ImagePath)} is {name} (p = {prediction.Score.Max():F3})"));
}
else
{
    var model = pipeline.Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel")).Fit(data);
    var engine = ml.Model.CreatePredictionEngine<ImageRow, PipelinePrediction>(model);
    var prediction = engine.Predict(first);
    Console.WriteLine(FormattableString.Invariant($"pipeline: {Path.GetFileName(first.ImagePath)} ({first.Label}) is {prediction.PredictedLabel} (p = {prediction.Score.Max():F3})"));
    foreach (var part in model)
        (part as IDisposable)?.Dispose();
}
return 0;

/// <summary>A row of the image folder.</summary>
internal sealed class ImageRow
{
    public string Label { get; set; } = "";

    public string ImagePath { get; set; } = "";

    public string MaskPath { get; set; } = "";

    public string Group { get; set; } = "";
}

/// <summary>What the pipeline predicts, its key mapped back to the class name.</summary>
internal sealed class PipelinePrediction
{
    public string PredictedLabel { get; set; } = "";

    public float[] Score { get; set; } = [];
}

/// <summary>What a package predicts: the class as a key (1-based, 0 when the image could not be read).</summary>
internal sealed class PackagePrediction
{
    public uint PredictedLabel { get; set; }

    public float[] Score { get; set; } = [];

    public string Error { get; set; } = "";
}
