using AutoClassify.Cluster;
using AutoClassify.Evaluation;
using AutoClassify.Tests.Support;
using static AutoClassify.Tests.Support.CliRunner;

namespace AutoClassify.Tests.Cluster;

/// <summary>The parts of the Slurm path that need no cluster: scripts, dry runs, units and the report job's refusal.</summary>
public sealed class SlurmOfflineTests
{
    static readonly string[] Settings = ["--folds", "3", "--grid", "coarse", "--inner-folds", "2", "--threads", "1"];

    [Fact]
    public void Should_drop_template_lines_whose_placeholders_are_empty_and_refuse_unknown_ones()
    {
        // Given a template with an optional partition line and a filled time line
        const string template = "#!/bin/bash\n#SBATCH --partition={{partition}}\n#SBATCH --time={{time}}\n{{command}}\n";
        var values = new Dictionary<string, string> { ["time"] = "1:00:00", ["command"] = "echo hi" };

        // When it is rendered, Then the empty partition's line is gone and the others are filled
        Assert.Equal("#!/bin/bash\n#SBATCH --time=1:00:00\necho hi\n\n", SlurmScript.Render(template, "t", values));
        var unknown = Assert.Throws<ArgumentException>(() => SlurmScript.Render("{{queue}}\n{{command}}", "site.sh", values));
        Assert.Contains("site.sh uses {{queue}}", unknown.Message, StringComparison.Ordinal);
        var noCommand = Assert.Throws<ArgumentException>(() => SlurmScript.Render("#!/bin/bash\n", "site.sh", values));
        Assert.Contains("no {{command}}", noCommand.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("/data/em set/a", "'/data/em set/a'")]
    [InlineData("it's", "'it'\\''s'")]
    [InlineData("", "''")]
    [InlineData("$(rm -rf ~)", "'$(rm -rf ~)'")]
    public void Should_quote_arguments_so_that_bash_reads_them_back_unchanged(string argument, string quoted)
    {
        Assert.Equal(quoted, SlurmScript.Quote(argument));
        var echoed = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("bash", ["-c", "printf %s " + quoted]) { RedirectStandardOutput = true })!;
        Assert.Equal(argument, echoed.StandardOutput.ReadToEnd());
        echoed.WaitForExit();
    }

    [Theory]
    [InlineData("svm:fold1", "svm", 0)]
    [InlineData("resnet18-frozen:fold12", "resnet18-frozen", 11)]
    public void Should_read_back_the_unit_names_it_writes(string text, string model, int fold)
    {
        var unit = BenchmarkUnit.Parse(text);
        Assert.Equal(new BenchmarkUnit(model, fold), unit);
        Assert.Equal(text, unit.ToString());
    }

