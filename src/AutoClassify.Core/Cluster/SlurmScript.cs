using System.Text;

namespace AutoClassify.Cluster;

/// <summary>
/// Writes batch scripts from a template with <c>{{placeholders}}</c>, the way RELION's and cryoSPARC's queue templates
/// work, so a site can keep its own preamble (modules, scratch, accounting). A line whose placeholders are all empty is
/// left out, so <c>#SBATCH --partition={{partition}}</c> disappears when no partition is asked for.
/// </summary>
public static class SlurmScript
{
    /// <summary>The placeholders a template may use.</summary>
    public static IReadOnlyList<string> Placeholders { get; } =
        ["job_name", "log", "workdir", "partition", "account", "time", "mem", "cpus", "gpus", "directives", "command"];

    /// <summary>The template used without <c>--slurm-template</c>.</summary>
    public const string DefaultTemplate = """
        #!/bin/bash
        #SBATCH --job-name={{job_name}}
        #SBATCH --output={{log}}
        #SBATCH --chdir={{workdir}}
        {{directives}}
        set -euo pipefail
        {{command}}
        """;

    /// <summary>Fills <paramref name="template"/>; throws when it lacks <c>{{command}}</c> or uses an unknown placeholder.</summary>
    public static string Render(string template, string sourceName, IReadOnlyDictionary<string, string> values)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(values);
        if (!template.Contains("{{command}}", StringComparison.Ordinal))
            throw new ArgumentException($"Slurm template {sourceName} has no {{{{command}}}} placeholder: the job would run nothing.");
        var output = new StringBuilder();
        foreach (var rawLine in template.ReplaceLineEndings("\n").Split('\n'))
        {
            var line = rawLine;
            var found = 0;
            var filled = 0;
            var start = 0;
            while ((start = line.IndexOf("{{", start, StringComparison.Ordinal)) >= 0)
            {
                var end = line.IndexOf("}}", start + 2, StringComparison.Ordinal);
                if (end < 0)
                    break;
                var name = line[(start + 2)..end].Trim();
                if (!Placeholders.Contains(name, StringComparer.Ordinal))
                    throw new ArgumentException($"Slurm template {sourceName} uses {{{{{name}}}}}, which is not one of: {string.Join(", ", Placeholders)}.");
                var value = values.TryGetValue(name, out var v) ? v : "";
                found++;
                if (value.Length > 0)
                    filled++;
                line = string.Concat(line.AsSpan(0, start), value, line.AsSpan(end + 2));
                start += value.Length;
            }
            if (found > 0 && filled == 0)
                continue;
            output.Append(line).Append('\n');
        }
        return output.ToString();
    }

    /// <summary>Quotes one argument for bash: single quotes, with embedded single quotes closed and escaped.</summary>
    public static string Quote(string argument)
    {
        ArgumentNullException.ThrowIfNull(argument);
        return argument.Length > 0 && argument.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '/' or ':' or '=' or ',' or '+' or '@')
            ? argument
            : "'" + argument.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
    }
}
