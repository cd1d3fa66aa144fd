using HybridIngest.Offline;
using HybridIngest.Testing;

namespace HybridIngest.Server.Tests.Infrastructure;

/// <summary>An image at a fresh path that counts the requests it gets and, when asked, holds them until released.</summary>
public sealed class HeldImage
{
    int _requests;
    readonly TaskCompletionSource _arrived = new(TaskCreationOptions.RunContinuationsAsynchronously);
    readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public HeldImage(ImageOrigin origin, string path, bool hold = false)
    {
        if (!hold)
        {
            _released.SetResult();
        }
        Url = origin.Serve(path, OriginResponse.Image(SampleImages.Png) with
        {
            BeforeResponse = async cancellationToken =>
            {
                Interlocked.Increment(ref _requests);
                _arrived.TrySetResult();
                await _released.Task.WaitAsync(cancellationToken);
            },
        });
    }

    public Uri Url { get; }
    public int Requests => Volatile.Read(ref _requests);
    public Task Arrived => _arrived.Task;
    public void Release() => _released.TrySetResult();
}
