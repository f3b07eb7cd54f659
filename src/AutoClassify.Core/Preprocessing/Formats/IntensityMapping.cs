namespace AutoClassify.Preprocessing.Formats;

/// <summary>
/// The one mapping from a microscope file's stored values to the [0, 1] grey every arm sees. 8-bit integers map
/// by their fixed range (uint8 / 255; int8 shifted by 128 first). Everything wider (16/32-bit integers, float16/32/64)
/// has no natural range, so each image is clipped at its own 0.5th and 99.5th percentiles and stretched to [0, 1];
/// NaN and infinite values become 0. Percentiles come from at most <see cref="MaxSamples"/> values taken at an even
/// stride, so the mapping is deterministic and cheap on big fields. PNG, JPEG, BMP and TIFF keep the codec's fixed
/// scaling (8-bit / 255, 16-bit / 65535).
/// </summary>
public static class IntensityMapping
{
    /// <summary>The name recorded in reports and packages.</summary>
    public const string Name = "per-image percentile clip 0.5-99.5 % to [0,1] for data wider than 8 bits (microscope formats); fixed range otherwise";

    /// <summary>The low clipping percentile.</summary>
    public const double LowPercentile = 0.5;

    /// <summary>The high clipping percentile.</summary>
    public const double HighPercentile = 99.5;

    /// <summary>Values sampled to estimate the percentiles.</summary>
    public const int MaxSamples = 1 << 20;

    /// <summary>Maps the stored values of <paramref name="image"/> to a [0, 1] grey image.</summary>
    public static GrayImage ToGray(EmImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var values = image.Values;
        var pixels = new float[values.Length];
        if (DataTypes.IsEightBit(image.DataType))
        {
            var shift = image.DataType == "int8" ? 128f : 0f;
            for (var i = 0; i < values.Length; i++)
                pixels[i] = (values[i] + shift) / 255f;
            return new GrayImage(image.Width, image.Height, pixels);
        }
        var (low, high) = Percentiles(values);
        var range = high - low;
        for (var i = 0; i < values.Length; i++)
        {
            var v = values[i];
            pixels[i] = !float.IsFinite(v) || !(range > 0) ? 0f : Math.Clamp((float)((v - low) / range), 0f, 1f);
        }
        return new GrayImage(image.Width, image.Height, pixels);
    }

    /// <summary>The 0.5th and 99.5th percentiles of the finite values (nearest rank on the sample); (0, 0) when none is finite.</summary>
    public static (double Low, double High) Percentiles(ReadOnlySpan<float> values)
    {
        var stride = Math.Max(1, values.Length / MaxSamples);
        var sample = new List<float>(Math.Min(values.Length, MaxSamples + 1));
        for (var i = 0; i < values.Length; i += stride)
        {
            if (float.IsFinite(values[i]))
                sample.Add(values[i]);
        }
        if (sample.Count == 0)
            return (0, 0);
        sample.Sort();
        double At(double percentile) => sample[(int)Math.Round(percentile / 100 * (sample.Count - 1))];
        var (low, high) = (At(LowPercentile), At(HighPercentile));
        // A few bright pixels must not flatten an image whose percentiles coincide: fall back to the full range.
        return high > low ? (low, high) : (sample[0], sample[^1]);
    }
}
