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
# appends its pid to pids and sets stats_port.
start_stats() {
  local certificates=()
  [ -n "${5:-}" ] && certificates=(--certificates "127.0.0.1:$5")
  "$bin/stats-service" --data "$1" --catalog "127.0.0.1:$2" "${certificates[@]}" --today "$3" >"$4/stats.out" 2>"$4/stats.err" &
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
