#!/usr/bin/env bash
# Records benchmark (issue 3): on BENCH_RECORDS (default 1,000,000) generated records,
# prints side by side from one run on this machine:
#   1. import rate through catalog-service (certportal import records), next to sqlite3's
#      own `.import --csv` of the same file into a bare table;
#   2. read-model rebuild rate: stats-service building its database from the catalog feed;
#   3. the stats bar and the first page of the current year's table through the RPC
#      (certportal load, one call at a time), next to the same figures computed by the
#      sqlite3 tool with hand-written SQL on the same read model.
# Not a test: it only prints. BENCH_SECONDS (default 5) sets each latency run's length.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
records=${BENCH_RECORDS:-1000000}
seconds=${BENCH_SECONDS:-5}
today=2026-06-15

scripts/install-deps
for product in certportal catalog-service stats-service; do swift build -c release --product "$product" >/dev/null; done
bin=$PWD/.build/release
export CERTPORTAL_LOG_LEVEL=warning

work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
now() { date +%s.%N; }
echo "generating $records records…"
"$bin/certportal" generate records --count "$records" --seed 7 --today "$today" --out "$work/records.csv"
size=$(stat -c %s "$work/records.csv")

data=$work/data
token=bench-token
export CERTPORTAL_MESH_TOKEN=$token
start_catalog "$data" "$work"

start=$(now)
"$bin/certportal" import records "$work/records.csv" --data "$data" --quiet
import_seconds=$(python3 -c "print($(now) - $start)")

start=$(now)
sqlite3 "$work/bare.sqlite" ".import --csv $work/records.csv bare"
sqlite_import_seconds=$(python3 -c "print($(now) - $start)")

# The read model, built from nothing while we watch its position.
start=$(now)
# Without the answer cache: each call counts and pages afresh, as the hand-written SQL does
# (with it, a repeated view is answered from the cache in well under a millisecond).
STATS_FLAGS=--no-answer-cache start_stats "$data" "$catalog_port" "$today" "$work"
head=$(sqlite3 "$data/catalog.sqlite" "SELECT max(seq) FROM feed_events")
wait_read_model "$data"
rebuild_seconds=$(python3 -c "print($(now) - $start)")

# Requests as protobuf bytes: RecordFilter{from, to} for the current year; ListRecords
# with that filter and a page of 50.
filter_hex=$(python3 -c "
f = lambda n, s: bytes([n << 3 | 2, len(s)]) + s
flt = f(1, b'2026-01-01') + f(2, b'2026-12-31')
print(flt.hex())")
list_hex=$(python3 -c "
flt = bytes.fromhex('$filter_hex')
print((bytes([1 << 3 | 2, len(flt)]) + flt + bytes([3 << 3, 50])).hex())")
load() {
  "$bin/certportal" load --port "$stats_port" --method "$1" --request-hex "$2" --metadata cp-principal=admin \
    --concurrency 1 --duration "$seconds" --warmup 1 --json
}
summary_json=$(load /certportal.stats.v1.Stats/Summary "$filter_hex")
page_json=$(load /certportal.stats.v1.Stats/ListRecords "$list_hex")

# The same figures by hand in the sqlite3 tool, on the same database file.
status="CASE WHEN result = 'fail' THEN 'failed' WHEN completion > '$today' THEN 'booked' WHEN has_certificate = 0 THEN 'pending'
  WHEN expiry IS NULL OR expiry > '2026-12-31' THEN 'certified' WHEN expiry >= '$today' THEN 'expiring'
  WHEN rebooked <> 0 THEN 'rebooked' ELSE 'expired' END"
where="completion >= '2026-01-01' AND completion <= '2026-12-31'"
summary_sql="SELECT $status AS s, count(*) FROM records WHERE $where GROUP BY s;"
page_sql="SELECT *, $status FROM records WHERE $where ORDER BY completion DESC, id DESC LIMIT 51;"
sql_time() {  # median wall time (ms) of 21 runs of $1 inside one sqlite3 session
  { echo ".timer on"; echo ".output /dev/null"; for _ in $(seq 21); do echo "$1"; done; } |
    sqlite3 "$data/stats.sqlite" 2>&1 | awk '/Run Time/ { print $4 * 1000 }' | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}
sql_summary_ms=$(sql_time "$summary_sql")
sql_page_ms=$(sql_time "$page_sql")
# ListRecords answers the stats bar and the page in one call: compare with both queries.
sql_both_ms=$(python3 -c "print($sql_summary_ms + $sql_page_ms)")

python3 - "$records" "$size" "$import_seconds" "$sqlite_import_seconds" "$rebuild_seconds" "$head" \
  "$(echo "$summary_json" | json 'd["latency_us"]["p50"]')" "$(echo "$summary_json" | json 'd["latency_us"]["p99"]')" \
  "$(echo "$page_json" | json 'd["latency_us"]["p50"]')" "$(echo "$page_json" | json 'd["latency_us"]["p99"]')" \
  "$sql_summary_ms" "$sql_both_ms" <<'PY'
import sys
(records, size, imp, sqlimp, rebuild, events, sum50, sum99, page50, page99, sqlsum, sqlboth) = (float(x) for x in sys.argv[1:])
print(f"\nrecords: {records:,.0f} ({size / 1048576:.0f} MB of CSV)")
print(f"{'':34} {'CertPortal':>14} {'reference':>14}  goal")
print(f"{'import, rows/s':34} {records / imp:>14,.0f} {records / sqlimp:>14,.0f}  ≥ 50,000 (reference: sqlite3 .import into a bare table)")
print(f"{'read-model rebuild, events/s':34} {events / rebuild:>14,.0f} {'':>14}  ≥ 50,000")
print(f"{'stats bar, ms (p50 / p99 RPC)':34} {sum50 / 1000:>7.1f}/{sum99 / 1000:<6.1f} {sqlsum:>14.1f}  ≤ 1.5× sqlite3 and < 100 ms")
print(f"{'stats bar + first page, ms':34} {page50 / 1000:>7.1f}/{page99 / 1000:<6.1f} {sqlboth:>14.1f}  ≤ 1.5× sqlite3 and < 100 ms")
print(f"ratios (p50): stats bar {sum50 / 1000 / sqlsum:.2f}×, stats bar + page {page50 / 1000 / sqlboth:.2f}× the hand-written SQL")
PY
