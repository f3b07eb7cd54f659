using AutoClassify.Native;

namespace AutoClassify.Tests;

public class NativeShimTests
{
    [Fact]
    public void Should_turn_a_native_exception_into_a_managed_one_with_its_message()
    {
        var rc = NativeMethods.DebugThrow("boom from C++");

        Assert.Equal(-1, rc);
        var ex = Assert.Throws<NativeException>(NativeShim.CheckForErrors);
        Assert.Equal("boom from C++", ex.Message);
    }

    [Fact]
    public void Should_clear_the_last_error_after_a_successful_call()
    {
        NativeMethods.DebugThrow("first");
        Assert.False(string.IsNullOrEmpty(NativeShim.Version));
        NativeShim.CheckForErrors();
    }

    [Fact]
    public void Should_tune_the_heap_once_the_shim_is_loaded_unless_the_environment_says_otherwise()
    {
        // Given the shim is loaded (any call loads it)
        Assert.False(string.IsNullOrEmpty(NativeShim.Version));
        var optedOut = Environment.GetEnvironmentVariable(HeapTuning.Variable) is not null
            || Environment.GetEnvironmentVariable("MALLOC_MMAP_THRESHOLD_") is not null
            || Environment.GetEnvironmentVariable("MALLOC_TRIM_THRESHOLD_") is not null;

        // When it is asked again
        HeapTuning.ApplyOnce();

        // Then glibc accepted both thresholds, or the reason it was left alone is named
        if (optedOut)
            Assert.NotNull(HeapTuning.SkippedBecause);
        else
            Assert.True(HeapTuning.Applied, HeapTuning.SkippedBecause);
    }
}
