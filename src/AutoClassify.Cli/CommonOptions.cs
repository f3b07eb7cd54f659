using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using AutoClassify.Imaging;
using AutoClassify.Models.Segmenters;
using AutoClassify.Preprocessing;
using AutoClassify.Tensors;

namespace AutoClassify.Cli;

/// <summary>Options that several commands share, declared once.</summary>
internal static class CommonOptions
{
    internal static Argument<DirectoryInfo> DatasetArgument() => new("dataset")
    {
        Description = "Folder with one subfolder per class.",
    };

    internal static Option<int> Seed(int defaultValue) => new("--seed")
    {
        Description = "Seed for every random choice; the report prints it.",
        DefaultValueFactory = _ => defaultValue,
    };

    internal static Option<int> Threads() => new("--threads")
    {
        Description = "Worker threads (0 = all cores).",
        DefaultValueFactory = _ => 0,
        Validators = { r => NonNegative(r, "--threads") },
    };

    internal static Option<CropMargins> Crop() => new("--crop")
    {
        Description = "Pixels cut from each edge as top,bottom,left,right (manual banner removal), e.g. 0,32,0,0.",
        CustomParser = r =>
        {
            var text = r.Tokens.Count == 1 ? r.Tokens[0].Value : "";
            try
            {
                return CropMargins.Parse(text);
            }
            catch (FormatException ex)
            {
                r.AddError(ex.Message);
                return default;
            }
        },
    };

    internal static Option<BannerMode> Banner() => new("--banner")
    {
        HelpName = "crop|reflect|keep",
        Description = "Burned-in data banners (info bars with date and scale bar) found after --crop: crop (default), reflect (mirror the rows beside it, keeps the size) or keep (warns: the text can leak labels).",
        DefaultValueFactory = _ => BannerMode.Crop,
        CustomParser = r =>
        {
            var text = r.Tokens.Count == 1 ? r.Tokens[0].Value : "";
            try
            {
                return BannerDetector.ParseMode(text);
            }
            catch (FormatException ex)
            {
                r.AddError(ex.Message);
                return default;
            }
        },
    };

    /// <summary><c>--flips 1|2|4</c>: the views of every tile whose probabilities a U-Net averages at prediction.</summary>
    internal static Option<int> Flips()
    {
        var option = new Option<int>("--flips")
        {
            HelpName = "1|2|4",
            Description = "Test-time flips of a U-Net: average its probabilities over 1 (default), 2 (also the left-right mirror) or 4 views "
                + "(also the top-bottom mirror and both), each mirrored back; that many forward passes per image.",
            DefaultValueFactory = _ => 1,
        };
        option.Validators.Add(r =>
        {
            var views = r.GetValueOrDefault<int>();
            if (!UNetSegmenter.TestTimeFlipCounts.Contains(views))
            {
                var counts = UNetSegmenter.TestTimeFlipCounts;
                r.AddError($"--flips must be {string.Join(", ", counts.SkipLast(1))} or {counts[^1]}, not {views}.");
            }
        });
        return option;
    }

    /// <summary><c>--precision fp32|bf16</c>: the number format of a U-Net's forward passes at prediction.</summary>
    internal static Option<InferencePrecision> Precision() => PrecisionOption("--precision",
        "Number format of a U-Net's forward passes: fp32 (default) or bf16, about twice as fast on CPUs with AVX512-BF16 or AMX "
        + "(refused elsewhere, where it is emulated and slower); probabilities differ by a few 1e-4 on average, so a few boundary pixels may change label.");

    /// <summary><c>--train-precision fp32|bf16</c>: the number format of a U-Net's training steps (<see cref="Models.Segmenters.UNetOptions.TrainingPrecision"/>).</summary>
    internal static Option<InferencePrecision> TrainingPrecision() => PrecisionOption("--train-precision",
        "Number format of a U-Net's training steps: fp32 (default) or bf16, CPU autocast (convolutions in bfloat16; weights, optimiser and loss in float32), "
        + "about 1.4 times as fast a step on CPUs with AVX512-BF16 or AMX (refused elsewhere); another path through training, so other weights.");

    static Option<InferencePrecision> PrecisionOption(string name, string description) => new(name)
    {
        HelpName = "fp32|bf16",
        Description = description,
        DefaultValueFactory = _ => InferencePrecision.Float32,
        CustomParser = r =>
        {
            var text = r.Tokens.Count == 1 ? r.Tokens[0].Value : "";
            if (InferencePrecisions.Parse(text) is { } parsed)
                return parsed;
            r.AddError($"{name} must be fp32 or bf16, not '{text}'.");
            return default;
        },
    };

