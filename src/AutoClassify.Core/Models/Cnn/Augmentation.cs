using System.Globalization;

namespace AutoClassify.Models.Cnn;

/// <summary>
/// Which random transforms training applies and how strong they are (the thesis's settings by default).
/// Each transform switches on its own, because the thesis ablates them one by one.
/// </summary>
/// <remarks>
/// The thesis's set suits particle crops. Whole-field tiles are textures whose scale is fixed by the magnification:
/// an arbitrary angle, zoom or shear resamples them (bilinear interpolation blurs exactly the fine texture that tells
/// the classes apart) and changes the apparent particle size. <see cref="Field"/> keeps to the exact symmetries of a
/// square pixel grid, quarter turns and mirrors, which move pixels without interpolating them.
/// </remarks>
public sealed record AugmentationOptions
{
    /// <summary>Rotate by an angle drawn uniformly from ±<see cref="MaxRotationDegrees"/>.</summary>
    public bool Rotate { get; init; } = true;

    public double MaxRotationDegrees { get; init; } = 180;

    /// <summary>
    /// Turn by 0, 90, 180 or 270 degrees, drawn uniformly. On a square input a quarter turn moves whole pixels, so
    /// nothing is interpolated. With <see cref="Rotate"/> the two add up.
    /// </summary>
    public bool QuarterTurns { get; init; }

    /// <summary>
    /// Shear by a coefficient drawn uniformly from [0, <see cref="MaxShear"/>] (x moves by shear · y).
    /// The flips make the sign random in effect.
    /// </summary>
    public bool Shear { get; init; } = true;

    public double MaxShear { get; init; } = 0.2;

    /// <summary>Shift by fractions of width and height drawn uniformly from ±<see cref="MaxShiftFraction"/>.</summary>
    public bool Shift { get; init; } = true;

    public double MaxShiftFraction { get; init; } = 0.1;

    /// <summary>
    /// Zoom by a factor drawn from [<see cref="MinZoom"/>, <see cref="MaxZoom"/>]. As in Keras the factor scales the
    /// sampled field, so 0.8 samples 80 % of the image and magnifies it by 1.25.
    /// </summary>
    public bool Zoom { get; init; } = true;

    public double MinZoom { get; init; } = 0.8;

    public double MaxZoom { get; init; } = 1.0;

    /// <summary>Mirror left-right with probability <see cref="FlipProbability"/>.</summary>
    public bool FlipHorizontal { get; init; } = true;

    /// <summary>Mirror top-bottom with probability <see cref="FlipProbability"/>.</summary>
    public bool FlipVertical { get; init; } = true;

    public double FlipProbability { get; init; } = 0.5;

    /// <summary>The thesis's full augmentation.</summary>
    public static AugmentationOptions Default { get; } = new();

    /// <summary>No augmentation at all.</summary>
    public static AugmentationOptions None { get; } = new()
    {
        Rotate = false,
        Shear = false,
        Shift = false,
        Zoom = false,
        FlipHorizontal = false,
        FlipVertical = false,
    };

    /// <summary>
    /// Exact symmetries only, for whole-field tiles: quarter turns and both mirrors (the eight orientations of the
    /// square), with no resampling and no change of scale. Declared after <see cref="None"/>, which it starts from.
    /// </summary>
    public static AugmentationOptions Field { get; } = None with { QuarterTurns = true, FlipHorizontal = true, FlipVertical = true };

    /// <summary>True when no transform is switched on.</summary>
    public bool IsNone => !Rotate && !QuarterTurns && !Shear && !Shift && !Zoom && !FlipHorizontal && !FlipVertical;

    /// <summary>True when every transform moves whole pixels only (quarter turns and mirrors): nothing is interpolated.</summary>
    public bool IsExact => !Rotate && !Shear && !Shift && !Zoom;

    /// <summary>Names accepted by <see cref="Parse"/>, in the order <see cref="ToString"/> writes them.</summary>
    public static IReadOnlyList<string> TransformNames { get; } = ["rotate", "rot90", "shear", "shift", "zoom", "hflip", "vflip"];

    /// <summary>
    /// Parses <c>all</c> (the thesis's six transforms), <c>field</c> (<see cref="Field"/>), <c>none</c> or a
    /// comma-separated subset of <c>rotate,rot90,shear,shift,zoom,hflip,vflip</c> (strengths stay at the thesis's values).
    /// </summary>
    public static AugmentationOptions Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        if (trimmed.Equals("all", StringComparison.OrdinalIgnoreCase))
            return Default;
        if (trimmed.Equals("none", StringComparison.OrdinalIgnoreCase) || trimmed.Length == 0)
            return None;
        if (trimmed.Equals("field", StringComparison.OrdinalIgnoreCase))
            return Field;
        var result = None;
        foreach (var part in trimmed.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            result = part.ToLowerInvariant() switch
            {
                "rotate" => result with { Rotate = true },
                "rot90" => result with { QuarterTurns = true },
                "shear" => result with { Shear = true },
                "shift" => result with { Shift = true },
                "zoom" => result with { Zoom = true },
                "hflip" => result with { FlipHorizontal = true },
                "vflip" => result with { FlipVertical = true },
                _ => throw new FormatException(
                    $"Unknown augmentation '{part}' in '{text}'. Use all, field, none or a list of {string.Join(",", TransformNames)}."),
            };
        }
        return result;
    }

    /// <summary>Checks every strength; throws naming the first bad parameter.</summary>
    public void Validate()
    {
        Check(MaxRotationDegrees, 0, 180, nameof(MaxRotationDegrees));
        Check(MaxShear, 0, 1, nameof(MaxShear));
        Check(MaxShiftFraction, 0, 0.5, nameof(MaxShiftFraction));
        Check(MinZoom, 0.1, 10, nameof(MinZoom));
        Check(MaxZoom, MinZoom, 10, nameof(MaxZoom));
        Check(FlipProbability, 0, 1, nameof(FlipProbability));
    }

    static void Check(double value, double min, double max, string name)
    {
        if (double.IsNaN(value) || value < min || value > max)
            throw new ArgumentOutOfRangeException(name, value, string.Create(CultureInfo.InvariantCulture, $"Augmentation {name} must lie in [{min}, {max}]."));
    }

    /// <summary>The switched-on transforms as <see cref="Parse"/> reads them.</summary>
    public override string ToString()
    {
        if (IsNone)
            return "none";
        var on = new[] { Rotate, QuarterTurns, Shear, Shift, Zoom, FlipHorizontal, FlipVertical };
        if (Rotate && !QuarterTurns && Shear && Shift && Zoom && FlipHorizontal && FlipVertical)
            return "all";
        return string.Join(",", TransformNames.Where((_, i) => on[i]));
    }
}

