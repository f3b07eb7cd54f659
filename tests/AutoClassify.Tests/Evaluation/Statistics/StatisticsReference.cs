using System.Text.Json;

namespace AutoClassify.Tests.Evaluation.Statistics;

/// <summary>The reference values tests/fixtures/statistics/reference.py computed with SciPy, scikit-learn and statsmodels.</summary>
internal static class StatisticsReference
{
    static readonly Lazy<JsonElement> Root = new(() =>
    {
        var path = Path.Combine(AppContext.BaseDirectory, "fixtures", "statistics", "expected.json");
        return JsonDocument.Parse(File.ReadAllText(path)).RootElement;
    });

    public static IEnumerable<JsonElement> Cases(string name) => Root.Value.GetProperty(name).EnumerateArray();

    public static double[] Doubles(this JsonElement e, string name) => e.GetProperty(name).EnumerateArray().Select(v => v.GetDouble()).ToArray();

    public static int[] Ints(this JsonElement e, string name) => e.GetProperty(name).EnumerateArray().Select(v => v.GetInt32()).ToArray();

    public static bool[] Bools(this JsonElement e, string name) => e.GetProperty(name).EnumerateArray().Select(v => v.GetBoolean()).ToArray();

    public static double[][] Rows(this JsonElement e, string name) =>
        e.GetProperty(name).EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();

    public static double Double(this JsonElement e, string name) => e.GetProperty(name).GetDouble();

    public static int Int(this JsonElement e, string name) => e.GetProperty(name).GetInt32();
}
