using AutoClassify.Dataset;
using AutoClassify.Evaluation;
using AutoClassify.Features;
using AutoClassify.Imaging;
using AutoClassify.Models;
using AutoClassify.Models.Svm;
using AutoClassify.Preprocessing;
using AutoClassify.Tests.Segmentation;
using AutoClassify.Tests.Tiling;

namespace AutoClassify.Tests.Features;

public class FieldFeatureTests
{
    static readonly ModelSettings Coarse = new() { Grid = "coarse" };

    static TrainingData Fields(int perClass, IEnumerable<ModelInput> inputs, double? nmPerPixel = null)
    {
        var prepared = new List<PreparedImage>();
        var labels = new List<int>();
        for (var c = 0; c < TiledFields.Classes.Length; c++)
        {
            for (var i = 0; i < perClass; i++)
            {
                prepared.Add(new PreparedImage(FieldImages.Field(c, (100 * c) + i), null));
                labels.Add(c);
            }
        }
        return TrainingData.FromPrepared(TiledFields.Classes.Select(c => c.Name).ToArray(), [.. labels], prepared, inputs, threads: 2, nmPerPixel);
    }

    [Fact]
    public void Should_BeatChanceClearly_OnFieldsWhoseClassesDifferInParticleSizeAndDensity()
    {
        // Given 3 classes of generated fields (dense, large, sparse particles), 10 each, with whole-field features only
        var data = Fields(perClass: 10, [ModelInput.FieldFeatures]);
        var trainer = ModelCatalog.Create("svm-field", Coarse);
        var assignment = StratifiedKFold.Assign(data.Labels, 3, seed: 4);

        // When svm-field is cross-validated over 3 folds
        var correct = 0;
        for (var fold = 0; fold < 3; fold++)
        {
            var (train, test) = StratifiedKFold.Split(assignment, fold);
            using var model = trainer.Train(data, train, new TrainingContext { Seed = Seeds.Derive(4, "svm-field", fold), Threads = 2 });
            var probabilities = model.PredictProbabilities(data, test);
            correct += test.Where((item, i) => ModelResultBuilder.Decide(probabilities[i]) == data.Labels[item]).Count();
        }

        // Then it is named for its input and far above chance (1/3)
        Assert.Equal("svm-field", trainer.Name);
        Assert.Equal(ModelInput.FieldFeatures, ModelCatalog.InputOf("svm-field"));
        Assert.True(correct / 30.0 >= 0.8, $"accuracy {correct / 30.0:F2}");
    }

    [Fact]
    public void Should_BuildOnlyTheRepresentationsTheModelsRead()
    {
        // Given two fields
        // When training data is built for a whole-field model only
        var data = Fields(perClass: 1, [ModelInput.FieldFeatures]);

        // Then only the whole-field matrix exists, and the handcrafted SVM refuses it by name
        Assert.NotNull(data.FieldFeatures);
        Assert.Null(data.Features);
        Assert.Null(data.Images);
        Assert.Equal(ParticleFeatures.Names, data.FieldFeatures!.Names);
        var svm = ModelCatalog.Create("svm", Coarse);
        var error = Assert.Throws<ArgumentException>(() => svm.Train(data, [0, 1, 2], new TrainingContext { Seed = 1 }));
        Assert.Contains("Features", error.Message);
    }

    [Fact]
    public void Should_GiveFiniteFeatures_ForEmptyFlatAndTinyFields()
    {
        // Given a flat grey field, a black one, a noise-only one and a 16-pixel tile of noise
        var flat = new GrayImage(64, 48);
        Array.Fill(flat.Pixels, 0.5f);
        var black = new GrayImage(64, 48);
        var noise = ParticleFields.Render(64, 48, [], seed: 3, noise: 0.2);
        var tiny = ParticleFields.Render(16, 16, [], seed: 4);

        foreach (var set in new[] { FeatureSet.Field(null), FeatureSet.Field(2.5) })
        {
            // When the whole-field features are extracted, in pixels and at 2.5 nm per pixel
            var matrix = set.ExtractAll([flat, black, noise, tiny], null, threads: 2);

            // Then every value is finite, and a flat field has no particles
            Assert.All(matrix.Rows.SelectMany(r => r), v => Assert.True(double.IsFinite(v), $"{set}: {v}"));
            Assert.Equal(0, matrix.Rows[0][0]);
            Assert.Equal(0, matrix.Rows[0][Index("particle_diameter_q50")]);
        }
    }

