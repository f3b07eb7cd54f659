namespace AutoClassify.Packaging;

/// <summary>A model package was refused; the message names the package file and the problem.</summary>
public sealed class InvalidModelPackageException : Exception
{
    /// <summary>Creates the exception for <paramref name="packagePath"/> with a short, lowercase <paramref name="problem"/>.</summary>
    public InvalidModelPackageException(string packagePath, string problem, Exception? innerException = null)
        : base($"Model package '{packagePath}' refused: {problem}.", innerException)
    {
        PackagePath = packagePath;
        Problem = problem;
    }

    /// <summary>The package file.</summary>
    public string PackagePath { get; }

    /// <summary>What is wrong, e.g. "entry '../evil' climbs out of the package".</summary>
    public string Problem { get; }
}
