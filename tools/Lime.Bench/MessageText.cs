using System.Globalization;

namespace Lime.Bench;

/// <summary>
/// Message text that carries its scheduled send time: <c>t=&lt;Stopwatch timestamp&gt;;xxxx…</c>. Every client
/// lives in this one process and shares the Stopwatch time base, so a receiver computes send→deliver latency
/// from the text alone, without a clock shared across machines.
/// </summary>
internal static class MessageText
{
    private const int MaxDigits = 20;

    public static string Create(long scheduled, int size)
    {
        int digits = CountDigits(scheduled);
        int length = Math.Max(size, 2 + digits + 1);
        return string.Create(length, scheduled, static (span, ts) =>
        {
            span[0] = 't';
            span[1] = '=';
            ts.TryFormat(span[2..], out int written, default, CultureInfo.InvariantCulture);
            span[2 + written] = ';';
            span[(3 + written)..].Fill('x');
        });
    }

    public static bool TryParse(string? text, out long scheduled)
    {
        scheduled = 0;
        if (text is null || text.Length < 4 || text[0] != 't' || text[1] != '=')
        {
            return false;
        }

        int end = text.IndexOf(';', 2);
        return end > 2 && end - 2 <= MaxDigits
            && long.TryParse(text.AsSpan(2, end - 2), NumberStyles.None, CultureInfo.InvariantCulture, out scheduled);
    }

    private static int CountDigits(long value)
    {
        int digits = 1;
        while (value >= 10)
        {
            value /= 10;
            digits++;
        }

        return digits;
    }
}
