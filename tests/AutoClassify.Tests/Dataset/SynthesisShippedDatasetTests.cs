using AutoClassify.Dataset.Synthesis;
using AutoClassify.Imaging;
using AutoClassify.Tests.Support;

namespace AutoClassify.Tests.Dataset;

public class SynthesisShippedDatasetTests
{
    [Fact]
    public void Should_match_what_the_generator_makes_from_the_documented_options()
    {
        // Given the shipped demo dataset and the options its README documents
        var root = RepoPaths.Liposomes;
        var options = new LiposomeSynthesisOptions { Count = 400, ImageSize = 64, Seed = 7 };
        var synthesizer = new LiposomeSynthesizer(options);
        var planned = LiposomeSynthesizer.PlanCounts(options);

        for (var c = 0; c < planned.Count; c++)
        {
            var kind = (LiposomeClass)c;
            var name = LiposomeSynthesizer.ClassNames[c];
            var dir = Path.Combine(root, name);

            // Then each class folder holds exactly the planned crops and masks
            Assert.Equal(2 * planned[c], Directory.GetFiles(dir, "*.png").Length);

            // And sampled crops decode to exactly what the generator renders today
            foreach (var index in new[] { 0, planned[c] / 2, planned[c] - 1 })
            {
                var stem = Path.Combine(dir, LiposomeSynthesizer.FileStem(name, index));
                var expected = synthesizer.Render(kind, index);
                Assert.Equal(PngWriter.ToBytes(expected.Image), SynthesisPngReader.Read(stem + ".png").Pixels);
                Assert.Equal(expected.Mask.Data.Select(v => v != 0 ? (byte)255 : (byte)0),
                    SynthesisPngReader.Read(stem + ".mask.png").Pixels);
            }
        }
    }
}
