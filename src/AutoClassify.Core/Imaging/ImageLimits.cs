using System.Globalization;

namespace AutoClassify.Imaging;

/// <summary>
/// The largest image (in pixels, width × height as the header declares it) that is decoded, and a bound on the pixels
/// decoded at once. The limit is scoped: <see cref="Use"/> sets it for the calling flow and the work it starts
/// (parallel loops included), so one command's setting never leaks into another's.
/// </summary>
public static class ImageLimits
{
    /// <summary>Default limit: 2^28 pixels (16,384 × 16,384), about 1 GiB as float grey.</summary>
    public const long DefaultMaxPixels = 1L << 28;

    /// <summary>OpenCV refuses to decode more than 2^30 pixels; no setting can go beyond it.</summary>
    public const long DecoderMaxPixels = 1L << 30;

    static readonly AsyncLocal<long?> Scoped = new();
    static readonly AsyncLocal<bool> ScopedKeepDamaged = new();
    static readonly AsyncLocal<Action<string, string>?> ScopedDamageSink = new();
    static readonly object Gate = new();
    static long inFlight;

    /// <summary>The limit in force for the calling flow.</summary>
    public static long MaxPixels => Scoped.Value ?? DefaultMaxPixels;

    /// <summary>Sets the limit for the calling flow until the result is disposed.</summary>
    public static IDisposable Use(long maxPixels)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPixels, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxPixels, DecoderMaxPixels);
        var previous = Scoped.Value;
        Scoped.Value = maxPixels;
        return new Restore(previous);
    }

    /// <summary>
    /// Whether a JPEG whose entropy data is damaged (the decoder warns and fills in what it cannot read) is kept, with
    /// a warning to the sink of <see cref="OnKeptDamage"/>, instead of being refused. Off unless <see cref="KeepDamaged"/> says so.
    /// </summary>
    public static bool KeepsDamaged => ScopedKeepDamaged.Value;

    /// <summary>Keeps damaged JPEGs (see <see cref="KeepsDamaged"/>) for the calling flow until the result is disposed.</summary>
    public static IDisposable KeepDamaged(bool keep)
    {
        var previous = ScopedKeepDamaged.Value;
        ScopedKeepDamaged.Value = keep;
        return new Undo(() => ScopedKeepDamaged.Value = previous);
    }

    /// <summary>Sends every damaged image that is kept (its name and what is wrong) to <paramref name="sink"/>, for the calling flow.</summary>
    public static IDisposable OnKeptDamage(Action<string, string> sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        var previous = ScopedDamageSink.Value;
        ScopedDamageSink.Value = sink;
        return new Undo(() => ScopedDamageSink.Value = previous);
    }

    internal static void ReportKept(string source, string reason) => ScopedDamageSink.Value?.Invoke(source, reason);

    /// <summary>Why an image of the declared size is refused under <paramref name="limit"/>, or null when it may be decoded.</summary>
    public static string? Refusal(long width, long height, long limit)
    {
        if (width <= 0 || height <= 0)
            return string.Create(CultureInfo.InvariantCulture, $"the header declares an empty image ({width}x{height})");
        var pixels = width > long.MaxValue / height ? long.MaxValue : width * height;
        if (pixels <= limit && pixels <= DecoderMaxPixels)
            return null;
        var hint = limit < DecoderMaxPixels && pixels <= DecoderMaxPixels
            ? "; raise the limit with --max-image-pixels if the machine has the memory"
            : $"; {DecoderMaxPixels:N0} pixels is the most the image decoder reads, so cut the image into parts";
        return string.Create(CultureInfo.InvariantCulture,
            $"the image is {width}x{height} = {pixels:N0} pixels, above the limit of {Math.Min(limit, DecoderMaxPixels):N0} pixels{hint}");
    }

    /// <summary>
    /// Reserves <paramref name="pixels"/> of decoding for the caller until the result is disposed, waiting while other
    /// decodes hold the budget (the current limit), so concurrent large decodes never add up beyond it. A single
    /// image always gets through when nothing else is decoding.
    /// </summary>
    internal static IDisposable Reserve(long pixels)
    {
        var budget = Math.Max(MaxPixels, DefaultMaxPixels);
        lock (Gate)
        {
            while (inFlight > 0 && inFlight + pixels > budget)
                Monitor.Wait(Gate);
            inFlight += pixels;
        }
        return new Release(pixels);
    }

    sealed class Restore(long? previous) : IDisposable
    {
        public void Dispose() => Scoped.Value = previous;
    }

    sealed class Undo(Action undo) : IDisposable
    {
        public void Dispose() => undo();
    }

    sealed class Release(long pixels) : IDisposable
    {
        int released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref released, 1) != 0)
                return;
            lock (Gate)
            {
                inFlight -= pixels;
                Monitor.PulseAll(Gate);
            }
        }
    }
}
