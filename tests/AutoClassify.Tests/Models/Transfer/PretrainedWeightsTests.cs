using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using AutoClassify.Models.Transfer;
using AutoClassify.Tensors;
using AutoClassify.Tests.Support;
using AutoClassify.Tests.Tensors;
using static AutoClassify.Tests.Support.BackboneFixtures;

namespace AutoClassify.Tests.Models.Transfer;

[Collection(TorchTests.Name)]
public class PretrainedWeightsTests
{
    static readonly PretrainedWeightsFile ResNet18 = Backbones.Find("resnet18").ImageNetWeights;

    // A sandboxed home: every cache path comes from these variables, none from the real environment.
    static PretrainedWeightsOptions Sandbox(TempDirectory temp, bool allowDownload = false, Dictionary<string, string>? variables = null) => new()
    {
        AllowDownload = allowDownload,
        HomeDirectory = temp.Combine("home"),
        GetEnvironmentVariable = name => variables?.GetValueOrDefault(name),
        DownloadTimeout = TimeSpan.FromSeconds(20),
    };

    [Fact]
    public void Should_follow_torch_hubs_default_layout_and_honour_the_environment()
    {
        // Given
        using var temp = new TempDirectory("weights");
        var home = temp.Combine("home");
        var defaults = Sandbox(temp);
        var xdg = Sandbox(temp, variables: new() { ["XDG_CACHE_HOME"] = "/xdg" });
        var explicitly = Sandbox(temp, variables: new() { ["TORCH_HOME"] = "~/torch-home", ["AUTOCLASSIFY_CACHE"] = "/data/ac-cache", ["XDG_CACHE_HOME"] = "/xdg" });

        // When / Then
        Assert.Equal(Path.Combine(home, ".cache", "torch", "hub", "checkpoints"), PretrainedWeights.TorchHubDirectory(defaults));
        Assert.Equal(Path.Combine(home, ".cache", "autoclassify", "weights"), PretrainedWeights.CacheDirectory(defaults));
        Assert.Equal("/xdg/torch/hub/checkpoints", PretrainedWeights.TorchHubDirectory(xdg));
        Assert.Equal("/xdg/autoclassify/weights", PretrainedWeights.CacheDirectory(xdg));
        Assert.Equal(Path.Combine(home, "torch-home", "hub", "checkpoints"), PretrainedWeights.TorchHubDirectory(explicitly));
        Assert.Equal("/data/ac-cache/weights", PretrainedWeights.CacheDirectory(explicitly));
    }

    [Fact]
    public void Should_prefer_the_explicit_file_then_the_torch_hub_cache_then_our_own()
    {
        // Given the fixture under the published file name in both caches, and an explicit file elsewhere
        using var temp = new TempDirectory("weights");
        var options = Sandbox(temp);
        var hub = Path.Combine(PretrainedWeights.TorchHubDirectory(options), ResNet18.FileName);
        var own = Path.Combine(PretrainedWeights.CacheDirectory(options), ResNet18.FileName);
        var given = temp.File("mine.pth");
        foreach (var path in new[] { hub, own, given })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.Copy(Fixture("resnet18_tiny.pth"), path);
        }

