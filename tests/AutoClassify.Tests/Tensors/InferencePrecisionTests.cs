using AutoClassify.Tensors;

namespace AutoClassify.Tests.Tensors;

public class InferencePrecisionTests
{
    // Two processors' worth of /proc/cpuinfo, shortened, as Linux writes it (a tab before the colon).
    const string Epyc = "processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu sse2 avx2 avx512f avx512bw avx512_bf16 avx512_vnni\nbugs\t\t: sysret_ss_attrs\n\n" +
        "processor\t: 1\nflags\t\t: fpu sse2 avx2 avx512f avx512bw avx512_bf16 avx512_vnni\n";
    const string Skylake = "processor\t: 0\nmodel name\t: Intel(R) Xeon(R) avx512_bf16 in a name is not a flag\nflags\t\t: fpu sse2 avx2 avx512f avx512bw avx512vl\n";
    const string SapphireRapids = "processor\t: 0\nflags\t\t: avx512f amx_bf16 amx_tile amx_int8\n";

    [Fact]
    public void Should_find_native_bfloat16_only_in_the_flags_lines()
    {
        Assert.True(InferencePrecisions.HasNativeBFloat16(Epyc));
        Assert.True(InferencePrecisions.HasNativeBFloat16(SapphireRapids));
        Assert.False(InferencePrecisions.HasNativeBFloat16(Skylake));
        Assert.False(InferencePrecisions.HasNativeBFloat16(""));
        Assert.False(InferencePrecisions.HasNativeBFloat16("flags\t\t: avx512_bf16x\n"));
    }

    [Theory]
    [InlineData("fp32", InferencePrecision.Float32)]
    [InlineData("BF16", InferencePrecision.BFloat16)]
    [InlineData(" bfloat16 ", InferencePrecision.BFloat16)]
    public void Should_parse_the_names_it_writes(string text, InferencePrecision expected)
    {
        Assert.Equal(expected, InferencePrecisions.Parse(text));
        Assert.Equal(expected, InferencePrecisions.Parse(expected.Name()));
    }

    [Fact]
    public void Should_refuse_other_formats_and_map_to_libtorch_types()
    {
        Assert.Null(InferencePrecisions.Parse("fp16"));
        Assert.Null(InferencePrecisions.Parse(null));
        Assert.Equal(ScalarType.Float32, InferencePrecision.Float32.ScalarType());
        Assert.Equal(ScalarType.BFloat16, InferencePrecision.BFloat16.ScalarType());
    }
}
