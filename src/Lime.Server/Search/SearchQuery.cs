using Lime.Protocol;
using Lime.Server.Chat;

namespace Lime.Server.Search;

/// <summary>How a query is read: as text (default), or as Hangul initial consonants (초성: <c>ㅎㅇ</c> finds 회의).</summary>
public enum SearchMode
{
    Text,
    Initials,
}

/// <summary>One token a match must have: exactly, or (<see cref="Prefix"/>) as the start of an indexed token.</summary>
public readonly record struct SearchTerm(string Token, bool Prefix);

/// <summary>
/// A parsed query: the terms every hit has (AND), and what to highlight in a hit's text. Built by
/// <see cref="Parse"/> with the <see cref="Tokenizer"/>, so it means the same on every backend.
/// </summary>
public sealed class SearchQuery
{
    /// <summary>Longest query accepted, in UTF-16 code units.</summary>
    public const int MaxLength = 256;

    /// <summary>
    /// One- and two-syllable Korean particles (조사) taken off the end of a query word of at least three syllables when
    /// two or more syllables stay: <c>회의는</c> and <c>회의에서</c> search for <c>회의</c>. Longest first.
    /// </summary>
    private static readonly string[] Particles =
    [
        "에서", "에게", "으로", "까지", "부터", "한테", "처럼", "보다", "이랑", "께서", "마다", "조차",
        "은", "는", "이", "가", "을", "를", "에", "의", "도", "와", "과", "로", "만", "랑",
    ];

    private SearchQuery(SearchMode mode, IReadOnlyList<SearchTerm> terms, IReadOnlyList<string> words, IReadOnlyList<string> exact, IReadOnlyList<string> runs)
    {
        Mode = mode;
        Terms = terms;
        WordPrefixes = words;
        ExactTokens = exact;
        Runs = runs;
    }

    public SearchMode Mode { get; }

    /// <summary>Distinct terms, all required.</summary>
    public IReadOnlyList<SearchTerm> Terms { get; }

    /// <summary>Folded word and mention prefixes (for highlighting whole words that start with one).</summary>
    public IReadOnlyList<string> WordPrefixes { get; }

    /// <summary>Numbers and emoji keys, matched whole.</summary>
    public IReadOnlyList<string> ExactTokens { get; }

    /// <summary>CJK strings to find inside runs (text mode), or consonant strings to find in runs' initials (initials mode).</summary>
    public IReadOnlyList<string> Runs { get; }

    /// <summary>
    /// Whether a candidate the index found really matches: the index has bigrams without their positions, so a run of
    /// three or more characters (<c>회의록</c>) or of initials (<c>ㄱㅇㅇ</c>) is only a candidate there until the run
    /// itself is found in the text — otherwise 회의 … 의록 far apart would match 회의록. Words, numbers, emoji and
    /// two-character runs are exact in the index already.
    /// </summary>
    public bool Verify(string? text)
    {
        var needles = Runs.Where(r => Mode == SearchMode.Initials ? r.Length >= 3 : r.EnumerateRunes().Count() >= 3).ToList();
        if (needles.Count == 0)
        {
            return true;
        }

        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        var runs = Tokenizer.Segments(text).Where(s => s.Kind == SegmentKind.Cjk)
            .Select(s => Tokenizer.Compose(text.Substring(s.Start, s.Length)))
            .Select(run => Mode == SearchMode.Initials ? Tokenizer.Initials(run) : run)
            .ToList();
        return needles.All(n => runs.Any(run => run.Contains(n, StringComparison.Ordinal)));
    }

