#!/usr/bin/env bash
# A local LIME cluster without Docker, from Debian packages, on loopback only:
#   PostgreSQL primary + synchronous standby, Redis, and N LIME nodes.
#   scripts/cluster.sh up [N]   start (N nodes, default 3)
#   scripts/cluster.sh status   what runs where
#   scripts/cluster.sh down     stop everything this script started (by PID / pg_ctl), keep nothing
# Needs: apt-get install postgresql redis-server; the .NET SDK.
set -euo pipefail
cd "$(dirname "$0")/.."
STATE="${LIME_CLUSTER_DIR:-$PWD/.cluster}"
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
PG_PORT=${LIME_PG_PORT:-55432}
STANDBY_PORT=${LIME_STANDBY_PORT:-55433}
REDIS_PORT=${LIME_REDIS_PORT:-56379}
FIRST_NODE_PORT=${LIME_NODE_PORT:-5081}

as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

up() {
  local nodes=${1:-3}
  [ -n "$PG_BIN" ] || { echo "PostgreSQL not found: apt-get install postgresql" >&2; exit 1; }
  command -v redis-server >/dev/null || { echo "redis-server not found: apt-get install redis-server" >&2; exit 1; }
  [ -e "$STATE" ] && { echo "$STATE exists: run '$0 down' first" >&2; exit 1; }
  mkdir -p "$STATE"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$STATE"

  echo "== PostgreSQL primary on 127.0.0.1:$PG_PORT (synchronous_standby_names = 'FIRST 1 (standby1)')"
  as_pg "$PG_BIN/initdb" -D "$STATE/primary" -U postgres -A trust -E UTF8 --locale=C --no-instructions >/dev/null
  cat >>"$STATE/primary/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$STATE/primary'
wal_level = replica
max_wal_senders = 5
max_replication_slots = 5
synchronous_commit = on
synchronous_standby_names = 'FIRST 1 (standby1)'
CONF
  echo "host replication all 127.0.0.1/32 trust" >>"$STATE/primary/pg_hba.conf"
  as_pg "$PG_BIN/pg_ctl" -D "$STATE/primary" -l "$STATE/primary.log" -w start >/dev/null

  echo "== PostgreSQL synchronous standby on 127.0.0.1:$STANDBY_PORT"
  as_pg "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$PG_PORT" -U postgres -D "$STATE/standby" -R -X stream -C -S slot_standby1
  # postgresql.auto.conf is read last (pg_basebackup -R wrote primary_conninfo there): override it there.
  cat >>"$STATE/standby/postgresql.auto.conf" <<CONF
port = $STANDBY_PORT
unix_socket_directories = '$STATE/standby'
primary_conninfo = 'host=127.0.0.1 port=$PG_PORT user=postgres application_name=standby1'
synchronous_standby_names = ''
CONF
  as_pg "$PG_BIN/pg_ctl" -D "$STATE/standby" -l "$STATE/standby.log" -w start >/dev/null
  as_pg "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc "CREATE DATABASE lime" >/dev/null

  echo "== Redis on 127.0.0.1:$REDIS_PORT"
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --daemonize yes \
    --pidfile "$STATE/redis.pid" --logfile "$STATE/redis.log"

  echo "== building LIME (Release)"
  dotnet build -c Release src/Lime.Server -v q -nologo >/dev/null
  local dll=src/Lime.Server/bin/Release/net10.0/Lime.Server.dll
  # One signing key for all nodes: a token issued by one node must be accepted by every other.
  head -c 32 /dev/urandom | base64 >"$STATE/signing.key"
  for i in $(seq 1 "$nodes"); do
    local port=$((FIRST_NODE_PORT + i - 1))
    echo "== LIME node $i on http://127.0.0.1:$port"
    ASPNETCORE_URLS="http://127.0.0.1:$port" \
    Lime__NodeId=$i \
    Lime__Storage__Provider=postgres \
    Lime__Storage__PostgresConnectionString="Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=lime" \
    Lime__Storage__DataDirectory="$STATE/node$i" \
    Lime__Fanout__Provider=redis \
    Lime__Redis__Configuration="127.0.0.1:$REDIS_PORT" \
    Lime__Cluster__PublicUrl="http://127.0.0.1:$port" \
    Lime__Auth__SigningKey="$(cat "$STATE/signing.key")" \
    Lime__Realtime__AllowedOrigins__0="http://127.0.0.1:$port" \
    nohup dotnet "$dll" >"$STATE/node$i.log" 2>&1 &
    echo $! >"$STATE/node$i.pid"
  done
  for i in $(seq 1 "$nodes"); do
    local port=$((FIRST_NODE_PORT + i - 1))
    for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.2; done
  done
  status
  cat <<MSG

Point a client at any node, e.g. http://127.0.0.1:$FIRST_NODE_PORT (web UI, REST, ws://127.0.0.1:$FIRST_NODE_PORT/ws).
Least-loaded node: curl http://127.0.0.1:$FIRST_NODE_PORT/api/nodes/pick
Load: dotnet run -c Release --project tools/Lime.Bench -- dm --url http://127.0.0.1:$FIRST_NODE_PORT,http://127.0.0.1:$((FIRST_NODE_PORT + 1))
(the default per-user send limit is 20/s and registrations are 20 per address per hour: for benchmarks start with
'$0 up' after exporting Lime__Limits__SendsPerSecond, Lime__Auth__RegistrationsPerAddressPerHour etc., see BENCHMARKS.md)
MSG
}

status() {
  [ -d "$STATE" ] || { echo "no cluster ($STATE missing)"; return 0; }
  printf 'primary  127.0.0.1:%s  %s\n' "$PG_PORT" "$(as_pg "$PG_BIN/pg_ctl" -D "$STATE/primary" status >/dev/null 2>&1 && echo up || echo down)"
  printf 'standby  127.0.0.1:%s  %s\n' "$STANDBY_PORT" "$(as_pg "$PG_BIN/pg_ctl" -D "$STATE/standby" status >/dev/null 2>&1 && echo up || echo down)"
  as_pg "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -Atc "SELECT 'replication: ' || application_name || ' ' || state || ' ' || sync_state FROM pg_stat_replication" 2>/dev/null || true
  printf 'redis    127.0.0.1:%s  %s\n' "$REDIS_PORT" "$(redis-cli -p "$REDIS_PORT" ping 2>/dev/null || echo down)"
  for f in "$STATE"/node*.pid; do
    [ -e "$f" ] || continue
    local n; n=$(basename "$f" .pid)
    printf '%-8s pid %s  %s\n' "$n" "$(cat "$f")" "$(kill -0 "$(cat "$f")" 2>/dev/null && echo up || echo down)"
  done
}

down() {
  [ -d "$STATE" ] || { echo "nothing to stop"; return 0; }
  for f in "$STATE"/node*.pid "$STATE"/redis.pid; do
    [ -e "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
  done
  sleep 1
  for d in standby primary; do
    [ -d "$STATE/$d" ] && as_pg "$PG_BIN/pg_ctl" -D "$STATE/$d" -m fast -w stop >/dev/null 2>&1 || true
  done
  rm -rf "$STATE"
  echo "stopped"
}

case "${1:-}" in
  up) shift; up "$@" ;;
  status) status ;;
  down) down ;;
  *) echo "usage: $0 up [N] | status | down" >&2; exit 2 ;;
esac
