using AutoClassify.Imaging;

namespace AutoClassify.Dataset.Synthesis;

/// <summary>
/// Builds one crop: a scene of membranes and dark patches, projected onto an uneven ice background, blurred by
/// the microscope, given a defocus fringe and low-dose noise. All randomness comes from one seeded generator.
/// </summary>
internal sealed class CropRenderer
{
    readonly LiposomeSynthesisOptions _options;
    readonly int _size;
    readonly double _px;
    readonly Random _rng;
    readonly PerlinNoise _noise;
    readonly List<Membrane> _membranes = [];
    readonly List<Membrane> _maskShapes = [];
    readonly List<DarkPatch> _patches = [];
    CarbonEdge? _carbon;
    double _centerX, _centerY, _thickness;

    CropRenderer(LiposomeSynthesisOptions options, int seed)
    {
        _options = options;
        _size = options.ImageSize;
        // Hand-tuned pixel lengths below refer to a 64-px crop and scale with the requested size.
        _px = _size / 64.0;
        _rng = new Random(seed);
        _noise = new PerlinNoise(_rng.Next());
    }

    public static SynthesizedCrop Render(LiposomeSynthesisOptions options, LiposomeClass kind, int seed)
        => new CropRenderer(options, seed).Run(kind);

    SynthesizedCrop Run(LiposomeClass kind)
    {
        var jitter = _options.CenterJitter * _size;
        _centerX = _size / 2.0 + Uniform(-jitter, jitter);
        _centerY = _size / 2.0 + Uniform(-jitter, jitter);
        _thickness = Uniform(1.1, 2.4) * _px;

        var extent = kind switch
        {
            LiposomeClass.Unilamellar => BuildUnilamellar(),
            LiposomeClass.Multilamellar => BuildMultilamellar(),
            _ => BuildUncertain(),
        };
        AddSurroundings(extent);
        return new SynthesizedCrop(FormImage(), BuildMask(), kind);
    }

    double Room => Math.Min(Math.Min(_centerX, _size - _centerX), Math.Min(_centerY, _size - _centerY)) - 1.5 * _px;

    double SampleRadius(double lowerShare = 0)
    {
        var range = _options.RadiusRange;
        var min = range.Min + lowerShare * (range.Max - range.Min);
        return Uniform(min, range.Max) * _size;
    }

    double BuildUnilamellar()
    {
        var outline = Outline(wobbleMax: 0.04, ellipticityMax: 0.08);
        var radius = Math.Min(SampleRadius(), Room / (1 + outline.Ellipticity + outline.Wobble));
        var membrane = NewMembrane(_centerX, _centerY, radius, outline);
        _membranes.Add(membrane);
        _maskShapes.Add(membrane);
        return membrane.MaxRadius;
    }

    double BuildMultilamellar()
    {
        var outline = Outline(wobbleMax: 0.04, ellipticityMax: 0.08);
        var radius = Math.Min(SampleRadius(0.25), Room / (1 + outline.Ellipticity + outline.Wobble));
        var outer = NewMembrane(_centerX, _centerY, radius, outline);
        _membranes.Add(outer);
        _maskShapes.Add(outer);

        if (_rng.NextDouble() < 0.2)
        {
            // Oligovesicular: one smaller vesicle trapped off-centre inside the outer one.
            var innerRadius = radius * Uniform(0.35, 0.7);
            var slack = Math.Max(0, radius * (1 - outline.Ellipticity - outline.Wobble) - innerRadius - 2.5 * _px);
            var angle = Uniform(0, 2 * Math.PI);
            var shift = slack * Uniform(0.2, 1.0);
            _membranes.Add(NewMembrane(_centerX + shift * Math.Cos(angle), _centerY + shift * Math.Sin(angle), innerRadius,
                Outline(0.04, 0.1), weight: Uniform(0.7, 1.0)));
            return outer.MaxRadius;
        }

        var rings = Pick([0.45, 0.3, 0.15, 0.1]) + 2;
        var spacing = Uniform(2.6, 4.6) * _px;
        double currentRadius = radius, offsetX = 0, offsetY = 0;
        for (var i = 1; i < rings; i++)
        {
            var gap = spacing * Uniform(0.75, 1.3);
            var nextRadius = currentRadius - gap;
            if (nextRadius < 3 * _px)
                break;
            // Lamellae are nearly, not exactly, concentric; keep each one clear of its neighbour.
            var drift = Math.Max(0, gap - 1.6 * _px - (outline.Wobble + outline.Ellipticity) * currentRadius) * Uniform(0, 0.6);
            var driftAngle = Uniform(0, 2 * Math.PI);
            offsetX += drift * Math.Cos(driftAngle);
            offsetY += drift * Math.Sin(driftAngle);
            var ring = outline with
            {
                Ellipticity = outline.Ellipticity * Uniform(0.5, 1.1),
                Orientation = outline.Orientation + Uniform(-0.3, 0.3),
                Wobble = Uniform(0.01, 0.04),
            };
            _membranes.Add(NewMembrane(_centerX + offsetX, _centerY + offsetY, nextRadius, ring, weight: Uniform(0.65, 1.0)));
            currentRadius = nextRadius;
        }
        return outer.MaxRadius;
    }

