using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using AutoClassify.Dataset;
using AutoClassify.Features;
using AutoClassify.Imaging;
using AutoClassify.Packaging;
using AutoClassify.Preprocessing;
using AutoClassify.Tests.Support;

namespace AutoClassify.Tests.Packaging;

/// <summary>One real SVM package shared by the tests of this class (training is the slow part).</summary>
public sealed class TrainedPackageFixture : IDisposable
{
    readonly TempDirectory temp = new("acpkg");

    public TrainedPackageFixture()
    {
        Dataset = PackagingTestData.WriteDataset(temp.Combine("data"));
        Trained = PackagingTestData.Train(Dataset);
        PackagePath = temp.File("model.acpkg");
        Written = Trained.WriteTo(PackagePath);
    }

    public string Dataset { get; }

    public TrainedPackage Trained { get; }

    public ModelPackageManifest Written { get; }

    public string PackagePath { get; }

    public string TempFile(string name) => temp.File(name);

    public void Dispose()
    {
        Trained.Dispose();
        temp.Dispose();
    }
}

[Collection(PackagingTests.Name)]
public sealed class ModelPackageTests(TrainedPackageFixture fixture) : IClassFixture<TrainedPackageFixture>
{
    [Fact]
    public void Should_predict_identical_probabilities_after_writing_and_opening_the_package()
    {
        // Given the trained model and the images it was trained on, prepared as predict prepares them
        var files = PackagePredictor.CollectInputs([fixture.Dataset]);
        var prepared = files.Select(f => ImagePreparation.Prepare(f, null, CropMargins.None)).ToList();
        var expected = fixture.Trained.Model.PredictProbabilities(prepared, threads: 2);

        // When the package is opened from disk and predicts the same files
        using var package = ModelPackage.Open(fixture.PackagePath);
        var rows = PackagePredictor.Predict(package, files, new PredictionOptions { BatchSize = 7, Threads = 2 }).ToList();

        // Then every probability is bit-identical and the model separates the two radii
        Assert.Equal(expected, rows.Select(r => r.Probabilities).ToArray());
        Assert.All(rows, r => Assert.Null(r.Error));
        var correct = rows.Count(r => r.Path.Contains(Path.DirectorySeparatorChar + package.Manifest.ClassNames[r.PredictedClass] + Path.DirectorySeparatorChar, StringComparison.Ordinal));
        Assert.True(correct >= rows.Count * 0.9, $"{correct} of {rows.Count} training images classified correctly");
    }

