using System.Globalization;
using AutoClassify.Features;
using AutoClassify.Tests.Preprocessing;
using AutoClassify.Tests.Support;

namespace AutoClassify.Tests.Features;

public class FeatureCsvTests
{
    [Fact]
    public void Should_write_path_class_and_features_with_invariant_round_tripping_numbers()
    {
        // Given two rows with awkward numbers and a path containing a comma, under a comma-decimal culture
        using var folder = new TempDirectory();
        var matrix = new FeatureMatrix(["area", "snr"], [[1234.5, 1.0 / 3], [-0.000125, 6.02e23]]);
        var path = folder.File("out/features.csv");
        var previous = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = new CultureInfo("de-DE");
        try
        {
            // When the CSV is written
            FeatureCsv.Write(path, matrix, ["clathrin/a.png", "coated, odd/b.tif"], ["clathrin", "coated"]);
        }
        finally
        {
            CultureInfo.CurrentCulture = previous;
        }

        // Then the header and rows are RFC 4180 with exact invariant numbers, and no temp file remains
        var lines = File.ReadAllLines(path);
        Assert.Equal("path,class,area,snr", lines[0]);
        Assert.Equal("clathrin/a.png,clathrin,1234.5," + (1.0 / 3).ToString("R", CultureInfo.InvariantCulture), lines[1]);
        Assert.StartsWith("\"coated, odd/b.tif\",coated,-0.000125,", lines[2], StringComparison.Ordinal);
        Assert.Equal(6.02e23, double.Parse(lines[2].Split(',')[^1], CultureInfo.InvariantCulture));
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!));
    }

    [Fact]
    public void Should_replace_an_existing_file_whole()
    {
        using var folder = new TempDirectory();
        var path = folder.File("features.csv");
        File.WriteAllText(path, "old content that is longer than the new one\n".PadRight(5000, 'x'));
        var matrix = new FeatureMatrix(["area"], [[1.0]]);

        FeatureCsv.Write(path, matrix, ["a.png"], ["c"]);

        Assert.Equal(["path,class,area", "a.png,c,1"], File.ReadAllLines(path));
    }

    [Fact]
    public void Should_reject_a_path_list_of_the_wrong_length()
    {
        var matrix = new FeatureMatrix(["area"], [[1.0], [2.0]]);

        var ex = Assert.Throws<ArgumentException>(() => FeatureCsv.Write(new StringWriter(), matrix, ["a.png"], ["c", "c"]));

        Assert.Equal("relativePaths", ex.ParamName);
    }
}
