using System.Data.Common;
using Dapper;
using Lime.Protocol;
using Lime.Server.Chat;

namespace Lime.Server.Storage.Sql;

/// <summary>
/// Room settings, deletion and moderation (bans, mutes, invite links, join requests) and blocks. Rights and state are
/// checked against the locked room at commit, before the first write; each change is written with its event (blocks:
/// privately, without one) in the same transaction.
/// </summary>
public abstract partial class RoomWriter
{
    private RoomWriteResult ApplyUpdateRoom(Statements sql, DbConnection c, DbTransaction tx, RoomState state, UpdateRoom u, long now)
    {
        RequireModerator(state, "change the room's settings");
        var current = c.QuerySingle<(string? Name, string? Topic, string? Description, long ApprovalRequired)>(
            "SELECT name, topic, description, approval_required FROM rooms WHERE id = @room", new { room = u.RoomId }, tx);
        string? name = u.Name is { } n && n != current.Name ? n : null;
        string? topic = u.Topic is { } t && Blank(t) != current.Topic ? t : null;
        string? description = u.Description is { } d && Blank(d) != current.Description ? d : null;
        bool? approval = u.ApprovalRequired is { } a && a != (current.ApprovalRequired != 0) ? a : null;
        if (name is null && topic is null && description is null && approval is null)
        {
            return Unchanged();
        }

        string? newName = name ?? current.Name;
        c.Execute(
            "UPDATE rooms SET name = @newName, name_lower = @lower, topic = @topic, description = @description, approval_required = @approval WHERE id = @room",
            new
            {
                room = u.RoomId,
                newName,
                lower = newName?.ToLowerInvariant(),
                topic = topic is null ? current.Topic : Blank(topic),
                description = description is null ? current.Description : Blank(description),
                approval = (approval ?? current.ApprovalRequired != 0) ? 1L : 0L,
            },
            tx);
        return Append(sql, c, tx, state, u, EventKinds.RoomUpdated, null, now,
            with: e => e with { Name = name, Topic = topic, Description = description, ApprovalRequired = approval });

        static string? Blank(string s) => s.Length == 0 ? null : s;
    }

    private RoomWriteResult ApplyDeleteRoom(Statements sql, DbConnection c, DbTransaction tx, RoomState state, DeleteRoom d, long now)
    {
        NotDirect(state);
        if (state.Role != Roles.Owner && !d.ByServerAdmin)
        {
            throw LimeException.Forbidden("Only the owner can delete the room.");
        }

        long[] members = [.. c.Query<long>("SELECT user_id FROM members WHERE room_id = @room ORDER BY user_id", new { room = d.RoomId }, tx)];
        var result = Append(sql, c, tx, state, d, EventKinds.RoomDeleted, null, now, with: e => e with { Users = members }, memberDelta: -members.Length);
        var p = new { room = d.RoomId, now };
        c.Execute("DELETE FROM members WHERE room_id = @room", p, tx);
        c.Execute("DELETE FROM join_requests WHERE room_id = @room", p, tx);
        c.Execute("UPDATE invites SET revoked_at = @now WHERE room_id = @room AND revoked_at IS NULL", p, tx);
        c.Execute("UPDATE rooms SET deleted_at = @now WHERE id = @room", p, tx);
        // Nobody can read them any more: the attachment sweeper removes them with their blobs.
        c.Execute("UPDATE attachments SET deleted_at = @now WHERE room_id = @room AND deleted_at IS NULL", p, tx);
        return result;
    }

    private RoomWriteResult ApplySetBan(Statements sql, DbConnection c, DbTransaction tx, RoomState state, SetBan b, long now)
    {
        RequireModerator(state, "ban members");
        var key = new { room = b.RoomId, user = b.UserId, by = b.ActorId, now };
        bool banned = c.ExecuteScalar<long>("SELECT count(*) FROM bans WHERE room_id = @room AND user_id = @user", key, tx) > 0;
        if (banned == b.Ban)
        {
            return Unchanged();
        }

        if (!b.Ban)
        {
            c.Execute("DELETE FROM bans WHERE room_id = @room AND user_id = @user", key, tx);
            return Append(sql, c, tx, state, b, EventKinds.MemberUnbanned, null, now, with: e => e with { Users = [b.UserId] });
        }

        string? targetRole = sql.RoomAndMember(b.RoomId, b.UserId)?.Role;
        RequireOutranks(state, targetRole);
        c.Execute("INSERT INTO bans (room_id, user_id, banned_by, banned_at) VALUES (@room, @user, @by, @now)", key, tx);
        c.Execute("DELETE FROM join_requests WHERE room_id = @room AND user_id = @user", key, tx);
        if (targetRole is not null)
        {
            sql.DeleteMember(b.RoomId, b.UserId); // the ban event removes them: their connections stop receiving the room
        }

        return Append(sql, c, tx, state, b, EventKinds.MemberBanned, null, now, with: e => e with { Users = [b.UserId] }, memberDelta: targetRole is null ? 0 : -1);
    }

