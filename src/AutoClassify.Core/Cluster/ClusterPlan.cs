using System.Text.Json;
using System.Text.Json.Serialization;
using AutoClassify.IO;
using AutoClassify.Reporting;

namespace AutoClassify.Cluster;

/// <summary>
/// What was handed to the cluster for one output folder (<c>&lt;out&gt;/.slurm/plan.json</c>): every submission with its
/// job IDs and which unit each array task runs, so <c>status</c> and a repeated command can tell done, queued, failed and
/// never submitted apart. The checkpoint stays the only record of finished work.
/// </summary>
public sealed class ClusterPlan
{
    /// <summary>The plan's folder inside an output folder.</summary>
    public const string FolderName = ".slurm";

    const string FileName = "plan.json";
    const int CurrentFormat = 1;

    static readonly JsonSerializerOptions JsonOptions = new(ResultsJson.Options) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public int FormatVersion { get; set; } = CurrentFormat;

    /// <summary><c>benchmark</c> (units are outer folds × models) or <c>predict</c> (units are shards of the file list).</summary>
    public string Kind { get; set; } = "benchmark";

    /// <summary>Every unit of the run, in the order of their array task IDs.</summary>
    public List<string> Units { get; set; } = [];

    public List<ClusterSubmission> Submissions { get; set; } = [];

    /// <summary>The plan's folder for an output folder.</summary>
    public static string Folder(string outputDirectory) => Path.Combine(Path.GetFullPath(outputDirectory), FolderName);

    /// <summary>Reads the plan of <paramref name="outputDirectory"/>, or null when none was written there.</summary>
    public static ClusterPlan? Read(string outputDirectory)
    {
        var path = Path.Combine(Folder(outputDirectory), FileName);
        if (!File.Exists(path))
            return null;
        try
        {
            var plan = JsonSerializer.Deserialize<ClusterPlan>(File.ReadAllText(path), JsonOptions);
            if (plan is null || plan.FormatVersion != CurrentFormat)
                throw new InvalidDataException($"{path} has an unknown format.");
            return plan;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} cannot be read: {e.Message}");
        }
    }

    /// <summary>Writes the plan atomically.</summary>
    public void Write(string outputDirectory)
    {
        var folder = Folder(outputDirectory);
        Directory.CreateDirectory(folder);
        AtomicFile.WriteAllText(Path.Combine(folder, FileName), JsonSerializer.Serialize(this, JsonOptions));
    }
}

/// <summary>One submission: an array of units (absent when every unit was already done) and the report job after it.</summary>
public sealed class ClusterSubmission
{
    public DateTimeOffset SubmittedUtc { get; set; }

    /// <summary>The array job's ID, or null when no unit needed running (or on a dry run).</summary>
    public string? ArrayJob { get; set; }

    /// <summary>Array task ID → unit (<c>svm:fold2</c>) for the tasks of this submission.</summary>
    public Dictionary<int, string> Tasks { get; set; } = [];

    /// <summary>The report job's ID (null on a dry run).</summary>
    public string? ReportJob { get; set; }

    /// <summary>Whether the scripts were written without submitting them.</summary>
    public bool DryRun { get; set; }
}