/// <summary>One drawn set of transform parameters.</summary>
/// <param name="RotationDegrees">Rotation angle.</param>
/// <param name="Shear">Shear coefficient (x += shear · y).</param>
/// <param name="ShiftX">Shift as a fraction of the width.</param>
/// <param name="ShiftY">Shift as a fraction of the height.</param>
/// <param name="Zoom">Scale of the sampled field (below 1 magnifies).</param>
/// <param name="FlipX">Mirror left-right.</param>
/// <param name="FlipY">Mirror top-bottom.</param>
/// <param name="QuarterTurns">Extra quarter turns (0 to 3), added to the rotation angle.</param>
public readonly record struct AffineDraw(double RotationDegrees, double Shear, double ShiftX, double ShiftY, double Zoom, bool FlipX, bool FlipY, int QuarterTurns = 0)
{
    public static AffineDraw Identity => new(0, 0, 0, 0, 1, false, false);

    /// <summary>
    /// The 2×3 matrix for <c>affine_grid</c> (row-major, align_corners = false): it maps normalised output
    /// coordinates in [−1, 1] to the normalised input coordinates sampled there. The transform is built in pixel
    /// units around the image centre, A = rotation · shear · zoom · flip and a shift t, and converted with
    /// D = diag(W/2, H/2) as θ = [D⁻¹AD | D⁻¹t], so rotation and shear stay true angles on non-square images.
    /// </summary>
    public float[] ToTheta(int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        var (cos, sin) = CosSin(RotationDegrees + 90.0 * QuarterTurns);
        double fx = FlipX ? -Zoom : Zoom, fy = FlipY ? -Zoom : Zoom;
        // Rotation · [[1, shear], [0, 1]] · diag(fx, fy), in pixel units.
        var a00 = cos * fx;
        var a01 = (cos * Shear - sin) * fy;
        var a10 = sin * fx;
        var a11 = (sin * Shear + cos) * fy;
        double halfW = width / 2.0, halfH = height / 2.0;
        return
        [
            (float)a00, (float)(a01 * halfH / halfW), (float)(2 * ShiftX),
            (float)(a10 * halfW / halfH), (float)a11, (float)(2 * ShiftY),
        ];
    }

    // Whole multiples of 90 degrees get exact zeros and ones, so a quarter turn samples pixel centres exactly.
    static (double Cos, double Sin) CosSin(double degrees)
    {
        var turns = degrees / 90;
        if (turns == Math.Round(turns))
        {
            return ((int)(((long)turns % 4 + 4) % 4)) switch
            {
                0 => (1, 0),
                1 => (0, 1),
                2 => (-1, 0),
                _ => (0, -1),
            };
        }
        var angle = degrees * Math.PI / 180;
        return (Math.Cos(angle), Math.Sin(angle));
    }
}

/// <summary>Draws a fresh transform for every training sample from a seeded generator.</summary>
public sealed class AffineAugmenter
{
    readonly AugmentationOptions options;
    readonly Random random;

    public AffineAugmenter(AugmentationOptions options, int seed)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        this.options = options;
        random = new Random(seed);
    }

    /// <summary>One sample's parameters; switched-off transforms stay at the identity.</summary>
    public AffineDraw Draw()
    {
        // Every draw is made even when its transform is off, so switching one off leaves the others' values unchanged.
        var rotation = Uniform(-options.MaxRotationDegrees, options.MaxRotationDegrees);
        var shear = Uniform(0, options.MaxShear);
        var shiftX = Uniform(-options.MaxShiftFraction, options.MaxShiftFraction);
        var shiftY = Uniform(-options.MaxShiftFraction, options.MaxShiftFraction);
        var zoom = Uniform(options.MinZoom, options.MaxZoom);
        var flipX = random.NextDouble() < options.FlipProbability;
        var flipY = random.NextDouble() < options.FlipProbability;
        // Drawn last and only when switched on, so the thesis's transforms draw the same values as before it existed.
        var quarterTurns = options.QuarterTurns ? random.Next(4) : 0;
        return new AffineDraw(
            options.Rotate ? rotation : 0,
            options.Shear ? shear : 0,
            options.Shift ? shiftX : 0,
            options.Shift ? shiftY : 0,
            options.Zoom ? zoom : 1,
            options.FlipHorizontal && flipX,
            options.FlipVertical && flipY,
            quarterTurns);
    }

    /// <summary>Thetas for a batch, <c>count × 6</c> floats in the layout of an (N, 2, 3) tensor.</summary>
    public float[] DrawThetas(int count, int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var thetas = new float[count * 6];
        for (var i = 0; i < count; i++)
            Draw().ToTheta(width, height).CopyTo(thetas, i * 6);
        return thetas;
    }

    double Uniform(double low, double high) => low + (high - low) * random.NextDouble();
}