    /// <summary>
    /// Parses a query. Refusals: blank → <c>query_too_short</c>; over <see cref="MaxLength"/> → <c>query_too_long</c>;
    /// nothing searchable left (only one-letter words, punctuation) → <c>query_too_short</c>; initials mode with
    /// anything but consonants ㄱ–ㅎ and spaces → <c>validation</c>.
    /// </summary>
    public static SearchQuery Parse(string? q, SearchMode mode)
    {
        if (string.IsNullOrWhiteSpace(q))
        {
            throw new LimeException(ErrorCodes.QueryTooShort, "q is required.");
        }

        if (q.Length > MaxLength)
        {
            throw new LimeException(ErrorCodes.QueryTooLong, $"q is limited to {MaxLength} characters.");
        }

        return mode == SearchMode.Initials ? ParseInitials(q) : ParseText(q);
    }

    private static SearchQuery ParseText(string q)
    {
        var terms = new List<SearchTerm>();
        var words = new List<string>();
        var exact = new List<string>();
        var runs = new List<string>();
        foreach (var segment in Tokenizer.Segments(q))
        {
            var span = q.AsSpan(segment.Start, segment.Length);
            switch (segment.Kind)
            {
                case SegmentKind.Word:
                    string word = Tokenizer.Fold(span);
                    if (word.EnumerateRunes().Count() >= 2)
                    {
                        terms.Add(new SearchTerm(word, Prefix: true));
                        words.Add(word);
                    }

                    break;
                case SegmentKind.Number:
                    string number = Tokenizer.Fold(span);
                    terms.Add(new SearchTerm(number, Prefix: false));
                    exact.Add(number);
                    break;
                case SegmentKind.Mention:
                    string mention = "@" + Tokenizer.Fold(span[1..]);
                    terms.Add(new SearchTerm(mention, Prefix: true));
                    words.Add(mention);
                    break;
                case SegmentKind.Emoji:
                    string key = Tokenizer.EmojiKey(span);
                    terms.Add(new SearchTerm(key, Prefix: false));
                    exact.Add(key);
                    break;
                case SegmentKind.Cjk:
                    string run = StripParticle(Tokenizer.Compose(span.ToString()));
                    var grams = Tokenizer.Grams(run);
                    // One character: it begins a bigram (or is a one-character run) in the index.
                    terms.AddRange(grams.Select(g => new SearchTerm(g, Prefix: grams.Count == 1 && g.EnumerateRunes().Count() == 1)));
                    runs.Add(run);
                    break;
            }
        }

        return Build(SearchMode.Text, terms, words, exact, runs);
    }

    private static SearchQuery ParseInitials(string q)
    {
        var terms = new List<SearchTerm>();
        var runs = new List<string>();
        foreach (string part in q.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
        {
            if (!part.All(Tokenizer.IsConsonantJamo))
            {
                throw LimeException.Validation("mode=initials takes Hangul initial consonants (ㄱ-ㅎ) and spaces only.");
            }

            var grams = Tokenizer.Grams(part);
            terms.AddRange(grams.Select(g => new SearchTerm(Tokenizer.InitialsMarker + g, Prefix: part.Length == 1)));
            runs.Add(part);
        }

        return Build(SearchMode.Initials, terms, [], [], runs);
    }

    private static SearchQuery Build(SearchMode mode, List<SearchTerm> terms, List<string> words, List<string> exact, List<string> runs)
    {
        var distinct = terms.Distinct().ToList();
        if (distinct.Count == 0)
        {
            throw new LimeException(ErrorCodes.QueryTooShort, "Nothing to search for: words need at least 2 letters (one Hangul, Kana or Han character is enough).");
        }

        return new SearchQuery(mode, distinct, words.Distinct().ToList(), exact.Distinct().ToList(), runs.Distinct().ToList());
    }

    /// <summary>회의는 → 회의, 회의에서 → 회의; a word that would keep fewer than two syllables is left alone.</summary>
    internal static string StripParticle(string run)
    {
        if (run.Length < 3 || !run.All(Tokenizer.IsSyllable))
        {
            return run;
        }

        foreach (string particle in Particles)
        {
            if (run.Length - particle.Length >= 2 && run.EndsWith(particle, StringComparison.Ordinal))
            {
                return run[..^particle.Length];
            }
        }

        return run;
    }
}
