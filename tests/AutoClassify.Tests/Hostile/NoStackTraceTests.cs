using System.Text;
using System.Text.RegularExpressions;
using AutoClassify.Tests.Support;
using static AutoClassify.Tests.Support.CliRunner;

namespace AutoClassify.Tests.Hostile;

public sealed partial class NoStackTraceTests(HostileFixture fixture) : IClassFixture<HostileFixture>, IDisposable
{
    readonly TempDirectory temp = new("hostile-traces");

    public void Dispose() => temp.Dispose();

    [Fact]
    public void Should_answer_every_command_with_bad_input_in_plain_lines_without_stack_frames_or_type_names()
    {
        // Given a collection of bad inputs: missing paths, files where folders belong, garbage images, packages and weights
        var missing = temp.Combine("no-such-thing");
        var plain = temp.File("plain.txt");
        File.WriteAllText(plain, "not an image, not a folder");
        var empty = temp.Combine("empty");
        Directory.CreateDirectory(empty);
        var garbageData = temp.Combine("garbage");
        foreach (var name in new[] { "a", "b" })
        {
            Directory.CreateDirectory(Path.Combine(garbageData, name));
            for (var i = 0; i < 3; i++)
                File.WriteAllText(Path.Combine(garbageData, name, $"{i}.png"), "junk");
        }
        var garbagePackage = temp.File("garbage.acpkg");
        File.WriteAllBytes(garbagePackage, Encoding.ASCII.GetBytes("PK\u0003\u0004 this is no zip"));
        var badWeights = temp.File("bad.safetensors");
        WriteOverflowingSafetensors(badWeights);
        var truncatedPth = temp.File("bad.pth");
        File.WriteAllBytes(truncatedPth, [0x80, 0x02, 0x8a, 0x0a]);
        var badFeatures = temp.File("features.csv");
        File.WriteAllText(badFeatures, "path,x\nlarge/large_000.png,not-a-number\n");
        var registry = temp.Combine("models");
        var output = temp.Combine("out");

        string[][] runs =
        [
            ["benchmark", missing, "--out", output],
            ["benchmark", plain, "--out", output],
            ["benchmark", empty, "--out", output],
            ["benchmark", garbageData, "--folds", "2", "--out", output],
            ["benchmark", fixture.Data, "--out", Path.Combine(plain, "below")],
            ["benchmark", fixture.Data, "--folds", "2", "--features", badFeatures, "--grid", "coarse", "--out", output],
            ["benchmark", fixture.Data, "--folds", "2", "--features", missing, "--out", output],
            ["benchmark", fixture.Data, "--folds", "2", "--models", "resnet18-frozen", "--weights", badWeights, "--out", output],
            ["benchmark", fixture.Data, "--folds", "2", "--models", "resnet18-frozen", "--weights", truncatedPth, "--out", output],
            ["benchmark", fixture.Data, "--folds", "2", "--max-image-pixels", "10", "--out", output],
            ["features", missing, "--out", temp.File("f.csv")],
            ["features", garbageData, "--out", temp.File("f.csv")],
            ["features", fixture.Data, "--out", empty],
            ["synth", plain],
            ["train", missing, "--name", "m", "--registry", registry],
            ["train", fixture.Data, "--name", "../evil", "--registry", registry],
            ["train", fixture.Data, "--name", "m", "--model", "nonsense", "--registry", registry],
            ["train", fixture.Data, "--name", "m", "--registry", plain],
            ["predict", garbagePackage, fixture.Data, "--out", temp.File("p.csv")],
            ["predict", missing + ".acpkg", fixture.Data, "--out", temp.File("p.csv")],
            ["predict", "unknown-model", fixture.Data, "--registry", registry, "--out", temp.File("p.csv")],
            ["predict", fixture.Package, missing, "--out", temp.File("p.csv")],
            ["predict", fixture.Package, garbageData, "--out", temp.File("p.csv")],
            ["predict", fixture.Package, fixture.Data, "--out", empty],
            ["predict", fixture.Package, fixture.Data, "--out", temp.File("p.csv"), "--batch-size", "0"],
            ["predict", fixture.Package, fixture.Data, "--out", temp.File("p.csv"), "--max-image-pixels", "10"],
            ["map", fixture.Package, fixture.Data, "--maps", temp.Combine("maps")],
            ["models", "show", "unknown", "--registry", registry],
            ["models", "promote", "unknown", "7", "--registry", registry],
            ["models", "list", "--registry", plain],
            ["retrain", "unknown", "--add", fixture.Data, "--registry", registry],
            ["retrain", "unknown", "--add", missing, "--registry", registry],
            ["segment", missing, "--out", output],
            ["segment", garbageData, "--out", output],
            ["segment", plain, "--out", output],
        ];

        foreach (var args in runs)
        {
            // When each runs
            var (code, stdout, stderr) = Run(args);
            var what = string.Join(' ', args);

            // Then it fails with a documented code and says why in plain words: no stack frame, no .NET type, no internals
            Assert.True(code is 1 or 2 or 3, $"{what}: exit {code}\n{stderr}");
            Assert.False(string.IsNullOrWhiteSpace(stdout + stderr), $"{what}: said nothing");
            foreach (var line in (stdout + "\n" + stderr).Split('\n'))
            {
                Assert.False(StackFrame().IsMatch(line), $"{what}: stack frame: {line}");
                Assert.False(TypeName().IsMatch(line), $"{what}: .NET type name: {line}");
                Assert.False(Internals().IsMatch(line), $"{what}: internals: {line}");
            }
        }
    }

