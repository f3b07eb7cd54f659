using System.Runtime.ExceptionServices;
using AutoClassify.Imaging;
using AutoClassify.Preprocessing;

namespace AutoClassify.Models.Cnn;

/// <summary>What part of each image the network sees (the thesis's three input modes).</summary>
public enum InputMode
{
    /// <summary>The whole crop: the object and its surroundings.</summary>
    Surround,

    /// <summary>The object's bounding box from its mask, with a small margin.</summary>
    Crop,

    /// <summary>As <see cref="Crop"/>, with everything outside the mask set to the background level.</summary>
    CropMask,
}

/// <summary>Names of the input modes as the command line and the report write them.</summary>
public static class InputModes
{
    public static string ToName(this InputMode mode) => mode switch
    {
        InputMode.Surround => "surround",
        InputMode.Crop => "crop",
        InputMode.CropMask => "crop-mask",
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown input mode."),
    };

    /// <summary>Parses <c>surround</c>, <c>crop</c> or <c>crop-mask</c>.</summary>
    public static InputMode Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Trim().ToLowerInvariant() switch
        {
            "surround" => InputMode.Surround,
            "crop" => InputMode.Crop,
            "crop-mask" or "cropmask" => InputMode.CropMask,
            _ => throw new FormatException($"Unknown input mode '{text}'. Use surround, crop or crop-mask."),
        };
    }
}

