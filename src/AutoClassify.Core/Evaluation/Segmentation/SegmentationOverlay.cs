using AutoClassify.Imaging;
using AutoClassify.Segmentation;

namespace AutoClassify.Evaluation.Segmentation;

/// <summary>
/// Prediction against truth over the grey image: true-positive foreground pixels blue, false positives vermillion,
/// false negatives yellow (Okabe–Ito colours, distinct under the common colour-vision deficiencies).
/// </summary>
public static class SegmentationOverlay
{
    public static readonly (byte R, byte G, byte B) TruePositive = (0x00, 0x72, 0xB2);
    public static readonly (byte R, byte G, byte B) FalsePositive = (0xD5, 0x5E, 0x00);
    public static readonly (byte R, byte G, byte B) FalseNegative = (0xF0, 0xE4, 0x42);

    /// <summary>PNG bytes of the overlay, shrunk (nearest pixel) so its longer side is at most <paramref name="maxSide"/>.</summary>
    public static byte[] Render(GrayImage image, ReadOnlySpan<int> truth, ReadOnlySpan<int> predicted, int maxSide = 320)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSide, 8);
        int w = image.Width, h = image.Height;
        if (truth.Length != w * h || predicted.Length != w * h)
            throw new ArgumentException($"Truth and prediction must be {w}x{h}.");
        var scale = Math.Min(1.0, (double)maxSide / Math.Max(w, h));
        int ow = Math.Max(1, (int)Math.Round(w * scale)), oh = Math.Max(1, (int)Math.Round(h * scale));
        var rgb = new byte[3 * ow * oh];
        for (var y = 0; y < oh; y++)
        {
            var sy = Math.Min(h - 1, (int)((y + 0.5) / scale));
            for (var x = 0; x < ow; x++)
            {
                var sx = Math.Min(w - 1, (int)((x + 0.5) / scale));
                var i = (sy * w) + sx;
                var grey = (byte)(Math.Clamp(image.Pixels[i], 0f, 1f) * 255f);
                bool t = truth[i] != 0, p = predicted[i] != 0;
                (byte R, byte G, byte B) colour = (grey, grey, grey);
                if (t || p)
                {
                    var tint = t && p ? TruePositive : p ? FalsePositive : FalseNegative;
                    colour = (Blend(grey, tint.R), Blend(grey, tint.G), Blend(grey, tint.B));
                }
                var o = 3 * ((y * ow) + x);
                (rgb[o], rgb[o + 1], rgb[o + 2]) = colour;
            }
        }
        return SegmentationOps.EncodeRgbPng(rgb, ow, oh);
    }

    static byte Blend(byte grey, byte tint) => (byte)((0.35 * grey) + (0.65 * tint));
}