    [Fact]
    public void Should_record_classes_payload_metrics_and_provenance_in_the_manifest()
    {
        // Given the data set the package was trained on
        var dataset = DatasetLoader.Load(fixture.Dataset, new DatasetOptions { Folds = 2 });

        // When the manifest is read back without loading the model
        var manifest = ModelPackage.ReadManifest(fixture.PackagePath);

        // Then it names the classes, payload, metrics and every training file with its hash
        Assert.Equal(ModelPackageManifest.CurrentSchemaVersion, manifest.SchemaVersion);
        Assert.Equal("svm", manifest.ModelKind);
        Assert.Equal(dataset.ClassNames, manifest.ClassNames);
        Assert.Equal(["payload/svm-model.json", "payload/svm-model.libsvm"], manifest.Payload.Select(p => p.Name));
        Assert.InRange(manifest.Metrics["accuracy"].Mean, 0, 1);
        Assert.Equal(dataset.Items.Select(i => i.RelativePath).Order(StringComparer.Ordinal), manifest.Provenance.TrainingFiles.Select(f => f.Path));
        var first = dataset.Items[0];
        Assert.Equal(Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(first.FullPath))),
            manifest.Provenance.TrainingFiles.Single(f => f.Path == first.RelativePath).Sha256);
        Assert.Equal(PackageTrainer.TrainingSetHash(manifest.Provenance.TrainingFiles), manifest.Provenance.TrainingSetSha256);
        Assert.Equal(5, manifest.Provenance.Seed);
        Assert.Contains("LIBSVM", manifest.Provenance.NativeVersions.Keys);
        Assert.Contains("OpenCV", manifest.Provenance.NativeVersions.Keys);
        Assert.False(string.IsNullOrEmpty(manifest.Provenance.AutoClassifyVersion));
        Assert.Equal(fixture.Written, manifest with { }, ManifestComparer.Instance);
    }

    [Fact]
    public void Should_give_the_same_training_set_hash_for_the_same_files_in_any_order()
    {
        // Given a file list and its reverse
        var files = ModelPackage.ReadManifest(fixture.PackagePath).Provenance.TrainingFiles;

        // When hashed, then the order does not matter but a changed file hash does
        Assert.Equal(PackageTrainer.TrainingSetHash(files), PackageTrainer.TrainingSetHash(files.Reverse()));
        var changed = files.Select((f, i) => i == 0 ? f with { Sha256 = new string('0', 64) } : f);
        Assert.NotEqual(PackageTrainer.TrainingSetHash(files), PackageTrainer.TrainingSetHash(changed));
    }

    [Theory]
    [InlineData("../evil", "climbs out of the package")]
    [InlineData("payload/../../evil", "climbs out of the package")]
    [InlineData("/etc/x", "absolute path")]
    [InlineData("C:/x", "drive letter")]
    [InlineData("payload\\x", "backslash")]
    [InlineData("payload/", "folder entry")]
    public void Should_refuse_an_entry_with_an_unsafe_name(string entryName, string expected)
    {
        // Given a valid package with one extra entry under an unsafe name
        var path = fixture.TempFile($"unsafe-{Guid.NewGuid():N}.acpkg");
        PackagingTestData.Rewrite(fixture.PackagePath, path, entries => [.. entries, (entryName, "x"u8.ToArray())]);

        // When opened, then it is refused naming the package, the entry and the problem
        var ex = Assert.Throws<InvalidModelPackageException>(() => ModelPackage.Open(path));
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains($"'{entryName}'", ex.Message, StringComparison.Ordinal);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_refuse_a_duplicated_entry_name()
    {
        // Given a package whose payload file appears twice
        var path = fixture.TempFile("duplicate.acpkg");
        PackagingTestData.Rewrite(fixture.PackagePath, path, entries => [.. entries, entries[^1]]);

        // When opened, then it is refused
        var ex = Assert.Throws<InvalidModelPackageException>(() => ModelPackage.Open(path));
        Assert.Contains("appears twice", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_refuse_an_unknown_manifest_schema_version()
    {
        // Given a package whose manifest claims schema version 2
        var path = fixture.TempFile("schema2.acpkg");
        PackagingTestData.Rewrite(fixture.PackagePath, path, entries => entries.Select(e =>
            e.Name == ModelPackageManifest.EntryName ? (e.Name, EditManifest(e.Data, m => m["schema_version"] = 2)) : e).ToList());

        // When opened, then the version is named
        var ex = Assert.Throws<InvalidModelPackageException>(() => ModelPackage.Open(path));
        Assert.Contains("schema version 2 is unknown", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_refuse_a_manifest_that_names_a_missing_entry()
    {
        // Given a package without its LIBSVM model file
        var path = fixture.TempFile("missing.acpkg");
        PackagingTestData.Rewrite(fixture.PackagePath, path, entries => entries.Where(e => e.Name != "payload/svm-model.libsvm").ToList());

        // When opened, then the missing entry is named
        var ex = Assert.Throws<InvalidModelPackageException>(() => ModelPackage.Open(path));
        Assert.Contains("'payload/svm-model.libsvm', which the archive does not contain", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_refuse_a_payload_whose_bytes_do_not_match_the_manifest()
    {
        // Given a package whose LIBSVM text was altered but kept its size
        var path = fixture.TempFile("tampered.acpkg");
        PackagingTestData.Rewrite(fixture.PackagePath, path, entries => entries.Select(e =>
        {
            if (e.Name != "payload/svm-model.libsvm")
                return e;
            var data = (byte[])e.Data.Clone();
            data[^2] = data[^2] == (byte)'1' ? (byte)'2' : (byte)'1';
            return (e.Name, data);
        }).ToList());

        // When opened, then the checksum mismatch is named
        var ex = Assert.Throws<InvalidModelPackageException>(() => ModelPackage.Open(path));
        Assert.Contains("does not match its SHA-256", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_refuse_an_entry_the_manifest_does_not_list()
    {
        // Given a package with a harmless-looking extra file
        var path = fixture.TempFile("extra.acpkg");
        PackagingTestData.Rewrite(fixture.PackagePath, path, entries => [.. entries, ("payload/run.sh", "echo hi"u8.ToArray())]);

        // When opened, then the stray entry is named
        var ex = Assert.Throws<InvalidModelPackageException>(() => ModelPackage.Open(path));
        Assert.Contains("'payload/run.sh' is not listed in the manifest", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.95)]
    public void Should_refuse_a_truncated_archive(double keep)
    {
        // Given the first part of a valid package
        var bytes = File.ReadAllBytes(fixture.PackagePath);
        var path = fixture.TempFile($"truncated-{keep}.acpkg");
        File.WriteAllBytes(path, bytes[..(int)(bytes.Length * keep)]);

        // When opened, then it is refused as a damaged zip
        var ex = Assert.Throws<InvalidModelPackageException>(() => ModelPackage.Open(path));
        Assert.Contains("not a readable zip archive", ex.Message, StringComparison.Ordinal);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_refuse_a_file_that_is_not_a_zip_at_all()
    {
        var path = fixture.TempFile("text.acpkg");
        File.WriteAllText(path, "this is not a model");
        var ex = Assert.Throws<InvalidModelPackageException>(() => ModelPackage.Open(path));
        Assert.Contains("not a readable zip archive", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_refuse_an_entry_that_declares_a_huge_uncompressed_size()
    {
        // Given a valid package whose central directory claims 4 GB for the LIBSVM file
        var bytes = File.ReadAllBytes(fixture.PackagePath);
        var patched = PatchDeclaredSize(bytes, "payload/svm-model.libsvm", 0xFFFF_FFF0u);
        var path = fixture.TempFile("bomb.acpkg");
        File.WriteAllBytes(path, patched);

        // When opened, then it is refused before anything is inflated
        var ex = Assert.Throws<InvalidModelPackageException>(() => ModelPackage.Open(path));
        Assert.Contains("'payload/svm-model.libsvm' declares 4294967280 bytes uncompressed", ex.Message, StringComparison.Ordinal);
        Assert.Contains("zip bomb", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_refuse_a_highly_compressible_entry_over_the_size_limit()
    {
        // Given a package listing a real 4 MiB payload file of zeros and limits of 1 MiB per entry
        var path = fixture.TempFile("zeros.acpkg");
        var zeros = new byte[4 << 20];
        PackagingTestData.Rewrite(fixture.PackagePath, path, entries => [.. entries, ("payload/zeros.bin", zeros)]);
        var limits = new ModelPackageLimits { MaxEntryBytes = 1 << 20 };

        // When opened, then the size is refused; under default limits the compression ratio is
        var small = Assert.Throws<InvalidModelPackageException>(() => ModelPackage.Open(path, limits));
        Assert.Contains("over the limit of 1048576", small.Message, StringComparison.Ordinal);
        var ratio = Assert.Throws<InvalidModelPackageException>(() => ModelPackage.Open(path));
        Assert.Contains("a ratio over the limit", ratio.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_refuse_a_package_whose_model_kind_is_unknown()
    {
        var path = fixture.TempFile("kind.acpkg");
        PackagingTestData.Rewrite(fixture.PackagePath, path, entries => entries.Select(e =>
            e.Name == ModelPackageManifest.EntryName ? (e.Name, EditManifest(e.Data, m => m["model_kind"] = "lipnet99")) : e).ToList());
        var ex = Assert.Throws<InvalidModelPackageException>(() => ModelPackage.Open(path));
        Assert.Contains("model kind 'lipnet99' is unknown", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_leave_no_extracted_files_behind_after_opening()
    {
        // Given the temp folders that exist before
        static string[] Extracted() => Directory.GetDirectories(Path.GetTempPath(), "acpkg-read-*");
        var before = Extracted();

        // When a package is opened and a bad one refused
        using (ModelPackage.Open(fixture.PackagePath))
        {
        }
        var bad = fixture.TempFile("swapped-classes.acpkg");
        PackagingTestData.Rewrite(fixture.PackagePath, bad, entries => entries.Select(e =>
            e.Name == ModelPackageManifest.EntryName ? (e.Name, EditManifest(e.Data, m => m["class_names"] = new JsonArray("small", "large"))) : e).ToList());
        var ex = Assert.Throws<InvalidModelPackageException>(() => ModelPackage.Open(bad));

        // Then the loader's own complaint is surfaced, and no extraction folder remains (packaging tests run one at a time)
        Assert.Contains("the svm payload does not load", ex.Message, StringComparison.Ordinal);
        Assert.Contains("differ from the manifest's", ex.Message, StringComparison.Ordinal);
        Assert.Empty(Extracted().Except(before));
    }

    static byte[] EditManifest(byte[] json, Action<JsonObject> edit)
    {
        var node = JsonNode.Parse(json)!.AsObject();
        edit(node);
        return Encoding.UTF8.GetBytes(node.ToJsonString());
    }

    /// <summary>Sets the uncompressed size of <paramref name="entry"/> in both its local header and the central directory.</summary>
    static byte[] PatchDeclaredSize(byte[] zip, string entry, uint size)
    {
        var result = (byte[])zip.Clone();
        var name = Encoding.ASCII.GetBytes(entry);
        var patched = 0;
        for (var i = 0; i + 46 < result.Length; i++)
        {
            var signature = BinaryPrimitives.ReadUInt32LittleEndian(result.AsSpan(i));
            if (signature == 0x04034b50 && result.AsSpan(i + 30, name.Length).SequenceEqual(name)
                && BinaryPrimitives.ReadUInt16LittleEndian(result.AsSpan(i + 26)) == name.Length)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(i + 22), size);
                patched++;
            }
            else if (signature == 0x02014b50 && result.AsSpan(i + 46, name.Length).SequenceEqual(name)
                && BinaryPrimitives.ReadUInt16LittleEndian(result.AsSpan(i + 28)) == name.Length)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(i + 24), size);
                patched++;
            }
        }
        Assert.Equal(2, patched);
        return result;
    }

    /// <summary>Manifests compare by their JSON (records with lists compare lists by reference).</summary>
    sealed class ManifestComparer : IEqualityComparer<ModelPackageManifest>
    {
        public static readonly ManifestComparer Instance = new();

        public bool Equals(ModelPackageManifest? x, ModelPackageManifest? y) =>
            System.Text.Json.JsonSerializer.Serialize(x, ModelPackageManifest.Json) == System.Text.Json.JsonSerializer.Serialize(y, ModelPackageManifest.Json);

        public int GetHashCode(ModelPackageManifest obj) => 0;
    }
}
