using System.Runtime.InteropServices;

namespace AutoClassify.Native;

/// <summary><c>struct svm_node</c> of LIBSVM 3.24: one (index, value) pair; index -1 ends a row.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct SvmNodeNative
{
    public int Index;
    public double Value;
}

/// <summary><c>struct svm_problem</c> of LIBSVM 3.24.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct SvmProblemNative
{
    public int L;
    public double* Y;
    public SvmNodeNative** X;
}

/// <summary><c>struct svm_parameter</c> of LIBSVM 3.24 (field order and types exactly as in svm.h).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct SvmParameterNative
{
    public int SvmType;
    public int KernelType;
    public int Degree;
    public double Gamma;
    public double Coef0;
    public double CacheSize;
    public double Eps;
    public double C;
    public int NrWeight;
    public int* WeightLabel;
    public double* Weight;
    public double Nu;
    public double P;
    public int Shrinking;
    public int Probability;
}

/// <summary>Entry points of Debian's <c>libsvm.so.3</c> (3.24), called directly without the shim.</summary>
internal static unsafe partial class NativeMethods
{
    internal const int SvmTypeCSvc = 0;

    [LibraryImport(NativeLibraryLoader.LibSvmName, EntryPoint = "svm_train")]
    internal static partial IntPtr SvmTrain(SvmProblemNative* problem, SvmParameterNative* parameter);

    [LibraryImport(NativeLibraryLoader.LibSvmName, EntryPoint = "svm_check_parameter")]
    internal static partial IntPtr SvmCheckParameter(SvmProblemNative* problem, SvmParameterNative* parameter);

    [LibraryImport(NativeLibraryLoader.LibSvmName, EntryPoint = "svm_save_model", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int SvmSaveModel(string path, IntPtr model);

    [LibraryImport(NativeLibraryLoader.LibSvmName, EntryPoint = "svm_load_model", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr SvmLoadModel(string path);

    [LibraryImport(NativeLibraryLoader.LibSvmName, EntryPoint = "svm_get_svm_type")]
    internal static partial int SvmGetSvmType(IntPtr model);

    [LibraryImport(NativeLibraryLoader.LibSvmName, EntryPoint = "svm_get_nr_class")]
    internal static partial int SvmGetNrClass(IntPtr model);

    [LibraryImport(NativeLibraryLoader.LibSvmName, EntryPoint = "svm_get_labels")]
    internal static partial void SvmGetLabels(IntPtr model, int* labels);

    [LibraryImport(NativeLibraryLoader.LibSvmName, EntryPoint = "svm_get_nr_sv")]
    internal static partial int SvmGetNrSv(IntPtr model);

    [LibraryImport(NativeLibraryLoader.LibSvmName, EntryPoint = "svm_check_probability_model")]
    internal static partial int SvmCheckProbabilityModel(IntPtr model);

    [LibraryImport(NativeLibraryLoader.LibSvmName, EntryPoint = "svm_predict")]
    internal static partial double SvmPredict(IntPtr model, SvmNodeNative* x);

    [LibraryImport(NativeLibraryLoader.LibSvmName, EntryPoint = "svm_predict_values")]
    internal static partial double SvmPredictValues(IntPtr model, SvmNodeNative* x, double* decisionValues);

    [LibraryImport(NativeLibraryLoader.LibSvmName, EntryPoint = "svm_predict_probability")]
    internal static partial double SvmPredictProbability(IntPtr model, SvmNodeNative* x, double* probabilities);

    [LibraryImport(NativeLibraryLoader.LibSvmName, EntryPoint = "svm_free_and_destroy_model")]
    internal static partial void SvmFreeAndDestroyModel(IntPtr* model);

    [LibraryImport(NativeLibraryLoader.LibSvmName, EntryPoint = "svm_set_print_string_function")]
    internal static partial void SvmSetPrintStringFunction(delegate* unmanaged[Cdecl]<byte*, void> print);

    // LIBSVM's probability estimates shuffle with the C library's global rand(); seeding it is how a run repeats.
    [LibraryImport("libc.so.6", EntryPoint = "srand")]
    internal static partial void CSrand(uint seed);
}
