using System.Buffers.Binary;
using System.Text;
using AutoClassify.Tensors;
using AutoClassify.Tests.Support;

namespace AutoClassify.Tests.Tensors;

[Collection(TorchTests.Name)]
public class SafeTensorsFileTests
{
    [Fact]
    public void Should_round_trip_float32_and_int64_tensors_in_order()
    {
        using var temp = new TempDirectory();
        using var scope = DisposeScope.Begin();
        var path = temp.File("w.safetensors");
        var tensors = new OrderedDictionary<string, Tensor>
        {
            ["b.weight"] = Tensor.FromArray(new float[] { 1.5f, -2, 3 }, [3, 1]),
            ["a.count"] = Tensor.FromArray(new long[] { 42 }, []),
            ["empty"] = Tensor.Zeros([0, 2]),
        };

        SafeTensorsFile.Save(path, tensors);
        var loaded = SafeTensorsFile.Load(path);

        Assert.Equal(["b.weight", "a.count", "empty"], loaded.Keys);
        Assert.Equal([1.5f, -2f, 3f], loaded["b.weight"].ToArray<float>());
        Assert.Equal([3L, 1L], loaded["b.weight"].Shape);
        Assert.Equal(ScalarType.Int64, loaded["a.count"].DType);
        Assert.Equal(42L, loaded["a.count"].ToInt64());
        Assert.Equal([0L, 2L], loaded["empty"].Shape);
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(File.ReadAllBytes(path));
        Assert.Equal(0UL, headerLength % 8);
    }

    [Theory]
    [InlineData("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,16]}}""", 8, "run past")]
    [InlineData("""{"w":{"dtype":"Q7","shape":[2],"data_offsets":[0,8]}}""", 8, "unknown dtype 'Q7'")]
    [InlineData("""{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", 8, "needs 12")]
    [InlineData("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[4,0]}}""", 8, "invalid data_offsets")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8, "overlap")]
    [InlineData("""{"w":""", 8, "not valid JSON")]
    [InlineData("""{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,8]}}""", 8, "invalid shape")]
    public void Should_refuse_a_malformed_header_with_a_clear_message(string header, int dataBytes, string expected)
    {
        using var temp = new TempDirectory();
        var path = temp.File("bad.safetensors");
        var json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)json.Length);
        json.CopyTo(bytes, 8);
        File.WriteAllBytes(path, bytes);

        var ex = Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Load(path));

        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_refuse_a_header_length_beyond_the_end_of_the_file()
    {
        using var temp = new TempDirectory();
        var path = temp.File("short.safetensors");
        var bytes = new byte[12];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 1000);
        File.WriteAllBytes(path, bytes);

        var ex = Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Load(path));

        Assert.Contains("header length 1000", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_replace_an_existing_file_without_leaving_temporary_files()
    {
        using var temp = new TempDirectory();
        using var scope = DisposeScope.Begin();
        var path = temp.File("w.safetensors");
        SafeTensorsFile.Save(path, [new("x", Tensor.Ones([2]))]);

        SafeTensorsFile.Save(path, [new("x", Tensor.Full([3], 7))]);

        Assert.Equal([7f, 7f, 7f], SafeTensorsFile.Load(path)["x"].ToArray<float>());
        Assert.Equal([path], Directory.GetFiles(temp.Path));
    }
}
