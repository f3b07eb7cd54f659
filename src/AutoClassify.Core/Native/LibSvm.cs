using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace AutoClassify.Native;

/// <summary>
/// Entry point to Debian's LIBSVM 3.24 (<c>libsvm.so.3</c>): checked training, the library's console
/// output routed to a log, and reproducible probability estimates.
/// </summary>
public static unsafe class LibSvm
{
    // Guards the C library's process-wide state that LIBSVM touches: rand() (probability estimates)
    // and setlocale() (model files).
    static readonly Lock GlobalState = new();

    static readonly double[] PowersOfTen = Enumerable.Range(0, 23).Select(k => Math.Pow(10, k)).ToArray();

    [ThreadStatic]
    static LineSink? currentSink;

    static LibSvm() => NativeMethods.SvmSetPrintStringFunction(&Print);

    /// <summary>The loaded library's <c>libsvm_version</c>, e.g. 324 for 3.24.</summary>
    public static int Version
    {
        get
        {
            var library = NativeLibrary.Load(NativeLibraryLoader.LibSvmName, typeof(LibSvm).Assembly, null);
            return *(int*)NativeLibrary.GetExport(library, "libsvm_version");
        }
    }

    /// <summary>LIBSVM's own verdict on the parameters for this problem: null when valid, else its message.</summary>
    public static string? CheckParameter(LibSvmProblem problem, LibSvmParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(problem);
        ArgumentNullException.ThrowIfNull(parameters);
        return WithNativeParameters(problem, parameters, (p, native) =>
            Marshal.PtrToStringUTF8(NativeMethods.SvmCheckParameter(p, native)));
    }

    /// <summary>
    /// Trains a C-SVC after <c>svm_check_parameter</c> accepted the parameters (otherwise throws
    /// <see cref="ArgumentException"/> with LIBSVM's message and the values). With
    /// <see cref="LibSvmParameters.Probability"/>, the C library's <c>rand()</c> is seeded with
    /// <paramref name="seed"/> under a process-wide lock, so the probability estimates repeat exactly;
    /// without it no randomness is involved and calls run concurrently. LIBSVM's progress text goes to
    /// <paramref name="log"/> line by line, or nowhere.
    /// </summary>
    public static LibSvmModel Train(LibSvmProblem problem, LibSvmParameters parameters, int seed, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(problem);
        ArgumentNullException.ThrowIfNull(parameters);
        problem.AddReference();
        var added = true;
        try
        {
            var model = WithNativeParameters(problem, parameters, (p, native) =>
            {
                var error = NativeMethods.SvmCheckParameter(p, native);
                if (error != IntPtr.Zero)
                {
                    throw new ArgumentException(
                        $"LIBSVM rejected the parameters: {Marshal.PtrToStringUTF8(error)} (svm-train {parameters.ToCommandLine()}).",
                        nameof(parameters));
                }
                var previous = currentSink;
                currentSink = log is null ? null : new LineSink(log);
                try
                {
                    var trained = parameters.Probability
                        ? WithGlobalState(() =>
                        {
                            NativeMethods.CSrand((uint)seed);
                            return NativeMethods.SvmTrain(p, native);
                        })
                        : NativeMethods.SvmTrain(p, native);
                    if (trained != IntPtr.Zero)
                        ForgetWeights(trained);
                    return trained;
                }
                finally
                {
                    currentSink?.Flush();
                    currentSink = previous;
                }
            });
            if (model == IntPtr.Zero)
                throw new InvalidOperationException("svm_train returned no model (out of native memory?).");
            added = false;
            return new LibSvmModel(model, problem);
        }
        finally
        {
            if (added)
                problem.DangerousRelease();
        }
    }

