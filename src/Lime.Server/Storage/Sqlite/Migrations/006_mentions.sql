-- LIME schema 6 (SQLite): mentions. A message's mentions are in its events.data ({"mentions":[…],"mention_room":true});
-- this table has one row per member each message mentions (by id, or everyone = 1 through @room), written in the
-- message's commit and removed with a delete for everyone. The mentions list reads it newest first by the message's
-- Snowflake id (its cursor), push reads it by message.

CREATE TABLE mentions (
    user_id  INTEGER NOT NULL,
    event_id INTEGER NOT NULL, -- the message event's id (time-ordered, unique)
    room_id  INTEGER NOT NULL,
    seq      INTEGER NOT NULL,
    everyone INTEGER NOT NULL, -- 1: mentioned through @room, 0: by id
    PRIMARY KEY (user_id, event_id)
) WITHOUT ROWID;
CREATE INDEX mentions_by_message ON mentions(room_id, seq);
