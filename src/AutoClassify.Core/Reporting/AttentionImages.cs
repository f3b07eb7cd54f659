using System.Text;
using AutoClassify.Models.Cnn;
using AutoClassify.Segmentation;
using AutoClassify.Tiling;
using static AutoClassify.Reporting.HtmlFormat;

namespace AutoClassify.Reporting;

/// <summary>
/// Pictures of what a CNN looked at, as PNGs: Grad-CAM over the network's input in viridis (the colour scale of the
/// prediction maps) on one scale the caller gives, the first layer's kernels in grey, and activation maps in viridis.
/// Every PNG is at the network's own resolution (a few KiB); the page enlarges it with sharp pixels.
/// </summary>
internal static class AttentionImages
{
    /// <summary>Longest side the page shows one input or overlay at, like the gallery's thumbnails.</summary>
    internal const int MaxSide = ReportImages.MaxSide;

    /// <summary>The whole-number enlargement that shows a map of <paramref name="side"/> pixels at most <paramref name="target"/> pixels wide.</summary>
    internal static int Zoom(int side, int target = MaxSide) => Math.Max(1, target / Math.Max(1, side));

    /// <summary>Share of the heat-map colour in the overlay (the rest is the grey input).</summary>
    internal const double Blend = 0.5;

    // One white pixel between tiles, at the network's resolution.
    const int Gap = 1;

    /// <summary>The input beside its Grad-CAM overlay; <paramref name="scaleMax"/> maps to the top of the colour scale.</summary>
    internal static (byte[] Png, int Width, int Height) GradCam(GradCamMap map, double scaleMax)
    {
        var side = (int)Math.Round(Math.Sqrt(map.Input.Length));
        if (side * side != map.Input.Length || side == 0)
            throw new ArgumentException($"Item {map.Item}: the stored input has {map.Input.Length} pixels, not a square.", nameof(map));
        if (map.Values.Length != map.Height * map.Width || map.Values.Length == 0)
            throw new ArgumentException($"Item {map.Item}: {map.Values.Length} Grad-CAM values for a {map.Height} x {map.Width} map.", nameof(map));
        var s = side;
        var width = 2 * s + Gap;
        var rgb = new byte[3 * width * s];
        Array.Fill(rgb, (byte)255);
        var heat = Upsample(map.Values, map.Height, map.Width, s);
        for (var y = 0; y < s; y++)
        {
            for (var x = 0; x < s; x++)
            {
                var grey = map.Input[y * side + x];
                Put(rgb, width, x, y, (grey, grey, grey));
                var (r, g, b) = PredictionMapRenderer.HeatColour(scaleMax > 0 ? heat[y * s + x] / scaleMax : 0);
                Put(rgb, width, s + Gap + x, y, (Mix(grey, r), Mix(grey, g), Mix(grey, b)));
            }
        }
        return (SegmentationOps.EncodeRgbPng(rgb, width, s), width, s);
    }

    /// <summary>The kernels as a grid in grey: mid grey is 0, white and black ± the largest absolute weight.</summary>
    internal static (byte[] Png, int Width, int Height) Filters(ConvFilters filters)
    {
        var k = filters.KernelSize;
        if (k <= 0 || filters.Count <= 0 || filters.Weights.Length != filters.Count * k * k)
            throw new ArgumentException($"{filters.Name}: {filters.Weights.Length} weights for {filters.Count} kernels of {k} x {k}.", nameof(filters));
        var limit = filters.Weights.Select(w => Math.Abs(w)).DefaultIfEmpty(0).Max();
        return Grid(filters.Count, k, (n, x, y) =>
        {
            var v = limit > 0 ? filters.Weights[n * k * k + y * k + x] / limit : 0;
            var grey = (byte)Math.Clamp(Math.Round(127.5 + 127.5 * v), 0, 255);
            return (grey, grey, grey);
        });
    }

    /// <summary>Every channel's activation map in viridis, <paramref name="scaleMax"/> at the top of the scale.</summary>
    internal static (byte[] Png, int Width, int Height) Activations(ActivationSample sample, double scaleMax)
    {
        var area = sample.Side * sample.Side;
        if (sample.Channels <= 0 || sample.Side <= 0 || sample.Values.Length != sample.Channels * area)
            throw new ArgumentException($"Item {sample.Item}: {sample.Values.Length} activation values for {sample.Channels} maps of {sample.Side} x {sample.Side}.", nameof(sample));
        return Grid(sample.Channels, sample.Side, (n, x, y) =>
            PredictionMapRenderer.HeatColour(scaleMax > 0 ? sample.Values[n * area + y * sample.Side + x] / 255.0 * sample.Max / scaleMax : 0));
    }

