using System.Buffers;
using System.Text.Json;
using Lime.Protocol;

namespace Lime.Server.Chat;

/// <summary>
/// Cuts history pages and sync replies to <c>Lime:Limits:MaxReplyBytes</c> of events, measured as the socket writes
/// them (<see cref="SocketJson"/>). Reads from the store are cut first by text length (<see cref="TextChars"/>: every
/// character is at least one byte of JSON, so that cut never drops an event this one would keep), which bounds what
/// a request holds while it is built; this then cuts by exact size. A cut reply always keeps at least one event, so
/// paging always makes progress.
/// </summary>
public sealed class ReplyCap
{
    /// <summary>What a serialized event costs beyond its strings and arrays (every property name, number, punctuation), rounded up.</summary>
    private const int FixedBytes = 512;

    /// <summary>The most bytes one UTF-16 unit can take in JSON (<c>\u0001</c>, or half of a surrogate pair escaped).</summary>
    private const int MaxBytesPerChar = 6;

    private readonly long _cap;
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = SocketJson.Context.Options.Encoder, SkipValidation = true };
    private ArrayBufferWriter<byte>? _buffer;

    public ReplyCap(long capBytes) => _cap = capBytes;

    /// <summary>The text budget for store reads: stop reading once this many characters of text were read.</summary>
    public long TextChars => _cap;

    /// <summary>
    /// Bytes a socket reserves before building a reply: the largest reply (<see cref="LimitOptions.LargestReplyBytes"/>)
    /// plus the frame around it (the request's id is echoed).
    /// </summary>
    public static int Reservation(LimitOptions limits, int idLength) =>
        (int)Math.Min(int.MaxValue, limits.LargestReplyBytes + (long)MaxBytesPerChar * idLength + 1024);

    /// <summary>How many of <paramref name="events"/> fit, kept from the start (forward pages) or from the end (backward).</summary>
    public int Fit(IReadOnlyList<EventDto> events, bool fromEnd)
    {
        long used = 0;
        return Fit(events, fromEnd, ref used);
    }

    /// <summary>
    /// As <see cref="Fit(IReadOnlyList{EventDto}, bool)"/>, with a budget shared by several lists (<paramref name="used"/>
    /// bytes of it taken so far); the first event kept overall is kept whatever its size.
    /// </summary>
    public int Fit(IReadOnlyList<EventDto> events, bool fromEnd, ref long used)
    {
        long bound = 0;
        foreach (var e in events)
        {
            bound += UpperBound(e);
        }

        if (used + bound <= _cap)
        {
            used += bound;
            return events.Count;
        }

        int kept = 0;
        for (; kept < events.Count; kept++)
        {
            int size = Measure(events[fromEnd ? events.Count - 1 - kept : kept]);
            if (used + size > _cap && !(kept == 0 && used == 0))
            {
                break;
            }

            used += size;
        }

        return kept;
    }

    /// <summary>
    /// For a page around a seq (<paramref name="centre"/> = index of the first event at or after it): how many to drop
    /// from each end, growing outwards from the centre while it fits.
    /// </summary>
    public (int DropHead, int DropTail) FitAround(IReadOnlyList<EventDto> events, int centre)
    {
        long bound = 0;
        foreach (var e in events)
        {
            bound += UpperBound(e);
        }

        if (bound <= _cap || events.Count == 0)
        {
            return (0, 0);
        }

        centre = Math.Clamp(centre, 0, events.Count - 1);
        int low = centre, high = centre; // kept: [low, high]
        long used = Measure(events[centre]);
        bool headOpen = true, tailOpen = true;
        while (headOpen || tailOpen)
        {
            if (tailOpen)
            {
                tailOpen = high + 1 < events.Count && TryAdd(events[high + 1], ref used);
                high += tailOpen ? 1 : 0;
            }

            if (headOpen)
            {
                headOpen = low > 0 && TryAdd(events[low - 1], ref used);
                low -= headOpen ? 1 : 0;
            }
        }

        return (low, events.Count - 1 - high);
    }

    private bool TryAdd(EventDto e, ref long used)
    {
        int size = Measure(e);
        if (used + size > _cap)
        {
            return false;
        }

        used += size;
        return true;
    }

    private static long UpperBound(EventDto e)
    {
        long chars = (e.Text?.Length ?? 0) + (e.ClientMsgId?.Length ?? 0) + (e.Name?.Length ?? 0) + (e.Role?.Length ?? 0)
            + (e.Emoji?.Length ?? 0) + (e.Topic?.Length ?? 0) + (e.Description?.Length ?? 0) + e.Id.Length + e.Kind.Length;
        long arrays = 21L * ((e.Users?.Length ?? 0) + (e.Mentions?.Length ?? 0));
        foreach (var a in e.Attachments ?? [])
        {
            // {"id":"…","name":"…","size":N,"type":"…","width":N,"height":N,"thumbnail":true,"placeholder":"…"},
            chars += a.Id.Length + a.Name.Length + a.Type.Length + (a.Placeholder?.Length ?? 0);
            arrays += 128;
        }
        foreach (var r in e.Reactions ?? [])
        {
            // {"emoji":"…","count":N,"users":[…]},
            chars += r.Emoji.Length;
            arrays += 48 + 21L * (r.Users?.Length ?? 0);
        }

        return FixedBytes + arrays + (long)MaxBytesPerChar * chars;
    }

    /// <summary>The exact size of the event in a socket frame, plus the comma that separates it from the next.</summary>
    private int Measure(EventDto e)
    {
        _buffer ??= new ArrayBufferWriter<byte>(16 * 1024);
        _buffer.ResetWrittenCount();
        using var writer = new Utf8JsonWriter(_buffer, WriterOptions);
        JsonSerializer.Serialize(writer, e, SocketJson.Context.EventDto);
        writer.Flush();
        return (int)writer.BytesCommitted + 1;
    }
}
