#!/usr/bin/env bash
# Realtime fan-out: 1 to 2,000 clients hold the event stream open while inbound messages
# arrive; p50 / p99 / max from a message's arrival to its event at every client. Runs on SQLite
# and on PostgreSQL (BENCH_BACKENDS=sqlite or postgres for one), each on a fresh database.
# Needs: cargo build --release --bin balcao --examples; curl; python3; psql for PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
trap bench_cleanup EXIT
need_release "$EXAMPLES/bench_realtime"
LEVELS="${BENCH_CLIENTS:-1,100,500,1000,2000}"
MESSAGES="${BENCH_MESSAGES:-40}"
GAP_MS="${BENCH_GAP_MS:-50}"
# Each stream is a connection on both ends.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

for backend in $BACKENDS; do
  # shellcheck disable=SC2046
  read -r server_pid ready_ms < <(start_server "$DATA_ROOT/realtime-$backend.log" $(fresh_env "$backend" realtime))
  TOKEN=$(admin_token)
  connection=$(api_post /api/v1/connections '{"type":"webchat","name":"Site"}' id)
  contact=$(api_post /api/v1/contacts "{\"name\":\"Cliente\",\"phone\":\"11912345678\",\"connection_id\":\"$connection\"}" id)
  echo
  echo "== $backend: $MESSAGES inbound messages $GAP_MS ms apart per level"
  echo
  "$EXAMPLES/bench_realtime" "$BASE" "$TOKEN" "$contact" "$LEVELS" "$MESSAGES" "$GAP_MS"
  echo
  echo "RSS with the streams open: $(rss_mb "$server_pid") MB (peak $(hwm_mb "$server_pid") MB)"
  bench_cleanup
done
