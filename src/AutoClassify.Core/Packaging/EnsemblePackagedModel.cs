using System.Text.Json;
using AutoClassify.Models;
using AutoClassify.Models.AutoMl;
using AutoClassify.Preprocessing;

namespace AutoClassify.Packaging;

/// <summary>
/// An <see cref="EnsembleModel"/> in a package (kind <c>ensemble</c>): every member is packaged by its own kind, its
/// payload files stored flat with the prefix <c>m1-</c>, <c>m2-</c>, …, and <see cref="IndexFileName"/> lists each
/// member's kind, preprocessing and files, and for a stacked ensemble the combiner's weights (<c>combine</c> is
/// <c>stack</c>; an index without <c>combine</c> is an average). Prediction averages the members' probabilities with
/// equal weights, or feeds them to the stacking combiner.
/// </summary>
public sealed class EnsemblePackagedModel : IPackagedModel
{
    /// <summary>The payload file listing the members.</summary>
    public const string IndexFileName = "ensemble.json";

    readonly List<IPackagedModel> members;

    /// <summary>The registration of the <c>ensemble</c> kind.</summary>
    public static PackagedModelKind Registration { get; } = new(EnsembleModel.Kind, Wrap, Load);

    /// <summary>
    /// An ensemble of packaged members (taking ownership), averaged, or stacked by <paramref name="stacker"/>; the
    /// members must agree on the classes.
    /// </summary>
    public EnsemblePackagedModel(IReadOnlyList<IPackagedModel> members, StackingCombiner? stacker = null)
    {
        ArgumentNullException.ThrowIfNull(members);
        if (members.Count < 2)
            throw new ArgumentException($"An ensemble needs at least 2 members, got {members.Count}.", nameof(members));
        var classes = members[0].ClassNames;
        foreach (var member in members.Skip(1))
        {
            if (!member.ClassNames.SequenceEqual(classes, StringComparer.Ordinal))
                throw new InvalidDataException($"ensemble members disagree on the classes: {string.Join(", ", classes)} against {string.Join(", ", member.ClassNames)}");
        }
        if (stacker is not null && (stacker.Members != members.Count || stacker.ClassCount != classes.Count))
            throw new InvalidDataException($"the stacking combiner reads {stacker.Members} members of {stacker.ClassCount} classes, not {members.Count} of {classes.Count}");
        this.members = [.. members];
        Stacker = stacker;
    }

    /// <summary>The meta-learner of a stacked ensemble; null when the members are averaged.</summary>
    public StackingCombiner? Stacker { get; }

    public string Kind => EnsembleModel.Kind;

    /// <summary>The packaged members (owned).</summary>
    public IReadOnlyList<IPackagedModel> Members => members;

    public IReadOnlyList<string> ClassNames => members[0].ClassNames;

    public PackagePreprocessing Preprocessing => new()
    {
        InputMode = "ensemble",
        Normalisation = $"each member its own: {string.Join("; ", members.Select(m => $"{m.Kind}: {m.Preprocessing.Normalisation}"))} (in {IndexFileName}); combined by {(Stacker is null ? EnsembleModel.MeanCombine : Stacker.Describe())}",
    };

    public void WritePayload(string directory)
    {
        var index = new List<MemberEntry>();
        for (var i = 0; i < members.Count; i++)
        {
            var staging = Directory.CreateTempSubdirectory("acpkg-member-");
            try
            {
                members[i].WritePayload(staging.FullName);
                var prefix = $"m{i + 1}-";
                var files = new List<string>();
                foreach (var file in Directory.EnumerateFiles(staging.FullName).Order(StringComparer.Ordinal))
                {
                    var name = prefix + Path.GetFileName(file);
                    File.Move(file, Path.Combine(directory, name));
                    files.Add(name);
                }
                if (Directory.EnumerateDirectories(staging.FullName).Any())
                    throw new InvalidOperationException($"Ensemble member {i + 1} ({members[i].Kind}) wrote a subfolder into its payload; payloads are flat.");
                index.Add(new MemberEntry(members[i].Kind, members[i].Preprocessing, files));
            }
            finally
            {
                staging.Delete(recursive: true);
            }
        }
        File.WriteAllText(Path.Combine(directory, IndexFileName), JsonSerializer.Serialize(
            new EnsembleIndex(index, Stacker is null ? MeanCombine : StackCombine, Stacker?.Weights), ModelPackageManifest.Json));
    }

    public double[][] PredictProbabilities(IReadOnlyList<PreparedImage> images, int threads)
    {
        ArgumentNullException.ThrowIfNull(images);
        return EnsembleModel.Combine(members.Select(m => m.PredictProbabilities(images, threads)).ToList(), images.Count, ClassNames.Count, Stacker);
    }

    public void Dispose()
    {
        foreach (var member in members)
            member.Dispose();
    }

