-- LIME schema 3 (PostgreSQL): operations on messages; the same as SQLite schema 4
-- (see Storage/Sqlite/Migrations/004_message_operations.sql for what each column means).

ALTER TABLE events ADD COLUMN target_seq bigint;
ALTER TABLE events ADD COLUMN edited_at  bigint;
ALTER TABLE events ADD COLUMN deleted_at bigint;
CREATE INDEX events_by_target ON events(room_id, target_seq) WHERE target_seq IS NOT NULL;

ALTER TABLE rooms ADD COLUMN pinned text;

CREATE TABLE reactions (
    room_id    bigint NOT NULL,
    target_seq bigint NOT NULL,
    emoji      text   NOT NULL,
    user_id    bigint NOT NULL,
    seq        bigint NOT NULL,
    PRIMARY KEY (room_id, target_seq, emoji, user_id)
);

CREATE TABLE hidden_messages (
    user_id bigint NOT NULL,
    room_id bigint NOT NULL,
    seq     bigint NOT NULL,
    PRIMARY KEY (user_id, room_id, seq)
);
