-- LIME schema 10 (SQLite): the admin API (issue 17). Disabled and deleted accounts, the audit of every admin call,
-- and what retention and purges keep of a room's history.

ALTER TABLE users ADD COLUMN disabled_at INTEGER;   -- set by an admin: login and refresh refused, devices revoked
ALTER TABLE users ADD COLUMN deleted_at  INTEGER;   -- account deleted: profile anonymised (docs/operations.md)

-- Events with seq < retained_from were removed (purge or retention); seqs are never reused.
ALTER TABLE rooms ADD COLUMN retained_from  INTEGER NOT NULL DEFAULT 1;
ALTER TABLE rooms ADD COLUMN retention_days INTEGER;  -- per-room message TTL; NULL: the server default, 0: keep

-- One row per /api/admin call, allowed or refused. parameters: route and query values and the request body's
-- fields, never a secret (the admin API takes none).
CREATE TABLE admin_audit (
    id         INTEGER PRIMARY KEY,
    admin_id   INTEGER NOT NULL,      -- the caller (refused calls too: a non-admin's id)
    action     TEXT    NOT NULL,      -- method and route pattern, e.g. 'POST /api/admin/users/{id}/disable'
    target     TEXT,                  -- the route's id, e.g. 'user:12', 'room:7'
    parameters TEXT,                  -- JSON
    outcome    TEXT    NOT NULL,      -- 'ok' or the ProblemDetails code
    status     INTEGER NOT NULL,      -- HTTP status
    at         INTEGER NOT NULL       -- Unix ms
);
CREATE INDEX admin_audit_by_time ON admin_audit(at);
