namespace Lime.Server.Fanout;

/// <summary>
/// An ephemeral frame (read watermark, typing, presence): not stored, no seq, delivered at most once to the local
/// subscribers of <see cref="Room"/> and/or the connections of <see cref="Users"/>. <see cref="Frame"/> is the
/// serialized server frame, shared by every recipient.
/// </summary>
public sealed record Signal(long? Room, IReadOnlyCollection<long>? Users, byte[] Frame);
