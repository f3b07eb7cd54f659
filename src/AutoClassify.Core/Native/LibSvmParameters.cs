using System.Globalization;

namespace AutoClassify.Native;

/// <summary>Kernel functions of LIBSVM (<c>kernel_type</c> in svm.h).</summary>
public enum LibSvmKernel
{
    Linear = 0,
    Polynomial = 1,
    Rbf = 2,
    Sigmoid = 3,
}

/// <summary>
/// Training parameters of a LIBSVM C-SVC (<c>struct svm_parameter</c>). Defaults are those of
/// <c>svm-train</c>, except <see cref="Gamma"/>, which has no data-independent default and must be set
/// for the RBF, polynomial and sigmoid kernels. LIBSVM itself validates the values
/// (<c>svm_check_parameter</c>) before every training.
/// </summary>
public sealed record LibSvmParameters
{
    public LibSvmKernel Kernel { get; init; } = LibSvmKernel.Rbf;

    /// <summary>Cost of a margin violation (<c>-c</c>).</summary>
    public double C { get; init; } = 1;

    /// <summary>Kernel width of RBF, polynomial and sigmoid kernels (<c>-g</c>).</summary>
    public double Gamma { get; init; }

    /// <summary>Polynomial degree (<c>-d</c>).</summary>
    public int Degree { get; init; } = 3;

    /// <summary>Constant term of polynomial and sigmoid kernels (<c>-r</c>).</summary>
    public double Coef0 { get; init; }

    /// <summary>Kernel cache in megabytes (<c>-m</c>).</summary>
    public double CacheSizeMb { get; init; } = 100;

    /// <summary>Stopping tolerance of the solver (<c>-e</c>).</summary>
    public double Epsilon { get; init; } = 1e-3;

    /// <summary>Shrinking heuristics (<c>-h</c>).</summary>
    public bool Shrinking { get; init; } = true;

    /// <summary>Fit Platt-scaled pairwise probability models (<c>-b 1</c>); costs an internal 5-fold CV per class pair.</summary>
    public bool Probability { get; init; }

    /// <summary>Multiplier of <see cref="C"/> per class label (<c>-wi</c>); labels not listed keep weight 1.</summary>
    public IReadOnlyDictionary<int, double>? ClassWeights { get; init; }

    /// <summary>
    /// The values as <c>svm-train</c> options, e.g. <c>-s 0 -t 2 -c 8 -g 0.125 ...</c>, formatted
    /// invariantly. Debian's <c>svm-train</c> parses them as floats, so it trains the same model only
    /// when every value is a float (powers of two, the float-rounded weights of the SVM arm).
    /// </summary>
    public string ToCommandLine()
    {
        var parts = new List<string>
        {
            "-s 0",
            F($"-t {(int)Kernel}"),
            F($"-d {Degree}"),
            F($"-g {Gamma:R}"),
            F($"-r {Coef0:R}"),
            F($"-c {C:R}"),
            F($"-m {CacheSizeMb:R}"),
            F($"-e {Epsilon:R}"),
            F($"-h {(Shrinking ? 1 : 0)}"),
            F($"-b {(Probability ? 1 : 0)}"),
        };
        if (ClassWeights is not null)
        {
            foreach (var (label, weight) in ClassWeights.OrderBy(w => w.Key))
                parts.Add(F($"-w{label} {weight:R}"));
        }
        return string.Join(' ', parts);
    }

    public override string ToString() => ToCommandLine();

    static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
