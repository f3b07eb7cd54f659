using AutoClassify.Native;

namespace AutoClassify.Imaging;

public static partial class ImageReduction
{
    static volatile bool jpegReduceMissing;

    // The JPEG reduced while it is decoded (native/src/image/jpeg_reduce.cpp), or null when libjpeg cannot read it (the
    // caller's whole decode then reports the problem) or the shim predates the reducer. libjpeg's DCT scaling does the
    // power-of-two part of the factor: a block mean only up to the codec's rounding, so every consumer takes this path.
    static unsafe GrayImage? StreamJpeg(byte[] data, string path, int factor)
    {
        if (jpegReduceMissing)
            return null;
        if (ImageHeader.ReadSize(data) is var (declaredWidth, declaredHeight)
            && ImageLimits.Refusal(declaredWidth, declaredHeight, ImageLimits.MaxPixels) is { } refusal)
            throw new ImageDecodeException(path, refusal);
        DecodedImageHandle handle;
        int warnings, width, height;
        IntPtr message;
        try
        {
            fixed (byte* bytes = data)
                handle = NativeMethods.JpegDecodeReduced(bytes, data.Length, factor, out warnings, out message, out width, out height);
        }
        catch (EntryPointNotFoundException)
        {
            // A shim built before jpeg_reduce.cpp: decode whole and reduce, as before (scripts/build.sh adds it).
            jpegReduceMissing = true;
            return null;
        }
        using (handle)
        {
            var text = ImageCodec.TakeString(message);
            NativeShim.CheckForErrors();
            if (warnings < 0 || handle.IsInvalid)
                return null;
            if (warnings > 0)
            {
                var reason = $"the JPEG data is damaged ({text.TrimEnd('.')}); the decoder would fill in what it cannot read";
                if (!ImageLimits.KeepsDamaged)
                    throw new ImageDecodeException(path, reason + " (--keep-damaged-jpeg keeps such images, with a warning)");
                ImageLimits.ReportKept(path, reason);
            }
            var pixels = new float[checked(width * height)];
            fixed (float* destination = pixels)
                NativeMethods.ImageCopyPixels(handle, destination, pixels.Length);
            NativeShim.CheckForErrors();
            return new GrayImage(width, height, pixels);
        }
    }
}
