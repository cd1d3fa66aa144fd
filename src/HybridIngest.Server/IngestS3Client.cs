using Amazon;
using Amazon.Runtime;
using Amazon.Runtime.Internal;
using Amazon.S3;
using Amazon.S3.Model;

namespace HybridIngest.Server;

/// <summary>
/// The server's one S3 client, configured for <see cref="ImageStore"/>'s requests: the SDK's own
/// (retry mode Standard: at most 3 attempts, with backoff), with three handlers added.
/// <list type="bullet">
/// <item>Deadlines: every call, its retries included, is cut after INGEST_S3_TIMEOUT_SECONDS and each
/// HTTP attempt after INGEST_S3_ATTEMPT_TIMEOUT_SECONDS, so a stalled S3 cannot hold a request;
/// a PutObject streaming a download gets the download's deadline on top (its body comes at the
/// origin's pace). A call cut this way fails with a <see cref="TimeoutException"/>.</item>
/// <item>When a body is sent whole (not aws-chunked) with its SHA-256 already in <c>x-amz-checksum-sha256</c>,
/// that SHA-256 is also the payload hash SigV4 signs over plain HTTP (emulators), so the SDK is
/// given it instead of reading the body a second time to compute it.</item>
/// </list>
/// </summary>
public sealed class IngestS3Client(AmazonS3Config config, IngestOptions options) : AmazonS3Client(config)
{
    /// <summary>
    /// The S3 client: region from AWS_REGION (else the SDK's chain), endpoint from AWS_ENDPOINT_URL_S3
    /// or AWS_ENDPOINT_URL with path-style addressing (emulators serve buckets as paths), credentials
    /// from the SDK's default chain (the instance profile on EC2).
    /// </summary>
    public static IAmazonS3 Create(IngestOptions options)
    {
        var config = new AmazonS3Config
        {
            RetryMode = RequestRetryMode.Standard, // the SDK's default, stated: 3 attempts, exponential backoff
            MaxErrorRetry = 2,
            // Unset, the SDK looks for this in the environment and profile files on every request.
            DisableMultiregionAccessPoints = false,
            // The SDK copies a request body to the socket through a buffer of this size (8 KiB by
            // default): larger means fewer writes, each a trip through the kernel's TCP stack.
            BufferSize = 128 * 1024,
        };
        if (!string.IsNullOrEmpty(options.Region))
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(options.Region);
        }
        if (options.ServiceUrl is { } serviceUrl)
        {
            config.ServiceURL = serviceUrl;
            config.ForcePathStyle = true;
            config.AuthenticationRegion = string.IsNullOrEmpty(options.Region) ? null : options.Region;
        }
        return new IngestS3Client(config, options);
    }

    protected override void CustomizeRuntimePipeline(RuntimePipeline pipeline)
    {
        base.CustomizeRuntimePipeline(pipeline);
        pipeline.AddHandlerBefore<Signer>(new PayloadHashFromChecksum());
        pipeline.AddHandlerBefore<RetryHandler>(new Deadline("INGEST_S3_TIMEOUT_SECONDS", context => Limit(context, options.S3Timeout)));
        pipeline.AddHandlerAfter<Signer>(new Deadline("INGEST_S3_ATTEMPT_TIMEOUT_SECONDS", context => Limit(context, options.S3AttemptTimeout)));
    }

    TimeSpan Limit(IRequestContext context, TimeSpan limit) =>
        context.OriginalRequest is PutObjectRequest { InputStream: DownloadStream } ? options.DownloadTimeout + limit : limit;

    /// <summary>Cuts what it wraps (the whole call, or one attempt) after a time, as a <see cref="TimeoutException"/>.</summary>
    sealed class Deadline(string setting, Func<IRequestContext, TimeSpan> limit) : PipelineHandler
    {
        public override async Task<T> InvokeAsync<T>(IExecutionContext executionContext)
        {
            // The SDK's handlers (HTTP, retry back-off) all wait on the context's token; swapping it is
            // how a handler bounds those inside it (the interface has no setter, the class does).
            var context = (RequestContext)executionContext.RequestContext;
            var caller = context.CancellationToken;
            var after = limit(context);
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(caller);
            deadline.CancelAfter(after);
            context.CancellationToken = deadline.Token;
            try
            {
                return await base.InvokeAsync<T>(executionContext);
            }
            catch (OperationCanceledException e) when (deadline.IsCancellationRequested && !caller.IsCancellationRequested)
            {
                throw new TimeoutException($"S3 {context.RequestName} did not answer within {after.TotalSeconds} s ({setting})", e);
            }
            finally
            {
                context.CancellationToken = caller;
            }
        }
    }

    sealed class PayloadHashFromChecksum : PipelineHandler
    {
        public override void InvokeSync(IExecutionContext executionContext)
        {
            Apply(executionContext.RequestContext);
            base.InvokeSync(executionContext);
        }

        public override Task<T> InvokeAsync<T>(IExecutionContext executionContext)
        {
            Apply(executionContext.RequestContext);
            return base.InvokeAsync<T>(executionContext);
        }

        static void Apply(IRequestContext context)
        {
            var checksum = context.OriginalRequest switch
            {
                PutObjectRequest put => put.ChecksumSHA256,
                UploadPartRequest part => part.ChecksumSHA256,
                _ => null,
            };
            if (!string.IsNullOrEmpty(checksum) && !context.Request.UseChunkEncoding)
            {
                context.Request.PrecomputedContentSha256 = Convert.ToHexStringLower(Convert.FromBase64String(checksum));
            }
        }
    }
}
