using Microsoft.ML;
using Microsoft.ML.Data;

namespace AutoClassify.MLNet;

/// <summary>
/// A fitted AutoClassify model in an ML.NET pipeline (a LIBSVM or LipNet fit, or an opened <c>.acpkg</c>): it adds
/// <see cref="AutoClassifyColumns.Score"/> and <see cref="AutoClassifyColumns.PredictedLabel"/> (a key named by the
/// classes) and works with <c>Transform</c>, <c>Evaluate</c> and <c>PredictionEngine</c>. ML.NET's
/// <c>mlContext.Model.Save</c> cannot store it; AutoClassify models are stored as packages (<c>autoclassify train</c>).
/// Dispose it to free the native model.
/// </summary>
public sealed class AutoClassifyTransformer : ITransformer, IDisposable
{
    readonly ITransformer mapping;
    readonly IDisposable? owned;
    int disposed;

    internal AutoClassifyTransformer(string kind, IReadOnlyList<string> classNames, ITransformer mapping, IDisposable? owned,
        IReadOnlyDictionary<string, string>? facts = null)
    {
        Kind = kind;
        ClassNames = classNames;
        this.mapping = mapping;
        this.owned = owned;
        Facts = facts ?? new Dictionary<string, string>();
    }

    /// <summary>The model kind, e.g. <c>svm</c> or <c>lipnet4</c>.</summary>
    public string Kind { get; }

    /// <summary>Class names in key order: key value k + 1 is <c>ClassNames[k]</c>.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>What the fit chose (tuned C and γ, epochs, …) or what the package records.</summary>
    public IReadOnlyDictionary<string, string> Facts { get; }

    public bool IsRowToRowMapper => mapping.IsRowToRowMapper;

    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => mapping.GetOutputSchema(inputSchema);

    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => mapping.GetRowToRowMapper(inputSchema);

    public IDataView Transform(IDataView input) => mapping.Transform(input);

    void ICanSaveModel.Save(ModelSaveContext ctx) => throw new NotSupportedException(
        $"An AutoClassify {Kind} model cannot be saved into an ML.NET model file; train and store it as a package (autoclassify train --model {Kind}) and open it with mlContext.Model.LoadAutoClassifyPackage.");

    /// <summary>Frees the model (once; later calls do nothing).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 0)
            owned?.Dispose();
    }
}
