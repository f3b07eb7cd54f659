using System.Net.Http;
using System.Security.Cryptography;
using AutoClassify.IO;

namespace AutoClassify.Models.Transfer;

/// <summary>
/// A published weights file: its file name (as the caches store it), where to download it and the SHA-256 it
/// must have. <paramref name="Sha256"/> is the full hex digest or, where only that is published, a prefix of it.
/// </summary>
public sealed record PretrainedWeightsFile(string FileName, Uri Url, string Sha256)
{
    /// <summary>True when <paramref name="hexDigest"/> (lower-case hex) matches the pinned digest or prefix.</summary>
    public bool Matches(string hexDigest)
    {
        ArgumentNullException.ThrowIfNull(hexDigest);
        return Sha256.Length > 0 && hexDigest.StartsWith(Sha256, StringComparison.OrdinalIgnoreCase);
    }
}

/// <summary>Where <see cref="PretrainedWeights.Locate"/> looks and whether it may download.</summary>
public sealed class PretrainedWeightsOptions
{
    /// <summary>Download into AutoClassify's cache when no copy is found (default true).</summary>
    public bool AllowDownload { get; init; } = true;

    /// <summary>Gives up on a download that takes longer (default 10 minutes).</summary>
    public TimeSpan DownloadTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Reads environment variables (TORCH_HOME, XDG_CACHE_HOME, AUTOCLASSIFY_CACHE); the process environment by default.</summary>
    public Func<string, string?> GetEnvironmentVariable { get; init; } = Environment.GetEnvironmentVariable;

    /// <summary>The home directory the default caches live under; the user's profile by default.</summary>
    public string? HomeDirectory { get; init; }

    /// <summary>HTTP handler for downloads (null: the default one). The caller keeps ownership.</summary>
    public HttpMessageHandler? HttpHandler { get; init; }

    /// <summary>Receives one line per step (found, downloading, verified).</summary>
    public Action<string>? Log { get; init; }
}

/// <summary>
/// Finds published network weights: an explicit file first, then PyTorch's hub cache
/// (<c>$TORCH_HOME/hub/checkpoints</c>, by default <c>~/.cache/torch/hub/checkpoints</c>), then AutoClassify's own
/// cache (<c>$AUTOCLASSIFY_CACHE/weights</c>, by default <c>~/.cache/autoclassify/weights</c>), and finally a download
/// from the official URL into AutoClassify's cache, verified against the pinned SHA-256 before it is renamed into
/// place. It never falls back to random weights: a miss is a <see cref="FileNotFoundException"/> that says which
/// file to fetch from where and where to put it.
/// </summary>
public static class PretrainedWeights
{
    /// <summary>PyTorch's hub cache for downloaded checkpoints (what <c>torch.hub</c> uses).</summary>
    public static string TorchHubDirectory(PretrainedWeightsOptions? options = null)
    {
        options ??= new PretrainedWeightsOptions();
        var torchHome = NonEmpty(options.GetEnvironmentVariable("TORCH_HOME")) ?? Path.Combine(CacheHome(options), "torch");
        return Path.Combine(ExpandHome(torchHome, options), "hub", "checkpoints");
    }

    /// <summary>AutoClassify's weights cache, where downloads go.</summary>
    public static string CacheDirectory(PretrainedWeightsOptions? options = null)
    {
        options ??= new PretrainedWeightsOptions();
        var root = NonEmpty(options.GetEnvironmentVariable("AUTOCLASSIFY_CACHE")) ?? Path.Combine(CacheHome(options), "autoclassify");
        return Path.Combine(ExpandHome(root, options), "weights");
    }

    /// <summary>
    /// The path of <paramref name="file"/>'s weights: <paramref name="explicitPath"/> when given (it must exist),
    /// else the first cached copy, else a verified download. Throws <see cref="FileNotFoundException"/> when none
    /// is available and <see cref="InvalidDataException"/> when a download does not match the pinned hash.
    /// </summary>
    public static string Locate(PretrainedWeightsFile file, string? explicitPath = null, PretrainedWeightsOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(file);
        options ??= new PretrainedWeightsOptions();
        if (!string.IsNullOrWhiteSpace(explicitPath))
        {
            return File.Exists(explicitPath)
                ? explicitPath
                : throw new FileNotFoundException($"Weights file '{explicitPath}' (given with --weights) does not exist.", explicitPath);
        }

        var torchHub = TorchHubDirectory(options);
        var cache = CacheDirectory(options);
        foreach (var directory in new[] { torchHub, cache })
        {
            var candidate = Path.Combine(directory, file.FileName);
            if (File.Exists(candidate))
            {
                options.Log?.Invoke($"weights: using {candidate}");
                return candidate;
            }
        }

        var target = Path.Combine(cache, file.FileName);
        if (!options.AllowDownload)
            throw NotFound(file, torchHub, cache, "downloading is turned off");
        try
        {
            Download(file, target, options);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException or UnauthorizedAccessException)
        {
            throw NotFound(file, torchHub, cache, e.Message.TrimEnd('.'), e);
        }
        return target;
    }

    static void Download(PretrainedWeightsFile file, string target, PretrainedWeightsOptions options)
    {
        options.Log?.Invoke($"weights: downloading {file.Url} to {target}");
        using var client = options.HttpHandler is null ? new HttpClient() : new HttpClient(options.HttpHandler, disposeHandler: false);
        client.Timeout = options.DownloadTimeout;
        using var response = client.Send(new HttpRequestMessage(HttpMethod.Get, file.Url), HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        // Written beside the target and renamed only once the hash matches: a bad download never lands in the cache.
        AtomicFile.Write(target, stream =>
        {
            using var body = response.Content.ReadAsStream();
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = new byte[1 << 16];
            int read;
            while ((read = body.Read(buffer)) > 0)
            {
                hash.AppendData(buffer, 0, read);
                stream.Write(buffer, 0, read);
            }
            var digest = Convert.ToHexStringLower(hash.GetHashAndReset());
            if (!file.Matches(digest))
            {
                throw new InvalidDataException(
                    $"{file.Url}: the downloaded file has SHA-256 {digest}, which does not match the pinned {file.Sha256}; it was deleted, not cached.");
            }
            options.Log?.Invoke($"weights: SHA-256 {digest} matches the pinned {file.Sha256}");
        });
    }

    static FileNotFoundException NotFound(PretrainedWeightsFile file, string torchHub, string cache, string reason, Exception? inner = null) => new(
        $"No weights file {file.FileName}: it is neither in {torchHub} nor in {cache}, and it could not be downloaded from {file.Url} ({reason}). "
        + $"Download it on a machine with internet access and copy it to {Path.Combine(cache, file.FileName)} (or into {torchHub}), "
        + "or pass --weights <file> with a state dict of the same network; --weights none trains from random initialisation instead.",
        file.FileName, inner);

    static string CacheHome(PretrainedWeightsOptions options) =>
        NonEmpty(options.GetEnvironmentVariable("XDG_CACHE_HOME")) ?? Path.Combine(Home(options), ".cache");

    static string Home(PretrainedWeightsOptions options) =>
        options.HomeDirectory ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);

    // As Python's os.path.expanduser, which torch.hub applies to TORCH_HOME.
    static string ExpandHome(string path, PretrainedWeightsOptions options) =>
        path == "~" ? Home(options)
        : path.StartsWith("~/", StringComparison.Ordinal) ? Path.Combine(Home(options), path[2..])
        : path;

    static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
