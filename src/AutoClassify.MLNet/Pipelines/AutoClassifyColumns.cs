namespace AutoClassify.MLNet;

/// <summary>Default column names of the AutoClassify parts in ML.NET pipelines (ML.NET's own where it has one).</summary>
public static class AutoClassifyColumns
{
    /// <summary>The class: text from <see cref="ImageFolderCatalog.LoadImageFolder"/>, a key for the trainers (ML.NET's <c>Label</c>).</summary>
    public const string Label = "Label";

    /// <summary>Full path of an image file.</summary>
    public const string ImagePath = "ImagePath";

    /// <summary>Full path of the image's mask (<c>*.mask.png</c>), or empty when it has none.</summary>
    public const string MaskPath = "MaskPath";

    /// <summary>Items that must stay on one side of a split (the slices of one stack); each ungrouped image is its own group.</summary>
    public const string Group = "Group";

    /// <summary>A feature vector (ML.NET's <c>Features</c>).</summary>
    public const string Features = "Features";

    /// <summary>Class probabilities, one per key value of the label (ML.NET's <c>Score</c>).</summary>
    public const string Score = "Score";

    /// <summary>The most probable class as a key of the label's type (ML.NET's <c>PredictedLabel</c>).</summary>
    public const string PredictedLabel = "PredictedLabel";

    /// <summary>Why an image could not be predicted (empty when it was); its <see cref="PredictedLabel"/> is then the missing key 0.</summary>
    public const string Error = "Error";

    /// <summary>The ML.NET annotation that names a key type's values.</summary>
    internal const string KeyValues = "KeyValues";

    /// <summary>The ML.NET annotation that names a vector's slots.</summary>
    internal const string SlotNames = "SlotNames";
}
