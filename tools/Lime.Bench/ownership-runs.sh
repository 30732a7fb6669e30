#!/usr/bin/env bash
# Room ownership benchmarks (issue 12; BENCHMARKS.md "Production mode, room ownership"), on a cluster started by
# `scripts/cluster.sh up 3` (which gives every node an internal URL, so ownership is on). For each run it records
# the bench's JSON line (throughput, latency, server CPU per message, load average and steal from /proc/stat),
# PostgreSQL's CPU over the run (utime+stime of every postgres process, from /proc) and, for the cross-node dm run,
# pg_stat_activity wait events sampled every 100 ms for 6 s (Lock:transactionid = row-lock waits between nodes).
#   tools/Lime.Bench/ownership-runs.sh [OUT_DIR]
# Needs the cluster up (LIME_CLUSTER_DIR / LIME_PG_PORT as for cluster.sh) and the bench built in Release.
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${1:-/tmp/lime-ownership-bench}"
mkdir -p "$out"
PG_PORT=${LIME_PG_PORT:-55432}
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
B="dotnet tools/Lime.Bench/bin/Release/net10.0/Lime.Bench.dll"
NODE=${LIME_NODE_PORT:-5081}
U1=http://127.0.0.1:$NODE
U3=$U1,http://127.0.0.1:$((NODE + 1)),http://127.0.0.1:$((NODE + 2))
psql() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$PG_BIN/psql" "$@"; else "$PG_BIN/psql" "$@"; fi; }

pg_ticks() { # utime+stime (clock ticks) summed over every postgres process
  local total=0 pid
  for pid in $(pgrep -x postgres || true); do
    [ -r "/proc/$pid/stat" ] || continue
    total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0)))
  done
  echo "$total"
}

sample_locks() { # 60 samples, 100 ms apart: wait events of LIME's busy backends
  for _ in $(seq 1 60); do
    psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d lime -Atc \
      "SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU') FROM pg_stat_activity WHERE datname = 'lime' AND state <> 'idle' AND pid <> pg_backend_pid()"
    sleep 0.1
  done | sort | uniq -c | sort -rn
}

run() { # name, bench arguments...
  local name=$1; shift
  local before after
  before=$(pg_ticks)
  echo "== $name: $B $*" | tee -a "$out/commands.txt"
  $B "$@" --json >"$out/$name.json" 2>"$out/$name.err" || echo "(exit $?)" >>"$out/$name.err"
  after=$(pg_ticks)
  echo "postgres_cpu_s=$(awk -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", t / hz }')" >"$out/$name.pg"
  tail -n 1 "$out/$name.json" | cut -c1-400
  cat "$out/$name.pg"
}

run dm3 dm --url "$U3" --users 200 --rate 2000 --duration 10
( sleep 6; sample_locks >"$out/locks-dm3.txt" ) &
sampler=$!
run dm3-sampled dm --url "$U3" --users 200 --rate 2000 --duration 16
wait "$sampler"
echo "== wait events during dm3-sampled (60 samples)"; cat "$out/locks-dm3.txt"
run dm1 dm --url "$U1" --users 200 --rate 2000 --duration 10
run sweep3 sweep --url "$U3" --users 200 --from 500 --factor 1.5 --duration 8 --warmup 2 --drain 3
run sweep1 sweep --url "$U1" --users 200 --from 500 --factor 1.5 --duration 8 --warmup 2 --drain 3
echo "results in $out"
