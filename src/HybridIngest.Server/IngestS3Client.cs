using Amazon;
using Amazon.Runtime;
using Amazon.Runtime.Internal;
using Amazon.S3;
using Amazon.S3.Model;

namespace HybridIngest.Server;

/// <summary>
/// The server's one S3 client, configured for <see cref="ImageStore"/>'s requests: the SDK's own,
/// with one handler before the signer.
/// When a body is sent whole (not aws-chunked) with its SHA-256 already in <c>x-amz-checksum-sha256</c>,
/// that SHA-256 is also the payload hash SigV4 signs over plain HTTP (emulators), so the SDK is
/// given it instead of reading the body a second time to compute it.
/// </summary>
public sealed class IngestS3Client(AmazonS3Config config) : AmazonS3Client(config)
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
        return new IngestS3Client(config);
    }

    protected override void CustomizeRuntimePipeline(RuntimePipeline pipeline)
    {
        base.CustomizeRuntimePipeline(pipeline);
        pipeline.AddHandlerBefore<Signer>(new PayloadHashFromChecksum());
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
