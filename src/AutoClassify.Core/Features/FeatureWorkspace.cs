namespace AutoClassify.Features;

/// <summary>Per-thread scratch buffers, so extracting features from many crops allocates little.</summary>
internal sealed class FeatureWorkspace
{
    [ThreadStatic]
    static FeatureWorkspace? current;

    public static FeatureWorkspace Current => current ??= new FeatureWorkspace();

    public float[] Blur { get; private set; } = [];
    public float[] InsideDistance { get; private set; } = [];
    public float[] OutsideDistance { get; private set; } = [];
    public byte[] Mask { get; private set; } = [];
    public byte[] Scratch { get; private set; } = [];
    public byte[] Complement { get; private set; } = [];
    public int[] Labels { get; private set; } = [];

    /// <summary>Component stats, 7 doubles per label; grown by the labelling call when needed.</summary>
    public double[] ComponentStats = new double[64 * 7];

    public int Capacity { get; private set; }

    /// <summary>Makes every pixel buffer hold at least <paramref name="pixels"/> values.</summary>
    public void Ensure(int pixels)
    {
        if (pixels <= Capacity)
            return;
        Capacity = pixels;
        Blur = new float[pixels];
        InsideDistance = new float[pixels];
        OutsideDistance = new float[pixels];
        Mask = new byte[pixels];
        Scratch = new byte[pixels];
        Complement = new byte[pixels];
        Labels = new int[pixels];
    }
}