    /// <summary>The network's input alone.</summary>
    internal static (byte[] Png, int Width, int Height) Input(byte[] input)
    {
        var side = (int)Math.Round(Math.Sqrt(input.Length));
        if (side == 0 || side * side != input.Length)
            throw new ArgumentException($"The stored input has {input.Length} pixels, not a square.", nameof(input));
        return Grid(1, side, (_, x, y) => (input[y * side + x], input[y * side + x], input[y * side + x]));
    }

    /// <summary>A horizontal viridis colour bar from 0 to <paramref name="max"/> as inline SVG, with its label.</summary>
    internal static string ColourBar(double max, string label, string id)
    {
        const int width = 240, barHeight = 12;
        var sb = new StringBuilder();
        sb.Append(Inv, $"<svg class=\"colourbar\" viewBox=\"0 0 {width + 40} 44\" width=\"{width + 40}\" height=\"44\" role=\"img\" aria-label=\"{E(label)}: colour scale from 0 to {Sig(max)}\">");
        sb.Append(Inv, $"<defs><linearGradient id=\"{E(id)}\" x1=\"0\" x2=\"1\" y1=\"0\" y2=\"0\">");
        for (var i = 0; i <= 8; i++)
        {
            var (r, g, b) = PredictionMapRenderer.HeatColour(i / 8.0);
            sb.Append(Inv, $"<stop offset=\"{Coord(i / 8.0)}\" stop-color=\"#{r:x2}{g:x2}{b:x2}\"/>");
        }
        sb.Append(Inv, $"</linearGradient></defs><rect x=\"20\" y=\"2\" width=\"{width}\" height=\"{barHeight}\" fill=\"url(#{E(id)})\" stroke=\"#555\" stroke-width=\"0.5\"/>");
        foreach (var f in new[] { 0.0, 0.5, 1.0 })
        {
            var x = 20 + f * width;
            sb.Append(Inv, $"<line x1=\"{Coord(x)}\" x2=\"{Coord(x)}\" y1=\"{2 + barHeight}\" y2=\"{6 + barHeight}\" stroke=\"#555\"/><text x=\"{Coord(x)}\" y=\"{18 + barHeight}\" font-size=\"11\" text-anchor=\"middle\">{Sig(f * max)}</text>");
        }
        sb.Append(Inv, $"<text x=\"{20 + width / 2}\" y=\"42\" font-size=\"11\" text-anchor=\"middle\">{E(label)}</text></svg>");
        return sb.ToString();
    }

    // Tiles of `side` pixels, eight to a row, one white pixel apart.
    static (byte[] Png, int Width, int Height) Grid(int count, int side, Func<int, int, int, (byte R, byte G, byte B)> pixel)
    {
        var columns = Math.Min(8, count);
        var rows = (count + columns - 1) / columns;
        var cell = side;
        var width = columns * cell + (columns - 1) * Gap;
        var height = rows * cell + (rows - 1) * Gap;
        var rgb = new byte[3 * width * height];
        Array.Fill(rgb, (byte)255);
        for (var n = 0; n < count; n++)
        {
            int ox = n % columns * (cell + Gap), oy = n / columns * (cell + Gap);
            for (var y = 0; y < cell; y++)
            {
                for (var x = 0; x < cell; x++)
                    Put(rgb, width, ox + x, oy + y, pixel(n, x, y));
            }
        }
        return (SegmentationOps.EncodeRgbPng(rgb, width, height), width, height);
    }

    // Bilinear, pixel centres aligned (as torch's interpolate with align_corners=False), to a square of `size`.
    internal static float[] Upsample(float[] values, int height, int width, int size)
    {
        var result = new float[size * size];
        for (var y = 0; y < size; y++)
        {
            var sy = Math.Clamp((y + 0.5) * height / size - 0.5, 0, height - 1);
            var y0 = (int)sy;
            var y1 = Math.Min(y0 + 1, height - 1);
            var fy = sy - y0;
            for (var x = 0; x < size; x++)
            {
                var sx = Math.Clamp((x + 0.5) * width / size - 0.5, 0, width - 1);
                var x0 = (int)sx;
                var x1 = Math.Min(x0 + 1, width - 1);
                var fx = sx - x0;
                var top = values[y0 * width + x0] * (1 - fx) + values[y0 * width + x1] * fx;
                var bottom = values[y1 * width + x0] * (1 - fx) + values[y1 * width + x1] * fx;
                result[y * size + x] = (float)(top * (1 - fy) + bottom * fy);
            }
        }
        return result;
    }

    /// <summary>Three significant digits, invariant (the scales span orders of magnitude between models).</summary>
    internal static string Sig(double value) => value.ToString("G3", Inv);

    static byte Mix(byte grey, byte colour) => (byte)Math.Round((1 - Blend) * grey + Blend * colour);

    static void Put(byte[] rgb, int width, int x, int y, (byte R, byte G, byte B) c)
    {
        var i = 3 * (y * width + x);
        (rgb[i], rgb[i + 1], rgb[i + 2]) = c;
    }
}
