using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Unicode;

namespace AutoClassify.IO;

/// <summary>The JSON settings of the files a run writes and reads back (results.json, fold checkpoints).</summary>
public static class JsonFormat
{
    /// <summary>camelCase properties; NaN written as "NaN" (an undefined SD is NaN); non-ASCII letters kept readable.</summary>
    public static JsonSerializerOptions Results { get; } = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        // Get-only dictionaries (a training summary's facts and curves) are filled instead of needing setters.
        PreferredObjectCreationHandling = JsonObjectCreationHandling.Populate,
        Encoder = JavaScriptEncoder.Create(UnicodeRanges.All),
    };
}
