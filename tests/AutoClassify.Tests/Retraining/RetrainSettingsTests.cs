using System.Globalization;
using AutoClassify.Models;
using AutoClassify.Models.Cnn;
using AutoClassify.Packaging;
using AutoClassify.Retraining;
using AutoClassify.Tests.Support;
using AutoClassify.Tests.Tensors;

namespace AutoClassify.Tests.Retraining;

[Collection(TorchTests.Name)]
public sealed class RetrainSettingsTests : IDisposable
{
    const string Name = "cnn";

    readonly TempDirectory temp = new("retrain-settings");

    public void Dispose() => temp.Dispose();

    // A LipNet-4c champion trained under a cosine schedule, a half-epoch warm-up, a bounded epoch and two validation checks per epoch, and a batch to retrain it on.
    (ModelRegistry Registry, string Batch) TrainChampion(string folder)
    {
        var data = RetrainTestData.WriteDataset(temp.Combine(folder, "data"), perClass: 16, seed: 500_000);
        var cnn = new CnnOptions
        {
            Model = "lipnet4c",
            InputSize = 16,
            MaxEpochs = 4,
            Patience = 4,
            BatchSize = 16,
            LearningRate = 3e-3,
            EpochSize = 48,
            Schedule = LearningRateSchedule.Cosine,
            LearningRateWarmupEpochs = 0.5,
            ValidationsPerEpoch = 2,
            Threads = 2,
            Augmentation = AugmentationOptions.None,
        };
        var registry = new ModelRegistry(temp.Combine(folder, "models"));
        RetrainTestData.TrainFirstVersion(registry, Name, new PackageTrainingOptions
        {
            DatasetPath = data,
            Model = "lipnet4c",
            Seed = 5,
            Threads = 2,
            ValidationShare = 0,
            ReferenceShare = ReferenceSet.DefaultShare,
            ModelSettings = new ModelSettings { Cnn = cnn },
        });
        var batch = temp.Combine(folder, "batch");
        RetrainTestData.Write(batch, "large", large: true, count: 8, seed: 510_000, prefix: "new");
        RetrainTestData.Write(batch, "small", large: false, count: 8, seed: 520_000, prefix: "new");
        return (registry, batch);
    }

    static CarriedSetting Setting(RetrainResult result, string name) => Assert.Single(result.Settings, s => s.Name == name);

