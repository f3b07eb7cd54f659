using System.Globalization;
using System.Text;
using AutoClassify.Imaging;
using AutoClassify.IO;
using CsvHelper;

namespace AutoClassify.Segmentation;

/// <summary>
/// One segmented image for the writers and the report: its path as shown to the user and its measurements
/// (no label image, so a large batch stays small in memory).
/// </summary>
public sealed record SegmentedImage(string Path, int Width, int Height, IReadOnlyList<Particle> Particles, ParticleScale Scale, ParticleSummary Summary)
{
    public static SegmentedImage From(string path, ParticleSegmentation segmentation)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(segmentation);
        return new SegmentedImage(path, segmentation.Width, segmentation.Height, segmentation.Particles, segmentation.Scale, segmentation.Summary);
    }

    /// <summary>Rows of the data banner found in the image and treated as asked (0 when none).</summary>
    public int BannerRows { get; init; }

    /// <summary>The resize factor a trained model worked at on this image (with object scaling, the one it estimated); null for the classical pipeline.</summary>
    public double? ScaleFactor { get; init; }

    /// <summary>A small overlay PNG for the report, or null.</summary>
    public byte[]? Preview { get; init; }

    /// <summary>Output channels whose probability maps a trained model wrote for this image (the report's probability links); empty for the classical pipeline.</summary>
    public IReadOnlyList<string> ProbabilityChannels { get; init; } = [];

    /// <summary>Equivalent diameters (in <see cref="Scale"/> units) of the particles not touching the border, ascending.</summary>
    public double[] MeasuredDiameters() =>
        [.. Particles.Where(p => !p.TouchesBorder).Select(p => Scale.Length(p.EquivalentDiameter)).Order()];
}

/// <summary>
/// Files for a segmented image: the 16-bit label PNG (value = particle label), a colour overlay PNG for people,
/// and CSV tables of particles and per-image summaries. Every file is written atomically; numbers are invariant.
/// </summary>
public static class ParticleOutput
{
    /// <summary>Column names of <see cref="WriteParticles(TextWriter, IEnumerable{SegmentedImage})"/>, stable across versions.</summary>
    public static IReadOnlyList<string> ParticleColumns { get; } =
    [
        "image", "label", "touches_border", "unit", "area", "equivalent_diameter", "feret_max", "feret_min", "perimeter",
        "circularity", "solidity", "mean_intensity", "centroid_x", "centroid_y", "bbox_left", "bbox_top", "bbox_width", "bbox_height",
    ];

    /// <summary>Column names of <see cref="WriteSummaries(TextWriter, IEnumerable{SegmentedImage})"/>.</summary>
    public static IReadOnlyList<string> SummaryColumns { get; } =
    [
        "image", "width", "height", "unit", "count", "border_count", "measured_count",
        "diameter_q10", "diameter_q50", "diameter_q90", "diameter_mean", "area_fraction", "scale_factor",
    ];

    /// <summary>Writes the label image as a 16-bit grey PNG: 0 background, particle labels 1..65535.</summary>
    public static void SaveLabels(ParticleSegmentation segmentation, string path)
    {
        ArgumentNullException.ThrowIfNull(segmentation);
        if (segmentation.Particles.Count > ushort.MaxValue)
            throw new ArgumentException($"{segmentation.Particles.Count} particles do not fit a 16-bit label PNG.", nameof(segmentation));
        var pixels = new float[segmentation.LabelArray.Length];
        for (var i = 0; i < pixels.Length; i++)
            pixels[i] = segmentation.LabelArray[i] / (float)ushort.MaxValue;
        AtomicFile.WriteAllBytes(path, ImageCodec.Encode(new GrayImage(segmentation.Width, segmentation.Height, pixels), ImageFileFormat.Png, bitDepth: 16));
    }

