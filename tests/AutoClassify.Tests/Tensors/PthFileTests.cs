using System.IO.Compression;
using AutoClassify.Tensors;
using AutoClassify.Tests.Support;
using static AutoClassify.Tests.Support.BackboneFixtures;

namespace AutoClassify.Tests.Tensors;

[Collection(TorchTests.Name)]
public class PthFileTests
{
    const byte Proto = 0x80, Stop = (byte)'.', Reduce = (byte)'R', Tuple1 = 0x85, EmptyTuple = (byte)')', EmptyDict = (byte)'}';

    [Theory]
    [InlineData("odd_tensors.pth")]
    [InlineData("odd_tensors_legacy.pth")]
    public void Should_resolve_views_strides_offsets_and_dtypes_into_the_values_torch_saved(string fixture)
    {
        // Given the tensors make_pth_fixture.py builds from arange and friends, saved zip and legacy
        // When
        var state = PthFile.Load(Fixture(fixture));

        // Then every tensor reads back as PyTorch sees it, as a contiguous copy
        try
        {
            Assert.Equal(["transposed", "shared_base", "offset_view", "expanded", "half", "double", "long_scalar", "int32", "flags", "empty"], state.Keys);
            Assert.Equal([4L, 3L], state["transposed"].Shape);
            Assert.Equal(Enumerable.Range(0, 4).SelectMany(i => Enumerable.Range(0, 3).Select(j => (float)((j * 4) + i))), state["transposed"].ToArray<float>());
            Assert.Equal(Enumerable.Range(0, 20).Select(i => (float)i), state["shared_base"].ToArray<float>());
            Assert.Equal([2L, 3L], state["offset_view"].Shape);
            Assert.Equal([5f, 6f, 7f, 8f, 9f, 10f], state["offset_view"].ToArray<float>());
            Assert.Equal([1.5f, -2f, 1.5f, -2f, 1.5f, -2f], state["expanded"].ToArray<float>());
            Assert.Equal(ScalarType.Float32, state["half"].DType);
            Assert.Equal([0f, 0.5f, 1f, 1.5f, 2f, 2.5f], state["half"].ToArray<float>());
            Assert.Equal(ScalarType.Float32, state["double"].DType);
            Assert.Equal([0f, 1 / 3f, 2 / 3f, 1f], state["double"].ToArray<float>());
            Assert.Equal(ScalarType.Int64, state["long_scalar"].DType);
            Assert.Empty(state["long_scalar"].Shape);
            Assert.Equal(42L, state["long_scalar"].ToInt64());
            Assert.Equal([-2, -1, 0, 1, 2], state["int32"].ToArray<int>());
            Assert.Equal([true, false, true], state["flags"].ToArray<bool>());
            Assert.Equal([0L, 3L], state["empty"].Shape);
        }
        finally
        {
            Dispose(state);
        }
    }

    [Theory]
    [InlineData("resnet18_tiny.pth", StateDictFormat.TorchZip)]
    [InlineData("mobilenet_v2_tiny.pth", StateDictFormat.TorchLegacy)]
    public void Should_load_a_torchvision_state_dict_to_exactly_the_stored_tensors(string fixture, StateDictFormat format)
    {
        // Given the script's description of every stored tensor
        var expected = StateDictEntries(fixture);

        // When
        var state = StateDictFile.Load(Fixture(fixture));

        // Then keys, order, types, shapes and values match (sums to double rounding, end values bit for bit)
        try
        {
            Assert.Equal(format, StateDictFile.DetectFormat(Fixture(fixture)));
            Assert.Equal(expected.Select(e => e.Key), state.Keys);
            foreach (var entry in expected)
            {
                var tensor = state[entry.Key];
                Assert.Equal(entry.Shape, tensor.Shape);
                Assert.Equal(entry.DType == "int64" ? ScalarType.Int64 : ScalarType.Float32, tensor.DType);
                var values = tensor.ToFloatArray().Select(v => (double)v).ToArray();
                Assert.Equal(entry.Sum, values.Sum(), 1e-9 * Math.Max(1, entry.SumOfSquares));
                Assert.Equal(entry.SumOfSquares, values.Sum(v => v * v), 1e-9 * Math.Max(1, entry.SumOfSquares));
                Assert.Equal(entry.First, values[0]);
                Assert.Equal(entry.Last, values[^1]);
            }
        }
        finally
        {
            Dispose(state);
        }
    }

