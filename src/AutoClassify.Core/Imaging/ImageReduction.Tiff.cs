using AutoClassify.Imaging.Formats;
using BitMiracle.LibTiff.Classic;

namespace AutoClassify.Imaging;

public static partial class ImageReduction
{
    // The first image of a TIFF reduced as its scanlines (strips) or rows of tiles are decoded, or null when it is not a
    // kind read here (the caller decodes it whole): 8- or 16-bit unsigned samples, one plane of grey (+ alpha) or RGB (+ alpha).
    static GrayImage? StreamTiff(string path, int factor)
    {
        using var tiff = TiffMetadata.Open(path);
        if (tiff is null || Layout(tiff) is not { } layout)
            return null;
        if (ImageLimits.Refusal(layout.Width, layout.Height, ImageLimits.MaxPixels) is { } refusal)
            throw new ImageDecodeException(path, refusal);
        var reducer = new RowReducer(layout.Width, layout.Height, factor, layout.Depth == 8 ? 255.0 : 65535.0);
        var grey = new double[layout.Width];
        var bytesPerPixel = layout.Channels * layout.Depth / 8;
        void AddRow(byte[] row, int offset)
        {
            for (var x = 0; x < grey.Length; x++)
                grey[x] = TiffGrey(row, offset + (x * bytesPerPixel), layout.Channels, layout.Depth);
            reducer.Add(grey);
        }
        if (tiff.IsTiled())
        {
            int tileWidth = tiff.GetField(TiffTag.TILEWIDTH)[0].ToInt(), tileHeight = tiff.GetField(TiffTag.TILELENGTH)[0].ToInt();
            var tile = new byte[tiff.TileSize()];
            var tileRowBytes = checked(tileWidth * bytesPerPixel);
            // One row of tiles at a time: tile height × image width pixels, never the whole image.
            var band = new byte[checked((long)tileHeight * layout.Width * bytesPerPixel)];
            var bandRowBytes = layout.Width * bytesPerPixel;
            for (var top = 0; top < layout.Height; top += tileHeight)
            {
                for (var left = 0; left < layout.Width; left += tileWidth)
                {
                    if (tiff.ReadTile(tile, 0, left, top, 0, 0) < 0)
                        throw new ImageDecodeException(path, "the TIFF data is corrupt or truncated (a tile cannot be read)");
                    var copy = Math.Min(tileWidth, layout.Width - left) * bytesPerPixel;
                    for (var y = 0; y < tileHeight; y++)
                        Buffer.BlockCopy(tile, y * tileRowBytes, band, (y * bandRowBytes) + (left * bytesPerPixel), copy);
                }
                for (var y = 0; y < Math.Min(tileHeight, layout.Height - top); y++)
                    AddRow(band, y * bandRowBytes);
            }
        }
        else
        {
            var row = new byte[tiff.ScanlineSize()];
            for (var y = 0; y < layout.Height; y++)
            {
                if (!tiff.ReadScanline(row, y))
                    throw new ImageDecodeException(path, "the TIFF data is corrupt or truncated (a strip cannot be read)");
                AddRow(row, 0);
            }
        }
        var image = reducer.Result();
        if (layout.Depth > 8)
            IntensityMapping.Stretch(image.Pixels);
        return image;
    }

    static (int Width, int Height, int Channels, int Depth)? Layout(Tiff tiff)
    {
        int Field(TiffTag tag) => tiff.GetFieldDefaulted(tag) is { Length: > 0 } value ? value[0].ToInt() : -1;
        var width = Field(TiffTag.IMAGEWIDTH);
        var height = Field(TiffTag.IMAGELENGTH);
        var depth = Field(TiffTag.BITSPERSAMPLE);
        var channels = Field(TiffTag.SAMPLESPERPIXEL);
        var photometric = (Photometric)Field(TiffTag.PHOTOMETRIC);
        var grey = photometric == Photometric.MINISBLACK && channels is 1 or 2;
        var rgb = photometric == Photometric.RGB && channels is 3 or 4;
        var supported = width > 0 && height > 0 && depth is 8 or 16 && (grey || rgb)
            && (SampleFormat)Field(TiffTag.SAMPLEFORMAT) == SampleFormat.UINT
            && (channels == 1 || (PlanarConfig)Field(TiffTag.PLANARCONFIG) == PlanarConfig.CONTIG)
            && tiff.IsCodecConfigured((Compression)Field(TiffTag.COMPRESSION));
        return supported ? (width, height, channels, depth) : null;
    }

    // Grey as OpenCV converts a TIFF's colour (weights 0.299, 0.587, 0.114 in 14-bit fixed point); LibTiff hands 16-bit samples in machine order.
    static double TiffGrey(byte[] row, int at, int channels, int depth)
    {
        int Sample(int c) => depth == 8 ? row[at + c] : BitConverter.ToUInt16(row, at + (2 * c));
        if (channels <= 2)
            return Sample(0);
        int r = Sample(0), g = Sample(1), b = Sample(2);
        return ((4899L * r) + (9617L * g) + (1868L * b) + (1 << 13)) >> 14;
    }
}
