using System.Diagnostics;
using System.Numerics.Tensors;
using AutoClassify.Features;
using AutoClassify.Models;
using AutoClassify.Models.Svm;
using AutoClassify.Native;
using MathNet.Numerics.LinearAlgebra;
using Tensor = AutoClassify.Tensors.Tensor;
using Torch = AutoClassify.Tensors.Torch;

namespace AutoClassify.Bench;

internal sealed partial class SvmBench
{
    // Permutation importance scores batches of this many test items, one full prediction each.
    const int PredictionBatch = 1000;

    /// <summary>
    /// (c) LIBSVM's <c>svm_predict_probability</c> against the dense path on a model with thousands of support vectors,
    /// predicting one permutation-importance batch; (d) how the kernel rows' matrix product is best formed.
    /// </summary>
    static void CompareDensePrediction(bool quick)
    {
        var (rows, repeats) = quick ? (1500, 3) : (6000, 5);
        var data = FeatureLikeData(rows + PredictionBatch, seed: 4);
        var train = Enumerable.Range(0, rows).ToArray();
        var test = Enumerable.Range(rows, PredictionBatch).ToArray();
        Console.WriteLine(F($"(c) predict {PredictionBatch} items with a model fitted on {rows} rows x {data.Features!.Dimension} features, 3 classes (C = 8, gamma = 2^-7, -b 1)"));
        var fitClock = Stopwatch.StartNew();
        using var model = new SvmTrainer().Fit(data, train, 8, 1.0 / 128, new TrainingContext { Seed = 1, Threads = 1 });
        Console.WriteLine(F($"    {model.SupportVectorCount} support vectors (fit {fitClock.Elapsed.TotalSeconds:F1} s); dense path {(model.DensePrediction ? "on" : "OFF")}"));

        // Warm-up: both paths' methods reach the JIT's optimized tier before anything is timed.
        for (var w = 0; w < 3; w++)
        {
            model.PredictProbabilities(data, test, libSvm: true);
            model.PredictProbabilities(data, test, libSvm: false);
        }
        var libSvm = new List<(double Wall, double Cpu)>();
        var dense = new List<(double Wall, double Cpu)>();
        double[][]? expected = null, actual = null;
        for (var r = 0; r < repeats; r++)
        {
            for (var side = 0; side < 2; side++)
            {
                var useLibSvm = (side + r) % 2 == 0;
                var (cpu0, clock) = (ThreadCpuSeconds(), Stopwatch.StartNew());
                var result = model.PredictProbabilities(data, test, useLibSvm);
                (useLibSvm ? libSvm : dense).Add((clock.Elapsed.TotalSeconds, ThreadCpuSeconds() - cpu0));
                if (useLibSvm)
                    expected = result;
                else
                    actual = result;
            }
        }
        var worst = expected!.Zip(actual!, (e, a) => e.Zip(a, (x, y) => Math.Abs(x - y)).Max()).Max();
        var sameLabels = expected!.Zip(actual!, (e, a) => SvmModel.ArgMax(e) == SvmModel.ArgMax(a)).Count(same => same);
        var (libSvmCpu, denseCpu) = (Median(libSvm.Select(t => t.Cpu)), Median(dense.Select(t => t.Cpu)));
        Console.WriteLine(F($"    LIBSVM  wall {Median(libSvm.Select(t => t.Wall)):F3} s  cpu {libSvmCpu:F3} s  (median of {repeats}, one thread)"));
        Console.WriteLine(F($"    dense   wall {Median(dense.Select(t => t.Wall)):F3} s  cpu {denseCpu:F3} s"));
        Console.WriteLine(F($"    ratio LIBSVM/dense: wall {Median(libSvm.Select(t => t.Wall)) / Median(dense.Select(t => t.Wall)):F1}x, cpu {libSvmCpu / denseCpu:F1}x"));
        Console.WriteLine(F($"    max |p_LIBSVM - p_dense| = {worst:E2}; same argmax on {sameLabels} of {PredictionBatch} items"));
        Console.WriteLine(F($"    load average {LoadAverage.Now()}"));

        CompareKernelProducts(model.SupportVectorCount, data.Features.Dimension, quick ? 1 : repeats);
        CompareGridCellPrediction(quick);
    }

