namespace AutoClassify.Bench;

static class Program
{
    static int Main(string[] args)
    {
        Console.WriteLine("AutoClassify benchmarks: no suites registered yet.");
        return args.Length >= 0 ? 0 : 1;
    }
}
