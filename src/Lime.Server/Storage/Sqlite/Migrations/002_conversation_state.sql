-- LIME schema 2 (SQLite): contacts, presence last-seen and its privacy setting.

ALTER TABLE users ADD COLUMN last_seen_at INTEGER;
ALTER TABLE users ADD COLUMN hide_last_seen INTEGER NOT NULL DEFAULT 0;

-- A directed contact list: user_id keeps contact_id. Presence of contact_id is shown to user_id.
CREATE TABLE contacts (
    user_id    INTEGER NOT NULL REFERENCES users(id),
    contact_id INTEGER NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, contact_id)
) WITHOUT ROWID;
CREATE INDEX contacts_by_contact ON contacts(contact_id, user_id);
