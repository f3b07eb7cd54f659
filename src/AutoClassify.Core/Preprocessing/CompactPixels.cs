using AutoClassify.Imaging;

namespace AutoClassify.Preprocessing;

/// <summary>
/// A float image's pixels held in 1 or 2 bytes each when that loses nothing: every pixel is stored as a code into a
/// table of the float values the image holds, and <see cref="Expand"/> gives back the very same floats, bit for bit.
/// 8-bit sources (values k/255) take 1 byte per pixel, 16-bit ones 2; anything else (resampled, masked with a
/// background level) stays float.
/// </summary>
internal sealed class CompactPixels
{
    // A 16-bit table is 256 KiB; below this many pixels it would cost more than the floats it saves.
    const int MinPixelsFor16Bit = 1 << 17;

    readonly byte[]? bytes;
    readonly ushort[]? words;
    readonly float[]? floats;
    readonly float[]? table;

    CompactPixels(int width, int height, byte[]? bytes, ushort[]? words, float[]? floats, float[]? table)
    {
        Width = width;
        Height = height;
        this.bytes = bytes;
        this.words = words;
        this.floats = floats;
        this.table = table;
    }

    public int Width { get; }

    public int Height { get; }

    /// <summary>Bytes per pixel as held: 1, 2 or 4.</summary>
    public int BytesPerPixel => bytes is not null ? 1 : words is not null ? 2 : 4;

    /// <summary>Memory the pixels and the table take, in bytes.</summary>
    public long HeldBytes => ((long)Width * Height * BytesPerPixel) + ((table?.Length ?? 0) * sizeof(float));

    /// <summary>Packs <paramref name="image"/>; the image itself is not kept.</summary>
    public static CompactPixels Pack(GrayImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var pixels = image.Pixels;
        if (TryCodes(pixels, 255) is { } small)
        {
            var codes = new byte[pixels.Length];
            for (var i = 0; i < codes.Length; i++)
                codes[i] = (byte)Code(pixels[i], 255);
            return new CompactPixels(image.Width, image.Height, codes, null, null, small);
        }
        if (pixels.Length >= MinPixelsFor16Bit && TryCodes(pixels, 65535) is { } large)
        {
            var codes = new ushort[pixels.Length];
            for (var i = 0; i < codes.Length; i++)
                codes[i] = (ushort)Code(pixels[i], 65535);
            return new CompactPixels(image.Width, image.Height, null, codes, null, large);
        }
        return new CompactPixels(image.Width, image.Height, null, null, pixels, null);
    }

    /// <summary>A fresh float image with exactly the packed pixels.</summary>
    public GrayImage Expand()
    {
        if (floats is not null)
            return new GrayImage(Width, Height, (float[])floats.Clone());
        var result = new float[(long)Width * Height];
        var lookup = table!;
        if (bytes is not null)
        {
            for (var i = 0; i < result.Length; i++)
                result[i] = lookup[bytes[i]];
        }
        else
        {
            for (var i = 0; i < result.Length; i++)
                result[i] = lookup[words![i]];
        }
        return new GrayImage(Width, Height, result);
    }

    // The value → code table when every pixel lies in [0, 1] and no two different values share a code; else null.
    static float[]? TryCodes(float[] pixels, int levels)
    {
        var table = new float[levels + 1];
        var seen = new bool[levels + 1];
        foreach (var v in pixels)
        {
            if (!(v >= 0f && v <= 1f))
                return null;
            var code = Code(v, levels);
            if (!seen[code])
            {
                seen[code] = true;
                table[code] = v;
            }
            else if (BitConverter.SingleToInt32Bits(table[code]) != BitConverter.SingleToInt32Bits(v))
            {
                return null;
            }
        }
        return table;
    }

    static int Code(float v, int levels) => (int)MathF.Round(v * levels);
}
