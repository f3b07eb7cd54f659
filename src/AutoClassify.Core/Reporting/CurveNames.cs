namespace AutoClassify.Reporting;

/// <summary>Training-curve keys (<c>val_loss</c>, <c>epoch_seconds</c>) as a reader says them, with units.</summary>
internal static class CurveNames
{
    /// <summary>The name of one series, e.g. "validation loss".</summary>
    internal static string Series(string key) => key switch
    {
        "train_loss" or "loss" => "training loss",
        "val_loss" => "validation loss",
        "train_acc" or "acc" or "accuracy" => "training accuracy",
        "val_acc" => "validation accuracy",
        "val_dice" => "validation Dice",
        "epoch_seconds" => "time per epoch",
        _ => key.Replace('_', ' '),
    };

    /// <summary>The y-axis label of a family of series (see the report's grouping), with its unit.</summary>
    internal static string Axis(string family) => family switch
    {
        "loss" => "cross-entropy loss (nats)",
        "accuracy" => "accuracy (fraction correct)",
        "epoch_seconds" => "time per epoch (s)",
        _ => family.Replace('_', ' '),
    };

    /// <summary>The heading of a family, e.g. "Loss".</summary>
    internal static string Family(string family) => family switch
    {
        "loss" => "loss",
        "accuracy" => "accuracy",
        "epoch_seconds" => "time per epoch",
        _ => family.Replace('_', ' '),
    };
}
