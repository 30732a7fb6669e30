-- LIME schema 1 (PostgreSQL). The same tables as the SQLite schema (versions 1-2 there), in PostgreSQL types.
-- Every room-scoped table leads with room_id: distributing by room (e.g. Citus, distribution column room_id)
-- needs no redesign (see docs/operations.md).

CREATE TABLE users (
    id             bigserial PRIMARY KEY,
    username       text    NOT NULL UNIQUE,
    display_name   text    NOT NULL,
    password_hash  text    NOT NULL,
    created_at     bigint  NOT NULL,
    last_seen_at   bigint,
    hide_last_seen bigint  NOT NULL DEFAULT 0
);

CREATE TABLE devices (
    id            bigserial PRIMARY KEY,
    user_id       bigint NOT NULL REFERENCES users(id),
    name          text   NOT NULL,
    refresh_hash  text   NOT NULL UNIQUE,
    created_at    bigint NOT NULL,
    last_seen_at  bigint NOT NULL,
    revoked_at    bigint
);
CREATE INDEX devices_by_user ON devices(user_id);

CREATE TABLE rooms (
    id               bigserial PRIMARY KEY,
    kind             text   NOT NULL CHECK (kind IN ('direct', 'group', 'channel')),
    name             text,
    name_lower       text COLLATE "C",
    topic            text,
    direct_key       text   UNIQUE,
    created_by       bigint NOT NULL,
    created_at       bigint NOT NULL,
    last_seq         bigint NOT NULL DEFAULT 0,
    last_msg_seq     bigint NOT NULL DEFAULT 0,
    last_activity_at bigint NOT NULL,
    member_count     bigint NOT NULL DEFAULT 0
);
CREATE INDEX rooms_channels_by_name ON rooms(kind, name_lower);

CREATE TABLE members (
    room_id    bigint NOT NULL REFERENCES rooms(id),
    user_id    bigint NOT NULL REFERENCES users(id),
    role       text   NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    joined_at  bigint NOT NULL,
    joined_seq bigint NOT NULL,
    read_seq   bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (room_id, user_id)
);
CREATE INDEX members_by_user ON members(user_id, room_id);

CREATE TABLE events (
    room_id       bigint NOT NULL,
    seq           bigint NOT NULL,
    id            bigint NOT NULL,
    kind          text   NOT NULL,
    sender_id     bigint NOT NULL,
    client_msg_id text,
    text          text,
    reply_to      bigint,
    data          text,
    created_at    bigint NOT NULL,
    PRIMARY KEY (room_id, seq)
);
CREATE UNIQUE INDEX events_idempotency ON events(room_id, sender_id, client_msg_id) WHERE client_msg_id IS NOT NULL;

CREATE TABLE outbox (
    id              bigserial PRIMARY KEY,
    room_id         bigint NOT NULL,
    seq             bigint NOT NULL,
    topic           text   NOT NULL,
    created_at      bigint NOT NULL,
    attempts        bigint NOT NULL DEFAULT 0,
    next_attempt_at bigint NOT NULL,
    last_error      text
);
CREATE INDEX outbox_due ON outbox(next_attempt_at);

CREATE TABLE contacts (
    user_id    bigint NOT NULL REFERENCES users(id),
    contact_id bigint NOT NULL REFERENCES users(id),
    created_at bigint NOT NULL,
    PRIMARY KEY (user_id, contact_id)
);
CREATE INDEX contacts_by_contact ON contacts(contact_id, user_id);

-- One row per node, rewritten in every batch transaction: every batch then writes WAL, so its COMMIT waits for
-- the synchronous standby — which also confirms earlier commits (e.g. a duplicate found on a retry).
CREATE TABLE commit_marks (
    node_id integer PRIMARY KEY,
    at      bigint  NOT NULL
);
