-- LIME schema 8 (PostgreSQL): attachments; the same as SQLite schema 9
-- (see Storage/Sqlite/Migrations/009_attachments.sql for what each column means).

CREATE TABLE attachments (
    id           bigint PRIMARY KEY,
    owner_id     bigint NOT NULL,
    sha256       text   NOT NULL,
    size         bigint NOT NULL,
    content_type text   NOT NULL,
    name         text   NOT NULL,
    width        bigint,
    height       bigint,
    thumb_sha256 text,
    placeholder  text,
    created_at   bigint NOT NULL,
    room_id      bigint,
    seq          bigint,
    deleted_at   bigint
);
CREATE INDEX attachments_by_owner ON attachments(owner_id, created_at);
CREATE INDEX attachments_by_blob ON attachments(sha256);
CREATE INDEX attachments_by_thumb ON attachments(thumb_sha256) WHERE thumb_sha256 IS NOT NULL;
CREATE INDEX attachments_by_message ON attachments(room_id, seq) WHERE room_id IS NOT NULL;
CREATE INDEX attachments_orphans ON attachments(created_at) WHERE room_id IS NULL;
CREATE INDEX attachments_deleted ON attachments(deleted_at) WHERE deleted_at IS NOT NULL;
