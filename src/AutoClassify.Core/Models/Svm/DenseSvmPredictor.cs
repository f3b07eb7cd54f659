using System.Buffers;
using System.Numerics.Tensors;
using AutoClassify.Native;

namespace AutoClassify.Models.Svm;

/// <summary>
/// LIBSVM 3.24's C-SVC prediction (<c>svm_predict_values</c>, <c>svm_predict_probability</c>) on dense rows, for RBF
/// and linear kernels: the kernel row of an item against every support vector comes from dense dot products
/// (<see cref="TensorPrimitives"/>, vectorized, on the caller's thread only), K = exp(−γ (|x|² + |s|² − 2 x·s)) for RBF.
/// The one-vs-one decision values, Platt's pairwise sigmoids and the pairwise coupling then follow LIBSVM's arithmetic
/// step for step, so probabilities agree with the library's to about 1e-12. Immutable, so any number of threads may
/// predict at once; each item's result depends only on that item, never on the batch or the thread count.
/// </summary>
internal sealed class DenseSvmPredictor
{
    // svm_predict_probability keeps every pairwise probability inside [1e-7, 1 - 1e-7].
    const double MinPairwiseProbability = 1e-7;

    readonly LibSvmKernel kernel;
    readonly double gamma;
    readonly int dimension;
    readonly int count;
    readonly int classCount;
    readonly double[] vectors;
    readonly double[] squaredNorms;
    readonly double[] coefficients;
    readonly int[] start;
    readonly int[] sizes;
    readonly double[] rho;
    readonly double[]? probA;
    readonly double[]? probB;

    DenseSvmPredictor(LibSvmModelContents model)
    {
        kernel = model.Kernel;
        gamma = model.Gamma;
        dimension = model.Dimension;
        count = model.SupportVectorCount;
        classCount = model.Labels.Length;
        vectors = model.SupportVectors;
        coefficients = model.Coefficients;
        sizes = model.SupportVectorsPerClass;
        start = new int[classCount];
        for (var k = 1; k < classCount; k++)
            start[k] = start[k - 1] + sizes[k - 1];
        rho = model.Rho;
        probA = model.ProbA;
        probB = model.ProbB;
        squaredNorms = new double[count];
        for (var s = 0; s < count; s++)
        {
            var vector = Vector(s);
            squaredNorms[s] = TensorPrimitives.Dot(vector, vector);
        }
    }

    /// <summary>Features per row.</summary>
    public int Dimension => dimension;

    /// <summary>Classes, in LIBSVM's label order.</summary>
    public int ClassCount => classCount;

    /// <summary>True when the model carries Platt's sigmoids, so <see cref="PredictProbabilities"/> works.</summary>
    public bool HasProbabilities => probA is not null && probB is not null;

    /// <summary>
    /// A predictor for <paramref name="model"/>, or null when this path does not cover it (another kernel or fewer than
    /// two classes): the caller then keeps LIBSVM's own prediction.
    /// </summary>
    public static DenseSvmPredictor? TryCreate(LibSvmModelContents model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var pairs = model.Labels.Length * (model.Labels.Length - 1) / 2;
        var covered = model.Kernel is LibSvmKernel.Rbf or LibSvmKernel.Linear
            && model.Labels.Length >= 2
            && (model.ProbA is null) == (model.ProbB is null)
            && (model.ProbA is null || (model.ProbA.Length == pairs && model.ProbB!.Length == pairs))
            && model.Rho.Length == pairs
            && model.SupportVectorsPerClass.Length == model.Labels.Length
            && model.SupportVectors.Length == (long)model.SupportVectorCount * model.Dimension
            && model.Coefficients.Length == (long)(model.Labels.Length - 1) * model.SupportVectorCount;
        return covered ? new DenseSvmPredictor(model) : null;
    }

    /// <summary>
    /// LIBSVM's probabilities (<see cref="ClassCount"/> per row, in label order, not renormalized) of the rows of
    /// <paramref name="rows"/> (row-major, <see cref="Dimension"/> values each, already scaled and quantized as LIBSVM's
    /// nodes hold them) into <paramref name="probabilities"/>.
    /// </summary>
    public void PredictProbabilities(ReadOnlySpan<double> rows, Span<double> probabilities)
    {
        if (probA is null || probB is null)
            throw new InvalidOperationException("This LIBSVM model was trained without probability estimates (-b 0).");
        var items = RowCount(rows);
        if (probabilities.Length != items * classCount)
            throw new ArgumentException($"Need room for {items * classCount} probabilities, got {probabilities.Length}.", nameof(probabilities));
        var pairs = classCount * (classCount - 1) / 2;
        var kernelRow = ArrayPool<double>.Shared.Rent(count);
        var work = ArrayPool<double>.Shared.Rent(pairs + 3 * classCount * classCount);
        try
        {
            var decision = work.AsSpan(0, pairs);
            var pairwise = work.AsSpan(pairs, classCount * classCount);
            var coupling = work.AsSpan(pairs + classCount * classCount, 2 * classCount * classCount);
            for (var i = 0; i < items; i++)
            {
                DecisionValues(rows.Slice(i * dimension, dimension), kernelRow.AsSpan(0, count), decision);
                Couple(decision, probA, probB, pairwise, coupling, probabilities.Slice(i * classCount, classCount));
            }
        }
        finally
        {
            ArrayPool<double>.Shared.Return(work);
            ArrayPool<double>.Shared.Return(kernelRow);
        }
    }

