using AutoClassify.Tensors;
using AutoClassify.Tensors.NN;

namespace AutoClassify.Models.Cnn;

/// <summary>
/// One LipNet architecture from the thesis. Every convolution is 3×3 with 32 filters, same padding and ReLU; a
/// block is <see cref="ConvsPerBlock"/> convolutions followed by 2×2 down-sampling and dropout. Input is one grey
/// channel; the output is one logit per class (softmax gives the probabilities).
/// </summary>
/// <param name="Name">Name the user picks the model by.</param>
/// <param name="Blocks">Convolution blocks.</param>
/// <param name="ConvsPerBlock">Convolutions in each block.</param>
/// <param name="AllConvolutional">
/// Down-sample with an extra stride-2 convolution instead of max-pooling, and classify with a 1×1 convolution to
/// the class count and global average pooling instead of flatten and a fully connected layer.
/// </param>
/// <param name="HiddenUnits">Units of the hidden fully connected layer before the output layer; 0 for none.</param>
/// <param name="DefaultInputSize">Side of the square input the thesis used.</param>
/// <param name="Description">One line for the report.</param>
public sealed record LipNetSpec(string Name, int Blocks, int ConvsPerBlock, bool AllConvolutional, int HiddenUnits, int DefaultInputSize, string Description)
{
    /// <summary>The smallest input the down-sampling leaves at least one pixel of.</summary>
    public int MinimumInputSize => 1 << Blocks;
}

/// <summary>The LipNet family: the spec table and the builder.</summary>
public static class LipNet
{
    /// <summary>Filters of every convolution.</summary>
    public const int Channels = 32;

    /// <summary>The thesis's networks, smallest first.</summary>
    public static IReadOnlyList<LipNetSpec> Specs { get; } =
    [
        //  name        blocks convs all-conv hidden input
        new("lipnet1", 1, 1, false, 128, 28, "one conv block (conv, max-pool, dropout), FC 128, FC classes"),
        new("lipnet2", 2, 1, false, 128, 28, "two conv blocks (conv, max-pool, dropout), FC 128, FC classes"),
        new("lipnet4", 2, 2, false, 0, 28, "VGG-like: two blocks of two convs, each with max-pool and dropout, FC classes"),
        new("lipnet4c", 2, 2, true, 0, 28, "LipNet-4 all-convolutional: stride-2 convs instead of pooling, 1x1 conv to classes, global average pooling"),
        new("lipnet6", 3, 2, false, 0, 32, "LipNet-4 with a third block of two convs, FC classes"),
    ];

    /// <summary>Names accepted by <see cref="Find"/>.</summary>
    public static IReadOnlyList<string> Names => [.. Specs.Select(s => s.Name)];

    /// <summary>The spec of a model name (case-insensitive), or an exception listing the known names.</summary>
    public static LipNetSpec Find(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Specs.FirstOrDefault(s => s.Name.Equals(name.Trim(), StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException($"Unknown CNN '{name}'. Known models: {string.Join(", ", Names)}.", nameof(name));
    }

    /// <summary>Builds a freshly initialised network (initialisation draws from libtorch's seeded generator).</summary>
    /// <param name="spec">The architecture.</param>
    /// <param name="classCount">Outputs.</param>
    /// <param name="inputSize">Side of the square input.</param>
    /// <param name="dropout">Dropout after each convolution block.</param>
    /// <param name="hiddenDropout">Dropout after the hidden fully connected layer (LipNet-1 and -2).</param>
    public static LipNetModule Build(LipNetSpec spec, int classCount, int inputSize, double dropout, double hiddenDropout)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentOutOfRangeException.ThrowIfLessThan(classCount, 2);
        if (inputSize < spec.MinimumInputSize)
            throw new ArgumentOutOfRangeException(nameof(inputSize), inputSize, $"{spec.Name} needs inputs of at least {spec.MinimumInputSize} px.");
        return new LipNetModule(spec, classCount, inputSize, dropout, hiddenDropout);
    }
}

/// <summary>
/// A LipNet: <c>features</c> (the convolution blocks) then <c>classifier</c>, so its parameters are named
/// <c>features.0.weight</c>, …, <c>classifier.1.weight</c> as PyTorch would name the same network.
/// </summary>
public sealed class LipNetModule : Module
{
    internal LipNetModule(LipNetSpec spec, int classCount, int inputSize, double dropout, double hiddenDropout)
    {
        Spec = spec;
        ClassCount = classCount;
        InputSize = inputSize;

        var features = new Sequential();
        var inChannels = 1;
        var side = inputSize;
        for (var block = 0; block < spec.Blocks; block++)
        {
            for (var conv = 0; conv < spec.ConvsPerBlock; conv++)
            {
                features.Add(new Conv2d(inChannels, LipNet.Channels, 3, padding: 1)).Add(new ReLU());
                inChannels = LipNet.Channels;
            }
            if (spec.AllConvolutional)
            {
                features.Add(new Conv2d(LipNet.Channels, LipNet.Channels, 3, stride: 2, padding: 1)).Add(new ReLU());
                side = (side + 1) / 2;
            }
            else
            {
                features.Add(new MaxPool2d(2));
                side /= 2;
            }
            features.Add(new Dropout(dropout));
        }

        var classifier = new Sequential();
        if (spec.AllConvolutional)
        {
            classifier.Add(new Conv2d(LipNet.Channels, classCount, 1)).Add(new AdaptiveAvgPool2d(1, 1)).Add(new Flatten());
        }
        else
        {
            var flat = LipNet.Channels * side * side;
            classifier.Add(new Flatten());
            if (spec.HiddenUnits > 0)
            {
                classifier.Add(new Linear(flat, spec.HiddenUnits)).Add(new ReLU()).Add(new Dropout(hiddenDropout));
                flat = spec.HiddenUnits;
            }
            classifier.Add(new Linear(flat, classCount));
        }

        Features = RegisterModule("features", features);
        Classifier = RegisterModule("classifier", classifier);
    }

    public LipNetSpec Spec { get; }

    public int ClassCount { get; }

    public int InputSize { get; }

    public Sequential Features { get; }

    public Sequential Classifier { get; }


    /// <summary>Logits (N × classes) of a batch N × 1 × size × size.</summary>
    public override Tensor Forward(Tensor input)
    {
        using var features = Features.Forward(input);
        return Classifier.Forward(features);
    }
}
