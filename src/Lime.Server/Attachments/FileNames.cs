using System.Globalization;
using System.Text;

namespace Lime.Server.Attachments;

/// <summary>
/// The name an upload is stored and offered under: the last segment of whatever path the client sent (so
/// <c>../../etc/passwd</c> is <c>passwd</c>), without control or formatting characters (no bidi overrides that disguise
/// <c>gpj.exe</c> as <c>exe.jpg</c>), without leading dots or trailing dots and spaces, at most
/// <see cref="MaxLength"/> characters; an empty result is <c>file</c>. The name is only ever a label: blobs are stored
/// under their hash, never under it.
/// </summary>
public static class FileNames
{
    public const int MaxLength = 200;

    public static string Sanitise(string? name)
    {
        name ??= "";
        int cut = name.LastIndexOfAny(['/', '\\']);
        if (cut >= 0)
        {
            name = name[(cut + 1)..];
        }

        var clean = new StringBuilder(Math.Min(name.Length, MaxLength));
        foreach (var rune in name.EnumerateRunes())
        {
            var category = Rune.GetUnicodeCategory(rune);
            if (category is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate or UnicodeCategory.OtherNotAssigned
                or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator || rune.Value == Rune.ReplacementChar.Value)
            {
                continue;
            }

            if (rune.Value is ':' or '*' or '?' or '"' or '<' or '>' or '|')
            {
                clean.Append('_'); // reserved in file names on common systems; harmless but confusing when saved
                continue;
            }

            if (clean.Length + rune.Utf16SequenceLength > MaxLength)
            {
                break;
            }

            clean.Append(rune.ToString());
        }

        string result = clean.ToString().Trim().TrimStart('.').TrimEnd('.', ' ');
        return result.Length == 0 ? "file" : result;
    }
}
