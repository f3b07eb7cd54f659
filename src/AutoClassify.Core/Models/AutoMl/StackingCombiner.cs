using System.Globalization;

namespace AutoClassify.Models.AutoMl;

/// <summary>
/// The meta-learner of a stacked ensemble: a multinomial logistic regression on the members' class probabilities
/// (member 1's C probabilities, then member 2's, ..., then a constant 1), with an L2 penalty on the weights and the
/// classes weighted inversely to their frequency, as the SVMs' class weights are. Fitted by Nesterov-accelerated
/// gradient descent with a fixed step from the loss's Lipschitz bound, so a fit repeats exactly.
/// </summary>
public sealed class StackingCombiner
{
    /// <summary>The L2 penalty on the weights (not on the intercepts).</summary>
    public const double L2 = 1e-3;

    const int Iterations = 500;

    readonly double[][] weights;

    /// <summary>A combiner with the given weights: one row per class, each <c>members × classes + 1</c> long (intercept last).</summary>
    public StackingCombiner(int members, IReadOnlyList<IReadOnlyList<double>> weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentOutOfRangeException.ThrowIfLessThan(members, 2);
        if (weights.Count < 2)
            throw new ArgumentException($"A stacking combiner needs at least 2 classes, got {weights.Count} weight rows.", nameof(weights));
        var width = (members * weights.Count) + 1;
        for (var k = 0; k < weights.Count; k++)
        {
            if (weights[k] is null || weights[k].Count != width)
                throw new ArgumentException($"Weight row {k + 1} has {weights[k]?.Count ?? 0} values; {members} members of {weights.Count} classes need {width}.", nameof(weights));
            if (weights[k].Any(w => !double.IsFinite(w)))
                throw new ArgumentException($"Weight row {k + 1} holds a value that is not finite.", nameof(weights));
        }
        Members = members;
        this.weights = [.. weights.Select(row => row.ToArray())];
    }

    /// <summary>How many members' probabilities it reads.</summary>
    public int Members { get; }

    public int ClassCount => weights.Length;

    /// <summary>One row per class: the weights of every member's probabilities, then the intercept.</summary>
    public IReadOnlyList<IReadOnlyList<double>> Weights => weights;

    /// <summary>Fits on the rows of <paramref name="perMember"/> (each member's probability rows, in the same row order) and their labels.</summary>
    public static StackingCombiner Fit(IReadOnlyList<double[][]> perMember, IReadOnlyList<int> labels, int classCount)
    {
        ArgumentNullException.ThrowIfNull(perMember);
        ArgumentNullException.ThrowIfNull(labels);
        var rows = labels.Count;
        var x = Enumerable.Range(0, rows).Select(r => Row(perMember, r, classCount)).ToArray();
        var width = x.Length == 0 ? (perMember.Count * classCount) + 1 : x[0].Length;
        var counts = new double[classCount];
        foreach (var label in labels)
            counts[label]++;
        var present = counts.Count(c => c > 0);
        // Every class present weighs the same in the loss; the weights average 1 over the rows.
        var classWeight = counts.Select(c => c > 0 ? rows / (present * c) : 0).ToArray();
        var lipschitz = (0.5 * x.Select(r => r.Sum(v => v * v)).DefaultIfEmpty(1).Max() * classWeight.DefaultIfEmpty(1).Max()) + L2;
        var step = 1 / lipschitz;
        var w = new double[classCount][];
        var look = new double[classCount][];
        for (var k = 0; k < classCount; k++)
            (w[k], look[k]) = (new double[width], new double[width]);
        var gradient = Enumerable.Range(0, classCount).Select(_ => new double[width]).ToArray();
        var p = new double[classCount];
        for (var t = 1; t <= Iterations; t++)
        {
            foreach (var g in gradient)
                Array.Clear(g);
            for (var r = 0; r < rows; r++)
            {
                Softmax(look, x[r], p);
                var weight = classWeight[labels[r]] / Math.Max(1, rows);
                for (var k = 0; k < classCount; k++)
                {
                    var residual = weight * (p[k] - (labels[r] == k ? 1 : 0));
                    var g = gradient[k];
                    var row = x[r];
                    for (var j = 0; j < width; j++)
                        g[j] += residual * row[j];
                }
            }
            var momentum = (t - 1.0) / (t + 2.0);
            for (var k = 0; k < classCount; k++)
            {
                for (var j = 0; j < width; j++)
                {
                    var penalty = j < width - 1 ? L2 * look[k][j] : 0;
                    var next = look[k][j] - (step * (gradient[k][j] + penalty));
                    look[k][j] = next + (momentum * (next - w[k][j]));
                    w[k][j] = next;
                }
            }
        }
        return new StackingCombiner(perMember.Count, w);
    }

    /// <summary>The combined class probabilities of every row.</summary>
    public double[][] Predict(IReadOnlyList<double[][]> perMember, int rows)
    {
        ArgumentNullException.ThrowIfNull(perMember);
        if (perMember.Count != Members)
            throw new InvalidOperationException($"The stacking combiner reads {Members} members, got {perMember.Count}.");
        var result = new double[rows][];
        for (var r = 0; r < rows; r++)
        {
            result[r] = new double[ClassCount];
            Softmax(weights, Row(perMember, r, ClassCount), result[r]);
        }
        return result;
    }

    /// <summary>One line for the leaderboard and the package's card.</summary>
    public string Describe() => Describe(Members);

    /// <summary>One line for a combiner of <paramref name="members"/> members.</summary>
    public static string Describe(int members) => string.Create(CultureInfo.InvariantCulture,
        $"multinomial logistic regression on {members} members' probabilities (L2 {L2:G3}, balanced classes)");

    static double[] Row(IReadOnlyList<double[][]> perMember, int r, int classCount)
    {
        var row = new double[(perMember.Count * classCount) + 1];
        for (var m = 0; m < perMember.Count; m++)
        {
            var probabilities = perMember[m][r];
            if (probabilities.Length != classCount)
                throw new InvalidOperationException($"A stacked member returned {probabilities.Length} probabilities for {classCount} classes.");
            Array.Copy(probabilities, 0, row, m * classCount, classCount);
        }
        row[^1] = 1;
        return row;
    }

    static void Softmax(double[][] w, double[] x, double[] p)
    {
        var max = double.NegativeInfinity;
        for (var k = 0; k < w.Length; k++)
        {
            var z = 0.0;
            for (var j = 0; j < x.Length; j++)
                z += w[k][j] * x[j];
            p[k] = z;
            max = Math.Max(max, z);
        }
        var sum = 0.0;
        for (var k = 0; k < p.Length; k++)
        {
            p[k] = Math.Exp(p[k] - max);
            sum += p[k];
        }
        for (var k = 0; k < p.Length; k++)
            p[k] /= sum;
    }
}
