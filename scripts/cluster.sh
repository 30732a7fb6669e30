#!/usr/bin/env bash
# A local LIME cluster without Docker, from Debian packages, on loopback only:
#   PostgreSQL primary + synchronous standby, Redis, and N LIME nodes.
#   scripts/cluster.sh up [N]   start (N nodes, default 3)
#   scripts/cluster.sh status   what runs where
#   scripts/cluster.sh down     stop everything this script started (by PID / pg_ctl), keep nothing
#   scripts/cluster.sh config [N]  print the PostgreSQL settings and each node's environment, start nothing
# Needs: apt-get install postgresql redis-server; the .NET SDK.
# docker-compose.yml describes the same topology; tests/Lime.Tests/DeploymentTests.cs checks (through `config`) that
# the two agree: synchronous_standby_names vs the standby's application_name, one signing key, every node's origin.
set -euo pipefail
cd "$(dirname "$0")/.."
STATE="${LIME_CLUSTER_DIR:-$PWD/.cluster}"
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
PG_PORT=${LIME_PG_PORT:-55432}
STANDBY_PORT=${LIME_STANDBY_PORT:-55433}
REDIS_PORT=${LIME_REDIS_PORT:-56379}
FIRST_NODE_PORT=${LIME_NODE_PORT:-5081}
STANDBY_NAME=standby1
FIRST_INTERNAL_PORT=${LIME_INTERNAL_PORT:-5091} # room ownership: each node's internal HTTP/2 listener for forwarded writes

as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

# Appended to the primary's postgresql.conf.
primary_conf() {
  cat <<CONF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$STATE/primary'
wal_level = replica
max_wal_senders = 5
max_replication_slots = 5
synchronous_commit = on
synchronous_standby_names = 'FIRST 1 ($STANDBY_NAME)'
CONF
}

# Appended to the standby's postgresql.auto.conf: it is read last, and pg_basebackup -R wrote a primary_conninfo
# there without application_name (the standby would stream as "walreceiver" and every commit would wait).
standby_auto_conf() {
  cat <<CONF
port = $STANDBY_PORT
unix_socket_directories = '$STATE/standby'
primary_conninfo = 'host=127.0.0.1 port=$PG_PORT user=postgres application_name=$STANDBY_NAME'
synchronous_standby_names = ''
CONF
}

# The environment of node $1 of $2, one KEY=VALUE a line. The signing key is $LIME_SIGNING_KEY, the same for all.
node_env() {
  local i=$1 nodes=$2 port=$((FIRST_NODE_PORT + $1 - 1)) k=0
  echo "ASPNETCORE_URLS=http://127.0.0.1:$port"
  echo "Lime__NodeId=$i"
  echo "Lime__Storage__Provider=postgres"
  echo "Lime__Storage__PostgresConnectionString=Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=lime"
  echo "Lime__Storage__StartupTimeoutSeconds=60"
  echo "Lime__Storage__DataDirectory=$STATE/node$i"
  echo "Lime__Fanout__Provider=redis"
  echo "Lime__Redis__Configuration=127.0.0.1:$REDIS_PORT"
  echo "Lime__Cluster__PublicUrl=http://127.0.0.1:$port"
  # One signing key for all nodes: a token issued by one node must be accepted by every other.
  echo "Lime__Auth__SigningKey=$LIME_SIGNING_KEY"
  # Every node's origin on every node: a page loaded from one node may open its socket on another (/api/nodes/pick).
  for host in 127.0.0.1 localhost; do
    for j in $(seq 1 "$nodes"); do
      echo "Lime__Realtime__AllowedOrigins__$k=http://$host:$((FIRST_NODE_PORT + j - 1))"
      k=$((k + 1))
    done
  done
  # Room ownership: the node's internal HTTP/2 listener for forwarded writes (docs/operations.md, "Room ownership").
  echo "Lime__Cluster__InternalUrl=http://127.0.0.1:$((FIRST_INTERNAL_PORT + i - 1))"
}

config() {
  local nodes=${1:-3}
  LIME_SIGNING_KEY=${LIME_SIGNING_KEY:-"<the key in $STATE/signing.key>"}
  echo "# primary postgresql.conf"
  primary_conf
  echo "# standby postgresql.auto.conf"
  standby_auto_conf
  for i in $(seq 1 "$nodes"); do
    echo "# node $i"
    node_env "$i" "$nodes"
  done
}

up() {
  local nodes=${1:-3}
  [ -n "$PG_BIN" ] || { echo "PostgreSQL not found: apt-get install postgresql" >&2; exit 1; }
  command -v redis-server >/dev/null || { echo "redis-server not found: apt-get install redis-server" >&2; exit 1; }
  [ -e "$STATE" ] && { echo "$STATE exists: run '$0 down' first" >&2; exit 1; }
  mkdir -p "$STATE"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$STATE"

  echo "== PostgreSQL primary on 127.0.0.1:$PG_PORT (synchronous_standby_names = 'FIRST 1 ($STANDBY_NAME)')"
  as_pg "$PG_BIN/initdb" -D "$STATE/primary" -U postgres -A trust -E UTF8 --locale=C --no-instructions >/dev/null
  primary_conf >>"$STATE/primary/postgresql.conf"
  echo "host replication all 127.0.0.1/32 trust" >>"$STATE/primary/pg_hba.conf"
  as_pg "$PG_BIN/pg_ctl" -D "$STATE/primary" -l "$STATE/primary.log" -w start >/dev/null

  echo "== PostgreSQL synchronous standby on 127.0.0.1:$STANDBY_PORT"
  as_pg "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$PG_PORT" -U postgres -D "$STATE/standby" -R -X stream -C -S "slot_$STANDBY_NAME"
  # postgresql.auto.conf is read last (pg_basebackup -R wrote primary_conninfo there): override it there.
  standby_auto_conf >>"$STATE/standby/postgresql.auto.conf"
  as_pg "$PG_BIN/pg_ctl" -D "$STATE/standby" -l "$STATE/standby.log" -w start >/dev/null
  as_pg "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc "CREATE DATABASE lime" >/dev/null

  echo "== Redis on 127.0.0.1:$REDIS_PORT"
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --daemonize yes \
    --pidfile "$STATE/redis.pid" --logfile "$STATE/redis.log"

  echo "== building LIME (Release)"
  dotnet build -c Release src/Lime.Server -v q -nologo >/dev/null
  local dll=src/Lime.Server/bin/Release/net10.0/Lime.Server.dll
  # One signing key for all nodes (LIME_SIGNING_KEY if set, as for docker compose; else a new one).
  (umask 077; if [ -n "${LIME_SIGNING_KEY:-}" ]; then echo "$LIME_SIGNING_KEY"; else head -c 32 /dev/urandom | base64; fi >"$STATE/signing.key")
  LIME_SIGNING_KEY=$(cat "$STATE/signing.key")
  for i in $(seq 1 "$nodes"); do
    local port=$((FIRST_NODE_PORT + i - 1)) vars
    local internal=$((FIRST_INTERNAL_PORT + i - 1))
    echo "== LIME node $i on http://127.0.0.1:$port (internal http://127.0.0.1:$internal)"
    mapfile -t vars < <(node_env "$i" "$nodes")
    env "${vars[@]}" nohup dotnet "$dll" >"$STATE/node$i.log" 2>&1 &
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
  config) shift; config "$@" ;;
  *) echo "usage: $0 up [N] | status | down | config [N]" >&2; exit 2 ;;
esac
