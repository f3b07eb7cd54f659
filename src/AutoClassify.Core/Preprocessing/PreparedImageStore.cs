using System.Collections;
using AutoClassify.Dataset;
using AutoClassify.Imaging;

namespace AutoClassify.Preprocessing;

/// <summary>How a <see cref="PreparedImageStore"/> keeps the pixels of its images between uses.</summary>
public enum PixelRetention
{
    /// <summary>Each image packed without loss (<see cref="CompactPixels"/>: 1 byte per pixel for 8-bit sources) and expanded on every access.</summary>
    Compact,

    /// <summary>No pixels kept: an access prepares the image again from its file (banners and sizes are kept).</summary>
    None,

    /// <summary>Every image as float pixels, as prepared (4 bytes per pixel): the behaviour before the store existed.</summary>
    Eager,
}

/// <summary>
/// Prepared images indexed like their data set, whose pixels are held compactly or not at all (see
/// <see cref="PixelRetention"/>). Every access returns a fresh <see cref="PreparedImage"/> with exactly the pixels
/// preparation produced, so results do not depend on the retention; only the memory a run holds does.
/// <see cref="Images"/>, <see cref="Masks"/> and <see cref="Banners"/> read one part without expanding the others.
/// </summary>
public sealed class PreparedImageStore : IReadOnlyList<PreparedImage>
{
    readonly CompactPixels?[] compact;
    readonly GrayImage?[] plain;
    readonly BinaryMask?[] masks;
    readonly BannerDetection?[] banners;
    readonly int[] reductions;
    readonly (int Width, int Height)[] sizes;
    readonly Func<int, PreparedImage>? reprepare;

    PreparedImageStore(int count, PixelRetention retention, Func<int, PreparedImage>? reprepare)
    {
        Retention = retention;
        compact = new CompactPixels?[retention == PixelRetention.Compact ? count : 0];
        plain = new GrayImage?[retention == PixelRetention.Eager ? count : 0];
        masks = new BinaryMask?[count];
        banners = new BannerDetection?[count];
        reductions = new int[count];
        sizes = new (int, int)[count];
        this.reprepare = reprepare;
        Images = new View<GrayImage>(this, i => Image(i));
        Masks = new View<BinaryMask?>(this, i => masks[i]);
        Banners = new View<BannerDetection?>(this, i => banners[i]);
        Reductions = new View<int>(this, i => reductions[i]);
    }

    public PixelRetention Retention { get; }

    public int Count => sizes.Length;

    /// <summary>The prepared image <paramref name="index"/>, its pixels expanded (or prepared again) for this call.</summary>
    public PreparedImage this[int index] => new(Image(index), masks[index], banners[index], reductions[index]);

    /// <summary>Every image's pixels, expanded on access.</summary>
    public IReadOnlyList<GrayImage> Images { get; }

    /// <summary>Every image's mask (kept as is: masks are bytes already), null where none.</summary>
    public IReadOnlyList<BinaryMask?> Masks { get; }

    /// <summary>Every image's detected data banner, null where none.</summary>
    public IReadOnlyList<BannerDetection?> Banners { get; }

    /// <summary>The factor every image was reduced by when it was read (<see cref="ImageReduction"/>; 1 at full resolution).</summary>
    public IReadOnlyList<int> Reductions { get; }

    /// <summary>Width and height of every prepared image.</summary>
    public IReadOnlyList<(int Width, int Height)> Sizes => sizes;

    /// <summary>Bytes of pixels the store holds (masks excluded).</summary>
    public long HeldPixelBytes =>
        compact.Sum(c => c?.HeldBytes ?? 0) + plain.Sum(p => p is null ? 0 : (long)p.Pixels.Length * sizeof(float));

