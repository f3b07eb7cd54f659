using System.Globalization;
using System.Text.RegularExpressions;

namespace AutoClassify.Cluster;

/// <summary>What every job of a run asks Slurm for. Null or empty values are left to the site's defaults.</summary>
public sealed partial record SlurmResources
{
    public string? Partition { get; init; }

    /// <summary>Wall-time limit in Slurm's forms (<c>90</c>, <c>2:00:00</c>, <c>1-12:00:00</c>).</summary>
    public string? Time { get; init; }

    /// <summary>Memory per node in Slurm's forms (<c>8G</c>, <c>512M</c>).</summary>
    public string? Memory { get; init; }

    /// <summary>Cores per task; the benchmark's threads follow it, so results equal a local run with as many threads.</summary>
    public int CpusPerTask { get; init; } = 2;

    /// <summary>GPUs per task (<c>--gres=gpu:N</c>); 0 asks for none.</summary>
    public int Gpus { get; init; }

    public string? Account { get; init; }

    /// <summary>Further <c>sbatch</c> options, copied into every script as one <c>#SBATCH</c> line each (split on spaces outside quotes).</summary>
    public string? Extra { get; init; }

    /// <summary>Throws naming the first value Slurm would refuse, before anything is submitted.</summary>
    public void Validate()
    {
        if (CpusPerTask < 1)
            throw new ArgumentException($"--cpus-per-task must be at least 1, not {CpusPerTask.ToString(CultureInfo.InvariantCulture)}.");
        if (Gpus < 0)
            throw new ArgumentException($"--gpus must be zero or more, not {Gpus.ToString(CultureInfo.InvariantCulture)}.");
        if (Time is { Length: > 0 } time && !TimePattern().IsMatch(time))
            throw new ArgumentException($"--time '{time}' is not a Slurm time limit (minutes, [D-]HH:MM:SS, MM:SS or D-HH).");
        if (Memory is { Length: > 0 } memory && !MemoryPattern().IsMatch(memory))
            throw new ArgumentException($"--mem '{memory}' is not a Slurm memory size (a whole number with an optional K, M, G or T).");
        foreach (var (name, value) in new[] { ("--partition", Partition), ("--account", Account) })
        {
            if (value is { Length: > 0 } && !NamePattern().IsMatch(value))
                throw new ArgumentException($"{name} '{value}' holds characters Slurm names do not use.");
        }
        if (Extra is { } extra && extra.Contains('\n', StringComparison.Ordinal))
            throw new ArgumentException("--sbatch-extra must be one line.");
    }

    /// <summary>The <c>#SBATCH</c> lines for these resources (without the job's name, log and array).</summary>
    public IEnumerable<string> Directives()
    {
        if (Partition is { Length: > 0 })
            yield return "--partition=" + Partition;
        if (Account is { Length: > 0 })
            yield return "--account=" + Account;
        if (Time is { Length: > 0 })
            yield return "--time=" + Time;
        if (Memory is { Length: > 0 })
            yield return "--mem=" + Memory;
        yield return "--cpus-per-task=" + CpusPerTask.ToString(CultureInfo.InvariantCulture);
        if (Gpus > 0)
            yield return "--gres=gpu:" + Gpus.ToString(CultureInfo.InvariantCulture);
        foreach (var option in SplitExtra(Extra))
            yield return option;
    }

    static IEnumerable<string> SplitExtra(string? extra)
    {
        if (string.IsNullOrWhiteSpace(extra))
            yield break;
        var current = new System.Text.StringBuilder();
        char? quote = null;
        foreach (var c in extra)
        {
            if (quote is { } q)
            {
                if (c == q)
                    quote = null;
                else
                    current.Append(c);
            }
            else if (c is '"' or '\'')
                quote = c;
            else if (char.IsWhiteSpace(c))
            {
                if (current.Length > 0)
                    yield return current.ToString();
                current.Clear();
            }
            else
                current.Append(c);
        }
        if (quote is not null)
            throw new ArgumentException($"--sbatch-extra '{extra}' has an unclosed quote.");
        if (current.Length > 0)
            yield return current.ToString();
    }

    [GeneratedRegex(@"^(\d+|\d+:\d{1,2}|\d+:\d{1,2}:\d{1,2}|\d+-\d+|\d+-\d+:\d{1,2}|\d+-\d+:\d{1,2}:\d{1,2})$")]
    private static partial Regex TimePattern();

    [GeneratedRegex(@"^\d+[KMGT]?$")]
    private static partial Regex MemoryPattern();

    [GeneratedRegex(@"^[A-Za-z0-9_.\-]+$")]
    private static partial Regex NamePattern();
}
