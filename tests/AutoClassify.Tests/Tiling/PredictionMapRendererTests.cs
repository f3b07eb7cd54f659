using AutoClassify.Imaging;
using AutoClassify.Tiling;

namespace AutoClassify.Tests.Tiling;

public class PredictionMapRendererTests
{
    // A 64x32 image in two 32-pixel tiles: class 1 dominates the left tile, class 0 the right one.
    static PredictionMap TwoDomains() => new(64, 32, [new TileRect(0, 0, 32), new TileRect(32, 0, 32)], [[0.1, 0.9], [0.7, 0.3]]);

    [Fact]
    public void Should_TintOnlyWhereAClassExceedsTheThreshold_InThatClassesColour()
    {
        // Given a grey image and a map with two domains
        var image = new GrayImage(64, 32);
        Array.Fill(image.Pixels, 0.5f);

        // When the overlay is drawn at thresholds 0.8 and 0.5
        var strict = PredictionMapRenderer.OverlayRgb(image, TwoDomains(), 0.8);
        var lenient = PredictionMapRenderer.OverlayRgb(image, TwoDomains(), 0.5);

        // Then at 0.8 only the left tile is tinted (class 1); at 0.5 the right one takes class 0's colour too
        Assert.Equal(3 * 64 * (32 + PredictionMapRenderer.LegendHeight), strict.Length);
        Assert.Equal(Tinted(PredictionMapRenderer.ClassColour(1)), Pixel(strict, 11, 10));
        Assert.Equal(((byte)128, (byte)128, (byte)128), Pixel(strict, 50, 10));
        Assert.Equal(Tinted(PredictionMapRenderer.ClassColour(0)), Pixel(lenient, 50, 11));
        // And each class is hatched in its own pattern in full colour, and its region's edge is outlined
        Assert.NotEqual(MapColours.Hatch(0), MapColours.Hatch(1));
        Assert.Equal(PredictionMapRenderer.ClassColour(1), Pixel(strict, 10, 10));
        Assert.Equal(PredictionMapRenderer.ClassColour(1), Pixel(strict, 31, 13));
        Assert.Equal(PredictionMapRenderer.ClassColour(0), Pixel(lenient, 48, 16));
        Assert.Equal(((byte)128, (byte)128, (byte)128), Pixel(strict, 32, 13));
    }

    [Fact]
    public void Should_GiveTheFirstClassesDistinctColourAndHatchingPairs()
    {
        // Given the first 49 classes
        var pairs = Enumerable.Range(0, 49).Select(k => (MapColours.Class(k), MapColours.Hatch(k))).ToList();

        // Then no two share both colour and hatching, and neighbouring classes differ in both
        Assert.Equal(49, pairs.Distinct().Count());
        for (var k = 0; k < 6; k++)
            Assert.True(pairs[k].Item1 != pairs[k + 1].Item1 && pairs[k].Item2 != pairs[k + 1].Item2);
    }

    [Fact]
    public void Should_TintOnlyTheChosenClass_WhenOneIsGiven()
    {
        var image = new GrayImage(64, 32);
        Array.Fill(image.Pixels, 0.5f);

        var rgb = PredictionMapRenderer.OverlayRgb(image, TwoDomains(), 0.5, onlyClass: 0);

        Assert.Equal(((byte)128, (byte)128, (byte)128), Pixel(rgb, 10, 10));
        Assert.Equal(Tinted(PredictionMapRenderer.ClassColour(0)), Pixel(rgb, 50, 11));
    }

    [Fact]
    public void Should_ColourTheHeatMapByProbability_WithTheScaleInTheLegend()
    {
        // Given the two-domain map
        // When class 1's heat map is drawn
        var rgb = PredictionMapRenderer.HeatMapRgb(TwoDomains(), 1);

        // Then each tile takes the colour of its probability on the report's scale, and the legend runs from the 0
        // colour (near white) to the 1 colour (navy)
        Assert.Equal(PredictionMapRenderer.HeatColour(0.9), Pixel(rgb, 10, 10));
        Assert.Equal(PredictionMapRenderer.HeatColour(0.3), Pixel(rgb, 50, 10));
        Assert.Equal(PredictionMapRenderer.HeatColour(0), Pixel(rgb, 4, 32 + 5));
        Assert.Equal(PredictionMapRenderer.HeatColour(1), Pixel(rgb, 59, 32 + 5));
        Assert.Equal(((byte)0xf7, (byte)0xfb, (byte)0xff), PredictionMapRenderer.HeatColour(-1));
        Assert.Equal(((byte)0x08, (byte)0x30, (byte)0x6b), PredictionMapRenderer.HeatColour(2));
        // And the HTML report's heat colours are the same scale
        foreach (var v in new[] { 0, 0.3, 0.5, 0.9, 1 })
        {
            var (r, g, b) = PredictionMapRenderer.HeatColour(v);
            Assert.Equal($"#{r:x2}{g:x2}{b:x2}", AutoClassify.Reporting.HtmlFormat.Heat(v).Background);
        }
    }

    static (byte, byte, byte) Tinted((byte R, byte G, byte B) c) =>
        (Blend(c.R), Blend(c.G), Blend(c.B));

    static byte Blend(byte tint) => (byte)MathF.Round(127.5f + (0.45f * (tint - 127.5f)));

    static (byte, byte, byte) Pixel(byte[] rgb, int x, int y)
    {
        var i = 3 * ((y * 64) + x);
        return (rgb[i], rgb[i + 1], rgb[i + 2]);
    }
}
