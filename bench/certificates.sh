#!/usr/bin/env bash
# Certificates benchmark (issue 5): prints side by side from one run on this machine:
#   1. certificates issued per second (PDF rendered with cairo and pango, stored with
#      synchronous=FULL, announced on the feed), batches of BENCH_BATCH records through
#      cert-store's IssueBatch, one batch at a time, both render threads busy;
#   2. when the gateway has its certificate endpoints: upload and download of a 10 MB file
#      through the gateway (HTTP, curl) next to the same bytes through a raw TCP socket.
# Not a test: it only prints. BENCH_SECONDS (default 10) sets the issue run's length.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
seconds=${BENCH_SECONDS:-10}
batch=${BENCH_BATCH:-200}
today=2026-06-15

scripts/install-deps
for product in certportal catalog-service cert-store stats-service gateway; do swift build -c release --product "$product" >/dev/null; done
bin=$PWD/.build/release
export CERTPORTAL_LOG_LEVEL=warning

work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
data=$work/data
mkdir -p "$data/run"
export CERTPORTAL_MESH_TOKEN=bench-token
echo "$CERTPORTAL_MESH_TOKEN" > "$data/run/mesh-token"
export CERTPORTAL_SESSION_KEY=$(python3 -c "import os; print(os.urandom(32).hex())")

"$bin/certportal" generate records --count 2000 --seed 7 --today "$today" --out "$work/records.csv" >/dev/null
"$bin/catalog-service" --data "$data" >"$work/catalog.out" 2>"$work/catalog.err" &
pids+=($!)
catalog_port=$(wait_listening "$work/catalog.out")
"$bin/certportal" import records "$work/records.csv" --data "$data" --quiet >/dev/null
"$bin/cert-store" --data "$data" --catalog "127.0.0.1:$catalog_port" --today "$today" >"$work/certs.out" 2>"$work/certs.err" &
pids+=($!)
certs_port=$(wait_listening "$work/certs.out")

# The finished, passed records (the ones a certificate may be issued for), from the catalog.
ids=$(sqlite3 "$data/catalog.sqlite" "SELECT a.id FROM attendees a JOIN schedules s ON s.id = a.schedule_id
  WHERE coalesce(a.result, '') <> 'fail' AND substr(s.end, 1, 10) <= '$today' ORDER BY a.id LIMIT $batch" | tr '\n' ' ')
request_hex=$(python3 - $ids <<'PY'
import sys
def varint(n):
    out = b''
    while True:
        byte = n & 0x7f
        n >>= 7
        out += bytes([byte | (0x80 if n else 0)])
        if not n: return out
packed = b''.join(varint(int(i)) for i in sys.argv[1:])
print((bytes([1 << 3 | 2]) + varint(len(packed)) + packed).hex())   # IssueBatchRequest.record_ids (packed)
PY
)
count=$(echo $ids | wc -w)
issue_json=$("$bin/certportal" load --port "$certs_port" --method /certportal.certificates.v1.Certificates/IssueBatch \
  --shape server-streaming --request-hex "$request_hex" --metadata cp-principal=admin --concurrency 1 \
  --duration "$seconds" --warmup 1 --timeout-ms 600000 --json)

python3 - "$count" "$issue_json" <<'PY'
import json, sys
count, report = int(sys.argv[1]), json.loads(sys.argv[2])
batches = report["calls_per_second"]
print(f"\ncertificates issued: batches of {count} through cert-store (IssueBatch), one batch at a time")
print(f"{'certificates/s':34} {batches * count:>10,.0f}   goal ≥ 100 on this machine, both cores")
print(f"{'batch latency p50 / p99, s':34} {report['latency_us']['p50'] / 1e6:>6.2f} / {report['latency_us']['p99'] / 1e6:.2f}")
failures = sum(report.get('failures', {}).values())
if failures: print(f"failures: {report['failures']}")
PY
