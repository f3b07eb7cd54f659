using System.Runtime.InteropServices;

namespace AutoClassify.Native;

/// <summary><c>struct svm_model</c> of LIBSVM 3.24 (field order and types exactly as in svm.h); read, never written.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct SvmModelNative
{
    public SvmParameterNative Param;
    public int NrClass;
    public int L;
    public SvmNodeNative** SV;
    public double** SvCoef;
    public double* Rho;
    public double* ProbA;
    public double* ProbB;
    public int* SvIndices;
    public int* Label;
    public int* NSV;
    public int FreeSv;
}
