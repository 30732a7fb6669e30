using Lime.Protocol;
using Lime.Server.Chat;
using Lime.Server.Search;

namespace Lime.Tests.Search;

/// <summary>
/// The tokeniser and query parser on their own: the regression corpus matched through an in-memory index of
/// <see cref="Tokenizer.IndexTokens"/> (the same tokens both backends store), the rules one by one, highlights, and the
/// refusals of bad queries.
/// </summary>
public sealed class TokenizerTests
{
    public static TheoryData<string> CorpusQueries()
    {
        var data = new TheoryData<string>();
        foreach (var q in SearchCorpus.Queries)
        {
            data.Add(q.Text + "|" + q.Mode);
        }

        return data;
    }

    [Fact]
    public void The_corpus_has_at_least_200_messages_and_40_queries_that_each_find_something()
    {
        Assert.True(SearchCorpus.Messages.Count >= 200, $"{SearchCorpus.Messages.Count} messages");
        Assert.True(SearchCorpus.Queries.Count >= 40, $"{SearchCorpus.Queries.Count} queries");
        Assert.All(SearchCorpus.Queries, q => Assert.NotEmpty(q.Expected));
    }

    [Theory]
    [MemberData(nameof(CorpusQueries))]
    public void Corpus_query_finds_exactly_its_expected_messages(string key)
    {
        var q = SearchCorpus.Queries.Single(x => x.Text + "|" + x.Mode == key);
        var query = SearchQuery.Parse(q.Text, q.Mode);
        var hits = SearchCorpus.Messages
            .Where(m => Matches(Tokenizer.IndexTokens(m.Value), query) && query.Verify(m.Value))
            .Select(m => m.Key).Order().ToArray();
        Assert.True(q.Expected.SequenceEqual(hits),
            $"{q.Text} ({q.Note}): missing [{string.Join(", ", q.Expected.Except(hits).Select(i => i + ":" + SearchCorpus.Messages[i]))}], " +
            $"unexpected [{string.Join(", ", hits.Except(q.Expected).Select(i => i + ":" + SearchCorpus.Messages[i]))}]");
    }

    [Fact]
    public void Every_corpus_hit_has_a_highlight_in_its_snippet_except_scattered_bigrams()
    {
        foreach (var q in SearchCorpus.Queries)
        {
            var query = SearchQuery.Parse(q.Text, q.Mode);
            foreach (int id in q.Expected)
            {
                var (text, highlights) = Snippet.Make(SearchCorpus.Messages[id], query);
                Assert.True(highlights.Length > 0, $"{q.Text}: no highlight in {id}:{text}");
                Assert.All(highlights, h => Assert.InRange(h[0] + h[1], 1, text.Length));
            }
        }
    }

    [Fact]
    public void Hangul_runs_give_overlapping_bigrams_and_initials_and_one_syllable_gives_itself()
    {
        Assert.Equal(["회의", "의록", "^ㅎㅇ", "^ㅇㄹ"], Tokenizer.IndexTokens("회의록"));
        Assert.Equal(["책", "^ㅊ"], Tokenizer.IndexTokens("책"));
        Assert.Equal(["会議", "議室"], Tokenizer.IndexTokens("会議室"));
        Assert.Equal(["ㅋㅋ"], Tokenizer.IndexTokens("ㅋㅋㅋ")); // typed jamo: text, no initials
    }

    [Fact]
    public void Words_are_folded_numbers_mentions_and_emoji_are_tokens()
    {
        Assert.Equal(["cafe", "resume", "dont", "strasse"], Tokenizer.IndexTokens("CAFÉ Résumé don't Straße"));
        Assert.Equal(["@bob_kim", "bob", "kim", "2024", "년"], Tokenizer.IndexTokens("@bob_kim 2024년").Where(t => t[0] != '^'));
        Assert.Equal(["bob", "example", "com"], Tokenizer.IndexTokens("bob@example.com")); // not a mention
        Assert.Equal(["meeting", "🎉", "👍", "회의", "^ㅎㅇ", "🔥"], Tokenizer.IndexTokens("meeting🎉 👍🏽 회의🔥"));
        Assert.Equal(["file", "ab"], Tokenizer.IndexTokens("ﬁle Ａｂ")); // NFKD: ligature, full-width letters
        Assert.Equal(["12"], Tokenizer.IndexTokens("１２")); // full-width digits
    }