    /// <summary>
    /// Prepares every item of <paramref name="dataset"/> in parallel (<see cref="ImagePreparation.Prepare(DatasetItem, CropMargins, BannerMode)"/>),
    /// then <paramref name="transform"/> (e.g. resampling) when given, hands each result to <paramref name="consume"/>
    /// (e.g. feature extraction, while the pixels are at hand) and keeps it as <paramref name="retention"/> says.
    /// With <see cref="PixelRetention.None"/> a later access prepares (and transforms) the image again.
    /// </summary>
    /// <param name="dataset">The validated data set.</param>
    /// <param name="crop">Margins cut from every image and mask.</param>
    /// <param name="banner">What to do with detected data banners.</param>
    /// <param name="retention">How pixels are kept.</param>
    /// <param name="threads">Worker threads (0 = all cores).</param>
    /// <param name="transform">Applied to every prepared image, by index; null for none.</param>
    /// <param name="consume">Called with every final image, by index, from worker threads; null for none.</param>
    /// <param name="onPrepared">Called after each item, from worker threads (progress).</param>
    /// <param name="reduceAbovePixels">Images declaring more pixels are reduced as <see cref="ImageReduction"/> says; null for no bound.</param>
    /// <param name="minimumReduction">The least factor each image (by index) is read reduced by, e.g. <see cref="ScaleResampling.DecodeFactor"/> before a resampling <paramref name="transform"/>; null for 1.</param>
    /// <param name="cancellationToken">Stops the work between items.</param>
    public static PreparedImageStore Prepare(LabeledDataset dataset, CropMargins crop, BannerMode banner, PixelRetention retention, int threads,
        Func<int, PreparedImage, PreparedImage>? transform = null, Action<int, PreparedImage>? consume = null, Action? onPrepared = null,
        long? reduceAbovePixels = null, Func<int, int>? minimumReduction = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (!Enum.IsDefined(retention))
            throw new ArgumentOutOfRangeException(nameof(retention), retention, "Unknown pixel retention.");
        PreparedImage PrepareOne(int i)
        {
            var item = dataset.Items[i];
            var prepared = ImagePreparation.Prepare(item.FullPath, item.MaskPath, crop, banner, reduceAbovePixels, minimumReduction?.Invoke(i) ?? 1);
            return transform is null ? prepared : transform(i, prepared);
        }
        var store = new PreparedImageStore(dataset.Items.Count, retention, retention == PixelRetention.None ? PrepareOne : (Func<int, PreparedImage>?)null);
        var parallel = new ParallelOptions
        {
            MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount,
            CancellationToken = cancellationToken,
        };
        Parallel.For(0, store.Count, parallel, i =>
        {
            var prepared = PrepareOne(i);
            consume?.Invoke(i, prepared);
            store.Keep(i, prepared);
            onPrepared?.Invoke();
        });
        return store;
    }

    /// <summary>Keeps already prepared images (e.g. tiles) as <paramref name="retention"/> says; <see cref="PixelRetention.None"/> is not possible here.</summary>
    public static PreparedImageStore From(IReadOnlyList<PreparedImage> images, PixelRetention retention)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (retention is not (PixelRetention.Compact or PixelRetention.Eager))
            throw new ArgumentOutOfRangeException(nameof(retention), retention, "Images without a file to prepare them from are kept compact or as float.");
        var store = new PreparedImageStore(images.Count, retention, null);
        for (var i = 0; i < images.Count; i++)
            store.Keep(i, images[i]);
        return store;
    }

    /// <summary>One store holding the images of <paramref name="parts"/> in order; they must share a retention other than none.</summary>
    public static PreparedImageStore Concat(IReadOnlyList<PreparedImageStore> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        var retention = parts.Count == 0 ? PixelRetention.Compact : parts[0].Retention;
        if (parts.Any(p => p.Retention != retention || p.Retention == PixelRetention.None))
            throw new ArgumentException("Only stores that all keep their pixels the same way (compact or float) can be joined.", nameof(parts));
        var store = new PreparedImageStore(parts.Sum(p => p.Count), retention, null);
        var at = 0;
        foreach (var part in parts)
        {
            if (retention == PixelRetention.Compact)
                Array.Copy(part.compact, 0, store.compact, at, part.Count);
            else
                Array.Copy(part.plain, 0, store.plain, at, part.Count);
            Array.Copy(part.masks, 0, store.masks, at, part.Count);
            Array.Copy(part.banners, 0, store.banners, at, part.Count);
            Array.Copy(part.reductions, 0, store.reductions, at, part.Count);
            Array.Copy(part.sizes, 0, store.sizes, at, part.Count);
            at += part.Count;
        }
        return store;
    }

    public IEnumerator<PreparedImage> GetEnumerator()
    {
        for (var i = 0; i < Count; i++)
            yield return this[i];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    void Keep(int i, PreparedImage prepared)
    {
        ArgumentNullException.ThrowIfNull(prepared);
        masks[i] = prepared.Mask;
        banners[i] = prepared.Banner;
        reductions[i] = prepared.Reduction;
        sizes[i] = (prepared.Image.Width, prepared.Image.Height);
        if (Retention == PixelRetention.Compact)
            compact[i] = CompactPixels.Pack(prepared.Image);
        else if (Retention == PixelRetention.Eager)
            plain[i] = prepared.Image;
    }

    GrayImage Image(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        return Retention switch
        {
            PixelRetention.Compact => compact[index]!.Expand(),
            PixelRetention.Eager => plain[index]!,
            _ => reprepare!(index).Image,
        };
    }

    sealed class View<T>(PreparedImageStore store, Func<int, T> read) : IReadOnlyList<T>
    {
        public T this[int index] => read(index);

        public int Count => store.Count;

        public IEnumerator<T> GetEnumerator()
        {
            for (var i = 0; i < Count; i++)
                yield return read(i);
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
