namespace AutoClassify.Models.AutoMl;

/// <summary>
/// Pipelines fitted on the same training items whose class probabilities are averaged with equal weights, or combined
/// by a <see cref="StackingCombiner"/>: what the search returns when such a combination beat the best single pipeline
/// on the inner folds. It owns its members.
/// </summary>
public sealed class EnsembleModel : ITrainedModel
{
    /// <summary>The package kind and leaderboard family of an ensemble.</summary>
    public const string Kind = "ensemble";

    readonly List<ITrainedModel?> members;

    /// <summary>
    /// An ensemble of <paramref name="members"/> (taking ownership), each with its package kind, averaged or, with a
    /// <paramref name="stacker"/>, stacked.
    /// </summary>
    public EnsembleModel(IReadOnlyList<ITrainedModel> members, IReadOnlyList<string> memberKinds, int classCount, StackingCombiner? stacker = null)
    {
        ArgumentNullException.ThrowIfNull(members);
        ArgumentNullException.ThrowIfNull(memberKinds);
        if (members.Count < 2)
            throw new ArgumentException($"An ensemble needs at least 2 members, got {members.Count}.", nameof(members));
        if (memberKinds.Count != members.Count)
            throw new ArgumentException($"{memberKinds.Count} kinds for {members.Count} members.", nameof(memberKinds));
        ArgumentOutOfRangeException.ThrowIfLessThan(classCount, 2);
        if (stacker is not null && (stacker.Members != members.Count || stacker.ClassCount != classCount))
            throw new ArgumentException($"The stacking combiner reads {stacker.Members} members of {stacker.ClassCount} classes, not {members.Count} of {classCount}.", nameof(stacker));
        this.members = [.. members];
        Stacker = stacker;
        MemberKinds = [.. memberKinds];
        ClassCount = classCount;
        for (var i = 0; i < members.Count; i++)
        {
            foreach (var (key, value) in members[i].Summary.Facts)
                Summary.Facts[$"member{i + 1}_{key}"] = value;
        }
        Summary.Facts["ensemble_members"] = string.Join(", ", MemberKinds);
        Summary.Facts["ensemble_combine"] = stacker is null ? MeanCombine : stacker.Describe();
    }

    /// <summary>How an averaging ensemble combines, as the leaderboard and the package write it.</summary>
    public const string MeanCombine = "mean probability";

    /// <summary>The meta-learner of a stacked ensemble; null when the members are averaged.</summary>
    public StackingCombiner? Stacker { get; }

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
        return Combine(Members.Select(m => m.PredictProbabilities(data, indices)).ToList(), indices.Count, ClassCount, Stacker);
    }

    /// <summary>The members' probability rows combined: by <paramref name="stacker"/>, or averaged when it is null.</summary>
    public static double[][] Combine(IReadOnlyList<double[][]> perMember, int rows, int classes, StackingCombiner? stacker) =>
        stacker is null ? Average(perMember, rows, classes) : stacker.Predict(perMember, rows);

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
