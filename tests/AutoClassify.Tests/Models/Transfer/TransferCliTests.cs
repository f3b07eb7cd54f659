using AutoClassify.Reporting;
using AutoClassify.Tests.Support;
using AutoClassify.Tests.Tensors;
using static AutoClassify.Tests.Support.CliRunner;

namespace AutoClassify.Tests.Models.Transfer;

[Collection(TorchTests.Name)]
public sealed class TransferCliTests
{
    [Fact]
    public void Should_pretrain_benchmark_and_package_domain_transfer_from_the_command_line()
    {
        // Given a small liposome set and a LipNet-4 trained on it into a registry
        using var dir = new TempDirectory("transfer-cli");
        var data = dir.Combine("lipo");
        RepoPaths.CopyLiposomeSubset(data, perClass: 8);
        var registry = dir.Combine("models");
        var quick = new[] { "--epochs", "2", "--threads", "2", "--augment", "hflip" };
        var pretrain = Run(["train", data, "--model", "lipnet4", "--name", "source", "--registry", registry, "--validation", "0", .. quick]);
        Assert.True(pretrain.Code == 0, pretrain.Err);

        // When the registry version serves as the backbone of a benchmark and of a packaged model
        var bench = Run(["benchmark", data, "--models", "lipnet-backbone-frozen-svm,lipnet-backbone-finetune", "--backbone", Path.Combine(registry, "source", "v1"),
            "--folds", "2", "--grid", "coarse", "--warmup-epochs", "1", "--unfreeze", "2", "--feature-cache", dir.Combine("cache"), "--out", dir.Combine("report"), .. quick]);
        var train = Run(["train", data, "--model", "lipnet-backbone-frozen", "--name", "tuned", "--registry", registry, "--backbone", Path.Combine(registry, "source"),
            "--feature-cache", "none", "--validation", "0", .. quick]);
        var predict = Run("predict", Path.Combine(registry, "tuned", "v1", "model.acpkg"), data, "--out", dir.Combine("p.csv"));

        // Then every step succeeds, the report holds both transfer models, and every image gets a prediction
        Assert.True(bench.Code == 0, bench.Err);
        var result = ResultsJson.Read(dir.Combine("report", "results.json"));
        Assert.Equal(["lipnet-backbone-frozen-svm", "lipnet-backbone-finetune"], result.Models.Select(m => m.Name));
        Assert.True(Directory.EnumerateFiles(dir.Combine("cache"), "*.feat", SearchOption.AllDirectories).Any());
        Assert.True(train.Code == 0, train.Err);
        Assert.True(predict.Code == 0, predict.Err);
        Assert.Equal(1 + 8 + 8 + 8, File.ReadAllLines(dir.Combine("p.csv")).Length);
    }

    [Fact]
    public void Should_exit_2_naming_the_option_when_a_domain_transfer_model_has_no_backbone()
    {
        using var dir = new TempDirectory("transfer-cli");
        var data = dir.Combine("lipo");
        RepoPaths.CopyLiposomeSubset(data, perClass: 3);

        var (code, _, err) = Run("benchmark", data, "--models", "lipnet-backbone-frozen", "--out", dir.Combine("r"));
        var (badCode, _, badErr) = Run("benchmark", data, "--models", "lipnet-backbone-finetune", "--unfreeze", "some", "--out", dir.Combine("r"));

        Assert.Equal(2, code);
        Assert.Contains("--backbone", err, StringComparison.Ordinal);
        Assert.NotEqual(0, badCode);
        Assert.Contains("--unfreeze", badErr, StringComparison.Ordinal);
    }
}
