namespace AutoClassify.Imaging;

/// <summary>
/// A single-channel image in row-major float32, intensities scaled to [0, 1]
/// (8-bit sources divided by 255, 16-bit sources by 65535).
/// </summary>
public sealed class GrayImage
{
    public GrayImage(int width, int height, float[] pixels)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentNullException.ThrowIfNull(pixels);
        if (pixels.Length != (long)width * height)
            throw new ArgumentException($"Expected {width}x{height} = {(long)width * height} pixels, got {pixels.Length}.", nameof(pixels));
        Width = width;
        Height = height;
        Pixels = pixels;
    }

    public GrayImage(int width, int height) : this(width, height, new float[checked(width * height)]) { }

    public int Width { get; }
    public int Height { get; }

    /// <summary>Row-major pixels; index <c>y * Width + x</c>.</summary>
    public float[] Pixels { get; }

    public float this[int x, int y]
    {
        get => Pixels[y * Width + x];
        set => Pixels[y * Width + x] = value;
    }

    /// <summary>Returns the sub-image that remains after removing the given margins.</summary>
    public GrayImage Crop(int top, int bottom, int left, int right)
    {
        if (top < 0 || bottom < 0 || left < 0 || right < 0)
            throw new ArgumentOutOfRangeException(nameof(top), "Crop margins must be non-negative.");
        int w = Width - left - right, h = Height - top - bottom;
        if (w <= 0 || h <= 0)
            throw new ArgumentException($"Crop {top},{bottom},{left},{right} leaves nothing of a {Width}x{Height} image.");
        var result = new float[w * h];
        for (var y = 0; y < h; y++)
            Array.Copy(Pixels, (y + top) * Width + left, result, y * w, w);
        return new GrayImage(w, h, result);
    }

    public GrayImage Clone() => new(Width, Height, (float[])Pixels.Clone());
}

/// <summary>A binary mask in row-major bytes: 1 inside the object, 0 outside.</summary>
public sealed class BinaryMask
{
    public BinaryMask(int width, int height, byte[] data)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentNullException.ThrowIfNull(data);
        if (data.Length != (long)width * height)
            throw new ArgumentException($"Expected {width}x{height} mask values, got {data.Length}.", nameof(data));
        Width = width;
        Height = height;
        Data = data;
    }

    public BinaryMask(int width, int height) : this(width, height, new byte[checked(width * height)]) { }

    public int Width { get; }
    public int Height { get; }

    /// <summary>Row-major values, 0 or 1.</summary>
    public byte[] Data { get; }

    public bool this[int x, int y]
    {
        get => Data[y * Width + x] != 0;
        set => Data[y * Width + x] = value ? (byte)1 : (byte)0;
    }

    public int Count()
    {
        var n = 0;
        foreach (var v in Data)
            n += v != 0 ? 1 : 0;
        return n;
    }

    public BinaryMask Crop(int top, int bottom, int left, int right)
    {
        int w = Width - left - right, h = Height - top - bottom;
        if (top < 0 || bottom < 0 || left < 0 || right < 0 || w <= 0 || h <= 0)
            throw new ArgumentException($"Crop {top},{bottom},{left},{right} does not fit a {Width}x{Height} mask.");
        var result = new byte[w * h];
        for (var y = 0; y < h; y++)
            Array.Copy(Data, (y + top) * Width + left, result, y * w, w);
        return new BinaryMask(w, h, result);
    }
}
