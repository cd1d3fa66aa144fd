using HybridIngest.Bench;

[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")] // /proc, nginx, Python: the benchmark machine is Linux

// Benchmarks (not tests): dotnet run -c Release --project bench/HybridIngest.Bench -- <mode> [options]
return args.FirstOrDefault() switch
{
    "function" => await FunctionBench.RunAsync(args[1..]),
    "server" => await ServerBench.RunAsync(args[1..]),
    "compare" => await CompareBench.RunAsync(args[1..]),
    "chaos" => await ChaosBench.RunAsync(args[1..]),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: HybridIngest.Bench <mode> [options]; modes: function, server, compare, chaos");
    return 2;
}