    [Fact]
    public void Should_say_plainly_that_a_safetensors_header_declares_an_impossible_shape()
    {
        var path = temp.File("overflow.safetensors");
        WriteOverflowingSafetensors(path);

        var ex = Assert.Throws<InvalidDataException>(() => AutoClassify.Tensors.SafeTensorsFile.Load(path));

        Assert.Contains("too large for any file", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_turn_developer_messages_into_user_words()
    {
        Assert.Equal("Input size must be at least 8 (got 4)", AutoClassify.Cli.CliApp.Plain("Input size must be at least 8 (Parameter 'inputSize')\nActual value was 4."));
        Assert.Equal("cannot decode: the image library refused the data",
            AutoClassify.Cli.CliApp.Plain("cannot decode: OpenCV(4.6.0) ./modules/imgcodecs/src/loadsave.cpp:77: error: (-215:Assertion failed) pixels <= CV_IO_MAX_IMAGE_PIXELS in function 'validateInputImageSize'"));
        Assert.Equal("the image library reported: could not find a writer for the specified extension",
            AutoClassify.Native.NativeShim.Readable("OpenCV(4.6.0) /x/loadsave.cpp:730: error: (-2:Unspecified error) could not find a writer for the specified extension in function 'imwrite_'"));
    }

    // A header whose one tensor has a shape whose element count overflows 64 bits.
    static void WriteOverflowingSafetensors(string path)
    {
        var header = Encoding.UTF8.GetBytes("{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4294967296],\"data_offsets\":[0,4]}}");
        var bytes = new byte[8 + header.Length + 4];
        BitConverter.GetBytes((long)header.Length).CopyTo(bytes, 0);
        header.CopyTo(bytes, 8);
        File.WriteAllBytes(path, bytes);
    }

    [GeneratedRegex(@"^\s+at [\w.<>`]+\.[\w<>`|]+\(")]
    private static partial Regex StackFrame();

    [GeneratedRegex(@"\bSystem\.[A-Z]\w*(\.\w+)*(Exception|`\d)|\b\w+Exception\b")]
    private static partial Regex TypeName();

    [GeneratedRegex(@"\(Parameter '|Actual value was|-215:Assertion|\.cpp:\d+|in function '")]
    private static partial Regex Internals();
}