    [Fact]
    public void Runs_of_three_or_more_are_verified_in_the_text_not_only_by_their_bigrams()
    {
        var q = SearchQuery.Parse("회의록", SearchMode.Text);
        string scattered = "회의 끝나고 의록"; // both bigrams, never the word
        Assert.True(Matches(Tokenizer.IndexTokens(scattered), q));
        Assert.False(q.Verify(scattered));
        Assert.True(q.Verify("어제 회의록 봤어요"));
        var initials = SearchQuery.Parse("ㄱㅇㅇ", SearchMode.Initials);
        Assert.False(initials.Verify("가입 수정했어요"));
        Assert.True(initials.Verify("고양이"));
    }

    [Fact]
    public void Decomposed_hangul_is_composed_before_it_is_cut()
    {
        string nfd = "\u1112\u116C\u110B\u1174\u1105\u1169\u11A8"; // 회의록 as conjoining jamo (NFD)
        Assert.Equal("회의록", Tokenizer.Compose(nfd));
        Assert.Contains("회의", Tokenizer.IndexTokens(nfd));
    }

    [Fact]
    public void Query_words_are_prefixes_particles_come_off_and_one_letter_words_are_dropped()
    {
        var q = SearchQuery.Parse("a Meet 회의는 🔥 10", SearchMode.Text);
        Assert.Equal([new SearchTerm("meet", true), new SearchTerm("회의", false), new SearchTerm("🔥", false), new SearchTerm("10", false)], q.Terms);
        Assert.Equal([new SearchTerm("회", true)], SearchQuery.Parse("회", SearchMode.Text).Terms);
        Assert.Equal([new SearchTerm("^ㅎㅇ", false)], SearchQuery.Parse("ㅎㅇ", SearchMode.Initials).Terms);
        Assert.Equal("사과", SearchQuery.StripParticle("사과")); // two syllables: never shortened
    }

    [Theory]
    [InlineData("", ErrorCodes.QueryTooShort)]
    [InlineData("   ", ErrorCodes.QueryTooShort)]
    [InlineData("a", ErrorCodes.QueryTooShort)]
    [InlineData("a b c", ErrorCodes.QueryTooShort)]
    [InlineData("?!", ErrorCodes.QueryTooShort)]
    [InlineData("회의 meeting", null)]
    public void Queries_with_nothing_to_search_are_refused(string q, string? code)
    {
        if (code is null)
        {
            Assert.NotEmpty(SearchQuery.Parse(q, SearchMode.Text).Terms);
            return;
        }

        Assert.Equal(code, Assert.Throws<LimeException>(() => SearchQuery.Parse(q, SearchMode.Text)).Code);
    }

    [Fact]
    public void A_query_over_256_characters_or_initials_with_other_letters_is_refused()
    {
        Assert.NotEmpty(SearchQuery.Parse(new string('회', 256), SearchMode.Text).Terms);
        Assert.Equal(ErrorCodes.QueryTooLong, Assert.Throws<LimeException>(() => SearchQuery.Parse(new string('회', 257), SearchMode.Text)).Code);
        Assert.Equal(ErrorCodes.Validation, Assert.Throws<LimeException>(() => SearchQuery.Parse("ㅎㅇ회", SearchMode.Initials)).Code);
    }

    [Fact]
    public void Snippets_mark_the_matches_and_cut_long_texts_around_the_first()
    {
        var (text, highlights) = Snippet.Make("내일 회의록 공유, Meetings later", SearchQuery.Parse("회의 meet", SearchMode.Text));
        Assert.Equal("내일 회의록 공유, Meetings later", text);
        Assert.Equal(["회의", "Meetings"], highlights.Select(h => text.Substring(h[0], h[1])));

        string longText = new string('가', 300) + " 회의 " + new string('나', 300);
        var (cut, marks) = Snippet.Make(longText, SearchQuery.Parse("회의", SearchMode.Text));
        Assert.True(cut.Length <= Snippet.MaxChars + 2);
        Assert.StartsWith("…", cut);
        Assert.EndsWith("…", cut);
        Assert.Equal("회의", cut.Substring(marks[0][0], marks[0][1]));

        var (initials, at) = Snippet.Make("오늘 회의 끝", SearchQuery.Parse("ㅎㅇ", SearchMode.Initials));
        Assert.Equal("회의", initials.Substring(at[0][0], at[0][1]));
    }

    private static bool Matches(string[] tokens, SearchQuery query) =>
        query.Terms.All(t => t.Prefix ? tokens.Any(x => x.StartsWith(t.Token, StringComparison.Ordinal)) : tokens.Contains(t.Token));
}
