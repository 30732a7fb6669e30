-- LIME schema 7 (SQLite): refresh-token reuse detection. Each device keeps the hashes of its last 16 spent refresh
-- tokens (slot = generation % 16, overwritten in turn), so a spent token presented again is recognised as reuse (a
-- thief and the owner both hold one) and its device is revoked, unless it was spent moments ago (spent_at: two tabs
-- refreshing at once). Rows go with the device's revocation.
ALTER TABLE devices ADD COLUMN refresh_generation INTEGER NOT NULL DEFAULT 0;

CREATE TABLE spent_refresh_tokens (
    device_id INTEGER NOT NULL,
    slot      INTEGER NOT NULL,
    hash      TEXT    NOT NULL,
    spent_at  INTEGER NOT NULL,
    PRIMARY KEY (device_id, slot)
);
CREATE INDEX spent_refresh_tokens_by_hash ON spent_refresh_tokens(hash);
