using System.Globalization;
using System.Text;
using Lime.Server.Chat;

namespace Lime.Server.Search;

/// <summary>What a stretch of text is to search.</summary>
public enum SegmentKind
{
    /// <summary>Letters and digits of an alphabetic script (Latin, Cyrillic, Greek…): folded, prefix-matched at query time.</summary>
    Word,

    /// <summary>Only decimal digits: matched exactly.</summary>
    Number,

    /// <summary><c>@name</c> (a username's characters, not preceded by a letter or digit, so not inside an e-mail address).</summary>
    Mention,

    /// <summary>A run of Hangul, Kana and Han: indexed as overlapping bigrams.</summary>
    Cjk,

    /// <summary>One emoji (an extended grapheme cluster starting with a pictograph or a regional indicator).</summary>
    Emoji,
}

/// <summary>A segment of a text: [<see cref="Start"/>, <see cref="Start"/> + <see cref="Length"/>) in UTF-16 code units.</summary>
public readonly record struct Segment(SegmentKind Kind, int Start, int Length);

/// <summary>
/// LIME's one tokeniser: both indexes (SQLite FTS5, PostgreSQL) store exactly these tokens, and queries are cut the
/// same way, so matching means the same on every backend. Rules (docs/protocol.md §13 has examples):
/// <list type="bullet">
/// <item>Hangul, Kana and Han runs (conjoining jamo composed) give overlapping bigrams (<c>회의록</c> → <c>회의</c>, <c>의록</c>); a run of
/// one character gives that character. Hangul syllable runs also give bigrams of their initial consonants, marked
/// with <see cref="InitialsMarker"/> (<c>회의</c> → <c>^ㅎㅇ</c>), for the explicit initials (초성) mode.</item>
/// <item>Words are NFKD-decomposed (a generated table), stripped of combining marks, lower-cased (invariant) and ß → ss; apostrophes and
/// zero-width joiners inside a word vanish (<c>don't</c> → <c>dont</c>); cut at <see cref="MaxTokenLength"/>.</item>
/// <item>Numbers are tokens of their ASCII digits; <c>@name</c> gives <c>@name</c> and the words of the name.</item>
/// <item>An emoji is a token of its own (without U+FE0F/U+FE0E and skin tone modifiers, so 👍🏽 is 👍) and ends the
/// word before it like a space; it never splits the letters around it into anything else.</item>
/// </list>
/// Everything else (punctuation, symbols, spaces) only separates.
/// </summary>
public static class Tokenizer
{
    public const int MaxTokenLength = 64;

    /// <summary>Prefix of initial-consonant tokens; never produced by text itself (it is punctuation).</summary>
    public const char InitialsMarker = '^';

    private const string Choseong = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ";

    /// <summary>The distinct tokens of a text, in first-seen order: what the index stores for a message.</summary>
    public static string[] IndexTokens(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return [];
        }

        var tokens = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        void Add(string token)
        {
            if (token.Length > 0 && seen.Add(token))
            {
                tokens.Add(token);
            }
        }

        foreach (var segment in Segments(text))
        {
            var span = text.AsSpan(segment.Start, segment.Length);
            switch (segment.Kind)
            {
                case SegmentKind.Word:
                case SegmentKind.Number:
                    Add(Fold(span));
                    break;
                case SegmentKind.Mention:
                    string name = Fold(span[1..]);
                    Add("@" + name);
                    foreach (string part in name.Split(['_', '.', '-'], StringSplitOptions.RemoveEmptyEntries))
                    {
                        Add(part);
                    }

                    break;
                case SegmentKind.Cjk:
                    string run = Compose(span.ToString());
                    foreach (string gram in Grams(run))
                    {
                        Add(gram);
                    }

                    foreach (string syllables in SyllableRuns(run))
                    {
                        foreach (string gram in Grams(Initials(syllables)))
                        {
                            Add(InitialsMarker + gram);
                        }
                    }

                    break;
                case SegmentKind.Emoji:
                    Add(EmojiKey(span));
                    break;
            }
        }

