using System.CommandLine;
using AutoClassify.Dataset;
using AutoClassify.Imaging;
using AutoClassify.Native;

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
        TrainSegmenterCommand.Create(),
        PredictCommand.Create(),
        PredictCommand.CreateMap(),
        ExportCommand.Create(),
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
            // Termination handles the signals: System.CommandLine's handler cannot end a synchronous native call.
            ProcessTerminationTimeout = null,
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
        using var termination = Termination.Listen(configuration.Error);
        try
        {
            var options = parsed.CommandResult.Command.Options;
            var limit = options.OfType<Option<long>>().FirstOrDefault(o => o.Name == CommonOptions.MaxImagePixelsName);
            using var pixels = ImageLimits.Use(limit is null ? ImageLimits.DefaultMaxPixels : parsed.GetValue(limit));
            var keep = options.OfType<Option<bool>>().FirstOrDefault(o => o.Name == CommonOptions.KeepDamagedJpegName);
            using var damaged = ImageLimits.KeepDamaged(keep is not null && parsed.GetValue(keep));
            var warned = new HashSet<string>(StringComparer.Ordinal);
            using var sink = ImageLimits.OnKeptDamage((path, reason) =>
            {
                lock (warned)
                {
                    if (warned.Add(path))
                        configuration.Error.WriteLine($"warning: {path}: {reason}; kept (--keep-damaged-jpeg)");
                }
            });
            var code = parsed.InvokeAsync(configuration, termination.Token).GetAwaiter().GetResult();
            return termination.ExitCode ?? code;
        }
        catch (Exception ex)
        {
            var (code, message) = Describe(ex);
            configuration.Error.WriteLine(message);
            return ex is OperationCanceledException && termination.ExitCode is { } signalled ? signalled : code;
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

    /// <summary>Maps an exception to an exit code and a one-line message for the user, without a stack trace or .NET type names.</summary>
    internal static (int Code, string Message) Describe(Exception ex) => ex switch
    {
        DatasetValidationException e => (ExitCodes.BadInput, e.Message),
        Evaluation.CheckpointMismatchException e => (ExitCodes.BadInput, "error: " + e.Message),
        Evaluation.MissingUnitsException e => (ExitCodes.Failure, "error: " + e.Message),
        Cluster.SlurmException e => (ExitCodes.Failure, "error: " + e.Message),
        Retraining.BatchCheckException e => (ExitCodes.BadInput, e.Message),
        ImageDecodeException e => (ExitCodes.BadInput, "error: " + e.Message),
        UnusableOutputException e => (ExitCodes.BadInput, e.Message),
        Packaging.InvalidModelPackageException or Packaging.ModelRegistryException => (ExitCodes.BadInput, "error: " + Plain(ex.Message)),
        ArgumentException or FormatException or FileNotFoundException or DirectoryNotFoundException or InvalidDataException
            => (ExitCodes.BadInput, "error: " + Plain(ex.Message)),
        DllNotFoundException or EntryPointNotFoundException => (ExitCodes.MissingNativeLibrary, "error: " + ex.Message),
        TypeInitializationException { InnerException: { } inner } => Describe(inner),
        AggregateException { InnerExceptions: [var single] } => Describe(single),
        NativeException => (ExitCodes.Failure, "native error: " + Plain(ex.Message)),
        OperationCanceledException => (ExitCodes.Failure, "cancelled"),
        UnauthorizedAccessException or IOException => (ExitCodes.Failure, "error: " + IoMessage(ex)),
        OutOfMemoryException or InsufficientExecutionStackException => (ExitCodes.Failure, "error: out of memory; use fewer --threads, a smaller --batch-size or smaller images."),
        _ => (ExitCodes.Failure, "error: " + Plain(ex.Message) + Debug(ex)),
    };

    /// <summary>The cause of an I/O failure in a few words, e.g. "permission denied" or "no space left on device".</summary>
    internal static string IoCause(Exception ex)
    {
        if (ex is UnauthorizedAccessException)
            return "permission denied";
        var match = IoPath().Match(ex.Message);
        var cause = match.Success ? match.Groups["cause"].Value : ex.Message.TrimEnd('.');
        return cause.Length > 0 ? char.ToLowerInvariant(cause[0]) + cause[1..] : "input/output error";
    }

    // .NET's "No space left on device : '/x'" or "Access to the path '/x' is denied." becomes "/x: no space left on device".
    static string IoMessage(Exception ex)
    {
        var path = IoPath().Match(ex.Message) is { Success: true } m ? m.Groups["path"].Value
            : QuotedPath().Match(ex.Message) is { Success: true } q ? q.Groups[1].Value : null;
        return path is null ? IoCause(ex) : $"'{path}': {IoCause(ex)}";
    }

    /// <summary>A message in the user's words (see <see cref="Messages.Plain"/>).</summary>
    internal static string Plain(string message) => Messages.Plain(message);

    static string Debug(Exception ex) =>
        Environment.GetEnvironmentVariable("AUTOCLASSIFY_DEBUG") is "1" ? Environment.NewLine + ex : " (set AUTOCLASSIFY_DEBUG=1 to see the details)";

    [System.Text.RegularExpressions.GeneratedRegex(@"^(?<cause>.+?) : '(?<path>.+)'$")]
    private static partial System.Text.RegularExpressions.Regex IoPath();

    [System.Text.RegularExpressions.GeneratedRegex(@"'([^']+)'")]
    private static partial System.Text.RegularExpressions.Regex QuotedPath();
}
