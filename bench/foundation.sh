#!/usr/bin/env bash
# Foundation figures: idle memory of `balcao serve` on SQLite, and latency/throughput of an
# authenticated read (`GET /api/v1/me` with a personal token: token hash, indexed lookup,
# user and account reads) and of `/healthz` as the floor. Loopback only, bounded in time.
# Needs: a release build (cargo build --release), wrk, curl, python3.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=target/release/balcao
PORT="${BENCH_PORT:-18090}"
DURATION="${BENCH_DURATION:-10s}"
CONNECTIONS="${BENCH_CONNECTIONS:-16}"
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT

[ -x "$BIN" ] || { echo "build first: cargo build --release" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 1; }

BALCAO_LISTEN="127.0.0.1:$PORT" BALCAO_DATA_DIR="$work/data" BALCAO_ADMIN_EMAIL=bench@example.com \
  BALCAO_ADMIN_PASSWORD=bench-password RUST_LOG=warn "$BIN" serve >"$work/log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done

sleep 2
echo "idle RSS after start: $(awk '/VmRSS/ {print $2 " " $3}' /proc/$pid/status)"

access=$(curl -sf "http://127.0.0.1:$PORT/api/v1/oauth/token" -H 'content-type: application/json' \
  -d '{"grant_type":"password","username":"bench@example.com","password":"bench-password"}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
token=$(curl -sf "http://127.0.0.1:$PORT/api/v1/tokens" -H "authorization: Bearer $access" \
  -H 'content-type: application/json' -d '{"name":"bench"}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')

echo
echo "== GET /healthz ($CONNECTIONS connections, $DURATION)"
wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency "http://127.0.0.1:$PORT/healthz" | grep -E 'Requests/sec|  50%|  99%'
echo
echo "== GET /api/v1/me with a personal token ($CONNECTIONS connections, $DURATION)"
wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency -H "Authorization: Bearer $token" \
  "http://127.0.0.1:$PORT/api/v1/me" | grep -E 'Requests/sec|  50%|  99%|Non-2xx'
echo
echo "RSS after load: $(awk '/VmRSS/ {print $2 " " $3}' /proc/$pid/status)"
