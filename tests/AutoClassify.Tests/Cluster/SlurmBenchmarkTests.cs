using System.Text.Json;
using AutoClassify.Cluster;
using AutoClassify.Evaluation;
using AutoClassify.Reporting;
using AutoClassify.Tests.Support;
using static AutoClassify.Tests.Support.CliRunner;

namespace AutoClassify.Tests.Cluster;

/// <summary>Benchmarks handed to a real one-node Slurm cluster, compared with the same benchmark run locally.</summary>
public sealed class SlurmBenchmarkTests : IClassFixture<LocalSlurmCluster>, IDisposable
{
    static readonly TimeSpan JobLimit = TimeSpan.FromMinutes(4);
    static readonly string[] Settings = ["--folds", "3", "--grid", "coarse", "--inner-folds", "2", "--seed", "7"];

    readonly LocalSlurmCluster cluster;
    readonly TempDirectory dir = new("slurm-bench");

    public SlurmBenchmarkTests(LocalSlurmCluster cluster) => this.cluster = cluster;

    public void Dispose() => dir.Dispose();

    [Fact]
    public void Should_give_the_local_report_when_svm_and_cnn_folds_run_as_an_array_and_the_report_as_a_dependent_job()
    {
        // Given a small data set, and its benchmark run locally with two threads
        var data = dir.Combine("lipo");
        RepoPaths.CopyLiposomeSubset(data, perClass: 6);
        string[] models = ["--models", "svm,lipnet4", "--epochs", "2", "--batch-size", "16"];
        var local = Run(["benchmark", data, "--out", dir.Combine("local"), "--threads", "2", .. models, .. Settings]);
        Assert.True(local.Code == 0, local.Err);

        // When the same benchmark is submitted to Slurm with two cores per task
        var outDir = dir.Combine("cluster");
        var (code, stdout, stderr) = Run(["benchmark", data, "--out", outDir, "--slurm", "--cpus-per-task", "2", "--time", "10:00", .. models, .. Settings]);

        // Then it returns at once with a job array of six units and a report job, which writes the local run's numbers
        Assert.True(code == 0, stderr);
        Assert.Contains("Submitted 6 unit(s) as job array", stdout, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(outDir, "results.json")));
        var plan = ClusterPlan.Read(outDir)!;
        var submission = Assert.Single(plan.Submissions);
        Assert.Equal(["svm:fold1", "svm:fold2", "svm:fold3", "lipnet4:fold1", "lipnet4:fold2", "lipnet4:fold3"], plan.Units);
        cluster.WaitFor([submission.ArrayJob!, submission.ReportJob!], JobLimit);
        Assert.True(File.Exists(Path.Combine(outDir, "results.json")), Log(outDir));
        Assert.Equal(File.ReadAllText(dir.Combine("local", "predictions.csv")), File.ReadAllText(Path.Combine(outDir, "predictions.csv")));
        var localResult = ResultsJson.Read(dir.Combine("local", "results.json"));
        var clusterResult = ResultsJson.Read(Path.Combine(outDir, "results.json"));
        foreach (var (a, b) in localResult.Models.Zip(clusterResult.Models))
        {
            Assert.Equal(a.Name, b.Name);
            Assert.Equal(a.Aggregate.MacroF1.Mean, b.Aggregate.MacroF1.Mean);
            Assert.Equal(a.Aggregate.Accuracy.Mean, b.Aggregate.Accuracy.Mean);
        }
        Assert.Contains("svm 3/3", clusterResult.Settings.Extra["resumed_folds"], StringComparison.Ordinal);

