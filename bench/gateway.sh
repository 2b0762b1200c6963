#!/usr/bin/env bash
# Gateway benchmark (issue 4): on BENCH_RECORDS (default 100,000) generated records,
# prints side by side from one run: `GET /api/records` (first page of the current year,
# as the admin) through the gateway with wrk, 50 connections, next to the same request
# made directly to stats-service over CPRPC/1 with `certportal load`, 50 calls in flight.
# Not a test: it only prints. BENCH_SECONDS (default 10) sets each run's length.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
records=${BENCH_RECORDS:-100000}
seconds=${BENCH_SECONDS:-10}
connections=${BENCH_CONNECTIONS:-50}
today=2026-06-15

scripts/install-deps
command -v wrk >/dev/null || { DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends wrk >/dev/null; }
bench_setup certportal catalog-service cert-store stats-service gateway

echo "generating and importing $records records…"
"$bin/certportal" generate records --count "$records" --seed 7 --today "$today" --out "$work/records.csv"
start_catalog "$data" "$work"
"$bin/certportal" import records "$work/records.csv" --data "$data" --quiet
echo bench-password-1 | "$bin/certportal" user add bench@example.com --role admin --password-stdin --data "$data" >/dev/null
start_cert_store "$data" "$catalog_port" "$today" "$work"
start_stats "$data" "$catalog_port" "$today" "$work" "$certs_port"
"$bin/gateway" --data "$data" --port 0 --catalog "127.0.0.1:$catalog_port" --stats "127.0.0.1:$stats_port" \
  --certificates "127.0.0.1:$certs_port" --today "$today" \
  >"$work/gateway.out" 2>"$work/gateway.err" &
pids+=($!)
gateway_port=$(wait_listening "$work/gateway.out")
wait_read_model "$data"

cookie=$(curl -s -D - -o /dev/null -H 'Content-Type: application/json' \
  -d '{"email":"bench@example.com","password":"bench-password-1"}' "http://127.0.0.1:$gateway_port/api/session" |
  sed -n 's/^[Ss]et-[Cc]ookie: \([^;]*\).*/\1/p')
[ -n "$cookie" ] || { echo "bench: could not log in" >&2; cat "$work/gateway.err" >&2; exit 1; }
url="http://127.0.0.1:$gateway_port/api/records?from=2026-01-01&to=2026-12-31&page_size=50"
curl -sf -H "Cookie: $cookie" "$url" >/dev/null

# wrk's Lua hook prints the latency percentiles in microseconds, one per line.
cat > "$work/report.lua" <<'LUA'
done = function(summary, latency, requests)
  io.write(string.format("requests %d\nseconds %f\nerrors %d\n", summary.requests, summary.duration / 1e6,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout))
  for _, p in ipairs({ 50, 90, 99, 99.9 }) do io.write(string.format("p%s %d\n", p, latency:percentile(p))) end
  io.write(string.format("max %d\n", latency.max))
end
LUA
list_hex=$(python3 -c "
f = lambda n, s: bytes([n << 3 | 2, len(s)]) + s
flt = f(1, b'2026-01-01') + f(2, b'2026-12-31')
print((f(1, flt) + bytes([3 << 3, 50])).hex())")

# One table per number in flight: the load the goal names, then one at a time (the
# gateway's own cost, without queueing behind other requests on two cores).
measure() {
  local connections=$1 threads=$(( $1 < 2 ? 1 : 2 ))
  wrk -t"$threads" -c"$connections" -d2s -H "Cookie: $cookie" "$url" >/dev/null   # warm-up
  local gateway_report direct_json
  gateway_report=$(wrk -t"$threads" -c"$connections" -d"${seconds}s" -H "Cookie: $cookie" -s "$work/report.lua" "$url")
  direct_json=$("$bin/certportal" load --port "$stats_port" --method /certportal.stats.v1.Stats/ListRecords --request-hex "$list_hex" \
    --metadata cp-principal=admin --connections "$(( $1 < 4 ? $1 : 4 ))" --concurrency "$connections" --duration "$seconds" --warmup 2 --json)
  python3 - "$records" "$connections" "$direct_json" "$gateway_report" <<'PY'
import json, sys
records, connections, direct, report = int(sys.argv[1]), int(sys.argv[2]), json.loads(sys.argv[3]), sys.argv[4]
keys = {"requests", "seconds", "errors", "p50", "p90", "p99", "p99.9", "max"}
g = {line.split()[0]: float(line.split()[1]) for line in report.strip().splitlines()
     if len(line.split()) == 2 and line.split()[0] in keys}
d = direct["latency_us"]
print(f"\nrecords: {records:,}; GET /api/records, first page (50) of the current year with the stats bar, {connections} in flight")
print(f"{'':26} {'gateway (HTTP, wrk)':>20} {'stats-service (CPRPC/1)':>24}")
print(f"{'requests/s':26} {g['requests'] / g['seconds']:>20,.0f} {direct['calls_per_second']:>24,.0f}")
for p in ["p50", "p90", "p99"]:
    print(f"{p + ' latency, ms':26} {g[p] / 1000:>20.2f} {d[p] / 1000:>24.2f}")
print(f"{'max latency, ms':26} {g['max'] / 1000:>20.2f} {d['max'] / 1000:>24.2f}")
print(f"errors: gateway {g['errors']:.0f}, direct {sum(direct.get('failures', {}).values())}")
print(f"gateway overhead at p50: {(g['p50'] - d['p50']) / 1000:.2f} ms (goal < 2 ms); gateway p99 {g['p99'] / 1000:.1f} ms (goal < 50 ms)")
PY
}
measure "$connections"
[ "$connections" -eq 1 ] || measure 1
