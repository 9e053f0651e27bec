#!/usr/bin/env bash
# Webhook deliveries per second to a local receiver: BENCH_EVENTS inbound messages are made
# with the server's workers off (each a `message.created` event for one subscription), then
# the receiver and the server with its workers on are started and the backlog is dispatched
# and delivered; the rate is deliveries received per second, first to last. Runs on SQLite
# and on PostgreSQL (BENCH_BACKENDS=sqlite or postgres for one), each on a fresh database.
# Needs: cargo build --release --bin balcao --examples; curl; python3; psql for PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
receiver_pid=""
cleanup() { bench_cleanup; [ -z "$receiver_pid" ] || kill "$receiver_pid" 2>/dev/null || true; }
trap cleanup EXIT
need_release "$EXAMPLES/bench_webhooks"
EVENTS="${BENCH_EVENTS:-20000}"
RECEIVER_PORT="${BENCH_RECEIVER_PORT:-18093}"

for backend in $BACKENDS; do
  env_words=$(fresh_env "$backend" webhooks)
  # shellcheck disable=SC2086
  read -r server_pid _ < <(start_server "$DATA_ROOT/webhooks-$backend.log" $env_words BALCAO_WORKERS=false)
  TOKEN=$(admin_token)
  connection=$(api_post /api/v1/connections '{"type":"webchat","name":"Site"}' id)
  contact=$(api_post /api/v1/contacts "{\"name\":\"Cliente\",\"phone\":\"11912345678\",\"connection_id\":\"$connection\"}" id)
  api_post /api/v1/webhooks "{\"name\":\"bench\",\"url\":\"http://127.0.0.1:$RECEIVER_PORT/hook\",\"events\":[\"message.created\"]}" id >/dev/null
  echo
  echo "== $backend: $("$EXAMPLES/bench_webhooks" make "$BASE" "$TOKEN" "$contact" "$EVENTS" 16) (workers off)"
  bench_cleanup
  # The first message opens the ticket, which adds its system message: one event more.
  "$EXAMPLES/bench_webhooks" receive "$RECEIVER_PORT" $((EVENTS + 1)) >"$DATA_ROOT/webhooks-receiver.out" &
  receiver_pid=$!
  until grep -q listening "$DATA_ROOT/webhooks-receiver.out" 2>/dev/null; do sleep 0.05; done
  # shellcheck disable=SC2086
  read -r server_pid _ < <(start_server "$DATA_ROOT/webhooks-$backend.log" $env_words)
  wait "$receiver_pid"
  receiver_pid=""
  echo
  echo "| deliveries | seconds (first to last) | deliveries/s |"
  echo "|---|---|---|"
  tail -1 "$DATA_ROOT/webhooks-receiver.out"
  echo
  echo "RSS after the deliveries: $(rss_mb "$server_pid") MB (peak $(hwm_mb "$server_pid") MB)"
  bench_cleanup
done
