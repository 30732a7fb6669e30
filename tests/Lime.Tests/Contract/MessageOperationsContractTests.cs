using Lime.Client;
using Lime.Protocol;
using Lime.Tests.Infrastructure;

namespace Lime.Tests.Contract;

/// <summary>
/// Edit, delete, reactions, pins and hide-for-me through the real API, on every storage backend: each operation is a
/// room event, its effect on the message is in the same commit, and a client folding the events reaches the state
/// of a fresh load.
/// </summary>
public abstract class MessageOperationsContractTests : IAsyncLifetime
{
    private static readonly string[] Emojis =
    [
        "👍", "❤️", "😂", "🎉", "😮", "😢", "🙏", "🔥", "👀", "💯", "✅", "🚀", "👍🏽", "👨‍👩‍👧", "🇯🇵",
        "1️⃣", "🏳️‍🌈", "🤔", "👏", "🥳", "😴", "🍋", "🐢", "⭐", "🌈",
    ];

    protected LimeServer Server { get; private set; } = null!;

    protected virtual string? SkipReason => null;

    protected abstract Task<Dictionary<string, string?>> BackendSettingsAsync();

    public async ValueTask InitializeAsync()
    {
        var settings = await BackendSettingsAsync();
        settings["Lime:Limits:MaxPageSize"] = "1000"; // the catch-up test syncs ~200 missed events in one page
        Server = new LimeServer(settings);
    }

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();

    /// <summary>Skips the running test when this backend's service is missing here (never on CI: see SkipReason).</summary>
    protected void SkipWhenUnavailable()
    {
        if (SkipReason is { } reason)
        {
            Assert.Skip(reason);
        }
    }

    [Fact]
    public async Task An_edit_is_an_event_and_history_shows_the_latest_text_without_the_original()
    {
        SkipWhenUnavailable();
        var alice = await Server.NewUserAsync("a");
        var bob = await Server.NewUserAsync("b");
        var room = await alice.Http.CreateDirectAsync(bob.Id);
        await using var bobSocket = await bob.ConnectAsync();
        var sent = await alice.Http.SendAsync(room.Id, new SendMessageRequest("m1", "helo"));

        var first = await alice.Http.EditMessageAsync(room.Id, sent.Seq, "hello", "e1");
        var second = await alice.Http.EditMessageAsync(room.Id, sent.Seq, "hello!", "e2");
        var retry = await alice.Http.EditMessageAsync(room.Id, sent.Seq, "something else", "e1");
        var same = await alice.Http.EditMessageAsync(room.Id, sent.Seq, "hello!");

        Assert.True(first.Changed);
        Assert.Equal(sent.Seq + 1, first.Seq);
        Assert.Equal(sent.Seq + 2, second.Seq);
        Assert.True(retry.Duplicate);
        Assert.Equal(first.Seq, retry.Seq);
        Assert.False(same.Changed); // the same text again: nothing to record

        var live = await Wait.ForEventsAsync(bobSocket.Events, 2, e => e.Kind == EventKinds.MessageEdited);
        Assert.Equal(["hello", "hello!"], live.Select(e => e.Text));
        Assert.All(live, e => Assert.Equal(sent.Seq, e.Target));

        var history = (await bob.Http.GetHistoryAsync(room.Id)).Events;
        var message = history.Single(e => e.Seq == sent.Seq);
        Assert.Equal("hello!", message.Text);
        Assert.Equal(second.Ts, message.EditedAt);
        var edits = history.Where(e => e.Kind == EventKinds.MessageEdited).ToList();
        Assert.Equal([first.Seq!.Value, second.Seq!.Value], edits.Select(e => e.Seq));
        Assert.Null(edits[0].Text); // superseded: the earlier text is gone from the store
        Assert.Equal("hello!", edits[1].Text);
        Assert.DoesNotContain(history, e => e.Text is "helo" or "hello");
        Assert.Equal(Enumerable.Range(1, history.Length).Select(x => (long)x), history.Select(e => e.Seq));
    }

