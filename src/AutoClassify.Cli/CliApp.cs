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
internal static class CliApp
{
    internal static RootCommand Build() =>
    [
        BenchmarkCommand.Create(),
        FeaturesCommand.Create(),
        SegmentCommand.Create(),
        SynthCommand.Create(),
        TrainCommand.Create(),
        PredictCommand.Create(),
        PredictCommand.CreateMap(),
        ModelsCommand.Create(),
        RetrainCommand.Create(),
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
        var parsed = root.Parse(args);
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

    /// <summary>Maps an exception to an exit code and a message for the user, without a stack trace.</summary>
    internal static (int Code, string Message) Describe(Exception ex) => ex switch
    {
        DatasetValidationException e => (ExitCodes.BadInput, e.Message),
        Evaluation.CheckpointMismatchException e => (ExitCodes.BadInput, "error: " + e.Message),
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
