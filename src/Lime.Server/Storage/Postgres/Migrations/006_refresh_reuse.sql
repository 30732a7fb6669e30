-- LIME schema 6 (PostgreSQL): refresh-token reuse detection; the same as SQLite schema 7
-- (see Storage/Sqlite/Migrations/007_refresh_reuse.sql for what each column means).
ALTER TABLE devices ADD COLUMN refresh_generation bigint NOT NULL DEFAULT 0;

CREATE TABLE spent_refresh_tokens (
    device_id bigint NOT NULL,
    slot      integer NOT NULL,
    hash      text   NOT NULL,
    spent_at  bigint NOT NULL,
    PRIMARY KEY (device_id, slot)
);
CREATE INDEX spent_refresh_tokens_by_hash ON spent_refresh_tokens(hash);