    static EnsemblePackagedModel Wrap(ITrainedModel trained)
    {
        if (trained is not EnsembleModel ensemble)
            throw new ArgumentException($"The ensemble kind packages an EnsembleModel, not a {trained.GetType().Name}.", nameof(trained));
        var kinds = ensemble.MemberKinds.Select(k => PackagedModelKinds.Find(k)
            ?? throw new InvalidOperationException($"An ensemble member is a '{k}', which this build cannot package.")).ToList();
        var fitted = ensemble.DetachMembers();
        var packaged = new List<IPackagedModel>();
        try
        {
            for (var i = 0; i < fitted.Count; i++)
                packaged.Add(AutoMlPackaging.WrapMember(kinds[i], fitted[i]));
            return new EnsemblePackagedModel(packaged, ensemble.Stacker);
        }
        catch
        {
            foreach (var model in packaged)
                model.Dispose();
            foreach (var model in fitted.Skip(packaged.Count))
                model.Dispose();
            throw;
        }
    }

    static EnsemblePackagedModel Load(string directory, ModelPackageManifest manifest)
    {
        var indexPath = Path.Combine(directory, IndexFileName);
        if (!File.Exists(indexPath))
            throw new InvalidDataException($"the ensemble payload has no {IndexFileName}");
        var index = JsonSerializer.Deserialize<EnsembleIndex>(File.ReadAllText(indexPath), ModelPackageManifest.Json)
            ?? throw new InvalidDataException($"{IndexFileName} is empty");
        if (index.Members is not { Count: >= 2 })
            throw new InvalidDataException($"{IndexFileName} lists fewer than 2 members");
        var loaded = new List<IPackagedModel>();
        try
        {
            for (var i = 0; i < index.Members.Count; i++)
            {
                var entry = index.Members[i];
                if (entry.Kind == EnsembleModel.Kind)
                    throw new InvalidDataException($"ensemble member {i + 1} is itself an ensemble");
                var kind = PackagedModelKinds.Find(entry.Kind)
                    ?? throw new InvalidDataException($"ensemble member {i + 1} is a '{entry.Kind}', unknown to this build");
                var prefix = $"m{i + 1}-";
                var staging = Directory.CreateTempSubdirectory("acpkg-member-");
                try
                {
                    foreach (var name in entry.Files)
                    {
                        if (!name.StartsWith(prefix, StringComparison.Ordinal) || ModelPackage.EntryNameProblem(name) is not null || name.Contains('/', StringComparison.Ordinal))
                            throw new InvalidDataException($"ensemble member {i + 1} names the file '{name}', which is not one of its own");
                        File.Copy(Path.Combine(directory, name), Path.Combine(staging.FullName, name[prefix.Length..]));
                    }
                    // A member of its own tiling (an AutoML tiled pipeline) cuts the whole images the package hands it.
                    var memberTiling = entry.Preprocessing.Tiling;
                    if (memberTiling is not null && manifest.Preprocessing.Tiling is not null)
                        throw new InvalidDataException($"ensemble member {i + 1} has its own tiling inside a package that is tiled already");
                    if (memberTiling is not null && ModelPackageManifest.TilingProblem(memberTiling) is { } problem)
                        throw new InvalidDataException($"ensemble member {i + 1}: {problem}");
                    // The member sees the package's own preparation (crop, banner, pixel size) with its own model settings.
                    var memberManifest = manifest with
                    {
                        ModelKind = entry.Kind,
                        Preprocessing = entry.Preprocessing with
                        {
                            Crop = manifest.Preprocessing.Crop,
                            BannerMode = manifest.Preprocessing.BannerMode,
                            ResampleNm = manifest.Preprocessing.ResampleNm,
                            Tiling = memberTiling ?? manifest.Preprocessing.Tiling,
                        },
                    };
                    var member = kind.Load(staging.FullName, memberManifest);
                    loaded.Add(memberTiling is null ? member : new TiledPackagedModel(member, memberTiling));
                }
                finally
                {
                    staging.Delete(recursive: true);
                }
            }
            StackingCombiner? stacker = null;
            switch (index.Combine)
            {
                case null or MeanCombine:
                    if (index.StackWeights is not null)
                        throw new InvalidDataException($"{IndexFileName} gives stacking weights for an averaging ensemble");
                    break;
                case StackCombine:
                    try
                    {
                        stacker = new StackingCombiner(loaded.Count, index.StackWeights
                            ?? throw new InvalidDataException($"{IndexFileName} says 'stack' but gives no stack_weights"));
                    }
                    catch (ArgumentException e)
                    {
                        throw new InvalidDataException($"{IndexFileName}: stack_weights: {e.Message}", e);
                    }
                    break;
                default:
                    throw new InvalidDataException($"{IndexFileName} combines by '{index.Combine}'; this build knows '{MeanCombine}' and '{StackCombine}'");
            }
            var model = new EnsemblePackagedModel(loaded, stacker);
            if (!model.ClassNames.SequenceEqual(manifest.ClassNames, StringComparer.Ordinal))
                throw new InvalidDataException($"the ensemble's classes ({string.Join(", ", model.ClassNames)}) differ from the manifest's ({string.Join(", ", manifest.ClassNames)})");
            return model;
        }
        catch
        {
            foreach (var model in loaded)
                model.Dispose();
            throw;
        }
    }

    const string MeanCombine = "mean";
    const string StackCombine = "stack";

    sealed record EnsembleIndex(IReadOnlyList<MemberEntry> Members, string? Combine = null, IReadOnlyList<IReadOnlyList<double>>? StackWeights = null);

    sealed record MemberEntry(string Kind, PackagePreprocessing Preprocessing, IReadOnlyList<string> Files);
}
