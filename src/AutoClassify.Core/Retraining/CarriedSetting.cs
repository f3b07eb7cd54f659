using System.Globalization;

namespace AutoClassify.Retraining;

/// <summary>Where the value of a challenger's training setting came from.</summary>
public enum SettingOrigin
{
    /// <summary>The champion's manifest records it, and the challenger trains with the same value.</summary>
    Carried,

    /// <summary>A retrain option on the command line replaced the champion's value.</summary>
    Overridden,

    /// <summary>The champion's manifest does not record it (it predates the setting); the value is what it trained under then.</summary>
    NotRecorded,
}

/// <summary>One training setting of a retrained challenger, as <c>retrain</c> resolved it from the champion and the command line.</summary>
/// <param name="Name">The setting's fact name in a package manifest (<c>lr_warmup_epochs</c>, <c>epoch_size</c>, ...).</param>
/// <param name="Value">The value the challenger trained with, formatted invariantly.</param>
/// <param name="Origin">Where the value came from.</param>
/// <param name="Flag">The retrain option that overrode it; null unless <see cref="SettingOrigin.Overridden"/>.</param>
/// <param name="ChampionValue">The champion's recorded value; null when it records none.</param>
/// <param name="Note">Why a <see cref="SettingOrigin.NotRecorded"/> setting has its value.</param>
public sealed record CarriedSetting(string Name, string Value, SettingOrigin Origin, string? Flag = null, string? ChampionValue = null, string? Note = null)
{
    /// <summary>The manifest fact listing the settings carried over unchanged.</summary>
    public const string CarriedFact = "retrain_settings_carried";

    /// <summary>The manifest fact listing the settings overridden on the command line, each with its option and the champion's value.</summary>
    public const string OverriddenFact = "retrain_settings_overridden";

    /// <summary>The manifest fact listing the settings the champion does not record, each with the value taken.</summary>
    public const string NotRecordedFact = "retrain_settings_not_recorded";

    /// <summary>Where the value came from, in words, for the report.</summary>
    public string Describe() => Origin switch
    {
        SettingOrigin.Overridden => $"overridden by {Flag} (champion: {ChampionValue ?? "not recorded"})",
        SettingOrigin.NotRecorded => $"not recorded by the champion: {Note}",
        _ => "carried from the champion",
    };

    /// <summary>The three manifest facts (<see cref="CarriedFact"/>, <see cref="OverriddenFact"/>, <see cref="NotRecordedFact"/>) of <paramref name="settings"/>; an empty list writes no fact.</summary>
    public static void AddFacts(IDictionary<string, string> facts, IReadOnlyList<CarriedSetting> settings)
    {
        ArgumentNullException.ThrowIfNull(facts);
        ArgumentNullException.ThrowIfNull(settings);
        var carried = settings.Where(s => s.Origin == SettingOrigin.Carried).Select(s => s.Name).ToList();
        var overridden = settings.Where(s => s.Origin == SettingOrigin.Overridden).Select(s => $"{s.Name} {s.Value} ({s.Flag}; champion {s.ChampionValue ?? "not recorded"})").ToList();
        var notRecorded = settings.Where(s => s.Origin == SettingOrigin.NotRecorded).Select(s => $"{s.Name} {s.Value} ({s.Note})").ToList();
        if (carried.Count > 0)
            facts[CarriedFact] = string.Join(", ", carried);
        facts[OverriddenFact] = overridden.Count == 0 ? "none" : string.Join("; ", overridden);
        if (notRecorded.Count > 0)
            facts[NotRecordedFact] = string.Join("; ", notRecorded);
    }

    /// <summary>One log line: how many settings were carried, and every override and unrecorded one by name.</summary>
    public static string Summary(IReadOnlyList<CarriedSetting> settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var carried = settings.Count(s => s.Origin == SettingOrigin.Carried);
        var overridden = settings.Where(s => s.Origin == SettingOrigin.Overridden).Select(s => $"{s.Name} = {s.Value} ({s.Flag})").ToList();
        var notRecorded = settings.Where(s => s.Origin == SettingOrigin.NotRecorded).Select(s => $"{s.Name} = {s.Value}").ToList();
        return string.Create(CultureInfo.InvariantCulture,
            $"training settings: {carried} carried from the champion; overridden: {(overridden.Count == 0 ? "none" : string.Join(", ", overridden))}")
            + (notRecorded.Count == 0 ? "" : $"; not recorded by the champion: {string.Join(", ", notRecorded)}");
    }
}