    double BuildUncertain() => _rng.Next(4) switch
    {
        0 => BuildOverlap(),
        1 => BuildIceCovered(),
        2 => BuildDeformed(),
        _ => BuildCluster(),
    };

    double BuildOverlap()
    {
        var r1 = SampleRadius() * Uniform(0.65, 0.9);
        var r2 = r1 * Uniform(0.6, 1.1);
        var distance = (r1 + r2) * Uniform(0.45, 0.9);
        var angle = Uniform(0, 2 * Math.PI);
        // Centre the pair on its area-weighted midpoint, as a segmenter would crop the merged blob.
        var share = r2 * r2 / (r1 * r1 + r2 * r2);
        double d1 = distance * share, d2 = distance - d1;
        var reach = Math.Max(d1 + r1, d2 + r2) * 1.06;
        var scale = Math.Min(1, Room / reach);
        r1 *= scale; r2 *= scale; d1 *= scale; d2 *= scale;
        double ux = Math.Cos(angle), uy = Math.Sin(angle);
        var first = NewMembrane(_centerX - d1 * ux, _centerY - d1 * uy, r1, Outline(0.03, 0.05));
        var second = NewMembrane(_centerX + d2 * ux, _centerY + d2 * uy, r2, Outline(0.03, 0.05));
        _membranes.Add(first);
        _membranes.Add(second);
        _maskShapes.Add(first);
        _maskShapes.Add(second);
        if (_rng.NextDouble() < 0.3)
            _membranes.Add(NewMembrane(second.CenterX, second.CenterY, r2 - Uniform(2.2, 3.5) * _px, Outline(0.03, 0.05), weight: 0.8));
        return Math.Max(d1 + first.MaxRadius, d2 + second.MaxRadius);
    }

    double BuildIceCovered()
    {
        double extent = _rng.NextDouble() < 0.7 ? BuildUnilamellar() : BuildMultilamellar();
        var vesicle = _maskShapes[0];
        var angle = Uniform(0, 2 * Math.PI);
        var distance = vesicle.Radius * Uniform(0.3, 0.9);
        _patches.Add(new DarkPatch
        {
            CenterX = _centerX + distance * Math.Cos(angle),
            CenterY = _centerY + distance * Math.Sin(angle),
            Radius = vesicle.Radius * Uniform(0.45, 0.85),
            Strength = Uniform(0.6, 1.3),
            Irregularity = Uniform(0.2, 0.45),
            Softness = Uniform(0.5, 1.5) * _px,
            Noise = _noise,
            NoiseOffset = Uniform(0, 100),
        });
        return extent;
    }

    double BuildDeformed()
    {
        var outline = Outline(0.04, 0.08) with
        {
            Ellipticity = Uniform(0.08, 0.22),
            Wobble = Uniform(0.1, 0.2),
            Roughness = Uniform(0.7, 1.4),
        };
        var radius = Math.Min(SampleRadius(), Room / (1 + outline.Ellipticity + outline.Wobble));
        var gaps = new List<(double, double)>();
        for (var g = _rng.Next(1, 4); g > 0; g--)
            gaps.Add((Uniform(0, 2 * Math.PI), Uniform(0.3, 1.0)));
        var membrane = NewMembrane(_centerX, _centerY, radius, outline, gaps: gaps);
        _membranes.Add(membrane);
        _maskShapes.Add(membrane);
        if (_rng.NextDouble() < 0.5)
        {
            // A loose inner fragment: neither clearly a second lamella nor clearly absent.
            var arc = Uniform(0.8, 2.2);
            _membranes.Add(NewMembrane(_centerX, _centerY, radius * Uniform(0.5, 0.8), outline with { Wobble = 0.08 },
                weight: Uniform(0.6, 1.0), gaps: [(Uniform(0, 2 * Math.PI), Math.PI - arc / 2)]));
        }
        return membrane.MaxRadius;
    }

