using Microsoft.ML;
using Microsoft.ML.Data;

namespace AutoClassify.MLNet;

/// <summary>The rows of a data view whose position is marked in <c>keep</c>, in order (a fold's train or test side).</summary>
internal sealed class RowSubsetView : IDataView
{
    readonly IDataView source;
    readonly bool[] keep;
    readonly long count;

    public RowSubsetView(IDataView source, bool[] keep)
    {
        this.source = source;
        this.keep = keep;
        count = keep.LongCount(k => k);
    }

    public bool CanShuffle => false;

    public DataViewSchema Schema => source.Schema;

    public long? GetRowCount() => count;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) =>
        new Cursor(source.GetRowCursor(columnsNeeded), keep);

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];

    sealed class Cursor(DataViewRowCursor inner, bool[] keep) : DataViewRowCursor
    {
        long position = -1;
        long sourceRow = -1;

        public override DataViewSchema Schema => inner.Schema;

        public override long Position => position;

        public override long Batch => 0;

        public override bool MoveNext()
        {
            while (inner.MoveNext())
            {
                sourceRow++;
                if (sourceRow >= keep.Length)
                    throw new InvalidOperationException($"The data view yielded more than the {keep.Length} rows it had when the folds were assigned.");
                if (keep[sourceRow])
                {
                    position++;
                    return true;
                }
            }
            return false;
        }

        public override ValueGetter<DataViewRowId> GetIdGetter() => inner.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column) => inner.IsColumnActive(column);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) => inner.GetGetter<TValue>(column);

        protected override void Dispose(bool disposing)
        {
            if (disposing)
                inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
