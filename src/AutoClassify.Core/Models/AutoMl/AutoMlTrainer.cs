namespace AutoClassify.Models.AutoMl;

/// <summary>
/// AutoML as a model (<c>auto</c>): each fit runs a time-budgeted search over feature and image models nested
/// inside the training indices it is given (see <see cref="AutoMlOptions"/> and <see cref="AutoMlSearchSpace"/>),
/// refits the best configuration on all of them and returns it. In a benchmark the outer test fold therefore never
/// takes part in the choice, and the outer score of the chosen pipeline is an honest estimate.
/// </summary>
public sealed class AutoMlTrainer : IModelTrainer
{
    /// <summary>The catalog and command-line name.</summary>
    public const string ModelName = "auto";

    /// <summary>
    /// A trainer searching with <paramref name="settings"/>: its <see cref="ModelSettings.AutoMl"/> options, and its
    /// CNN options as the base regime of every image trial (input mode and size, batch size, maximum epochs, device).
    /// </summary>
    public AutoMlTrainer(ModelSettings? settings = null)
    {
        Settings = settings ?? new ModelSettings();
        Settings.AutoMl.Validate();
        Settings.Cnn.Validate();
    }

    public string Name => ModelName;

    public ModelSettings Settings { get; }

    public AutoMlOptions Options => Settings.AutoMl;

    ITrainedModel IModelTrainer.Train(TrainingData data, IReadOnlyList<int> trainIndices, TrainingContext context) =>
        Train(data, trainIndices, context);

    /// <summary>Searches on <paramref name="trainIndices"/> only, then refits the winner on all of them.</summary>
    public AutoMlModel Train(TrainingData data, IReadOnlyList<int> trainIndices, TrainingContext context)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(trainIndices);
        ArgumentNullException.ThrowIfNull(context);
        if (trainIndices.Count == 0)
            throw new ArgumentException("The training fold is empty.", nameof(trainIndices));
        foreach (var item in trainIndices)
        {
            if (item < 0 || item >= data.Labels.Length)
                throw new ArgumentOutOfRangeException(nameof(trainIndices), item, $"Training index outside the {data.Labels.Length} items.");
        }
        return new AutoMlSearch(Options, Settings, data, trainIndices, context).Run();
    }
}

/// <summary>The winner of a search, refitted on the whole training fold; it predicts as the winner does.</summary>
public sealed class AutoMlModel : ITrainedModel
{
    ITrainedModel? winner;

    internal AutoMlModel(ITrainedModel winner, string winnerKind, TrialRecord winningTrial, TrainingSummary summary)
    {
        this.winner = winner;
        WinnerKind = winnerKind;
        WinningTrial = winningTrial;
        Summary = summary;
    }

    /// <summary>The refitted winner (owned by this model).</summary>
    public ITrainedModel Winner => winner ?? throw new ObjectDisposedException(nameof(AutoMlModel), "The winner was handed over or disposed.");

    /// <summary>The package kind of the winner (<c>svm</c>, <c>lipnet4</c>, ...).</summary>
    public string WinnerKind { get; }

    /// <summary>The leaderboard entry of the winning configuration.</summary>
    public TrialRecord WinningTrial { get; }

    /// <summary>The search's facts (prefixed <c>automl_</c>), the winner's own facts and curves, and every trial.</summary>
    public TrainingSummary Summary { get; }

    public double[][] PredictProbabilities(TrainingData data, IReadOnlyList<int> indices) => Winner.PredictProbabilities(data, indices);

    /// <summary>Hands the winner over to a new owner (a package); this model is empty afterwards.</summary>
    public ITrainedModel DetachWinner()
    {
        var detached = Winner;
        winner = null;
        return detached;
    }

    public void Dispose()
    {
        winner?.Dispose();
        winner = null;
    }
}
