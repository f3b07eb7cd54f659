using AutoClassify.Dataset;
using AutoClassify.Imaging;
using AutoClassify.Imaging.Formats;
using Microsoft.ML;

namespace AutoClassify.MLNet;

/// <summary>How <see cref="ImageFolderCatalog.LoadImageFolder"/> reads and checks a labeled image folder.</summary>
public sealed class ImageFolderOptions
{
    /// <summary>Folds the data must allow: every class needs at least this many images (the CLI's <c>--folds</c>, default 5).</summary>
    public int Folds { get; init; } = 5;

    /// <summary>Margins cut from every image before anything looks at it (the CLI's <c>--crop</c>).</summary>
    public CropMargins Crop { get; init; }

    /// <summary>Threads that probe the files (0 = all cores).</summary>
    public int Threads { get; init; }
}

/// <summary>Loads a labeled image folder (one subfolder per class) into ML.NET.</summary>
public static class ImageFolderCatalog
{
    /// <summary>
    /// Reads and validates <paramref name="root"/> exactly as the CLI does (every unreadable or empty file, every
    /// too-small class, reported together in one <see cref="DatasetValidationException"/>), then returns one row per
    /// image: <see cref="AutoClassifyColumns.Label"/> (text, the class folder), <see cref="AutoClassifyColumns.ImagePath"/>,
    /// <see cref="AutoClassifyColumns.MaskPath"/> (empty when none) and <see cref="AutoClassifyColumns.Group"/> (the stack
    /// file of a slice, else the image file itself). Files the CLI skips are skipped here too.
    /// </summary>
    public static IDataView LoadImageFolder(this DataOperationsCatalog catalog, string root, ImageFolderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        options ??= new ImageFolderOptions();
        var dataset = DatasetLoader.Load(root, new DatasetOptions { Folds = options.Folds, Crop = options.Crop, Threads = options.Threads });
        var rows = dataset.Items.Select(item => new ImageRow
        {
            Label = dataset.ClassNames[item.Label],
            ImagePath = item.FullPath,
            MaskPath = item.MaskPath ?? "",
            Group = EmPath.FileOf(item.FullPath),
        }).ToList();
        return catalog.LoadFromEnumerable(rows);
    }

    internal sealed class ImageRow
    {
        public string Label { get; set; } = "";

        public string ImagePath { get; set; } = "";

        public string MaskPath { get; set; } = "";

        public string Group { get; set; } = "";
    }
}
