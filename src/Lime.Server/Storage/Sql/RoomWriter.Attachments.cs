using System.Data.Common;
using System.Globalization;
using Dapper;
using Lime.Protocol;
using Lime.Server.Chat;

namespace Lime.Server.Storage.Sql;

/// <summary>
/// Attachments of a run of messages, bound at commit with the messages: each id must be the sender's own upload, on no
/// message yet and not deleted (else <c>attachment_invalid</c>, nothing of that message stored); the upload row then
/// names the message (room, seq), and the event carries the attachments' metadata in events.data. Read once per run, the
/// rows locked where several processes write, so two sends of one upload cannot both take it.
/// </summary>
public abstract partial class RoomWriter
{
    private sealed record UploadRow(long Id, long OwnerId, long? RoomId, long? DeletedAt, string Name, long Size, string ContentType, long? Width, long? Height,
        string? ThumbSha256, string? Placeholder)
    {
        public AttachmentDto ToDto() => new(Id.ToString(CultureInfo.InvariantCulture), Name, Size, ContentType, (int?)Width, (int?)Height,
            ThumbSha256 is null ? null : true, Placeholder);
    }

    /// <summary>The uploads the run's messages name, by id (absent: no such upload).</summary>
    private Dictionary<long, UploadRow> ReadUploads(DbTransaction tx, IReadOnlyList<AppendMessage> run)
    {
        var ids = run.Where(m => m.Attachments is not null).SelectMany(m => m.Attachments!).Distinct().ToArray();
        if (ids.Length == 0)
        {
            return [];
        }

        var dialect = _db.Dialect;
        return tx.Connection!.Query<UploadRow>(
            "SELECT id AS Id, owner_id AS OwnerId, room_id AS RoomId, deleted_at AS DeletedAt, name AS Name, size AS Size, content_type AS ContentType, " +
            $"width AS Width, height AS Height, thumb_sha256 AS ThumbSha256, placeholder AS Placeholder FROM attachments WHERE id IN {dialect.IdList("@ids")} ORDER BY id{dialect.ForUpdate}",
            new { ids = dialect.IdListValue(ids) }, tx).ToDictionary(u => u.Id);
    }

    /// <summary>The message's attachments if every id is usable by its sender (and not taken by an earlier message of the run), else null.</summary>
    private static AttachmentDto[]? TakeUploads(AppendMessage m, Dictionary<long, UploadRow> uploads, HashSet<long> taken)
    {
        var dtos = new AttachmentDto[m.Attachments!.Length];
        for (int i = 0; i < dtos.Length; i++)
        {
            long id = m.Attachments[i];
            if (!uploads.TryGetValue(id, out var u) || u.OwnerId != m.SenderId || u.RoomId is not null || u.DeletedAt is not null || taken.Contains(id))
            {
                return null;
            }

            dtos[i] = u.ToDto();
        }

        taken.UnionWith(m.Attachments);
        return dtos;
    }

    private static LimeException AttachmentRefused() => new(ErrorCodes.AttachmentInvalid,
        "Every attachment must be one of your own uploads that is on no message yet.");

    /// <summary>Binds the uploads to their messages, in the run's transaction.</summary>
    private static void BindUploads(DbTransaction tx, List<(long Id, long Room, long Seq)> bound)
    {
        if (bound.Count > 0)
        {
            tx.Connection!.Execute("UPDATE attachments SET room_id = @Room, seq = @Seq WHERE id = @Id",
                bound.Select(b => new { b.Id, b.Room, b.Seq }), tx);
        }
    }
}
