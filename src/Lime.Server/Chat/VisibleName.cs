using System.Buffers;
using System.Globalization;
using System.Text;
using Lime.Protocol;

namespace Lime.Server.Chat;

/// <summary>
/// The rules for names people are shown by (display names, room names), so that a name cannot be blank-looking,
/// spoof another by reordering text, or spill over the layout. A name is trimmed, then:
/// <list type="bullet">
/// <item>it holds no control characters (Cc: NUL, newlines, tabs), no format characters (Cf: bidi overrides,
/// embeddings, isolates and marks, zero-width space, soft hyphen, tags…), no line/paragraph separators, private-use,
/// unassigned or lone-surrogate code points, and no Hangul/braille fillers. Exception: a zero-width joiner or
/// non-joiner between two visible characters (emoji sequences, Persian and Indic scripts need them);</item>
/// <item>it holds at least one visible character (a letter, digit, punctuation or symbol);</item>
/// <item>no character carries more than <see cref="MaxMarks"/> combining marks.</item>
/// </list>
/// Breaking these is <c>invalid_name</c>; a missing or too long name is <c>validation</c>.
/// </summary>
public static class VisibleName
{
    /// <summary>Most combining marks on one character (Vietnamese uses two, Thai three; "Zalgo" text dozens).</summary>
    public const int MaxMarks = 4;

    public static string Validate(string? raw, string field, int maxLength)
    {
        string name = (raw ?? "").Trim();
        if (name.Length is 0 || name.Length > maxLength)
        {
            throw LimeException.Validation($"{field} must be 1-{maxLength} characters.");
        }

        return Problem(name) is { } problem
            ? throw new LimeException(ErrorCodes.InvalidName, $"{field} {problem}")
            : name;
    }

    /// <summary>What is wrong with a trimmed name's characters, or null when nothing is.</summary>
    public static string? Problem(string name)
    {
        bool visible = false;
        int marks = 0;
        bool previousVisible = false;
        for (int i = 0; i < name.Length;)
        {
            if (Rune.DecodeFromUtf16(name.AsSpan(i), out var rune, out int used) != OperationStatus.Done)
            {
                return "holds a broken surrogate pair.";
            }

            var category = Rune.GetUnicodeCategory(rune);
            i += used;
            if (category is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark)
            {
                if (++marks > MaxMarks)
                {
                    return $"stacks more than {MaxMarks} combining marks on one character.";
                }

                continue;
            }

            marks = 0;
            if (rune.Value is 0x200C or 0x200D)
            {
                // A joiner must sit between two visible characters.
                bool nextVisible = i < name.Length && Rune.DecodeFromUtf16(name.AsSpan(i), out var next, out _) == OperationStatus.Done && IsVisible(next);
                if (!(previousVisible && nextVisible))
                {
                    return "holds a zero-width joiner that joins nothing.";
                }

                continue;
            }

            if (category is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.LineSeparator
                or UnicodeCategory.ParagraphSeparator or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned
                or UnicodeCategory.Surrogate || IsFiller(rune))
            {
                return $"holds an invisible or control character (U+{rune.Value:X4}).";
            }

            previousVisible = IsVisible(rune);
            visible |= previousVisible;
        }

        return visible ? null : "needs at least one visible character.";
    }

    private static bool IsVisible(Rune rune) => !IsFiller(rune) && Rune.GetUnicodeCategory(rune) switch
    {
        UnicodeCategory.SpaceSeparator or UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.LineSeparator
            or UnicodeCategory.ParagraphSeparator or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned
            or UnicodeCategory.Surrogate or UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark
            or UnicodeCategory.EnclosingMark => false,
        _ => true,
    };

    /// <summary>Letters and symbols that render as nothing: Hangul fillers, the braille blank, the Khmer inherent vowels.</summary>
    private static bool IsFiller(Rune rune) => rune.Value is 0x115F or 0x1160 or 0x3164 or 0xFFA0 or 0x2800 or 0x17B4 or 0x17B5;
}
