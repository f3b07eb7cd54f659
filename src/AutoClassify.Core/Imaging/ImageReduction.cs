using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using AutoClassify.Imaging.Formats;

namespace AutoClassify.Imaging;

/// <summary>
/// The whole-image reduction rule: an image larger than a pixel bound is reduced by the smallest whole factor f that
/// brings it within the bound, each output pixel the mean of an f × f block (the last row and column of blocks average
/// what they hold). A model that shrinks its input anyway (a CNN at its input size) loses nothing it would have seen,
/// and the full-resolution image never exists: 8- and 16-bit PNGs are reduced row by row as they are inflated, 8- and
/// 16-bit TIFFs as their strips or rows of tiles are decoded, JPEGs through libjpeg's DCT scaling, uncompressed BMPs and
/// MRC sections as their rows are read (see <see cref="DecodeReduced"/>); other formats are decoded whole first, bounded
/// by <see cref="ImageLimits"/>. Training and prediction apply the same rule, recorded in the package.
/// </summary>
public static partial class ImageReduction
{
    /// <summary>The default bound, 2^24 pixels (4,096²): far above any network's input, far below the decode limit.</summary>
    public const long DefaultReduceAbovePixels = 1L << 24;

    /// <summary>
    /// The bound a run applies, the same for <c>benchmark</c> (cross-validation), <c>train</c> and the package's
    /// <c>predict</c>: <see cref="DefaultReduceAbovePixels"/> for whole images, whatever the model (networks shrink them
    /// anyway; features of a reduced image are measured on it, nm-based ones at the reduced pixel size); null for tiled
    /// runs (tiles are cut at full resolution) and resampled runs (resampling reads each file's own pixel size).
    /// </summary>
    public static long? BoundFor(bool tiled, bool resampled) => tiled || resampled ? null : DefaultReduceAbovePixels;

    /// <summary>The factor <paramref name="path"/> is reduced by under <paramref name="maxPixels"/> (null: no bound), from its header; 1 when it fits or has no readable header.</summary>
    public static int FactorFor(string path, long? maxPixels) =>
        maxPixels is { } bound && DeclaredSize(path) is var (width, height) && width > 0 && height > 0 ? Factor(width, height, bound) : 1;

