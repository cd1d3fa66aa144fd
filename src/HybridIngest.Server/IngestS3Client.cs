using Amazon.Runtime;
using Amazon.Runtime.Internal;
using Amazon.S3;
using Amazon.S3.Model;

namespace HybridIngest.Server;

/// <summary>
/// The S3 client <see cref="ImageStore"/> uses: the SDK's own, with one handler before the signer.
/// When a body is sent whole (not aws-chunked) with its SHA-256 already in <c>x-amz-checksum-sha256</c>,
/// that SHA-256 is also the payload hash SigV4 signs over plain HTTP (emulators), so the SDK is
/// given it instead of reading the body a second time to compute it.
/// </summary>
public sealed class IngestS3Client(AmazonS3Config config) : AmazonS3Client(config)
{
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