        return [.. tokens];
    }

    /// <summary>Cuts a text into segments; characters between them only separate.</summary>
    public static List<Segment> Segments(string text)
    {
        var segments = new List<Segment>();
        int i = 0;
        while (i < text.Length)
        {
            var rune = RuneAt(text, i);
            int width = rune.Utf16SequenceLength;
            if (IsCjk(rune))
            {
                int start = i;
                while (i < text.Length && IsCjk(RuneAt(text, i)))
                {
                    i += RuneAt(text, i).Utf16SequenceLength;
                }

                segments.Add(new Segment(SegmentKind.Cjk, start, i - start));
            }
            else if (rune.Value == '@' && i + 1 < text.Length && IsNameChar(text[i + 1]) && text[i + 1] is not ('.' or '-')
                     && (i == 0 || !IsWordRune(RuneBefore(text, i))))
            {
                int end = i + 1;
                while (end < text.Length && IsNameChar(text[end]))
                {
                    end++;
                }

                while (text[end - 1] is '.' or '-')
                {
                    end--; // "@alice." — the dot ends the sentence, not the name
                }

                segments.Add(new Segment(SegmentKind.Mention, i, end - i));
                i = end;
            }
            else if (IsWordRune(rune))
            {
                int start = i;
                bool digits = true;
                while (i < text.Length)
                {
                    var r = RuneAt(text, i);
                    if (IsWordRune(r))
                    {
                        digits &= Rune.IsDigit(r) || IsMark(r);
                    }
                    else if (!(IsJoiner(r) && i + r.Utf16SequenceLength < text.Length && IsWordRune(RuneAt(text, i + r.Utf16SequenceLength))))
                    {
                        break;
                    }

                    i += r.Utf16SequenceLength;
                }

                segments.Add(new Segment(digits ? SegmentKind.Number : SegmentKind.Word, start, i - start));
            }
            else if (Emoji.IsPictographic(rune.Value) || Emoji.IsRegionalIndicator(rune.Value))
            {
                int length = StringInfo.GetNextTextElementLength(text, i);
                segments.Add(new Segment(SegmentKind.Emoji, i, length));
                i += length;
            }
            else
            {
                i += width;
            }
        }

        return segments;
    }

    /// <summary>
    /// A word's search form: each letter's NFKD form without combining marks (<see cref="FoldData"/>: a generated
    /// table, because the server runs with InvariantGlobalization, where string.Normalize leaves non-ASCII alone),
    /// combining marks, apostrophes and joiners removed, lower case, ß → ss, cut at <see cref="MaxTokenLength"/>.
    /// </summary>
    public static string Fold(ReadOnlySpan<char> word)
    {
        var sb = new StringBuilder(word.Length);
        foreach (var rune in word.EnumerateRunes())
        {
            if (IsMark(rune) || IsJoiner(rune))
            {
                continue;
            }

            if (FoldData.Folded.TryGetValue(rune.Value, out string? folded))
            {
                foreach (var part in folded.EnumerateRunes())
                {
                    AppendLower(sb, part);
                }
            }
            else
            {
                AppendLower(sb, rune);
            }
        }

        if (sb.Length > MaxTokenLength)
        {
            int cut = char.IsHighSurrogate(sb[MaxTokenLength - 1]) ? MaxTokenLength - 1 : MaxTokenLength;
            sb.Length = cut;
        }

        return sb.ToString();
    }

    private static void AppendLower(StringBuilder sb, Rune rune)
    {
        var lower = Rune.ToLowerInvariant(rune);
        if (lower.Value == 'ß')
        {
            sb.Append("ss");
        }
        else
        {
            sb.Append(lower.ToString());
        }
    }

    /// <summary>
    /// Composes conjoining Hangul jamo into syllables (ᄒ+ᅬ → 회; text from macOS and some IMEs arrives decomposed), by
    /// the Unicode algorithm; anything else is left as it is.
    /// </summary>
    public static string Compose(string run)
    {
        if (!run.Any(c => c is >= '\u1100' and <= '\u11FF'))
        {
            return run;
        }

        var sb = new StringBuilder(run.Length);
        for (int k = 0; k < run.Length; k++)
        {
            char c = run[k];
            if (c is >= '\u1100' and <= '\u1112' && k + 1 < run.Length && run[k + 1] is >= '\u1161' and <= '\u1175')
            {
                int syllable = 0xAC00 + ((c - 0x1100) * 21 + (run[k + 1] - 0x1161)) * 28;
                k++;
                if (k + 1 < run.Length && run[k + 1] is >= '\u11A8' and <= '\u11C2')
                {
                    syllable += run[k + 1] - 0x11A7;
                    k++;
                }

                sb.Append((char)syllable);
            }
            else
            {
                sb.Append(c);
            }
        }

        return sb.ToString();
    }

    /// <summary>An emoji's token: the cluster without presentation selectors and skin tones (👍🏽 → 👍, ❤️ → ❤).</summary>
    public static string EmojiKey(ReadOnlySpan<char> cluster)
    {
        var sb = new StringBuilder(cluster.Length);
        foreach (var rune in cluster.EnumerateRunes())
        {
            if (rune.Value is 0xFE0F or 0xFE0E || Emoji.IsSkinTone(rune.Value))
            {
                continue;
            }

            sb.Append(rune.ToString());
        }

        return sb.ToString();
    }

    /// <summary>Overlapping bigrams of a run (by code point); one gram for a run of one.</summary>
    internal static List<string> Grams(string run)
    {
        var runes = run.EnumerateRunes().Select(r => r.ToString()).ToArray();
        if (runes.Length <= 1)
        {
            return [.. runes];
        }

        var grams = new List<string>(runes.Length - 1);
        for (int k = 0; k + 1 < runes.Length; k++)
        {
            grams.Add(runes[k] + runes[k + 1]);
        }

        return grams;
    }

    /// <summary>The maximal runs of Hangul syllables (U+AC00–U+D7A3) in a string.</summary>
    internal static IEnumerable<string> SyllableRuns(string run)
    {
        int start = -1;
        for (int k = 0; k <= run.Length; k++)
        {
            bool syllable = k < run.Length && IsSyllable(run[k]);
            if (syllable && start < 0)
            {
                start = k;
            }
            else if (!syllable && start >= 0)
            {
                yield return run[start..k];
                start = -1;
            }
        }
    }

    /// <summary>Each Hangul syllable's initial consonant as a compatibility jamo (회의 → ㅎㅇ); anything else → U+0000.</summary>
    internal static string Initials(string run) =>
        string.Create(run.Length, run, (span, s) =>
        {
            for (int k = 0; k < s.Length; k++)
            {
                span[k] = IsSyllable(s[k]) ? Choseong[(s[k] - 0xAC00) / 588] : '\0';
            }
        });

    internal static bool IsSyllable(char c) => c is >= '\uAC00' and <= '\uD7A3';

    /// <summary>A Hangul compatibility consonant (ㄱ–ㅎ): what an initials query is made of.</summary>
    internal static bool IsConsonantJamo(char c) => c is >= '\u3131' and <= '\u314E';

    /// <summary>Hangul (syllables, jamo, compatibility and half-width jamo), Kana, Han and the ideographic iteration marks.</summary>
    internal static bool IsCjk(Rune r) => r.Value switch
    {
        >= 0x1100 and <= 0x11FF => true,   // Hangul Jamo
        >= 0x3005 and <= 0x3007 => true,   // 々 〆 〇
        >= 0x3040 and <= 0x30FF => true,   // Hiragana, Katakana (incl. ー)
        >= 0x3131 and <= 0x318E => true,   // Hangul compatibility jamo
        >= 0x31F0 and <= 0x31FF => true,   // Katakana phonetic extensions
        >= 0x3400 and <= 0x4DBF => true,   // CJK extension A
        >= 0x4E00 and <= 0x9FFF => true,   // CJK unified ideographs
        >= 0xA960 and <= 0xA97F => true,   // Hangul Jamo extended-A
        >= 0xAC00 and <= 0xD7A3 => true,   // Hangul syllables
        >= 0xD7B0 and <= 0xD7FF => true,   // Hangul Jamo extended-B
        >= 0xF900 and <= 0xFAFF => true,   // CJK compatibility ideographs
        >= 0xFF66 and <= 0xFF9F => true,   // half-width Katakana
        >= 0xFFA0 and <= 0xFFDC => true,   // half-width Hangul
        >= 0x20000 and <= 0x3134F => true, // CJK extensions B–H
        _ => false,
    };

    private static bool IsWordRune(Rune r) => !IsCjk(r) && (Rune.IsLetterOrDigit(r) || IsMark(r));

    private static bool IsMark(Rune r) => Rune.GetUnicodeCategory(r) is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark;

    /// <summary>Inside a word, vanishes instead of separating: apostrophes, ZWJ/ZWNJ, soft hyphen, word joiner.</summary>
    private static bool IsJoiner(Rune r) => r.Value is '\'' or 0x2019 or 0x200C or 0x200D or 0x00AD or 0x2060;

    private static bool IsNameChar(char c) => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_' or '.' or '-';

    private static Rune RuneAt(string s, int i) => Rune.TryGetRuneAt(s, i, out var r) ? r : Rune.ReplacementChar;

    private static Rune RuneBefore(string s, int i) =>
        i >= 2 && char.IsLowSurrogate(s[i - 1]) && char.IsHighSurrogate(s[i - 2]) ? RuneAt(s, i - 2) : RuneAt(s, i - 1);
}
