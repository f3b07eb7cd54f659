namespace AutoClassify.Imaging.Formats;

/// <summary>
/// The microscope formats beside the codec's PNG/JPEG/TIFF/BMP: MRC (<c>.mrc</c>, <c>.mrcs</c>, 2D <c>.map</c>),
/// DigitalMicrograph (<c>.dm3</c>, <c>.dm4</c>) and TIA (<c>.ser</c>). Dispatches on the extension; a stack's
/// section is addressed as <c>file.mrcs#k</c> (see <see cref="EmPath"/>).
/// </summary>
public static class EmFormats
{
    /// <summary>Extensions (lowercase, with dot) of the microscope formats.</summary>
    public static IReadOnlyList<string> Extensions { get; } = [".mrc", ".mrcs", ".map", ".dm3", ".dm4", ".ser"];

    /// <summary>A short list for messages.</summary>
    public const string Names = "MRC, DM3/DM4, TIA SER";

    /// <summary>True when <paramref name="path"/> (or the file behind a <c>#k</c> section name) has a microscope format's extension.</summary>
    public static bool Handles(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var extension = Path.GetExtension(EmPath.FileOf(path));
        return Extensions.Contains(extension, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>
    /// True when <see cref="Decode"/> reads this file rather than OpenCV: a microscope format, or a TIFF of one
    /// channel of 32/64-bit values (float or integer), whose values need <see cref="IntensityMapping"/>.
    /// </summary>
    public static bool HandlesFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Handles(path) || (ImageCodec.FormatFromExtension(path) == ImageFileFormat.Tiff && File.Exists(path) && TiffMetadata.IsWide(path));
    }

    /// <summary>True for the extensions whose files may hold several sections (<c>.mrc</c>, <c>.mrcs</c>).</summary>
    public static bool IsStackExtension(string extension) =>
        extension.Equals(".mrcs", StringComparison.OrdinalIgnoreCase) || extension.Equals(".mrc", StringComparison.OrdinalIgnoreCase);

    /// <summary>How many 2D images the file holds: nz for MRC, 1 otherwise. Throws <see cref="ImageDecodeException"/> for a damaged MRC header.</summary>
    public static int SectionCount(string file, long maxPixels = EmImageLimits.DefaultMaxPixels)
    {
        ArgumentNullException.ThrowIfNull(file);
        return IsStackExtension(Path.GetExtension(file)) ? MrcReader.ReadHeader(file, maxPixels).Sections : 1;
    }

    /// <summary>
    /// The images a file holds: its sections <c>file#1..file#n</c> for an MRC stack, else the file itself (also
    /// when its header cannot be read: decoding it then reports the problem).
    /// </summary>
    public static IReadOnlyList<string> Expand(string file)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (!IsStackExtension(Path.GetExtension(file)))
            return [file];
        try
        {
            var count = SectionCount(file, long.MaxValue);
            return count > 1 ? [.. Enumerable.Range(0, count).Select(k => EmPath.Section(file, k))] : [file];
        }
        catch (ImageDecodeException)
        {
            return [file];
        }
    }

    /// <summary>Reads the stored values of a microscope image (a stack's section by its <c>#k</c> name).</summary>
    public static EmImage Read(string path, long maxPixels = EmImageLimits.DefaultMaxPixels)
    {
        var (file, section) = EmPath.Split(path);
        return Path.GetExtension(file).ToUpperInvariant() switch
        {
            ".MRC" or ".MRCS" or ".MAP" => ReadMrc(file, section, maxPixels),
            ".DM3" or ".DM4" => DmReader.Read(file, maxPixels),
            ".SER" => SerReader.Read(file, maxPixels),
            ".TIF" or ".TIFF" => TiffMetadata.ReadWide(file, maxPixels),
            _ => throw new ImageDecodeException(path, $"not a microscope format ({Names})"),
        };
    }

    /// <summary>Reads a microscope image and maps it to [0, 1] grey with <see cref="IntensityMapping"/>.</summary>
    public static GrayImage Decode(string path, long maxPixels = EmImageLimits.DefaultMaxPixels) => IntensityMapping.ToGray(Read(path, maxPixels));

    /// <summary>The pixel size in a microscope file's header (no pixels read), with the reader's warnings.</summary>
    public static (ImageScale? Scale, IReadOnlyList<string> Warnings) ReadScale(string path)
    {
        var (file, _) = EmPath.Split(path);
        switch (Path.GetExtension(file).ToUpperInvariant())
        {
            case ".MRC" or ".MRCS" or ".MAP":
                var header = MrcReader.ReadHeader(file);
                return (header.Scale, header.Warnings);
            case ".DM3" or ".DM4":
                var dm = DmReader.ReadHeader(file);
                return (dm.Scale, dm.Warnings);
            case ".SER":
                return (SerReader.ReadHeader(file).Scale, []);
            default:
                return (null, []);
        }
    }

    static EmImage ReadMrc(string file, int? section, long maxPixels)
    {
        if (section is { } k)
            return MrcReader.Read(file, k, maxPixels);
        var header = MrcReader.ReadHeader(file, maxPixels);
        if (header.Sections > 1)
            throw new ImageDecodeException(file, $"it is a stack of {header.Sections} images; name one section as '{EmPath.Section(Path.GetFileName(file), 0)}' (data sets and folders expand stacks by themselves)");
        return MrcReader.Read(file, 0, maxPixels);
    }
}
