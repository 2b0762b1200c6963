# Shared by the bench/*.sh scripts (sourced, not run).

# Waits (at most 30 s) until a server wrote its "listening on HOST:PORT" line to FILE;
# prints the port.
wait_listening() {
  for _ in $(seq 300); do
    port=$(sed -n 's/.*listening on [0-9.]*:\([0-9]*\).*/\1/p' "$1" | head -1)
    [ -n "$port" ] && { echo "$port"; return; }
    sleep 0.1
  done
  echo "bench: no server came up (see $1)" >&2; cat "$1" >&2; exit 1
}

# Prints a Python expression over the JSON on standard input, bound to d.
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# Starts stats-service on DATA following catalog-service on CATALOG_PORT (and cert-store
# on CERTIFICATES_PORT when given), pinned to TODAY, output in WORK/stats.{out,err};
# appends its pid to pids and sets stats_port. STATS_FLAGS: more flags.
start_stats() {
  local certificates=()
  [ -n "${5:-}" ] && certificates=(--certificates "127.0.0.1:$5")
  "$bin/stats-service" --data "$1" --catalog "127.0.0.1:$2" "${certificates[@]}" --today "$3" ${STATS_FLAGS:-} >"$4/stats.out" 2>"$4/stats.err" &
  pids+=($!)
  stats_port=$(wait_listening "$4/stats.out")
}

# Waits until the read model in DATA holds every event of the catalog feed and the
# indexes of a bulk load are built.
wait_read_model() {
  local head seq
  head=$(sqlite3 "$1/catalog.sqlite" "SELECT max(seq) FROM feed_events")
  while :; do
    seq=$(sqlite3 "$1/stats.sqlite" "SELECT coalesce((SELECT seq FROM feed_positions WHERE feed = 'catalog'), 0)
      * NOT EXISTS (SELECT 1 FROM read_model_state WHERE key = 'bulk_load')" 2>/dev/null || echo 0)
    [ "${seq:-0}" -ge "$head" ] && break
    sleep 0.05
  done
}

# Builds PRODUCTS in release mode and sets up one run: bin, work (removed at exit, with
# every pid in pids stopped), data with the mesh token and a session key in the
# environment, as `certportal up` would keep them.
bench_setup() {
  for product in "$@"; do swift build -c release --product "$product" >/dev/null; done
  bin=$PWD/.build/release
  export CERTPORTAL_LOG_LEVEL=warning
  work=$(mktemp -d)
  pids=()
  trap 'for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"' EXIT
  data=$work/data
  mkdir -p "$data/run"
  export CERTPORTAL_MESH_TOKEN=bench-token
  echo "$CERTPORTAL_MESH_TOKEN" > "$data/run/mesh-token"
  CERTPORTAL_SESSION_KEY=$(python3 -c "import os; print(os.urandom(32).hex())")
  export CERTPORTAL_SESSION_KEY
}

# Starts catalog-service on DATA (output in WORK/catalog.*); sets catalog_port.
start_catalog() {
  "$bin/catalog-service" --data "$1" >"$2/catalog.out" 2>"$2/catalog.err" &
  pids+=($!)
  catalog_port=$(wait_listening "$2/catalog.out")
}

# Starts cert-store on DATA following catalog-service on CATALOG_PORT, pinned to TODAY
# (output in WORK/certs.*); sets certs_port.
start_cert_store() {
  "$bin/cert-store" --data "$1" --catalog "127.0.0.1:$2" --today "$3" >"$4/certs.out" 2>"$4/certs.err" &
  pids+=($!)
  certs_port=$(wait_listening "$4/certs.out")
}

# Prints, in hex, protobuf field FIELD holding the packed varints that follow.
packed_varints() {
  python3 - "$@" <<'PY'
import sys
def varint(n):
    out = b''
    while True:
        byte = n & 0x7f
        n >>= 7
        out += bytes([byte | (0x80 if n else 0)])
        if not n: return out
packed = b''.join(varint(int(i)) for i in sys.argv[2:])
print((bytes([int(sys.argv[1]) << 3 | 2]) + varint(len(packed)) + packed).hex())
PY
}
