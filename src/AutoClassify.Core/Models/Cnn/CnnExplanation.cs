namespace AutoClassify.Models.Cnn;

/// <summary>
/// What one fold's CNN looked at, computed by that fold's model on its own held-out images only
/// (<see cref="TrainingSummary.Explanation"/>): Grad-CAM maps of chosen test images, and (on one fold) the first
/// convolution's filters with its activation maps of one example per class. Kept small enough for results.json.
/// </summary>
public sealed class CnnExplanation
{
    /// <summary>Side of the square network input the maps refer to.</summary>
    public int InputSize { get; set; }

    /// <summary>The layer Grad-CAM differentiates to, by parameter-style name (e.g. <c>features.7</c>, a ReLU after the last convolution).</summary>
    public string Layer { get; set; } = "";

    /// <summary>Why this fold's model has no maps (e.g. an SVM head on pooled features); null when it has them.</summary>
    public string? Unavailable { get; set; }

    /// <summary>One map per explained test image.</summary>
    public List<GradCamMap> GradCam { get; set; } = [];

    /// <summary>The first convolution's kernels; null on folds that do not record them.</summary>
    public ConvFilters? Filters { get; set; }

    /// <summary>The first convolution's activations (after its ReLU) of one test image per class; empty on folds that do not record them.</summary>
    public List<ActivationSample> Activations { get; set; } = [];
}

/// <summary>
/// A class activation map of one image, HiResCAM (Draelos and Carin, 2020; Grad-CAM, Selvaraju et al., 2017, with
/// the gradient kept per location): ReLU(Σ<sub>k</sub> ∂y/∂A<sub>k</sub> ⊙ A<sub>k</sub>) at the explained layer's
/// resolution, where y is the target class's logit and A<sub>k</sub> channel k of the layer. Where only pooling and
/// one linear layer follow the layer, the map before the ReLU sums to y minus its bias exactly. Values are in logit
/// units, unnormalised, so maps of one model can share one colour scale. A map is all zero when no location raised
/// the class's score (the class won by the evidence against the others, or by its bias).
/// </summary>
public sealed class GradCamMap
{
    /// <summary>The image's item index in the data set.</summary>
    public int Item { get; set; }

    /// <summary>The class whose logit was differentiated (the class the model predicted).</summary>
    public int TargetClass { get; set; }

    public int Height { get; set; }

    public int Width { get; set; }

    /// <summary>Row-major <see cref="Height"/> × <see cref="Width"/> values (≥ 0).</summary>
    public float[] Values { get; set; } = [];

    /// <summary>The target class's logit for this image.</summary>
    public float Logit { get; set; }

    /// <summary>The sum of the map before the ReLU: the share of <see cref="Logit"/> the explained layer's locations account for.</summary>
    public float Total { get; set; }

    /// <summary>True when no location raised the class's score, so the map is all zero.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsEmpty => !Values.Any(v => v > 0);

    /// <summary>The network's input as 8-bit grey (min to max of the standardised pixels), <see cref="CnnExplanation.InputSize"/> squared, row-major.</summary>
    public byte[] Input { get; set; } = [];
}

/// <summary>The kernels of the first convolution (first input channel), in filter order.</summary>
public sealed class ConvFilters
{
    /// <summary>Parameter name of the weights (e.g. <c>features.0.weight</c>).</summary>
    public string Name { get; set; } = "";

    public int Count { get; set; }

    public int KernelSize { get; set; }

    /// <summary><see cref="Count"/> × <see cref="KernelSize"/>² weights, row-major per filter.</summary>
    public float[] Weights { get; set; } = [];
}

/// <summary>One test image's first-layer activation maps, quantised to bytes against their own maximum.</summary>
public sealed class ActivationSample
{
    public int Item { get; set; }

    /// <summary>The image's true class.</summary>
    public int TrueClass { get; set; }

    public int Channels { get; set; }

    /// <summary>Side of each (square) map.</summary>
    public int Side { get; set; }

    /// <summary>The largest activation; byte 255 stands for it and 0 for zero.</summary>
    public float Max { get; set; }

    /// <summary><see cref="Channels"/> × <see cref="Side"/>² bytes, channel-major then row-major.</summary>
    public byte[] Values { get; set; } = [];

    /// <summary>The network's input as 8-bit grey, like <see cref="GradCamMap.Input"/>.</summary>
    public byte[] Input { get; set; } = [];
}