    [Fact]
    public void Should_train_the_challenger_under_the_champions_schedule_warm_up_and_epoch_size_unless_overridden()
    {
        // Given a champion trained with --lr-schedule cosine, --lr-warmup 0.5 and --epoch-size 48
        var (registry, batch) = TrainChampion("carried");
        var champion = ModelPackage.ReadManifest(registry.PackagePath(Name, 1)).Provenance.Facts;
        Assert.Equal("cosine", champion["lr_schedule"]);

        // When it is retrained from scratch with only the warm-up overridden
        var result = Retrainer.Run(new RetrainOptions
        {
            Registry = registry.Root,
            Name = Name,
            BatchPath = batch,
            FromScratch = true,
            Force = true,
            LearningRateWarmupEpochs = 0,
            Threads = 2,
        });

        // Then the challenger trained under the champion's schedule, epoch size, epochs and learning rate, with no warm-up
        var facts = result.ChallengerManifest.Provenance.Facts;
        Assert.Equal("cosine", facts["lr_schedule"]);
        Assert.Equal("48", facts["epoch_size"]);
        Assert.Equal("48", facts["epoch_items"]);
        Assert.Equal("4", facts["max_epochs"]);
        Assert.Equal(champion["learning_rate"], facts["learning_rate"]);
        Assert.Equal("0", facts["lr_warmup_epochs"]);
        Assert.Equal(("2", "2"), (champion[CnnTrainer.ValidationsPerEpochFact], facts[CnnTrainer.ValidationsPerEpochFact]));
        var checks = int.Parse(facts["validations_run"], CultureInfo.InvariantCulture);
        Assert.True(checks > double.Parse(facts["epochs_run"], CultureInfo.InvariantCulture), $"{checks} checks in {facts["epochs_run"]} epochs");
        Assert.Equal(SettingOrigin.Carried, Setting(result, CnnTrainer.ValidationsPerEpochFact).Origin);
        // And the ledger, the manifest, the model card and the report say which settings were carried and which overridden
        Assert.Equal(SettingOrigin.Carried, Setting(result, "lr_schedule").Origin);
        Assert.Equal(SettingOrigin.Carried, Setting(result, "epoch_size").Origin);
        var warmup = Setting(result, "lr_warmup_epochs");
        Assert.Equal((SettingOrigin.Overridden, "--lr-warmup", "0.5", "0"), (warmup.Origin, warmup.Flag, warmup.ChampionValue, warmup.Value));
        Assert.Equal([warmup], result.Settings.Where(s => s.Origin != SettingOrigin.Carried));
        Assert.Equal("lr_warmup_epochs 0 (--lr-warmup; champion 0.5)", facts[CarriedSetting.OverriddenFact]);
        var carried = facts[CarriedSetting.CarriedFact].Split(", ");
        Assert.Contains("lr_schedule", carried);
        Assert.Contains("epoch_size", carried);
        Assert.Contains("learning_rate", carried);
        var card = ModelPackage.ReadModelCard(result.ChallengerPackagePath)!;
        Assert.Contains("Retrained from v1, whose training settings it carries over; overridden on the retrain command line: lr_warmup_epochs 0 (--lr-warmup; champion 0.5).", card, StringComparison.Ordinal);
        var html = File.ReadAllText(result.ReportPath);
        Assert.Contains("id=\"settings-table\"", html, StringComparison.Ordinal);
        Assert.Contains("<tr class=\"overridden\"><td class=\"text\"><code>lr_warmup_epochs</code></td><td class=\"text\">0</td><td class=\"text\">overridden by --lr-warmup (champion: 0.5)</td></tr>", html, StringComparison.Ordinal);
        Assert.Contains("<tr class=\"carried\"><td class=\"text\"><code>lr_schedule</code></td><td class=\"text\">cosine</td>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_retrain_a_champion_from_before_warm_up_and_schedules_without_either_and_say_so()
    {
        // Given a champion whose manifest predates the warm-up and schedule facts (rewritten without them)
        var (registry, batch) = TrainChampion("legacy");
        var legacy = new ModelRegistry(temp.Combine("legacy", "old-models"));
        using (var champion = ModelPackage.Open(registry.PackagePath(Name, 1)))
        {
            var older = champion.Manifest.Provenance.Facts.Where(f => f.Key is not ("lr_schedule" or "lr_warmup_epochs" or CnnTrainer.ValidationsPerEpochFact)).ToDictionary();
            var manifest = champion.Manifest with { Provenance = champion.Manifest.Provenance with { Facts = older } };
            legacy.PromoteIfNoChampion(Name, legacy.Add(Name, stream => ModelPackage.Write(stream, manifest, champion.Model)));
        }
        ReferenceSet.TryRead(registry, Name)!.WriteTo(legacy, Name);

        // When it is retrained with the epoch size overridden back to the sampler's natural size
        var result = Retrainer.Run(new RetrainOptions
        {
            Registry = legacy.Root,
            Name = Name,
            BatchPath = batch,
            Force = true,
            EpochSize = 0,
            Epochs = 1,
            Threads = 2,
        });

        // Then it trained at a constant rate without a warm-up, as its champion did, and the ledger says the champion did not record them
        var facts = result.ChallengerManifest.Provenance.Facts;
        Assert.Equal(("constant", "0"), (facts["lr_schedule"], facts["lr_warmup_epochs"]));
        // And once per epoch, as every champion from before the checks within an epoch was validated
        var checks = Setting(result, CnnTrainer.ValidationsPerEpochFact);
        Assert.Equal((SettingOrigin.Carried, "1", "1"), (checks.Origin, checks.Value, checks.ChampionValue));
        Assert.Equal("1", facts[CnnTrainer.ValidationsPerEpochFact]);
        Assert.Equal(SettingOrigin.NotRecorded, Setting(result, "lr_schedule").Origin);
        Assert.Equal(SettingOrigin.NotRecorded, Setting(result, "lr_warmup_epochs").Origin);
        Assert.Contains("lr_warmup_epochs 0 (it predates the learning-rate warm-up and trained without one)", facts[CarriedSetting.NotRecordedFact], StringComparison.Ordinal);
        // And the epoch size and epochs were overridden: the sampler's natural size (2 classes x the larger, so at least every fitting item) was drawn
        var epochSize = Setting(result, "epoch_size");
        Assert.Equal((SettingOrigin.Overridden, "natural", "48"), (epochSize.Origin, epochSize.Value, epochSize.ChampionValue));
        Assert.Equal("0", facts["epoch_size"]);
        Assert.True(int.Parse(facts["epoch_items"], CultureInfo.InvariantCulture) >= int.Parse(facts["fit_items"], CultureInfo.InvariantCulture), facts["epoch_items"]);
        Assert.Equal(SettingOrigin.Overridden, Setting(result, "max_epochs").Origin);
    }

    [Fact]
    public void Should_retrain_a_champion_from_before_the_fitting_set_epoch_at_the_samplers_natural_size()
    {
        // Given a champion whose manifest has no epoch_size fact, as every package from before the fitting-set default
        var (registry, batch) = TrainChampion("natural");
        var legacy = new ModelRegistry(temp.Combine("natural", "old-models"));
        using (var champion = ModelPackage.Open(registry.PackagePath(Name, 1)))
        {
            var older = champion.Manifest.Provenance.Facts.Where(f => f.Key != "epoch_size").ToDictionary();
            var manifest = champion.Manifest with { Provenance = champion.Manifest.Provenance with { Facts = older } };
            legacy.PromoteIfNoChampion(Name, legacy.Add(Name, stream => ModelPackage.Write(stream, manifest, champion.Model)));
        }
        ReferenceSet.TryRead(registry, Name)!.WriteTo(legacy, Name);

        // When it is retrained without an epoch size on the command line
        var result = Retrainer.Run(new RetrainOptions { Registry = legacy.Root, Name = Name, BatchPath = batch, Force = true, Epochs = 1, Threads = 2 });

        // Then it drew the sampler's natural size, as its champion did, and says so in its facts
        var facts = result.ChallengerManifest.Provenance.Facts;
        Assert.Equal("0", facts["epoch_size"]);
        Assert.True(int.Parse(facts["epoch_items"], CultureInfo.InvariantCulture) >= int.Parse(facts["fit_items"], CultureInfo.InvariantCulture), facts["epoch_items"]);
    }
}
