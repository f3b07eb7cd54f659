using AutoClassify.Imaging;
using AutoClassify.Preprocessing;

namespace AutoClassify.Tests.Preprocessing;

/// <summary>Seeded synthetic micrographs, with or without a burned-in data banner.</summary>
internal static class BannerImages
{
    /// <summary>A textured, noisy specimen field (grey levels roughly 0.15..0.85), no banner.</summary>
    public static GrayImage Field(int width, int height, int seed, double noise = 0.05)
    {
        var random = new Random(seed);
        var image = new GrayImage(width, height);
        var blobs = Enumerable.Range(0, Math.Max(4, width * height / 900))
            .Select(_ => (X: random.NextDouble() * width, Y: random.NextDouble() * height, R: 3 + random.NextDouble() * 9, A: random.NextDouble() * 0.5 - 0.2))
            .ToList();
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var v = 0.45 + 0.1 * Math.Sin(x * 0.05 + seed) * Math.Cos(y * 0.04);
                foreach (var b in blobs)
                {
                    var d2 = (x - b.X) * (x - b.X) + (y - b.Y) * (y - b.Y);
                    if (d2 < b.R * b.R)
                        v += b.A;
                }
                v += (random.NextDouble() - 0.5) * 2 * noise;
                image[x, y] = (float)Math.Clamp(v, 0, 1);
            }
        }
        return image;
    }

    /// <summary>
    /// A field with a data banner of <paramref name="rows"/> rows at <paramref name="edge"/>: a uniform bar (black, or
    /// white when <paramref name="bright"/>) with two lines of text-like glyphs and a 2-px scale bar of
    /// <paramref name="scaleBar"/> pixels with end ticks, clean margins above and below the text.
    /// </summary>
    public static GrayImage WithBanner(int width, int height, int rows, BannerEdge edge, bool bright, int seed, int scaleBar = 100)
    {
        var image = Field(width, height, seed);
        var random = new Random(seed + 1000);
        float background = bright ? 0.97f : 0.02f, ink = bright ? 0.05f : 0.95f;
        var first = edge == BannerEdge.Top ? 0 : height - rows;
        for (var y = first; y < first + rows; y++)
        {
            for (var x = 0; x < width; x++)
                image[x, y] = background + (float)((random.NextDouble() - 0.5) * 0.02);
        }

        // Glyphs: 4..6 px wide, 7 px tall, in words, on one or two text lines inside 3-row margins.
        var lineHeight = 7;
        var textLines = rows >= 2 * lineHeight + 8 ? 2 : 1;
        for (var line = 0; line < textLines; line++)
        {
            var top = first + 3 + line * (lineHeight + 2);
            var x = 6;
            while (x < width / 2)
            {
                var glyphs = random.Next(2, 6);
                for (var g = 0; g < glyphs && x < width / 2; g++)
                {
                    var w = random.Next(4, 7);
                    for (var dy = 0; dy < lineHeight; dy++)
                    {
                        for (var dx = 0; dx < w; dx++)
                        {
                            // A hollow box with a bar: looks like a stroke pattern, not a filled block.
                            if (dx == 0 || dx == w - 1 || dy == 0 || dy == lineHeight / 2)
                                image[x + dx, top + dy] = ink;
                        }
                    }
                    x += w + 2;
                }
                x += 8;
            }
        }

        var barY = first + rows / 2;
        var barLeft = width - scaleBar - 10;
        for (var x = barLeft; x < barLeft + scaleBar; x++)
        {
            image[x, barY] = ink;
            image[x, barY + 1] = ink;
        }
        for (var dy = 2; dy < 5; dy++)
        {
            image[barLeft, barY + dy] = ink;
            image[barLeft + scaleBar - 1, barY + dy] = ink;
        }
        return image;
    }
}
