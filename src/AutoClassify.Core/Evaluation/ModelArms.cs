using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace AutoClassify.Evaluation;

/// <summary>
/// Cross-validates the feature models and the networks of a <see cref="ModelOverlap"/> side by side: two arms, each
/// on its own thread, each running its models in the order asked. Once the feature arm is done, a second process
/// (<see cref="IUnitWorker"/>) may train network units on the thread it freed (<see cref="UnitClaims"/>). A failure in
/// one arm stops the other and is thrown as it would be in a serial run; a cancellation stops both.
/// </summary>
internal static class ModelArms
{
    /// <summary>The time table's row for the wall time of the two arms together.</summary>
    public const string WallStage = "feature models beside networks (wall)";

    /// <summary>
    /// Runs <paramref name="crossValidate"/> for every model (by its index in <paramref name="models"/>), feature models
    /// in one arm and networks in the other, and returns the wall time until both arms ended.
    /// </summary>
    public static TimeSpan Run(ModelOverlap overlap, IReadOnlyList<string> models, Action<int, Func<int>, CancellationToken> crossValidate,
        IBenchmarkObserver observer, CancellationToken cancellationToken, SecondProcess? second = null)
    {
        ArgumentNullException.ThrowIfNull(overlap);
        ArgumentNullException.ThrowIfNull(models);
        ArgumentNullException.ThrowIfNull(crossValidate);
        ArgumentNullException.ThrowIfNull(observer);
        var featureModels = Indices(models, overlap.FeatureModels);
        var networkModels = Indices(models, overlap.NetworkModels);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Exception? failure = null;
        void Arm(List<int> indices, Func<int> threads)
        {
            try
            {
                foreach (var i in indices)
                    crossValidate(i, threads, stop.Token);
            }
            catch (Exception e)
            {
                // The first failure is the one to report; the other arm then stops with a cancellation of its own.
                Interlocked.CompareExchange(ref failure, e, null);
                stop.Cancel();
            }
        }

        observer.Message($"Overlap {overlap.Describe(asked: true)}.");
        var clock = Stopwatch.StartNew();
        var networksRunning = overlap.NetworksRunning();
        // A dedicated thread each: libtorch's thread count is set per calling thread, and neither arm should wait for the pool.
        var features = Task.Factory.StartNew(() => Arm(featureModels, () => overlap.FeatureThreadsNow),
            CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        var worker = second is null ? Task.CompletedTask : features.ContinueWith(_ => second.Run(observer, stop.Token),
            CancellationToken.None, TaskContinuationOptions.LongRunning, TaskScheduler.Default);
        var networks = Task.Factory.StartNew(() =>
        {
            try
            {
                Arm(networkModels, () => overlap.NetworkThreads);
            }
            finally
            {
                networksRunning.Dispose();
            }
            if (!features.IsCompleted && !stop.IsCancellationRequested)
                observer.Message($"The networks are done; {string.Join(", ", overlap.FeatureModels)} go on with all {overlap.Threads} threads from the next fit.");
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        Task.WaitAll(networks, features, worker);
        var wall = clock.Elapsed;
        if (failure is not null)
        {
            cancellationToken.ThrowIfCancellationRequested();
            ExceptionDispatchInfo.Throw(failure);
        }
        return wall;
    }

    /// <summary>A second process for network units once the feature arm is done: the units to share and the worker that trains them.</summary>
    internal sealed record SecondProcess(UnitClaims Claims, IUnitWorker Worker)
    {
        /// <summary>Trains unclaimed units, the last first, until none is left; a unit it fails is left to this process.</summary>
        public void Run(IBenchmarkObserver observer, CancellationToken cancellationToken)
        {
            while (!cancellationToken.IsCancellationRequested && Claims.TryClaimLast(out var unit))
            {
                var saved = false;
                try
                {
                    observer.Message($"The feature models are done: {unit} trains in a second process on the thread they freed.");
                    Worker.Train(unit, cancellationToken);
                    saved = true;
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                catch (Exception e)
                {
                    // One fold lost to the second process must not stop the run: this process trains it instead.
                    observer.Message($"The second process failed on {unit}; it is trained in this process instead. {e.Message}");
                    return;
                }
                finally
                {
                    Claims.Finished(unit, saved);
                }
            }
        }
    }

    static List<int> Indices(IReadOnlyList<string> models, IReadOnlyList<string> arm) =>
        [.. Enumerable.Range(0, models.Count).Where(i => arm.Contains(models[i], StringComparer.Ordinal))];
}
