using AutoClassify.Reporting;
using AutoClassify.Tests.Support;
using static AutoClassify.Tests.Support.CliRunner;

namespace AutoClassify.Tests.Tiling;

public class TiledCliTests
{
    [Fact]
    public void Should_benchmark_a_cnn_on_tiles_with_majority_vote_from_the_command_line()
    {
        // Given generated whole fields, 4 per class
        using var dir = new TempDirectory("tiled-cli");
        var data = dir.Combine("fields");
        TiledFields.Write(data, perClass: 4);
        var outDir = dir.Combine("report");

        // When LipNet-1 trains two epochs on 48-pixel tiles every 24 pixels (overlapping) and images are decided by vote
        var (code, stdout, stderr) = Run("benchmark", data, "--models", "lipnet1", "--epochs", "2", "--folds", "2", "--threads", "2",
            "--tile", "48,24", "--tile-aggregate", "vote", "--map-threshold", "0.6", "--out", outDir);

        // Then both levels are printed and the run's files are written
        Assert.True(code == 0, stderr);
        Assert.Contains("(tiles)", stdout, StringComparison.Ordinal);
        var result = ResultsJson.Read(Path.Combine(outDir, ResultsJsonExporter.FileName));
        Assert.Equal((48, 24, "vote", 0.6), (result.Tiling!.Size, result.Tiling.Stride, result.Tiling.Aggregation, result.Tiling.MapThreshold));
        Assert.Equal(12 * 9, result.Tiling.TileCount);
        Assert.Equal(12, result.Models[0].Predictions.Count);
        // Vote shares are multiples of one ninth
        Assert.All(result.Models[0].Predictions, p => Assert.All(p.Probabilities, v => Assert.Equal(0, v * 9 - Math.Round(v * 9), 9)));
        Assert.Equal(1 + 12 * 9, File.ReadAllLines(Path.Combine(outDir, TilePredictionsCsvExporter.FileName)).Length);
        Assert.Contains("tiles vote", File.ReadAllText(Path.Combine(outDir, HtmlReportExporter.FileName)), StringComparison.Ordinal);
        // Tiles of a field train with its exact symmetries unless --augment says otherwise
        Assert.All(result.Models[0].Folds, f => Assert.Equal("rot90,hflip,vflip", f.Training.Facts["augmentation"]));
    }

    [Fact]
    public void Should_keep_an_explicit_augmentation_on_tiles()
    {
        using var dir = new TempDirectory("tiled-cli");
        var data = dir.Combine("fields");
        TiledFields.Write(data, perClass: 3);
        var outDir = dir.Combine("report");

        var (code, _, stderr) = Run("benchmark", data, "--models", "lipnet1", "--epochs", "1", "--folds", "2", "--threads", "2",
            "--tile", "48", "--augment", "all", "--out", outDir);

        Assert.True(code == 0, stderr);
        var result = ResultsJson.Read(Path.Combine(outDir, ResultsJsonExporter.FileName));
        Assert.All(result.Models[0].Folds, f => Assert.Equal("all", f.Training.Facts["augmentation"]));
    }

    [Fact]
    public void Should_reject_a_bad_tile_spec_or_aggregation_with_a_clear_message()
    {
        using var dir = new TempDirectory("tiled-cli");
        TiledFields.Write(dir.Path, perClass: 2);

        var badSize = Run("benchmark", dir.Path, "--tile", "64,x");
        var badStride = Run("benchmark", dir.Path, "--tile", "32,48");
        var badMode = Run("benchmark", dir.Path, "--tile", "32", "--tile-aggregate", "median");
        var badThreshold = Run("benchmark", dir.Path, "--tile", "32", "--map-threshold", "1.5");
        var tooBig = Run("benchmark", dir.Path, "--tile", "128", "--folds", "2");

        Assert.Contains("--tile value 'x' in '64,x' is not a whole number of pixels.", badSize.Err, StringComparison.Ordinal);
        Assert.Contains("--tile stride must be between 1 and the tile size 32, not 48.", badStride.Err, StringComparison.Ordinal);
        Assert.Contains("--tile-aggregate expects 'mean' or 'vote', got 'median'.", badMode.Err, StringComparison.Ordinal);
        Assert.Contains("--map-threshold must lie strictly between 0 and 1", badThreshold.Err, StringComparison.Ordinal);
        Assert.All(new[] { badSize, badStride, badMode, badThreshold }, r => Assert.NotEqual(0, r.Code));
        Assert.Equal(2, tooBig.Code);
        Assert.Contains("6 prepared image(s) are smaller than one 128-pixel tile", tooBig.Err, StringComparison.Ordinal);
    }
}
