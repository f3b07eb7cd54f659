using AutoClassify.Preprocessing;
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
        Assert.Equal(Tinted(PredictionMapRenderer.ClassColour(1)), Pixel(strict, 10, 10));
        Assert.Equal(((byte)128, (byte)128, (byte)128), Pixel(strict, 50, 10));
        Assert.Equal(Tinted(PredictionMapRenderer.ClassColour(0)), Pixel(lenient, 50, 10));
    }

    [Fact]
    public void Should_TintOnlyTheChosenClass_WhenOneIsGiven()
    {
        var image = new GrayImage(64, 32);
        Array.Fill(image.Pixels, 0.5f);

        var rgb = PredictionMapRenderer.OverlayRgb(image, TwoDomains(), 0.5, onlyClass: 0);

        Assert.Equal(((byte)128, (byte)128, (byte)128), Pixel(rgb, 10, 10));
        Assert.Equal(Tinted(PredictionMapRenderer.ClassColour(0)), Pixel(rgb, 50, 10));
    }

    [Fact]
    public void Should_ColourTheHeatMapByProbability_WithTheScaleInTheLegend()
    {
        // Given the two-domain map
        // When class 1's heat map is drawn
        var rgb = PredictionMapRenderer.HeatMapRgb(TwoDomains(), 1);

        // Then each tile takes the viridis colour of its probability, and the legend runs from the 0 colour to the 1 colour
        Assert.Equal(PredictionMapRenderer.HeatColour(0.9), Pixel(rgb, 10, 10));
        Assert.Equal(PredictionMapRenderer.HeatColour(0.3), Pixel(rgb, 50, 10));
        Assert.Equal(PredictionMapRenderer.HeatColour(0), Pixel(rgb, 4, 32 + 5));
        Assert.Equal(PredictionMapRenderer.HeatColour(1), Pixel(rgb, 59, 32 + 5));
        Assert.Equal(((byte)68, (byte)1, (byte)84), PredictionMapRenderer.HeatColour(-1));
        Assert.Equal(((byte)253, (byte)231, (byte)37), PredictionMapRenderer.HeatColour(2));
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
