namespace AutoClassify.Imaging.Formats;

/// <summary>
/// The one mapping from an image's stored values to the [0, 1] grey every arm sees, the same in training and
/// prediction. 8-bit integers map by their fixed range (uint8 / 255; int8 shifted by 128 first). Everything wider
/// (16-bit PNG and TIFF, 16/32-bit integers, float16/32/64 of the microscope formats) has no range it is bound to use:
/// 10-, 12- and 14-bit cameras store into 16 bits, and a fixed ÷65535 would leave such an image almost black. So each
/// image is clipped at its own 0.5th and 99.5th percentiles and stretched to [0, 1]; NaN and infinite values become 0.
/// Percentiles come from at most <see cref="MaxSamples"/> values taken at an even stride, so the mapping is
/// deterministic and cheap on big fields. It depends on the image alone, so nothing is fitted across images or folds.
/// </summary>
public static class IntensityMapping
{
    /// <summary>The name recorded in reports and packages.</summary>
    public const string Name = "per-image percentile clip 0.5-99.5 % to [0,1] for data wider than 8 bits (16-bit PNG/TIFF and microscope formats); 8-bit data by their fixed range";

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
        values.CopyTo(pixels);
        Stretch(pixels);
        return new GrayImage(image.Width, image.Height, pixels);
    }

    /// <summary>
    /// Clips <paramref name="pixels"/> in place at their own 0.5th and 99.5th percentiles and stretches them to [0, 1]
    /// (non-finite values and a flat image become 0). The scale of the input does not matter: 16-bit data decoded as
    /// v / 65535 map exactly as the raw values would.
    /// </summary>
    public static void Stretch(Span<float> pixels)
    {
        var (low, high) = Percentiles(pixels);
        var range = high - low;
        for (var i = 0; i < pixels.Length; i++)
        {
            var v = pixels[i];
            pixels[i] = !float.IsFinite(v) || !(range > 0) ? 0f : Math.Clamp((float)((v - low) / range), 0f, 1f);
        }
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
