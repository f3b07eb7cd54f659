using System.CommandLine;
using AutoClassify.Dataset.Synthesis;

namespace AutoClassify.Cli;

internal static class SynthCommand
{
    internal static Command Create()
    {
        var output = new Argument<DirectoryInfo>("out") { Description = "Folder to write the class subfolders into." };
        var count = new Option<int>("--count") { Description = "Total number of images.", DefaultValueFactory = _ => 400 };
        var size = new Option<int>("--size") { Description = "Crop width and height in pixels.", DefaultValueFactory = _ => 64 };
        var seed = CommonOptions.Seed(7);
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace crops an earlier run left in the class folders." };
        count.Validators.Add(r => CommonOptions.AtLeast(r, "--count", 1));
        size.Validators.Add(r => CommonOptions.AtLeast(r, "--size", 16));

        var command = new Command("synth", "Generate artificial cryo-TEM liposome crops (unilamellar / multilamellar / uncertain) with masks, imbalanced like the thesis.")
        {
            output, count, size, seed, overwrite,
        };
        command.SetAction(parse =>
        {
            var options = new LiposomeSynthesisOptions
            {
                Count = parse.GetValue(count),
                ImageSize = parse.GetValue(size),
                Seed = parse.GetValue(seed),
                Overwrite = parse.GetValue(overwrite),
            };
            var dir = OutputGuard.Folder(parse.GetRequiredValue(output).ToString(), "out", []);
            var summary = LiposomeSynthesizer.Generate(dir, options);
            parse.InvocationConfiguration.Output.WriteLine($"Wrote {summary.Total} images with masks to {dir}: " +
                string.Join(", ", summary.Classes.Select(c => $"{c.ClassName} {c.Count}")));
            return ExitCodes.Success;
        });
        return command;
    }
}
