using System.CommandLine;
using AutoClassify.Models.AutoMl;

namespace AutoClassify.Cli;

/// <summary>The AutoML options of <c>benchmark</c> and <c>train</c>: <c>--auto</c>, <c>--time-budget</c>, <c>--max-trials</c>.</summary>
internal sealed class AutoMlCommandOptions
{
    readonly Option<bool> auto = new("--auto")
    {
        Description = "AutoML: search representations (object features, whole-field features, tiles at sizes chosen from the image size, images at several sizes), learners (SVMs, the other feature models, CNNs), samplers, hyper-parameters and ensembles inside each training fold and keep the best (the model 'auto').",
    };

    readonly Option<TimeSpan?> timeBudget = new("--time-budget")
    {
        HelpName = "90s|30m|1h30m",
        Description = "Wall-clock budget of the whole AutoML run (default 10m, none with --max-trials alone); a benchmark splits it evenly over the outer folds.",
        CustomParser = r =>
        {
            var text = r.Tokens.Count == 1 ? r.Tokens[0].Value : "";
            try
            {
                return TimeBudget.Parse(text);
            }
            catch (FormatException ex)
            {
                r.AddError(ex.Message);
                return null;
            }
        },
    };

    readonly Option<int?> maxTrials = new("--max-trials")
    {
        Description = "At most N trials per search; without --time-budget the search then has no clock limit and repeats exactly from the seed.",
        Validators = { r => { if (CommonOptions.Value<int>(r) is < 1) r.AddError("--max-trials must be at least 1."); } },
    };

    public void AddTo(Command command)
    {
        command.Add(auto);
        command.Add(timeBudget);
        command.Add(maxTrials);
    }

    public bool IsAuto(ParseResult parse) => parse.GetValue(auto);

    /// <summary>
    /// The search settings for <paramref name="fits"/> AutoML fits sharing the run's budget. Throws when the budget
    /// options are given but no AutoML runs.
    /// </summary>
    public AutoMlOptions Read(ParseResult parse, int fits, bool autoRuns)
    {
        var budget = parse.GetValue(timeBudget);
        var trials = parse.GetValue(maxTrials);
        if (!autoRuns && (budget is not null || trials is not null))
            throw new ArgumentException("--time-budget and --max-trials apply to AutoML: add --auto.");
        // Untouched defaults when no search runs, so the run's settings (and a resume's fingerprint) do not depend on --folds here.
        if (!autoRuns)
            return new AutoMlOptions();
        var total = budget ?? (trials is null ? AutoMlOptions.Defaults.RunBudget : null);
        return new AutoMlOptions
        {
            TimeBudget = total is { } t ? AutoMlOptions.SplitBudget(t, fits) : null,
            MaxTrials = trials,
            BudgetShares = fits,
        };
    }
}
