using AutoClassify.Imaging;
using AutoClassify.Models;
using AutoClassify.Models.Cnn;
using AutoClassify.Packaging;
using AutoClassify.Preprocessing;
using AutoClassify.Tests.Models.Cnn;
using AutoClassify.Tests.Preprocessing;
using AutoClassify.Tests.Support;
using AutoClassify.Tests.Tensors;

namespace AutoClassify.Tests.Packaging;

[Collection(TorchTests.Name)]
public sealed class WholeImageReductionTests : IDisposable
{
    readonly TempDirectory temp = new("wholereduce");

    public void Dispose() => temp.Dispose();

    [Fact]
    public void Should_predict_a_12000_by_9000_field_with_a_whole_image_cnn_from_its_reduced_image()
    {
        // Given a tiny LipNet on whole images, packaged with a reduction bound of 2^20 pixels
        var data = ShapeImages.Create(perClass: 8, size: 20, seed: 4);
        var options = new CnnOptions { Model = "lipnet4c", InputSize = 16, MaxEpochs = 2, Patience = 2, BatchSize = 16, Threads = 2, InputMode = InputMode.Surround };
        using var model = new CnnPackagedModel(CnnTrainer.Create("lipnet4c", options)
            .Train(data, [.. Enumerable.Range(0, data.Labels.Length)], new TrainingContext { Seed = 42, Threads = 2 }));
        const long bound = 1L << 20;
        var package = temp.File("cnn.acpkg");
        TestPackages.Write(package, model, preprocessing: model.Preprocessing with { ReduceAbovePixels = bound });

        // And a folder with a small image and a 12,000 x 9,000 PNG (432 MB as float pixels)
        var folder = Path.Combine(temp.Path, "in");
        Directory.CreateDirectory(folder);
        PngWriter.Write(Path.Combine(folder, "a_small.png"), data.Images![0]);
        var huge = Path.Combine(folder, "b_huge.png");
        ImageReductionTests.WriteSparsePng(huge, 12_000, 9_000);

        // When the folder is predicted
        // (on one thread, so this thread's allocations are the run's, whatever other tests do meanwhile)
        using var opened = ModelPackage.Open(package);
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var rows = PackagePredictor.Predict(opened, PackagePredictor.CollectInputs([folder]), new PredictionOptions { Threads = 1 }).ToList();
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;

        // Then both images are predicted, the huge one from its image reduced by the package's rule
        Assert.All(rows, r => Assert.Null(r.Error));
        var reduced = ImagePreparation.Prepare(huge, null, default, BannerMode.Crop, bound);
        Assert.True(reduced.Image.Width * (long)reduced.Image.Height <= bound);
        // (to rounding: the folder's batch holds both images, and libtorch's kernels may sum a batch of two differently)
        var difference = Probabilities.MaxDifference([model.PredictProbabilities([reduced], 1)[0]], [rows[1].Probabilities]);
        Assert.True(difference < 1e-6, $"the huge image's probabilities differ from its reduced image's by {difference}");

        // And the run allocated more than the reduced image but a fraction of the full image's float pixels
        Assert.InRange(allocated, (long)reduced.Image.Pixels.Length * sizeof(float), 100_000_000L);
    }
}
