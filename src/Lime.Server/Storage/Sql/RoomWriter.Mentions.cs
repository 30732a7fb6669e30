using System.Data.Common;
using Dapper;
using Lime.Protocol;
using Lime.Server.Chat;

namespace Lime.Server.Storage.Sql;

/// <summary>
/// Mentions of a run of messages, settled at commit with the messages: a mentioned user who is not a member of the room
/// then is dropped (silently: a mention is no promise of delivery), <c>@room</c> needs the right for the room's size, and
/// every member mentioned (by id, or through @room) gets a row in <c>mentions</c>, which the mentions list and push read.
/// </summary>
public abstract partial class RoomWriter
{
    /// <summary>Why the sender may not mention @room in this room now, or null: in groups and channels above
    /// <see cref="MessageOptions.RoomMentionOpenMembers"/> only moderators may, and channels above
    /// <see cref="MessageOptions.RoomMentionMaxChannelMembers"/> refuse it from anyone.</summary>
    private LimeException? RoomMentionRefusal(RoomState state)
    {
        if (state.Kind == RoomKinds.Direct)
        {
            return null;
        }

        int channelMax = _messages.RoomMentionMaxChannelMembers;
        if (state.Kind == RoomKinds.Channel && channelMax > 0 && state.MemberCount > channelMax)
        {
            return LimeException.Forbidden($"@room is not allowed in channels of more than {channelMax} members.");
        }

        if (state.MemberCount > _messages.RoomMentionOpenMembers && state.Role is not (Roles.Owner or Roles.Admin))
        {
            return LimeException.Forbidden($"Only the owner and admins can mention @room in a room of more than {_messages.RoomMentionOpenMembers} members.");
        }

        return null;
    }

    /// <summary>
    /// Settles the mentions of the run's messages that have any (<paramref name="mentioning"/>: batch index, row index):
    /// at most two reads for the whole run, then each message's event, data and mention rows are filled in.
    /// </summary>
    private void ResolveMentions(DbTransaction tx, IReadOnlyList<Pending> batch, MessageRunRows rows, List<(int Pending, int Row)> mentioning)
    {
        var c = tx.Connection!;
        var dialect = _db.Dialect;
        var everyoneRooms = new HashSet<long>();
        var otherRooms = new HashSet<long>();
        var candidates = new HashSet<long>();
        foreach (var (i, row) in mentioning)
        {
            var m = (AppendMessage)batch[i].Write;
            if (m.MentionRoom)
            {
                everyoneRooms.Add(m.RoomId);
            }
            else
            {
                otherRooms.Add(m.RoomId);
                candidates.UnionWith(m.Mentions!);
            }
        }

        var members = new Dictionary<long, List<long>>(); // room → members (all of them for @room rooms, else the candidates who are)
        void Read(string sql, object args)
        {
            foreach (var (room, user) in c.Query<(long, long)>(sql, args, tx))
            {
                if (!members.TryGetValue(room, out var list))
                {
                    members[room] = list = [];
                }

                list.Add(user);
            }
        }

        if (everyoneRooms.Count > 0)
        {
            Read($"SELECT room_id, user_id FROM members WHERE room_id IN {dialect.IdList("@rooms")} ORDER BY room_id, user_id",
                new { rooms = dialect.IdListValue(everyoneRooms) });
        }

        otherRooms.ExceptWith(everyoneRooms);
        if (otherRooms.Count > 0)
        {
            Read($"SELECT room_id, user_id FROM members WHERE room_id IN {dialect.IdList("@rooms")} AND user_id IN {dialect.IdList("@users")}",
                new { rooms = dialect.IdListValue(otherRooms), users = dialect.IdListValue(candidates) });
        }

        foreach (var (i, row) in mentioning)
        {
            var p = batch[i];
            var m = (AppendMessage)p.Write;
            var inRoom = members.TryGetValue(m.RoomId, out var list) ? list.ToHashSet() : [];
            long[] named = [.. (m.Mentions ?? []).Where(u => u != m.SenderId && inRoom.Contains(u)).Distinct()];
            var e = p.Result!.Events[0] with { Mentions = named.Length > 0 ? named : null, MentionRoom = m.MentionRoom ? true : null };
            foreach (long user in named)
            {
                rows.Mentions.Add(new MentionRow(user, rows.Ids[row], m.RoomId, e.Seq, Everyone: false));
            }

            if (m.MentionRoom)
            {
                var byName = named.ToHashSet();
                foreach (long user in inRoom.Where(u => u != m.SenderId && !byName.Contains(u)))
                {
                    rows.Mentions.Add(new MentionRow(user, rows.Ids[row], m.RoomId, e.Seq, Everyone: true));
                }
            }

            rows.Datas[row] = EventData.Serialize(e);
            p.Result = p.Result with { Events = [e] };
        }
    }
}
