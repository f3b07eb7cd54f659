using AutoClassify.Dataset;
using AutoClassify.Features;

namespace AutoClassify.Models;

/// <summary>
/// Synthetic minority oversampling (SMOTE, Chawla et al. 2002) for feature models. It reads only the training
/// rows it is given: every synthetic row lies on the segment between a training item and one of its nearest
/// training neighbours of the same class, so no validation or test item can leak into a fit.
/// </summary>
public static class Smote
{
    /// <summary>Nearest neighbours per item, as in the original paper.</summary>
    public const int DefaultNeighbours = 5;

    /// <summary>
    /// Synthetic rows that raise every class present in <paramref name="trainIndices"/> to the count of the largest
    /// class there. Neighbours are found by Euclidean distance on features z-scored with the training rows' own
    /// statistics; the new row is <c>x + u (n − x)</c> with <c>u</c> uniform in [0, 1), in the raw feature space.
    /// Each item of a class seeds an equal share of its class's new rows (a random remainder gets one more). A
    /// class with a single training item gets copies of it. The same seed gives the same rows.
    /// </summary>
    public static SmoteSamples Generate(FeatureMatrix features, IReadOnlyList<int> labels, IReadOnlyList<int> trainIndices,
        int classCount, int seed, int neighbours = DefaultNeighbours)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(trainIndices);
        ArgumentOutOfRangeException.ThrowIfLessThan(classCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(neighbours, 1);
        if (trainIndices.Count == 0)
            throw new ArgumentException("SMOTE needs at least one training item.", nameof(trainIndices));
        var members = new List<int>[classCount];
        for (var k = 0; k < classCount; k++)
            members[k] = [];
        foreach (var item in trainIndices.Distinct().Order())
        {
            if (item < 0 || item >= features.Count || item >= labels.Count)
                throw new ArgumentOutOfRangeException(nameof(trainIndices), item, $"Training index outside the {features.Count} feature rows.");
            var label = labels[item];
            if (label < 0 || label >= classCount)
                throw new ArgumentException($"Item {item} has class index {label}, outside 0..{classCount - 1}.", nameof(labels));
            members[label].Add(item);
        }

        // Fit on the training items only: the distances must not see anyone else's spread.
        var scaled = new Dictionary<int, double[]>();
        var standardizer = Standardizer.Fit(features.Rows, [.. members.SelectMany(m => m)]);
        foreach (var item in members.SelectMany(m => m))
            scaled[item] = standardizer.Transform(features.Rows[item]);

        var target = members.Max(m => m.Count);
        var samples = new SmoteSamples();
        for (var k = 0; k < classCount; k++)
        {
            var own = members[k];
            var missing = target - own.Count;
            if (own.Count == 0 || missing <= 0)
                continue;
            var random = new Random(Seeds.Derive(seed, "smote", k));
            var nearest = own.Select(item => Nearest(item, own, scaled, neighbours)).ToArray();
            var shares = Enumerable.Repeat(missing / own.Count, own.Count).ToArray();
            var extra = Enumerable.Range(0, own.Count).ToArray();
            random.Shuffle(extra);
            foreach (var position in extra.Take(missing % own.Count))
                shares[position]++;
            for (var p = 0; p < own.Count; p++)
            {
                for (var s = 0; s < shares[p]; s++)
                {
                    var source = own[p];
                    var neighbour = nearest[p].Length == 0 ? source : nearest[p][random.Next(nearest[p].Length)];
                    var gap = random.NextDouble();
                    var x = features.Rows[source];
                    var n = features.Rows[neighbour];
                    var row = new double[x.Length];
                    for (var j = 0; j < row.Length; j++)
                        row[j] = x[j] + gap * (n[j] - x[j]);
                    samples.Add(row, k, source, neighbour, gap);
                }
            }
        }
        return samples;
    }

    /// <summary>
    /// The data a feature model trains on with SMOTE: the original rows followed by the synthetic ones (features and
    /// labels only; a synthetic item has no image), and the indices to fit on: <paramref name="trainIndices"/>, then
    /// every synthetic item (indices from <c>data.Labels.Length</c> upwards).
    /// </summary>
    public static (TrainingData Data, int[] Indices, SmoteSamples Samples) Augment(TrainingData data, IReadOnlyList<int> trainIndices,
        int seed, int neighbours = DefaultNeighbours)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(trainIndices);
        var features = data.Features ?? throw new ArgumentException("SMOTE needs a feature matrix, but TrainingData.Features is null.", nameof(data));
        var samples = Generate(features, data.Labels, trainIndices, data.ClassCount, seed, neighbours);
        var n = data.Labels.Length;
        var augmented = new TrainingData
        {
            ClassNames = data.ClassNames,
            Labels = [.. data.Labels, .. samples.Labels],
            Features = new FeatureMatrix(features.Names, [.. features.Rows, .. samples.Rows]),
        };
        int[] indices = [.. trainIndices, .. Enumerable.Range(n, samples.Count)];
        return (augmented, indices, samples);
    }

    // The nearest other members of the item's class, closest first; ties go to the lower index.
    static int[] Nearest(int item, List<int> own, Dictionary<int, double[]> scaled, int neighbours)
    {
        var from = scaled[item];
        return own.Where(o => o != item)
            .Select(o => (Item: o, Distance: SquaredDistance(from, scaled[o])))
            .OrderBy(c => c.Distance)
            .ThenBy(c => c.Item)
            .Take(neighbours)
            .Select(c => c.Item)
            .ToArray();
    }

    static double SquaredDistance(double[] a, double[] b)
    {
        var sum = 0.0;
        for (var j = 0; j < a.Length; j++)
        {
            var d = a[j] - b[j];
            sum += d * d;
        }
        return sum;
    }
}

/// <summary>Rows made by <see cref="Smote.Generate"/>, each with its class, the two training items it lies between, and where.</summary>
public sealed class SmoteSamples
{
    readonly List<double[]> rows = [];
    readonly List<int> labels = [];
    readonly List<int> sources = [];
    readonly List<int> neighbours = [];
    readonly List<double> gaps = [];

    public int Count => rows.Count;

    public IReadOnlyList<double[]> Rows => rows;

    public IReadOnlyList<int> Labels => labels;

    /// <summary>The training item each row grew from.</summary>
    public IReadOnlyList<int> Sources => sources;

    /// <summary>The same-class training neighbour each row moved towards (the source itself for a single-item class).</summary>
    public IReadOnlyList<int> Neighbours => neighbours;

    /// <summary>How far along the segment from source to neighbour each row lies, in [0, 1).</summary>
    public IReadOnlyList<double> Gaps => gaps;

    internal void Add(double[] row, int label, int source, int neighbour, double gap)
    {
        rows.Add(row);
        labels.Add(label);
        sources.Add(source);
        neighbours.Add(neighbour);
        gaps.Add(gap);
    }
}
