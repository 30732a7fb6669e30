#!/usr/bin/env bash
# Starts a LIME server for benchmarking, in the background, on 127.0.0.1 with a fresh temporary data directory
# and the per-user send limit lifted (the default, 20 msgs/s per user, would turn a load test into rate_limited
# errors). Its PID goes to a file; `stop` kills that PID and nothing else.
#
#   tools/Lime.Bench/run-server.sh [start]   build Release, start, wait until /readyz answers
#   tools/Lime.Bench/run-server.sh stop      stop the server started here, remove its data directory
#   tools/Lime.Bench/run-server.sh status
#
# Environment: LIME_BENCH_PORT (default 5080), LIME_BENCH_STATE (PID/log directory, default $TMPDIR/lime-bench; the
# bench's connections scenario reads the PID from there too). The server gets `ulimit -n` raised to the hard limit.
# Any other Lime__… variable set by the caller (e.g. Lime__Storage__MaxBatch) is passed through.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
port="${LIME_BENCH_PORT:-5080}"
state="${LIME_BENCH_STATE:-${TMPDIR:-/tmp}/lime-bench}"
pid_file="$state/server.pid"
data_file="$state/server.data"
log_file="$state/server.log"
dll="$repo/src/Lime.Server/bin/Release/net10.0/Lime.Server.dll"

running_pid() {
  # Prints the recorded PID if that process is still our server (guards against a recycled PID).
  [[ -f "$pid_file" ]] || return 1
  local pid
  pid="$(cat "$pid_file")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [[ -r "/proc/$pid/cmdline" ]] && tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q "Lime.Server.dll" || return 1
  echo "$pid"
}

remove_data() {
  if [[ -f "$data_file" ]]; then
    local data
    data="$(cat "$data_file")"
    # Only ever a directory this script made with mktemp.
    if [[ "$data" == "${TMPDIR:-/tmp}"/lime-bench-data.* && -d "$data" ]]; then
      rm -rf -- "$data"
    fi
    rm -f "$data_file"
  fi
}

start() {
  mkdir -p "$state"
  if pid="$(running_pid)"; then
    echo "already running: PID $pid on http://127.0.0.1:$port (stop it with: $0 stop)"
    return 0
  fi

  # Something else on the port would answer the readiness probe below in our server's place.
  if curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/" 2>/dev/null; then
    echo "port $port is already in use by another process; pick another with LIME_BENCH_PORT" >&2
    return 1
  fi

  echo "building Release server..."
  dotnet build -c Release --nologo -v q "$repo/src/Lime.Server/Lime.Server.csproj" >"$state/build.log" 2>&1 \
    || { cat "$state/build.log"; echo "build failed" >&2; return 1; }

  # One file descriptor per socket: the connections scenario holds ~19,000 of them. Raise the soft limit to the hard
  # limit (20,000 on the benchmark box); the bench itself needs the same in its own shell (`ulimit -n 20000`).
  ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

  local data
  data="$(mktemp -d "${TMPDIR:-/tmp}/lime-bench-data.XXXXXX")"
  echo "$data" > "$data_file"

  ASPNETCORE_URLS="http://127.0.0.1:$port" \
  ASPNETCORE_ENVIRONMENT=Production \
  Lime__Storage__DataDirectory="$data" \
  Lime__Limits__SendsPerSecond=1000000 \
  Lime__Limits__SendBurst=1000000 \
  Lime__Auth__LoginsPerAddressPerMinute=1000000 \
  Lime__Auth__RegistrationsPerAddressPerHour=1000000 \
  Lime__Auth__RefreshesPerAddressPerMinute=1000000 \
  Lime__Limits__RoomsPerHour=1000000 \
  Lime__Realtime__MaxSocketsPerUser=1000000 \
  Lime__Auth__PasswordIterations=1000 \
  Logging__LogLevel__Default=Warning \
    nohup dotnet "$dll" >"$log_file" 2>&1 < /dev/null &
  local pid=$!
  echo "$pid" > "$pid_file"

  for _ in $(seq 1 150); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "the server exited during start-up; log ($log_file):" >&2
      cat "$log_file" >&2
      rm -f "$pid_file"
      remove_data
      return 1
    fi
    if curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$port/readyz" 2>/dev/null; then
      echo "LIME server PID $pid on http://127.0.0.1:$port (data $data, log $log_file, open files $(ulimit -n))"
      return 0
    fi
    sleep 0.2
  done
  echo "the server did not become ready within 30 s (still running as PID $pid; stop it with: $0 stop); log ($log_file):" >&2
  cat "$log_file" >&2
  return 1
}

stop() {
  local pid
  if ! pid="$(running_pid)"; then
    echo "no bench server running (no live PID in $pid_file)"
    rm -f "$pid_file"
    return 0
  fi

  kill -TERM "$pid"
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "PID $pid ignored SIGTERM for 10 s; sending SIGKILL"
    kill -KILL "$pid"
  fi
  rm -f "$pid_file"
  echo "stopped PID $pid"
  remove_data
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  status)
    if pid="$(running_pid)"; then echo "running: PID $pid on http://127.0.0.1:$port"; else echo "not running"; fi ;;
  *) echo "usage: $0 [start|stop|status]" >&2; exit 2 ;;
esac