    /// <summary>
    /// The image in grey with each measured particle tinted and outlined in its own colour, and particles cut by
    /// the border outlined in magenta without a tint; PNG bytes.
    /// </summary>
    public static byte[] RenderOverlay(GrayImage image, ParticleSegmentation segmentation) =>
        SegmentationOps.EncodeRgbPng(OverlayRgb(image, segmentation), image.Width, image.Height);

    /// <summary>The overlay shrunk (nearest pixel) so its longer side is at most <paramref name="maxSide"/> pixels; PNG bytes.</summary>
    public static byte[] Preview(GrayImage image, ParticleSegmentation segmentation, int maxSide = 240)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSide, 8);
        var rgb = OverlayRgb(image, segmentation);
        int w = image.Width, h = image.Height;
        var scale = Math.Min(1.0, (double)maxSide / Math.Max(w, h));
        int ow = Math.Max(1, (int)Math.Round(w * scale)), oh = Math.Max(1, (int)Math.Round(h * scale));
        var small = new byte[3 * ow * oh];
        for (var y = 0; y < oh; y++)
        {
            var sy = Math.Min(h - 1, (int)((y + 0.5) / scale));
            for (var x = 0; x < ow; x++)
            {
                var sx = Math.Min(w - 1, (int)((x + 0.5) / scale));
                Array.Copy(rgb, 3 * ((sy * w) + sx), small, 3 * ((y * ow) + x), 3);
            }
        }
        return SegmentationOps.EncodeRgbPng(small, ow, oh);
    }

    static byte[] OverlayRgb(GrayImage image, ParticleSegmentation segmentation)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(segmentation);
        if (image.Width != segmentation.Width || image.Height != segmentation.Height)
            throw new ArgumentException($"Image is {image.Width}x{image.Height} but the segmentation is {segmentation.Width}x{segmentation.Height}.", nameof(image));
        int width = image.Width, height = image.Height;
        var labels = segmentation.LabelArray;
        var colours = new (byte R, byte G, byte B)[segmentation.Particles.Count + 1];
        for (var l = 1; l < colours.Length; l++)
            colours[l] = segmentation.ParticleArray[l - 1].TouchesBorder ? ((byte)255, (byte)0, (byte)255) : Hue(l);
        var rgb = new byte[3 * width * height];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var i = (y * width) + x;
                var grey = Math.Clamp(image.Pixels[i], 0f, 1f) * 255f;
                float r = grey, g = grey, b = grey;
                var l = labels[i];
                if (l > 0)
                {
                    var c = colours[l];
                    var edge = x == 0 || y == 0 || x == width - 1 || y == height - 1
                        || labels[i - 1] != l || labels[i + 1] != l || labels[i - width] != l || labels[i + width] != l;
                    var border = segmentation.ParticleArray[l - 1].TouchesBorder;
                    var alpha = edge ? 1f : border ? 0f : 0.3f;
                    r += alpha * (c.R - r);
                    g += alpha * (c.G - g);
                    b += alpha * (c.B - b);
                }
                rgb[3 * i] = (byte)MathF.Round(r);
                rgb[(3 * i) + 1] = (byte)MathF.Round(g);
                rgb[(3 * i) + 2] = (byte)MathF.Round(b);
            }
        }
        return rgb;
    }

    /// <summary>Writes <see cref="RenderOverlay"/> to <paramref name="path"/>.</summary>
    public static void SaveOverlay(GrayImage image, ParticleSegmentation segmentation, string path) =>
        AtomicFile.WriteAllBytes(path, RenderOverlay(image, segmentation));

    /// <summary>Writes one CSV row per particle of every image (<see cref="ParticleColumns"/>).</summary>
    public static void WriteParticles(string path, IEnumerable<SegmentedImage> images) =>
        WriteCsv(path, writer => WriteParticles(writer, images));

    /// <summary>Writes one CSV row per particle; lengths and areas in the unit column's unit (nm/nm² or px/px²).</summary>
    public static void WriteParticles(TextWriter writer, IEnumerable<SegmentedImage> images)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(images);
        using var csv = CsvWriter.Create(writer, CsvCells.WriterOptions, leaveOpen: true);
        foreach (var name in ParticleColumns)
            csv.WriteField(name);
        csv.EndRecord();
        foreach (var image in images)
        {
            var s = image.Scale;
            foreach (var p in image.Particles)
            {
                csv.WriteField(CsvCells.Protect(image.Path));
                csv.WriteField(p.Label);
                csv.WriteField(p.TouchesBorder ? "true" : "false");
                csv.WriteField(s.LengthUnit);
                csv.WriteField(s.Area(p.Area), "R");
                csv.WriteField(s.Length(p.EquivalentDiameter), "R");
                csv.WriteField(s.Length(p.FeretMax), "R");
                csv.WriteField(s.Length(p.FeretMin), "R");
                csv.WriteField(s.Length(p.Perimeter), "R");
                csv.WriteField(p.Circularity, "R");
                csv.WriteField(p.Solidity, "R");
                csv.WriteField(p.MeanIntensity, "R");
                csv.WriteField(p.CentroidX, "R");
                csv.WriteField(p.CentroidY, "R");
                csv.WriteField(p.Left);
                csv.WriteField(p.Top);
                csv.WriteField(p.Width);
                csv.WriteField(p.Height);
                csv.EndRecord();
            }
        }
        csv.Flush();
    }

    /// <summary>Writes one CSV row per image (<see cref="SummaryColumns"/>); statistics without a measured particle are empty.</summary>
    public static void WriteSummaries(string path, IEnumerable<SegmentedImage> images) =>
        WriteCsv(path, writer => WriteSummaries(writer, images));

    /// <summary>Writes one CSV row per image.</summary>
    public static void WriteSummaries(TextWriter writer, IEnumerable<SegmentedImage> images)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(images);
        using var csv = CsvWriter.Create(writer, CsvCells.WriterOptions, leaveOpen: true);
        foreach (var name in SummaryColumns)
            csv.WriteField(name);
        csv.EndRecord();
        foreach (var image in images)
        {
            var m = image.Summary;
            csv.WriteField(CsvCells.Protect(image.Path));
            csv.WriteField(image.Width);
            csv.WriteField(image.Height);
            csv.WriteField(m.Unit);
            csv.WriteField(m.Count);
            csv.WriteField(m.BorderCount);
            csv.WriteField(m.MeasuredCount);
            foreach (var v in new[] { m.DiameterQ10, m.DiameterQ50, m.DiameterQ90, m.MeanDiameter })
            {
                if (double.IsNaN(v))
                    csv.WriteField("");
                else
                    csv.WriteField(v, "R");
            }
            csv.WriteField(m.AreaFraction, "R");
            if (image.ScaleFactor is { } factor)
                csv.WriteField(Math.Round(factor, 5), "R");
            else
                csv.WriteField("");
            csv.EndRecord();
        }
        csv.Flush();
    }

    static void WriteCsv(string path, Action<TextWriter> write) =>
        AtomicFile.Write(path, stream =>
        {
            using var writer = new StreamWriter(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), leaveOpen: true);
            write(writer);
        });

    // Golden-angle hues: neighbouring labels get well separated colours.
    static (byte R, byte G, byte B) Hue(int label)
    {
        var h = label * 137.508 % 360 / 60;
        var x = 1 - Math.Abs((h % 2) - 1);
        var (r, g, b) = (int)h switch
        {
            0 => (1.0, x, 0.0),
            1 => (x, 1.0, 0.0),
            2 => (0.0, 1.0, x),
            3 => (0.0, x, 1.0),
            4 => (x, 0.0, 1.0),
            _ => (1.0, 0.0, x),
        };
        return ((byte)(40 + (r * 215)), (byte)(40 + (g * 215)), (byte)(40 + (b * 215)));
    }
}
