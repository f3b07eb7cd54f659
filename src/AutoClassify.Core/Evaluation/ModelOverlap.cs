using System.Globalization;
using AutoClassify.Models;

namespace AutoClassify.Evaluation;

/// <summary>
/// How a benchmark's models share the cores. By default, when a run holds both feature models (on a feature matrix:
/// the SVMs and the ML.NET learners) and networks (every other model) and has at least 2 threads, the two kinds
/// cross-validate side by side, each its own arm, because LIBSVM fits on one core and a network gains little from its
/// last one. The networks' thread count is fixed by the rule for the whole run (threads − 1), never by timing, since
/// libtorch's float reductions depend on it; the feature arm's results do not depend on its thread count, so it takes
/// the remaining thread while a network trains and every thread once the networks are done.
/// </summary>
internal sealed class ModelOverlap
{
    int networksRunning;

    /// <summary>The default of <see cref="BenchmarkOptions.OverlapMinImages"/>.</summary>
    public const int DefaultMinImages = BenchmarkOptions.DefaultOverlapMinImages;

    ModelOverlap(BenchmarkOptions options, int threads, int images)
    {
        Threads = threads;
        Images = images;
        MinImages = options.OverlapMinImages;
        var models = options.Models;
        FeatureModels = [.. models.Where(ModelCatalog.IsFeatureModel)];
        NetworkModels = [.. models.Where(m => !ModelCatalog.IsFeatureModel(m))];
        Enabled = options.Overlap && threads >= 2 && FeatureModels.Count > 0 && NetworkModels.Count > 0 && images >= MinImages;
        var cnnThreads = options.ModelSettings.Cnn.Threads;
        NetworkThreads = !Enabled ? (cnnThreads > 0 ? cnnThreads : threads)
            : cnnThreads > 0 ? Math.Min(cnnThreads, threads - 1) : threads - 1;
    }

    /// <summary>The plan of <paramref name="options"/> with <paramref name="threads"/> worker threads in all, for a data set of <paramref name="images"/> images.</summary>
    public static ModelOverlap Plan(BenchmarkOptions options, int threads, int images)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(images);
        return new ModelOverlap(options, threads, images);
    }

    /// <summary>The plan of <paramref name="options"/> on its own thread count (0: all cores).</summary>
    public static ModelOverlap Plan(BenchmarkOptions options, int images) =>
        Plan(options, options.Threads > 0 ? options.Threads : Environment.ProcessorCount, images);

    /// <summary>Images in the data set the plan is for.</summary>
    public int Images { get; }

    /// <summary>The fewest images that are overlapped.</summary>
    public int MinImages { get; }

    /// <summary>True when the feature models and the networks cross-validate side by side.</summary>
    public bool Enabled { get; }

    /// <summary>Worker threads of the whole run.</summary>
    public int Threads { get; }

    /// <summary>The models on a feature matrix, in the order asked.</summary>
    public IReadOnlyList<string> FeatureModels { get; }

    /// <summary>Every other model (networks, transfer models, the model search), in the order asked.</summary>
    public IReadOnlyList<string> NetworkModels { get; }

    /// <summary>libtorch's thread count for every network fit of the run: it changes the CNN's numbers, so it is fixed by the rule.</summary>
    public int NetworkThreads { get; }

    /// <summary>Settings for the network trainers: their thread count is the rule's, whatever the CNN settings said.</summary>
    public ModelSettings NetworkSettings(ModelSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return Enabled ? settings with { Cnn = settings.Cnn with { Threads = NetworkThreads } } : settings;
    }

    /// <summary>Threads for the next feature-model stage: what the networks leave while one trains, all once they are done.</summary>
    public int FeatureThreadsNow => Enabled && Volatile.Read(ref networksRunning) > 0 ? Math.Max(1, Threads - NetworkThreads) : Threads;

    /// <summary>Marks the network arm running until the returned scope is disposed.</summary>
    public IDisposable NetworksRunning()
    {
        Interlocked.Increment(ref networksRunning);
        return new Scope(this);
    }

    /// <summary>One line for results.json's settings and the report: what ran beside what, on how many threads.</summary>
    public string Describe(bool asked)
    {
        if (Enabled)
        {
            return string.Create(CultureInfo.InvariantCulture,
                $"on: {string.Join(", ", FeatureModels)} beside {string.Join(", ", NetworkModels)}; networks on {NetworkThreads} of {Threads} threads for the whole run, " +
                $"feature models on {Math.Max(1, Threads - NetworkThreads)} while a network trains and {Threads} after (--no-overlap runs the models one after another)");
        }
        if (!asked)
            return "off (--no-overlap)";
        if (FeatureModels.Count == 0 || NetworkModels.Count == 0)
            return "off (one kind of model: nothing to overlap)";
        if (Images < MinImages)
            return string.Create(CultureInfo.InvariantCulture, $"off ({Images} images, fewer than --overlap-min-images {MinImages})");
        return "off (1 thread)";
    }

    sealed class Scope(ModelOverlap owner) : IDisposable
    {
        int disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0)
                Interlocked.Decrement(ref owner.networksRunning);
        }
    }
}
