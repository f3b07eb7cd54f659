namespace AutoClassify.Models;

/// <summary>Post-hoc calibration of a network's probabilities (<c>--calibrate</c>).</summary>
public enum CalibrationMethod
{
    /// <summary>Probabilities are the softmax of the logits as trained.</summary>
    None,

    /// <summary>Temperature scaling: softmax(logits / T), T fitted on the validation split inside the training fold.</summary>
    Temperature,
}

/// <summary>
/// Temperature scaling (Guo et al., 2017): one scalar T &gt; 0 divides every logit before the softmax. It keeps every
/// prediction's class (the argmax is unchanged) and only sharpens (T &lt; 1) or softens (T &gt; 1) the probabilities.
/// T is the minimiser of the mean negative log-likelihood of held-out items, found by golden-section search on
/// ln T, where the likelihood is unimodal.
/// </summary>
public static class TemperatureScaling
{
    /// <summary>The search interval for T; a fitted T at a bound means the logits carry almost no (or all) confidence.</summary>
    public const double MinTemperature = 0.05;

    public const double MaxTemperature = 20;

    /// <summary>The T that minimises the mean NLL of <paramref name="labels"/> under softmax(<paramref name="logits"/> / T); 1 when there is nothing to fit on.</summary>
    public static double Fit(IReadOnlyList<float[]> logits, IReadOnlyList<int> labels)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(labels);
        if (logits.Count != labels.Count)
            throw new ArgumentException($"{logits.Count} logit rows for {labels.Count} labels.", nameof(labels));
        if (logits.Count == 0)
            return 1;
        double lo = Math.Log(MinTemperature), hi = Math.Log(MaxTemperature);
        var ratio = (Math.Sqrt(5) - 1) / 2;
        double a = hi - ratio * (hi - lo), b = lo + ratio * (hi - lo);
        double fa = NegativeLogLikelihood(logits, labels, Math.Exp(a)), fb = NegativeLogLikelihood(logits, labels, Math.Exp(b));
        // 60 steps shrink the interval by 0.618^60, far below any T that matters.
        for (var step = 0; step < 60; step++)
        {
            if (fa <= fb)
            {
                hi = b;
                b = a;
                fb = fa;
                a = hi - ratio * (hi - lo);
                fa = NegativeLogLikelihood(logits, labels, Math.Exp(a));
            }
            else
            {
                lo = a;
                a = b;
                fa = fb;
                b = lo + ratio * (hi - lo);
                fb = NegativeLogLikelihood(logits, labels, Math.Exp(b));
            }
        }
        return Math.Exp((lo + hi) / 2);
    }

    /// <summary>Mean −ln p(true class) under softmax(logits / T).</summary>
    public static double NegativeLogLikelihood(IReadOnlyList<float[]> logits, IReadOnlyList<int> labels, double temperature)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(labels);
        if (logits.Count == 0)
            return double.NaN;
        double sum = 0;
        for (var i = 0; i < logits.Count; i++)
        {
            var row = logits[i];
            double max = double.NegativeInfinity;
            foreach (var z in row)
                max = Math.Max(max, z / temperature);
            double total = 0;
            foreach (var z in row)
                total += Math.Exp(z / temperature - max);
            sum += max + Math.Log(total) - row[labels[i]] / temperature;
        }
        return sum / logits.Count;
    }

    /// <summary>softmax(<paramref name="logits"/> / <paramref name="temperature"/>) in double, so the row sums to 1 to rounding.</summary>
    public static double[] Softmax(float[] logits, double temperature = 1)
    {
        ArgumentNullException.ThrowIfNull(logits);
        if (!(temperature > 0 && double.IsFinite(temperature)))
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "The temperature must be a positive number.");
        double max = double.NegativeInfinity;
        foreach (var z in logits)
            max = Math.Max(max, z / temperature);
        var result = new double[logits.Length];
        double sum = 0;
        for (var k = 0; k < logits.Length; k++)
        {
            result[k] = Math.Exp(logits[k] / temperature - max);
            sum += result[k];
        }
        for (var k = 0; k < logits.Length; k++)
            result[k] /= sum;
        return result;
    }

    /// <summary>
    /// The probabilities before scaling, recovered from scaled ones: softmax(T · ln p) equals softmax(z) because
    /// ln p = z / T − logsumexp(z / T). Exact up to probabilities that underflowed to zero.
    /// </summary>
    public static double[] Unscale(IReadOnlyList<double> scaled, double temperature)
    {
        ArgumentNullException.ThrowIfNull(scaled);
        var logits = scaled.Select(p => temperature * Math.Log(Math.Max(p, 1e-300))).ToArray();
        var max = logits.Max();
        var result = logits.Select(z => Math.Exp(z - max)).ToArray();
        var sum = result.Sum();
        for (var k = 0; k < result.Length; k++)
            result[k] /= sum;
        return result;
    }
}
