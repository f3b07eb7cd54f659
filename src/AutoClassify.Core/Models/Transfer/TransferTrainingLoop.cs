using System.Diagnostics;
using System.Globalization;
using AutoClassify.Dataset;
using AutoClassify.Models.Cnn;
using AutoClassify.Tensors;
using AutoClassify.Tensors.NN;
using AutoClassify.Tensors.Optim;

namespace AutoClassify.Models.Transfer;

/// <summary>What a finished <see cref="TransferTrainingLoop"/> observed.</summary>
internal sealed record TransferLoopResult(Dictionary<string, double[]> Curves, int EpochsRun, int BestEpoch, double BestLoss, bool HadValidation);

/// <summary>
/// The epoch loop both transfer modes share, with the CNN arm's rules: each epoch draws its order from an
/// <see cref="EpochSampler"/> over the fitting items, trains with label-smoothed (optionally class-weighted)
/// cross-entropy, scores the validation items, and keeps the weights of the epoch with the lowest validation loss
/// (<see cref="EarlyStopping"/>). Stopping waits until <see cref="MinimumEpochs"/> have run, so a warm-up never
/// ends the fit. The callers supply how a batch of dataset items becomes logits and which optimisers step.
/// </summary>
internal sealed class TransferTrainingLoop
{
    public required string Name { get; init; }

    public required CnnOptions Options { get; init; }

    public required int[] Fit { get; init; }

    public required int[] Validation { get; init; }

    public required int[] Labels { get; init; }

    public required int ClassCount { get; init; }

    /// <summary>Modules whose state is snapshotted at the best epoch and restored at the end.</summary>
    public required IReadOnlyList<Module> Trained { get; init; }

    /// <summary>Training-mode logits of dataset items (called inside a dispose scope).</summary>
    public required Func<int[], int, Tensor> TrainLogits { get; init; }

    /// <summary>Evaluation-mode logits of dataset items (called inside a dispose scope, without autograd).</summary>
    public required Func<int[], Tensor> EvalLogits { get; init; }

    /// <summary>Sets the modules' modes and returns the optimisers that step in an epoch.</summary>
    public required Func<int, IReadOnlyList<Optimizer>> StartEpoch { get; init; }

    /// <summary>Puts every module in evaluation mode before validation.</summary>
    public required Action StartValidation { get; init; }

    /// <summary>Items per validation forward pass.</summary>
    public int ValidationBatchSize { get; init; } = CnnOptions.Defaults.PredictionBatchSize;

    /// <summary>Epochs that always run before early stopping may end the fit.</summary>
    public int MinimumEpochs { get; init; }

    public TransferLoopResult Run(TrainingContext context, Device device)
    {
        var sampler = EpochSampler.Create(Fit, Labels, ClassCount, Options, Seeds.Derive(context.Seed, "transfer-sampler"));
        var weights = Options.ClassWeightedLoss ? ClassWeights.InverseFrequency(Labels, Fit, ClassCount) : null;
        using var weightTensor = weights is null ? null : CnnTrainer.ToDevice(Tensor.FromArray(weights.Select(w => (float)w).ToArray(), [weights.Length]), device);
        var stopping = new EarlyStopping(Options.Patience);
        var curves = new Dictionary<string, List<double>>(StringComparer.Ordinal)
        {
            ["train_loss"] = [],
            ["train_acc"] = [],
            ["val_loss"] = [],
            ["val_acc"] = [],
            ["epoch_seconds"] = [],
        };
        List<Dictionary<string, Tensor>>? best = null;
        var epochsRun = 0;
        try
        {
            for (var epoch = 0; epoch < Options.MaxEpochs; epoch++)
            {
                context.CancellationToken.ThrowIfCancellationRequested();
                var clock = Stopwatch.StartNew();
                var optimizers = StartEpoch(epoch);
                var (trainLoss, trainAccuracy) = TrainEpoch(sampler.Epoch(epoch), epoch, optimizers, weights, weightTensor, device, context.CancellationToken);
                epochsRun++;
                curves["train_loss"].Add(trainLoss);
                curves["train_acc"].Add(trainAccuracy);
                if (Validation.Length > 0)
                {
                    StartValidation();
                    var (validationLoss, validationAccuracy) = Evaluate(weights, weightTensor, device);
                    curves["val_loss"].Add(validationLoss);
                    curves["val_acc"].Add(validationAccuracy);
                    if (stopping.Update(epoch, validationLoss))
                        best = Snapshot(best);
                }
                curves["epoch_seconds"].Add(clock.Elapsed.TotalSeconds);
                context.Log?.Invoke(EpochLine(epoch, curves));
                context.Progress?.Report((epoch + 1.0) / Options.MaxEpochs);
                if (Validation.Length > 0 && epoch + 1 >= MinimumEpochs + Options.Patience && stopping.ShouldStop)
                    break;
            }
            if (best is not null)
            {
                for (var i = 0; i < Trained.Count; i++)
                    Trained[i].LoadStateDict(best[i]);
            }
        }
        finally
        {
            foreach (var state in best ?? [])
            {
                foreach (var tensor in state.Values)
                    tensor.Dispose();
            }
        }
        var result = curves.Where(c => c.Value.Count > 0).ToDictionary(c => c.Key, c => c.Value.ToArray(), StringComparer.Ordinal);
        var bestEpoch = Validation.Length > 0 ? stopping.BestEpoch : epochsRun - 1;
        return new TransferLoopResult(result, epochsRun, bestEpoch, stopping.BestLoss, Validation.Length > 0);
    }

