using System.CommandLine;
using System.Globalization;
using AutoClassify.Tiling;

namespace AutoClassify.Cli;

/// <summary>What the tiling options on a command line asked for.</summary>
/// <param name="Tile">The tile layout, or null when images are used whole.</param>
/// <param name="Aggregation">How tile probabilities become an image's probabilities.</param>
/// <param name="MapThreshold">Probability above which a map cell is tinted in its class's colour.</param>
internal readonly record struct TileSettings(TileSpec? Tile, TileAggregation Aggregation, double MapThreshold);

/// <summary>
/// <c>--tile SIZE[,STRIDE]</c>, <c>--tile-aggregate mean|vote</c> and <c>--map-threshold</c>, declared once for every
/// command that subdivides whole-field images (benchmark, train, predict, map).
/// </summary>
internal sealed class TileOptions
{
    /// <summary>The default of <c>--map-threshold</c>.</summary>
    public const double DefaultMapThreshold = 0.5;

    readonly Option<TileSpec?> tile = new("--tile")
    {
        HelpName = "SIZE[,STRIDE]",
        Description = "Split every prepared image into SIZE-pixel square tiles, one every STRIDE pixels (default STRIDE = SIZE); tiles inherit the image's label and models learn from tiles.",
        CustomParser = r =>
        {
            var text = r.Tokens.Count == 1 ? r.Tokens[0].Value : "";
            try
            {
                return TileSpec.Parse(text);
            }
            catch (Exception ex) when (ex is FormatException or ArgumentException)
            {
                r.AddError(ex.Message);
                return null;
            }
        },
    };

    readonly Option<TileAggregation> aggregate = new("--tile-aggregate")
    {
        HelpName = "mean|vote",
        Description = "How tile probabilities become an image's: mean (average the probabilities, default) or vote (share of tiles whose top class it is).",
        DefaultValueFactory = _ => TileAggregation.Mean,
        CustomParser = r =>
        {
            var text = r.Tokens.Count == 1 ? r.Tokens[0].Value : "";
            try
            {
                return TileAggregations.Parse(text);
            }
            catch (FormatException ex)
            {
                r.AddError(ex.Message);
                return default;
            }
        },
    };

    readonly Option<double> mapThreshold = new("--map-threshold")
    {
        Description = "Prediction maps tint a cell in a class's colour where that class's probability exceeds this (0 to 1).",
        DefaultValueFactory = _ => DefaultMapThreshold,
    };

    public TileOptions()
    {
        mapThreshold.Validators.Add(r =>
        {
            if (CommonOptions.Value<double>(r) is { } v && !(v > 0 && v < 1))
                r.AddError($"--map-threshold must lie strictly between 0 and 1, not {v.ToString(CultureInfo.InvariantCulture)}.");
        });
    }

    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        command.Add(tile);
        command.Add(aggregate);
        command.Add(mapThreshold);
    }

    public TileSettings Read(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        return new TileSettings(parse.GetValue(tile), parse.GetValue(aggregate), parse.GetValue(mapThreshold));
    }
}
