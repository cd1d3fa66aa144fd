using System.Text;

namespace HybridIngest.Server.Tests;

public sealed class ImageFormatTests
{
    [Theory]
    [InlineData("FFD8FFE000104A464946", "jpg", "image/jpeg")]
    [InlineData("89504E470D0A1A0A0000000D", "png", "image/png")]
    [InlineData("474946383761", "gif", "image/gif")] // GIF87a
    [InlineData("474946383961", "gif", "image/gif")] // GIF89a
    [InlineData("524946460A00000057454250", "webp", "image/webp")]
    public void SniffsFormatFromMagicBytes(string hex, string extension, string contentType)
    {
        var format = ImageFormat.Sniff(Convert.FromHexString(hex));

        Assert.Equal((extension, contentType), (format?.Extension, format?.ContentType));
    }

    [Theory]
    [InlineData("RIFF\0\0\0\0WAVEfmt ")] // RIFF, but audio
    [InlineData("GIF8")]                 // cut short
    [InlineData("<!DOCTYPE html>")]
    [InlineData("BM6\0\0\0")]            // BMP is not accepted
    [InlineData("")]
    public void RecognisesNothingElse(string text)
    {
        Assert.Null(ImageFormat.Sniff(Encoding.Latin1.GetBytes(text)));
    }
}
