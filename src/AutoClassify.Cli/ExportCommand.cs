using System.CommandLine;
using System.Globalization;
using AutoClassify.Onnx;

namespace AutoClassify.Cli;

/// <summary><c>export</c>: a packaged network as an ONNX model for ONNX Runtime, ML.NET or any ONNX consumer.</summary>
internal static class ExportCommand
{
    internal static Command Create()
    {
        var model = new Argument<string>("model") { Description = "A registry model name (its champion is used) or a package file (*.acpkg)." };
        var onnx = new Option<FileInfo>("--onnx")
        {
            Description = "ONNX file to write: opset 17, dynamic batch, input 'image' (N x 1 x S x S grey pixels in 0..1; for SVM packages 'features', N x F raw features), output 'probabilities'.",
            Required = true,
        };
        var registry = ModelsCommand.RegistryOption();
        var command = new Command("export", "Export a packaged CNN, transfer or SVM model as ONNX (the network, its pixel normalisation and a softmax, or the SVM on feature vectors; classes and preprocessing in the metadata).")
        {
            model, onnx, registry,
        };
        command.SetAction(parse =>
        {
            var packagePath = PredictCommand.ResolvePackage(parse.GetRequiredValue(model), parse.GetValue(registry)!.FullName);
            var outPath = OutputGuard.File(parse.GetRequiredValue(onnx).ToString(), "--onnx", [packagePath], []);
            var bytes = OnnxPackageExporter.ExportFile(packagePath, outPath);
            parse.InvocationConfiguration.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Exported {packagePath} to {outPath} ({bytes / 1024.0:F0} KiB, ONNX opset {OnnxPackageExporter.Opset})."));
            return ExitCodes.Success;
        });
        return command;
    }
}