    /// <summary>
    /// LIBSVM's one-vs-one vote (<c>svm_predict</c>) for each row of <paramref name="rows"/>: the position in label
    /// order of the class with the most pairwise wins, the lowest position on ties.
    /// </summary>
    public void PredictVotes(ReadOnlySpan<double> rows, Span<int> positions)
    {
        var items = RowCount(rows);
        if (positions.Length != items)
            throw new ArgumentException($"Need room for {items} predictions, got {positions.Length}.", nameof(positions));
        var pairs = classCount * (classCount - 1) / 2;
        var kernelRow = ArrayPool<double>.Shared.Rent(count);
        var decision = new double[pairs];
        var votes = new int[classCount];
        try
        {
            for (var i = 0; i < items; i++)
            {
                DecisionValues(rows.Slice(i * dimension, dimension), kernelRow.AsSpan(0, count), decision);
                Array.Clear(votes);
                var p = 0;
                for (var a = 0; a < classCount; a++)
                {
                    for (var b = a + 1; b < classCount; b++)
                        votes[decision[p++] > 0 ? a : b]++;
                }
                var best = 0;
                for (var k = 1; k < classCount; k++)
                {
                    if (votes[k] > votes[best])
                        best = k;
                }
                positions[i] = best;
            }
        }
        finally
        {
            ArrayPool<double>.Shared.Return(kernelRow);
        }
    }

    int RowCount(ReadOnlySpan<double> rows)
    {
        if (rows.Length % dimension != 0)
            throw new ArgumentException($"{rows.Length} values are not whole rows of {dimension} features.", nameof(rows));
        return rows.Length / dimension;
    }

    ReadOnlySpan<double> Vector(int s) => vectors.AsSpan(s * dimension, dimension);

    /// <summary>One row's decision value per class pair (a, b), a &lt; b, in LIBSVM's pair order: positive favours a.</summary>
    void DecisionValues(ReadOnlySpan<double> x, Span<double> kernelRow, Span<double> decision)
    {
        for (var s = 0; s < count; s++)
            kernelRow[s] = TensorPrimitives.Dot(x, Vector(s));
        if (kernel == LibSvmKernel.Rbf)
        {
            var xx = TensorPrimitives.Dot(x, x);
            for (var s = 0; s < count; s++)
            {
                // Rounding can push a near-zero squared distance below 0; LIBSVM's direct sum of squares never is.
                var squaredDistance = Math.Max(xx + squaredNorms[s] - 2 * kernelRow[s], 0);
                kernelRow[s] = -gamma * squaredDistance;
            }
            TensorPrimitives.Exp(kernelRow, kernelRow);
        }

        var p = 0;
        for (var a = 0; a < classCount; a++)
        {
            for (var b = a + 1; b < classCount; b++)
            {
                // Class a's vectors carry their coefficient against b in row b − 1; class b's against a in row a.
                var sum = TensorPrimitives.Dot(
                    coefficients.AsSpan((b - 1) * count + start[a], sizes[a]), kernelRow.Slice(start[a], sizes[a]));
                sum += TensorPrimitives.Dot(
                    coefficients.AsSpan(a * count + start[b], sizes[b]), kernelRow.Slice(start[b], sizes[b]));
                decision[p] = sum - rho[p];
                p++;
            }
        }
    }

    /// <summary>Platt's sigmoid per pair, then (three or more classes) LIBSVM's pairwise coupling.</summary>
    void Couple(ReadOnlySpan<double> decision, double[] probA, double[] probB, Span<double> pairwise, Span<double> work, Span<double> probabilities)
    {
        var k = classCount;
        var p = 0;
        for (var a = 0; a < k; a++)
        {
            for (var b = a + 1; b < k; b++)
            {
                var r = Math.Min(Math.Max(Sigmoid(decision[p], probA[p], probB[p]), MinPairwiseProbability), 1 - MinPairwiseProbability);
                pairwise[a * k + b] = r;
                pairwise[b * k + a] = 1 - r;
                p++;
            }
        }
        if (k == 2)
        {
            probabilities[0] = pairwise[1];
            probabilities[1] = pairwise[2];
            return;
        }
        PairwiseCoupling.Solve(k, pairwise, work, probabilities);
    }

    /// <summary>P(first class of the pair) = 1 / (1 + exp(A f + B)), written so that neither branch overflows.</summary>
    static double Sigmoid(double decision, double a, double b)
    {
        var z = decision * a + b;
        if (z >= 0)
        {
            var e = Math.Exp(-z);
            return e / (1.0 + e);
        }
        return 1.0 / (1 + Math.Exp(z));
    }
}
