using System.Diagnostics;
using AutoDiffRnn.IO;
using Xunit.Abstractions;

namespace AutoDiffRnn.Tests.IO;

/// <summary>
/// The seeded mutation fuzzer: every damaged file either loads or is refused with an <see cref="InvalidDataException"/> naming it,
/// and no file makes the reader allocate more than a small multiple of its size. Set ADR_FUZZ_SEED and ADR_FUZZ_MUTANTS for other runs.
/// </summary>
public class SafeTensorsFuzzTests(ITestOutputHelper output)
{
    /// <summary>The allocation bound: a fixed multiple of the file's size plus a constant for the exception and small dictionaries.</summary>
    private static long AllocationBound(int fileLength) => 4L * fileLength + 64 * 1024;

    private static int Setting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out int value) ? value : fallback;

    [Fact]
    public void MutatedFilesLoadOrGiveOnlyInvalidDataExceptionWithBoundedAllocation()
    {
        int seed = Setting("ADR_FUZZ_SEED", 20261203), mutants = Setting("ADR_FUZZ_MUTANTS", 3000);
        var mutator = new SafeTensorsMutator(seed);
        var refusedByKind = Enum.GetValues<MutationKind>().ToDictionary(kind => kind, _ => 0);
        int loaded = 0, refused = 0;
        long maxAllocated = 0;
        int largest = 0;
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < mutants; i++)
        {
            var (bytes, kind) = mutator.Next();
            const string source = "mutant.safetensors";
            long before = GC.GetAllocatedBytesForCurrentThread();
            SafeTensorsContent? content = null;
            try { content = SafeTensors.Deserialize(bytes, source); }
            catch (InvalidDataException error)
            {
                Assert.StartsWith($"safetensors: {source}: ", error.Message);
                refused++;
                refusedByKind[kind]++;
            }
            catch (Exception error)
            {
                Assert.Fail($"mutant {i} (seed {seed}, {kind}) threw {error.GetType().Name}: {error.Message}\n{Convert.ToBase64String(bytes)}");
            }
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(allocated <= AllocationBound(bytes.Length),
                $"mutant {i} (seed {seed}, {kind}) of {bytes.Length} bytes allocated {allocated} bytes");
            maxAllocated = Math.Max(maxAllocated, allocated);
            largest = Math.Max(largest, bytes.Length);
            if (content is null) continue;
            loaded++;
            var again = SafeTensors.Deserialize(SafeTensors.Serialize(content.Tensors, content.Integers, content.Metadata));
            Assert.Equal(content.Tensors.Keys.Order(), again.Tensors.Keys.Order());
            foreach (var (name, tensor) in content.Tensors) Assert.Equal(tensor.ToDoubleArray(), again.Tensors[name].ToDoubleArray());
        }
        watch.Stop();
        output.WriteLine($"seed {seed}: {mutants} mutants, {loaded} loaded, {refused} refused (InvalidDataException), " +
            $"max allocation {maxAllocated} bytes (bound: 4 x file size + 64 KB; largest mutant {largest} bytes), {watch.Elapsed.TotalSeconds:F2} s");
        output.WriteLine("refused by mutation: " + string.Join(", ", refusedByKind.Select(p => $"{p.Key} {p.Value}")));
        Assert.True(mutants >= 1000, "the fuzzer runs at least 1,000 mutants");
        Assert.True(loaded > 0, "some mutants are still valid files");
        Assert.All(refusedByKind, pair => Assert.True(pair.Value > 0, $"no {pair.Key} mutant was refused"));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"the fuzzer took {watch.Elapsed}");
    }
}
