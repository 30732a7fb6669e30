-- LIME schema 9 (SQLite): attachments (photos and files). The bytes live out of band in a blob store under their
-- SHA-256 (content-addressed: two uploads of the same bytes share one blob); a row here is one upload by one user.
-- An upload belongs to at most one message: room_id/seq are set in the commit of the message that references it
-- and never change afterwards. Rows never referenced are orphans, deleted with their blob after
-- Lime:Attachments:OrphanHours; deleted_at is set by a delete for everyone, and the sweeper then removes the row and
-- (when no other row shares it) the blob.

CREATE TABLE attachments (
    id           INTEGER PRIMARY KEY,          -- Snowflake
    owner_id     INTEGER NOT NULL,             -- the uploader
    sha256       TEXT    NOT NULL,             -- hex: the blob's key
    size         INTEGER NOT NULL,             -- bytes of the stored blob
    content_type TEXT    NOT NULL,             -- sniffed from the bytes, never the client's
    name         TEXT    NOT NULL,             -- sanitised file name
    width        INTEGER,                      -- images: pixels
    height       INTEGER,
    thumb_sha256 TEXT,                         -- images: the thumbnail's blob
    placeholder  TEXT,                         -- images: a BlurHash for the placeholder
    created_at   INTEGER NOT NULL,             -- Unix ms
    room_id      INTEGER,                      -- the message that references it (NULL: not yet / never)
    seq          INTEGER,
    deleted_at   INTEGER                       -- its message was deleted for everyone: the sweeper removes it
);
CREATE INDEX attachments_by_owner ON attachments(owner_id, created_at);
CREATE INDEX attachments_by_blob ON attachments(sha256);
CREATE INDEX attachments_by_thumb ON attachments(thumb_sha256) WHERE thumb_sha256 IS NOT NULL;
CREATE INDEX attachments_by_message ON attachments(room_id, seq) WHERE room_id IS NOT NULL;
CREATE INDEX attachments_orphans ON attachments(created_at) WHERE room_id IS NULL;
CREATE INDEX attachments_deleted ON attachments(deleted_at) WHERE deleted_at IS NOT NULL;
