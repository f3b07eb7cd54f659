using System.CommandLine;

namespace AutoClassify.Cli;

/// <summary>The command tree of <c>autoclassify</c>.</summary>
internal static class CliApp
{
    internal static int Run(string[] args)
    {
        var root = new RootCommand("AutoClassify: benchmark SVM and CNN classifiers on labeled electron micrographs.");
        return root.Parse(args).Invoke();
    }
}
