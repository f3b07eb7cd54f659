namespace AutoClassify.Dataset.Synthesis;

/// <summary>
/// One closed lipid bilayer seen in projection: a thin spherical shell whose outline is perturbed with angle
/// (ellipticity plus Perlin wobble) and whose visibility varies along its length.
/// </summary>
internal sealed class Membrane
{
    public required double CenterX { get; init; }
    public required double CenterY { get; init; }
    public required double Radius { get; init; }

    /// <summary>Bilayer thickness in pixels; above ~2 px the two leaflets show as a double line.</summary>
    public required double Thickness { get; init; }

    public double Ellipticity { get; init; }
    public double Orientation { get; init; }
    public double Wobble { get; init; }
    public double Roughness { get; init; } = 1;
    public double ContrastVariation { get; init; }

    /// <summary>Multiplies the projected density, e.g. weaker inner lamellae.</summary>
    public double Weight { get; init; } = 1;

    /// <summary>Angular stretches (centre, half width in radians) where the membrane fades out.</summary>
    public IReadOnlyList<(double Center, double HalfWidth)> Gaps { get; init; } = [];

    public required PerlinNoise Noise { get; init; }
    public double NoiseOffset { get; init; }

    /// <summary>Outline radius at angle <paramref name="theta"/>.</summary>
    public double RadiusAt(double theta)
        => Radius * (1 + Ellipticity * Math.Cos(2 * (theta - Orientation))
                       + Wobble * Noise.Periodic(theta, Roughness, 2, NoiseOffset));

    /// <summary>Upper bound of the outline radius over all angles.</summary>
    public double MaxRadius => Radius * (1 + Ellipticity + Wobble);

    public bool Contains(double x, double y)
    {
        double dx = x - CenterX, dy = y - CenterY;
        return Math.Sqrt(dx * dx + dy * dy) <= RadiusAt(Math.Atan2(dy, dx));
    }

    /// <summary>Projected density at a point, about 1 on the rim, a little above 0 inside, 0 outside.</summary>
    public double Density(double x, double y)
    {
        double dx = x - CenterX, dy = y - CenterY;
        var r = Math.Sqrt(dx * dx + dy * dy);
        if (r > MaxRadius + 1)
            return 0;
        var theta = Math.Atan2(dy, dx);
        var rEff = r * Radius / RadiusAt(theta);
        if (rEff > Radius)
            return 0;

        double outer = Radius, inner = Radius - Thickness, head = 0.38 * Thickness;
        // Head groups are denser than the tails; that is what makes the bilayer a dark double line.
        var profile = Shell(rEff, outer, outer - head)
                    + Shell(rEff, inner + head, inner)
                    + 0.3 * Shell(rEff, outer - head, inner + head);
        var peak = 2 * Math.Sqrt(outer * outer - inner * inner);
        var visibility = Weight * Math.Max(0, 1 + ContrastVariation * Noise.Periodic(theta, 1.7, 2, NoiseOffset + 41.3));
        foreach (var (center, halfWidth) in Gaps)
        {
            var d = Math.Abs(Math.IEEERemainder(theta - center, 2 * Math.PI)) / halfWidth;
            if (d < 1)
                visibility *= 0.5 * (1 - Math.Cos(Math.PI * d));
        }
        // Our pixel thickness is large relative to the radius compared with a real ~4 nm bilayer on a ~100 nm
        // vesicle, which would over-darken the face-on interior; the power restores a thin-shell rim/interior ratio.
        return visibility * Math.Pow(profile / peak, 1.6);
    }

    /// <summary>Path length through a solid shell between radii <paramref name="outer"/> and <paramref name="inner"/>.</summary>
    static double Shell(double r, double outer, double inner)
    {
        var r2 = r * r;
        var a = outer * outer - r2;
        if (a <= 0)
            return 0;
        var b = inner > 0 ? inner * inner - r2 : 0;
        return 2 * (Math.Sqrt(a) - (b > 0 ? Math.Sqrt(b) : 0));
    }
}