    [Fact]
    public void Should_MeasureLengthsInNm_WhenThePixelSizeIsKnown()
    {
        // Given a field of disks of radius 8 px
        var disks = ParticleFields.Scatter(128, 128, Enumerable.Repeat(8.0, 8).ToList(), seed: 21);
        var field = ParticleFields.Render(128, 128, disks, seed: 22);

        // When it is measured in pixels and at 2 nm per pixel
        var px = FeatureSet.Field(null).Extract(field);
        var nm = FeatureSet.Field(2).Extract(field);

        // Then diameters double, density goes from per megapixel to per µm², and shape and texture do not change
        Assert.Equal("px", FeatureSet.Field(null).LengthUnit);
        Assert.Equal("nm", FeatureSet.Field(2).LengthUnit);
        Assert.Equal(2 * px[Index("particle_diameter_q50")], nm[Index("particle_diameter_q50")], 9);
        Assert.Equal(px[0] / (128.0 * 128 * 4 / 1e6), nm[Index("particle_density")], 9);
        Assert.Equal(px[Index("particle_circularity_q50")], nm[Index("particle_circularity_q50")], 12);
        Assert.Equal(px[^1], nm[^1], 12);
    }

    [Fact]
    public void Should_SaveAndLoadTheFeatureSet_WithTheSvm()
    {
        // Given svm-field trained on fields measured at 3 nm per pixel
        var data = Fields(perClass: 6, [ModelInput.FieldFeatures], nmPerPixel: 3);
        var trainer = (SvmTrainer)ModelCatalog.Create("svm-field", Coarse);
        using var model = trainer.Train(data, [.. Enumerable.Range(0, data.Labels.Length)], new TrainingContext { Seed = 2, Threads = 2 });
        var dir = Directory.CreateTempSubdirectory("ac-svm-field-");
        try
        {
            // When it is saved and loaded
            model.Save(dir.FullName);
            using var loaded = SvmModel.Load(dir.FullName);

            // Then the loaded model knows its features and scale, and predicts identically
            Assert.Equal(FeatureSet.Field(3), loaded.FeatureSet);
            Assert.Equal(ModelInput.FieldFeatures, loaded.Input);
            var all = Enumerable.Range(0, data.Labels.Length).ToArray();
            Assert.Equal(model.PredictProbabilities(data, all), loaded.PredictProbabilities(data, all));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Should_BenchmarkSvmFieldOnTiles_WithTheScaleRecorded()
    {
        // Given the generated fields on disk, 6 per class
        using var dir = new Support.TempDirectory("svm-field");
        TiledFields.Write(dir.Path, perClass: 6);

        // When svm-field is benchmarked on 48-pixel tiles at 2 nm per pixel, folds grouped by image
        var result = BenchmarkRunner.Run(new BenchmarkOptions
        {
            DatasetPath = dir.Path,
            Folds = 3,
            Seed = 8,
            Models = ["svm-field"],
            Threads = 2,
            NmPerPixel = 2,
            ModelSettings = Coarse,
            Tile = new AutoClassify.Tiling.TileSpec(48, 48),
        });

        // Then the run states the feature set and its unit, and image-level accuracy is far above chance
        Assert.Contains("lengths in nm at 2 nm/px", result.Settings.Extra["field_features"], StringComparison.Ordinal);
        var model = Assert.Single(result.Models);
        Assert.Equal("svm-field", model.Name);
        Assert.NotNull(model.TileLevel);
        Assert.True(model.Aggregate.Accuracy.Mean >= 0.8, $"accuracy {model.Aggregate.Accuracy.Mean:F2}");
    }

    static int Index(string name) => ParticleFeatures.Names.ToList().IndexOf(name);
}
