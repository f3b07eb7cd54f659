using System.CommandLine;
using System.CommandLine.Parsing;
using AutoClassify.Cluster;
using AutoClassify.Evaluation;

namespace AutoClassify.Cli;

/// <summary>
/// <c>benchmark --slurm</c>: the options that hand a benchmark to a Slurm cluster, and the two hidden ones its jobs run
/// with (<c>--slurm-unit</c> for one outer fold of one model, <c>--slurm-report</c> for the report from the checkpoint).
/// </summary>
internal sealed class SlurmCommandOptions
{
    readonly Option<bool> slurm = new("--slurm") { Description = "Run the benchmark on a Slurm cluster: a job array with one task per outer fold and model, then a dependent job that writes the report. Prints the job IDs and returns; see 'autoclassify status'. Repeating the command submits only missing and failed units." };
    readonly SlurmResourceOptions resources = new();
    readonly Option<string> unit = new("--slurm-unit") { Hidden = true };
    readonly Option<bool> report = new("--slurm-report") { Hidden = true };

    Option[] Submission => [slurm, .. resources.All];

    public void AddTo(Command command)
    {
        resources.AddValidators();
        foreach (var option in Submission.Append(unit).Append(report))
            command.Options.Add(option);
        command.Validators.Add(r =>
        {
            var submitting = r.GetValue(slurm);
            if (!submitting)
                resources.RefuseWithout(r, "--slurm");
            if (submitting && (r.GetResult(unit) is not null || r.GetValue(report)))
                r.AddError("--slurm submits jobs; it cannot be combined with the options its jobs run with.");
        });
    }

    /// <summary>What this invocation is: a local run, a submission, one unit, or the report job.</summary>
    public SlurmRole Role(ParseResult parse) =>
        parse.GetValue(slurm) ? SlurmRole.Submit
        : parse.GetValue(unit) is not null ? SlurmRole.Unit
        : parse.GetValue(report) ? SlurmRole.Report
        : SlurmRole.None;

    /// <summary>Threads a submission's tasks use: --cpus-per-task, else --threads, else 2.</summary>
    public int TaskThreads(ParseResult parse, int threads) => resources.TaskThreads(parse, threads);

    public BenchmarkUnit Unit(ParseResult parse) => BenchmarkUnit.Parse(parse.GetValue(unit)!);

    /// <summary>The request for <see cref="SlurmBenchmark.Submit"/>: this command line without its Slurm options, run by every job.</summary>
    public SlurmRunRequest Request(ParseResult parse, string outDir, int taskThreads, bool threadsGiven)
    {
        var args = new List<string>(SlurmResourceOptions.Executable()) { "benchmark" };
        args.AddRange(SlurmResourceOptions.TokensWithout(parse, Submission));
        if (!threadsGiven)
            args.AddRange(["--threads", taskThreads.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        return new SlurmRunRequest
        {
            OutputDirectory = outDir,
            Command = args,
            Resources = resources.Read(parse, taskThreads),
            TemplatePath = resources.Template(parse),
            DryRun = resources.DryRun(parse),
            UnitOption = unit.Name,
            ReportOption = report.Name,
        };
    }
}

/// <summary>What every Slurm job of a command asks for, shared by <c>benchmark --slurm</c> and <c>predict --slurm</c>.</summary>
internal sealed class SlurmResourceOptions
{
    readonly Option<string> partition = new("--partition") { Description = "Slurm partition for every job (default: the cluster's)." };
    readonly Option<string> time = new("--time") { Description = "Slurm time limit per task, e.g. 2:00:00." };
    readonly Option<string> memory = new("--mem") { Description = "Slurm memory per task, e.g. 8G." };
    readonly Option<int?> cpus = new("--cpus-per-task") { Description = "Cores per task (default: --threads, or 2); tasks run with as many threads, so results equal a local run with --threads of that number." };
    readonly Option<int> gpus = new("--gpus") { Description = "GPUs per task (--gres=gpu:N); the report job asks for none.", DefaultValueFactory = _ => 0 };
    readonly Option<string> account = new("--account") { Description = "Slurm account to charge." };
    readonly Option<string> extra = new("--sbatch-extra") { Description = "Further sbatch options for every job, e.g. \"--qos=short --constraint=avx512\"." };
    readonly Option<FileInfo> template = new("--slurm-template") { Description = "Your site's batch script with placeholders ({{job_name}}, {{log}}, {{workdir}}, {{partition}}, {{account}}, {{time}}, {{mem}}, {{cpus}}, {{gpus}}, {{directives}}, {{command}}); a line whose placeholders are all empty is dropped." };
    readonly Option<bool> dryRun = new("--dry-run") { Description = "With --slurm: write the batch scripts (under <out>/.slurm) and print the sbatch commands without submitting." };
    public Option[] All => [partition, time, memory, cpus, gpus, account, extra, template, dryRun];

    public void AddValidators()
    {
        cpus.Validators.Add(r => CommonOptions.AtLeast(r, "--cpus-per-task", 1));
        gpus.Validators.Add(r => CommonOptions.AtLeast(r, "--gpus", 0));
    }

    /// <summary>Adds an error for every resource option given without <paramref name="flag"/>.</summary>
    public void RefuseWithout(CommandResult result, string flag)
    {
        foreach (var option in All.Where(o => result.GetResult(o) is { Implicit: false }))
            result.AddError($"{option.Name} works only with {flag}.");
    }

    public int TaskThreads(ParseResult parse, int threads) => parse.GetValue(cpus) ?? (threads > 0 ? threads : 2);

    public SlurmResources Read(ParseResult parse, int taskThreads) => new()
    {
        Partition = parse.GetValue(partition),
        Time = parse.GetValue(time),
        Memory = parse.GetValue(memory),
        CpusPerTask = taskThreads,
        Gpus = parse.GetValue(gpus),
        Account = parse.GetValue(account),
        Extra = parse.GetValue(extra),
    };

    public string? Template(ParseResult parse) => parse.GetValue(template)?.FullName;

    public bool DryRun(ParseResult parse) => parse.GetValue(dryRun);

    /// <summary>The command line's tokens without <paramref name="options"/> and their values, as the user typed them.</summary>
    public static IEnumerable<string> TokensWithout(ParseResult parse, IEnumerable<Option> options)
    {
        var drop = new HashSet<Token>(ReferenceEqualityComparer.Instance);
        foreach (var option in options)
        {
            if (parse.GetResult(option) is { Implicit: false } result)
            {
                if (result.IdentifierToken is { } id)
                    drop.Add(id);
                foreach (var token in result.Tokens)
                    drop.Add(token);
            }
        }
        return parse.Tokens.Where(t => !drop.Contains(t) && t.Type != TokenType.Command).Select(t => t.Value);
    }

    // The program a job runs: AUTOCLASSIFY_EXE, else the apphost beside this assembly, else dotnet with the assembly.
    public static IReadOnlyList<string> Executable()
    {
        if (Environment.GetEnvironmentVariable("AUTOCLASSIFY_EXE") is { Length: > 0 } exe)
            return [Path.GetFullPath(exe)];
        var assembly = typeof(SlurmCommandOptions).Assembly.Location;
        var apphost = Path.Combine(Path.GetDirectoryName(assembly)!, "autoclassify");
        if (File.Exists(apphost))
            return [apphost];
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h ? h : "dotnet";
        return [host, assembly];
    }
}

internal enum SlurmRole
{
    None,
    Submit,
    Unit,
    Report,
}
