using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using AutoClassify.Models;
using AutoClassify.Models.Cnn;
using AutoClassify.Packaging;
using AutoClassify.Preprocessing;
using AutoClassify.Tests.Models.Cnn;
using AutoClassify.Tests.Support;
using AutoClassify.Tests.Tensors;

namespace AutoClassify.Tests.Packaging;

[Collection(TorchTests.Name)]
public sealed class CnnPackageTests : IDisposable
{
    readonly TempDirectory temp = new("cnnpkg");

    public void Dispose() => temp.Dispose();

    static (CnnPackagedModel Model, List<PreparedImage> Images) TrainTiny()
    {
        var data = ShapeImages.Create(perClass: 8, size: 20, seed: 4);
        var all = Enumerable.Range(0, data.Labels.Length).ToArray();
        var options = new CnnOptions { Model = "lipnet4c", InputSize = 16, MaxEpochs = 2, Patience = 2, BatchSize = 16, Threads = 2, InputMode = InputMode.Crop };
        var model = CnnTrainer.Create("lipnet4c", options).Train(data, all, new TrainingContext { Seed = 42, Threads = 2 });
        var images = data.Images!.Select((image, i) => new PreparedImage(image, data.Masks?[i])).ToList();
        return (new CnnPackagedModel(model), images);
    }

    static ModelPackageManifest Manifest(CnnPackagedModel model) => new()
    {
        ModelKind = model.Kind,
        ClassNames = model.ClassNames,
        Preprocessing = model.Preprocessing,
        Provenance = new PackageProvenance { Seed = 42, CreatedUtc = DateTimeOffset.UtcNow },
    };

    [Fact]
    public void Should_predict_identical_probabilities_after_packaging_a_cnn()
    {
        // Given a tiny trained LipNet and its images
        var (model, images) = TrainTiny();
        using var _ = model;
        var expected = model.PredictProbabilities(images, 2);

        // When packaged and opened
        var path = temp.File("cnn.acpkg");
        var manifest = ModelPackage.Write(path, Manifest(model), model);
        using var package = ModelPackage.Open(path);

        // Then the payload is the safetensors weights and model JSON, and the probabilities are identical
        Assert.Equal(["payload/model.json", "payload/weights.safetensors"], manifest.Payload.Select(p => p.Name));
        Assert.Equal("lipnet4c", package.Manifest.ModelKind);
        Assert.Equal(16, package.Manifest.Preprocessing.InputSize);
        Assert.Equal(expected, package.Model.PredictProbabilities(images, 2));
    }

    [Fact]
    public void Should_refuse_weights_whose_shapes_do_not_fit_the_architecture_with_the_loader_message()
    {
        // Given a LipNet-4c package whose model JSON (checksums updated) claims a LipNet-6
        var (model, _) = TrainTiny();
        using var _ = model;
        var path = temp.File("cnn.acpkg");
        ModelPackage.Write(path, Manifest(model), model);
        var forged = temp.File("forged.acpkg");
        byte[]? newInfo = null;
        PackagingTestData.Rewrite(path, forged, entries =>
        {
            var info = JsonNode.Parse(entries.Single(e => e.Name == "payload/model.json").Data)!.AsObject();
            info["model"] = "lipnet6";
            newInfo = Encoding.UTF8.GetBytes(info.ToJsonString());
            var manifest = JsonNode.Parse(entries.Single(e => e.Name == ModelPackageManifest.EntryName).Data)!.AsObject();
            manifest["model_kind"] = "lipnet6";
            var payload = manifest["payload"]!.AsArray().Single(p => (string)p!["name"]! == "payload/model.json")!;
            payload["sha256"] = Convert.ToHexString(SHA256.HashData(newInfo));
            payload["size"] = newInfo.Length;
            return entries.Select(e => e.Name switch
            {
                "payload/model.json" => (e.Name, newInfo),
                ModelPackageManifest.EntryName => (e.Name, Encoding.UTF8.GetBytes(manifest.ToJsonString())),
                _ => e,
            }).ToList();
        });

        // When opened, then the package is refused and the state-dict check's message is carried
        var ex = Assert.Throws<InvalidModelPackageException>(() => ModelPackage.Open(forged));
        Assert.Contains("the lipnet6 payload does not load", ex.Message, StringComparison.Ordinal);
        Assert.NotNull(ex.InnerException);
        Assert.Contains(ex.InnerException!.Message.TrimEnd('.'), ex.Message, StringComparison.Ordinal);
    }
}