    private RoomWriteResult ApplySetMute(Statements sql, DbConnection c, DbTransaction tx, RoomState state, SetMute m, long now)
    {
        RequireModerator(state, "mute members");
        var target = sql.RoomAndMember(m.RoomId, m.UserId);
        if (target?.Role is null)
        {
            throw LimeException.NotFound("That user is not a member of this room.");
        }

        RequireOutranks(state, target.Value.Role);
        bool muted = target.Value.MutedUntil is { } until && until > now;
        long? newUntil = m.Mute ? m.Until ?? long.MaxValue : null;
        if ((!m.Mute && !muted) || (m.Mute && muted && target.Value.MutedUntil == newUntil))
        {
            return Unchanged();
        }

        c.Execute("UPDATE members SET muted_until = @until WHERE room_id = @room AND user_id = @user", new { until = newUntil, room = m.RoomId, user = m.UserId }, tx);
        return Append(sql, c, tx, state, m, m.Mute ? EventKinds.MemberMuted : EventKinds.MemberUnmuted, null, now,
            with: e => e with { Users = [m.UserId], Until = m.Mute ? m.Until : null });
    }

    private RoomWriteResult ApplyCreateInvite(Statements sql, DbConnection c, DbTransaction tx, RoomState state, CreateInvite i, long now)
    {
        RequireModerator(state, "create invite links");
        long id = c.ExecuteScalar<long>(
            "INSERT INTO invites (room_id, code, created_by, created_at, expires_at, max_uses) VALUES (@room, @code, @by, @now, @expires, @max) RETURNING id",
            new { room = i.RoomId, code = i.Code, by = i.ActorId, now, expires = i.ExpiresAt, max = (long?)i.MaxUses }, tx);
        return Append(sql, c, tx, state, i, EventKinds.InviteCreated, null, now, with: e => e with { Invite = id, Until = i.ExpiresAt, MaxUses = i.MaxUses });
    }

    private RoomWriteResult ApplyRevokeInvite(Statements sql, DbConnection c, DbTransaction tx, RoomState state, RevokeInvite r, long now)
    {
        RequireModerator(state, "revoke invite links");
        var invite = c.QuerySingleOrDefault<InviteRow>(
            "SELECT id AS Id, expires_at AS ExpiresAt, max_uses AS MaxUses, uses AS Uses, revoked_at AS RevokedAt FROM invites WHERE id = @id AND room_id = @room",
            new { id = r.InviteId, room = r.RoomId }, tx)
            ?? throw LimeException.NotFound("No such invite in this room.");
        if (invite.RevokedAt is not null)
        {
            return Unchanged();
        }

        c.Execute("UPDATE invites SET revoked_at = @now WHERE id = @id", new { now, id = r.InviteId }, tx);
        return Append(sql, c, tx, state, r, EventKinds.InviteRevoked, null, now, with: e => e with { Invite = r.InviteId });
    }

    private RoomWriteResult ApplyResolveJoinRequest(Statements sql, DbConnection c, DbTransaction tx, RoomState state, ResolveJoinRequest j, long now)
    {
        RequireModerator(state, "answer join requests");
        var key = new { room = j.RoomId, user = j.UserId };
        if (c.Execute("DELETE FROM join_requests WHERE room_id = @room AND user_id = @user", key, tx) == 0)
        {
            throw LimeException.NotFound("That user has not asked to join.");
        }

        if (!j.Approve)
        {
            return Append(sql, c, tx, state, j, EventKinds.JoinRejected, null, now, with: e => e with { Users = [j.UserId] });
        }

        if (state.MemberCount + 1 > j.MaxMembers)
        {
            throw LimeException.Validation($"The room would exceed its limit of {j.MaxMembers} members.");
        }

        var result = Append(sql, c, tx, state, j, EventKinds.MembersAdded, null, now, with: e => e with { Users = [j.UserId] }, memberDelta: 1);
        sql.InsertMember(j.RoomId, j.UserId, Roles.Member, now, result.Events[0].Seq);
        return result;
    }

