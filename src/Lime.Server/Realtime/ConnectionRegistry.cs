using System.Text.Json;
using Lime.Protocol;
using Lime.Server.Diagnostics;

namespace Lime.Server.Realtime;

/// <summary>
/// The connections on this node, indexed by user and by room. A connection is subscribed to every room its user
/// belongs to: at connect (after it is registered, so a membership event committed meanwhile is not missed) and
/// when a membership event arrives. Each event is serialized once and the same bytes are queued to every subscriber.
/// </summary>
public sealed class ConnectionRegistry(LimeMetrics metrics)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<long, List<ClientConnection>> _byUser = [];
    private readonly Dictionary<long, Subscribers> _byRoom = [];
    private readonly Dictionary<long, int> _socketsByUser = [];

    /// <summary>
    /// Told (under the registry's lock, so it must only queue) when this node gains its first or loses its last local
    /// subscriber of a room, or connection of a user: a cross-node fanout subscribes to exactly those channels.
    /// </summary>
    public Action<Interest>? InterestChanged { get; set; }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _byUser.Values.Sum(l => l.Count);
            }
        }
    }

    /// <summary>
    /// Counts one more socket of <paramref name="userId"/> if it has fewer than <paramref name="max"/> here (taken at
    /// the upgrade, before the socket is accepted, so concurrent upgrades cannot overshoot); give it back with
    /// <see cref="ReleaseSocket"/> when the socket ends.
    /// </summary>
    public bool TryReserveSocket(long userId, int max)
    {
        lock (_lock)
        {
            int open = _socketsByUser.GetValueOrDefault(userId);
            if (open >= max)
            {
                return false;
            }

            _socketsByUser[userId] = open + 1;
            return true;
        }
    }

    public void ReleaseSocket(long userId)
    {
        lock (_lock)
        {
            if (_socketsByUser.TryGetValue(userId, out int open))
            {
                if (open <= 1)
                {
                    _socketsByUser.Remove(userId);
                }
                else
                {
                    _socketsByUser[userId] = open - 1;
                }
            }
        }
    }

    public void Add(ClientConnection connection)
    {
        lock (_lock)
        {
            if (!_byUser.TryGetValue(connection.UserId, out var list))
            {
                _byUser[connection.UserId] = list = [];
                InterestChanged?.Invoke(new Interest(InterestKind.User, connection.UserId, true));
            }

            list.Add(connection);
        }
    }

    /// <summary>
    /// Subscribes a new connection to the rooms read from the store after <see cref="Add"/>. A room the user left
    /// between that read and now (its leave event was delivered meanwhile) is skipped.
    /// </summary>
    public void SubscribeInitial(ClientConnection connection, IEnumerable<long> roomIds)
    {
        lock (_lock)
        {
            foreach (long room in roomIds)
            {
                if (connection.LeftBeforeSubscribed?.Contains(room) != true)
                {
                    SubscribeLocked(connection, room);
                }
            }

            connection.LeftBeforeSubscribed = null;
            connection.Subscribed = true;
        }
    }

    public void Remove(ClientConnection connection)
    {
        lock (_lock)
        {
            if (_byUser.TryGetValue(connection.UserId, out var list))
            {
                list.Remove(connection);
                if (list.Count == 0)
                {
                    _byUser.Remove(connection.UserId);
                    InterestChanged?.Invoke(new Interest(InterestKind.User, connection.UserId, false));
                }
            }

            foreach (long room in connection.Rooms)
            {
                UnsubscribeLocked(connection, room, keepInConnection: true);
            }

            connection.Rooms.Clear();
        }
    }

    /// <summary>Every connection of one device (to close them on logout).</summary>
    public ClientConnection[] OfDevice(long deviceId)
    {
        lock (_lock)
        {
            return _byUser.Values.SelectMany(l => l).Where(c => c.DeviceId == deviceId).ToArray();
        }
    }

    public ClientConnection[] All()
    {
        lock (_lock)
        {
            return _byUser.Values.SelectMany(l => l).ToArray();
        }
    }

    /// <summary>Queues one committed event to every local subscriber of its room, applying membership changes; returns how many.</summary>
    public int Deliver(EventDto e)
    {
        byte[] frame = JsonSerializer.SerializeToUtf8Bytes(new EventFrame(e), SocketJson.Context.EventFrame);
        bool joins = e.Kind is EventKinds.RoomCreated or EventKinds.MembersJoined or EventKinds.MembersAdded;
        bool leaves = e.Kind is EventKinds.MemberLeft or EventKinds.MemberRemoved or EventKinds.MemberBanned or EventKinds.RoomDeleted;
        ClientConnection[] targets;
        lock (_lock)
        {
            if (joins && e.Users is not null)
            {
                foreach (long user in e.Users)
                {
                    if (_byUser.TryGetValue(user, out var list))
                    {
                        foreach (var c in list)
                        {
                            SubscribeLocked(c, e.Room);
                        }
                    }
                }
            }

            targets = _byRoom.TryGetValue(e.Room, out var subs) ? subs.Snapshot() : [];

            if (leaves && e.Users is not null)
            {
                List<ClientConnection>? settingUp = null;
                foreach (long user in e.Users)
                {
                    if (_byUser.TryGetValue(user, out var list))
                    {
                        foreach (var c in list)
                        {
                            // A connection still reading its room list (it has had its hello) is not subscribed to
                            // the room yet, but its user was a member until now: it gets its own leave live too.
                            if (!c.Subscribed && !c.Rooms.Contains(e.Room))
                            {
                                (settingUp ??= []).Add(c);
                            }

                            UnsubscribeLocked(c, e.Room, keepInConnection: false);
                        }
                    }
                }

                if (settingUp is not null)
                {
                    targets = [.. targets, .. settingUp];
                }
            }
        }

        foreach (var c in targets)
        {
            c.Enqueue(frame);
        }

        metrics.FanoutDelivered(targets.Length);
        return targets.Length;
    }

    /// <summary>Queues an ephemeral frame to a room's local subscribers and/or some users' local connections, once each.</summary>
    public void DeliverSignal(Fanout.Signal signal)
    {
        var targets = new HashSet<ClientConnection>();
        lock (_lock)
        {
            if (signal.Room is { } room && _byRoom.TryGetValue(room, out var subs))
            {
                targets.UnionWith(subs.Snapshot());
            }

            if (signal.Users is not null)
            {
                foreach (long user in signal.Users)
                {
                    if (_byUser.TryGetValue(user, out var list))
                    {
                        targets.UnionWith(list);
                    }
                }
            }
        }

        foreach (var c in targets)
        {
            c.Enqueue(signal.Frame);
        }

        metrics.SignalDelivered(targets.Count);
    }

    /// <summary>Whether the user has a connection on this node.</summary>
    public bool IsConnected(long userId)
    {
        lock (_lock)
        {
            return _byUser.ContainsKey(userId);
        }
    }

    /// <summary>The users with a connection on this node and the newest receive time over their connections.</summary>
    public Dictionary<long, long> LastActivityByUser()
    {
        lock (_lock)
        {
            return _byUser.ToDictionary(p => p.Key, p => p.Value.Max(c => c.LastReceivedTicks));
        }
    }

    private void SubscribeLocked(ClientConnection c, long room)
    {
        c.LeftBeforeSubscribed?.Remove(room);
        if (!c.Rooms.Add(room))
        {
            return;
        }

        if (!_byRoom.TryGetValue(room, out var subs))
        {
            _byRoom[room] = subs = new Subscribers();
            InterestChanged?.Invoke(new Interest(InterestKind.Room, room, true));
        }

        subs.Add(c);
    }

    private void UnsubscribeLocked(ClientConnection c, long room, bool keepInConnection)
    {
        if (!c.Subscribed)
        {
            (c.LeftBeforeSubscribed ??= []).Add(room);
        }

        if (!keepInConnection && !c.Rooms.Remove(room))
        {
            return;
        }

        if (_byRoom.TryGetValue(room, out var subs) && subs.Remove(c) == 0)
        {
            _byRoom.Remove(room);
            InterestChanged?.Invoke(new Interest(InterestKind.Room, room, false));
        }
    }

    /// <summary>A room's local subscribers; the array handed to delivery is rebuilt only after a change.</summary>
    private sealed class Subscribers
    {
        private readonly HashSet<ClientConnection> _set = [];
        private ClientConnection[]? _snapshot;

        public void Add(ClientConnection c)
        {
            if (_set.Add(c))
            {
                _snapshot = null;
            }
        }

        public int Remove(ClientConnection c)
        {
            if (_set.Remove(c))
            {
                _snapshot = null;
            }

            return _set.Count;
        }

        public ClientConnection[] Snapshot() => _snapshot ??= [.. _set];
    }
}

public enum InterestKind
{
    Room,
    User,
}

/// <summary>This node started (<see cref="Active"/>) or stopped caring about a room's or a user's traffic.</summary>
public readonly record struct Interest(InterestKind Kind, long Id, bool Active);
