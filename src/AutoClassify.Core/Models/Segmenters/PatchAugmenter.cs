using AutoClassify.Tensors;
using AutoClassify.Tensors.NN;

namespace AutoClassify.Models.Segmenters;

/// <summary>
/// Augments a batch of training patches inside libtorch. One sampling grid per patch composes flips, quarter turns,
/// a small rotation and scale change and a smooth elastic displacement; the image is resampled bilinearly and the
/// one-hot mask by nearest neighbour through the same grid (reflection beyond the patch), so they stay aligned. Then
/// gamma, contrast, brightness, blur and noise change the image alone. Every random choice comes from the seeded
/// <see cref="Random"/> except the noise pixels, which libtorch's seeded generator draws.
/// </summary>
internal sealed class PatchAugmenter(SegmentationAugmentation options, Random random)
{
    const int ElasticGrid = 4;
    const int BlurKernel = 7;

    public SegmentationAugmentation Options { get; } = options;

    bool Geometric => Options.Flips || Options.QuarterTurns || Options.RotationDegrees > 0 || Options.ScaleRange > 0 || Options.ElasticPixels > 0;

    /// <summary>
    /// Augments raw [0, 1] patches (B × 1 × P × P) and their one-hot masks (B × C × P × P); returns the images
    /// standardised by each source image's <paramref name="means"/> and <paramref name="deviations"/>, and the masks.
    /// Call inside a <see cref="DisposeScope"/>.
    /// </summary>
    public (Tensor Images, Tensor OneHot) Apply(Tensor images, Tensor oneHot, float[] means, float[] deviations)
    {
        var batch = (int)images.Size(0);
        var size = (int)images.Size(2);
        if (Geometric)
        {
            var grid = Grid(batch, size);
            images = Functional.GridSample(images, grid, GridSampleMode.Bilinear, GridSamplePadding.Reflection);
            oneHot = Functional.GridSample(oneHot, grid, GridSampleMode.Nearest, GridSamplePadding.Reflection);
        }
        var mean = Tensor.FromArray(means, [batch, 1, 1, 1]);
        images = Intensity(images, mean, batch, size);
        var deviation = Tensor.FromArray(deviations, [batch, 1, 1, 1]);
        return ((images - mean) / deviation, oneHot);
    }

    Tensor Grid(int batch, int size)
    {
        var o = Options;
        var thetas = new float[batch * 6];
        for (var b = 0; b < batch; b++)
        {
            var angle = (o.QuarterTurns ? random.Next(4) * Math.PI / 2 : 0) + (Uniform(-o.RotationDegrees, o.RotationDegrees) * Math.PI / 180);
            var scale = o.ScaleRange > 0 ? Math.Exp(Uniform(-Math.Log(1 + o.ScaleRange), Math.Log(1 + o.ScaleRange))) : 1;
            var flipX = o.Flips && random.Next(2) == 1 ? -1 : 1;
            var flipY = o.Flips && random.Next(2) == 1 ? -1 : 1;
            double cos = Math.Cos(angle) / scale, sin = Math.Sin(angle) / scale;
            // Output coordinates to input coordinates: rotation · mirror / scale, no translation.
            thetas[(b * 6) + 0] = (float)(cos * flipX);
            thetas[(b * 6) + 1] = (float)(-sin * flipY);
            thetas[(b * 6) + 3] = (float)(sin * flipX);
            thetas[(b * 6) + 4] = (float)(cos * flipY);
        }
        var theta = Tensor.FromArray(thetas, [batch, 2, 3]);
        var grid = Functional.AffineGrid(theta, [batch, 1, size, size]);
        if (o.ElasticPixels <= 0)
            return grid;

        // A smooth field: random displacements on a coarse grid, interpolated bicubically to the patch.
        var amplitude = 2 * o.ElasticPixels / size;
        var coarse = new float[batch * 2 * ElasticGrid * ElasticGrid];
        for (var i = 0; i < coarse.Length; i++)
            coarse[i] = (float)Uniform(-amplitude, amplitude);
        var field = Functional.Interpolate(Tensor.FromArray(coarse, [batch, 2, ElasticGrid, ElasticGrid]), size, size, InterpolationMode.Bicubic, alignCorners: true);
        return grid + field.Permute(0, 2, 3, 1);
    }

    Tensor Intensity(Tensor images, Tensor mean, int batch, int size)
    {
        var o = Options;
        if (o.Gamma > 0)
        {
            var gammas = Draw(batch, () => Math.Exp(Uniform(-Math.Log(1 + o.Gamma), Math.Log(1 + o.Gamma))));
            images = images.Clamp(1e-6, 1).Pow(Tensor.FromArray(gammas, [batch, 1, 1, 1]));
        }
        if (o.Contrast > 0)
            images = ((images - mean) * Tensor.FromArray(Draw(batch, () => 1 + Uniform(-o.Contrast, o.Contrast)), [batch, 1, 1, 1])) + mean;
        if (o.Brightness > 0)
            images = images + Tensor.FromArray(Draw(batch, () => Uniform(-o.Brightness, o.Brightness)), [batch, 1, 1, 1]);
        if (o.BlurProbability > 0)
            images = Blur(images, batch, size);
        if (o.Noise > 0)
        {
            var sigmas = Draw(batch, () => Uniform(0, o.Noise));
            images = images + (Tensor.Randn([batch, 1, size, size]) * Tensor.FromArray(sigmas, [batch, 1, 1, 1]));
        }
        return images;
    }

    // Each patch its own kernel (a delta when it is not blurred): a grouped convolution over the batch as channels.
    Tensor Blur(Tensor images, int batch, int size)
    {
        const int half = BlurKernel / 2;
        var kernels = new float[batch * BlurKernel * BlurKernel];
        var any = false;
        for (var b = 0; b < batch; b++)
        {
            var kernel = kernels.AsSpan(b * BlurKernel * BlurKernel, BlurKernel * BlurKernel);
            if (random.NextDouble() >= Options.BlurProbability)
            {
                kernel[(half * BlurKernel) + half] = 1;
                continue;
            }
            any = true;
            var sigma = Uniform(0.5, 1.5);
            double total = 0;
            for (var y = 0; y < BlurKernel; y++)
            {
                for (var x = 0; x < BlurKernel; x++)
                {
                    var w = Math.Exp(-(((x - half) * (x - half)) + ((y - half) * (y - half))) / (2 * sigma * sigma));
                    kernel[(y * BlurKernel) + x] = (float)w;
                    total += w;
                }
            }
            for (var i = 0; i < kernel.Length; i++)
                kernel[i] = (float)(kernel[i] / total);
        }
        if (!any)
            return images;
        var padded = Functional.Pad2d(images.Reshape(1, batch, size, size), half, half, half, half, PaddingMode.Reflect);
        var blurred = Functional.Conv2d(padded, Tensor.FromArray(kernels, [batch, 1, BlurKernel, BlurKernel]), groups: batch);
        return blurred.Reshape(batch, 1, size, size);
    }

    static float[] Draw(int count, Func<double> draw)
    {
        var values = new float[count];
        for (var i = 0; i < count; i++)
            values[i] = (float)draw();
        return values;
    }

    double Uniform(double low, double high) => high <= low ? low : low + (random.NextDouble() * (high - low));
}
