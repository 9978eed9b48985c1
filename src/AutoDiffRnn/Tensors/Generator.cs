namespace AutoDiffRnn;

/// <summary>
/// A seeded source of random numbers, like <c>torch.Generator</c>: the same seed gives the same tensors on every
/// machine and run. Not thread-safe; use one generator per thread.
/// </summary>
public sealed class Generator
{
    private ulong state;
    private double? spareNormal;

    /// <summary>Creates a generator from a seed.</summary>
    public Generator(ulong seed) => Seed = seed;

    /// <summary>The seed this generator was created or last reset with.</summary>
    public ulong Seed
    {
        get;
        set
        {
            field = value;
            state = value;
            spareNormal = null;
        }
    }

    /// <summary>The generator used when none is passed: seeded with 0 at start-up, reseeded by <see cref="ManualSeed"/>.</summary>
    public static Generator Default { get; private set; } = new(0);

    /// <summary>Reseeds the default generator (like <c>torch.manual_seed</c>).</summary>
    public static void ManualSeed(ulong seed) => Default = new Generator(seed);

    /// <summary>The next 64 random bits (SplitMix64: fast, statistically sound, trivially reproducible).</summary>
    public ulong NextBits()
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A uniform double in [0, 1).</summary>
    public double NextDouble() => (NextBits() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A uniform integer in [0, <paramref name="exclusiveUpperBound"/>).</summary>
    public int NextInt(int exclusiveUpperBound)
    {
        if (exclusiveUpperBound <= 0)
            throw new ArgumentOutOfRangeException(nameof(exclusiveUpperBound), $"NextInt: the upper bound must be positive, got {exclusiveUpperBound}");
        return (int)((NextBits() >> 33) * (ulong)exclusiveUpperBound >> 31);
    }

    /// <summary>A standard normal sample (Box-Muller).</summary>
    public double NextNormal()
    {
        if (spareNormal is double spare)
        {
            spareNormal = null;
            return spare;
        }
        double u1 = 1.0 - NextDouble(), u2 = NextDouble();
        double radius = Math.Sqrt(-2.0 * Math.Log(u1));
        spareNormal = radius * Math.Sin(2 * Math.PI * u2);
        return radius * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>Shuffles a span in place (Fisher-Yates).</summary>
    public void Shuffle<T>(Span<T> items)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
