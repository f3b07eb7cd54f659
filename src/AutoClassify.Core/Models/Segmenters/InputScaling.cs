using AutoClassify.Imaging;
using AutoClassify.Preprocessing;

namespace AutoClassify.Models.Segmenters;

/// <summary>
/// The network's working resolution. With a long side set, every image (and, in training, its mask) is resized so
/// that its longer side has that many pixels before the network sees it, and the probabilities are resized back to
/// the image. That suits annotated figure crops, where objects span a similar share of each image whatever its pixel
/// count, and it bounds the network's cost per image; at native resolution nothing is resized.
/// </summary>
internal static class InputScaling
{
    /// <summary>The size an image of <paramref name="width"/> x <paramref name="height"/> is resized to (itself when <paramref name="longSide"/> is null).</summary>
    public static (int Width, int Height) Size(int width, int height, int? longSide)
    {
        if (longSide is not { } side || Math.Max(width, height) == side)
            return (width, height);
        var scale = side / (double)Math.Max(width, height);
        return (Math.Max(1, (int)Math.Round(width * scale)), Math.Max(1, (int)Math.Round(height * scale)));
    }

    /// <summary>The image at the working size: area averaging to shrink, bilinear to enlarge.</summary>
    public static GrayImage Image(GrayImage image, int width, int height) =>
        width == image.Width && height == image.Height ? image
        : ImageOps.Resize(image, width, height, width < image.Width ? ResizeInterpolation.Area : ResizeInterpolation.Linear);

    /// <summary>A label or instance map at the working size, by nearest neighbour, so ids stay ids.</summary>
    public static int[] Labels(int[] labels, int width, int height, int newWidth, int newHeight)
    {
        if (newWidth == width && newHeight == height)
            return labels;
        var result = new int[newWidth * newHeight];
        var columns = new int[newWidth];
        for (var x = 0; x < newWidth; x++)
            columns[x] = Math.Min(width - 1, (int)((x + 0.5) * width / newWidth));
        for (var y = 0; y < newHeight; y++)
        {
            var row = Math.Min(height - 1, (int)((y + 0.5) * height / newHeight)) * width;
            for (var x = 0; x < newWidth; x++)
                result[(y * newWidth) + x] = labels[row + columns[x]];
        }
        return result;
    }

    /// <summary>A training sample with its image and mask at the working size.</summary>
    public static SegmentationSample Sample(SegmentationSample sample, int? longSide)
    {
        var (width, height) = Size(sample.Width, sample.Height, longSide);
        if (width == sample.Width && height == sample.Height)
            return sample;
        return sample with
        {
            Image = Image(sample.Image, width, height),
            Mask = Labels(sample.Mask, sample.Width, sample.Height, width, height),
        };
    }

    /// <summary>Channel-major probabilities at <paramref name="width"/> x <paramref name="height"/>, resized bilinearly to the image's size.</summary>
    public static float[] Probabilities(float[] probabilities, int channels, int width, int height, int imageWidth, int imageHeight)
    {
        if (width == imageWidth && height == imageHeight)
            return probabilities;
        int n = width * height, m = imageWidth * imageHeight;
        var result = new float[channels * m];
        var plane = new GrayImage(width, height);
        for (var c = 0; c < channels; c++)
        {
            probabilities.AsSpan(c * n, n).CopyTo(plane.Pixels);
            var resized = ImageOps.Resize(plane, imageWidth, imageHeight, imageWidth < width ? ResizeInterpolation.Area : ResizeInterpolation.Linear);
            resized.Pixels.AsSpan().CopyTo(result.AsSpan(c * m, m));
        }
        return result;
    }
}
