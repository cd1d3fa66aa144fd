using System.Text.Json;
using HybridIngest.Contracts;

namespace HybridIngest.Cli;

/// <summary>
/// <c>last-results.json</c> in the state directory: the images the last invoke or bench stored,
/// for <c>hybrid verify</c>.
/// </summary>
public sealed class StoredImagesStore(LocalState state)
{
    static readonly HybridIngestJsonContext Indented = new(new JsonSerializerOptions(HybridIngestJsonContext.Default.Options) { WriteIndented = true });

    public string Path { get; } = System.IO.Path.Combine(state.Directory, "last-results.json");

    public void Save(StoredImagesFile results)
    {
        Directory.CreateDirectory(state.Directory);
        var temporary = Path + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(results, Indented.StoredImagesFile));
        File.Move(temporary, Path, overwrite: true);
    }

    public StoredImagesFile Load()
    {
        if (!File.Exists(Path))
        {
            throw new UserException($"Nothing to verify: {Path} does not exist. Run 'hybrid invoke' or 'hybrid bench' first.");
        }
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(Path), HybridIngestJsonContext.Default.StoredImagesFile)
                ?? throw new JsonException("empty");
        }
        catch (JsonException e)
        {
            throw new UserException($"{Path} is not a results file ({e.Message}). Run 'hybrid invoke' or 'hybrid bench' again.");
        }
    }

    /// <summary>The stored-image record of a successful answer of the server.</summary>
    public static StoredImage From(ProcessImageResponse stored, string imageUrl) => new()
    {
        Bucket = stored.Bucket,
        Key = stored.Key,
        Size = stored.FileSize,
        Sha256 = stored.Sha256,
        ImageUrl = imageUrl,
    };
}
