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
}
