namespace HybridIngest.Server.Tests.Infrastructure;

/// <summary>The system clock, moved ahead: a server given it runs as if that much later (no waiting).</summary>
public sealed class ShiftedClock(TimeSpan ahead) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + ahead;
}
