namespace AutoClassify.Tests.Tensors;

/// <summary>
/// Tensor tests run alone: they count live native handles, which any other test creating tensors in
/// parallel would disturb, and libtorch's seed and thread settings are process-wide.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TorchTests
{
    public const string Name = "Torch";
}
