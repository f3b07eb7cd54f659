using AutoClassify.Native;

namespace AutoClassify.Imaging;

/// <summary>A decoded mask with its integer values kept: class indices or instance ids, row-major.</summary>
/// <param name="Width">Columns.</param>
/// <param name="Height">Rows.</param>
/// <param name="Values">Row-major integer values, Width × Height.</param>
/// <param name="BitDepth">8, 16 or 32, as the file stored it.</param>
/// <param name="Channels">The file's channels; colour masks (3 or 4) with unequal channels hold one value per colour.</param>
public sealed record LabelImage(int Width, int Height, int[] Values, int BitDepth, int Channels);

/// <summary>
/// Reads mask files without scaling: 8- and 16-bit grey PNG and TIFF (and 32-bit integer or whole-number float TIFF)
/// come back as their stored integers, so 16-bit instance ids survive exactly. A colour mask whose channels are equal
/// is grey; otherwise each colour is one value (R·65536 + G·256 + B).
/// </summary>
public static class LabelCodec
{
    /// <summary>Decodes a mask file; throws <see cref="ImageDecodeException"/> naming the file on any problem.</summary>
    public static LabelImage Decode(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var data = ImageDecodeException.Reading(path, () => File.ReadAllBytes(path));
        return Decode(data, path);
    }

    /// <summary>Decodes mask bytes; <paramref name="sourceName"/> names them in errors.</summary>
    public static unsafe LabelImage Decode(ReadOnlySpan<byte> data, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(sourceName);
        if (data.IsEmpty)
            throw new ImageDecodeException(sourceName, "file is empty");
        if (ImageCodec.Sniff(data) is null)
            throw new ImageDecodeException(sourceName, ImageCodec.UnsupportedReason);
        DecodedImageHandle handle;
        int width, height, depth, channels;
        fixed (byte* bytes = data)
            handle = NativeMethods.ImageDecodeLabels(bytes, data.Length, out width, out height, out depth, out channels);
        using (handle)
        {
            try
            {
                NativeShim.CheckForErrors();
            }
            catch (NativeException e)
            {
                throw new ImageDecodeException(sourceName, $"the mask cannot be decoded ({e.Message})", e);
            }
            var values = new int[checked(width * height)];
            fixed (int* destination = values)
                NativeMethods.ImageCopyLabels(handle, destination, values.Length);
            NativeShim.CheckForErrors();
            return new LabelImage(width, height, values, depth, channels);
        }
    }
}