    [Fact]
    public async Task Refused_edits_and_deletes_store_nothing()
    {
        SkipWhenUnavailable();
        var owner = await Server.NewUserAsync("o");
        var member = await Server.NewUserAsync("m");
        var other = await Server.NewUserAsync("x");
        var room = await owner.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "team", Members: [member.Id, other.Id]));
        var mine = await owner.Http.SendAsync(room.Id, new SendMessageRequest("o1", "owner's"));
        var theirs = await member.Http.SendAsync(room.Id, new SendMessageRequest("m1", "member's"));
        long before = (await owner.Http.GetRoomAsync(room.Id)).LastSeq;

        await Refused(ErrorCodes.Forbidden, () => member.Http.EditMessageAsync(room.Id, mine.Seq, "mine now"));
        await Refused(ErrorCodes.Forbidden, () => owner.Http.EditMessageAsync(room.Id, theirs.Seq, "owners cannot edit others"));
        await Refused(ErrorCodes.Forbidden, () => other.Http.DeleteMessageAsync(room.Id, theirs.Seq));
        await Refused(ErrorCodes.NotFound, () => member.Http.EditMessageAsync(room.Id, 999, "no such seq"));
        await Refused(ErrorCodes.NotFound, () => member.Http.EditMessageAsync(room.Id, 1, "room_created is no message"));
        await Refused(ErrorCodes.NotFound, () => member.Http.DeleteMessageAsync(room.Id + 1000, theirs.Seq));
        await Refused(ErrorCodes.Validation, () => member.Http.EditMessageAsync(room.Id, theirs.Seq, "   "));
        await Refused(ErrorCodes.Validation, () => member.Http.EditMessageAsync(room.Id, 0, "seq 0"));
        Assert.Equal(before, (await owner.Http.GetRoomAsync(room.Id)).LastSeq);

        // An admin deletes someone else's message; afterwards it cannot be edited, deleted or reacted to.
        var deleted = await owner.Http.DeleteMessageAsync(room.Id, theirs.Seq, "d1");
        Assert.Equal(before + 1, deleted.Seq);
        Assert.True((await owner.Http.DeleteMessageAsync(room.Id, theirs.Seq, "d1")).Duplicate);
        await Refused(ErrorCodes.MessageDeleted, () => member.Http.EditMessageAsync(room.Id, theirs.Seq, "again"));
        await Refused(ErrorCodes.MessageDeleted, () => owner.Http.DeleteMessageAsync(room.Id, theirs.Seq));
        await Refused(ErrorCodes.MessageDeleted, () => other.Http.AddReactionAsync(room.Id, theirs.Seq, "👍"));
        await Refused(ErrorCodes.MessageDeleted, () => owner.Http.PinAsync(room.Id, theirs.Seq));
        Assert.Equal(before + 1, (await owner.Http.GetRoomAsync(room.Id)).LastSeq);
    }

    [Fact]
    public async Task Delete_for_everyone_removes_the_text_from_history_sync_the_room_list_and_the_reply_target()
    {
        SkipWhenUnavailable();
        var alice = await Server.NewUserAsync("a");
        var bob = await Server.NewUserAsync("b");
        var room = await alice.Http.CreateDirectAsync(bob.Id);
        var secret = await alice.Http.SendAsync(room.Id, new SendMessageRequest("s", "the secret is 4711"));
        await alice.Http.EditMessageAsync(room.Id, secret.Seq, "the secret is 4712");
        await bob.Http.AddReactionAsync(room.Id, secret.Seq, "😮");
        await bob.Http.PinAsync(room.Id, secret.Seq);
        var reply = await bob.Http.SendAsync(room.Id, new SendMessageRequest("r", "wow", ReplyTo: secret.Seq));
        var bobCursor = (await bob.Http.GetRoomAsync(room.Id)).LastSeq;
        await using var bobSocket = await bob.ConnectAsync();

        var deleted = await alice.Http.DeleteMessageAsync(room.Id, secret.Seq);
        var live = await Wait.ForEventsAsync(bobSocket.Events, 1, e => e.Kind == EventKinds.MessageDeleted);
        Assert.Equal(secret.Seq, live[0].Target);
        Assert.Null(live[0].Text);

        var history = await bob.Http.GetHistoryAsync(room.Id);
        AssertNoSecret(history.Events);
        var tombstone = history.Events.Single(e => e.Seq == secret.Seq);
        Assert.True(tombstone.Deleted);
        Assert.Null(tombstone.Reactions);
        Assert.Null((await bob.Http.GetRoomAsync(room.Id)).Pinned);

        // The reply still points at it; fetching the target (as a client rendering the preview does) gives the tombstone.
        Assert.Equal(secret.Seq, history.Events.Single(e => e.Seq == reply.Seq).ReplyTo);
        var target = (await bob.Http.GetAroundAsync(room.Id, secret.Seq, limit: 1)).Events.Single();
        Assert.True(target.Deleted);
        Assert.Null(target.Text);

        var sync = await bob.Http.SyncAsync(null);
        AssertNoSecret(sync.Rooms.Single(r => r.Room.Id == room.Id).Events);
        var catchUp = await bob.Http.SyncAsync([new SyncCursor(room.Id, bobCursor)]);
        Assert.Equal([deleted.Seq!.Value], catchUp.Rooms.Single(r => r.Room.Id == room.Id).Events.Select(e => e.Seq));

        // Deleted as the newest message, the room list preview is a tombstone too.
        var last = await alice.Http.SendAsync(room.Id, new SendMessageRequest("l", "the secret is 4713"));
        Assert.Equal(1, (await bob.Http.ListRoomsAsync()).Rooms.Single(r => r.Room.Id == room.Id).UnreadCount);
        await alice.Http.DeleteMessageAsync(room.Id, last.Seq);
        var summary = (await bob.Http.ListRoomsAsync()).Rooms.Single(r => r.Room.Id == room.Id);
        Assert.True(summary.LastMessage!.Deleted);
        Assert.Null(summary.LastMessage.Text);
        Assert.Equal(0, summary.UnreadCount); // a deleted message no longer counts as unread
        Assert.Equal(0, (await bob.Http.GetBadgeAsync()).TotalUnread);

        static void AssertNoSecret(IEnumerable<EventDto> events) =>
            Assert.DoesNotContain(events, e => e.Text?.Contains("secret", StringComparison.Ordinal) == true);
    }

    [Fact]
    public async Task Reactions_are_events_idempotent_per_user_and_capped_per_message()
    {
        SkipWhenUnavailable();
        var alice = await Server.NewUserAsync("a");
        var bob = await Server.NewUserAsync("b");
        var room = await alice.Http.CreateDirectAsync(bob.Id);
        var m = await alice.Http.SendAsync(room.Id, new SendMessageRequest("m", "react to me"));

        Assert.True((await bob.Http.AddReactionAsync(room.Id, m.Seq, "👍")).Changed);
        Assert.False((await bob.Http.AddReactionAsync(room.Id, m.Seq, "👍")).Changed); // already there: no event
        Assert.True((await alice.Http.AddReactionAsync(room.Id, m.Seq, "👍")).Changed);
        Assert.True((await alice.Http.AddReactionAsync(room.Id, m.Seq, "👨‍👩‍👧")).Changed);
        Assert.True((await bob.Http.RemoveReactionAsync(room.Id, m.Seq, "👍")).Changed);
        Assert.False((await bob.Http.RemoveReactionAsync(room.Id, m.Seq, "👍")).Changed);

        var message = (await bob.Http.GetAroundAsync(room.Id, m.Seq, limit: 1)).Events.Single();
        Assert.Equal([("👍", 1, new[] { alice.Id }), ("👨‍👩‍👧", 1, new[] { alice.Id })],
            message.Reactions!.Select(r => (r.Emoji, r.Count, r.Users!)));

        long before = (await alice.Http.GetRoomAsync(room.Id)).LastSeq;
        foreach (string bad in new[] { "a", "👍👍", "🇯", "🏽", "1", "👍 ", "" + "\u0301" })
        {
            await Refused(ErrorCodes.Validation, () => bob.Http.AddReactionAsync(room.Id, m.Seq, bad));
        }

        for (int i = 0; i < 20; i++)
        {
            await bob.Http.AddReactionAsync(room.Id, m.Seq, Emojis[i]);
        }

        Assert.Equal(20, (await bob.Http.GetAroundAsync(room.Id, m.Seq, limit: 1)).Events.Single().Reactions!.Length);
        long full = (await alice.Http.GetRoomAsync(room.Id)).LastSeq;
        await Refused(ErrorCodes.LimitReached, () => alice.Http.AddReactionAsync(room.Id, m.Seq, Emojis[21]));
        Assert.True((await alice.Http.AddReactionAsync(room.Id, m.Seq, Emojis[5])).Changed); // an emoji already there is fine
        Assert.Equal(full + 1, (await alice.Http.GetRoomAsync(room.Id)).LastSeq);
        Assert.True(full > before);
    }

    [Fact]
    public async Task Fifty_users_reacting_at_once_give_exact_counts_on_every_device()
    {
        SkipWhenUnavailable();
        var users = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => Server.NewUserAsync("r")));
        var room = await users[0].Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "fifty", Members: [.. users.Skip(1).Select(u => u.Id)]));
        var m = await users[0].Http.SendAsync(room.Id, new SendMessageRequest("m", "vote"));
        var devices = await Task.WhenAll(new[] { users[0], users[17], users[49] }.Select(u => u.ConnectAsync()));
        try
        {
            // Everyone 👍 at once; every third user also 🎉 and takes it back; retries of the same key change nothing.
            await Task.WhenAll(users.Select(async (u, i) =>
            {
                await u.Http.AddReactionAsync(room.Id, m.Seq, "👍", $"up-{i}");
                await u.Http.AddReactionAsync(room.Id, m.Seq, "👍", $"up-{i}");
                if (i % 3 == 0)
                {
                    await u.Http.AddReactionAsync(room.Id, m.Seq, "🎉");
                    await u.Http.RemoveReactionAsync(room.Id, m.Seq, "🎉");
                }
            }));

            int expectedEvents = 50 + (2 * 17);
            var fresh = (await users[5].Http.GetAroundAsync(room.Id, m.Seq, limit: 1)).Events.Single();
            var thumbs = Assert.Single(fresh.Reactions!);
            Assert.Equal(("👍", 50), (thumbs.Emoji, thumbs.Count));
            Assert.Equal(users.Select(u => u.Id).Order(), thumbs.Users!.Order());

            foreach (var device in devices)
            {
                var state = new RoomState();
                state.Apply(new EventDto(m.Id, room.Id, m.Seq, EventKinds.Message, users[0].Id, m.Ts, "vote"));
                var events = await Wait.ForEventsAsync(device.Events, expectedEvents, e => e.Kind is EventKinds.ReactionAdded or EventKinds.ReactionRemoved);
                Assert.Equal(events.Select(e => e.Seq).Order(), events.Select(e => e.Seq)); // one order for everyone
                foreach (var e in events)
                {
                    state.Apply(e);
                }

                var reactions = state.Messages[m.Seq].Reactions;
                Assert.Equal([("👍", 50)], reactions.Select(r => (r.Emoji, r.Count)));
                Assert.Equal(thumbs.Users, reactions[0].Users);
            }

            var history = (await users[0].Http.GetHistoryAsync(room.Id, after: m.Seq, limit: 200)).Events;
            Assert.Equal(expectedEvents, history.Length);
            Assert.Equal(Enumerable.Range((int)m.Seq + 1, expectedEvents).Select(x => (long)x), history.Select(e => e.Seq));
        }
        finally
        {
            await Task.WhenAll(devices.Select(d => d.DisposeAsync().AsTask()));
        }
    }

    [Fact]
    public async Task A_device_that_missed_two_hundred_mixed_operations_catches_up_with_sync_to_the_state_of_a_fresh_load()
    {
        SkipWhenUnavailable();
        var owner = await Server.NewUserAsync("o");
        var admin = await Server.NewUserAsync("a");
        var carol = await Server.NewUserAsync("c");
        var dave = await Server.NewUserAsync("d");
        TestUser[] people = [owner, admin, carol, dave];
        var room = await owner.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "mixed", Members: [admin.Id, carol.Id, dave.Id]));
        await owner.Http.SetRoleAsync(room.Id, admin.Id, Roles.Admin);
        var messages = new List<(long Seq, TestUser Sender)>();
        for (int i = 0; i < 30; i++)
        {
            var sender = people[i % 4];
            messages.Add(((await sender.Http.SendAsync(room.Id, new SendMessageRequest($"seed-{i}", $"seed {i}"))).Seq, sender));
        }

        await dave.Http.HideMessageAsync(room.Id, messages[3].Seq);

        // Dave's device loads the room, then goes away.
        var device = await dave.NewDeviceAsync();
        var state = new RoomState();
        var first = (await device.Http.SyncAsync(null, limitPerRoom: 1000)).Rooms.Single(r => r.Room.Id == room.Id);
        state.LoadRoom(first.Room);
        state.Load(first.Events, first.Room.LastSeq);
        state.Hide(first.Hidden ?? []);
        long cursor = first.Room.LastSeq;

        var random = new Random(14);
        int done = 0, refused = 0;
        for (int op = 0; op < 200; op++)
        {
            var actor = people[random.Next(4)];
            var (seq, sender) = messages[random.Next(messages.Count)];
            try
            {
                switch (random.Next(8))
                {
                    case 0:
                        messages.Add(((await actor.Http.SendAsync(room.Id, new SendMessageRequest($"op-{op}", $"message {op}", ReplyTo: seq))).Seq, actor));
                        break;
                    case 1:
                        await sender.Http.EditMessageAsync(room.Id, seq, $"edited at {op}", $"edit-{op}");
                        break;
                    case 2:
                        await (random.Next(2) == 0 ? sender : owner).Http.DeleteMessageAsync(room.Id, seq, $"del-{op}");
                        break;
                    case 3 or 4:
                        await actor.Http.AddReactionAsync(room.Id, seq, Emojis[random.Next(Emojis.Length)]);
                        break;
                    case 5:
                        await actor.Http.RemoveReactionAsync(room.Id, seq, Emojis[random.Next(Emojis.Length)]);
                        break;
                    case 6:
                        await (random.Next(2) == 0 ? admin : owner).Http.PinAsync(room.Id, seq);
                        break;
                    default:
                        await admin.Http.UnpinAsync(room.Id, seq);
                        break;
                }

                done++;
            }
            catch (LimeApiException e) when (e.Code is ErrorCodes.MessageDeleted or ErrorCodes.LimitReached)
            {
                refused++;
            }
        }

        Assert.True(done > 150, $"{done} operations done, {refused} refused");
        await dave.Http.HideMessageAsync(room.Id, messages[^1].Seq);

        // Catch-up: exactly the events after the cursor, folded onto what the device had.
        await using var socket = await device.ConnectAsync();
        var sync = (await socket.SyncAsync([new SyncCursor(room.Id, cursor)], limitPerRoom: 1000).Within()).Rooms.Single(r => r.Room.Id == room.Id);
        Assert.False(sync.Snapshot);
        Assert.Equal(Enumerable.Range((int)cursor + 1, (int)(sync.Room.LastSeq - cursor)).Select(x => (long)x), sync.Events.Select(e => e.Seq));
        foreach (var e in sync.Events)
        {
            state.Apply(e);
        }

        state.Hide(sync.Hidden ?? []);

        // A fresh load: history pages from the start, each with the messages' state as of the page.
        var fresh = new RoomState();
        fresh.LoadRoom(await carol.Http.GetRoomAsync(room.Id));
        long after = 0;
        HistoryPage page;
        do
        {
            page = await dave.Http.GetHistoryAsync(room.Id, after: after, limit: 200);
            fresh.Load(page.Events, page.AsOf);
            after = page.Events[^1].Seq;
        }
        while (page.HasMoreAfter);

        Assert.Equal(Normalize(fresh), Normalize(state));
        Assert.Equal(fresh.Pinned, state.Pinned);
        Assert.Contains(fresh.Messages.Values, m => m.Deleted);
        Assert.Contains(fresh.Messages.Values, m => m.EditedAt is not null);
        Assert.Contains(fresh.Messages.Values, m => m.Reactions.Count > 0);
        Assert.True(fresh.Messages[messages[3].Seq].Hidden);
        Assert.NotEmpty(fresh.Pinned);

        static List<string> Normalize(RoomState s) => [.. s.Messages.Values.OrderBy(m => m.Seq).Select(m =>
            $"{m.Seq} {m.Sender} {m.Text} {m.EditedAt} {m.Deleted} {m.Hidden} " +
            string.Join(",", m.Reactions.OrderBy(r => r.Emoji, StringComparer.Ordinal).Select(r => $"{r.Emoji}:{string.Join("/", r.Users ?? [])}")))];
    }

    [Fact]
    public async Task Pins_are_in_the_room_snapshot_and_only_admins_pin_in_groups()
    {
        SkipWhenUnavailable();
        var owner = await Server.NewUserAsync("o");
        var member = await Server.NewUserAsync("m");
        var room = await owner.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "pins", Members: [member.Id]));
        var a = await member.Http.SendAsync(room.Id, new SendMessageRequest("a", "first"));
        var b = await member.Http.SendAsync(room.Id, new SendMessageRequest("b", "second"));

        await Refused(ErrorCodes.Forbidden, () => member.Http.PinAsync(room.Id, a.Seq));
        await owner.Http.PinAsync(room.Id, a.Seq);
        await owner.Http.PinAsync(room.Id, b.Seq);
        Assert.False((await owner.Http.PinAsync(room.Id, b.Seq)).Changed);
        Assert.Equal([b.Seq, a.Seq], (await member.Http.GetRoomAsync(room.Id)).Pinned!);
        Assert.Equal([b.Seq, a.Seq], (await member.Http.SyncAsync(null)).Rooms.Single(r => r.Room.Id == room.Id).Room.Pinned!);
        await owner.Http.UnpinAsync(room.Id, b.Seq);
        Assert.Equal([a.Seq], (await member.Http.GetRoomAsync(room.Id)).Pinned!);
        Assert.Equal([EventKinds.MessagePinned, EventKinds.MessagePinned, EventKinds.MessageUnpinned],
            (await member.Http.GetHistoryAsync(room.Id, after: b.Seq)).Events.Select(e => e.Kind));

        // In a direct room either member may pin.
        var direct = await owner.Http.CreateDirectAsync(member.Id);
        var d = await owner.Http.SendAsync(direct.Id, new SendMessageRequest("d", "pin me"));
        Assert.True((await member.Http.PinAsync(direct.Id, d.Seq)).Changed);
    }

    [Fact]
    public async Task Hide_for_me_reaches_my_other_devices_and_nobody_else()
    {
        SkipWhenUnavailable();
        var alice = await Server.NewUserAsync("a");
        var bob = await Server.NewUserAsync("b");
        var room = await alice.Http.CreateDirectAsync(bob.Id);
        var m = await bob.Http.SendAsync(room.Id, new SendMessageRequest("m", "hide me"));
        var phone = await alice.NewDeviceAsync("phone");
        await using var phoneSocket = await phone.ConnectAsync();
        await using var laptop = await alice.ConnectAsync();
        long lastSeq = (await alice.Http.GetRoomAsync(room.Id)).LastSeq;

        var reply = await laptop.HideMessageAsync(room.Id, m.Seq).Within();
        Assert.Equal((room.Id, m.Seq), (reply.Room, reply.Seq));
        var signal = await ReadSignalAsync<HiddenFrame>(phoneSocket);
        Assert.Equal(m.Seq, signal.Seq);

        Assert.True((await phone.Http.GetHistoryAsync(room.Id)).Events.Single(e => e.Seq == m.Seq).Hidden);
        Assert.Equal([m.Seq], (await phone.Http.SyncAsync(null)).Rooms.Single(r => r.Room.Id == room.Id).Hidden!);
        Assert.Null((await bob.Http.GetHistoryAsync(room.Id)).Events.Single(e => e.Seq == m.Seq).Hidden);
        Assert.Null((await bob.Http.SyncAsync(null)).Rooms.Single(r => r.Room.Id == room.Id).Hidden);
        Assert.Equal(lastSeq, (await alice.Http.GetRoomAsync(room.Id)).LastSeq); // private: no room event
    }

    [Fact]
    public async Task Operations_over_the_socket_answer_op_ack_and_bad_ones_an_error_frame_on_a_living_connection()
    {
        SkipWhenUnavailable();
        var alice = await Server.NewUserAsync("a");
        var bob = await Server.NewUserAsync("b");
        var room = await alice.Http.CreateDirectAsync(bob.Id);
        await using var socket = await alice.ConnectAsync();
        var m = await socket.SendMessageAsync(room.Id, "m", "over the socket").Within();

        var edit = await socket.EditMessageAsync(room.Id, m.Seq, "over the socket, edited", "e").Within();
        var react = await socket.ReactAsync(room.Id, m.Seq, "🔥").Within();
        var pin = await socket.PinAsync(room.Id, m.Seq).Within();
        Assert.Equal([m.Seq + 1, m.Seq + 2, m.Seq + 3], new[] { edit.Seq!.Value, react.Seq!.Value, pin.Seq!.Value });

        foreach (var (frame, code) in new[]
        {
            ("""{"type":"edit","id":"x1","room":ROOM,"seq":1,"text":"not a message"}""", ErrorCodes.NotFound),
            ("""{"type":"react","id":"x2","room":ROOM,"seq":SEQ,"emoji":"ok"}""", ErrorCodes.Validation),
            ("""{"type":"delete","id":"x3","room":ROOM}""", ErrorCodes.Validation),
            ("""{"type":"unreact","id":"x4","room":ROOM,"seq":SEQ}""", ErrorCodes.Validation),
        })
        {
            await socket.SendRawAsync(frame.Replace("ROOM", $"{room.Id}", StringComparison.Ordinal).Replace("SEQ", $"{m.Seq}", StringComparison.Ordinal));
            var error = await socket.Errors.ReadAsync().AsTask().Within();
            Assert.Equal(code, error.Code);
        }

        await socket.PingAsync().Within();
        var deleted = await socket.DeleteMessageAsync(room.Id, m.Seq).Within();
        Assert.Equal(pin.Seq + 1, deleted.Seq);
        Assert.Equal(deleted.Seq, (await alice.Http.GetRoomAsync(room.Id)).LastSeq);
    }

    protected static async Task Refused(string code, Func<Task> operation)
    {
        var e = await Assert.ThrowsAsync<LimeApiException>(operation);
        Assert.Equal(code, e.Code);
    }

    private static async Task<T> ReadSignalAsync<T>(LimeSocket socket)
    {
        using var cts = new CancellationTokenSource(Wait.Default);
        while (true)
        {
            if (await socket.Signals.ReadAsync(cts.Token) is T frame)
            {
                return frame;
            }
        }
    }
}

public sealed class SqliteMessageOperationsContractTests : MessageOperationsContractTests
{
    protected override Task<Dictionary<string, string?>> BackendSettingsAsync() =>
        Task.FromResult(new Dictionary<string, string?> { ["Lime:Storage:Provider"] = "sqlite" });
}

public sealed class PostgresMessageOperationsContractTests : MessageOperationsContractTests
{
    protected override string? SkipReason => Services.PostgresBin is null && !Services.InCi
        ? "PostgreSQL is not installed (apt-get install postgresql); these tests are required on CI."
        : null;

    protected override async Task<Dictionary<string, string?>> BackendSettingsAsync()
    {
        if (SkipReason is not null)
        {
            return new Dictionary<string, string?>();
        }

        return new Dictionary<string, string?>
        {
            ["Lime:Storage:Provider"] = "postgres",
            ["Lime:Storage:PostgresConnectionString"] = await SharedPostgres.NewDatabaseAsync(),
        };
    }
}
