using AutoClassify.Models.Cnn;
using AutoClassify.Tensors;
using AutoClassify.Tensors.NN;

namespace AutoClassify.Models.Transfer;

/// <summary>
/// A trained LipNet used as a backbone (domain transfer): the network of an AutoClassify CNN package, cut before
/// its last layer. LipNet-4 and -6 give their flattened last feature maps, LipNet-1 and -2 their hidden layer,
/// LipNet-4c its last feature maps pooled globally. Inputs are one grey channel at the package's size,
/// standardised per image exactly as the package was trained.
/// </summary>
public sealed class LipNetBackbone : IConvolutionalBackbone
{
    readonly LipNetModule network;
    readonly IDisposable? owner;
    readonly int lastMaps;

    LipNetBackbone(LipNetModule network, CnnModelInfo info, string source, IDisposable? owner)
    {
        this.network = network;
        this.owner = owner;
        Info = info;
        Source = source;
        StageNames = Stages(network);
        lastMaps = LastConvolutionActivation(network);
        FeatureDim = network.Spec.AllConvolutional
            ? LipNet.Channels
            : ((Linear)network.Classifier[network.Classifier.Count - 1]).InFeatures;
        network.Eval();
    }

    /// <summary>Opens a CNN package file, a registry version folder (<c>models/x/v3</c>) or a registry model folder (its champion).</summary>
    public static LipNetBackbone Open(string packageOrRegistryPath)
    {
        var path = ResolvePackagePath(packageOrRegistryPath);
        var package = BackbonePackages.Current.Open(path);
        try
        {
            if (package.Model is not CnnModel cnn)
                throw new ArgumentException($"'{path}' holds a {package.ModelKind} model; only CNN packages ({string.Join(", ", LipNet.Names)}) can serve as a backbone.");
            return new LipNetBackbone(cnn.Network, cnn.Info, path, package);
        }
        catch
        {
            package.Dispose();
            throw;
        }
    }

    /// <summary>A LipNet of the architecture <paramref name="info"/> describes with fresh weights, for loading a saved state into.</summary>
    public static LipNetBackbone Build(CnnModelInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        var network = LipNet.Build(LipNet.Find(info.Model), info.ClassNames.Count, info.InputSize, info.Dropout, info.HiddenDropout);
        try
        {
            network.UseChannelsLast();
            return new LipNetBackbone(network, info, "(rebuilt)", network);
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The package file a backbone argument names: the file itself, <c>model.acpkg</c> inside a version folder, or the
    /// champion's package inside a registry model folder. Throws naming the path when it is none of these.
    /// </summary>
    public static string ResolvePackagePath(string packageOrRegistryPath) => BackbonePackages.Current.ResolvePackagePath(packageOrRegistryPath);

    /// <summary>The LipNet's name (e.g. <c>lipnet4</c>).</summary>
    public string Name => network.Spec.Name;

    public int InputChannels => 1;

    /// <summary>The package's input size: the flattening layers fix it.</summary>
    public int DefaultInputSize => Info.InputSize;

    public int FeatureDim { get; }

    public Module Network => network;

    /// <summary>Every convolution, then the hidden dense layer of LipNet-1 and -2 (<c>features.0</c>, …, <c>classifier.1</c>).</summary>
    public IReadOnlyList<string> StageNames { get; }

    /// <summary>How the source network was built and fed (its class names are the source task's).</summary>
    public CnnModelInfo Info { get; }

    /// <summary>The package file it came from.</summary>
    public string Source { get; }

    public Tensor Features(Tensor input)
    {
        using var maps = LastMaps(input);
        return FeaturesFromMaps(maps);
    }

    /// <summary>The ReLU after the last convolution of <c>features</c> (as the LipNet's own maps are drawn).</summary>
    public string LastMapsLayer => "features." + lastMaps.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <inheritdoc/>
    public Tensor LastMaps(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return Run(input, 0, lastMaps + 1);
    }

    /// <inheritdoc/>
    public Tensor FeaturesFromMaps(Tensor maps)
    {
        ArgumentNullException.ThrowIfNull(maps);
        var rest = Run(maps, lastMaps + 1, network.Features.Count);
        if (network.Spec.AllConvolutional)
        {
            using (rest)
            using (var pooled = Functional.AdaptiveAvgPool2d(rest, 1, 1))
                return pooled.Flatten(1);
        }
        // Every classifier layer but the last: flatten (and the hidden layer of LipNet-1 and -2).
        var x = rest;
        for (var i = 0; i < network.Classifier.Count - 1; i++)
        {
            var next = network.Classifier[i].Forward(x);
            x.Dispose();
            x = next;
        }
        return x;
    }

    // features[from..to), releasing each intermediate result; `input` is left alone.
    Tensor Run(Tensor input, int from, int to)
    {
        var x = input.Reshape(input.Shape);
        for (var i = from; i < to; i++)
        {
            var next = network.Features[i].Forward(x);
            x.Dispose();
            x = next;
        }
        return x;
    }

    static int LastConvolutionActivation(LipNetModule network)
    {
        for (var i = network.Features.Count - 1; i >= 0; i--)
        {
            if (network.Features[i] is Conv2d)
                return i + 1 < network.Features.Count && network.Features[i + 1] is ReLU ? i + 1 : i;
        }
        throw new InvalidOperationException($"{network.Spec.Name}: no convolution in its features.");
    }

    static string[] Stages(LipNetModule network)
    {
        var stages = new List<string>();
        for (var i = 0; i < network.Features.Count; i++)
        {
            if (network.Features[i] is Conv2d)
                stages.Add("features." + i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        for (var i = 0; i < network.Classifier.Count - 1; i++)
        {
            if (network.Classifier[i] is Linear)
                stages.Add("classifier." + i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        return [.. stages];
    }

    public void Dispose() => owner?.Dispose();
}
