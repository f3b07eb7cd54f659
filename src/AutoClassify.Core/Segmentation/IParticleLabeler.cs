using AutoClassify.Imaging;

namespace AutoClassify.Segmentation;

/// <summary>
/// What a trained model says about one field: an instance label map (0 = background, any positive id = one particle)
/// and, when the model gives them, per-channel probabilities, channel-major [channel × height × width].
/// </summary>
public sealed record LabelledField(int[] Instances, IReadOnlyList<string> ChannelNames, float[]? Probabilities)
{
    /// <summary>The resize factor the model worked at on this field (working pixels per image pixel); null when it does not resize.</summary>
    public double? ScaleFactor { get; init; }
}

/// <summary>
/// A trained model that draws the particles of a field in place of the classical pipeline (<c>segment --model</c>);
/// <c>Reporting.ParticleBatch</c> measures, writes and reports what it draws. Must be safe to call from several threads.
/// </summary>
public interface IParticleLabeler
{
    /// <summary>What the report calls the model, e.g. <c>emps v2 (unet)</c>.</summary>
    string Name { get; }

    /// <summary>Settings to show in the report, in order (e.g. scheme, tiling, package path).</summary>
    IReadOnlyList<KeyValuePair<string, string>> Settings { get; }

    LabelledField Label(GrayImage image, CancellationToken cancellationToken = default);
}