    double BuildCluster()
    {
        var main = SampleRadius() * Uniform(0.45, 0.6);
        var count = _rng.Next(3, 5);
        var parts = new List<(double X, double Y, double R)>();
        var start = Uniform(0, 2 * Math.PI);
        for (var i = 0; i < count; i++)
        {
            var r = main * Uniform(0.7, 1.1);
            var angle = start + 2 * Math.PI * i / count + Uniform(-0.3, 0.3);
            var distance = main * Uniform(0.8, 1.2);
            parts.Add((distance * Math.Cos(angle), distance * Math.Sin(angle), r));
        }
        double meanX = parts.Average(p => p.X), meanY = parts.Average(p => p.Y);
        var reach = parts.Max(p => Math.Sqrt((p.X - meanX) * (p.X - meanX) + (p.Y - meanY) * (p.Y - meanY)) + p.R) * 1.05;
        var scale = Math.Min(1, Room / reach);
        foreach (var (x, y, r) in parts)
        {
            var m = NewMembrane(_centerX + (x - meanX) * scale, _centerY + (y - meanY) * scale, r * scale, Outline(0.03, 0.06));
            _membranes.Add(m);
            _maskShapes.Add(m);
        }
        return reach * scale;
    }

    void AddSurroundings(double extent)
    {
        if (_rng.NextDouble() < 0.2)
        {
            // Part of a neighbouring vesicle reaching into the crop from outside.
            var r = SampleRadius() * Uniform(0.6, 1.2);
            var angle = Uniform(0, 2 * Math.PI);
            var distance = Math.Max(extent + r + 3 * _px, _size * 0.5 + r * Uniform(0.1, 0.6));
            _membranes.Add(NewMembrane(_centerX + distance * Math.Cos(angle), _centerY + distance * Math.Sin(angle), r, Outline(0.03, 0.06)));
        }
        if (_rng.NextDouble() < 0.3)
        {
            for (var i = _rng.Next(1, 4); i > 0; i--)
            {
                var r = Uniform(1.2, 3.5) * _px;
                var angle = Uniform(0, 2 * Math.PI);
                var distance = Uniform(extent + r * 1.5 + 2 * _px, extent + r * 1.5 + 2 * _px + 0.25 * _size);
                _patches.Add(new DarkPatch
                {
                    CenterX = _centerX + distance * Math.Cos(angle),
                    CenterY = _centerY + distance * Math.Sin(angle),
                    Radius = r,
                    Strength = Uniform(0.8, 2.0),
                    Irregularity = Uniform(0.15, 0.4),
                    Softness = 0.5 * _px,
                    Noise = _noise,
                    NoiseOffset = Uniform(0, 100),
                });
            }
        }
        if (_rng.NextDouble() < 0.1)
        {
            var angle = Uniform(0, 2 * Math.PI);
            _carbon = new CarbonEdge
            {
                NormalX = Math.Cos(angle),
                NormalY = Math.Sin(angle),
                Offset = extent + Uniform(3, 10) * _px,
                CenterX = _centerX,
                CenterY = _centerY,
                Strength = Uniform(0.4, 0.9),
                Noise = _noise,
                NoiseOffset = Uniform(0, 100),
            };
        }
    }

    GrayImage FormImage()
    {
        int n = _size;
        var contrast = _options.ContrastRange.Sample(_rng);
        var noiseSigma = _options.NoiseRange.Sample(_rng);
        var blurSigma = _options.BlurRange.Sample(_rng) * n;
        var defocus = _options.DefocusRange.Sample(_rng);
        var fringeSigma = Uniform(1.2, 2.4) * _px;
        var level = Uniform(0.42, 0.58);
        var iceAmplitude = Uniform(0.01, 0.05);
        var iceFrequency = Uniform(1.0, 3.0);
        var iceOffset = Uniform(0, 100);

        var image = new double[n * n];
        for (var y = 0; y < n; y++)
        {
            for (var x = 0; x < n; x++)
            {
                // 2x2 supersampling keeps one-pixel-thin membranes from aliasing.
                double density = 0;
                for (var sy = 0; sy < 2; sy++)
                    for (var sx = 0; sx < 2; sx++)
                        density += DensityAt(x + 0.25 + 0.5 * sx, y + 0.25 + 0.5 * sy);
                var ice = iceAmplitude * _noise.Fractal(iceOffset + iceFrequency * x / n, iceOffset + iceFrequency * y / n, 3);
                image[y * n + x] = level + ice - contrast * density / 4;
            }
        }

        image = GaussianBlur(image, n, blurSigma);
        if (defocus > 0)
        {
            var smooth = GaussianBlur(image, n, fringeSigma);
            for (var i = 0; i < image.Length; i++)
                image[i] += defocus * (image[i] - smooth[i]);
        }

        var noise = new double[n * n];
        for (var i = 0; i < noise.Length; i++)
            noise[i] = Gaussian();
        var grainSigma = 0.5 * _px;
        noise = GaussianBlur(noise, n, grainSigma);
        var grainGain = 1 / NoiseStdAfterBlur(grainSigma);

        var pixels = new float[n * n];
        for (var i = 0; i < pixels.Length; i++)
            pixels[i] = (float)Math.Clamp(image[i] + noiseSigma * grainGain * noise[i], 0, 1);
        return new GrayImage(n, n, pixels);
    }