    /// <summary>
    /// Rounds to 8 significant digits, returning the double nearest to that decimal. LIBSVM writes
    /// support vectors with <c>%.8g</c>; values already at that precision survive a save and load
    /// bit for bit, so a saved model predicts exactly like the live one. Zero stays zero.
    /// </summary>
    public static double Quantize(double value)
    {
        if (value == 0 || !double.IsFinite(value))
            return value;
        var exponent = (int)Math.Floor(Math.Log10(Math.Abs(value)));
        var k = 7 - exponent;
        for (var attempt = 0; attempt < 2 && k is >= 0 and <= 22; attempt++)
        {
            // A whole number below 2^53 divided by an exact power of ten is correctly rounded: what strtod returns.
            var digits = Math.Round(value * PowersOfTen[k]);
            var magnitude = Math.Abs(digits);
            if (magnitude >= 1e8)
                k--;
            else if (magnitude < 1e7 && k < 22)
                k++;
            else
                return digits / PowersOfTen[k];
        }
        return double.Parse(value.ToString("G8", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
    }

    /// <summary>Runs <paramref name="action"/> holding the lock over the C library's global state.</summary>
    internal static T WithGlobalState<T>(Func<T> action)
    {
        lock (GlobalState)
            return action();
    }

    /// <summary>Writes a dense row as terminated, quantized sparse nodes; returns the node after the terminator.</summary>
    internal static SvmNodeNative* WriteRow(ReadOnlySpan<double> row, SvmNodeNative* node)
    {
        for (var j = 0; j < row.Length; j++)
        {
            if (row[j] == 0)
                continue;
            node->Index = j + 1;
            node->Value = Quantize(row[j]);
            node++;
        }
        node->Index = -1;
        node->Value = 0;
        return node + 1;
    }

    static T WithNativeParameters<T>(LibSvmProblem problem, LibSvmParameters parameters, NativeCall<T> call)
    {
        var weights = parameters.ClassWeights?.OrderBy(w => w.Key).ToArray() ?? [];
        var weightLabels = weights.Select(w => w.Key).ToArray();
        var weightValues = weights.Select(w => w.Value).ToArray();
        problem.AddReference();
        try
        {
            fixed (int* labels = weightLabels)
            fixed (double* values = weightValues)
            {
                var native = new SvmParameterNative
                {
                    SvmType = NativeMethods.SvmTypeCSvc,
                    KernelType = (int)parameters.Kernel,
                    Degree = parameters.Degree,
                    Gamma = parameters.Gamma,
                    Coef0 = parameters.Coef0,
                    CacheSize = parameters.CacheSizeMb,
                    Eps = parameters.Epsilon,
                    C = parameters.C,
                    NrWeight = weights.Length,
                    WeightLabel = labels,
                    Weight = values,
                    Nu = 0.5,
                    P = 0.1,
                    Shrinking = parameters.Shrinking ? 1 : 0,
                    Probability = parameters.Probability ? 1 : 0,
                };
                return call(problem.Native, &native);
            }
        }
        finally
        {
            problem.DangerousRelease();
        }
    }

    // svm_train copies the parameter struct shallowly; its weight pointers would dangle once our pinned arrays move.
    static void ForgetWeights(IntPtr model)
    {
        var parameter = (SvmParameterNative*)model;
        parameter->NrWeight = 0;
        parameter->WeightLabel = null;
        parameter->Weight = null;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    static void Print(byte* text)
    {
        // An exception must not unwind into C; the log is best effort.
        try
        {
            currentSink?.Append(Marshal.PtrToStringUTF8((IntPtr)text));
        }
        catch (Exception)
        {
            currentSink = null;
        }
    }

    delegate T NativeCall<T>(SvmProblemNative* problem, SvmParameterNative* parameter);

    sealed class LineSink(Action<string> log)
    {
        readonly StringBuilder pending = new();

        public void Append(string? text)
        {
            foreach (var c in text ?? "")
            {
                if (c == '\n')
                    Flush();
                else
                    pending.Append(c);
            }
        }

        public void Flush()
        {
            if (pending.Length == 0)
                return;
            log("libsvm: " + pending);
            pending.Clear();
        }
    }
}
