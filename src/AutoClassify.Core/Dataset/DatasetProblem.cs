namespace AutoClassify.Dataset;

/// <summary>How bad a dataset finding is: errors stop the run before any training, warnings are reported.</summary>
public enum ProblemSeverity
{
    Warning,
    Error,
}

/// <summary>One finding about the dataset tree, naming the file or folder it concerns.</summary>
public sealed record DatasetProblem(ProblemSeverity Severity, string Location, string Message)
{
    public override string ToString() => $"{(Severity == ProblemSeverity.Error ? "error" : "warning")}: {Location}: {Message}";
}

/// <summary>A file left out of the run, and why; listed in the report.</summary>
public sealed record SkippedFile(string RelativePath, string Reason);

/// <summary>Thrown before any work starts when the dataset has errors; lists all of them at once.</summary>
public sealed class DatasetValidationException : Exception
{
    public DatasetValidationException(string root, IReadOnlyList<DatasetProblem> problems)
        : base(FormatMessage(root, problems))
    {
        Root = root;
        Problems = problems;
    }

    public string Root { get; }

    public IReadOnlyList<DatasetProblem> Problems { get; }

    static string FormatMessage(string root, IReadOnlyList<DatasetProblem> problems)
    {
        var errors = problems.Where(p => p.Severity == ProblemSeverity.Error).ToList();
        // Skipped files often explain an error ("class has no usable images"), so the first few are shown with it.
        const int shown = 10;
        var skipped = problems.Where(p => p.Severity == ProblemSeverity.Warning && p.Message.StartsWith("skipped: ", StringComparison.Ordinal)).ToList();
        var lines = errors.Select(p => "  " + p).Concat(skipped.Take(shown).Select(p => "  " + p));
        if (skipped.Count > shown)
            lines = lines.Append($"  ... and {skipped.Count - shown} more skipped file(s)");
        return $"The dataset at '{root}' cannot be used ({errors.Count} error(s)):" + Environment.NewLine +
            string.Join(Environment.NewLine, lines);
    }
}
