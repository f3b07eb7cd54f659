using Microsoft.ML;
using Microsoft.ML.Data;

namespace AutoClassify.MLNet;

/// <summary>
/// Plain arrays to ML.NET's <see cref="IDataView"/> and back: standardized feature rows as a fixed-size
/// <c>Features</c> vector, the class's position among the trained classes as a plain <c>Label</c> value (made a key
/// by <see cref="MLNetLearner.Pipeline"/>), the example weight, and the <c>Score</c> column read back as one
/// probability row per item.
/// </summary>
internal static class MLNetData
{
    /// <summary>One row of the data view.</summary>
    internal sealed class Row
    {
        public float[] Features { get; set; } = [];

        public uint Label { get; set; }

        public float Weight { get; set; }
    }

    /// <summary>
    /// A data view of <paramref name="rows"/>; <paramref name="labels"/> are 0-based positions among the trained
    /// classes, or null for unlabeled rows (prediction).
    /// </summary>
    public static IDataView Load(MLContext context, double[][] rows, int dimension, int[]? labels, float[]? weights)
    {
        var schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, dimension);
        var items = new Row[rows.Length];
        for (var i = 0; i < rows.Length; i++)
        {
            var features = new float[dimension];
            for (var j = 0; j < dimension; j++)
                features[j] = (float)rows[i][j];
            items[i] = new Row
            {
                Features = features,
                Label = labels is null ? 0 : (uint)labels[i],
                Weight = weights?[i] ?? 1,
            };
        }
        return context.Data.LoadFromEnumerable(items, schema);
    }

    /// <summary>
    /// The <c>Score</c> vector of every row, as probabilities that sum to 1 (ML.NET's one-versus-all output is
    /// normalised already; the renormalisation only removes float rounding). A NaN or negative score counts as 0, and a
    /// row without any positive score gets the uniform distribution.
    /// </summary>
    public static double[][] ReadScores(IDataView scored, int width)
    {
        var column = scored.Schema[MLNetLearner.ScoreColumn];
        if (column.Type is not VectorDataViewType { Size: var size } || size != width)
            throw new InvalidDataException($"the ML.NET model's Score column has type {column.Type}, expected a vector of {width} probabilities");
        var result = new List<double[]>();
        using var cursor = scored.GetRowCursor([column]);
        var getter = cursor.GetGetter<VBuffer<float>>(column);
        var buffer = default(VBuffer<float>);
        while (cursor.MoveNext())
        {
            getter(ref buffer);
            var row = new double[width];
            var dense = buffer.DenseValues().ToArray();
            var sum = 0.0;
            for (var k = 0; k < width; k++)
            {
                var v = dense[k];
                row[k] = float.IsFinite(v) && v > 0 ? v : 0;
                sum += row[k];
            }
            for (var k = 0; k < width; k++)
                row[k] = sum > 0 ? row[k] / sum : 1.0 / width;
            result.Add(row);
        }
        return [.. result];
    }
}
