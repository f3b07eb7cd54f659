namespace AutoClassify.Imaging.Formats;

/// <summary>Length units as microscope metadata spell them, converted to nanometres.</summary>
public static class LengthUnits
{
    /// <summary>Nanometres in one <paramref name="unit"/> (m, mm, µm/um/micron, nm, Å/A/angstrom, pm), or null when it is no length.</summary>
    public static double? NanometresPer(string unit)
    {
        ArgumentNullException.ThrowIfNull(unit);
        return unit.Trim().Replace('\u03BC', '\u00B5') switch
        {
            "m" => 1e9,
            "mm" => 1e6,
            "\u00B5m" or "um" or "micron" or "microns" or "µ" => 1e3,
            "nm" => 1,
            "\u00C5" or "\u212B" or "A" or "Angstrom" or "angstrom" or "Ang" => 0.1,
            "pm" => 1e-3,
            _ => null,
        };
    }
}
