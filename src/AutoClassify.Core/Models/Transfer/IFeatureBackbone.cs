namespace AutoClassify.Models.Transfer;

/// <summary>A network cut before its classifier: images in, pooled feature vectors out.</summary>
public interface IFeatureBackbone : IDisposable
{
    /// <summary>Architecture name, e.g. <c>resnet18</c>, <c>resnet50</c>, <c>mobilenet_v2</c>.</summary>
    string Name { get; }

    /// <summary>Input channels the network expects: 3 for ImageNet networks, 1 for grey LipNets.</summary>
    int InputChannels { get; }

    /// <summary>Side of the square input the weights were trained at (224 for ImageNet).</summary>
    int DefaultInputSize { get; }

    /// <summary>Length of the pooled feature vector (512, 2048, 1280...).</summary>
    int FeatureDim { get; }

    /// <summary>The whole network, for state dicts, freezing and optimisers.</summary>
    AutoClassify.Tensors.NN.Module Network { get; }

    /// <summary>Top-level stages from input to output, for "unfreeze the last N stages".</summary>
    IReadOnlyList<string> StageNames { get; }

    /// <summary>Pooled features of a normalised batch: [N, C, H, W] in, [N, FeatureDim] out.</summary>
    AutoClassify.Tensors.Tensor Features(AutoClassify.Tensors.Tensor input);
}

/// <summary>
/// A backbone whose last convolutional block's output is reachable, so class activation maps can be drawn through it:
/// <see cref="IFeatureBackbone.Features"/> equals <see cref="FeaturesFromMaps"/> of <see cref="LastMaps"/>.
/// </summary>
public interface IConvolutionalBackbone : IFeatureBackbone
{
    /// <summary>Parameter-style name of the module whose output <see cref="LastMaps"/> returns (e.g. <c>layer4</c>).</summary>
    string LastMapsLayer { get; }

    /// <summary>The last convolutional block's output of a normalised batch: N × C × h × w.</summary>
    AutoClassify.Tensors.Tensor LastMaps(AutoClassify.Tensors.Tensor input);

    /// <summary>The pooled features (N × <see cref="IFeatureBackbone.FeatureDim"/>) of those maps.</summary>
    AutoClassify.Tensors.Tensor FeaturesFromMaps(AutoClassify.Tensors.Tensor maps);
}
