using System.Buffers.Binary;
using System.IO.Compression;
using AutoClassify.Imaging.Formats;

namespace AutoClassify.Imaging;

public static partial class ImageReduction
{
    /// <summary>
    /// The first and last <paramref name="edgeRows"/>(height) rows of an 8-bit image, stacked into one image, at full
    /// resolution and mapped as <see cref="ImageCodec.Decode(string)"/> maps them (÷255), with the image's height; the
    /// rows between are decoded and dropped (PNG, TIFF strips) or not read at all (BMP). Null when the file is not a
    /// non-interlaced 8-bit PNG, an 8-bit TIFF in strips or an uncompressed BMP, or when the edges would cover the whole
    /// image: decode it whole then. Wider data is left to the whole decode because its grey mapping reads every pixel.
    /// </summary>
    public static (GrayImage Edges, int Height)? DecodeEdges(string path, Func<int, int> edgeRows)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(edgeRows);
        if (EmFormats.HandlesFile(path))
            return null;
        using var file = OpenForReduction(path);
        Span<byte> head = stackalloc byte[16];
        if (file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false) < head.Length)
            return null;
        var format = ImageCodec.Sniff(head);
        file.Position = 0;
        return format switch
        {
            ImageFileFormat.Png => PngEdges(file, path, edgeRows),
            ImageFileFormat.Bmp => BmpEdges(file, path, edgeRows),
            _ => null,
        } ?? (format == ImageFileFormat.Tiff ? TiffEdges(path, edgeRows) : null);
    }

    /// <summary>Collects the edge rows of an image as its rows arrive, top to bottom.</summary>
    sealed class EdgeCollector
    {
        readonly int width;
        readonly int height;
        readonly int rows;
        readonly float[] pixels;

        EdgeCollector(int width, int height, int rows) => (this.width, this.height, this.rows, pixels) = (width, height, rows, new float[(long)width * 2 * rows]);

        // A collector, or null when the edges would hold the whole image (or it is refused by the pixel limit, which the whole decode reports).
        public static EdgeCollector? For(long width, long height, Func<int, int> edgeRows)
        {
            if (width <= 0 || height <= 0 || ImageLimits.Refusal(width, height, ImageLimits.MaxPixels) is not null)
                return null;
            var rows = edgeRows((int)height);
            return 2L * rows >= height ? null : new EdgeCollector((int)width, (int)height, rows);
        }

        /// <summary>Whether row <paramref name="y"/> of the image is one of the edges.</summary>
        public bool Wants(int y) => y < rows || y >= height - rows;

        public void Add(int y, double[] grey)
        {
            var at = (long)(y < rows ? y : rows + (y - (height - rows))) * width;
            // As the codec scales 8-bit values (v × (1/255) in float), so the edges are the whole decode's pixels exactly.
            for (var x = 0; x < width; x++)
                pixels[at + x] = (float)grey[x] * (1f / 255f);
        }

        public (GrayImage, int) Result() => (new GrayImage(width, 2 * rows, pixels), height);
    }

    static (GrayImage, int)? PngEdges(FileStream file, string path, Func<int, int> edgeRows)
    {
        Span<byte> head = stackalloc byte[33];
        if (file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false) < head.Length || !head.Slice(12, 4).SequenceEqual("IHDR"u8))
            return null;
        long width = BinaryPrimitives.ReadUInt32BigEndian(head[16..]), height = BinaryPrimitives.ReadUInt32BigEndian(head[20..]);
        int depth = head[24], colour = head[25], interlace = head[28];
        var channels = colour switch { 0 => 1, 2 => 3, 4 => 2, 6 => 4, _ => 0 };
        if (channels == 0 || depth != 8 || interlace != 0 || EdgeCollector.For(width, height, edgeRows) is not { } edges)
            return null;
        try
        {
            using var inflated = new ZLibStream(new IdatStream(file), CompressionMode.Decompress);
            var rowBytes = checked((int)width * channels);
            byte[] previous = new byte[rowBytes], current = new byte[rowBytes];
            var grey = new double[width];
            for (var y = 0; y < height; y++)
            {
                var filter = inflated.ReadByte();
                if (filter < 0)
                    throw new EndOfStreamException("the image data ends early");
                inflated.ReadExactly(current);
                Unfilter(filter, current, previous, channels);
                if (edges.Wants(y))
                {
                    for (var x = 0; x < grey.Length; x++)
                        grey[x] = Grey(current, x * channels, channels, depth);
                    edges.Add(y, grey);
                }
                (previous, current) = (current, previous);
            }
            return edges.Result();
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or IOException)
        {
            throw new ImageDecodeException(path, "the PNG data is corrupt or truncated (" + e.Message.TrimEnd('.') + ")", e);
        }
    }

    static (GrayImage, int)? BmpEdges(FileStream file, string path, Func<int, int> edgeRows)
    {
        if (BmpLayout.Read(file) is not { } layout || EdgeCollector.For(layout.Width, layout.Height, edgeRows) is not { } edges)
            return null;
        var row = new byte[layout.Stride];
        var grey = new double[layout.Width];
        for (var y = 0; y < layout.Height; y++)
        {
            if (!edges.Wants(y))
                continue;
            layout.ReadRow(file, y, row, path);
            layout.Grey(row, grey);
            edges.Add(y, grey);
        }
        return edges.Result();
    }

    static (GrayImage, int)? TiffEdges(string path, Func<int, int> edgeRows)
    {
        using var tiff = TiffMetadata.Open(path);
        if (tiff is null || tiff.IsTiled() || Layout(tiff) is not { Depth: 8 } layout
            || EdgeCollector.For(layout.Width, layout.Height, edgeRows) is not { } edges)
            return null;
        var row = new byte[tiff.ScanlineSize()];
        var grey = new double[layout.Width];
        for (var y = 0; y < layout.Height; y++)
        {
            // Compressed strips decode in order, so every row is read; only the edges are kept.
            if (!tiff.ReadScanline(row, y))
                throw new ImageDecodeException(path, "the TIFF data is corrupt or truncated (a strip cannot be read)");
            if (!edges.Wants(y))
                continue;
            for (var x = 0; x < grey.Length; x++)
                grey[x] = TiffGrey(row, x * layout.Channels, layout.Channels, 8);
            edges.Add(y, grey);
        }
        return edges.Result();
    }
}
