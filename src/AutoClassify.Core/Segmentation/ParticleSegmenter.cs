using AutoClassify.Imaging;
using AutoClassify.Preprocessing;

namespace AutoClassify.Segmentation;

/// <summary>
/// Finds the particles of a whole-field micrograph: contrast normalisation → threshold → opening and hole
/// filling → distance transform → seeds at its peaks → watershed to split touching particles → measurement.
/// Thread-safe: one segmenter may serve many threads.
/// </summary>
public sealed class ParticleSegmenter
{
    const int BackgroundMarker = 1;

    /// <summary>Creates a segmenter; throws naming the first bad option.</summary>
    public ParticleSegmenter(ParticleSegmentationOptions? options = null)
    {
        Options = options ?? new ParticleSegmentationOptions();
        Options.Validate();
    }

    public ParticleSegmentationOptions Options { get; }

    /// <summary>Segments one image (grey in [0, 1]) and measures every particle.</summary>
    public ParticleSegmentation Segment(GrayImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        int width = image.Width, height = image.Height;
        var relief = Normalise(image);
        var (mask, polarity, threshold) = Threshold(relief);
        mask = Clean(mask);

        var labels = Split(relief, mask);
        var count = Compact(labels, mask);
        var particles = ParticleMeasurement.Measure(image, labels, count);
        return new ParticleSegmentation(width, height, labels, particles, polarity, threshold, new ParticleScale(Options.NmPerPixel));
    }

    GrayImage Normalise(GrayImage image)
    {
        var o = Options;
        var result = o.Normalization switch
        {
            ContrastNormalization.Clahe => SegmentationOps.Clahe(image, o.ClaheClipLimit, o.ClaheTiles, o.ClaheTiles),
            ContrastNormalization.LocalMeanStd => SegmentationOps.LocalNormalize(image, o.LocalSigma),
            _ => image,
        };
        return o.BlurSigma > 0 ? ImageOps.GaussianBlur(result, o.BlurSigma) : result;
    }

    (BinaryMask Mask, ParticlePolarity Polarity, double Threshold) Threshold(GrayImage relief)
    {
        var o = Options;
        var polarity = o.Polarity == ParticlePolarity.Auto ? ParticlePolarity.Bright : o.Polarity;
        var (mask, threshold) = Apply(polarity);
        if (o.Polarity == ParticlePolarity.Auto && BorderShare(mask) > 0.5)
        {
            // Background is what the frame mostly shows; here that is the bright phase.
            polarity = ParticlePolarity.Dark;
            (mask, threshold) = Apply(polarity);
        }
        return (mask, polarity, threshold);

        (BinaryMask, double) Apply(ParticlePolarity p)
        {
            if (o.Threshold == ParticleThreshold.Otsu)
            {
                var otsu = ImageOps.ThresholdOtsu(relief, invert: p == ParticlePolarity.Dark);
                return (otsu.Mask, otsu.Threshold);
            }
            var c = p == ParticlePolarity.Bright ? -o.AdaptiveOffset : o.AdaptiveOffset;
            return (ImageOps.AdaptiveThreshold(relief, o.AdaptiveBlockSize, c, AdaptiveThresholdMethod.Gaussian, invert: p == ParticlePolarity.Dark), double.NaN);
        }
    }

    static double BorderShare(BinaryMask mask)
    {
        int w = mask.Width, h = mask.Height, inside = 0, total = 0;
        for (var x = 0; x < w; x++)
        {
            inside += mask.Data[x] + mask.Data[((h - 1) * w) + x];
            total += 2;
        }
        for (var y = 1; y < h - 1; y++)
        {
            inside += mask.Data[y * w] + mask.Data[(y * w) + w - 1];
            total += 2;
        }
        return (double)inside / total;
    }

    BinaryMask Clean(BinaryMask mask)
    {
        var o = Options;
        if (o.OpenRadius > 0)
            mask = ImageOps.Morphology(mask, MorphologyOperation.Open, (2 * o.OpenRadius) + 1);
        if (o.MaxHoleArea > 0)
        {
            var filled = ImageOps.FillHoles(mask);
            var holes = new BinaryMask(mask.Width, mask.Height);
            var any = false;
            for (var i = 0; i < holes.Data.Length; i++)
            {
                holes.Data[i] = (byte)(filled.Data[i] & (1 - mask.Data[i]));
                any |= holes.Data[i] != 0;
            }
            if (any)
            {
                // Only small holes are pores; large enclosed gaps in a dense field are background.
                var (labels, areas) = Components(holes, connectivity: 4);
                for (var i = 0; i < holes.Data.Length; i++)
                {
                    if (labels[i] > 0 && areas[labels[i]] <= o.MaxHoleArea)
                        mask.Data[i] = 1;
                }
            }
        }
        return RemoveSmall(mask, o.MinArea);
    }

