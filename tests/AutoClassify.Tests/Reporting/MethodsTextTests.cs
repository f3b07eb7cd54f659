using AutoClassify.Reporting;
using AutoClassify.Tests.Support;

namespace AutoClassify.Tests.Reporting;

public class MethodsTextTests
{
    [Fact]
    public void Should_describe_data_folds_both_models_statistics_and_software_with_references()
    {
        // Given the hand-made results of an SVM and a CNN
        var result = ReportFixtures.Create();
        result.Models[1].Folds.ForEach(f =>
        {
            f.Training.Facts["architecture"] = "4 conv blocks";
            f.Training.Facts["optimizer"] = "adam";
            f.Training.Facts["max_epochs"] = "12";
            f.Training.Facts["epochs_run"] = "12";
        });
        using var dir = new TempDirectory("methods");

        // When methods.md is written
        new MethodsExporter().Export(result, dir.Path);
        var md = File.ReadAllText(dir.File(MethodsExporter.FileName));

        // Then it states what was done, with numbers from the run
        Assert.StartsWith("# Methods\n\n**Data.** The data set comprised 18 images in 3 classes (mitochondrion: 6, nucleus: 6, vesicle: 6)", md, StringComparison.Ordinal);
        Assert.Contains("stratified 3-fold cross-validation with seed 42", md, StringComparison.Ordinal);
        Assert.Contains("A fixed margin was cropped (top 0, bottom 64, left 0, right 0 pixels).", md, StringComparison.Ordinal);
        Assert.Contains("Chosen per fold: C = 2^2, 2^3, 2^2, γ = 2^-4, 2^-4, 2^-3.", md, StringComparison.Ordinal);
        Assert.Contains("A convolutional network (4 conv blocks;", md, StringComparison.Ordinal);
        Assert.Contains("(epochs run per fold: 12, 12, 12; best epochs: 9, 10, 11)", md, StringComparison.Ordinal);
        Assert.Contains("McNemar's exact test", md, StringComparison.Ordinal);
        Assert.Contains("**Software.** AutoClassify 0.1.0-test, OpenCV 4.6.0, libtorch 1.13.1, LIBSVM 3.24", md, StringComparison.Ordinal);
        // and cites what it used, once each
        foreach (var cite in new[] { "Chang C-C, Lin C-J. LIBSVM", "Paszke A", "Kingma DP", "Bradski G", "Nadeau C, Bengio Y", "McNemar Q", "Holm S", "Wilson EB", "Efron B" })
            Assert.Single(System.Text.RegularExpressions.Regex.Matches(md, System.Text.RegularExpressions.Regex.Escape(cite)));
        // and the report shows the same paragraphs
        var html = HtmlReport.Render(result);
        Assert.Contains("<section id=\"methods\">", html, StringComparison.Ordinal);
        Assert.Contains("<p class=\"methods\"><strong>Data.</strong> The data set comprised 18 images", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("4", "2^2")]
    [InlineData("0.0625", "2^-4")]
    [InlineData("3", "3")]
    [InlineData("0.1", "0.1")]
    public void Should_write_powers_of_two_as_such(string value, string expected) =>
        Assert.Equal(expected, MethodsText.PowerOfTwo(value));
}