    private RoomWriteResult ApplyJoinRoom(Statements sql, DbTransaction tx, JoinRoom j)
    {
        var c = tx.Connection!;
        var state = sql.RoomAndMember(j.RoomId, j.UserId) ?? throw LimeException.NotFound("No such room.");
        if (state.Role is not null)
        {
            return new RoomWriteResult(sql.GetRoom(j.RoomId), [], null, Changed: false);
        }

        if (IsBanned(c, tx, j.RoomId, j.UserId))
        {
            throw new LimeException(ErrorCodes.Banned, "You are banned from this room.");
        }

        long now = Now();
        long? inviteId = null;
        if (j.Code is { } code)
        {
            var invite = c.QuerySingleOrDefault<InviteRow>(
                "SELECT id AS Id, expires_at AS ExpiresAt, max_uses AS MaxUses, uses AS Uses, revoked_at AS RevokedAt FROM invites WHERE code = @code AND room_id = @room",
                new { code, room = j.RoomId }, tx)
                ?? throw LimeException.NotFound("No such invite.");
            if (invite.RevokedAt is not null || invite.ExpiresAt <= now || invite.Uses >= invite.MaxUses)
            {
                throw new LimeException(ErrorCodes.InviteInvalid, "This invite was revoked, has expired or is used up.");
            }

            inviteId = invite.Id;
        }
        else if (state.Kind != RoomKinds.Channel)
        {
            throw LimeException.Forbidden("Only open channels can be joined; groups need an invitation.");
        }

        bool approval = c.ExecuteScalar<long>("SELECT approval_required FROM rooms WHERE id = @room", new { room = j.RoomId }, tx) != 0;
        var key = new { room = j.RoomId, user = j.UserId, now, invite = inviteId };
        if (approval && c.ExecuteScalar<long>("SELECT count(*) FROM join_requests WHERE room_id = @room AND user_id = @user", key, tx) > 0)
        {
            return new RoomWriteResult(sql.GetRoom(j.RoomId), [], null, Changed: false); // already waiting
        }

        if (!approval && state.MemberCount + 1 > j.MaxMembers)
        {
            throw LimeException.Validation($"The room would exceed its limit of {j.MaxMembers} members.");
        }

        if (inviteId is not null)
        {
            c.Execute("UPDATE invites SET uses = uses + 1 WHERE id = @invite", key, tx);
        }

        EventDto e;
        if (approval)
        {
            c.Execute("INSERT INTO join_requests (room_id, user_id, requested_at) VALUES (@room, @user, @now)", key, tx);
            e = WriteEvent(sql, c, tx, state, j.RoomId, j.UserId, null, EventKinds.JoinRequested, null, now, with: x => x with { Users = [j.UserId], Invite = inviteId });
        }
        else
        {
            e = WriteEvent(sql, c, tx, state, j.RoomId, j.UserId, null, EventKinds.MembersJoined, null, now, with: x => x with { Users = [j.UserId], Invite = inviteId }, memberDelta: 1);
            sql.InsertMember(j.RoomId, j.UserId, Roles.Member, now, e.Seq);
        }

        return new RoomWriteResult(sql.GetRoom(j.RoomId), [e], null, Changed: true);
    }

    private static RoomWriteResult ApplySetBlock(DbTransaction tx, SetBlock b)
    {
        var c = tx.Connection!;
        var key = new { user = b.UserId, peer = b.PeerId, now = Now(), room = b.RoomId };
        int changed = b.Block
            ? c.Execute("INSERT INTO blocks (user_id, blocked_id, created_at) VALUES (@user, @peer, @now) ON CONFLICT DO NOTHING", key, tx)
            : c.Execute("DELETE FROM blocks WHERE user_id = @user AND blocked_id = @peer", key, tx);
        if (b.RoomId > 0)
        {
            c.Execute(
                "UPDATE rooms SET direct_blocked = (SELECT count(*) FROM blocks WHERE (user_id = @user AND blocked_id = @peer) OR (user_id = @peer AND blocked_id = @user)) WHERE id = @room",
                key, tx);
        }

        return new RoomWriteResult(null, [], null, Changed: changed > 0);
    }

    /// <summary>Users among <paramref name="users"/> banned from the room (the add path refuses them; joins leave them out).</summary>
    private long[] BannedAmong(long room, long[] users)
    {
        var tx = _transaction!;
        return [.. tx.Connection!.Query<long>("SELECT user_id FROM bans WHERE room_id = @room", new { room }, tx).Intersect(users)];
    }

    private static bool IsBanned(DbConnection c, DbTransaction tx, long room, long user) =>
        c.ExecuteScalar<long>("SELECT count(*) FROM bans WHERE room_id = @room AND user_id = @user", new { room, user }, tx) > 0;

    private static void NotDirect(RoomState state)
    {
        if (state.Kind == RoomKinds.Direct)
        {
            throw LimeException.Validation("A direct room has no settings, moderators or invites.");
        }
    }

    private static void RequireModerator(RoomState state, string what)
    {
        NotDirect(state);
        if (state.Role is not (Roles.Owner or Roles.Admin))
        {
            throw LimeException.Forbidden($"Only the owner and admins can {what}.");
        }
    }

    private sealed record InviteRow(long Id, long? ExpiresAt, long? MaxUses, long Uses, long? RevokedAt);

    /// <summary>Nobody acts on the owner; only the owner acts on an admin.</summary>
    private static void RequireOutranks(RoomState actor, string? targetRole)
    {
        if (targetRole == Roles.Owner || (targetRole == Roles.Admin && actor.Role != Roles.Owner))
        {
            throw LimeException.Forbidden("Only the owner can do that to an admin, and nobody to the owner.");
        }
    }
}
