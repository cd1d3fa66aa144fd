using HybridIngest.Offline;
using SkiaSharp;

namespace HybridIngest.Server.Tests;

/// <summary>The hand-encoded sample images are real images: a real decoder (Skia) reads every pixel.</summary>
public sealed class SampleImagesTests
{
    public static TheoryData<string> ImageNames => new(SampleImages.All.Select(image => image.Name));

    [Theory]
    [MemberData(nameof(ImageNames))]
    public void DecodesAsTheFormatItClaims(string name)
    {
        var image = SampleImages.All.Single(i => i.Name == name);

        using var bitmap = Decode(image.Bytes, out var format);

        Assert.Equal(name, format.ToString(), ignoreCase: true);
        Assert.Equal((64, 48), (bitmap.Width, bitmap.Height));
        Assert.True(bitmap.Pixels.Distinct().Count() > 1, "a picture, not a flat colour");
    }

    [Fact]
    public void NoisePngHasTheRequestedSizeAndDecodes()
    {
        var image = SampleImages.NoisePng(300_000);

        Assert.InRange(image.Bytes.Length, 300_000, 300_000 + 1 + 1024 * 3 + 1024);
        using var bitmap = Decode(image.Bytes, out var format);
        Assert.Equal(SKEncodedImageFormat.Png, format);
        Assert.Equal(1024, bitmap.Width);
    }

    static SKBitmap Decode(byte[] bytes, out SKEncodedImageFormat format)
    {
        using var codec = SKCodec.Create(new MemoryStream(bytes), out var result);
        Assert.Equal(SKCodecResult.Success, result);
        format = codec.EncodedFormat;
        var bitmap = new SKBitmap(codec.Info.Width, codec.Info.Height);
        Assert.Equal(SKCodecResult.Success, codec.GetPixels(bitmap.Info, bitmap.GetPixels()));
        return bitmap;
    }
}
