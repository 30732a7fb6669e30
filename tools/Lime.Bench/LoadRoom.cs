namespace Lime.Bench;

/// <summary>
/// A room of the room load (dm, sweep, group, channel, mixed): its id, kind, members (indices into the load's users) and the
/// room's last seq before the load started (earlier events are set-up: room created, members joined).
/// </summary>
internal sealed class LoadRoom(int index, long id, RoomKind kind, int[] members, long baseSeq)
{
    public int Index { get; } = index;
    public long Id { get; } = id;
    public RoomKind Kind { get; } = kind;
    public int[] Members { get; } = members;
    public long BaseSeq { get; } = baseSeq;
}

/// <summary>Kinds of rooms a load reports separately (latency per kind in mixed).</summary>
internal enum RoomKind
{
    Dm,
    Group,
    Channel,
}