    [Fact]
    public void Should_read_the_same_tensors_back_from_a_safetensors_copy()
    {
        // Given the tiny ResNet read from .pth and written with our safetensors writer
        using var temp = new TempDirectory("pth");
        var copy = temp.File("copy.safetensors");
        var original = PthFile.Load(Fixture("resnet18_tiny.pth"));
        try
        {
            StateDictFile.Save(copy, original);

            // When both go through the one entry point
            var reread = StateDictFile.Load(copy);

            // Then the format is recognised by content and every value is identical
            try
            {
                Assert.Equal(StateDictFormat.SafeTensors, StateDictFile.DetectFormat(copy));
                Assert.Equal(original.Keys, reread.Keys);
                foreach (var (key, tensor) in original)
                    Assert.Equal(tensor.ToFloatArray(), reread[key].ToFloatArray());
            }
            finally
            {
                Dispose(reread);
            }
        }
        finally
        {
            Dispose(original);
        }
    }

    [Fact]
    public void Should_read_a_legacy_storage_view_at_its_offset_inside_the_root_storage()
    {
        // Given a hand-made legacy stream (as PyTorch < 1.6 wrote shared storages): tensor 'v' is elements 1..2 of
        // a view that starts at element 4 of a 10-element root storage holding 0..9
        using var temp = new TempDirectory("pth");
        var path = temp.File("view.pt");
        byte[] magic = [0x8a, 10, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];
        var data = new byte[8 + 40];
        BitConverter.TryWriteBytes(data.AsSpan(0, 8), 10L);
        for (var i = 0; i < 10; i++)
            BitConverter.TryWriteBytes(data.AsSpan(8 + (4 * i), 4), (float)i);
        File.WriteAllBytes(path, Pickle(
            Proto, (byte)2, magic, Stop,
            Proto, (byte)2, (byte)'M', (byte)0xe9, (byte)0x03, Stop,
            Proto, (byte)2, EmptyDict, (byte)'(', ShortString("little_endian"), (byte)0x88, (byte)'u', Stop,
            Proto, (byte)2, EmptyDict, ShortString("v"), 'c', "torch._utils\n_rebuild_tensor_v2\n", (byte)'(',
            (byte)'(', ShortString("storage"), 'c', "torch\nFloatStorage\n", ShortString("root"), ShortString("cpu"), (byte)'K', (byte)10,
            (byte)'(', ShortString("view"), (byte)'K', (byte)4, (byte)'K', (byte)3, (byte)'t', (byte)'t', (byte)'Q',
            (byte)'K', (byte)1, (byte)'K', (byte)2, Tuple1, (byte)'K', (byte)1, Tuple1, (byte)0x89,
            'c', "collections\nOrderedDict\n", EmptyTuple, Reduce, (byte)'t', Reduce, (byte)'s', Stop,
            Proto, (byte)2, (byte)']', (byte)'(', ShortString("root"), (byte)'e', Stop,
            data));

        // When
        var state = StateDictFile.Load(path);

        // Then
        Assert.Equal(StateDictFormat.TorchLegacy, StateDictFile.DetectFormat(path));
        Assert.Equal([5f, 6f], state["v"].ToArray<float>());
        Dispose(state);
    }