    /// <summary>
    /// One line naming the images a run reduced and by what factor (at most ten, then a count), e.g.
    /// <c>2 images above 16,777,216 pixels were reduced: a.png by 3, b.tif by 2</c>; null when none was.
    /// </summary>
    public static string? Describe(IReadOnlyList<string> names, IReadOnlyList<int> reductions, long maxPixels)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(reductions);
        var reduced = Enumerable.Range(0, reductions.Count).Where(i => reductions[i] > 1).ToList();
        if (reduced.Count == 0)
            return null;
        const int shown = 10;
        var list = string.Join(", ", reduced.Take(shown).Select(i => string.Create(CultureInfo.InvariantCulture, $"{names[i]} by {reductions[i]}")));
        var more = reduced.Count > shown ? string.Create(CultureInfo.InvariantCulture, $" and {reduced.Count - shown} more") : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"{reduced.Count} image{(reduced.Count == 1 ? "" : "s")} above {maxPixels:N0} pixels {(reduced.Count == 1 ? "was" : "were")} reduced (block means): {list}{more}");
    }

    /// <summary>The smallest whole factor f with ⌈w/f⌉·⌈h/f⌉ ≤ <paramref name="maxPixels"/>; 1 when the image fits.</summary>
    public static int Factor(long width, long height, long maxPixels)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxPixels);
        var factor = Math.Max(1, (int)Math.Floor(Math.Sqrt((double)width * height / maxPixels)));
        while (Reduced(width, factor) * Reduced(height, factor) > maxPixels)
            factor++;
        return factor;
    }

    /// <summary>The declared size of an image file from its header (a microscope format's too), or null when its header cannot be read.</summary>
    public static (long Width, long Height)? DeclaredSize(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (EmFormats.Handles(path))
            return EmDeclaredSize(path);
        try
        {
            using var file = File.OpenRead(path);
            var head = new byte[(int)Math.Min(file.Length, 1 << 16)];
            file.ReadExactly(head);
            return ImageHeader.ReadSize(head);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Block means of <paramref name="image"/> over <paramref name="factor"/> × <paramref name="factor"/> squares.</summary>
    public static GrayImage Reduce(GrayImage image, int factor)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(factor);
        if (factor == 1)
            return image;
        var reducer = new RowReducer(image.Width, image.Height, factor, 1);
        var row = new double[image.Width];
        for (var y = 0; y < image.Height; y++)
        {
            for (var x = 0; x < row.Length; x++)
                row[x] = image.Pixels[((long)y * image.Width) + x];
            reducer.Add(row);
        }
        return reducer.Result();
    }

    /// <summary>A mask reduced with its image: a block is inside when at least half of its pixels are.</summary>
    public static BinaryMask Reduce(BinaryMask mask, int factor)
    {
        ArgumentNullException.ThrowIfNull(mask);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(factor);
        if (factor == 1)
            return mask;
        var reducer = new RowReducer(mask.Width, mask.Height, factor, 1);
        var row = new double[mask.Width];
        for (var y = 0; y < mask.Height; y++)
        {
            for (var x = 0; x < row.Length; x++)
                row[x] = mask.Data[((long)y * mask.Width) + x];
            reducer.Add(row);
        }
        var means = reducer.Result();
        return new BinaryMask(means.Width, means.Height, [.. means.Pixels.Select(v => v >= 0.5f ? (byte)1 : (byte)0)]);
    }

    /// <summary>
    /// Decodes <paramref name="path"/> reduced by <paramref name="factor"/>, with the pipeline's intensity rule (8-bit ÷255,
    /// wider data stretched by <see cref="IntensityMapping.Stretch"/> after reduction). Non-interlaced 8- and 16-bit PNGs
    /// (grey, grey + alpha, RGB, RGBA) are reduced as they are inflated, holding a few rows; 8- and 16-bit unsigned
    /// TIFFs (grey or RGB, ± alpha, strips or tiles, any codec LibTiff.NET reads) as each strip's rows or each row of
    /// tiles arrives; JPEGs by libjpeg's DCT scaling for the largest of 8, 4, 2 dividing the factor and block means for
    /// the rest, as scanlines arrive. DCT scaling is the block mean up to the codec's rounding (within a few grey levels
    /// of 255), so a JPEG is always reduced this way, in training and prediction alike. Uncompressed 8-, 24- and 32-bit BMPs
    /// are reduced as their rows are read; MRC sections too, at their stored values, then mapped by <see cref="IntensityMapping"/>
    /// (8-bit by the fixed range, wider by the reduced image's percentiles). Everything else (interlaced PNG, RLE BMP, float
    /// and other TIFFs, DM3/DM4, SER) is decoded whole (within <see cref="ImageLimits"/>) and then reduced, microscope data
    /// at their stored values as MRC. Throws <see cref="ImageDecodeException"/> naming the file.
    /// </summary>
    public static GrayImage DecodeReduced(string path, int factor)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(factor);
        if (factor == 1)
            return ImageCodec.Decode(path);
        if (EmFormats.HandlesFile(path))
            return ReduceEm(path, factor);
        if (StreamPng(path, factor) is { } streamed)
            return streamed;
        if (IsTiff(path) && StreamTiff(path, factor) is { } tiff)
            return tiff;
        if (StreamBmp(path, factor) is { } bmp)
            return bmp;
        // As the streamed PNG: reduce at the stored values, then stretch wide data by the reduced image's own range.
        var data = ImageDecodeException.Reading(path, () => File.ReadAllBytes(path));
        if (ImageCodec.Sniff(data) == ImageFileFormat.Jpeg && StreamJpeg(data, path, factor) is { } jpeg)
            return jpeg;
        var reduced = Reduce(ImageCodec.Decode(data, path, out var depth), factor);
        if (depth > 8)
            IntensityMapping.Stretch(reduced.Pixels);
        return reduced;
    }

    static bool IsTiff(string path)
    {
        try
        {
            using var file = File.OpenRead(path);
            Span<byte> head = stackalloc byte[8];
            return file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false) == head.Length && ImageCodec.Sniff(head) == ImageFileFormat.Tiff;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    // The PNG reduced while it is inflated, or null when it is not a kind read here (the caller decodes it whole).
    static GrayImage? StreamPng(string path, int factor)
    {
        var file = ImageDecodeException.Reading(path, () => File.OpenRead(path));
        using (file)
        {
            Span<byte> head = stackalloc byte[33];
            if (file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false) < head.Length
                || ImageCodec.Sniff(head) != ImageFileFormat.Png || !head.Slice(12, 4).SequenceEqual("IHDR"u8))
                return null;
            long width = BinaryPrimitives.ReadUInt32BigEndian(head[16..]), height = BinaryPrimitives.ReadUInt32BigEndian(head[20..]);
            int depth = head[24], colour = head[25], interlace = head[28];
            var channels = colour switch { 0 => 1, 2 => 3, 4 => 2, 6 => 4, _ => 0 };
            if (channels == 0 || depth is not (8 or 16) || interlace != 0 || width == 0 || height == 0)
                return null;
            if (ImageLimits.Refusal(width, height, ImageLimits.MaxPixels) is { } refusal)
                throw new ImageDecodeException(path, refusal);
            try
            {
                using var inflated = new ZLibStream(new IdatStream(file), CompressionMode.Decompress);
                return Inflate(inflated, (int)width, (int)height, channels, depth, factor);
            }
            catch (Exception e) when (e is InvalidDataException or EndOfStreamException or IOException)
            {
                throw new ImageDecodeException(path, "the PNG data is corrupt or truncated (" + e.Message.TrimEnd('.') + ")", e);
            }
        }
    }

    static GrayImage Inflate(Stream inflated, int width, int height, int channels, int depth, int factor)
    {
        var bytesPerPixel = channels * depth / 8;
        var rowBytes = checked(width * bytesPerPixel);
        var previous = new byte[rowBytes];
        var current = new byte[rowBytes];
        var grey = new double[width];
        var reducer = new RowReducer(width, height, factor, depth == 8 ? 255.0 : 65535.0);
        for (var y = 0; y < height; y++)
        {
            var filter = inflated.ReadByte();
            if (filter < 0)
                throw new EndOfStreamException("the image data ends early");
            inflated.ReadExactly(current);
            Unfilter(filter, current, previous, bytesPerPixel);
            for (var x = 0; x < width; x++)
                grey[x] = Grey(current, x * bytesPerPixel, channels, depth);
            reducer.Add(grey);
            (previous, current) = (current, previous);
        }
        var image = reducer.Result();
        if (depth > 8)
            IntensityMapping.Stretch(image.Pixels);
        return image;
    }

    // Grey as OpenCV asks libpng for it (weights 0.299, 0.587 and the rest, in libpng's 15-bit fixed point), alpha ignored.
    static double Grey(byte[] row, int at, int channels, int depth)
    {
        int Sample(int c) => depth == 8 ? row[at + c] : (row[at + (2 * c)] << 8) | row[at + (2 * c) + 1];
        if (channels <= 2)
            return Sample(0);
        int r = Sample(0), g = Sample(1), b = Sample(2);
        return ((9798L * r) + (19235L * g) + (3735L * b) + (1 << 14)) >> 15;
    }

    static void Unfilter(int filter, byte[] row, byte[] above, int bpp)
    {
        switch (filter)
        {
            case 0:
                return;
            case 1:
                for (var i = bpp; i < row.Length; i++)
                    row[i] += row[i - bpp];
                return;
            case 2:
                for (var i = 0; i < row.Length; i++)
                    row[i] += above[i];
                return;
            case 3:
                for (var i = 0; i < row.Length; i++)
                    row[i] += (byte)(((i >= bpp ? row[i - bpp] : 0) + above[i]) >> 1);
                return;
            case 4:
                for (var i = 0; i < row.Length; i++)
                {
                    int a = i >= bpp ? row[i - bpp] : 0, b = above[i], c = i >= bpp ? above[i - bpp] : 0;
                    int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
                    row[i] += (byte)(pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
                }
                return;
            default:
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"row filter {filter} is not a PNG filter"));
        }
    }

    static long Reduced(long side, int factor) => (side + factor - 1) / factor;

    /// <summary>Sums rows into f × f blocks, each mean divided by a scale; holds one output row of sums.</summary>
    sealed class RowReducer
    {
        readonly int width;
        readonly int height;
        readonly int factor;
        readonly double scale;
        readonly int outWidth;
        readonly double[] sums;
        readonly float[] pixels;
        int rows;
        int outRow;

        public RowReducer(int width, int height, int factor, double scale)
        {
            (this.width, this.height, this.factor, this.scale) = (width, height, factor, scale);
            outWidth = (int)Reduced(width, factor);
            sums = new double[outWidth];
            pixels = new float[outWidth * Reduced(height, factor)];
        }

        public void Add(double[] row)
        {
            for (var x = 0; x < width; x++)
                sums[x / factor] += row[x];
            rows++;
            if (rows == factor || (outRow * factor) + rows == height)
                Flush();
        }

        public GrayImage Result() => new(outWidth, (int)Reduced(height, factor), pixels);

        void Flush()
        {
            for (var b = 0; b < outWidth; b++)
            {
                var columns = Math.Min(factor, width - (b * factor));
                pixels[((long)outRow * outWidth) + b] = (float)(sums[b] / ((double)columns * rows * scale));
            }
            Array.Clear(sums);
            rows = 0;
            outRow++;
        }
    }

    /// <summary>The concatenated data of a PNG's IDAT chunks, read from the file as they come (after IHDR).</summary>
    sealed class IdatStream(Stream file) : Stream
    {
        readonly byte[] header = new byte[8];
        long left;
        bool done;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            while (left == 0)
            {
                if (done || !NextIdat())
                    return 0;
            }
            var read = file.Read(buffer[..(int)Math.Min(buffer.Length, left)]);
            if (read == 0)
                throw new EndOfStreamException("the file ends inside an IDAT chunk");
            left -= read;
            if (left == 0)
                file.Seek(4, SeekOrigin.Current);
            return read;
        }

        // Skips chunks up to the next IDAT; false at IEND or the end of the file.
        bool NextIdat()
        {
            while (file.ReadAtLeast(header, 8, throwOnEndOfStream: false) == 8)
            {
                long length = BinaryPrimitives.ReadUInt32BigEndian(header);
                var type = header.AsSpan(4, 4);
                if (type.SequenceEqual("IDAT"u8) && length > 0)
                {
                    left = length;
                    return true;
                }
                if (type.SequenceEqual("IEND"u8))
                    break;
                file.Seek(length + 4, SeekOrigin.Current);
            }
            done = true;
            return false;
        }

        public override void Flush() { }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
