namespace AutoClassify.Tensors;

// Named after the number formats, as ScalarType is (CA1720).
#pragma warning disable CA1720

/// <summary>
/// The number format a trained network's forward pass runs in. Training is always float32; prediction may run in
/// bfloat16 (8 exponent bits like float32, 8 mantissa bits), which oneDNN computes natively on CPUs with AVX512-BF16
/// or AMX and about twice as fast there. Probabilities then differ from float32's by a few 1e-4 on average and a few
/// 1e-2 at most, so a label can flip where two classes are nearly tied; float32 is the default.
/// </summary>
public enum InferencePrecision
{
    Float32,
    BFloat16,
}

#pragma warning restore CA1720

/// <summary>Facts about <see cref="InferencePrecision"/> values and the CPU that runs them.</summary>
public static class InferencePrecisions
{
    static readonly Lazy<bool> NativeBFloat16Here = new(() =>
    {
        const string cpuinfo = "/proc/cpuinfo";
        try
        {
            return File.Exists(cpuinfo) && HasNativeBFloat16(File.ReadAllText(cpuinfo));
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    });

    /// <summary>The tensor element type of <paramref name="precision"/>.</summary>
    public static ScalarType ScalarType(this InferencePrecision precision) => precision switch
    {
        InferencePrecision.Float32 => Tensors.ScalarType.Float32,
        InferencePrecision.BFloat16 => Tensors.ScalarType.BFloat16,
        _ => throw new ArgumentOutOfRangeException(nameof(precision), precision, "Unknown precision."),
    };

    /// <summary>The name on the command line and in reports: <c>fp32</c> or <c>bf16</c>.</summary>
    public static string Name(this InferencePrecision precision) => precision switch
    {
        InferencePrecision.Float32 => "fp32",
        InferencePrecision.BFloat16 => "bf16",
        _ => throw new ArgumentOutOfRangeException(nameof(precision), precision, "Unknown precision."),
    };

    /// <summary>The precision a <see cref="Name"/> names; null for anything else.</summary>
    public static InferencePrecision? Parse(string? name) => name?.Trim().ToLowerInvariant() switch
    {
        "fp32" or "float32" => InferencePrecision.Float32,
        "bf16" or "bfloat16" => InferencePrecision.BFloat16,
        _ => null,
    };

    /// <summary>
    /// True when this machine's CPU computes bfloat16 dot products in hardware (Linux's <c>/proc/cpuinfo</c> lists
    /// <c>avx512_bf16</c> or <c>amx_bf16</c>). Elsewhere libtorch still runs bfloat16, but emulated, slower than float32.
    /// </summary>
    public static bool NativeBFloat16 => NativeBFloat16Here.Value;

    /// <summary>True when a <c>/proc/cpuinfo</c> text lists a native bfloat16 instruction set on its flags lines.</summary>
    public static bool HasNativeBFloat16(string cpuinfo)
    {
        ArgumentNullException.ThrowIfNull(cpuinfo);
        foreach (var line in cpuinfo.Split('\n'))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0 || !line.AsSpan(0, colon).Trim().SequenceEqual("flags"))
                continue;
            foreach (var flag in line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                if (flag is "avx512_bf16" or "amx_bf16")
                    return true;
            }
        }
        return false;
    }
}
