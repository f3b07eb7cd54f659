namespace AutoClassify.Imaging.Formats;

/// <summary>
/// One 2D image as a microscope file stores it, before any intensity mapping: the stored grey values as float,
/// the stored data type, and the physical pixel size when the file's metadata gives one.
/// </summary>
/// <param name="Source">The file (with <c>#k</c> for section k of a stack), for messages.</param>
/// <param name="Width">Columns.</param>
/// <param name="Height">Rows.</param>
/// <param name="Values">Row-major stored values (index <c>y * Width + x</c>), converted to float but not rescaled.</param>
/// <param name="DataType">The stored type: <c>uint8</c>, <c>int8</c>, <c>uint16</c>, <c>int16</c>, <c>uint32</c>, <c>int32</c>, <c>float16</c>, <c>float32</c> or <c>float64</c>.</param>
/// <param name="Scale">The pixel size and where it came from, or null when the file declares none.</param>
/// <param name="Warnings">Things a user should know about the file (a negative cell, a reciprocal calibration).</param>
public sealed record EmImage(string Source, int Width, int Height, float[] Values, string DataType, ImageScale? Scale, IReadOnlyList<string> Warnings)
{
    /// <summary>Bits per stored value (8, 16, 32 or 64).</summary>
    public int BitDepth => DataTypes.BitDepth(DataType);
}

/// <summary>A physical pixel size and the metadata it was read from (e.g. "MRC header cella/mx").</summary>
public sealed record ImageScale(PixelSize Size, string Source);

/// <summary>The stored data types the readers name, and their widths.</summary>
public static class DataTypes
{
    /// <summary>Bits per value of a data type name; 8 for anything unknown.</summary>
    public static int BitDepth(string dataType) => dataType switch
    {
        "uint16" or "int16" or "float16" => 16,
        "uint32" or "int32" or "float32" => 32,
        "float64" => 64,
        _ => 8,
    };

    /// <summary>True for 8-bit integers, which map to [0, 1] by their fixed range rather than by percentiles.</summary>
    public static bool IsEightBit(string dataType) => dataType is "uint8" or "int8";
}

/// <summary>Limits that protect the readers from absurd headers.</summary>
public static class EmImageLimits
{
    /// <summary>The default largest image accepted, in pixels (2^28, a 16384 x 16384 field).</summary>
    public const long DefaultMaxPixels = 1L << 28;

    /// <summary>
    /// Throws <see cref="ImageDecodeException"/> when a width x height image is not positive or exceeds
    /// <paramref name="maxPixels"/>, before anything is allocated.
    /// </summary>
    public static void Check(string source, long width, long height, long maxPixels)
    {
        if (width <= 0 || height <= 0)
            throw new ImageDecodeException(source, $"the header declares an image of {width}x{height} pixels; the file is damaged");
        // In double, so two huge sides cannot overflow the product.
        var pixels = (double)width * height;
        if (pixels > maxPixels || pixels > Array.MaxLength)
            throw new ImageDecodeException(source, string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"the header declares an image of {width}x{height} = {pixels:0} pixels, more than the limit of {maxPixels} (raise it with --max-image-pixels if the file is real)"));
    }
}
