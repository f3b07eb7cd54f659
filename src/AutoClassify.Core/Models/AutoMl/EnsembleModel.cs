namespace AutoClassify.Models.AutoMl;

/// <summary>
/// Pipelines fitted on the same training items whose class probabilities are averaged with equal weights: what the
/// search returns when such an average beat the best single pipeline on the inner folds. It owns its members.
/// </summary>
public sealed class EnsembleModel : ITrainedModel
{
    /// <summary>The package kind and leaderboard family of an ensemble.</summary>
    public const string Kind = "ensemble";

    readonly List<ITrainedModel?> members;

    /// <summary>An ensemble of <paramref name="members"/> (taking ownership), each with its package kind.</summary>
    public EnsembleModel(IReadOnlyList<ITrainedModel> members, IReadOnlyList<string> memberKinds, int classCount)
    {
        ArgumentNullException.ThrowIfNull(members);
        ArgumentNullException.ThrowIfNull(memberKinds);
        if (members.Count < 2)
            throw new ArgumentException($"An ensemble needs at least 2 members, got {members.Count}.", nameof(members));
        if (memberKinds.Count != members.Count)
            throw new ArgumentException($"{memberKinds.Count} kinds for {members.Count} members.", nameof(memberKinds));
        ArgumentOutOfRangeException.ThrowIfLessThan(classCount, 2);
        this.members = [.. members];
        MemberKinds = [.. memberKinds];
        ClassCount = classCount;
        for (var i = 0; i < members.Count; i++)
        {
            foreach (var (key, value) in members[i].Summary.Facts)
                Summary.Facts[$"member{i + 1}_{key}"] = value;
        }
        Summary.Facts["ensemble_members"] = string.Join(", ", MemberKinds);
        Summary.Facts["ensemble_combine"] = "mean probability";
    }

    /// <summary>The package kind of every member, in member order.</summary>
    public IReadOnlyList<string> MemberKinds { get; }

    public int ClassCount { get; }

    /// <summary>The members (owned), until <see cref="DetachMembers"/> hands them over.</summary>
    public IReadOnlyList<ITrainedModel> Members =>
        members.Select(m => m ?? throw new ObjectDisposedException(nameof(EnsembleModel), "The members were handed over or disposed.")).ToList();

    public TrainingSummary Summary { get; } = new();

    public double[][] PredictProbabilities(TrainingData data, IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        return Average(Members.Select(m => m.PredictProbabilities(data, indices)).ToList(), indices.Count, ClassCount);
    }

    /// <summary>The equal-weight mean of every member's probability rows (each member's rows in the same order).</summary>
    public static double[][] Average(IReadOnlyList<double[][]> perMember, int rows, int classes)
    {
        ArgumentNullException.ThrowIfNull(perMember);
        var result = new double[rows][];
        for (var r = 0; r < rows; r++)
        {
            var mean = new double[classes];
            foreach (var probabilities in perMember)
            {
                var row = probabilities[r];
                if (row.Length != classes)
                    throw new InvalidOperationException($"An ensemble member returned {row.Length} probabilities for {classes} classes.");
                for (var k = 0; k < classes; k++)
                    mean[k] += row[k] / perMember.Count;
            }
            result[r] = mean;
        }
        return result;
    }

    /// <summary>Hands the members over to a new owner (a package); this model is empty afterwards.</summary>
    public IReadOnlyList<ITrainedModel> DetachMembers()
    {
        var detached = Members;
        for (var i = 0; i < members.Count; i++)
            members[i] = null;
        return detached;
    }

    public void Dispose()
    {
        for (var i = 0; i < members.Count; i++)
        {
            members[i]?.Dispose();
            members[i] = null;
        }
    }
}
