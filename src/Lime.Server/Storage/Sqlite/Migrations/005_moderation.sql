-- LIME schema 5 (SQLite): room settings, room deletion, bans, member mutes, invite links, join requests, blocks.
-- Each is changed in the commit of its room event (blocks: of the block itself), so reads never see one without the other.

ALTER TABLE rooms ADD COLUMN description       TEXT;
ALTER TABLE rooms ADD COLUMN approval_required INTEGER NOT NULL DEFAULT 0; -- channels: joining needs an owner's or admin's approval
ALTER TABLE rooms ADD COLUMN deleted_at        INTEGER;                    -- deleted by its owner: no members, every read says not found
ALTER TABLE rooms ADD COLUMN direct_blocked    INTEGER NOT NULL DEFAULT 0; -- direct rooms: one of the pair blocked the other

ALTER TABLE members ADD COLUMN muted_until INTEGER; -- may not post until then (NULL: not muted)

-- A ban outlives membership: the user cannot join, be added or use an invite until unbanned.
CREATE TABLE bans (
    room_id   INTEGER NOT NULL,
    user_id   INTEGER NOT NULL,
    banned_by INTEGER NOT NULL,
    banned_at INTEGER NOT NULL,
    PRIMARY KEY (room_id, user_id)
) WITHOUT ROWID;

CREATE TABLE invites (
    id         INTEGER PRIMARY KEY,
    room_id    INTEGER NOT NULL,
    code       TEXT    NOT NULL UNIQUE,
    created_by INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER,                              -- NULL: never
    max_uses   INTEGER,                              -- NULL: unlimited
    uses       INTEGER NOT NULL DEFAULT 0,
    revoked_at INTEGER
);
CREATE INDEX invites_by_room ON invites(room_id);

-- Users waiting for approval to join a channel that requires it.
CREATE TABLE join_requests (
    room_id      INTEGER NOT NULL,
    user_id      INTEGER NOT NULL,
    requested_at INTEGER NOT NULL,
    PRIMARY KEY (room_id, user_id)
) WITHOUT ROWID;

-- user_id blocked blocked_id.
CREATE TABLE blocks (
    user_id    INTEGER NOT NULL,
    blocked_id INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, blocked_id)
) WITHOUT ROWID;
CREATE INDEX blocks_by_blocked ON blocks(blocked_id, user_id);
