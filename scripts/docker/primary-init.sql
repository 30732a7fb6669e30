-- Run once by the postgres image on the primary's first start (docker-entrypoint-initdb.d), after POSTGRES_DB exists.
-- ALTER SYSTEM writes postgresql.auto.conf, read when the image restarts the server after initialisation: from then
-- on every commit waits until standby1 has flushed it (synchronous_commit = on is on the command line). Set on the
-- command line instead, the initialisation's own commits would wait for a standby that cannot connect yet.
-- Keep in step with scripts/cluster.sh (checked by tests/Lime.Tests/DeploymentTests.cs).
ALTER SYSTEM SET synchronous_standby_names = 'FIRST 1 (standby1)';
