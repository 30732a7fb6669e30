using Lime.Server.Search;

namespace Lime.Tests.Search;

/// <summary>One query of the regression corpus with the message ids it must find (and no others).</summary>
public sealed record CorpusQuery(string Text, SearchMode Mode, int[] Expected, string Note)
{
    public override string ToString() => $"{Text} ({Mode})";
}

/// <summary>
/// The Korean/English regression corpus shipped with the tests: Search/corpus.tsv (id, text) and Search/queries.tsv
/// (query, mode, expected ids, what it shows). The expected ids were written from the documented matching rules
/// (docs/protocol.md §13), not produced by the tokeniser.
/// </summary>
public static class SearchCorpus
{
    public static IReadOnlyDictionary<int, string> Messages { get; } = Load();

    public static IReadOnlyList<CorpusQuery> Queries { get; } = LoadQueries();

    private static Dictionary<int, string> Load() =>
        Lines("corpus.tsv").Select(l => l.Split('\t', 2)).ToDictionary(p => int.Parse(p[0], System.Globalization.CultureInfo.InvariantCulture), p => p[1]);

    private static List<CorpusQuery> LoadQueries() =>
        Lines("queries.tsv").Select(l => l.Split('\t')).Select(p => new CorpusQuery(
            p[0],
            p[1] == "initials" ? SearchMode.Initials : SearchMode.Text,
            p[2].Length == 0 ? [] : p[2].Split(',').Select(x => int.Parse(x, System.Globalization.CultureInfo.InvariantCulture)).ToArray(),
            p[3])).ToList();

    private static IEnumerable<string> Lines(string file) =>
        File.ReadLines(Path.Combine(AppContext.BaseDirectory, "Search", file)).Where(l => l.Length > 0 && l[0] != '#');
}