        // And status lists every unit and the report as done
        var status = Run(["status", outDir]);
        Assert.Equal(0, status.Code);
        Assert.Contains("6 of 6 units done.", status.Out, StringComparison.Ordinal);
        Assert.Matches(@"lipnet4:fold3\s+done", status.Out);
        Assert.Matches(@"report\s+done", status.Out);
    }

    [Fact]
    public void Should_report_a_failed_unit_with_its_log_and_submit_only_that_unit_again()
    {
        // Given a site template whose second task fails once, as a node might
        var data = dir.Combine("lipo");
        RepoPaths.CopyLiposomeSubset(data, perClass: 6);
        var marker = dir.File("failed-once");
        var template = dir.File("site.sh");
        File.WriteAllText(template, """
            #!/bin/bash
            #SBATCH --job-name={{job_name}}
            #SBATCH --output={{log}}
            #SBATCH --partition={{partition}}
            {{directives}}
            if [ "${SLURM_ARRAY_TASK_ID:-}" = 1 ] && [ ! -e MARKER ]; then touch MARKER; echo "simulated node failure"; exit 1; fi
            {{command}}
            """.Replace("MARKER", marker, StringComparison.Ordinal));
        var outDir = dir.Combine("cluster");
        string[] command = ["benchmark", data, "--out", outDir, "--slurm", "--slurm-template", template, "--cpus-per-task", "1", "--threads", "1", .. Settings];

        // When it is submitted, and the array ends
        var first = Run(command);
        Assert.True(first.Code == 0, first.Err);
        var submitted = ClusterPlan.Read(outDir)!.Submissions.Single();
        cluster.WaitFor([submitted.ArrayJob!, submitted.ReportJob!], JobLimit);

        // Then no report is written, status names the failed unit with the end of its log, and the other folds are saved whole
        Assert.False(File.Exists(Path.Combine(outDir, "results.json")));
        var status = Run(["status", outDir]);
        Assert.Matches(@"svm:fold2\s+failed", status.Out);
        Assert.Contains("| simulated node failure", status.Out, StringComparison.Ordinal);
        Assert.Contains("2 of 3 units done; repeat the benchmark command", status.Out, StringComparison.Ordinal);
        Assert.Equal(2, FoldCheckpoint.SavedUnits(Path.Combine(outDir, FoldCheckpoint.DefaultFolderName)).Count);
        Assert.DoesNotContain("partition", File.ReadAllText(Path.Combine(outDir, ".slurm", "units.sh")), StringComparison.Ordinal);

        // When the same command is repeated
        var second = Run(command);

        // Then only the failed unit is submitted, and the report equals a local run's
        Assert.True(second.Code == 0, second.Err);
        Assert.Contains("2 unit(s) already done in the checkpoint: svm:fold1, svm:fold3.", second.Out, StringComparison.Ordinal);
        Assert.Contains("Submitted 1 unit(s) as job array", second.Out, StringComparison.Ordinal);
        var resubmitted = ClusterPlan.Read(outDir)!.Submissions[^1];
        Assert.Equal(new Dictionary<int, string> { [1] = "svm:fold2" }, resubmitted.Tasks);
        cluster.WaitFor([resubmitted.ArrayJob!, resubmitted.ReportJob!], JobLimit);
        var local = Run(["benchmark", data, "--out", dir.Combine("local"), "--threads", "1", .. Settings]);
        Assert.True(local.Code == 0, local.Err);
        Assert.Equal(File.ReadAllText(dir.Combine("local", "predictions.csv")), File.ReadAllText(Path.Combine(outDir, "predictions.csv")));
    }

    [Fact]
    public void Should_leave_no_half_written_fold_when_a_running_unit_is_cancelled_and_refuse_to_resubmit_while_units_are_queued()
    {
        // Given a benchmark whose tasks are slowed down by the site's template
        var data = dir.Combine("lipo");
        RepoPaths.CopyLiposomeSubset(data, perClass: 6);
        var template = dir.File("slow.sh");
        File.WriteAllText(template, "#!/bin/bash\n#SBATCH --output={{log}}\n{{directives}}\nsleep 20\n{{command}}\n");
        var outDir = dir.Combine("cluster");
        string[] command = ["benchmark", data, "--out", outDir, "--slurm", "--slurm-template", template, "--cpus-per-task", "1", "--threads", "1", .. Settings];
        Assert.Equal(0, Run(command).Code);
        var submitted = ClusterPlan.Read(outDir)!.Submissions.Single();

        // When the command is repeated while the units are queued
        var again = Run(command);

        // Then it refuses, naming the queued units
        Assert.Equal(1, again.Code);
        Assert.Contains("still queued or running", again.Err, StringComparison.Ordinal);
        Assert.Contains("svm:fold1", again.Err, StringComparison.Ordinal);

        // When the array is cancelled with scancel
        cluster.Client("scancel", submitted.ArrayJob!);
        cluster.WaitFor([submitted.ArrayJob!, submitted.ReportJob!], JobLimit);

        // Then no fold was saved, nothing half-written is left in the checkpoint, and status says every unit failed
        var checkpoint = Path.Combine(outDir, FoldCheckpoint.DefaultFolderName);
        Assert.Empty(FoldCheckpoint.SavedUnits(checkpoint));
        Assert.Equal(["run.json"], Directory.GetFiles(checkpoint).Select(Path.GetFileName));
        JsonDocument.Parse(File.ReadAllText(Path.Combine(checkpoint, "run.json"))).Dispose();
        var status = Run(["status", outDir]);
        Assert.Matches(@"svm:fold1\s+failed", status.Out);
        Assert.Contains("0 of 3 units done", status.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_predict_a_folder_as_shards_and_merge_them_in_input_order_with_bad_images_as_rows()
    {
        // Given a trained package and a folder with one image that does not decode
        var data = dir.Combine("lipo");
        RepoPaths.CopyLiposomeSubset(data, perClass: 6);
        var registry = dir.Combine("registry");
        var trained = Run(["train", data, "--name", "lipo", "--registry", registry, "--grid", "coarse", "--threads", "1", "--validation", "0", "--reference", "0"]);
        Assert.True(trained.Code == 0, trained.Err);
        File.WriteAllText(Path.Combine(data, "uncertain", "broken.png"), "not an image");
        var local = Run(["predict", "lipo", data, "--registry", registry, "--out", dir.File("local.csv"), "--threads", "1"]);
        Assert.Equal(1, local.Code);

        // When the same prediction runs as three shards on Slurm
        var csv = dir.File("cluster.csv");
        var (code, stdout, stderr) = Run(["predict", "lipo", data, "--registry", registry, "--out", csv, "--slurm", "--shards", "3", "--cpus-per-task", "1"]);
        Assert.True(code == 0, stderr);
        Assert.Contains("Submitted 3 shard(s) of 19 images", stdout, StringComparison.Ordinal);
        var submission = ClusterPlan.Read(PredictionShards.Folder(csv))!.Submissions.Single();
        cluster.WaitFor([submission.ArrayJob!, submission.ReportJob!], JobLimit);

        // Then the merged CSV equals the local one byte for byte, and status shows every shard and the merge done
        Assert.Equal(File.ReadAllBytes(dir.File("local.csv")), File.ReadAllBytes(csv));
        var status = Run(["status", csv]);
        Assert.Contains("3 of 3 units done.", status.Out, StringComparison.Ordinal);
        Assert.Matches(@"report\s+done", status.Out);
    }

    string Log(string outDir) =>
        string.Join('\n', Directory.EnumerateFiles(Path.Combine(outDir, ".slurm", "logs")).Select(f => f + ":\n" + File.ReadAllText(f))) +
        "\nsqueue:\n" + cluster.Client("squeue");
}
