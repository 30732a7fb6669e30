-- LIME schema 3 (SQLite): push notifications and the outbox lease.

-- A claim is a lease: claimed_by (node:boot) holds an entry until claimed_until (Unix ms). Claiming also moves
-- next_attempt_at to claimed_until, so "due" (next_attempt_at <= now, index outbox_due) covers both unclaimed
-- entries and entries whose lease ran out (their dispatcher died). attempts counts claims.
-- target_id: set on 'push_digest' entries only (the push target whose collapsed messages are due).
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
ALTER TABLE outbox ADD COLUMN claimed_until INTEGER;
ALTER TABLE outbox ADD COLUMN target_id INTEGER;

-- Entries that failed every attempt, with the last error; an admin can requeue them (a new outbox row).
CREATE TABLE outbox_dead (
    id          INTEGER PRIMARY KEY,
    entry_id    INTEGER NOT NULL,                -- the outbox id it had
    room_id     INTEGER NOT NULL,
    seq         INTEGER NOT NULL,
    topic       TEXT    NOT NULL,
    target_id   INTEGER,
    created_at  INTEGER NOT NULL,
    attempts    INTEGER NOT NULL,
    last_error  TEXT    NOT NULL,
    dead_at     INTEGER NOT NULL
);

-- One push target per device (a new registration replaces it). token: FCM/APNs token, Web Push endpoint, or the
-- webhook's opaque address. A (kind, token) pair belongs to one device: registering it elsewhere moves it.
CREATE TABLE push_targets (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id),
    device_id   INTEGER NOT NULL UNIQUE REFERENCES devices(id),
    kind        TEXT    NOT NULL CHECK (kind IN ('fcm', 'apns', 'webpush', 'webhook')),
    token       TEXT    NOT NULL,
    environment TEXT,                            -- apns: 'sandbox' | 'production'
    p256dh      TEXT,                            -- webpush: the subscription's P-256 key (base64url)
    auth        TEXT,                            -- webpush: the subscription's auth secret (base64url)
    created_at  INTEGER NOT NULL,
    UNIQUE (kind, token)
);
CREATE INDEX push_targets_by_user ON push_targets(user_id);

-- Per-user notification settings; no row = level 'all', no quiet hours.
CREATE TABLE push_settings (
    user_id     INTEGER PRIMARY KEY REFERENCES users(id),
    level       TEXT    NOT NULL CHECK (level IN ('all', 'mentions', 'none')),
    quiet_start INTEGER,                         -- minute of the day, local to time_zone
    quiet_end   INTEGER,
    time_zone   TEXT
);

-- Per-room mutes; until NULL = for good.
CREATE TABLE push_mutes (
    user_id     INTEGER NOT NULL REFERENCES users(id),
    room_id     INTEGER NOT NULL REFERENCES rooms(id),
    until       INTEGER,
    PRIMARY KEY (user_id, room_id)
) WITHOUT ROWID;

-- The idempotency ledger: one row per notification key once it was sent, collapsed or dropped. A redelivered
-- outbox entry skips every key found here. Pruned after Lime:Push:LedgerRetentionHours.
CREATE TABLE push_ledger (
    notification_key TEXT PRIMARY KEY,
    outcome     TEXT    NOT NULL,                -- 'sent' | 'collapsed' | 'dropped'
    at          INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX push_ledger_by_time ON push_ledger(at);

-- The collapse window of each target: pushes inside [opened, until) after the first are collapsed into one digest.
CREATE TABLE push_windows (
    target_id    INTEGER PRIMARY KEY,
    until        INTEGER NOT NULL,
    opened_by    TEXT    NOT NULL,               -- key of the push that opened it (its retry still sends)
    pending      INTEGER NOT NULL DEFAULT 0,     -- messages collapsed and not yet covered by a digest
    pending_room INTEGER,                        -- room of the first of them
    multi_room   INTEGER NOT NULL DEFAULT 0,     -- they span more than one room
    digest_due   INTEGER                         -- a push_digest entry is scheduled for this time
);
