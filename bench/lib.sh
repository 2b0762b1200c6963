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
