namespace AutoClassify.Models.Svm;

/// <summary>
/// Class probabilities from pairwise ones, by method 2 of Wu, Lin and Weng (2004, "Probability estimates for
/// multi-class classification by pairwise coupling"), as LIBSVM 3.24 runs it: minimize pᵀQp subject to Σp = 1, with
/// Q_tt = Σ_{j≠t} r_jt² and Q_tj = −r_jt r_tj, by cyclic coordinate updates that keep Σp = 1, from the uniform start,
/// until every |(Qp)_t − pᵀQp| falls below 0.005 / k or after max(100, k) sweeps. The iteration stops at a tolerance,
/// so agreeing with LIBSVM means taking the same steps in the same order; this does.
/// </summary>
internal static class PairwiseCoupling
{
    /// <summary>
    /// Solves for <paramref name="k"/> classes: <paramref name="pairwise"/> is k × k row-major with entry (a, b) the
    /// probability of a against b (the diagonal is not read); <paramref name="work"/> holds at least 2 k² values;
    /// the k probabilities go to <paramref name="probabilities"/>.
    /// </summary>
    public static void Solve(int k, ReadOnlySpan<double> pairwise, Span<double> work, Span<double> probabilities)
    {
        var q = work[..(k * k)];
        var qp = work.Slice(k * k, k);
        var p = probabilities[..k];
        for (var t = 0; t < k; t++)
        {
            p[t] = 1.0 / k;
            var diagonal = 0.0;
            for (var j = 0; j < k; j++)
            {
                if (j == t)
                    continue;
                diagonal += pairwise[j * k + t] * pairwise[j * k + t];
                q[t * k + j] = -pairwise[j * k + t] * pairwise[t * k + j];
            }
            q[t * k + t] = diagonal;
        }

        var tolerance = 0.005 / k;
        var sweeps = Math.Max(100, k);
        for (var sweep = 0; sweep < sweeps; sweep++)
        {
            // Qp and pQp are recomputed from scratch each sweep: the running updates below drift.
            var pqp = 0.0;
            for (var t = 0; t < k; t++)
            {
                var sum = 0.0;
                for (var j = 0; j < k; j++)
                    sum += q[t * k + j] * p[j];
                qp[t] = sum;
                pqp += p[t] * sum;
            }
            var largestError = 0.0;
            for (var t = 0; t < k; t++)
                largestError = Math.Max(largestError, Math.Abs(qp[t] - pqp));
            if (largestError < tolerance)
                return;

            for (var t = 0; t < k; t++)
            {
                var qtt = q[t * k + t];
                var step = (pqp - qp[t]) / qtt;
                p[t] += step;
                // Renormalizing p by 1 + step keeps Σp = 1; Qp and pQp follow without a new matrix product.
                pqp = (pqp + step * (step * qtt + 2 * qp[t])) / (1 + step) / (1 + step);
                for (var j = 0; j < k; j++)
                {
                    qp[j] = (qp[j] + step * q[t * k + j]) / (1 + step);
                    p[j] /= 1 + step;
                }
            }
        }
    }
}
