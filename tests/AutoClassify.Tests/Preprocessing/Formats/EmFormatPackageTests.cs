using AutoClassify.Imaging;
using AutoClassify.Imaging.Formats;
using AutoClassify.Models;
using AutoClassify.Packaging;
using AutoClassify.Tests.Support;

namespace AutoClassify.Tests.Preprocessing.Formats;

public class EmFormatPackageTests
{
    [Fact]
    public void Should_record_the_resampling_and_bring_new_images_to_the_trained_scale()
    {
        // Given MRC stacks at 1 nm per pixel: large disks against small ones
        using var dir = new TempDirectory("em-package");
        var data = dir.Combine("data");
        EmFormatDatasetTests.WriteStacks(Path.Combine(data, "large"), stacks: 3, sections: 3, radius: 10, cellX: 320);
        EmFormatDatasetTests.WriteStacks(Path.Combine(data, "small"), stacks: 3, sections: 3, radius: 4, cellX: 320);

        // When an SVM is trained with every image resampled to 2 nm per pixel
        using var trained = PackageTrainer.Train(new PackageTrainingOptions
        {
            DatasetPath = data,
            Model = "svm",
            Seed = 4,
            Threads = 1,
            ValidationShare = 0,
            ResampleNm = 2,
            ModelSettings = new ModelSettings { Grid = "coarse", InnerFolds = 2 },
            CommandLine = "test",
        });
        var path = dir.File("model.acpkg");
        using (var stream = File.Create(path))
            trained.WriteTo(stream);

        // Then the manifest records the target scale, the intensity mapping and every section's file
        Assert.Equal(2, trained.Manifest.Preprocessing.ResampleNm);
        Assert.Equal(IntensityMapping.Name, trained.Manifest.Preprocessing.IntensityMapping);
        Assert.Contains(trained.Manifest.Provenance.TrainingFiles, f => f.Path == "large/stack0.mrcs#2");

        // And new stacks imaged at 0.25 nm per pixel (the same disks in 128 px instead of 32) are brought to 2 nm and
        // classified by size, while an image that declares no scale gets an error row
        var fresh = dir.Combine("fresh");
        EmFormatDatasetTests.WriteStacks(Path.Combine(fresh, "large"), stacks: 1, sections: 2, radius: 10, cellX: 320, size: 128);
        EmFormatDatasetTests.WriteStacks(Path.Combine(fresh, "small"), stacks: 1, sections: 2, radius: 4, cellX: 320, size: 128);
        var plain = dir.File("plain.png");
        ImageCodec.Save(new GrayImage(32, 32), plain);
        using var package = ModelPackage.Open(path);
        var inputs = PackagePredictor.CollectInputs([fresh]).Append(plain).ToList();
        var rows = PackagePredictor.Predict(package, inputs, new PredictionOptions { Threads = 1 }).ToList();

        Assert.Equal(5, rows.Count);
        for (var i = 0; i < 4; i++)
        {
            Assert.Null(rows[i].Error);
            Assert.Equal(rows[i].Path.Contains("/large/", StringComparison.Ordinal) ? "large" : "small", package.Manifest.ClassNames[rows[i].PredictedClass]);
        }
        Assert.Contains("declares no pixel size", rows[4].Error, StringComparison.Ordinal);
        Assert.Contains("2 nm per pixel", rows[4].Error, StringComparison.Ordinal);
    }
}
