namespace HybridIngest.Server.Tests;

public sealed class ObjectLocationsTests
{
    [Theory]
    [InlineData("images", "images/a.png", "us-east-1", null, "https://images.s3.us-east-1.amazonaws.com/images/a.png")]
    [InlineData("lab-bucket", "images/a.jpg", "ap-south-1", null, "https://lab-bucket.s3.ap-south-1.amazonaws.com/images/a.jpg")]
    [InlineData("my.dotted.bucket", "images/a.png", "eu-west-1", null, "https://s3.eu-west-1.amazonaws.com/my.dotted.bucket/images/a.png")]
    [InlineData("images", "images/a.png", "us-east-1", "http://127.0.0.1:5000/", "http://127.0.0.1:5000/images/images/a.png")]
    [InlineData("images", "images/a.png", null, "http://localhost:4566", "http://localhost:4566/images/images/a.png")]
    public void GivesTheLabsHttpsFormOnAwsAndPathStyleOnAnEndpoint(string bucket, string key, string? region, string? endpoint, string expected) =>
        Assert.Equal(expected, ObjectLocations.HttpsUrl(bucket, key, region, endpoint));

    [Theory]
    [InlineData("test/a b+c.png", "https://b1.s3.us-east-1.amazonaws.com/test/a%20b%2Bc.png")]
    [InlineData("test/caf\u00e9?#%.png", "https://b1.s3.us-east-1.amazonaws.com/test/caf%C3%A9%3F%23%25.png")]
    [InlineData("a//b/", "https://b1.s3.us-east-1.amazonaws.com/a//b/")]
    public void PercentEncodesEachKeySegmentButKeepsTheSlashes(string key, string expected) =>
        Assert.Equal(expected, ObjectLocations.HttpsUrl("b1", key, "us-east-1", null));
}
