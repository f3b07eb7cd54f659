using System.CommandLine;
using AutoClassify.Dataset;
using AutoClassify.Native;
using AutoClassify.Preprocessing;

namespace AutoClassify.Cli;

/// <summary>Exit codes of <c>autoclassify</c>.</summary>
internal static class ExitCodes
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int BadInput = 2;
    public const int MissingNativeLibrary = 3;

    /// <summary><c>retrain</c> stored the challenger but did not promote it (it scored worse on the reference set).</summary>
    public const int NotPromoted = 4;
}

/// <summary>The command tree of <c>autoclassify</c>.</summary>
internal static partial class CliApp
{
    // The ML.NET baselines join the model catalog before any command lists or parses model names.
    static CliApp() => MLNet.MLNetModels.Register();

    internal static RootCommand Build() =>
    [
        BenchmarkCommand.Create(),
        FeaturesCommand.Create(),
        SegmentCommand.Create(),
        SegmentBenchmarkCommand.Create(),
        SynthCommand.Create(),
        TrainCommand.Create(),
        PredictCommand.Create(),
        PredictCommand.CreateMap(),
        ModelsCommand.Create(),
        RetrainCommand.Create(),
        StatusCommand.Create(),
    ];

    internal static int Run(string[] args, TextWriter? output = null, TextWriter? error = null)
    {
        var root = Build();
        root.Description = "AutoClassify: benchmark SVM and CNN classifiers on labeled electron micrographs.";
        var configuration = new InvocationConfiguration
        {
            Output = output ?? Console.Out,
            Error = error ?? Console.Error,
            EnableDefaultExceptionHandler = false,
        };
        var parsed = root.Parse(args.Length == 0 ? ["--help"] : args);
        if (parsed.Errors.Count > 0)
        {
            // Bad arguments exit with 2, like every other kind of bad input, and print the problems rather than the whole help.
            foreach (var problem in parsed.Errors.Select(e => e.Message).Distinct(StringComparer.Ordinal))
                configuration.Error.WriteLine("error: " + Readable(problem));
            var path = string.Join(' ', parsed.CommandResult.Command.Parents.OfType<Command>().Reverse().Skip(1).Select(c => c.Name).Append(parsed.CommandResult.Command.Name));
            configuration.Error.WriteLine($"See 'autoclassify {(parsed.CommandResult.Command == root ? "" : path + " ")}--help'.");
            return ExitCodes.BadInput;
        }
        try
        {
            return parsed.Invoke(configuration);
        }
        catch (Exception ex)
        {
            var (code, message) = Describe(ex);
            configuration.Error.WriteLine(message);
            return code;
        }
    }

    // "Cannot parse argument 'x' for option '--folds' as expected type 'System.Nullable`1[System.Int32]'." names .NET
    // types; a user wants to know that a whole number or a number was expected.
    static string Readable(string problem) => TypeName().Replace(problem, m => m.Groups[1].Value switch
    {
        "Int32" or "Int64" => "as a whole number",
        "Double" or "Single" => "as a number",
        var other => $"as {other}",
    });

    [System.Text.RegularExpressions.GeneratedRegex(@"as expected type 'System\.(?:Nullable`1\[System\.)?(\w+)\]?'")]
    private static partial System.Text.RegularExpressions.Regex TypeName();

    /// <summary>Maps an exception to an exit code and a message for the user, without a stack trace.</summary>
    internal static (int Code, string Message) Describe(Exception ex) => ex switch
    {
        DatasetValidationException e => (ExitCodes.BadInput, e.Message),
        Evaluation.CheckpointMismatchException e => (ExitCodes.BadInput, "error: " + e.Message),
        Evaluation.MissingUnitsException e => (ExitCodes.Failure, "error: " + e.Message),
        Cluster.SlurmException e => (ExitCodes.Failure, "error: " + e.Message),
        Retraining.BatchCheckException e => (ExitCodes.BadInput, e.Message),
        ImageDecodeException e => (ExitCodes.BadInput, "error: " + e.Message),
        Packaging.InvalidModelPackageException or Packaging.ModelRegistryException => (ExitCodes.BadInput, "error: " + ex.Message),
        ArgumentException or FormatException or FileNotFoundException or DirectoryNotFoundException => (ExitCodes.BadInput, "error: " + ex.Message),
        DllNotFoundException or EntryPointNotFoundException => (ExitCodes.MissingNativeLibrary, "error: " + ex.Message),
        TypeInitializationException { InnerException: { } inner } => Describe(inner),
        NativeException => (ExitCodes.Failure, "native error: " + ex.Message),
        OperationCanceledException => (ExitCodes.Failure, "cancelled"),
        _ => (ExitCodes.Failure, "error: " + ex),
    };
}
