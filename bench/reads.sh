#!/usr/bin/env bash
# Reads on the large account (100,000 contacts, 200,000 tickets, 2,000,000 messages over a
# year, made once by `balcao seed` and kept in target/bench-data): p50 / p99 of the inbox list
# of a department, a conversation page, contact search by phone fragment, a Digisac `query=`
# ticket list, the Digisac dashboard over a year and message text search; plus time from start
# to ready and memory.
# Runs on SQLite and on PostgreSQL (BENCH_BACKENDS=sqlite or postgres for one).
# Needs: cargo build --release --bin balcao --examples; python3; psql for PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
trap bench_cleanup EXIT
need_release "$EXAMPLES/bench_reads"
REQUESTS="${BENCH_REQUESTS:-1000}"
CONCURRENCY="${BENCH_CONCURRENCY:-1}"

for backend in $BACKENDS; do
  out=$(prepare_large "$backend")
  token=$(awk -F'\t' '$1 == "token" {print $2}' "$out")
  # shellcheck disable=SC2046
  read -r server_pid ready_ms < <(start_server "$DATA_ROOT/$backend/server.log" $(large_env "$backend"))
  sleep 2
  idle=$(rss_mb "$server_pid")
  echo
  echo "== $backend: $(head -1 "$out" | sed 's/ in .*//')"
  echo "start to ready: $ready_ms ms; RSS idle: $idle MB"
  echo "$REQUESTS requests per query, $CONCURRENCY at a time"
  echo
  "$EXAMPLES/bench_reads" "$BASE" "$token" "$REQUESTS" "$CONCURRENCY"
  echo
  echo "RSS after the reads: $(rss_mb "$server_pid") MB (peak $(hwm_mb "$server_pid") MB)"
  bench_cleanup
done
