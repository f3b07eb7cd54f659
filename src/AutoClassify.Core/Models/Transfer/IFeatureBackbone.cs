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
