-- LIME schema 10 (PostgreSQL): the admin API; the same as SQLite schema 10
-- (see Storage/Sqlite/Migrations/010_admin.sql for what each column means).

ALTER TABLE users ADD COLUMN disabled_at bigint;
ALTER TABLE users ADD COLUMN deleted_at  bigint;

ALTER TABLE rooms ADD COLUMN retained_from  bigint NOT NULL DEFAULT 1;
ALTER TABLE rooms ADD COLUMN retention_days bigint;

CREATE TABLE admin_audit (
    id         bigserial PRIMARY KEY,
    admin_id   bigint NOT NULL,
    action     text   NOT NULL,
    target     text,
    parameters text,
    outcome    text   NOT NULL,
    status     bigint NOT NULL,
    at         bigint NOT NULL
);
CREATE INDEX admin_audit_by_time ON admin_audit(at);
