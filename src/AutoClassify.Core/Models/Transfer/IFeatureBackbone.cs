namespace AutoClassify.Models.Transfer;
/// <summary>A network cut before its classifier: images in, pooled feature vectors out.</summary>
public interface IFeatureBackbone : IDisposable
{
    string Name { get; }                 // "resnet18", "resnet50", "mobilenet_v2", ...
    int InputChannels { get; }           // 3 for ImageNet networks
    int DefaultInputSize { get; }        // 224
    int FeatureDim { get; }              // 512 / 2048 / 1280
    AutoClassify.Tensors.NN.Module Network { get; }   // the whole network (for state dicts, freezing, optimisers)
    IReadOnlyList<string> StageNames { get; }          // top-level stages input->output, e.g. conv1,bn1,layer1..layer4 ; for "unfreeze the last N"
    AutoClassify.Tensors.Tensor Features(AutoClassify.Tensors.Tensor input);   // [N,C,H,W] normalised -> [N,FeatureDim]
}
