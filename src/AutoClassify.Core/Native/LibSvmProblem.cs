using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace AutoClassify.Native;

/// <summary>
/// A training set in LIBSVM's unmanaged layout (<c>struct svm_problem</c> and its <c>svm_node</c> rows),
/// held in one native block. A model trained on it points into these rows, so every
/// <see cref="LibSvmModel"/> from <see cref="LibSvm.Train"/> keeps its problem alive until the model
/// is released too; disposing the problem first is safe.
/// </summary>
public sealed unsafe class LibSvmProblem : SafeHandleZeroOrMinusOneIsInvalid
{
    volatile bool disposed;

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Interoperability", "CA1419", Justification = "Only Create makes problems; no P/Invoke returns one.")]
    LibSvmProblem()
        : base(ownsHandle: true)
    {
    }

    /// <summary>Number of rows.</summary>
    public int Count { get; private init; }

    /// <summary>Number of features per row.</summary>
    public int Dimension { get; private init; }

    internal SvmProblemNative* Native => (SvmProblemNative*)handle;

    /// <summary>
    /// Copies dense rows and their class labels. Zeros are left out (LIBSVM's sparse convention, which
    /// changes no kernel value) and the other values are stored by <see cref="LibSvm.Quantize"/>.
    /// </summary>
    public static LibSvmProblem Create(IReadOnlyList<double[]> rows, IReadOnlyList<int> labels)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(labels);
        if (rows.Count != labels.Count)
            throw new ArgumentException($"{rows.Count} rows but {labels.Count} labels.", nameof(labels));
        if (rows.Count == 0)
            throw new ArgumentException("A LIBSVM problem needs at least one row.", nameof(rows));

        var dimension = rows[0]?.Length ?? 0;
        long nonZero = 0;
        for (var i = 0; i < rows.Count; i++)
        {
            var row = rows[i] ?? throw new ArgumentException($"Row {i} is null.", nameof(rows));
            if (row.Length != dimension)
                throw new ArgumentException($"Row {i} has {row.Length} features, row 0 has {dimension}.", nameof(rows));
            for (var j = 0; j < row.Length; j++)
            {
                if (!double.IsFinite(row[j]))
                    throw new ArgumentException($"Row {i}, feature {j} is {row[j]}; LIBSVM needs finite values.", nameof(rows));
                if (row[j] != 0)
                    nonZero++;
            }
        }

        var l = rows.Count;
        var bytes = (nuint)sizeof(SvmProblemNative) + (nuint)l * (nuint)(sizeof(double) + sizeof(IntPtr))
            + (nuint)(nonZero + l) * (nuint)sizeof(SvmNodeNative);
        var block = (byte*)NativeMemory.Alloc(bytes);
        var problem = (SvmProblemNative*)block;
        problem->L = l;
        problem->Y = (double*)(block + sizeof(SvmProblemNative));
        problem->X = (SvmNodeNative**)(problem->Y + l);
        var node = (SvmNodeNative*)(problem->X + l);
        for (var i = 0; i < l; i++)
        {
            problem->Y[i] = labels[i];
            problem->X[i] = node;
            node = LibSvm.WriteRow(rows[i], node);
        }

        var result = new LibSvmProblem { Count = l, Dimension = dimension };
        result.SetHandle((IntPtr)block);
        return result;
    }

    /// <summary>The terminated node row <paramref name="i"/>; valid while this problem is alive.</summary>
    internal SvmNodeNative* Row(int i)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(i);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(i, Count);
        return Native->X[i];
    }

    /// <summary>
    /// Takes a reference for a native call; refused once disposed, even while trained models still
    /// hold the rows (SafeHandle itself only refuses after the last reference is gone).
    /// </summary>
    internal void AddReference()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        var added = false;
        DangerousAddRef(ref added);
    }

    protected override void Dispose(bool disposing)
    {
        disposed = true;
        base.Dispose(disposing);
    }

    /// <summary>True once the native rows are freed: after disposal and after every model trained on them is released.</summary>
    internal bool NativeMemoryReleased { get; private set; }

    protected override bool ReleaseHandle()
    {
        NativeMemory.Free((void*)handle);
        NativeMemoryReleased = true;
        return true;
    }
}
