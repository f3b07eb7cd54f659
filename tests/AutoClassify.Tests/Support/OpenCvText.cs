using System.Runtime.InteropServices;
using AutoClassify.Imaging;

namespace AutoClassify.Tests.Support;

/// <summary>Draws text into a grey image with OpenCV's own <c>putText</c> (Hershey simplex), through its C API.</summary>
internal static partial class OpenCvText
{
    const string ImgProc = "libopencv_imgproc.so.406";
    const string Core = "libopencv_core.so.406";

    [StructLayout(LayoutKind.Sequential)]
    struct CvPoint(int x, int y)
    {
        public int X = x;
        public int Y = y;
    }

    [StructLayout(LayoutKind.Sequential)]
    struct CvSize
    {
        public int Width;
        public int Height;
    }

    [StructLayout(LayoutKind.Sequential)]
    struct CvScalar(double v)
    {
        public double V0 = v, V1 = v, V2 = v, V3 = 0;
    }

    [LibraryImport(Core, EntryPoint = "cvInitMatHeader")]
    private static partial IntPtr InitMatHeader(IntPtr mat, int rows, int cols, int type, IntPtr data, int step);

    [LibraryImport(ImgProc, EntryPoint = "cvInitFont")]
    private static partial void InitFont(IntPtr font, int face, double hscale, double vscale, double shear, int thickness, int lineType);

    [LibraryImport(ImgProc, EntryPoint = "cvPutText", StringMarshalling = StringMarshalling.Utf8)]
    private static partial void PutText(IntPtr image, string text, CvPoint origin, IntPtr font, CvScalar colour);

    [LibraryImport(ImgProc, EntryPoint = "cvGetTextSize", StringMarshalling = StringMarshalling.Utf8)]
    private static partial void GetTextSize(string text, IntPtr font, out CvSize size, out int baseline);

    /// <summary>Draws <paramref name="text"/> (ASCII) with its baseline's left end at (x, y), <paramref name="scale"/> times 22 px tall, in grey <paramref name="ink"/>; returns its width in pixels.</summary>
    public static int Draw(GrayImage image, string text, int x, int y, double scale, float ink, int thickness = 1)
    {
        var bytes = new byte[image.Pixels.Length];
        for (var i = 0; i < bytes.Length; i++)
            bytes[i] = (byte)Math.Clamp(Math.Round(image.Pixels[i] * 255), 0, 255);
        var mat = Marshal.AllocHGlobal(128);
        var font = Marshal.AllocHGlobal(256);
        var pinned = GCHandle.Alloc(bytes, GCHandleType.Pinned);
        try
        {
            InitMatHeader(mat, image.Height, image.Width, 0, pinned.AddrOfPinnedObject(), image.Width);
            InitFont(font, 0, scale, scale, 0, thickness, 16);
            GetTextSize(text, font, out var size, out _);
            PutText(mat, text, new CvPoint(x, y), font, new CvScalar(Math.Round(ink * 255)));
            for (var i = 0; i < bytes.Length; i++)
                image.Pixels[i] = bytes[i] / 255f;
            return size.Width;
        }
        finally
        {
            pinned.Free();
            Marshal.FreeHGlobal(mat);
            Marshal.FreeHGlobal(font);
        }
    }
}
