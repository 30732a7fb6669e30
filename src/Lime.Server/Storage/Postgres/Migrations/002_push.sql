-- LIME schema 2 (PostgreSQL): push notifications and the outbox lease; the same as SQLite schema 3.
-- See the SQLite file (Storage/Sqlite/Migrations/003_push.sql) for what each column means.

ALTER TABLE outbox ADD COLUMN claimed_by text;
ALTER TABLE outbox ADD COLUMN claimed_until bigint;
ALTER TABLE outbox ADD COLUMN target_id bigint;

CREATE TABLE outbox_dead (
    id          bigserial PRIMARY KEY,
    entry_id    bigint NOT NULL,
    room_id     bigint NOT NULL,
    seq         bigint NOT NULL,
    topic       text   NOT NULL,
    target_id   bigint,
    created_at  bigint NOT NULL,
    attempts    bigint NOT NULL,
    last_error  text   NOT NULL,
    dead_at     bigint NOT NULL
);

CREATE TABLE push_targets (
    id          bigserial PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users(id),
    device_id   bigint NOT NULL UNIQUE REFERENCES devices(id),
    kind        text   NOT NULL CHECK (kind IN ('fcm', 'apns', 'webpush', 'webhook')),
    token       text   NOT NULL,
    environment text,
    p256dh      text,
    auth        text,
    created_at  bigint NOT NULL,
    UNIQUE (kind, token)
);
CREATE INDEX push_targets_by_user ON push_targets(user_id);

CREATE TABLE push_settings (
    user_id     bigint PRIMARY KEY REFERENCES users(id),
    level       text   NOT NULL CHECK (level IN ('all', 'mentions', 'none')),
    quiet_start bigint,
    quiet_end   bigint,
    time_zone   text
);

CREATE TABLE push_mutes (
    user_id     bigint NOT NULL REFERENCES users(id),
    room_id     bigint NOT NULL REFERENCES rooms(id),
    until       bigint,
    PRIMARY KEY (user_id, room_id)
);

CREATE TABLE push_ledger (
    notification_key text   PRIMARY KEY,
    outcome          text   NOT NULL,
    at               bigint NOT NULL
);
CREATE INDEX push_ledger_by_time ON push_ledger(at);

CREATE TABLE push_windows (
    target_id    bigint PRIMARY KEY,
    until        bigint NOT NULL,
    opened_by    text   NOT NULL,
    pending      bigint NOT NULL DEFAULT 0,
    pending_room bigint,
    multi_room   bigint NOT NULL DEFAULT 0,
    digest_due   bigint
);