        // When / Then each source wins while it exists
        Assert.Equal(given, PretrainedWeights.Locate(ResNet18, given, options));
        Assert.Equal(hub, PretrainedWeights.Locate(ResNet18, null, options));
        File.Delete(hub);
        var found = PretrainedWeights.Locate(ResNet18, null, options);
        Assert.Equal(own, found);
        var state = StateDictFile.Load(found);
        Assert.Equal(StateDictEntries("resnet18_tiny.pth").Count, state.Count);
        foreach (var tensor in state.Values)
            tensor.Dispose();
    }

    [Fact]
    public void Should_not_guess_when_the_explicit_file_is_missing()
    {
        using var temp = new TempDirectory("weights");
        var missing = temp.File("nowhere.pth");

        var error = Assert.Throws<FileNotFoundException>(() => PretrainedWeights.Locate(ResNet18, missing, Sandbox(temp)));

        Assert.Contains(missing, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_explain_which_file_to_fetch_from_where_and_where_to_put_it_when_offline()
    {
        // Given empty caches and a download URL nothing listens on (what an offline machine sees)
        using var temp = new TempDirectory("weights");
        var options = Sandbox(temp, allowDownload: true);
        var unreachable = ResNet18 with { Url = new Uri($"http://127.0.0.1:{FreePort()}/models/{ResNet18.FileName}") };

        // When
        var error = Assert.Throws<FileNotFoundException>(() => PretrainedWeights.Locate(unreachable, null, options));

        // Then the message names the file, the URL and both cache paths, and no file was left behind
        var cache = PretrainedWeights.CacheDirectory(options);
        Assert.Contains("resnet18-f37072fd.pth", error.Message, StringComparison.Ordinal);
        Assert.Contains(unreachable.Url.ToString(), error.Message, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(cache, "resnet18-f37072fd.pth"), error.Message, StringComparison.Ordinal);
        Assert.Contains(PretrainedWeights.TorchHubDirectory(options), error.Message, StringComparison.Ordinal);
        Assert.Contains("--weights none", error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(cache) && Directory.EnumerateFileSystemEntries(cache).Any());
    }

    [Fact]
    public void Should_never_fall_back_to_random_weights_when_imagenet_weights_are_missing()
    {
        // Given no cached weights and downloads off
        using var temp = new TempDirectory("weights");
        var options = new BackboneOptions { Lookup = Sandbox(temp) };

        // When
        var error = Assert.Throws<FileNotFoundException>(() => Backbones.Create("mobilenet_v2", options));

        // Then
        Assert.Contains("mobilenet_v2-b0353104.pth", error.Message, StringComparison.Ordinal);
        Assert.Contains("https://download.pytorch.org/models/mobilenet_v2-b0353104.pth", error.Message, StringComparison.Ordinal);
        Assert.Contains("downloading is turned off", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_download_into_our_cache_when_the_hash_matches_and_delete_it_when_it_does_not()
    {
        // Given a local server offering the tiny fixture, once under its true hash prefix and once under a wrong one
        using var temp = new TempDirectory("weights");
        var bytes = File.ReadAllBytes(Fixture("resnet18_tiny.pth"));
        var prefix = Convert.ToHexStringLower(SHA256.HashData(bytes))[..8];
        using var server = new FileServer(bytes);
        var good = new PretrainedWeightsFile($"tiny-{prefix}.pth", server.Url, prefix);
        var bad = new PretrainedWeightsFile("tiny-00000000.pth", server.Url, prefix == "00000000" ? "11111111" : "00000000");
        var options = Sandbox(temp, allowDownload: true);
        var cache = PretrainedWeights.CacheDirectory(options);

        // When
        var downloaded = PretrainedWeights.Locate(good, null, options);
        var error = Assert.Throws<InvalidDataException>(() => PretrainedWeights.Locate(bad, null, options));

        // Then only the verified file is in the cache, byte for byte, and it is found there next time
        Assert.Equal(Path.Combine(cache, good.FileName), downloaded);
        Assert.Equal(bytes, File.ReadAllBytes(downloaded));
        Assert.Contains(bad.Sha256, error.Message, StringComparison.Ordinal);
        Assert.Equal([downloaded], Directory.GetFiles(cache));
        Assert.Equal(downloaded, PretrainedWeights.Locate(good, null, Sandbox(temp)));
        Assert.Equal(2, server.Requests);
    }

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>A real HTTP server on the loopback interface that answers every GET with the same bytes.</summary>
    sealed class FileServer : IDisposable
    {
        readonly HttpListener listener = new();
        readonly Task loop;

        public FileServer(byte[] content)
        {
            var port = FreePort();
            listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            listener.Start();
            Url = new Uri($"http://127.0.0.1:{port}/models/weights.pth");
            loop = Task.Run(async () =>
            {
                while (listener.IsListening)
                {
                    HttpListenerContext context;
                    try
                    {
                        context = await listener.GetContextAsync();
                    }
                    catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
                    {
                        return;
                    }
                    Interlocked.Increment(ref requests);
                    context.Response.ContentLength64 = content.Length;
                    await context.Response.OutputStream.WriteAsync(content);
                    context.Response.Close();
                }
            });
        }

        int requests;

        public Uri Url { get; }

        public int Requests => Volatile.Read(ref requests);

        public void Dispose()
        {
            listener.Stop();
            listener.Close();
            loop.Wait(TimeSpan.FromSeconds(5));
        }
    }
}
