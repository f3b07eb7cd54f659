using System.Globalization;
using AutoClassify.Cli;

namespace AutoClassify.Tests.Support;

/// <summary>Runs the real command line in-process and captures what it printed.</summary>
internal static class CliRunner
{
    /// <summary>The exit code, standard output and standard error of <c>autoclassify <paramref name="args"/></c>.</summary>
    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        using var output = new StringWriter(CultureInfo.InvariantCulture);
        using var error = new StringWriter(CultureInfo.InvariantCulture);
        var code = CliApp.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }
}
