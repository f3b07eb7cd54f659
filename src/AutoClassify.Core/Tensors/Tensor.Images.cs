using AutoClassify.Imaging;

namespace AutoClassify.Tensors;

public sealed partial class Tensor
{
    /// <summary>
    /// Stacks equally sized gray images into an N x 1 x H x W float32 batch (values as stored, usually 0..1).
    /// </summary>
    public static Tensor FromImages(IReadOnlyList<GrayImage> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Count == 0)
            throw new ArgumentException("At least one image is needed.", nameof(images));
        ArgumentNullException.ThrowIfNull(images[0], nameof(images));
        int width = images[0].Width, height = images[0].Height, plane = width * height;
        var buffer = new float[checked(images.Count * plane)];
        for (var i = 0; i < images.Count; i++)
        {
            var image = images[i];
            ArgumentNullException.ThrowIfNull(image, nameof(images));
            if (image.Width != width || image.Height != height)
                throw new ArgumentException($"Image {i} is {image.Width}x{image.Height} but image 0 is {width}x{height}; resize them to one size first.", nameof(images));
            image.Pixels.CopyTo(buffer, i * plane);
        }
        return FromArray(buffer, [images.Count, 1, height, width]);
    }
}
