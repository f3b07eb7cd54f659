using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace AutoClassify.MLNet;

/// <summary>Reads whole columns of an <see cref="IDataView"/> into arrays, naming the column and the row on bad input.</summary>
internal static class DataViewColumns
{
    /// <summary>
    /// A key-typed label column as 0-based classes, with the class names from its key values (else <c>1</c>..<c>k</c>).
    /// A text or number label is refused with the usual ML.NET fix; a missing key (0) names its row.
    /// </summary>
    public static (int[] Labels, string[] ClassNames) ReadLabels(IDataView data, string columnName)
    {
        var column = Find(data.Schema, columnName);
        if (column.Type is not KeyDataViewType key || key.RawType != typeof(uint))
        {
            throw new ArgumentOutOfRangeException(nameof(columnName),
                $"Label column '{columnName}' has type {column.Type}; the trainers need a key (append mlContext.Transforms.Conversion.MapValueToKey(\"{columnName}\") first).");
        }
        var names = ClassNames(column, checked((int)key.Count));
        var labels = new List<int>();
        using var cursor = data.GetRowCursor([column]);
        var getter = cursor.GetGetter<uint>(column);
        uint value = 0;
        while (cursor.MoveNext())
        {
            getter(ref value);
            if (value == 0)
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"Row {cursor.Position} has no label (a missing key in column '{columnName}')."));
            labels.Add((int)value - 1);
        }
        return ([.. labels], names);
    }

    /// <summary>The names of a key column's values (its <c>KeyValues</c> annotation), or <c>1</c>..<c>count</c>.</summary>
    public static string[] ClassNames(DataViewSchema.Column column, int count)
    {
        if (column.Annotations.Schema.GetColumnOrNull(AutoClassifyColumns.KeyValues) is { Type: VectorDataViewType { ItemType: TextDataViewType } })
        {
            var values = default(VBuffer<ReadOnlyMemory<char>>);
            column.Annotations.GetValue(AutoClassifyColumns.KeyValues, ref values);
            var names = values.DenseValues().Select(v => v.ToString()).ToArray();
            if (names.Length == count)
                return names;
        }
        return [.. Enumerable.Range(1, count).Select(k => k.ToString(CultureInfo.InvariantCulture))];
    }

    /// <summary>A known-size float vector column, row by row, with its slot names (else <c>f0</c>..).</summary>
    public static (double[][] Rows, string[] Names) ReadVectors(IDataView data, string columnName)
    {
        var column = Find(data.Schema, columnName);
        if (column.Type is not VectorDataViewType { ItemType: NumberDataViewType number, Size: > 0 and var size } || number.RawType != typeof(float))
            throw new ArgumentOutOfRangeException(nameof(columnName), $"Feature column '{columnName}' has type {column.Type}; expected a known-size vector of Single.");
        var rows = new List<double[]>();
        using var cursor = data.GetRowCursor([column]);
        var getter = cursor.GetGetter<VBuffer<float>>(column);
        var buffer = default(VBuffer<float>);
        while (cursor.MoveNext())
        {
            getter(ref buffer);
            var row = buffer.DenseValues().Select(v => (double)v).ToArray();
            if (!row.All(double.IsFinite))
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"Row {cursor.Position} of column '{columnName}' holds a value that is not finite."));
            rows.Add(row);
        }
        return ([.. rows], SlotNames(column, size));
    }

    /// <summary>A text column, row by row.</summary>
    public static string[] ReadText(IDataView data, string columnName)
    {
        var column = Find(data.Schema, columnName);
        if (column.Type is not TextDataViewType)
            throw new ArgumentOutOfRangeException(nameof(columnName), $"Column '{columnName}' has type {column.Type}; expected text.");
        var values = new List<string>();
        using var cursor = data.GetRowCursor([column]);
        var getter = cursor.GetGetter<ReadOnlyMemory<char>>(column);
        var value = default(ReadOnlyMemory<char>);
        while (cursor.MoveNext())
        {
            getter(ref value);
            values.Add(value.ToString());
        }
        return [.. values];
    }

    /// <summary>The column, or an exception naming it and the columns there are.</summary>
    public static DataViewSchema.Column Find(DataViewSchema schema, string columnName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(columnName);
        return schema.GetColumnOrNull(columnName)
            ?? throw new ArgumentOutOfRangeException(nameof(columnName), $"Column '{columnName}' not found; the data has {string.Join(", ", schema.Select(c => c.Name))}.");
    }

    static string[] SlotNames(DataViewSchema.Column column, int size)
    {
        if (column.Annotations.Schema.GetColumnOrNull(AutoClassifyColumns.SlotNames) is { Type: VectorDataViewType { ItemType: TextDataViewType } })
        {
            var values = default(VBuffer<ReadOnlyMemory<char>>);
            column.Annotations.GetValue(AutoClassifyColumns.SlotNames, ref values);
            var names = values.DenseValues().Select(v => v.ToString()).ToArray();
            if (names.Length == size && names.All(n => n.Length > 0) && names.Distinct(StringComparer.Ordinal).Count() == size)
                return names;
        }
        return [.. Enumerable.Range(0, size).Select(j => "f" + j.ToString(CultureInfo.InvariantCulture))];
    }
}
