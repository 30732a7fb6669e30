-- LIME schema 5 (PostgreSQL): mentions; the same as SQLite schema 6
-- (see Storage/Sqlite/Migrations/006_mentions.sql for what each column means).

CREATE TABLE mentions (
    user_id  bigint NOT NULL,
    event_id bigint NOT NULL,
    room_id  bigint NOT NULL,
    seq      bigint NOT NULL,
    everyone bigint NOT NULL,
    PRIMARY KEY (user_id, event_id)
);
CREATE INDEX mentions_by_message ON mentions(room_id, seq);
