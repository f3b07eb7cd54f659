using AutoClassify.Tensors;
using AutoClassify.Tensors.NN;

namespace AutoClassify.Models.Transfer;

/// <summary>
/// The classifier on top of a backbone: fixed feature scaling (<c>mean</c>, <c>scale</c> buffers, fitted on the
/// training features so the head starts from well-conditioned inputs) then one linear layer to the classes
/// (<c>linear.weight</c>, <c>linear.bias</c>).
/// </summary>
public sealed class TransferHead : Module
{
    /// <summary>A head with identity scaling and PyTorch's default initialisation of the linear layer.</summary>
    public TransferHead(int featureDim, int classCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(featureDim, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(classCount, 2);
        FeatureDim = featureDim;
        ClassCount = classCount;
        Mean = RegisterBuffer("mean", Tensor.Zeros([featureDim]))!;
        Scale = RegisterBuffer("scale", Tensor.Ones([featureDim]))!;
        Linear = RegisterModule("linear", new Linear(featureDim, classCount));
    }

    public int FeatureDim { get; }

    public int ClassCount { get; }

    /// <summary>Subtracted from every feature.</summary>
    public Tensor Mean { get; }

    /// <summary>Multiplies every centred feature: 1 / SD, or 0 for a feature constant on the training rows.</summary>
    public Tensor Scale { get; }

    public Linear Linear { get; }

    /// <summary>Sets the scaling to z-scores of the given training features (rows of <see cref="FeatureDim"/> values).</summary>
    public void FitScaling(IReadOnlyList<float[]> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == 0)
            throw new ArgumentException("Scaling needs at least one feature row.", nameof(rows));
        var standardizer = Features.Standardizer.Fit(rows.Select(r => Array.ConvertAll(r, v => (double)v)).ToArray(), [.. Enumerable.Range(0, rows.Count)]);
        var means = standardizer.Means.Select(m => (float)m).ToArray();
        var scales = standardizer.StandardDeviations.Select(sd => sd > 0 ? (float)(1 / sd) : 0f).ToArray();
        using var noGrad = Torch.NoGrad();
        using var meanValues = Tensor.FromArray(means, [FeatureDim]);
        using var scaleValues = Tensor.FromArray(scales, [FeatureDim]);
        Mean.CopyFrom(meanValues);
        Scale.CopyFrom(scaleValues);
    }

    /// <summary>Logits (N × classes) of N × <see cref="FeatureDim"/> features.</summary>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var centred = input.Subtract(Mean);
        using var scaled = centred.Multiply(Scale);
        return Linear.Forward(scaled);
    }
}