    (double Loss, double Accuracy) TrainEpoch(int[] order, int epoch, IReadOnlyList<Optimizer> optimizers, double[]? weights, Tensor? weightTensor,
        Device device, CancellationToken cancellation)
    {
        double lossSum = 0, weightSum = 0;
        long correct = 0;
        for (var start = 0; start < order.Length; start += Options.BatchSize)
        {
            cancellation.ThrowIfCancellationRequested();
            var items = order.AsSpan(start, Math.Min(Options.BatchSize, order.Length - start)).ToArray();
            var batchWeight = items.Sum(i => weights is null ? 1 : weights[Labels[i]]);
            using var scope = DisposeScope.Begin();
            var y = LabelTensor(items, device);
            var logits = TrainLogits(items, epoch);
            var loss = Functional.CrossEntropy(logits, y, weightTensor, Options.LabelSmoothing);
            foreach (var optimizer in optimizers)
                optimizer.ZeroGrad();
            loss.Backward();
            foreach (var optimizer in optimizers)
                optimizer.Step();
            lossSum += loss.ToDouble() * batchWeight;
            weightSum += batchWeight;
            correct += logits.ArgMax(1).Eq(y).Sum().ToInt64();
        }
        return (lossSum / weightSum, (double)correct / order.Length);
    }

    /// <summary>
    /// With <c>--calibrate temperature</c>, fits the head's temperature on the validation items' evaluation logits (call
    /// after <see cref="Run"/>, which restores the best weights) and records it in <paramref name="facts"/>; 1 otherwise.
    /// </summary>
    public double FitTemperature(IDictionary<string, string> facts, TrainingContext context)
    {
        if (Options.Calibration != CalibrationMethod.Temperature || Validation.Length == 0)
            return 1;
        StartValidation();
        using var noGrad = Torch.NoGrad();
        var logits = new float[Validation.Length][];
        for (var start = 0; start < Validation.Length; start += ValidationBatchSize)
        {
            var items = Validation.AsSpan(start, Math.Min(ValidationBatchSize, Validation.Length - start)).ToArray();
            using var scope = DisposeScope.Begin();
            var z = EvalLogits(items);
            var values = (z.Device == Device.Cpu ? z : z.To(Device.Cpu)).ToArray<float>();
            for (var i = 0; i < items.Length; i++)
                logits[start + i] = values.AsSpan(i * ClassCount, ClassCount).ToArray();
        }
        var labels = Validation.Select(i => Labels[i]).ToArray();
        var temperature = TemperatureScaling.Fit(logits, labels);
        facts[CnnTrainer.TemperatureFact] = TransferFit.Format(temperature);
        facts["val_nll_before_calibration"] = TransferFit.Format(TemperatureScaling.NegativeLogLikelihood(logits, labels, 1));
        facts["val_nll_after_calibration"] = TransferFit.Format(TemperatureScaling.NegativeLogLikelihood(logits, labels, temperature));
        context.Log?.Invoke(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{Name}: temperature {temperature:0.###} fitted on {Validation.Length} validation items"));
        return temperature;
    }

    (double Loss, double Accuracy) Evaluate(double[]? weights, Tensor? weightTensor, Device device)
    {
        using var noGrad = Torch.NoGrad();
        double lossSum = 0, weightSum = 0;
        long correct = 0;
        for (var start = 0; start < Validation.Length; start += ValidationBatchSize)
        {
            var items = Validation.AsSpan(start, Math.Min(ValidationBatchSize, Validation.Length - start)).ToArray();
            using var scope = DisposeScope.Begin();
            var y = LabelTensor(items, device);
            var logits = EvalLogits(items);
            lossSum += Functional.CrossEntropy(logits, y, weightTensor, Options.LabelSmoothing, Reduction.Sum).ToDouble();
            correct += logits.ArgMax(1).Eq(y).Sum().ToInt64();
            weightSum += items.Sum(i => weights is null ? 1 : weights[Labels[i]]);
        }
        return (lossSum / weightSum, (double)correct / Validation.Length);
    }

    Tensor LabelTensor(int[] items, Device device) =>
        CnnTrainer.ToDevice(Tensor.FromArray(items.Select(i => (long)Labels[i]).ToArray(), [items.Length]), device);

    // The best epoch's state, copied into tensors that live outside every step's scope.
    List<Dictionary<string, Tensor>> Snapshot(List<Dictionary<string, Tensor>>? previous)
    {
        using var noGrad = Torch.NoGrad();
        if (previous is null)
        {
            return Trained.Select(module =>
            {
                var copy = new Dictionary<string, Tensor>(StringComparer.Ordinal);
                foreach (var (name, tensor) in module.StateDict())
                    copy[name] = tensor.Clone().DetachFromDisposeScope();
                return copy;
            }).ToList();
        }
        for (var i = 0; i < Trained.Count; i++)
        {
            foreach (var (name, tensor) in Trained[i].StateDict())
                previous[i][name].CopyFrom(tensor);
        }
        return previous;
    }

    string EpochLine(int epoch, Dictionary<string, List<double>> curves)
    {
        var line = string.Create(CultureInfo.InvariantCulture,
            $"{Name} epoch {epoch + 1}/{Options.MaxEpochs}: train loss {curves["train_loss"][^1]:F4} acc {curves["train_acc"][^1]:F3}");
        if (curves["val_loss"].Count > 0)
            line += string.Create(CultureInfo.InvariantCulture, $", val loss {curves["val_loss"][^1]:F4} acc {curves["val_acc"][^1]:F3}");
        return line + string.Create(CultureInfo.InvariantCulture, $", {curves["epoch_seconds"][^1]:F1} s");
    }
}
