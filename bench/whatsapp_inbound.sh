#!/usr/bin/env bash
# Inbound WhatsApp throughput: signed webhook notifications of new text messages (each storing
# the message, opening or updating a ticket, and its events) against `balcao serve` on SQLite.
# Loopback only, bounded by the message count. Needs: a release build of the server and of the
# load generator (cargo build --release --example inbound_load), curl, python3.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=target/release/balcao
LOAD=target/release/examples/inbound_load
PORT="${BENCH_PORT:-18091}"
MESSAGES="${BENCH_MESSAGES:-20000}"
CONCURRENCY="${BENCH_CONNECTIONS:-32}"
PER="${BENCH_PER_NOTIFICATION:-1}"
CUSTOMERS="${BENCH_CUSTOMERS:-2000}"
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT

[ -x "$BIN" ] && [ -x "$LOAD" ] || { echo "build first: cargo build --release --bin balcao --example inbound_load" >&2; exit 1; }

# BENCH_POSTGRES=postgres://user@host/postgres runs on a fresh database made there.
db_env=()
if [ -n "${BENCH_POSTGRES:-}" ]; then
  psql -q "$BENCH_POSTGRES" -c 'DROP DATABASE IF EXISTS balcao_bench' -c 'CREATE DATABASE balcao_bench'
  db_env=(BALCAO_DATABASE_URL="${BENCH_POSTGRES%/*}/balcao_bench")
fi
env "${db_env[@]}" BALCAO_LISTEN="127.0.0.1:$PORT" BALCAO_DATA_DIR="$work/data" BALCAO_ADMIN_EMAIL=bench@example.com \
  BALCAO_ADMIN_PASSWORD=bench-password RUST_LOG="${RUST_LOG:-warn}" "$BIN" serve >"$work/log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done

access=$(curl -sf "http://127.0.0.1:$PORT/api/v1/oauth/token" -H 'content-type: application/json' \
  -d '{"grant_type":"password","username":"bench@example.com","password":"bench-password"}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
connection=$(curl -sf "http://127.0.0.1:$PORT/api/v1/connections" -H "authorization: Bearer $access" \
  -H 'content-type: application/json' \
  -d '{"type":"whatsapp_cloud","name":"bench","settings":{"phone_number_id":"100000000000001","access_token":"x","app_secret":"bench-secret"}}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')

# Baseline: the same requests to the same server, answered 401 by the same router and layers
# before any database work (the path names no connection).
echo "== baseline: the same notifications refused before the database, $CONCURRENCY concurrent"
baseline=$("$LOAD" "http://127.0.0.1:$PORT/webhooks/whatsapp/baseline" bench-secret "$MESSAGES" "$CONCURRENCY" "$PER" "$CUSTOMERS")
echo "$baseline"
echo "== $MESSAGES inbound text messages, $PER per notification, $CUSTOMERS customers, $CONCURRENCY concurrent"
stored_run=$("$LOAD" "http://127.0.0.1:$PORT/webhooks/whatsapp/$connection" bench-secret "$MESSAGES" "$CONCURRENCY" "$PER" "$CUSTOMERS")
echo "$stored_run"
rate() { sed -E 's/.* ([0-9]+) messages\/s.*/\1/' <<<"$1"; }
python3 -c "import sys; print(f'stored / baseline: {int(sys.argv[1]) / int(sys.argv[2]):.2f}')" "$(rate "$stored_run")" "$(rate "$baseline")"
stored=$(curl -sf "http://127.0.0.1:$PORT/metrics" | awk '/^balcao_db_statements_total/ {print $2}')
echo "database statements run: $stored"
echo "RSS after load: $(awk '/VmRSS/ {print $2 " " $3}' /proc/$pid/status)"
