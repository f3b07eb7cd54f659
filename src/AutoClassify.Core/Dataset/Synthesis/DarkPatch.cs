namespace AutoClassify.Dataset.Synthesis;

/// <summary>An irregular dark blob: a crystalline-ice contaminant or an ice layer covering an object.</summary>
internal sealed class DarkPatch
{
    public required double CenterX { get; init; }
    public required double CenterY { get; init; }
    public required double Radius { get; init; }
    public required double Strength { get; init; }
    public double Irregularity { get; init; } = 0.3;
    public double Softness { get; init; } = 0.6;
    public required PerlinNoise Noise { get; init; }
    public double NoiseOffset { get; init; }

    public double MaxRadius => Radius * (1 + Irregularity) + 4 * Softness;

    public double Density(double x, double y)
    {
        double dx = x - CenterX, dy = y - CenterY;
        var r = Math.Sqrt(dx * dx + dy * dy);
        if (r > MaxRadius)
            return 0;
        var theta = Math.Atan2(dy, dx);
        var edge = Radius * (1 + Irregularity * Noise.Periodic(theta, 1.4, 3, NoiseOffset));
        var inside = 1 / (1 + Math.Exp((r - edge) / Softness));
        // Mottled interior, so the blob reads as a thick irregular crystal rather than a flat disc.
        var texture = 0.8 + 0.25 * Noise.Fractal(x * 0.35 + NoiseOffset, y * 0.35 - NoiseOffset, 2);
        return Strength * inside * texture;
    }
}

/// <summary>The edge of the holey carbon film: a darker, wobbly-bordered half-plane.</summary>
internal sealed class CarbonEdge
{
    public required double NormalX { get; init; }
    public required double NormalY { get; init; }

    /// <summary>Signed distance of the edge from the crop centre along the normal.</summary>
    public required double Offset { get; init; }
    public required double CenterX { get; init; }
    public required double CenterY { get; init; }
    public required double Strength { get; init; }
    public required PerlinNoise Noise { get; init; }
    public double NoiseOffset { get; init; }

    public double Density(double x, double y)
    {
        double dx = x - CenterX, dy = y - CenterY;
        var along = -dx * NormalY + dy * NormalX;
        var across = dx * NormalX + dy * NormalY - Offset - 1.5 * Noise.Fractal(along * 0.08 + NoiseOffset, NoiseOffset, 2);
        var inside = 1 / (1 + Math.Exp(-across / 0.8));
        return Strength * inside * (0.9 + 0.15 * Noise.Fractal(x * 0.2 - NoiseOffset, y * 0.2 + NoiseOffset, 2));
    }
}
