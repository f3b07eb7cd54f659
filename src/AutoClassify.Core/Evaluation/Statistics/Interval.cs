namespace AutoClassify.Evaluation.Statistics;

/// <summary>A two-sided confidence interval; both bounds NaN when undefined.</summary>
public readonly record struct Interval(double Lower, double Upper)
{
    public static Interval Undefined { get; } = new(double.NaN, double.NaN);

    public bool IsDefined => double.IsFinite(Lower) && double.IsFinite(Upper);

    public double Width => Upper - Lower;

    public bool Contains(double value) => value >= Lower && value <= Upper;
}