    double DensityAt(double x, double y)
    {
        double d = 0;
        foreach (var m in _membranes)
            d += m.Density(x, y);
        foreach (var p in _patches)
            d += p.Density(x, y);
        if (_carbon is not null)
            d += _carbon.Density(x, y);
        return d;
    }

    BinaryMask BuildMask()
    {
        var mask = new BinaryMask(_size, _size);
        for (var y = 0; y < _size; y++)
        {
            for (var x = 0; x < _size; x++)
            {
                foreach (var m in _maskShapes)
                {
                    if (m.Contains(x + 0.5, y + 0.5))
                    {
                        mask[x, y] = true;
                        break;
                    }
                }
            }
        }
        return mask;
    }

    readonly record struct OutlineShape(double Ellipticity, double Orientation, double Wobble, double Roughness, double ContrastVariation);

    OutlineShape Outline(double wobbleMax, double ellipticityMax) => new(
        Uniform(0, ellipticityMax), Uniform(0, Math.PI), Uniform(0.005, wobbleMax), Uniform(0.8, 1.6), Uniform(0.1, 0.35));

    Membrane NewMembrane(double x, double y, double radius, OutlineShape shape, double weight = 1,
        IReadOnlyList<(double, double)>? gaps = null) => new()
        {
            CenterX = x,
            CenterY = y,
            Radius = radius,
            Thickness = Math.Min(_thickness, 0.5 * radius),
            Ellipticity = shape.Ellipticity,
            Orientation = shape.Orientation,
            Wobble = shape.Wobble,
            Roughness = shape.Roughness,
            ContrastVariation = shape.ContrastVariation,
            Weight = weight,
            Gaps = gaps ?? [],
            Noise = _noise,
            NoiseOffset = Uniform(0, 100),
        };

    double Uniform(double min, double max) => min + (max - min) * _rng.NextDouble();

    int Pick(ReadOnlySpan<double> weights)
    {
        var u = _rng.NextDouble();
        for (var i = 0; i < weights.Length - 1; i++)
        {
            if (u < weights[i])
                return i;
            u -= weights[i];
        }
        return weights.Length - 1;
    }

    double Gaussian()
    {
        // Box-Muller; 1 - NextDouble() avoids log(0).
        var u1 = 1 - _rng.NextDouble();
        var u2 = _rng.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    static double[] Kernel(double sigma)
    {
        var radius = Math.Max(1, (int)Math.Ceiling(3 * sigma));
        var k = new double[2 * radius + 1];
        double sum = 0;
        for (var i = -radius; i <= radius; i++)
            sum += k[i + radius] = Math.Exp(-0.5 * i * i / (sigma * sigma));
        for (var i = 0; i < k.Length; i++)
            k[i] /= sum;
        return k;
    }

    static double NoiseStdAfterBlur(double sigma)
    {
        if (sigma <= 0)
            return 1;
        // Separable 2-D kernel: sqrt(sum over i,j of (k_i k_j)^2) equals sum of k_i^2.
        return Kernel(sigma).Sum(w => w * w);
    }

    /// <summary>Separable Gaussian blur with mirrored borders.</summary>
    static double[] GaussianBlur(double[] source, int n, double sigma)
    {
        if (sigma <= 0.05)
            return source;
        var k = Kernel(sigma);
        var radius = k.Length / 2;
        var temp = new double[source.Length];
        var result = new double[source.Length];
        for (var y = 0; y < n; y++)
        {
            for (var x = 0; x < n; x++)
            {
                double s = 0;
                for (var i = -radius; i <= radius; i++)
                    s += k[i + radius] * source[y * n + Mirror(x + i, n)];
                temp[y * n + x] = s;
            }
        }
        for (var y = 0; y < n; y++)
        {
            for (var x = 0; x < n; x++)
            {
                double s = 0;
                for (var i = -radius; i <= radius; i++)
                    s += k[i + radius] * temp[Mirror(y + i, n) * n + x];
                result[y * n + x] = s;
            }
        }
        return result;
    }

    static int Mirror(int i, int n)
    {
        while (i < 0 || i >= n)
            i = i < 0 ? -i - 1 : 2 * n - i - 1;
        return i;
    }
}
