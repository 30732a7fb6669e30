using System.IO.Pipelines;
using System.Text.Json;
using Lime.Protocol;
using Lime.Server.Auth;
using Lime.Server.Storage;

namespace Lime.Server.Admin;

/// <summary>
/// GET /api/me/export: the caller's data as one JSON document written while it is read — profile, devices, contacts,
/// and every room they are a member of with the events they may read there (what history serves them), page by page
/// (<see cref="PageSize"/> events, at most <see cref="PageTextChars"/> characters of text per read), flushed after
/// each page. Memory stays bounded by one page whatever the account's size.
/// </summary>
public sealed class DataExport(AccountService accounts, IAccountStore accountStore, IRoomStore rooms, TimeProvider time)
{
    public const int PageSize = 500;
    public const long PageTextChars = 1_000_000;

    public async Task WriteAsync(long userId, long deviceId, PipeWriter body, CancellationToken ct)
    {
        var json = LimeJsonContext.Default;
        // Over the response's pipe: the writer's flushes only hand bytes to the pipe, which is flushed (sent) once per page.
        await using var w = new Utf8JsonWriter(body);
        w.WriteStartObject();
        w.WriteString("format", "lime-export-1");
        w.WriteNumber("exported_at", time.GetUtcNow().ToUnixTimeMilliseconds());
        w.WritePropertyName("user");
        JsonSerializer.Serialize(w, await accounts.GetUserAsync(userId, ct), json.UserDto);
        w.WritePropertyName("devices");
        JsonSerializer.Serialize(w, await accounts.ListDevicesAsync(userId, deviceId, ct), json.DeviceDtoArray);
        w.WriteStartArray("contacts");
        foreach (var contact in await accountStore.ListContactsAsync(userId, ct))
        {
            w.WriteStartObject();
            w.WriteNumber("user_id", contact.UserId);
            w.WriteString("username", contact.Username);
            w.WriteString("display_name", contact.DisplayName);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartArray("rooms");
        foreach (long roomId in await rooms.RoomIdsOfUserAsync(userId, ct))
        {
            var room = await rooms.GetRoomAsync(roomId, ct);
            var member = await rooms.GetMemberAsync(roomId, userId, ct);
            if (room is null || member is null)
            {
                continue; // left or deleted meanwhile
            }

            w.WriteStartObject();
            w.WriteNumber("id", room.Id);
            w.WriteString("kind", room.Kind);
            w.WriteString("name", room.Name);
            w.WriteString("topic", room.Topic);
            w.WriteNumber("created_at", room.CreatedAt);
            w.WriteString("role", member.Role);
            w.WriteNumber("joined_at", member.JoinedAt);
            w.WriteNumber("retained_from", room.RetainedFrom);
            w.WriteStartArray("events");
            long after = 0;
            while (true)
            {
                var page = await rooms.GetEventsAsync(roomId, after, long.MaxValue, PageSize, newestFirst: false, PageTextChars, ct);
                foreach (var e in page)
                {
                    JsonSerializer.Serialize(w, e, json.EventDto);
                }

                w.Flush();
                await body.FlushAsync(ct);
                if (page.Count == 0)
                {
                    break;
                }

                after = page[^1].Seq;
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
        w.Flush();
        await body.FlushAsync(ct);
    }
}
