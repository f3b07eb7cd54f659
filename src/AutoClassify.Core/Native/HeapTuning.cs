using System.Globalization;
using System.Runtime.InteropServices;

namespace AutoClassify.Native;

/// <summary>
/// Keeps glibc from handing large blocks back to the kernel after every forward pass. By default glibc serves
/// each block above its mmap threshold (128 KiB, raised up to 32 MiB as it adapts) with a fresh mapping and unmaps
/// it on free, so every batch's activations (a LipNet-4 conv output at batch 256 is 26 MB) cost a page fault per
/// 4 KiB. Raising the mmap threshold to 256 MiB and the trim threshold to 512 MiB lets freed activations be reused:
/// on 2 cores CNN prediction went from about 2,850 to 4,850 crops/s. The price is that up to the trim threshold of
/// freed heap stays resident. Applied once, when the shim loads; <c>AUTOCLASSIFY_HEAP_TUNING=off</c>, or glibc's own
/// <c>MALLOC_MMAP_THRESHOLD_</c> / <c>MALLOC_TRIM_THRESHOLD_</c> variables, leave the allocator as configured.
/// </summary>
public static partial class HeapTuning
{
    /// <summary>Set to <c>off</c> to keep glibc's allocator defaults.</summary>
    public const string Variable = "AUTOCLASSIFY_HEAP_TUNING";

    /// <summary>Blocks below this size come from the heap and are reused after free.</summary>
    public const int MmapThresholdBytes = 256 << 20;

    /// <summary>Free memory at the top of the heap beyond this is returned to the kernel.</summary>
    public const int TrimThresholdBytes = 512 << 20;

    // glibc's malloc.h parameter numbers.
    const int TrimThresholdParameter = -1;
    const int MmapThresholdParameter = -3;

    static readonly Lock Gate = new();
    static bool attempted;

    /// <summary>
    /// glibc's environment variables that give a child process the thresholds this one sets (for benchmarks whose
    /// reference programs should run with the same allocator).
    /// </summary>
    public static IReadOnlyDictionary<string, string> ChildEnvironment { get; } = new Dictionary<string, string>
    {
        ["MALLOC_MMAP_THRESHOLD_"] = MmapThresholdBytes.ToString(CultureInfo.InvariantCulture),
        ["MALLOC_TRIM_THRESHOLD_"] = TrimThresholdBytes.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>True when the thresholds were set in this process.</summary>
    public static bool Applied { get; private set; }

    /// <summary>Why the allocator was left alone, or null when it was tuned (or not yet attempted).</summary>
    public static string? SkippedBecause { get; private set; }

    /// <summary>Tunes the allocator unless switched off; only the first call does anything.</summary>
    public static void ApplyOnce()
    {
        lock (Gate)
        {
            if (attempted)
                return;
            attempted = true;
            SkippedBecause = Reason();
            if (SkippedBecause is not null)
                return;
            try
            {
                Applied = MallOpt(MmapThresholdParameter, MmapThresholdBytes) == 1 & MallOpt(TrimThresholdParameter, TrimThresholdBytes) == 1;
                if (!Applied)
                    SkippedBecause = "mallopt refused the thresholds";
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
            {
                SkippedBecause = "no glibc mallopt: " + e.Message;
            }
        }
    }

    static string? Reason()
    {
        if (!OperatingSystem.IsLinux())
            return "not Linux";
        if (string.Equals(Environment.GetEnvironmentVariable(Variable)?.Trim(), "off", StringComparison.OrdinalIgnoreCase))
            return $"{Variable}=off";
        foreach (var glibc in ChildEnvironment.Keys)
        {
            if (Environment.GetEnvironmentVariable(glibc) is not null)
                return $"{glibc} is set";
        }
        return null;
    }

    [LibraryImport("libc.so.6", EntryPoint = "mallopt")]
    private static partial int MallOpt(int parameter, int value);
}
