-- LIME schema 4 (SQLite): operations on messages (edit, delete, reactions, pins, hide for me).
-- A message's current state lives on its own event row and is changed in the commit of the operation's event, so a
-- read never sees an operation without its effect (or the reverse).

ALTER TABLE events ADD COLUMN target_seq INTEGER;  -- operations: the seq of the message they apply to
ALTER TABLE events ADD COLUMN edited_at  INTEGER;  -- messages: time of the latest edit
ALTER TABLE events ADD COLUMN deleted_at INTEGER;  -- messages: deleted for everyone (text is NULL from then on)
CREATE INDEX events_by_target ON events(room_id, target_seq) WHERE target_seq IS NOT NULL;

-- Pinned message seqs, newest pin first, as a JSON array (NULL = none): read with every room row.
ALTER TABLE rooms ADD COLUMN pinned TEXT;

-- Who reacted with what: one row per (message, emoji, user); seq = the reaction_added event (orders the users).
CREATE TABLE reactions (
    room_id    INTEGER NOT NULL,
    target_seq INTEGER NOT NULL,
    emoji      TEXT    NOT NULL,
    user_id    INTEGER NOT NULL,
    seq        INTEGER NOT NULL,
    PRIMARY KEY (room_id, target_seq, emoji, user_id)
) WITHOUT ROWID;

-- Messages a user hid for themself (private: no room event).
CREATE TABLE hidden_messages (
    user_id INTEGER NOT NULL,
    room_id INTEGER NOT NULL,
    seq     INTEGER NOT NULL,
    PRIMARY KEY (user_id, room_id, seq)
) WITHOUT ROWID;
