using System.CommandLine;
using AutoClassify.Cluster;

namespace AutoClassify.Cli;

internal static class StatusCommand
{
    internal static Command Create()
    {
        var output = new Argument<FileSystemInfo>("out") { Description = "The --out folder of a benchmark run with --slurm, or the --out CSV of a predict run with --slurm." };
        var command = new Command("status", "List every unit of a benchmark or shard of a prediction submitted with --slurm: done, running, pending, failed (with the end of its log) or not submitted, and the report or merge job.")
        {
            output,
        };
        command.SetAction(parse =>
        {
            var outDir = parse.GetRequiredValue(output).FullName;
            if (ClusterPlan.Read(outDir) is null && ClusterPlan.Read(PredictionShards.Folder(outDir)) is not null)
                outDir = PredictionShards.Folder(outDir);
            var stdout = parse.InvocationConfiguration.Output;
            if (ClusterPlan.Read(outDir) is null)
                throw new ArgumentException($"No benchmark was submitted with --slurm to {outDir} (there is no {ClusterPlan.FolderName}/plan.json).");
            var lines = SlurmBenchmark.Status(outDir, new SlurmClient());
            foreach (var line in lines)
            {
                var state = line.State switch
                {
                    UnitState.NotSubmitted => "not submitted",
                    var s => s.ToString().ToLowerInvariant(),
                };
                stdout.WriteLine($"{line.Name,-24} {state,-14} {(line.Job is null ? "" : "job " + line.Job)}");
                foreach (var tail in line.LogTail)
                    stdout.WriteLine("    | " + tail);
            }
            var units = lines.Where(l => l.Name != "report").ToList();
            stdout.WriteLine($"{units.Count(u => u.State == UnitState.Done)} of {units.Count} units done" +
                (units.Any(u => u.State is UnitState.Failed or UnitState.NotSubmitted) ? "; repeat the benchmark command to submit the missing and failed ones." : "."));
            return ExitCodes.Success;
        });
        return command;
    }
}