    [Fact]
    public void Should_refuse_a_pickle_that_calls_os_system_and_name_file_global_and_offset()
    {
        // Given a zip .pth whose pickle is os.system("touch pwned")
        using var temp = new TempDirectory("pth");
        var marker = temp.File("pwned");
        var path = temp.File("evil.pth");
        WriteZip(path, ("evil/data.pkl", Pickle(Proto, (byte)2, 'c', "os\nsystem\n", ShortString("touch " + marker), Tuple1, Reduce, Stop)));

        // When
        var error = Assert.Throws<InvalidDataException>(() => PthFile.Load(path));

        // Then nothing ran and the message says what was refused where
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("global 'os.system'", error.Message, StringComparison.Ordinal);
        Assert.Contains("byte offset 2", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(marker));
    }

    [Theory]
    [InlineData("builtins", "eval")]
    [InlineData("torch", "load")]
    [InlineData("collections", "defaultdict")]
    public void Should_refuse_any_global_outside_the_state_dict_allow_list_in_a_legacy_stream(string module, string name)
    {
        // Given a legacy-format file (a bare pickle stream) naming the global with protocol 4's STACK_GLOBAL
        using var temp = new TempDirectory("pth");
        var path = temp.File("evil.pt");
        File.WriteAllBytes(path, Pickle(Proto, (byte)4, ShortString(module), ShortString(name), (byte)0x93, EmptyTuple, Reduce, Stop));

        // When
        var error = Assert.Throws<InvalidDataException>(() => StateDictFile.Load(path));

        // Then
        Assert.Contains($"global '{module}.{name}'", error.Message, StringComparison.Ordinal);
        Assert.Contains($"byte offset {6 + module.Length + name.Length}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_refuse_opcodes_a_state_dict_never_needs()
    {
        // Given INST ('i'), which imports and calls in one opcode
        using var temp = new TempDirectory("pth");
        var path = temp.File("inst.pth");
        WriteZip(path, ("inst/data.pkl", Pickle(Proto, (byte)2, (byte)'(', 'i', "os\nsystem\n", Stop)));

        // When
        var error = Assert.Throws<InvalidDataException>(() => PthFile.Load(path));

        // Then
        Assert.Contains("opcode 0x69 ('i')", error.Message, StringComparison.Ordinal);
        Assert.Contains("byte offset 3", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_refuse_calling_an_allowed_storage_type()
    {
        // Given torch.FloatStorage (allowed as a persistent-ID type tag) used as a callable
        using var temp = new TempDirectory("pth");
        var path = temp.File("call.pth");
        WriteZip(path, ("call/data.pkl", Pickle(Proto, (byte)2, 'c', "torch\nFloatStorage\n", EmptyTuple, Reduce, Stop)));

        // When
        var error = Assert.Throws<InvalidDataException>(() => PthFile.Load(path));

        // Then
        Assert.Contains("a call of 'torch.FloatStorage'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData("/absolute/data.pkl")]
    [InlineData("archive/../../escape")]
    [InlineData("archive\\data.pkl")]
    [InlineData("other/data.pkl")]
    [InlineData("archive/data.pkl")]
    public void Should_refuse_archives_with_odd_entry_names(string odd)
    {
        // Given an otherwise valid state dict plus one odd entry (a second top folder, traversal, a duplicate, …)
        using var temp = new TempDirectory("pth");
        var path = temp.File("odd.pth");
        var empty = Pickle(Proto, (byte)2, 'c', "collections\nOrderedDict\n", EmptyTuple, Reduce, Stop);
        WriteZip(path, ("archive/data.pkl", empty), (odd, [1, 2, 3]));

        // When
        var error = Assert.Throws<InvalidDataException>(() => PthFile.Load(path));

        // Then the message names the file and the entry
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains(odd.StartsWith("other", StringComparison.Ordinal) ? "'other'" : $"'{odd}'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_read_an_empty_ordered_dict_from_a_well_formed_archive()
    {
        // Given the control case of the odd-entry test: nothing odd
        using var temp = new TempDirectory("pth");
        var path = temp.File("empty.pth");
        WriteZip(path, ("archive/data.pkl", Pickle(Proto, (byte)2, 'c', "collections\nOrderedDict\n", EmptyTuple, Reduce, Stop)), ("archive/version", "3\n"u8.ToArray()));

        // When
        var state = PthFile.Load(path);

        // Then
        Assert.Empty(state);
    }

    [Fact]
    public void Should_refuse_a_storage_whose_size_does_not_match_its_entry()
    {
        // Given the tiny ResNet with one storage cut short
        using var temp = new TempDirectory("pth");
        var path = temp.File("short.pth");
        using (var source = ZipFile.OpenRead(Fixture("resnet18_tiny.pth")))
        {
            var entries = source.Entries.Select(e =>
            {
                using var body = e.Open();
                using var buffer = new MemoryStream();
                body.CopyTo(buffer);
                var bytes = buffer.ToArray();
                return (e.FullName, e.FullName == "resnet18_tiny/data/0" ? bytes[..^4] : bytes);
            }).ToArray();
            WriteZip(path, entries);
        }

        // When
        var error = Assert.Throws<InvalidDataException>(() => PthFile.Load(path));

        // Then
        Assert.Contains("storage '0' holds", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_refuse_a_tensor_reaching_past_its_storage_without_leaking_the_tensors_already_built()
    {
        // Given 'good' (2 elements) followed by 'bad' (3 elements) over the same 2-element storage
        using var temp = new TempDirectory("pth");
        var path = temp.File("past.pth");
        byte[] Tensor(string name, byte size) => Pickle(
            ShortString(name), 'c', "torch._utils\n_rebuild_tensor_v2\n", (byte)'(',
            (byte)'(', ShortString("storage"), 'c', "torch\nFloatStorage\n", ShortString("0"), ShortString("cpu"), (byte)'K', (byte)2, (byte)'t', (byte)'Q',
            (byte)'K', (byte)0, (byte)'K', size, Tuple1, (byte)'K', (byte)1, Tuple1, (byte)0x89,
            'c', "collections\nOrderedDict\n", EmptyTuple, Reduce, (byte)'t', Reduce, (byte)'s');
        WriteZip(path,
            ("past/data.pkl", Pickle(Proto, (byte)2, EmptyDict, Tensor("good", 2), Tensor("bad", 3), Stop)),
            ("past/data/0", new byte[8]));
        var live = AutoClassify.Tensors.Tensor.LiveCount;

        // When
        var error = Assert.Throws<InvalidDataException>(() => PthFile.Load(path));

        // Then
        Assert.Contains("tensor 'bad' reaches element 2 of a storage of 2", error.Message, StringComparison.Ordinal);
        Assert.Equal(live, AutoClassify.Tensors.Tensor.LiveCount);
    }

    [Fact]
    public void Should_refuse_a_pickle_that_is_not_a_dict_of_tensors()
    {
        // Given a training-checkpoint-like dict {'epoch': 3}
        using var temp = new TempDirectory("pth");
        var path = temp.File("checkpoint.pth");
        WriteZip(path, ("checkpoint/data.pkl", Pickle(Proto, (byte)2, EmptyDict, ShortString("epoch"), (byte)'K', (byte)3, (byte)'s', Stop)));

        // When
        var error = Assert.Throws<InvalidDataException>(() => StateDictFile.Load(path));

        // Then
        Assert.Contains("entry 'epoch' is a number, not a tensor", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_refuse_files_that_are_no_weights_format()
    {
        // Given a text file named like weights
        using var temp = new TempDirectory("pth");
        var path = temp.File("notes.pth");
        File.WriteAllText(path, "not a checkpoint");

        // When
        var error = Assert.Throws<InvalidDataException>(() => StateDictFile.Load(path));

        // Then
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains(".safetensors", error.Message, StringComparison.Ordinal);
    }

    static void Dispose(OrderedDictionary<string, Tensor> state)
    {
        foreach (var tensor in state.Values)
            tensor.Dispose();
    }
}
