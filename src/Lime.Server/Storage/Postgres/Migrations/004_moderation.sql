-- LIME schema 4 (PostgreSQL): moderation; the same as SQLite schema 5
-- (see Storage/Sqlite/Migrations/005_moderation.sql for what each column means).

ALTER TABLE rooms ADD COLUMN description       text;
ALTER TABLE rooms ADD COLUMN approval_required bigint NOT NULL DEFAULT 0;
ALTER TABLE rooms ADD COLUMN deleted_at        bigint;
ALTER TABLE rooms ADD COLUMN direct_blocked    bigint NOT NULL DEFAULT 0;

ALTER TABLE members ADD COLUMN muted_until bigint;

CREATE TABLE bans (
    room_id   bigint NOT NULL,
    user_id   bigint NOT NULL,
    banned_by bigint NOT NULL,
    banned_at bigint NOT NULL,
    PRIMARY KEY (room_id, user_id)
);

CREATE TABLE invites (
    id         bigserial PRIMARY KEY,
    room_id    bigint NOT NULL,
    code       text   NOT NULL UNIQUE,
    created_by bigint NOT NULL,
    created_at bigint NOT NULL,
    expires_at bigint,
    max_uses   bigint,
    uses       bigint NOT NULL DEFAULT 0,
    revoked_at bigint
);
CREATE INDEX invites_by_room ON invites(room_id);

CREATE TABLE join_requests (
    room_id      bigint NOT NULL,
    user_id      bigint NOT NULL,
    requested_at bigint NOT NULL,
    PRIMARY KEY (room_id, user_id)
);

CREATE TABLE blocks (
    user_id    bigint NOT NULL,
    blocked_id bigint NOT NULL,
    created_at bigint NOT NULL,
    PRIMARY KEY (user_id, blocked_id)
);
CREATE INDEX blocks_by_blocked ON blocks(blocked_id, user_id);
