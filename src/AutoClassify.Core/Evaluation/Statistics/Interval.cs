namespace AutoClassify.Evaluation.Statistics;

/// <summary>A two-sided confidence interval; both bounds NaN when undefined.</summary>
public readonly record struct Interval(double Lower, double Upper)
{
    public static Interval Undefined { get; } = new(double.NaN, double.NaN);

    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsDefined => double.IsFinite(Lower) && double.IsFinite(Upper);

    [System.Text.Json.Serialization.JsonIgnore]
    public double Width => Upper - Lower;

    /// <summary>Whether the value lies in the closed interval.</summary>
    public bool Contains(double value) => value >= Lower && value <= Upper;
}
