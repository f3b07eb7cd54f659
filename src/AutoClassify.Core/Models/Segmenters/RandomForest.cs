using AutoClassify.Native;

namespace AutoClassify.Models.Segmenters;

/// <summary>Settings of <see cref="RandomForest"/>; <see cref="Validate"/> names every bad one.</summary>
public sealed class RandomForestOptions
{
    public int Trees { get; init; } = 64;
    public int MaxDepth { get; init; } = 16;

    /// <summary>A node with fewer samples is not split.</summary>
    public int MinSamples { get; init; } = 5;

    /// <summary>Features tried per split; 0 = √(features), OpenCV's default.</summary>
    public int ActiveVariables { get; init; }

    /// <summary>Every problem with these settings, each naming its parameter; empty when they are usable.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        UNetOptions.Count(problems, nameof(Trees), Trees, 1, 10_000);
        UNetOptions.Count(problems, nameof(MaxDepth), MaxDepth, 1, 64);
        UNetOptions.Count(problems, nameof(MinSamples), MinSamples, 1, int.MaxValue);
        UNetOptions.Count(problems, nameof(ActiveVariables), ActiveVariables, 0, int.MaxValue);
        return problems;
    }

    /// <summary>Throws an <see cref="ArgumentException"/> listing every problem, when there is any.</summary>
    public void Validate()
    {
        var problems = Problems();
        if (problems.Count > 0)
            throw new ArgumentException("Invalid random-forest options: " + string.Join(" ", problems));
    }
}

/// <summary>OpenCV's random forest (<c>cv::ml::RTrees</c>) on float feature rows; thread-safe for prediction.</summary>
public sealed class RandomForest : IDisposable
{
    readonly ForestHandle handle;

    RandomForest(ForestHandle handle, int classes, int features)
    {
        this.handle = handle;
        Classes = classes;
        Features = features;
    }

    public int Classes { get; }
    public int Features { get; }

    /// <summary>Fits on rows of <paramref name="features"/> values each (row-major) with labels 0..classes−1; the same seed gives the same forest.</summary>
    public static unsafe RandomForest Train(float[] samples, int features, int[] labels, int classes, RandomForestOptions options, int seed)
    {
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(features);
        if (samples.Length != (long)labels.Length * features)
            throw new ArgumentException($"{samples.Length} values are not {labels.Length} rows of {features} features.", nameof(samples));
        ForestHandle handle;
        fixed (float* x = samples)
        fixed (int* y = labels)
            handle = NativeMethods.ForestTrain(x, labels.Length, features, y, classes, options.Trees, options.MaxDepth,
                options.MinSamples, options.ActiveVariables, unchecked((ulong)(uint)seed) + 1);
        try
        {
            NativeShim.CheckForErrors();
        }
        catch
        {
            handle.Dispose();
            throw;
        }
        return new RandomForest(handle, classes, features);
    }

    /// <summary>Class probabilities (share of trees voting) of every row: rows × <see cref="Classes"/>, row-major.</summary>
    public unsafe float[] PredictProbabilities(ReadOnlySpan<float> samples)
    {
        if (samples.Length % Features != 0)
            throw new ArgumentException($"{samples.Length} values are not rows of {Features} features.", nameof(samples));
        var rows = samples.Length / Features;
        var result = new float[(long)rows * Classes];
        if (rows == 0)
            return result;
        fixed (float* x = samples)
        fixed (float* p = result)
            NativeMethods.ForestPredict(handle, x, rows, Features, p);
        NativeShim.CheckForErrors();
        return result;
    }

    /// <summary>The fitted forest in OpenCV's own YAML form, for <see cref="Deserialize"/>.</summary>
    public byte[] Serialize()
    {
        var data = NativeMethods.ForestSave(handle, out var length);
        NativeShim.CheckForErrors();
        return NativeShim.TakeBuffer(data, length);
    }

    /// <summary>
    /// Reads a forest written by <see cref="Serialize"/>; the shim checks every node, split and feature index before
    /// the forest is used, so a damaged or forged payload throws <see cref="NativeException"/> instead of misbehaving.
    /// </summary>
    public static unsafe RandomForest Deserialize(byte[] data, int classes, int features)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Length == 0)
            throw new InvalidDataException("The forest payload is empty.");
        ForestHandle handle;
        fixed (byte* text = data)
            handle = NativeMethods.ForestLoad(text, data.Length, classes, features);
        try
        {
            NativeShim.CheckForErrors();
        }
        catch
        {
            handle.Dispose();
            throw;
        }
        return new RandomForest(handle, classes, features);
    }

    public void Dispose() => handle.Dispose();
}
