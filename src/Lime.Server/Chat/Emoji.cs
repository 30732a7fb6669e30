using System.Globalization;

namespace Lime.Server.Chat;

/// <summary>
/// What counts as one emoji for a reaction: exactly one extended grapheme cluster (UAX #29, as the BCL segments text)
/// that is one of
/// <list type="bullet">
/// <item>a keycap: <c>0-9 # *</c>, optionally U+FE0F, then U+20E3 (1️⃣);</item>
/// <item>a flag: two regional indicators (🇯🇵), or U+1F3F4 with tag characters U+E0020–E007E ended by U+E007F (🏴󠁧󠁢󠁳󠁣󠁴󠁿);</item>
/// <item>a ZWJ sequence of one or more pictographs (Unicode's Extended_Pictographic), each optionally followed by
/// U+FE0F and/or a skin tone modifier U+1F3FB–1F3FF, joined by U+200D (👍, 👍🏽, ❤️, 👨‍👩‍👧, 🏳️‍🌈).</item>
/// </list>
/// Anything else — letters, digits alone, several emoji, a lone skin tone or regional indicator, a pictograph with a
/// combining mark — is refused. At most <see cref="MaxLength"/> UTF-16 code units.
/// </summary>
public static class Emoji
{
    public const int MaxLength = 64;

    public static bool IsSingle(string? text)
    {
        if (string.IsNullOrEmpty(text) || text.Length > MaxLength || StringInfo.GetNextTextElementLength(text) != text.Length)
        {
            return false;
        }

        var cps = new List<int>(8);
        foreach (var rune in text.EnumerateRunes())
        {
            cps.Add(rune.Value);
        }

        int n = cps.Count;
        if (cps[^1] == 0x20E3)
        {
            return IsKeycapBase(cps[0]) && (n == 2 || (n == 3 && cps[1] == 0xFE0F));
        }

        if (IsRegionalIndicator(cps[0]))
        {
            return n == 2 && IsRegionalIndicator(cps[1]);
        }

        if (cps[0] == 0x1F3F4 && n >= 3 && cps[^1] == 0xE007F)
        {
            return cps.Skip(1).Take(n - 2).All(c => c is >= 0xE0020 and <= 0xE007E);
        }

        for (int i = 0; ; i++)
        {
            if (i >= n || !IsPictographic(cps[i]))
            {
                return false;
            }

            if (i + 1 < n && cps[i + 1] == 0xFE0F)
            {
                i++;
            }

            if (i + 1 < n && IsSkinTone(cps[i + 1]))
            {
                i++;
            }

            if (i + 1 == n)
            {
                return true;
            }

            if (cps[++i] != 0x200D)
            {
                return false;
            }
        }
    }

    private static bool IsKeycapBase(int c) => c is (>= '0' and <= '9') or '#' or '*';

    internal static bool IsRegionalIndicator(int c) => c is >= 0x1F1E6 and <= 0x1F1FF;

    internal static bool IsSkinTone(int c) => c is >= 0x1F3FB and <= 0x1F3FF;

    internal static bool IsPictographic(int c)
    {
        var ranges = EmojiData.ExtendedPictographic;
        int lo = 0, hi = ranges.Length - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) / 2;
            if (c < ranges[mid].First)
            {
                hi = mid - 1;
            }
            else if (c > ranges[mid].Last)
            {
                lo = mid + 1;
            }
            else
            {
                return true;
            }
        }

        return false;
    }
}
