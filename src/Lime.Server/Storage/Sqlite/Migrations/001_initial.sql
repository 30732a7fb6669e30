-- LIME schema 1 (SQLite). Every room-scoped table leads with room_id so the PostgreSQL variant can be
-- distributed by room (e.g. Citus) without a redesign.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT    NOT NULL UNIQUE,          -- stored lower-case
    display_name  TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,
    created_at    INTEGER NOT NULL                  -- Unix ms
);

-- One row per login: a device session. Refresh tokens are stored as SHA-256 hashes only.
CREATE TABLE devices (
    id            INTEGER PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users(id),
    name          TEXT    NOT NULL,
    refresh_hash  TEXT    NOT NULL UNIQUE,
    created_at    INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL,
    revoked_at    INTEGER
);
CREATE INDEX devices_by_user ON devices(user_id);

CREATE TABLE rooms (
    id               INTEGER PRIMARY KEY,
    kind             TEXT    NOT NULL CHECK (kind IN ('direct', 'group', 'channel')),
    name             TEXT,
    name_lower       TEXT,                          -- channel search key
    topic            TEXT,
    direct_key       TEXT    UNIQUE,                -- 'lo:hi' user ids, direct rooms only: one room per pair
    created_by       INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    last_seq         INTEGER NOT NULL DEFAULT 0,    -- seq of the newest event (gap-free, starts at 1)
    last_msg_seq     INTEGER NOT NULL DEFAULT 0,    -- seq of the newest message event (room list preview)
    last_activity_at INTEGER NOT NULL,
    member_count     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX rooms_channels_by_name ON rooms(kind, name_lower);

CREATE TABLE members (
    room_id    INTEGER NOT NULL REFERENCES rooms(id),
    user_id    INTEGER NOT NULL REFERENCES users(id),
    role       TEXT    NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    joined_at  INTEGER NOT NULL,
    joined_seq INTEGER NOT NULL,
    read_seq   INTEGER NOT NULL DEFAULT 0,          -- read watermark: only moves forward
    PRIMARY KEY (room_id, user_id)
) WITHOUT ROWID;
CREATE INDEX members_by_user ON members(user_id, room_id);

-- Every change to a room is an event with a gap-free per-room seq, assigned in the commit that stores it.
CREATE TABLE events (
    room_id       INTEGER NOT NULL,
    seq           INTEGER NOT NULL,
    id            INTEGER NOT NULL,                 -- Snowflake
    kind          TEXT    NOT NULL,
    sender_id     INTEGER NOT NULL,                 -- author, or the actor of a system event
    client_msg_id TEXT,                             -- idempotency key of the sender (messages)
    text          TEXT,
    reply_to      INTEGER,
    data          TEXT,                             -- JSON for system events: {"users":[..],"role":"..","name":".."}
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (room_id, seq)
) WITHOUT ROWID;
CREATE UNIQUE INDEX events_idempotency ON events(room_id, sender_id, client_msg_id) WHERE client_msg_id IS NOT NULL;

-- Side effects (push, search indexing) leave through here; rows are written in the commit of their event.
-- Every message writes one row (topic "message") in its commit; the push dispatcher consumes them.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    room_id         INTEGER NOT NULL,
    seq             INTEGER NOT NULL,
    topic           TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT
);
CREATE INDEX outbox_due ON outbox(next_attempt_at);
