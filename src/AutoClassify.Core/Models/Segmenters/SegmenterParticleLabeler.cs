using AutoClassify.Imaging;
using AutoClassify.Preprocessing;
using AutoClassify.Segmentation;

namespace AutoClassify.Models.Segmenters;

/// <summary>
/// Lets a trained segmenter draw the particles of <c>segment --model</c>: the instance scheme's objects as they are
/// (its watershed already split touching particles); for a semantic model, each 8-connected region of non-background
/// pixels is one particle, so touching particles of a semantic model stay merged. Does not own the segmenter.
/// </summary>
public sealed class SegmenterParticleLabeler : IParticleLabeler
{
    readonly ISegmenter segmenter;

    /// <param name="segmenter">The trained segmenter (not disposed here).</param>
    /// <param name="name">What the report calls it, e.g. the registry name and version.</param>
    /// <param name="settings">Settings to show in the report.</param>
    public SegmenterParticleLabeler(ISegmenter segmenter, string name, IReadOnlyList<KeyValuePair<string, string>> settings)
    {
        ArgumentNullException.ThrowIfNull(segmenter);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(settings);
        this.segmenter = segmenter;
        Name = name;
        Settings = settings;
    }

    public string Name { get; }

    public IReadOnlyList<KeyValuePair<string, string>> Settings { get; }

    public LabelledField Label(GrayImage image, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        var prediction = segmenter.Predict(image, cancellationToken);
        var instances = prediction.Instances ?? Regions(prediction.Labels, image.Width, image.Height);
        return new LabelledField(instances, prediction.ChannelNames, prediction.Probabilities) { ScaleFactor = prediction.ScaleFactor };
    }

    static int[] Regions(int[] labels, int width, int height)
    {
        var mask = new BinaryMask(width, height);
        for (var i = 0; i < labels.Length; i++)
            mask.Data[i] = labels[i] != 0 ? (byte)1 : (byte)0;
        return [.. ImageOps.ConnectedComponents(mask, connectivity: 8).Labels];
    }
}