/// <summary>
/// Turns dataset images into network inputs: selects the region of the input mode, resizes it to a square of
/// <see cref="Size"/> pixels with OpenCV and standardises each image on its own to zero mean and unit SD. Per-image
/// standardisation removes the brightness and contrast differences between acquisition sessions, and it needs no
/// statistics from the training fold, so training and test images are prepared by exactly the same rule.
/// </summary>
public sealed class CnnInputPreparer
{
    /// <param name="mode">Region the network sees.</param>
    /// <param name="size">Side of the square input in pixels.</param>
    /// <param name="marginFraction">Margin added around the mask's bounding box, as a fraction of its longer side.</param>
    public CnnInputPreparer(InputMode mode, int size, double marginFraction = 0.1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 4);
        if (double.IsNaN(marginFraction) || marginFraction < 0 || marginFraction > 1)
            throw new ArgumentOutOfRangeException(nameof(marginFraction), marginFraction, "The crop margin must lie in [0, 1].");
        Mode = mode;
        Size = size;
        MarginFraction = marginFraction;
    }

    public InputMode Mode { get; }

    public int Size { get; }

    public double MarginFraction { get; }

    /// <summary>Standardise each prepared image (the CNN arm's rule); off leaves the resized pixels as they are (0..1), for backbones that normalise by fixed statistics.</summary>
    public bool StandardisePerImage { get; init; } = true;

    /// <summary>Prepares the given items into one buffer of <c>indices.Count × Size × Size</c> floats.</summary>
    /// <returns>The buffer and how many items had no usable mask and fell back to the whole image.</returns>
    public (float[] Pixels, int MaskFallbacks) PrepareBatch(TrainingData data, IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(indices);
        var images = data.Images ?? throw new ArgumentException("The CNN needs images, but the training data holds none.", nameof(data));
        var area = Size * Size;
        foreach (var index in indices)
        {
            if (index < 0 || index >= images.Count)
                throw new ArgumentOutOfRangeException(nameof(indices), index, $"Item index outside the {images.Count} images.");
        }
        var pixels = new float[indices.Count * area];
        var fallbacks = 0;
        void PrepareOne(int i)
        {
            var index = indices[i];
            var mask = data.Masks is { } masks && index < masks.Count ? masks[index] : null;
            if (!Prepare(images[index], mask, pixels.AsSpan(i * area, area), index))
                Interlocked.Increment(ref fallbacks);
        }
        // Items are independent; small batches are not worth the hand-off to the thread pool.
        if (indices.Count >= 64)
        {
            try
            {
                Parallel.For(0, indices.Count, PrepareOne);
            }
            catch (AggregateException e) when (e.InnerExceptions.Count > 0)
            {
                ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
            }
        }
        else
        {
            for (var i = 0; i < indices.Count; i++)
                PrepareOne(i);
        }
        return (pixels, fallbacks);
    }

    /// <summary>Prepares one image into <paramref name="destination"/> (Size × Size floats).</summary>
    /// <returns>False when the mode needed a mask but none (or an empty one) was given, so the whole image was used.</returns>
    public bool Prepare(GrayImage image, BinaryMask? mask, Span<float> destination, int index = -1)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (destination.Length != Size * Size)
            throw new ArgumentException($"Expected room for {Size * Size} pixels, got {destination.Length}.", nameof(destination));
        if (mask is not null && (mask.Width != image.Width || mask.Height != image.Height))
        {
            var which = index >= 0 ? $"Item {index}: " : "";
            throw new ArgumentException($"{which}the mask is {mask.Width}x{mask.Height} but the image is {image.Width}x{image.Height}.", nameof(mask));
        }

        var region = image;
        var usedMask = true;
        if (Mode != InputMode.Surround)
        {
            var box = mask is null ? null : BoundingBox(mask);
            if (box is not { } b)
            {
                usedMask = false;
            }
            else
            {
                var (x0, y0, w, h) = SquareWindow(b, image.Width, image.Height);
                region = image.Crop(y0, image.Height - y0 - h, x0, image.Width - x0 - w);
                if (Mode == InputMode.CropMask)
                {
                    var background = BackgroundLevel(image, mask!);
                    var cropped = region.Pixels;
                    for (var y = 0; y < h; y++)
                    {
                        for (var x = 0; x < w; x++)
                        {
                            if (mask!.Data[(y + y0) * image.Width + x + x0] == 0)
                                cropped[y * w + x] = background;
                        }
                    }
                }
            }
        }

        Resize(region, Size).Pixels.CopyTo(destination);
        if (StandardisePerImage)
            Standardise(destination);
        return usedMask;
    }

    /// <summary>OpenCV's pixel-area averaging when shrinking (no aliasing from large crops), bilinear when enlarging.</summary>
    internal static GrayImage Resize(GrayImage image, int size)
    {
        if (image.Width == size && image.Height == size)
            return image;
        var interpolation = image.Width >= size && image.Height >= size ? ResizeInterpolation.Area : ResizeInterpolation.Linear;
        return ImageOps.Resize(image, size, size, interpolation);
    }

    /// <summary>Zero mean and unit SD; a flat image only loses its mean.</summary>
    internal static void Standardise(Span<float> pixels)
    {
        double sum = 0, sumSquares = 0;
        foreach (var v in pixels)
        {
            sum += v;
            sumSquares += (double)v * v;
        }
        var mean = sum / pixels.Length;
        var variance = Math.Max(0, sumSquares / pixels.Length - mean * mean);
        var sd = Math.Sqrt(variance);
        var scale = sd > 1e-6 ? 1 / sd : 1;
        for (var i = 0; i < pixels.Length; i++)
            pixels[i] = (float)((pixels[i] - mean) * scale);
    }

    static (int X0, int Y0, int X1, int Y1)? BoundingBox(BinaryMask mask)
    {
        int x0 = int.MaxValue, y0 = int.MaxValue, x1 = -1, y1 = -1;
        for (var y = 0; y < mask.Height; y++)
        {
            for (var x = 0; x < mask.Width; x++)
            {
                if (mask.Data[y * mask.Width + x] == 0)
                    continue;
                x0 = Math.Min(x0, x);
                x1 = Math.Max(x1, x);
                y0 = Math.Min(y0, y);
                y1 = Math.Max(y1, y);
            }
        }
        return x1 < 0 ? null : (x0, y0, x1, y1);
    }

    // A square around the box keeps the object's aspect ratio through the resize; it slides to stay inside the
    // image and only shrinks to a rectangle when the image itself is too narrow.
    (int X0, int Y0, int Width, int Height) SquareWindow((int X0, int Y0, int X1, int Y1) box, int width, int height)
    {
        int boxW = box.X1 - box.X0 + 1, boxH = box.Y1 - box.Y0 + 1;
        var longer = Math.Max(boxW, boxH);
        var margin = Math.Max(1, (int)Math.Round(MarginFraction * longer));
        var side = longer + 2 * margin;
        var w = Math.Min(side, width);
        var h = Math.Min(side, height);
        var x0 = Math.Clamp((box.X0 + box.X1 + 1 - w) / 2, 0, width - w);
        var y0 = Math.Clamp((box.Y0 + box.Y1 + 1 - h) / 2, 0, height - h);
        return (x0, y0, w, h);
    }

    // The median outside the mask is robust to other objects and debris in the surroundings.
    static float BackgroundLevel(GrayImage image, BinaryMask mask)
    {
        var outside = new List<float>();
        for (var i = 0; i < image.Pixels.Length; i++)
        {
            if (mask.Data[i] == 0)
                outside.Add(image.Pixels[i]);
        }
        if (outside.Count == 0)
            return image.Pixels.Average();
        outside.Sort();
        return outside[outside.Count / 2];
    }
}
