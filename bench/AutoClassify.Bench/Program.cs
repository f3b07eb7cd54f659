using System.Diagnostics;
using System.Reflection;

namespace AutoClassify.Bench;

/// <summary>A benchmark suite: prints ratios measured side by side in one run.</summary>
internal interface IBenchSuite
{
    /// <summary>Short name used on the command line, e.g. <c>features</c>.</summary>
    string Name { get; }

    string Description { get; }

    void Run(BenchOptions options);
}

/// <summary>Settings shared by every suite; <see cref="Settings"/> holds the <c>--key=value</c> arguments, for the suites that read any.</summary>
internal sealed record BenchOptions(bool Quick, string RepoRoot, string SharedRoot)
{
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();

    /// <summary>Throws naming every setting given that <paramref name="suite"/> does not read, with the <paramref name="keys"/> it does.</summary>
    public void RequireKnownSettings(string suite, IReadOnlyList<string> keys)
    {
        var unknown = Settings.Keys.Where(k => !keys.Contains(k)).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException($"{suite} does not know --{string.Join(", --", unknown)}; it reads --{string.Join("=, --", keys)}=.");
    }

    /// <summary>The whole number given as <c>--key=</c>, or <paramref name="fallback"/> when absent; throws when it is not one.</summary>
    public int Int(string key, int fallback)
    {
        if (!Settings.TryGetValue(key, out var text))
            return fallback;
        return int.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new ArgumentException($"--{key}={text}: not a whole number.");
    }

    /// <summary>An on/off setting given as <c>--key=1</c> or <c>--key=0</c>; off when absent; throws on any other value.</summary>
    public bool Switch(string key) => Int(key, 0) switch
    {
        0 => false,
        1 => true,
        var other => throw new ArgumentException($"--{key}={other}: expected 0 or 1."),
    };
}

static class Program
{
    static int Main(string[] args)
    {
        var suites = typeof(Program).Assembly.GetTypes()
            .Where(t => typeof(IBenchSuite).IsAssignableFrom(t) && t is { IsClass: true, IsAbstract: false })
            .Select(t => (IBenchSuite)Activator.CreateInstance(t)!)
            .OrderBy(s => s.Name, StringComparer.Ordinal)
            .ToList();

        var quick = args.Contains("--quick");
        var names = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal)).ToList();
        if (args.Contains("--list") || args.Contains("--help"))
        {
            Console.WriteLine("usage: bench [--quick] [--key=value ...] [suite ...]   (no suite: run all; settings: see the suite)");
            foreach (var s in suites)
                Console.WriteLine($"  {s.Name,-12} {s.Description}");
            return 0;
        }

        var unknown = names.Where(n => suites.All(s => s.Name != n)).ToList();
        if (unknown.Count > 0)
        {
            Console.Error.WriteLine($"Unknown suite(s): {string.Join(", ", unknown)}. Use --list.");
            return 2;
        }

        var root = FindRepoRoot();
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in args.Where(a => a.StartsWith("--", StringComparison.Ordinal) && a.Contains('=', StringComparison.Ordinal)).Select(a => a[2..].Split('=', 2)))
            settings[pair[0]] = pair[1];
        var options = new BenchOptions(quick, root, Path.GetFullPath(Path.Combine(root, "..", "shared"))) { Settings = settings };
        foreach (var suite in suites.Where(s => names.Count == 0 || names.Contains(s.Name)))
        {
            Console.WriteLine($"== {suite.Name}: {suite.Description}");
            var clock = Stopwatch.StartNew();
            try
            {
                suite.Run(options);
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine($"{suite.Name}: {e.Message}");
                return 2;
            }
            Console.WriteLine($"== {suite.Name} done in {clock.Elapsed.TotalSeconds:F1} s");
            Console.WriteLine();
        }
        return 0;
    }

    static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "AutoClassify.sln")))
                return dir.FullName;
        }
        return Directory.GetCurrentDirectory();
    }
}
