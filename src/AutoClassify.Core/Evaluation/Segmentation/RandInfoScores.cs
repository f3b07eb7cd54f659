namespace AutoClassify.Evaluation.Segmentation;

/// <summary>The foreground-restricted Rand and information scores of one image, each with its split and merge parts.</summary>
public sealed record RandInfoScores(double VRand, double VRandSplit, double VRandMerge, double VInfo, double VInfoSplit, double VInfoMerge);

/// <summary>
/// ISBI 2012's foreground-restricted scores (Arganda-Carreras et al., Front. Neuroanat. 2015), without border
/// thinning: only pixels inside a true segment (truth ≠ 0) count, and predicted background pixels among them are
/// singletons, each its own segment (the SNEMI3D convention). With p_ij the joint share of predicted segment i and
/// true segment j, s and t its marginals:
/// V_rand = Σp²/(½Σs² + ½Σt²), split = Σp²/Σt², merge = Σp²/Σs²; V_info = I(S;T)/(½H(S) + ½H(T)),
/// split = I/H(S), merge = I/H(T). 1 is perfect.
/// </summary>
public static class RandInfo
{
    /// <summary>Scores predicted segments against true ones (both id maps, 0 = background); NaN when the truth has no segment.</summary>
    public static RandInfoScores Score(ReadOnlySpan<int> truth, ReadOnlySpan<int> predicted)
    {
        PixelScores.CheckSameLength(truth.Length, predicted.Length);
        var joint = new Dictionary<(int S, int T), long>();
        var sCounts = new Dictionary<int, long>();
        var tCounts = new Dictionary<int, long>();
        long n = 0, singletons = 0;
        for (var i = 0; i < truth.Length; i++)
        {
            var t = truth[i];
            if (t == 0)
                continue;
            n++;
            tCounts[t] = tCounts.GetValueOrDefault(t) + 1;
            var s = predicted[i];
            if (s == 0)
            {
                singletons++;
                continue;
            }
            joint[(s, t)] = joint.GetValueOrDefault((s, t)) + 1;
            sCounts[s] = sCounts.GetValueOrDefault(s) + 1;
        }
        if (n == 0)
            return new RandInfoScores(double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);

        double total = n;
        // Sums of squared shares; each singleton adds (1/n)² to Σp² and to Σs².
        var singletonSquares = singletons / (total * total);
        var sumP2 = joint.Values.Sum(c => Sq(c / total)) + singletonSquares;
        var sumS2 = sCounts.Values.Sum(c => Sq(c / total)) + singletonSquares;
        var sumT2 = tCounts.Values.Sum(c => Sq(c / total));

        // Entropies in nats; each singleton adds −(1/n)·ln(1/n) to H(S) and H(S,T).
        var singletonEntropy = singletons > 0 ? singletons / total * Math.Log(total) : 0;
        var hS = Entropy(sCounts.Values, total) + singletonEntropy;
        var hT = Entropy(tCounts.Values, total);
        var hST = Entropy(joint.Values, total) + singletonEntropy;
        var info = hS + hT - hST;

        return new RandInfoScores(
            sumP2 / ((0.5 * sumS2) + (0.5 * sumT2)), sumP2 / sumT2, sumP2 / sumS2,
            Ratio(info, (0.5 * hS) + (0.5 * hT)), Ratio(info, hS), Ratio(info, hT));
    }

    static double Sq(double v) => v * v;

    static double Entropy(IEnumerable<long> counts, double total)
    {
        var h = 0.0;
        foreach (var c in counts)
        {
            var p = c / total;
            h -= p * Math.Log(p);
        }
        return h;
    }

    // 0/0 arises when both sides are one segment each: they agree completely.
    static double Ratio(double information, double entropy) => entropy <= 1e-15 ? 1.0 : Math.Clamp(information / entropy, 0, 1);
}
