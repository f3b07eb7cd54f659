using AutoClassify.Packaging;
using AutoClassify.Tests.Support;

namespace AutoClassify.Tests.Retraining;

/// <summary>
/// One correctly labeled two-class data set and a registry holding an SVM champion ('disks' v1) trained on it with its
/// reference set. Tests copy the registry (<see cref="CopyRegistry"/>) so each can add versions of its own; the data
/// set is shared and read-only.
/// </summary>
public sealed class RetrainFixture : IDisposable
{
    public const string Name = "disks";

    readonly TempDirectory temp = new("retrain-fixture");

    public RetrainFixture()
    {
        Dataset = RetrainTestData.WriteDataset(temp.Combine("data"), perClass: 14, seed: 100);
        Registry = temp.Combine("models");
        RetrainTestData.TrainFirstVersion(new ModelRegistry(Registry), Name, RetrainTestData.SvmOptions(Dataset));
    }

    public string Dataset { get; }

    public string Registry { get; }

    /// <summary>A private copy of the registry under <paramref name="parent"/>.</summary>
    public string CopyRegistry(string parent) => RetrainTestData.CopyDirectory(Registry, Path.Combine(parent, "models"));

    public void Dispose() => temp.Dispose();
}
