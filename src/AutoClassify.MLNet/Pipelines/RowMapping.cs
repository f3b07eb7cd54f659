using Microsoft.ML;
using Microsoft.ML.Data;

namespace AutoClassify.MLNet;

/// <summary>
/// The row types and schema definitions behind the AutoClassify transformers: each is one of ML.NET's custom
/// mappings, with its columns renamed to the caller's names and its vector sizes and key values declared, so the
/// output columns are what ML.NET's trainers, evaluators and <c>PredictionEngine</c> expect.
/// </summary>
internal static class RowMapping
{
    internal sealed class ImageInput
    {
        public string ImagePath { get; set; } = "";
    }

    internal sealed class ImageMaskInput
    {
        public string ImagePath { get; set; } = "";

        public string MaskPath { get; set; } = "";
    }

    internal sealed class FeatureInput
    {
        public float[] Features { get; set; } = [];
    }

    internal sealed class FeatureOutput
    {
        public float[] Features { get; set; } = [];
    }

    internal sealed class Prediction
    {
        public float[] Score { get; set; } = [];

        public uint PredictedLabel { get; set; }
    }

    internal sealed class ImagePrediction
    {
        public float[] Score { get; set; } = [];

        public uint PredictedLabel { get; set; }

        public string Error { get; set; } = "";
    }

    /// <summary>The schema of <typeparamref name="T"/> with each member read from or written to the named column.</summary>
    public static SchemaDefinition Schema<T>(params (string Member, string Column)[] columns)
    {
        var definition = SchemaDefinition.Create(typeof(T));
        foreach (var (member, column) in columns)
            definition[member].ColumnName = column;
        return definition;
    }

    /// <summary>The input schema of an image mapping: the image column, and the mask column unless it is null.</summary>
    public static SchemaDefinition ImageSchema(string imageColumn, string? maskColumn) => maskColumn is null
        ? Schema<ImageInput>((nameof(ImageInput.ImagePath), imageColumn))
        : Schema<ImageMaskInput>((nameof(ImageMaskInput.ImagePath), imageColumn), (nameof(ImageMaskInput.MaskPath), maskColumn));

    /// <summary>Declares a float vector of <paramref name="names"/>.Count slots, named by its <c>SlotNames</c>.</summary>
    public static void DeclareVector(SchemaDefinition definition, string column, IReadOnlyList<string> names)
    {
        var slots = new VBuffer<ReadOnlyMemory<char>>(names.Count, [.. names.Select(n => n.AsMemory())]);
        definition[column].ColumnType = new VectorDataViewType(NumberDataViewType.Single, names.Count);
        definition[column].AddAnnotation(AutoClassifyColumns.SlotNames, slots, new VectorDataViewType(TextDataViewType.Instance, names.Count));
    }

    /// <summary>The output schema of a classifier: a score per class, and the predicted class as a key named by the classes.</summary>
    public static SchemaDefinition PredictionSchema<T>(IReadOnlyList<string> classNames, string scoreColumn, string predictedLabelColumn)
        where T : class
    {
        var definition = Schema<T>((nameof(Prediction.Score), scoreColumn), (nameof(Prediction.PredictedLabel), predictedLabelColumn));
        var count = classNames.Count;
        var names = new VBuffer<ReadOnlyMemory<char>>(count, [.. classNames.Select(n => n.AsMemory())]);
        definition[scoreColumn].ColumnType = new VectorDataViewType(NumberDataViewType.Single, count);
        definition[scoreColumn].AddAnnotation(AutoClassifyColumns.SlotNames, names, new VectorDataViewType(TextDataViewType.Instance, count));
        definition[predictedLabelColumn].ColumnType = new KeyDataViewType(typeof(uint), count);
        definition[predictedLabelColumn].AddAnnotation(AutoClassifyColumns.KeyValues, names, new VectorDataViewType(TextDataViewType.Instance, count));
        return definition;
    }

    /// <summary>
    /// What a mapping writes for the missing key: ML.NET stores a key written from an object as its 0-based position + 1,
    /// and any value past the last class as the missing key 0.
    /// </summary>
    public const uint MissingKey = uint.MaxValue;

    /// <summary>Probabilities as a score row and the 0-based position of the most probable class (the first on a tie), as a mapping writes a key.</summary>
    public static (float[] Score, uint Key) ToScore(double[] probabilities)
    {
        var score = probabilities.Select(p => (float)p).ToArray();
        var best = 0;
        for (var k = 1; k < probabilities.Length; k++)
        {
            if (probabilities[k] > probabilities[best])
                best = k;
        }
        return (score, (uint)best);
    }

    /// <summary>Maps rows with <paramref name="map"/>, reading the input columns <paramref name="input"/> declares.</summary>
    public static IEstimator<ITransformer> Estimator<TIn, TOut>(TransformsCatalog catalog, Action<TIn, TOut> map, SchemaDefinition input, SchemaDefinition output)
        where TIn : class, new()
        where TOut : class, new() =>
        catalog.CustomMapping(map, contractName: null, input, output);
}
