#!/usr/bin/env bash
# The synchronous standby of docker-compose.yml (runs as the postgres user in the postgres image).
# First start: a replication slot on the primary and a base backup into $PGDATA; every start: primary_conninfo with
# application_name=$STANDBY_NAME in postgresql.auto.conf, then postgres in the foreground.
# pg_basebackup -R writes a primary_conninfo without application_name into postgresql.auto.conf, which is read after
# postgresql.conf and wins: the standby would stream as "walreceiver", never match synchronous_standby_names, and
# every commit on the primary would wait forever. Keep in step with scripts/cluster.sh.
# Arguments are passed on to postgres (e.g. -c port=5433). Run for real by DeploymentTests against a local primary.
set -euo pipefail
: "${PRIMARY_HOST:?}" "${STANDBY_NAME:?}" "${PGDATA:?}"
PRIMARY_PORT="${PRIMARY_PORT:-5432}"
slot="slot_${STANDBY_NAME}"

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  rm -rf "$PGDATA"
  until pg_isready -q -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U postgres; do sleep 1; done
  # The slot keeps the WAL this standby still needs; created once (a rebuilt standby reuses it).
  psql -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U postgres -d postgres -Atqc \
    "SELECT pg_create_physical_replication_slot('$slot') WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = '$slot')" >/dev/null
  pg_basebackup -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U postgres -D "$PGDATA" -R -X stream -S "$slot"
  cat >>"$PGDATA/postgresql.auto.conf" <<CONF
primary_conninfo = 'host=$PRIMARY_HOST port=$PRIMARY_PORT user=postgres application_name=$STANDBY_NAME'
synchronous_standby_names = ''
CONF
fi
chmod 700 "$PGDATA"
exec postgres -D "$PGDATA" "$@"
