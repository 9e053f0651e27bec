# Shared by the benchmark scripts: which databases to run on, the large seeded account (made
# once and kept between runs), starting the server and timing it to ready, memory readings.
# Source it from a script that has `cd`-ed to the repository's root.

BIN="${BENCH_BIN:-target/release/balcao}"
EXAMPLES=target/release/examples
PORT="${BENCH_PORT:-18091}"
BASE="http://127.0.0.1:$PORT"
# Databases to run on: `sqlite`, `postgres`, or both (the default).
BACKENDS="${BENCH_BACKENDS:-sqlite postgres}"
# The PostgreSQL server's maintenance database; benchmark databases are made beside it.
PG_ADMIN_URL="${BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432/postgres}"
# Where the seeded large account is kept between runs (SQLite files, seed outputs).
DATA_ROOT="${BENCH_DATA:-target/bench-data}"
# Size of the large account (arguments of `balcao seed`).
SEED_ARGS="${BENCH_SEED_ARGS:---contacts 100000 --tickets 200000 --messages 2000000}"

server_pid=""
bench_cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  server_pid=""
}

need_release() {
  for b in "$BIN" "$@"; do
    [ -x "$b" ] || { echo "build first: cargo build --release --bin balcao --examples" >&2; exit 1; }
  done
}

# The environment that points the server at backend $1's large account.
large_env() {
  case "$1" in
    sqlite) echo "BALCAO_DATA_DIR=$DATA_ROOT/sqlite" ;;
    postgres) echo "BALCAO_DATA_DIR=$DATA_ROOT/postgres BALCAO_DATABASE_URL=${PG_ADMIN_URL%/*}/balcao_bench_large" ;;
    *) echo "unknown backend $1" >&2; exit 2 ;;
  esac
}

# Seeds backend $1's large account unless the same seed is already there; prints the seed's
# output file (account, departments, token).
prepare_large() {
  local backend=$1 dir="$DATA_ROOT/$1"
  if [ -f "$dir/seed.out" ] && [ "$(cat "$dir/seed.args" 2>/dev/null)" = "$SEED_ARGS" ]; then
    echo "$dir/seed.out"; return
  fi
  rm -rf "$dir"; mkdir -p "$dir"
  if [ "$backend" = postgres ]; then
    psql -q "$PG_ADMIN_URL" -c 'DROP DATABASE IF EXISTS balcao_bench_large' -c 'CREATE DATABASE balcao_bench_large' >&2
  fi
  echo "== seeding the large account on $backend: balcao seed $SEED_ARGS" >&2
  # shellcheck disable=SC2046,SC2086
  env $(large_env "$backend") RUST_LOG=warn "$BIN" seed $SEED_ARGS >"$dir/seed.tmp"
  head -1 "$dir/seed.tmp" >&2
  mv "$dir/seed.tmp" "$dir/seed.out"
  echo "$SEED_ARGS" >"$dir/seed.args"
  echo "$dir/seed.out"
}

# Starts the server with the given environment (KEY=VALUE words) and waits until /readyz
# answers; sets server_pid and prints the milliseconds from start to ready.
start_server() {
  local log="$1"; shift
  python3 - "$BIN" "$PORT" "$log" "$@" <<'PY'
import os, socket, subprocess, sys, time
binary, port, log = sys.argv[1], int(sys.argv[2]), sys.argv[3]
env = dict(os.environ)
for kv in sys.argv[4:]:
    k, _, v = kv.partition("=")
    env[k] = v
env["BALCAO_LISTEN"] = f"127.0.0.1:{port}"
env.setdefault("RUST_LOG", "warn")
started = time.monotonic()
proc = subprocess.Popen([binary, "serve"], env=env, stdout=open(log, "w"), stderr=subprocess.STDOUT,
                        start_new_session=True)
request = f"GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()
while True:
    if proc.poll() is not None:
        sys.exit(f"the server stopped: see {log}")
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(request)
            if s.recv(64).startswith(b"HTTP/1.1 200"):
                break
    except OSError:
        pass
    if time.monotonic() - started > 60:
        sys.exit("the server was not ready after 60 s")
    time.sleep(0.001)
ready_ms = (time.monotonic() - started) * 1000
print(proc.pid, f"{ready_ms:.0f}")
PY
}

rss_mb() { awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }
# CPU time (user and system) process $1 has used, in milliseconds.
cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{printf "%d", ($14 + $15) * 1000 / hz}' "/proc/$1/stat"; }
hwm_mb() { awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }

# The environment of a fresh, empty database named $2 on backend $1 (made anew), with an admin
# made at the first start (bench@example.com / bench-password).
fresh_env() {
  local backend=$1 name=$2 dir="$DATA_ROOT/fresh-$2-$1"
  rm -rf "$dir"; mkdir -p "$dir"
  local env="BALCAO_DATA_DIR=$dir BALCAO_ADMIN_EMAIL=bench@example.com BALCAO_ADMIN_PASSWORD=bench-password"
  case "$backend" in
    sqlite) echo "$env" ;;
    postgres)
      psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS balcao_bench_$name" -c "CREATE DATABASE balcao_bench_$name" >&2
      echo "$env BALCAO_DATABASE_URL=${PG_ADMIN_URL%/*}/balcao_bench_$name" ;;
    *) echo "unknown backend $backend" >&2; exit 2 ;;
  esac
}

# An access token of the fresh database's admin.
admin_token() {
  curl -sf "$BASE/api/v1/oauth/token" -H 'content-type: application/json' \
    -d '{"grant_type":"password","username":"bench@example.com","password":"bench-password"}' |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}

# POSTs JSON $2 to API path $1 with token $TOKEN and prints the answer's field $3.
api_post() {
  curl -sf "$BASE$1" -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' -d "$2" |
    python3 -c "import json,sys; print(json.load(sys.stdin)['$3'])"
}
