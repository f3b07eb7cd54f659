using System.Globalization;
using AutoClassify.Native;

namespace AutoClassify.Tests.Models;

public class SvmBindingTests
{
    static (double[][] Rows, int[] Labels) SmallProblem()
    {
        var data = SvmTestData.Blobs(60, 6, [0.5, 0.3, 0.2], seed: 11, separation: 4);
        return (data.Features!.Rows, data.Labels);
    }

    static readonly LibSvmParameters Valid = new() { C = 4, Gamma = 0.25 };

    [Theory]
    [InlineData("C", -1.0, "C <= 0", "-c -1")]
    [InlineData("gamma", -0.5, "gamma < 0", "-g -0.5")]
    public void Should_reject_a_bad_parameter_with_a_message_naming_it(string parameter, double value, string libsvmMessage, string shownValue)
    {
        // Given a valid problem and one bad parameter
        var (rows, labels) = SmallProblem();
        using var problem = LibSvmProblem.Create(rows, labels);
        var bad = parameter == "C" ? Valid with { C = value } : Valid with { Gamma = value };

        // When LIBSVM checks it and we try to train
        var verdict = LibSvm.CheckParameter(problem, bad);
        var ex = Assert.Throws<ArgumentException>(() => LibSvm.Train(problem, bad, seed: 1));

        // Then both carry LIBSVM's own message, and the exception also shows the values
        Assert.Equal(libsvmMessage, verdict);
        Assert.Contains(libsvmMessage, ex.Message, StringComparison.Ordinal);
        Assert.Contains(shownValue, ex.Message, StringComparison.Ordinal);
        Assert.Null(LibSvm.CheckParameter(problem, Valid));
    }

    [Fact]
    public void Should_keep_the_training_rows_alive_while_a_trained_model_points_into_them()
    {
        // Given a model trained on a problem, and its predictions
        var (rows, labels) = SmallProblem();
        var problem = LibSvmProblem.Create(rows, labels);
        var model = LibSvm.Train(problem, Valid, seed: 1);
        var before = rows.Select(r => model.Predict(r)).ToArray();

        // When the problem is disposed first
        problem.Dispose();
        GC.Collect();
        GC.WaitForPendingFinalizers();

        // Then the problem refuses new use, but its rows (the model's support vectors) stay
        // allocated and the model predicts as before
        Assert.Throws<ObjectDisposedException>(() => LibSvm.Train(problem, Valid, seed: 1));
        Assert.False(problem.NativeMemoryReleased);
        Assert.Equal(before, rows.Select(r => model.Predict(r)).ToArray());

        // And they are freed with the model
        model.Dispose();
        Assert.True(problem.NativeMemoryReleased);
    }

    [Fact]
    public void Should_order_labels_by_first_appearance_and_probabilities_with_them()
    {
        // Given training rows whose first item is class 2, then class 0
        var (rows, labels) = SmallProblem();
        var order = Enumerable.Range(0, rows.Length)
            .OrderBy(i => labels[i] == 2 ? 0 : labels[i] == 0 ? 1 : 2)
            .ThenBy(i => i)
            .ToArray();
        using var problem = LibSvmProblem.Create(order.Select(i => rows[i]).ToArray(), order.Select(i => labels[i]).ToArray());

        // When trained with probability estimates
        using var model = LibSvm.Train(problem, Valid with { Probability = true }, seed: 3);

        // Then LIBSVM reports its internal label order, and each class's own rows get the most
        // probability at that class's position
        Assert.Equal([2, 0, 1], model.Labels);
        var probabilities = new double[3];
        foreach (var k in new[] { 0, 1, 2 })
        {
            var row = rows[Array.IndexOf(labels, k)];
            var predicted = model.PredictProbability(row, probabilities);
            Assert.Equal(k, predicted);
            Assert.Equal(model.Labels.ToList().IndexOf(k), Array.IndexOf(probabilities, probabilities.Max()));
            Assert.Equal(1.0, probabilities.Sum(), 6);
        }
    }

    [Fact]
    public void Should_route_libsvm_console_output_to_the_log()
    {
        // Given a log
        var (rows, labels) = SmallProblem();
        using var problem = LibSvmProblem.Create(rows, labels);
        var lines = new List<string>();

        // When training
        using var model = LibSvm.Train(problem, Valid, seed: 1, log: lines.Add);

        // Then the solver's report arrives as whole lines, one per class pair
        Assert.Equal(3, lines.Count(l => l.StartsWith("libsvm: optimization finished", StringComparison.Ordinal)));
        Assert.All(lines, l => Assert.DoesNotContain('\n', l));
    }

    [Fact]
    public void Should_quantize_to_values_that_print_and_parse_back_exactly_at_8_digits()
    {
        // Given values over many magnitudes, including powers of ten and their neighbours
        var random = new Random(5);
        var values = Enumerable.Range(0, 20_000)
            .Select(_ => (random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-20, 13)))
            .Concat(Enumerable.Range(-16, 30).SelectMany(e => new[] { Math.Pow(10, e), Math.BitDecrement(Math.Pow(10, e)), Math.BitIncrement(Math.Pow(10, e)) }))
            .Append(double.Epsilon)
            .ToArray();

        foreach (var v in values)
        {
            // When quantized
            var q = LibSvm.Quantize(v);

            // Then %.8g (G8) text of q reads back as q, and q is v to 8 significant digits
            var text = q.ToString("G8", CultureInfo.InvariantCulture);
            Assert.Equal(q, double.Parse(text, CultureInfo.InvariantCulture));
            Assert.Equal(v.ToString("G8", CultureInfo.InvariantCulture), text);
            Assert.Equal(q, LibSvm.Quantize(q));
        }
        Assert.Equal(0.0, LibSvm.Quantize(0.0));
    }

    [Fact]
    public void Should_load_the_LIBSVM_version_whose_struct_layouts_the_binding_mirrors()
    {
        // The svm_parameter and svm_node layouts in NativeMethods.LibSvm.cs are those of 3.24.
        Assert.Equal(324, LibSvm.Version);
    }
}
