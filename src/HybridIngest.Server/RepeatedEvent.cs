namespace HybridIngest.Server;

/// <summary>
/// An event that can repeat thousands of times a second (a refused request, a failed clean-up):
/// its first occurrence is logged in full, the ones after it are counted and summed up in one line
/// per <see cref="Interval"/> while they go on; after an interval without any, the next one is in
/// full again. A flood writes a line every 10 s, not a line per event.
/// </summary>
public sealed class RepeatedEvent(TimeProvider time, Action<long, TimeSpan> logCount) : IDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    readonly Lock _lock = new();
    ITimer? _timer; // set while occurrences are being counted
    long _count;

    /// <summary>Records one occurrence; true when the caller is to log this one in full.</summary>
    public bool Occur()
    {
        lock (_lock)
        {
            if (_timer is not null)
            {
                _count++;
                return false;
            }
            _timer = time.CreateTimer(_ => Flush(), null, Interval, Interval);
            return true;
        }
    }

    void Flush()
    {
        long count;
        lock (_lock)
        {
            count = _count;
            _count = 0;
            if (count == 0)
            {
                _timer?.Dispose();
                _timer = null;
                return;
            }
        }
        logCount(count, Interval);
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _timer?.Dispose();
            _timer = null;
        }
    }
}
