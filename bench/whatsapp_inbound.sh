#!/usr/bin/env bash
# Inbound WhatsApp: signed webhook notifications of new text messages (each storing the
# message, opening or updating a ticket, and its events; new and returning customers mixed)
# against `balcao serve` on a fresh database. Per database:
#   1. the bare-HTTP baseline: the same notifications to a path naming no connection, refused
#      (401) by the same router and layers before any database work, closed-loop;
#   2. closed-loop: BENCH_CONNECTIONS clients sending as fast as they are answered;
#   3. open-loop at rising rates (BENCH_RATES, notifications/s, BENCH_STEP_SECONDS each): the
#      highest rate sustained (every message stored, ≥ 95 % of the offered rate, p99 ≤ 100 ms);
#   4. memory: RSS idle before the load and its peak under it; the server's CPU time per
#      message in the closed-loop run (steadier than rates on a machine shared with others).
# Runs on SQLite and on PostgreSQL (BENCH_BACKENDS=sqlite or postgres for one).
# Needs: cargo build --release --bin balcao --examples; curl; python3; psql for PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
trap bench_cleanup EXIT
LOAD="$EXAMPLES/inbound_load"
need_release "$LOAD"
MESSAGES="${BENCH_MESSAGES:-20000}"
CONCURRENCY="${BENCH_CONNECTIONS:-32}"
PER="${BENCH_PER_NOTIFICATION:-1}"
CUSTOMERS="${BENCH_CUSTOMERS:-2000}"
RATES="${BENCH_RATES:-500 1000 1500 2000 2500 3000}"
STEP_SECONDS="${BENCH_STEP_SECONDS:-5}"
IN_FLIGHT="${BENCH_IN_FLIGHT:-1024}"
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

field() { sed -E "s#.* ([0-9.]+) $1.*#\\1#" <<<"$2"; }

for backend in $BACKENDS; do
  # shellcheck disable=SC2046
  read -r server_pid _ < <(start_server "$DATA_ROOT/inbound-$backend.log" $(fresh_env "$backend" inbound))
  TOKEN=$(admin_token)
  connection=$(api_post /api/v1/connections \
    '{"type":"whatsapp_cloud","name":"bench","settings":{"phone_number_id":"100000000000001","access_token":"x","app_secret":"bench-secret"}}' id)
  idle=$(rss_mb "$server_pid")
  hook="$BASE/webhooks/whatsapp/$connection"
  echo
  echo "== $backend: RSS idle $idle MB"
  baseline=$("$LOAD" "$BASE/webhooks/whatsapp/baseline" bench-secret "$MESSAGES" "$CONCURRENCY" "$PER" "$CUSTOMERS")
  echo "baseline (refused before the database), $CONCURRENCY concurrent: $baseline"
  cpu_before=$(cpu_ms "$server_pid")
  closed=$(INBOUND_RUN=0 "$LOAD" "$hook" bench-secret "$MESSAGES" "$CONCURRENCY" "$PER" "$CUSTOMERS")
  cpu=$(( $(cpu_ms "$server_pid") - cpu_before ))
  echo "closed-loop, $CONCURRENCY concurrent: $closed"
  echo "server CPU time: $cpu ms, $(( cpu * 1000000 / (MESSAGES * PER) / 1000 )) µs per message"
  python3 -c "import sys; print(f'stored / baseline: {float(sys.argv[1]) / float(sys.argv[2]):.3f}')" \
    "$(field messages/s "$closed")" "$(field messages/s "$baseline")"
  echo
  echo "| offered notifications/s | messages/s stored | p50 (ms) | p99 (ms) | failures | sustained |"
  echo "|---|---|---|---|---|---|"
  best=0; run=1
  for rate in $RATES; do
    n=$((rate * STEP_SECONDS))
    out=$(INBOUND_RUN=$run "$LOAD" "$hook" bench-secret "$n" "$IN_FLIGHT" "$PER" "$CUSTOMERS" "$rate")
    run=$((run + 1))
    stored=$(field messages/s "$out"); p50=$(field "ms, p99" "$out"); p99=$(sed -E 's/.*p99 ([0-9.]+) ms.*/\1/' <<<"$out")
    failures=$(sed -E 's/.*failures ([0-9]+).*/\1/' <<<"$out")
    causes=$(sed -nE 's/.*failures [0-9]+ (\(.*\)).*/ \1/p' <<<"$out")
    ok=$(python3 -c "import sys; r,s,p,f=float(sys.argv[1]),float(sys.argv[2]),float(sys.argv[3]),int(sys.argv[4]); print('yes' if f==0 and s>=0.95*r*$PER and p<=100 else 'no')" \
      "$rate" "$stored" "$p99" "$failures")
    echo "| $rate | $stored | $p50 | $p99 | $failures$causes | $ok |"
    [ "$ok" = yes ] && best=$((rate * PER))
  done
  echo
  echo "highest sustained: $best messages/s; RSS peak under the load: $(hwm_mb "$server_pid") MB, now $(rss_mb "$server_pid") MB"
  echo "database statements run: $(curl -sf "$BASE/metrics" | awk '/^balcao_db_statements_total/ {print $2}')"
  bench_cleanup
done
