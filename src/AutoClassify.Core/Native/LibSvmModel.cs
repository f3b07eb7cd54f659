using System.Buffers;
using System.Runtime.InteropServices;
using AutoClassify.IO;
using Microsoft.Win32.SafeHandles;

namespace AutoClassify.Native;

/// <summary>
/// A LIBSVM classifier (<c>struct svm_model</c>), released with <c>svm_free_and_destroy_model</c>.
/// A model from <see cref="LibSvm.Train"/> keeps its training <see cref="LibSvmProblem"/> alive (its
/// support vectors point into the problem's rows); a model from <see cref="Load"/> owns all its memory.
/// Prediction is thread-safe.
/// </summary>
public sealed unsafe class LibSvmModel : SafeHandleZeroOrMinusOneIsInvalid
{
    readonly LibSvmProblem? trainingProblem;
    readonly int[] labels;

    // Takes over one reference on trainingProblem (taken by LibSvm.Train), given back in ReleaseHandle.
    internal LibSvmModel(IntPtr model, LibSvmProblem? trainingProblem)
        : base(ownsHandle: true)
    {
        SetHandle(model);
        this.trainingProblem = trainingProblem;
        ClassCount = NativeMethods.SvmGetNrClass(model);
        labels = new int[ClassCount];
        fixed (int* p = labels)
            NativeMethods.SvmGetLabels(model, p);
        SupportVectorCount = NativeMethods.SvmGetNrSv(model);
        HasProbabilityModel = NativeMethods.SvmCheckProbabilityModel(model) != 0;
    }

    /// <summary>Number of classes the model separates.</summary>
    public int ClassCount { get; }

    /// <summary>
    /// The class labels in LIBSVM's internal order (order of first appearance in the training rows):
    /// entry <c>k</c> of <see cref="PredictProbability"/>'s output belongs to <c>Labels[k]</c>.
    /// </summary>
    public IReadOnlyList<int> Labels => labels;

    /// <summary>Total number of support vectors.</summary>
    public int SupportVectorCount { get; }

    /// <summary>True when the model was trained with probability estimates (<c>-b 1</c>).</summary>
    public bool HasProbabilityModel { get; }

    /// <summary>The predicted class label of a dense row (one-vs-one voting on decision values).</summary>
    public int Predict(ReadOnlySpan<double> row) => Call(row, [], &PredictLabel);

    /// <summary>
    /// Writes the class probabilities of a dense row into <paramref name="probabilities"/> (length
    /// <see cref="ClassCount"/>, ordered like <see cref="Labels"/>) and returns the label LIBSVM predicts
    /// from them (the most probable one).
    /// </summary>
    public int PredictProbability(ReadOnlySpan<double> row, Span<double> probabilities)
    {
        if (!HasProbabilityModel)
            throw new InvalidOperationException("This LIBSVM model was trained without probability estimates (-b 0).");
        if (probabilities.Length != ClassCount)
            throw new ArgumentException($"Need room for {ClassCount} probabilities, got {probabilities.Length}.", nameof(probabilities));
        return Call(row, probabilities, &NativeMethods.SvmPredictProbability);
    }

    /// <summary>
    /// Writes LIBSVM's one-vs-one decision values of a dense row (<c>svm_predict_values</c>) into <paramref name="decisionValues"/>
    /// (one per pair (0,1), (0,2), …, (1,2), … of <see cref="Labels"/>, positive for the first) and returns the voted label.
    /// </summary>
    public int PredictValues(ReadOnlySpan<double> row, Span<double> decisionValues)
    {
        var pairs = ClassCount * (ClassCount - 1) / 2;
        if (decisionValues.Length != pairs)
            throw new ArgumentException($"Need room for {pairs} decision values, got {decisionValues.Length}.", nameof(decisionValues));
        return Call(row, decisionValues, &NativeMethods.SvmPredictValues);
    }

    static double PredictLabel(IntPtr model, SvmNodeNative* nodes, double* _) => NativeMethods.SvmPredict(model, nodes);

    // One native prediction of a dense row: its nodes rented for the call and the model handle held across it.
    int Call(ReadOnlySpan<double> row, Span<double> output, delegate*<IntPtr, SvmNodeNative*, double*, double> predict)
    {
        var buffer = RentNodes(row);
        var added = false;
        DangerousAddRef(ref added);
        try
        {
            fixed (SvmNodeNative* nodes = buffer)
            fixed (double* values = output)
                return (int)predict(handle, nodes, values);
        }
        finally
        {
            DangerousRelease();
            ArrayPool<SvmNodeNative>.Shared.Return(buffer);
        }
    }

    /// <summary>Predicts row <paramref name="i"/> of a problem whose rows were already converted.</summary>
    internal int Predict(LibSvmProblem rows, int i)
    {
        rows.AddReference();
        var added = false;
        DangerousAddRef(ref added);
        try
        {
            return (int)NativeMethods.SvmPredict(handle, rows.Row(i));
        }
        finally
        {
            DangerousRelease();
            rows.DangerousRelease();
        }
    }

