using System.Data.Common;

namespace Lime.Server.Storage.Sql;

/// <summary>
/// A room row as the writer sees it (locked), with one user's role in it (null: not a member), until when that member
/// is muted, and whether the pair of a direct room is blocked. A deleted room has no state (not found).
/// </summary>
internal readonly record struct RoomState(string Kind, long LastSeq, long MemberCount, string? Role, long? MutedUntil = null, bool Blocked = false);

/// <summary>The first stored copy of a message, found by its idempotency key.</summary>
internal readonly record struct StoredMessage(long Seq, long Id, long CreatedAt);

/// <summary>What a run of messages writes, as columns (one row per new message).</summary>
internal sealed class MessageRunRows
{
    public List<long> Rooms { get; } = [];
    public List<long> Seqs { get; } = [];
    public List<long> Ids { get; } = [];
    public List<long> Senders { get; } = [];
    public List<string> ClientMsgIds { get; } = [];
    public List<string?> Texts { get; } = [];
    public List<long?> ReplyTos { get; } = [];
    public List<long> CreatedAts { get; } = [];

    /// <summary>events.data of each message: its mentions, or null.</summary>
    public List<string?> Datas { get; } = [];

    /// <summary>Who each message mentions, one row per mentioned member (through @room too).</summary>
    public List<MentionRow> Mentions { get; } = [];

    /// <summary>Per room: its new last seq and activity time (one row per room).</summary>
    public Dictionary<long, (long Seq, long At)> RoomAdvances { get; } = [];

    /// <summary>Per (room, sender): the seq the sender's read watermark moves up to (one row per pair).</summary>
    public Dictionary<(long Room, long User), long> ReadAdvances { get; } = [];

    /// <summary>The outbox topics each message gets a row of (message; search when indexing is on).</summary>
    public IReadOnlyList<string> OutboxTopics { get; init; } = [Storage.OutboxTopics.Message];

    public int Count => Rooms.Count;
}

/// <summary>A member mentioned by a message: by id, or (<see cref="Everyone"/>) through @room.</summary>
internal readonly record struct MentionRow(long UserId, long EventId, long Room, long Seq, bool Everyone);

/// <summary>
/// How a run of consecutive messages in a batch reaches the database. PostgreSQL has whole-run statements (a fixed few
/// per run whatever its length, rows as arrays: each statement is a network round trip). SQLite writes row by row
/// with the writer's prepared statements: a JSON-array (json_each) version measured slower there (BenchmarkDotNet,
/// batch of 256: 16-18 ms vs 11-14 ms), json_extract's parsing costing more than the per-statement overhead it saved.
/// </summary>
internal interface IMessageRunSql : IDisposable
{
    /// <summary>Locks the rooms of the run (in room id order) and returns each (room, sender)'s state; absent = no room.</summary>
    Dictionary<(long Room, long User), RoomState> LockRooms(DbTransaction tx, IReadOnlyList<AppendMessage> run);

    /// <summary>Messages of the run already stored (retries), by (room, sender, client_msg_id).</summary>
    Dictionary<(long Room, long Sender, string ClientMsgId), StoredMessage> FindDuplicates(DbTransaction tx, IReadOnlyList<AppendMessage> run);

    /// <summary>Inserts the run's events, mentions and outbox rows and advances its rooms and the senders' read watermarks.</summary>
    void Write(DbTransaction tx, MessageRunRows rows);
}