    /// <summary>
    /// (e) One grid-search cell's inner fold: its fit (no probabilities) against the vote on the held-out third by
    /// LIBSVM and by the dense path, so the share prediction takes of a cell is plain.
    /// </summary>
    static void CompareGridCellPrediction(bool quick)
    {
        // A 3,000-item tuning sample splits 2,000 / 1,000 in each of 3 inner folds.
        var (trainRows, testRows) = quick ? (1000, 500) : (2000, 1000);
        var data = FeatureLikeData(trainRows + testRows, seed: 6);
        var train = Enumerable.Range(0, trainRows).ToArray();
        var test = Enumerable.Range(trainRows, testRows).ToArray();
        var standardizer = Standardizer.Fit(data.Features!.Rows, train);
        var dimension = data.Features.Dimension;
        var testMatrix = standardizer.Transform(data.Features.Rows, test);
        using var trainProblem = LibSvmProblem.Create(standardizer.Transform(data.Features.Rows, train), [.. train.Select(i => data.Labels[i])]);
        using var testProblem = LibSvmProblem.Create(testMatrix, [.. test.Select(i => data.Labels[i])]);
        var quantized = testMatrix.SelectMany(r => r.Select(LibSvm.Quantize)).ToArray();
        var parameters = new LibSvmParameters
        {
            C = 8,
            Gamma = 1.0 / 128,
            CacheSizeMb = new SvmOptions().CacheSizeMb,
            ClassWeights = SvmTrainer.InverseFrequencyWeights([.. train.Select(i => data.Labels[i])]),
        };
        Console.WriteLine(F($"(e) a grid cell's inner fold: fit on {trainRows} rows, vote on {testRows} (C = 8, gamma = 2^-7, no -b)"));
        var clock = Stopwatch.StartNew();
        using var model = LibSvm.Train(trainProblem, parameters, seed: 0);
        var fit = clock.Elapsed.TotalSeconds;

        clock.Restart();
        var libSvm = Enumerable.Range(0, testRows).Select(r => model.Predict(testProblem, r)).ToArray();
        var libSvmSeconds = clock.Elapsed.TotalSeconds;
        clock.Restart();
        var predictor = DenseSvmPredictor.TryCreate(model.ReadContents(dimension))!;
        var positions = new int[testRows];
        predictor.PredictVotes(quantized, positions);
        var denseSeconds = clock.Elapsed.TotalSeconds;
        var same = positions.Select((p, r) => model.Labels[p] == libSvm[r]).Count(s => s);
        Console.WriteLine(F($"    fit {fit:F3} s ({model.SupportVectorCount} support vectors); vote: LIBSVM {libSvmSeconds:F3} s, dense {denseSeconds:F3} s (extraction included); same label on {same} of {testRows}"));
        Console.WriteLine(F($"    prediction's share of the cell: LIBSVM {libSvmSeconds / (fit + libSvmSeconds):P1}, dense {denseSeconds / (fit + denseSeconds):P1}"));
    }

    /// <summary>
    /// The n × m dot products behind the kernel rows, formed three ways on one batch: TensorPrimitives.Dot per pair on
    /// the calling thread (what <see cref="DenseSvmPredictor"/> does), libtorch's mm on OpenBLAS with one thread and
    /// with its default, and MathNet's managed multiply with its default parallelism.
    /// </summary>
    static void CompareKernelProducts(int supportVectors, int dimension, int repeats)
    {
        var random = new Random(9);
        var x = Enumerable.Range(0, PredictionBatch * dimension).Select(_ => random.NextDouble() - 0.5).ToArray();
        var sv = Enumerable.Range(0, supportVectors * dimension).Select(_ => random.NextDouble() - 0.5).ToArray();
        var output = new double[(long)PredictionBatch * supportVectors];
        Console.WriteLine(F($"(d) the product {PredictionBatch} x {dimension} by {dimension} x {supportVectors}, wall (cpu) seconds, median of {repeats}:"));

        void Report(string name, Action product)
        {
            product();
            var times = new List<(double Wall, double Cpu)>();
            for (var r = 0; r < repeats; r++)
            {
                var (cpu0, clock) = (ProcessCpuSeconds(), Stopwatch.StartNew());
                product();
                times.Add((clock.Elapsed.TotalSeconds, ProcessCpuSeconds() - cpu0));
            }
            Console.WriteLine(F($"    {name,-44} {Median(times.Select(t => t.Wall)):F4} ({Median(times.Select(t => t.Cpu)):F4})"));
        }

        Report("TensorPrimitives.Dot per pair, 1 thread", () =>
        {
            for (var i = 0; i < PredictionBatch; i++)
            {
                var row = x.AsSpan(i * dimension, dimension);
                for (var s = 0; s < supportVectors; s++)
                    output[(long)i * supportVectors + s] = TensorPrimitives.Dot(row, sv.AsSpan(s * dimension, dimension));
            }
        });

        // The same product as axpy steps: support vectors feature-major, each item's row accumulated one feature at a time.
        var svByFeature = new double[dimension * supportVectors];
        for (var s = 0; s < supportVectors; s++)
        {
            for (var j = 0; j < dimension; j++)
                svByFeature[j * supportVectors + s] = sv[s * dimension + j];
        }
        Report("TensorPrimitives.MultiplyAdd per feature", () =>
        {
            for (var i = 0; i < PredictionBatch; i++)
            {
                var row = output.AsSpan(i * supportVectors, supportVectors);
                row.Clear();
                for (var j = 0; j < dimension; j++)
                    TensorPrimitives.MultiplyAdd(svByFeature.AsSpan(j * supportVectors, supportVectors), x[i * dimension + j], row, row);
            }
        });

        var torchThreads = Torch.Threads;
        foreach (var threads in new[] { 1, torchThreads }.Distinct())
        {
            Torch.Threads = threads;
            Report(F($"libtorch mm (OpenBLAS), {threads} thread(s)"), () =>
            {
                using var a = Tensor.FromArray(x, [PredictionBatch, dimension]);
                using var b = Tensor.FromArray(sv, [supportVectors, dimension]);
                using var bt = b.Transpose(0, 1);
                using var product = a.MatMul(bt);
                product.ToArray<double>().CopyTo(output, 0);
            });
        }
        Torch.Threads = torchThreads;

        Report(F($"MathNet managed multiply, default threads"), () =>
        {
            var a = Matrix<double>.Build.Dense(PredictionBatch, dimension, (i, j) => x[i * dimension + j]);
            var b = Matrix<double>.Build.Dense(dimension, supportVectors, (j, s) => sv[s * dimension + j]);
            (a * b).ToColumnMajorArray().CopyTo(output, 0);
        });
    }
}
