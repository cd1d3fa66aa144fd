using Microsoft.Extensions.Time.Testing;

namespace HybridIngest.Server.Tests;

/// <summary>The log aggregation of refused requests and failed clean-ups: first in full, then a count per interval.</summary>
public sealed class RepeatedEventTests
{
    [Fact]
    public async Task CountsEveryOccurrenceFromManyThreadsOnce()
    {
        var time = new FakeTimeProvider();
        var counts = new List<long>();
        using var repeated = new RepeatedEvent(time, (count, _) => counts.Add(count));
        var inFull = 0;

        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 10_000; i++)
            {
                if (repeated.Occur())
                {
                    Interlocked.Increment(ref inFull);
                }
            }
        })));
        time.Advance(RepeatedEvent.Interval);

        Assert.Equal(1, inFull);
        Assert.Equal([79_999L], counts);
    }

    [Fact]
    public void WritesOneCountPerIntervalThenStartsAgainInFullAfterAQuietOne()
    {
        var time = new FakeTimeProvider();
        var counts = new List<long>();
        using var repeated = new RepeatedEvent(time, (count, _) => counts.Add(count));

        Assert.True(repeated.Occur());
        Assert.False(repeated.Occur());
        time.Advance(RepeatedEvent.Interval);
        Assert.False(repeated.Occur());
        Assert.False(repeated.Occur());
        time.Advance(RepeatedEvent.Interval);
        time.Advance(RepeatedEvent.Interval); // quiet: nothing to write, the next one is in full
        Assert.True(repeated.Occur());

        Assert.Equal([1L, 2L], counts);
    }
}
