namespace AutoClassify.Native;

/// <summary>
/// The numbers of a LIBSVM C-SVC model, copied out of its <c>struct svm_model</c> (<see cref="LibSvmModel.ReadContents"/>):
/// kernel and gamma, the support vectors made dense, the one-vs-one coefficients and constants, and Platt's sigmoids.
/// Enough to evaluate the model without LIBSVM; arrays are owned by this object and never shared with the library.
/// </summary>
public sealed class LibSvmModelContents
{
    /// <summary>The kernel function.</summary>
    public required LibSvmKernel Kernel { get; init; }

    /// <summary>Kernel width (RBF, polynomial, sigmoid).</summary>
    public required double Gamma { get; init; }

    /// <summary>Features per row; feature index i of LIBSVM (1-based) is column i − 1.</summary>
    public required int Dimension { get; init; }

    /// <summary>Class labels in LIBSVM's internal order.</summary>
    public required int[] Labels { get; init; }

    /// <summary>Support vectors of each class in <see cref="Labels"/> order; they are stored grouped by class in this order.</summary>
    public required int[] SupportVectorsPerClass { get; init; }

    /// <summary>Support vectors × <see cref="Dimension"/> values, row-major; features a vector leaves out are 0.</summary>
    public required double[] SupportVectors { get; init; }

    /// <summary>(classes − 1) rows of one dual coefficient per support vector, row-major (<c>sv_coef</c>).</summary>
    public required double[] Coefficients { get; init; }

    /// <summary>One constant per class pair (0,1), (0,2), …, (1,2), …, subtracted from the decision value.</summary>
    public required double[] Rho { get; init; }

    /// <summary>Platt's sigmoid slope per class pair; null for a model trained without probability estimates.</summary>
    public double[]? ProbA { get; init; }

    /// <summary>Platt's sigmoid offset per class pair; null for a model trained without probability estimates.</summary>
    public double[]? ProbB { get; init; }

    /// <summary>Total number of support vectors.</summary>
    public int SupportVectorCount => SupportVectorsPerClass.Sum();
}