    /// <summary>Refuses bfloat16 on a CPU that would emulate it (slower than float32), naming the option that asked for it.</summary>
    internal static void RequireFastPrecision(InferencePrecision precision, string option = "--precision")
    {
        if (precision == InferencePrecision.BFloat16 && !InferencePrecisions.NativeBFloat16)
            throw new ArgumentException($"{option} bf16 needs a CPU with native bfloat16 (avx512_bf16 or amx_bf16 in /proc/cpuinfo); this one would emulate it, slower than fp32. Leave {option} out.");
    }

    internal static Option<double?> NmPerPixel(string description)
    {
        var option = new Option<double?>("--nm-per-pixel") { Description = description };
        option.Validators.Add(r =>
        {
            if (Value<double>(r) is { } v && !(v > 0 && double.IsFinite(v)))
                r.AddError("--nm-per-pixel must be a positive number.");
        });
        return option;
    }

    internal static Option<double?> ResampleNm()
    {
        var option = new Option<double?>("--resample-nm")
        {
            Description = "Rescale every image to this many nm per pixel (from --nm-per-pixel or each file's own pixel size) before features and networks, so magnification cannot stand in for the specimen.",
        };
        option.Validators.Add(r =>
        {
            if (Value<double>(r) is { } v && !(v > 0 && double.IsFinite(v)))
                r.AddError("--resample-nm must be a positive number.");
        });
        return option;
    }

    /// <summary>The option's name; <see cref="CliApp"/> applies it around any command that declares it.</summary>
    internal const string MaxImagePixelsName = "--max-image-pixels";

    internal static Option<long> MaxImagePixels()
    {
        var option = new Option<long>(MaxImagePixelsName)
        {
            Description = string.Create(CultureInfo.InvariantCulture,
                $"Largest image decoded, in pixels (width x height from the file's header); larger files are refused by name. Default {ImageLimits.DefaultMaxPixels} (2^28), at most {ImageLimits.DecoderMaxPixels} (2^30)."),
            DefaultValueFactory = _ => ImageLimits.DefaultMaxPixels,
        };
        option.Validators.Add(r =>
        {
            if (Value<long>(r) is { } v && (v < 1 || v > ImageLimits.DecoderMaxPixels))
                r.AddError(string.Create(CultureInfo.InvariantCulture, $"{MaxImagePixelsName} must lie between 1 and {ImageLimits.DecoderMaxPixels} (2^30, the most the image decoder reads), not {v}."));
        });
        return option;
    }

    /// <summary>The option's name; <see cref="CliApp"/> applies it around any command that declares it.</summary>
    internal const string KeepDamagedJpegName = "--keep-damaged-jpeg";

    internal static Option<bool> KeepDamagedJpeg() => new(KeepDamagedJpegName)
    {
        Description = "Keep JPEGs whose compressed data is damaged (the decoder fills in what it cannot read), with a warning each, instead of skipping them.",
    };

    internal static Option<int> InnerFolds()
    {
        var option = new Option<int>("--inner-folds") { Description = "Inner CV folds for the SVM's C/gamma search.", DefaultValueFactory = _ => 3 };
        option.Validators.Add(r => AtLeast(r, "--inner-folds", 2));
        return option;
    }

    internal static Option<string> Grid()
    {
        var option = new Option<string>("--grid") { Description = "SVM grid over log2 C and gamma: full (step 2) or coarse (step 4).", DefaultValueFactory = _ => "full" };
        option.AcceptOnlyFromAmong("full", "coarse");
        return option;
    }

    internal static void NonNegative(OptionResult result, string name)
    {
        if (Value<int>(result) < 0)
            result.AddError($"{name} must be zero or more.");
    }

    internal static void AtLeast(OptionResult result, string name, int minimum)
    {
        if (Value<int>(result) < minimum)
            result.AddError($"{name} must be at least {minimum}.");
    }

    /// <summary>
    /// The option's value for a validator, or null when the text does not convert (for example <c>--folds five</c>):
    /// the parser reports that error itself, and a validator must not throw over it.
    /// </summary>
    internal static T? Value<T>(OptionResult result)
        where T : struct
    {
        try
        {
            return result.GetValueOrDefault<T?>();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }
}