    [Theory]
    [InlineData("--time", "soon", "not a Slurm time limit")]
    [InlineData("--mem", "8 GB", "not a Slurm memory size")]
    [InlineData("--partition", "gpu;rm", "characters Slurm names do not use")]
    public void Should_refuse_resources_slurm_would_refuse_before_anything_is_written(string option, string value, string expected)
    {
        using var dir = new TempDirectory("slurm-offline");
        var data = dir.Combine("lipo");
        RepoPaths.CopyLiposomeSubset(data, perClass: 4);
        var (code, _, stderr) = Run(["benchmark", data, "--out", dir.Combine("out"), "--slurm", "--dry-run", option, value, .. Settings]);
        Assert.Equal(2, code);
        Assert.Contains(expected, stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir.Combine("out")));
    }

    [Fact]
    public void Should_refuse_cluster_options_without_slurm()
    {
        var (code, _, stderr) = Run(["benchmark", "somewhere", "--partition", "gpu"]);
        Assert.Equal(2, code);
        Assert.Contains("--partition works only with --slurm", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_write_the_scripts_and_print_the_sbatch_commands_on_a_dry_run()
    {
        // Given a data set
        using var dir = new TempDirectory("slurm-offline");
        var data = dir.Combine("lipo");
        RepoPaths.CopyLiposomeSubset(data, perClass: 4);
        var outDir = dir.Combine("out");

        // When a Slurm run is prepared with --dry-run and site resources
        var (code, stdout, stderr) = Run(["benchmark", data, "--out", outDir, "--slurm", "--dry-run", "--partition", "gpu", "--account", "em-lab",
            "--mem", "8G", "--time", "2:00:00", "--gpus", "1", "--cpus-per-task", "4", "--sbatch-extra", "--qos=short --constraint='avx512 fma'", .. Settings]);

        // Then nothing is submitted, and the unit script asks for the resources and runs this command with each unit
        Assert.True(code == 0, stderr);
        Assert.Contains("Dry run: nothing submitted", stdout, StringComparison.Ordinal);
        Assert.Contains("sbatch --parsable --array=0,1,2", stdout, StringComparison.Ordinal);
        var script = File.ReadAllText(Path.Combine(outDir, ".slurm", "units.sh"));
        foreach (var line in new[] { "#SBATCH --partition=gpu", "#SBATCH --account=em-lab", "#SBATCH --mem=8G", "#SBATCH --time=2:00:00",
            "#SBATCH --gres=gpu:1", "#SBATCH --cpus-per-task=4", "#SBATCH --qos=short", "#SBATCH --constraint=avx512 fma", "units=(svm:fold1 svm:fold2 svm:fold3)" })
        {
            Assert.Contains(line, script, StringComparison.Ordinal);
        }
        Assert.Contains("--slurm-unit \"${units[$SLURM_ARRAY_TASK_ID]}\"", script, StringComparison.Ordinal);
        Assert.DoesNotContain("--dry-run", script, StringComparison.Ordinal);
        Assert.DoesNotContain("--partition gpu", script, StringComparison.Ordinal);
        Assert.DoesNotContain("gres", File.ReadAllText(Path.Combine(outDir, ".slurm", "report.sh")), StringComparison.Ordinal);
        Assert.True(ClusterPlan.Read(outDir)!.Submissions.Single().DryRun);
        Assert.True(File.Exists(Path.Combine(outDir, FoldCheckpoint.DefaultFolderName, "run.json")));
    }

    [Fact]
    public void Should_train_one_unit_and_refuse_a_report_while_other_units_are_missing()
    {
        // Given a prepared Slurm run (dry run) and one of its units trained as a task would train it
        using var dir = new TempDirectory("slurm-offline");
        var data = dir.Combine("lipo");
        RepoPaths.CopyLiposomeSubset(data, perClass: 4);
        var outDir = dir.Combine("out");
        Assert.Equal(0, Run(["benchmark", data, "--out", outDir, "--slurm", "--dry-run", .. Settings]).Code);
        var unit = Run(["benchmark", data, "--out", outDir, "--slurm-unit", "svm:fold2", .. Settings]);
        Assert.True(unit.Code == 0, unit.Err);
        Assert.Contains("Saved svm:fold2", unit.Out, StringComparison.Ordinal);

        // When the report job runs
        var (code, _, stderr) = Run(["benchmark", data, "--out", outDir, "--slurm-report", .. Settings]);

        // Then it trains nothing, writes no report, and names the missing units
        Assert.Equal(1, code);
        Assert.Contains("2 unit(s) have no finished fold", stderr, StringComparison.Ordinal);
        Assert.Contains("svm:fold1, svm:fold3", stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(outDir, "results.json")));
        Assert.Equal([new BenchmarkUnit("svm", 1)], FoldCheckpoint.SavedUnits(Path.Combine(outDir, FoldCheckpoint.DefaultFolderName)));

        // And a task of another run's settings is refused rather than mixed in
        var other = Run(["benchmark", data, "--out", outDir, "--slurm-unit", "svm:fold1", "--seed", "9", .. Settings]);
        Assert.Equal(2, other.Code);
        Assert.Contains("seed", other.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_say_what_to_install_when_sbatch_is_missing()
    {
        // Given a PATH without Slurm's client commands
        using var dir = new TempDirectory("slurm-offline");
        var data = dir.Combine("lipo");
        RepoPaths.CopyLiposomeSubset(data, perClass: 4);
        var exe = Path.Combine(AppContext.BaseDirectory, "autoclassify");
        var start = new System.Diagnostics.ProcessStartInfo(exe, ["benchmark", data, "--out", dir.Combine("out"), "--slurm", .. Settings])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        start.Environment["PATH"] = dir.Path;
        start.Environment["DOTNET_ROOT"] = Path.GetDirectoryName(Environment.ProcessPath) is { } host && File.Exists(Path.Combine(host, "dotnet"))
            ? host : Environment.GetEnvironmentVariable("DOTNET_ROOT") ?? "/usr/share/dotnet";

        // When --slurm is asked for
        using var process = System.Diagnostics.Process.Start(start)!;
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();

        // Then it stops with one line that names the missing command and the package
        Assert.Equal(1, process.ExitCode);
        Assert.Contains("'sbatch' is not on PATH", stderr, StringComparison.Ordinal);
        Assert.Contains("slurm-client", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
    }
}
