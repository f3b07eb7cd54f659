using System.Buffers.Binary;
using AutoClassify.Dataset;
using AutoClassify.Features;
using AutoClassify.Imaging;
using AutoClassify.Preprocessing;

namespace AutoClassify.Bench;

internal sealed partial class HugeImageBench
{
    const double ResampleFromNm = 1, ResampleToNm = 4;

    /// <summary>
    /// Peak RSS, old way against new, of each step besides <c>predict</c> that reads a huge image: <c>features</c> on a
    /// two-class folder holding the huge PNG, TIFF, JPEG and BMP (old: the loader's whole decode, every prepared image
    /// held, no reduction); reducing a huge BMP and MRC (old: decoded whole, then reduced); <c>--resample-nm</c> from 1 to
    /// 4 nm of the huge PNG (old: whole, then resampled); and reading its banner for the scale survey (old: whole decode).
    /// Every old and new run is a fresh process (this bench in child mode, or the CLI).
    /// </summary>
    static void RunSteps(string cli, string small, int side, string work)
    {
        var huge = Path.Combine(work, "huge");
        var image = Field(side);
        var bmp = Path.Combine(work, "huge.bmp");
        File.WriteAllBytes(bmp, ImageCodec.Encode(image, ImageFileFormat.Bmp));
        var mrc = Path.Combine(work, "huge.mrc");
        WriteMrc(mrc, image);
        var data = Path.Combine(work, "features-data");
        var crops = Directory.GetFiles(small).Order(StringComparer.Ordinal).ToArray();
        foreach (var (label, files) in new[] { ("a", crops.Where((_, i) => i % 2 == 0)), ("b", crops.Where((_, i) => i % 2 == 1)) })
        {
            Directory.CreateDirectory(Path.Combine(data, label));
            foreach (var file in files)
                File.Copy(file, Path.Combine(data, label, Path.GetFileName(file)));
        }
        foreach (var file in new[] { Path.Combine(huge, "huge.png"), bmp })
            File.Copy(file, Path.Combine(data, "a", Path.GetFileName(file)));
        Console.WriteLine(Invariant($"huge.bmp {new FileInfo(bmp).Length / 1e6:F0} MB, huge.mrc (uint16) {new FileInfo(mrc).Length / 1e6:F0} MB; features data: {crops.Length} crops, huge.png and huge.bmp in 2 classes, one worker"));
        var bench = typeof(HugeImageBench).Assembly.Location;
        string[] Child(string name, string path) => [bench, "huge-image", "--child=" + name, "--path=" + path];
        var png = Path.Combine(huge, "huge.png");
        var steps = new (string Step, string[] Old, string[] New)[]
        {
            ("features (2 huge)", Child("features-old", data), [cli, "features", data, "--out", Path.Combine(work, "features.csv"), "--threads", "1"]),
            ("reduce huge.bmp", Child("decode-old", bmp), Child("decode-new", bmp)),
            ("reduce huge.mrc", Child("decode-old", mrc), Child("decode-new", mrc)),
            ("resample 1->4 nm png", Child("resample-old", png), Child("resample-new", png)),
            ("banner scale png", Child("banner-old", png), Child("banner-new", png)),
        };
        Console.WriteLine($"{"step",-22} {"old MiB",10} {"new MiB",10}");
        foreach (var (step, old, current) in steps)
        {
            var (oldPeak, _) = Peak(old);
            var (newPeak, _) = Peak(current);
            Console.WriteLine(Invariant($"{step,-22} {oldPeak / 1048576.0,10:F0} {newPeak / 1048576.0,10:F0}"));
        }
        Console.WriteLine();
    }

    // One step in this process, the old way or the new; run by RunSteps as `bench huge-image --child=NAME --path=P`.
    static void RunChild(string child, string path)
    {
        var factor = Math.Max(2, ImageReduction.FactorFor(path, ImageReduction.DefaultReduceAbovePixels));
        GrayImage result;
        switch (child)
        {
            case "features-old":
                // The command as it was: every image decoded whole by the loader, all prepared at full resolution and held, then measured.
                static (int, int) Whole(string file)
                {
                    var decoded = ImageCodec.Decode(file);
                    return (decoded.Width, decoded.Height);
                }
                var dataset = DatasetLoader.Load(path, new DatasetOptions { Folds = 1, Threads = 1, Probe = Whole });
                var prepared = ImagePreparation.PrepareAll(dataset, default, BannerMode.Crop, 1);
                var matrix = HandcraftedFeatures.ExtractAll([.. prepared.Select(p => p.Image)], [.. prepared.Select(p => p.Mask)], threads: 1);
                Console.WriteLine($"{matrix.Count} rows");
                return;
            case "decode-old":
                result = ImageReduction.Reduce(ImageCodec.Decode(path), factor);
                break;
            case "decode-new":
                result = ImageReduction.DecodeReduced(path, factor);
                break;
            case "resample-old":
                result = ScaleResampling.Apply(ImagePreparation.Prepare(path, null, default), ResampleFromNm, ResampleToNm).Image;
                break;
            case "resample-new":
                var reduced = ImagePreparation.Prepare(path, null, default, BannerMode.Crop, null, ScaleResampling.DecodeFactor(ResampleFromNm, ResampleToNm));
                result = ScaleResampling.Apply(reduced, ResampleFromNm, ResampleToNm).Image;
                break;
            case "banner-old":
                Console.WriteLine(BannerScale.Read(ImageCodec.Decode(path), path).Scale?.Source ?? "no scale");
                return;
            case "banner-new":
                Console.WriteLine(BannerScale.Read(path).Scale?.Source ?? "no scale");
                return;
            default:
                throw new ArgumentException($"unknown child step '{child}'");
        }
        Console.WriteLine($"{result.Width}x{result.Height}");
    }

    // A one-section uint16 MRC (mode 6, little-endian) of the field's grey values × 4,000.
    static void WriteMrc(string path, GrayImage image)
    {
        using var file = File.Create(path);
        var header = new byte[1024];
        BinaryPrimitives.WriteInt32LittleEndian(header, image.Width);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(4), image.Height);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(8), 1);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(12), 6);
        "MAP "u8.CopyTo(header.AsSpan(208));
        (header[212], header[213]) = (0x44, 0x44);
        file.Write(header);
        var row = new byte[image.Width * 2];
        for (var y = 0; y < image.Height; y++)
        {
            for (var x = 0; x < image.Width; x++)
                BinaryPrimitives.WriteUInt16LittleEndian(row.AsSpan(2 * x), (ushort)(image.Pixels[((long)y * image.Width) + x] * 4_000));
            file.Write(row);
        }
    }
}