    static BinaryMask RemoveSmall(BinaryMask mask, int minArea)
    {
        var (labels, areas) = Components(mask, connectivity: 8);
        for (var i = 0; i < mask.Data.Length; i++)
        {
            if (labels[i] > 0 && areas[labels[i]] < minArea)
                mask.Data[i] = 0;
        }
        return mask;
    }

    /// <summary>Component labels as a plain array (hot loops index it per pixel) and the area per label.</summary>
    static (int[] Labels, int[] Areas) Components(BinaryMask mask, int connectivity)
    {
        var labels = new int[mask.Data.Length];
        var stats = new double[64 * Native.NativeMethods.ComponentStatCount];
        var count = ImageOps.ConnectedComponents(mask.Data, mask.Width, mask.Height, connectivity, labels, ref stats);
        return (labels, ImageOps.ComponentAreas(stats, count));
    }

    /// <summary>Watershed labels: 0 background, 2.. particles (seed label + 1), −1 on dividing lines.</summary>
    int[] Split(GrayImage relief, BinaryMask mask)
    {
        var anyBackground = Array.IndexOf(mask.Data, (byte)0) >= 0;
        var distances = ImageOps.DistanceTransform(mask, borderIsBackground: !anyBackground);
        var seeds = Options.Markers == MarkerMethod.HMaxima
            ? SegmentationOps.HMaxima(distances, mask.Width, mask.Height, Options.PeakHeight)
            : FractionSeeds(mask, distances, Options.PeakFraction);
        var (seedLabels, _) = Components(seeds, connectivity: 8);
        var markers = new int[mask.Data.Length];
        for (var i = 0; i < markers.Length; i++)
            markers[i] = mask.Data[i] == 0 ? BackgroundMarker : seedLabels[i] > 0 ? seedLabels[i] + BackgroundMarker : 0;
        // Background sits half the grey range below every particle pixel, so OpenCV's flooding (lowest grey
        // step first) fills each particle from its seeds before the background marker can step inside.
        var flood = new GrayImage(mask.Width, mask.Height);
        for (var i = 0; i < markers.Length; i++)
            flood.Pixels[i] = mask.Data[i] == 0 ? 0f : 0.5f + (0.5f * Math.Clamp(relief.Pixels[i], 0f, 1f));
        return SegmentationOps.Watershed(flood, markers);
    }

    static BinaryMask FractionSeeds(BinaryMask mask, float[] distances, double fraction)
    {
        var (labels, areas) = Components(mask, connectivity: 8);
        var peak = new float[areas.Length];
        for (var i = 0; i < distances.Length; i++)
            peak[labels[i]] = Math.Max(peak[labels[i]], distances[i]);
        var seeds = new BinaryMask(mask.Width, mask.Height);
        for (var i = 0; i < distances.Length; i++)
            seeds.Data[i] = labels[i] > 0 && distances[i] >= fraction * peak[labels[i]] ? (byte)1 : (byte)0;
        return seeds;
    }

    /// <summary>
    /// Turns watershed output into labels 1..n in place: dividing-line pixels inside the mask join a neighbouring
    /// particle (so areas are not eroded), and particles below the minimum area are dropped. Returns n.
    /// </summary>
    int Compact(int[] labels, BinaryMask mask)
    {
        int width = mask.Width, height = mask.Height;
        var raw = (int[])labels.Clone();
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var i = (y * width) + x;
                var v = raw[i];
                if (mask.Data[i] == 0)
                    labels[i] = 0;
                else if (v > BackgroundMarker)
                    labels[i] = v - BackgroundMarker;
                else
                    labels[i] = NeighbourParticle(raw, width, height, x, y);
            }
        }

        var max = 0;
        foreach (var l in labels)
            max = Math.Max(max, l);
        var area = new int[max + 1];
        foreach (var l in labels)
            area[l]++;
        var map = new int[max + 1];
        var next = 0;
        for (var l = 1; l <= max; l++)
            map[l] = area[l] >= Options.MinArea ? ++next : 0;
        for (var i = 0; i < labels.Length; i++)
            labels[i] = map[labels[i]];
        return next;
    }

    static int NeighbourParticle(int[] raw, int width, int height, int x, int y)
    {
        ReadOnlySpan<(int Dx, int Dy)> offsets = [(-1, 0), (1, 0), (0, -1), (0, 1), (-1, -1), (1, -1), (-1, 1), (1, 1)];
        foreach (var (dx, dy) in offsets)
        {
            int nx = x + dx, ny = y + dy;
            if (nx >= 0 && nx < width && ny >= 0 && ny < height && raw[(ny * width) + nx] > BackgroundMarker)
                return raw[(ny * width) + nx] - BackgroundMarker;
        }
        return 0;
    }
}