    /// <summary>
    /// Copies the model's numbers out of its <c>struct svm_model</c>, with every support vector made dense over
    /// <paramref name="dimension"/> features. Throws <see cref="InvalidDataException"/> when a support vector names a
    /// feature outside 1..<paramref name="dimension"/> or the model is not a C-SVC.
    /// </summary>
    public LibSvmModelContents ReadContents(int dimension)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        var added = false;
        DangerousAddRef(ref added);
        try
        {
            var model = (SvmModelNative*)handle;
            if (model->Param.SvmType != NativeMethods.SvmTypeCSvc)
                throw new InvalidDataException($"The LIBSVM model is of svm_type {model->Param.SvmType}, not a C-SVC classifier.");
            var classes = model->NrClass;
            var count = model->L;
            var pairs = classes * (classes - 1) / 2;
            var vectors = new double[(long)count * dimension];
            for (var v = 0; v < count; v++)
            {
                for (var node = model->SV[v]; node->Index != -1; node++)
                {
                    if (node->Index < 1 || node->Index > dimension)
                        throw new InvalidDataException($"Support vector {v + 1} of the LIBSVM model has feature index {node->Index}, outside 1..{dimension}.");
                    vectors[(long)v * dimension + node->Index - 1] = node->Value;
                }
            }
            var coefficients = new double[(long)Math.Max(classes - 1, 0) * count];
            for (var c = 0; c < classes - 1; c++)
                new ReadOnlySpan<double>(model->SvCoef[c], count).CopyTo(coefficients.AsSpan(c * count, count));
            return new LibSvmModelContents
            {
                Kernel = (LibSvmKernel)model->Param.KernelType,
                Gamma = model->Param.Gamma,
                Dimension = dimension,
                Labels = new ReadOnlySpan<int>(model->Label, classes).ToArray(),
                SupportVectorsPerClass = new ReadOnlySpan<int>(model->NSV, classes).ToArray(),
                SupportVectors = vectors,
                Coefficients = coefficients,
                Rho = new ReadOnlySpan<double>(model->Rho, pairs).ToArray(),
                ProbA = model->ProbA is null ? null : new ReadOnlySpan<double>(model->ProbA, pairs).ToArray(),
                ProbB = model->ProbB is null ? null : new ReadOnlySpan<double>(model->ProbB, pairs).ToArray(),
            };
        }
        finally
        {
            DangerousRelease();
        }
    }

    /// <summary>
    /// Writes LIBSVM's model text to <paramref name="path"/> atomically (a temporary file in the same
    /// directory, then a rename), so a reader never sees half a model.
    /// </summary>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        AtomicFile.WriteVia(path, temporary =>
        {
            int rc;
            var added = false;
            DangerousAddRef(ref added);
            try
            {
                rc = LibSvm.WithGlobalState(() => NativeMethods.SvmSaveModel(temporary, handle));
            }
            finally
            {
                DangerousRelease();
            }
            if (rc != 0)
                throw new IOException($"LIBSVM could not write the model file '{temporary}' (svm_save_model returned {rc}).");
        });
    }

    /// <summary>Reads a LIBSVM model file (as written by <see cref="Save"/> or <c>svm-train</c>).</summary>
    public static LibSvmModel Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = Path.GetFullPath(path);
        if (!File.Exists(full))
            throw new FileNotFoundException($"LIBSVM model file '{full}' does not exist.", full);
        var model = LibSvm.WithGlobalState(() => NativeMethods.SvmLoadModel(full));
        if (model == IntPtr.Zero)
            throw new InvalidDataException($"'{full}' is not a readable LIBSVM model file (svm_load_model failed).");
        var result = new LibSvmModel(model, trainingProblem: null);
        if (NativeMethods.SvmGetSvmType(model) != NativeMethods.SvmTypeCSvc)
        {
            result.Dispose();
            throw new InvalidDataException($"'{full}' holds a LIBSVM model that is not a C-SVC classifier.");
        }
        return result;
    }

    protected override bool ReleaseHandle()
    {
        var model = handle;
        NativeMethods.SvmFreeAndDestroyModel(&model);
        trainingProblem?.DangerousRelease();
        return true;
    }

    static SvmNodeNative[] RentNodes(ReadOnlySpan<double> row)
    {
        var count = 1;
        foreach (var v in row)
        {
            if (!double.IsFinite(v))
                throw new ArgumentException($"Feature value {v} is not finite; LIBSVM needs finite values.", nameof(row));
            if (v != 0)
                count++;
        }
        var buffer = ArrayPool<SvmNodeNative>.Shared.Rent(count);
        fixed (SvmNodeNative* nodes = buffer)
            LibSvm.WriteRow(row, nodes);
        return buffer;
    }
}
