using System.CommandLine;
using System.Globalization;

namespace HybridIngest.Cli;

/// <summary>
/// One factory per kind of option value (counts, lists of counts, numbers, durations, choices, URLs,
/// paths and names), each with its parser. A bad value is a parse error that names the option and
/// what it takes ("--concurrency: expected whole numbers from 1 to 1000 separated by commas, got
/// '1,,2'"), so <c>hybrid</c> exits <see cref="ExitCode.Usage"/> before any action runs. The
/// parsers are attached when an option is created, once, so no command tree repeats an error.
/// </summary>
public static class OptionKinds
{
    delegate bool TryParse<T>(string text, out T value);

    /// <summary>A whole number from <paramref name="min"/> to <paramref name="max"/>, with a default.</summary>
    public static Option<int> Count(string name, string description, int min, int max, int defaultValue)
    {
        var option = Create<int>(name, description, CountExpectation(min, max), (string text, out int value) => TryParseCount(text, min, max, out value));
        option.DefaultValueFactory = _ => defaultValue;
        return option;
    }

    /// <summary>A whole number from <paramref name="min"/> to <paramref name="max"/>, or nothing when not given.</summary>
    public static Option<int?> OptionalCount(string name, string description, int min, int max) =>
        Create<int?>(name, description, CountExpectation(min, max), (string text, out int? value) =>
        {
            var ok = TryParseCount(text, min, max, out var count);
            value = ok ? count : null;
            return ok;
        });

    /// <summary>Comma-separated whole numbers from <paramref name="min"/> to <paramref name="max"/>, e.g. <c>1,8,32</c>.</summary>
    public static Option<int[]> Counts(string name, string description, int min, int max, IReadOnlyList<int> defaultValue)
    {
        var option = Create<int[]>(name, description, $"whole numbers from {min} to {max} separated by commas",
            (string text, out int[] value) => (value = ParseCounts(text, min, max)!) is not null);
        option.DefaultValueFactory = _ => [.. defaultValue];
        return option;
    }

    /// <summary>A number greater than 0 and at most <paramref name="max"/>, or nothing when not given.</summary>
    public static Option<double?> OptionalPositiveNumber(string name, string description, double max) =>
        Create<double?>(name, description, $"a number greater than 0 and at most {max.ToString(CultureInfo.InvariantCulture)}", (string text, out double? value) =>
        {
            var ok = double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && number > 0 && number <= max;
            value = ok ? number : null;
            return ok;
        });

    /// <summary>A duration: seconds, or a number with s, m or h; greater than 0 and at most <see cref="MaxDuration"/>.</summary>
    public static Option<TimeSpan?> OptionalDuration(string name, string description) =>
        Create<TimeSpan?>(name, description, "seconds or a number with s, m or h, greater than 0 and at most 24h (e.g. 300, 90s, 5m)",
            (string text, out TimeSpan? value) => (value = ParseDuration(text)) is not null);

    /// <summary>One of <paramref name="choices"/> (shown in help and offered as completions).</summary>
    public static Option<T> Choice<T>(string name, string description, IReadOnlyList<string> choices)
    {
        var option = Create<T>(name, description, $"one of {string.Join(", ", choices)}", (string text, out T value) =>
        {
            value = (T)(object)text;
            return choices.Contains(text, StringComparer.Ordinal);
        });
        option.HelpName = string.Join('|', choices.Order(StringComparer.Ordinal));
        option.CompletionSources.Add(choices.ToArray());
        return option;
    }

    /// <summary>An absolute http or https URL.</summary>
    public static Option<T> HttpUrl<T>(string name, string description, string example, Func<Uri, T> convert) =>
        Create<T>(name, description, $"an absolute http(s) URL such as {example}", (string text, out T value) =>
        {
            var ok = Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https";
            value = ok ? convert(uri!) : default!;
            return ok;
        });

    /// <summary>
    /// A path, a name or an ARN (<paramref name="what"/>, e.g. "a directory"): any text but the empty one (what it names is checked when it is used,
    /// where the message can say what is wrong with it).
    /// </summary>
    public static Option<T> Text<T>(string name, string description, string what) =>
        Create<T>(name, description, what, (string text, out T value) =>
        {
            value = (T)(object)text;
            return text.Length > 0;
        });

    /// <summary>The longest <c>--duration</c>: a level that runs longer is more likely a typo than a plan.</summary>
    public static readonly TimeSpan MaxDuration = TimeSpan.FromHours(24);

    internal static int[]? ParseCounts(string text, int min, int max)
    {
        var counts = new List<int>();
        foreach (var part in text.Split(','))
        {
            if (!TryParseCount(part.Trim(), min, max, out var count))
            {
                return null;
            }
            counts.Add(count);
        }
        return [.. counts];
    }

    internal static TimeSpan? ParseDuration(string text)
    {
        var (number, unit) = text.Length > 0 && char.IsLetter(text[^1]) ? (text[..^1], text[^1]) : (text, 's');
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var amount) || !"smh".Contains(unit))
        {
            return null;
        }
        var seconds = amount * unit switch { 'm' => 60, 'h' => 3600, _ => 1 };
        return seconds > 0 && seconds <= MaxDuration.TotalSeconds ? TimeSpan.FromSeconds(seconds) : null;
    }

    static bool TryParseCount(string text, int min, int max, out int value) =>
        int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value) && value >= min && value <= max;

    static string CountExpectation(int min, int max) => $"a whole number from {min} to {max}";

    static Option<T> Create<T>(string name, string description, string expectation, TryParse<T> tryParse) => new(name)
    {
        Description = description,
        CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
            if (tryParse(text, out var value))
            {
                return value;
            }
            result.AddError($"{name}: expected {expectation}, got '{text}'.");
            return default!;
        },
    };
}
