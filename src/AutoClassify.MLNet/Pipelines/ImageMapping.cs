using Microsoft.ML;

namespace AutoClassify.MLNet;

/// <summary>
/// The mapping of the image classifiers (a LipNet fit, an opened package): image path (and mask path) in,
/// <see cref="AutoClassifyColumns.Score"/>, <see cref="AutoClassifyColumns.PredictedLabel"/> and
/// <see cref="AutoClassifyColumns.Error"/> out. An image that cannot be read gives NaN scores, the missing key 0 and the
/// reason, so one bad file never stops a batch.
/// </summary>
internal static class ImageMapping
{
    /// <summary>The estimator; <paramref name="predict"/> takes the image and mask paths (null when none) and returns probabilities.</summary>
    public static IEstimator<ITransformer> Estimator(TransformsCatalog catalog, string imageColumn, string? maskColumn, IReadOnlyList<string> classes,
        Func<string, string?, double[]> predict)
    {
        var output = RowMapping.PredictionSchema<RowMapping.ImagePrediction>(classes, AutoClassifyColumns.Score, AutoClassifyColumns.PredictedLabel);
        output[nameof(RowMapping.ImagePrediction.Error)].ColumnName = AutoClassifyColumns.Error;
        void Map(string imagePath, string? maskPath, RowMapping.ImagePrediction result)
        {
            try
            {
                (result.Score, result.PredictedLabel) = RowMapping.ToScore(predict(imagePath, string.IsNullOrEmpty(maskPath) ? null : maskPath));
                result.Error = "";
            }
            catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
            {
                result.Score = [.. Enumerable.Repeat(float.NaN, classes.Count)];
                result.PredictedLabel = RowMapping.MissingKey;
                result.Error = e.Message;
            }
        }
        return maskColumn is null
            ? RowMapping.Estimator<RowMapping.ImageInput, RowMapping.ImagePrediction>(catalog, (row, result) => Map(row.ImagePath, null, result),
                RowMapping.ImageSchema(imageColumn, null), output)
            : RowMapping.Estimator<RowMapping.ImageMaskInput, RowMapping.ImagePrediction>(catalog, (row, result) => Map(row.ImagePath, row.MaskPath, result),
                RowMapping.ImageSchema(imageColumn, maskColumn), output);
    }
}
