
namespace Lime.Server.Search;

/// <summary>
/// A hit's snippet: at most <see cref="MaxChars"/> of its text around the first match, with the matches as
/// [start, length] ranges in UTF-16 code units of the snippet (what JavaScript strings index), never markup — a
/// client renders the ranges itself, so no text from a message is ever interpreted as HTML.
/// </summary>
public static class Snippet
{
    public const int MaxChars = 160;
    private const int Lead = 40;
    private const char Ellipsis = '…';

    public static (string Text, int[][] Highlights) Make(string text, SearchQuery query)
    {
        var ranges = Matches(text, query);
        int start = 0, end = text.Length;
        if (text.Length > MaxChars)
        {
            int first = ranges.Count > 0 ? ranges[0].Start : 0;
            start = Math.Max(0, Math.Min(first - Lead, text.Length - MaxChars));
            end = Math.Min(text.Length, start + MaxChars);
            if (start > 0 && char.IsLowSurrogate(text[start]))
            {
                start--;
            }

            if (end < text.Length && char.IsLowSurrogate(text[end]))
            {
                end++;
            }
        }

        string prefix = start > 0 ? Ellipsis.ToString() : "";
        string body = prefix + text[start..end] + (end < text.Length ? Ellipsis.ToString() : "");
        var highlights = ranges
            .Where(r => r.Start < end && r.Start + r.Length > start)
            .Select(r =>
            {
                int s = Math.Max(r.Start, start), e = Math.Min(r.Start + r.Length, end);
                return new[] { s - start + prefix.Length, e - s };
            })
            .ToArray();
        return (body, highlights);
    }

    /// <summary>The query's matches in a text, sorted and merged.</summary>
    internal static List<(int Start, int Length)> Matches(string text, SearchQuery query)
    {
        var found = new List<(int Start, int Length)>();
        foreach (var segment in Tokenizer.Segments(text))
        {
            var span = text.AsSpan(segment.Start, segment.Length);
            switch (segment.Kind)
            {
                case SegmentKind.Word when query.Mode == SearchMode.Text:
                    string word = Tokenizer.Fold(span);
                    if (query.WordPrefixes.Any(p => p[0] != '@' && word.StartsWith(p, StringComparison.Ordinal)))
                    {
                        found.Add((segment.Start, segment.Length));
                    }

                    break;
                case SegmentKind.Mention when query.Mode == SearchMode.Text:
                    string name = Tokenizer.Fold(span[1..]);
                    if (query.WordPrefixes.Any(p => ("@" + name).StartsWith(p, StringComparison.Ordinal) || name.StartsWith(p, StringComparison.Ordinal)))
                    {
                        found.Add((segment.Start, segment.Length));
                    }

                    break;
                case SegmentKind.Number or SegmentKind.Emoji when query.Mode == SearchMode.Text:
                    string key = segment.Kind == SegmentKind.Number ? Tokenizer.Fold(span) : Tokenizer.EmojiKey(span);
                    if (query.ExactTokens.Contains(key))
                    {
                        found.Add((segment.Start, segment.Length));
                    }

                    break;
                case SegmentKind.Cjk:
                    string original = span.ToString();
                    string run = Tokenizer.Compose(original);
                    string haystack = query.Mode == SearchMode.Initials ? Tokenizer.Initials(run) : run;
                    foreach (string needle in query.Runs)
                    {
                        for (int at = haystack.IndexOf(needle, StringComparison.Ordinal); at >= 0; at = haystack.IndexOf(needle, at + 1, StringComparison.Ordinal))
                        {
                            // Offsets hold when NFC changed nothing (the usual case); otherwise mark the whole run.
                            found.Add(run.Length == original.Length && run == original ? (segment.Start + at, needle.Length) : (segment.Start, segment.Length));
                        }
                    }

                    break;
            }
        }

        found.Sort();
        var merged = new List<(int Start, int Length)>(found.Count);
        foreach (var r in found)
        {
            if (merged.Count > 0 && r.Start <= merged[^1].Start + merged[^1].Length)
            {
                var last = merged[^1];
                merged[^1] = (last.Start, Math.Max(last.Start + last.Length, r.Start + r.Length) - last.Start);
            }
            else
            {
                merged.Add(r);
            }
        }

        return merged;
    }
}
