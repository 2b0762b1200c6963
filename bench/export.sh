#!/usr/bin/env bash
# Export benchmark (issue 6): prints side by side from one run on this machine:
#   1. the records report: the whole read model as CSV through export-service (RecordsCSV,
#      pages of 1,000 from stats-service, formulas neutralised, streamed), rows/s, next to
#      `sqlite3 -csv` printing the same columns of the same read model file;
#   2. certificates as one ZIP: BENCH_ZIP issued certificates through export-service
#      (CertificatesZIP: cert-store's Bundle a batch of records at a time, streamed into
#      libarchive), files/s and MB/s, next to `bsdtar --format zip` of the same files on disk
#      (deflated, its default, and stored, as export-service stores PDFs);
#   3. BENCH_CONCURRENT (default 20) such ZIPs at once, with export-service's peak memory
#      (the load tool's --watch-pid: VmHWM from the run's start).
# Not a test: it only prints. BENCH_RECORDS (default 1000000), BENCH_ZIP (default 1000),
# BENCH_SECONDS (default 5) per RPC figure.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
records=${BENCH_RECORDS:-1000000}
zip_count=${BENCH_ZIP:-1000}
concurrent=${BENCH_CONCURRENT:-20}
seconds=${BENCH_SECONDS:-5}
today=2026-06-15

scripts/install-deps
bench_setup certportal catalog-service cert-store stats-service export-service

"$bin/certportal" generate records --count "$records" --seed 7 --today "$today" --out "$work/records.csv" >/dev/null
start_catalog "$data" "$work"
"$bin/certportal" import records "$work/records.csv" --data "$data" --quiet >/dev/null
start_cert_store "$data" "$catalog_port" "$today" "$work"
start_stats "$data" "$catalog_port" "$today" "$work" "$certs_port"
"$bin/export-service" --data "$data" --stats "127.0.0.1:$stats_port" --certificates "127.0.0.1:$certs_port" --today "$today" \
  >"$work/export.out" 2>"$work/export.err" &
export_pid=$!
pids+=($export_pid)
export_port=$(wait_listening "$work/export.out")
wait_read_model "$data"

# 1. The records report. The request: CSVRequest{sort: ""} (field 2, empty) — the default order.
csv_json=$("$bin/certportal" load --port "$export_port" --method /certportal.export.v1.Exports/RecordsCSV \
  --shape server-streaming --request-hex 1200 --metadata cp-principal=admin --uncompressed --concurrency 1 \
  --duration "$seconds" --warmup 1 --timeout-ms 600000 --json)
# The cost of a page once stats-service has it: ListRecordsRequest{page_size: 1000}, the
# first page over and over (answered from stats-service's cache after the first call).
page_json=$("$bin/certportal" load --port "$stats_port" --method /certportal.stats.v1.Stats/ListRecords \
  --request-hex 18e807 --metadata cp-principal=admin --uncompressed --concurrency 1 --duration "$seconds" --timeout-ms 600000 --json)
columns="booking_id, contact_name, organisation_name, booker_name, course_name, schedule_id, start, completion, expiry,
  certificate_updated, cert_type, outstanding, shared, result"
sqlite_seconds=$(python3 - "$data/stats.sqlite" "$columns" <<'PY'
import subprocess, sys, time
best = None
for _ in range(3):
    started = time.perf_counter()
    subprocess.run(["sqlite3", "-csv", "-header", sys.argv[1], f"SELECT {sys.argv[2]} FROM records ORDER BY completion DESC, id"],
                   stdout=subprocess.DEVNULL, check=True)
    elapsed = time.perf_counter() - started
    best = elapsed if best is None else min(best, elapsed)
print(best)
PY
)

# 2. A ZIP of certificates: issue them first (finished, passed records), once.
ids=$(sqlite3 "$data/stats.sqlite" "SELECT id FROM records WHERE result <> 'fail' AND completion <= '$today' ORDER BY id LIMIT $zip_count" | tr '\n' ' ')
ids_hex=$(packed_varints 1 $ids)   # IssueBatchRequest.record_ids and ZIPRequest.record_ids: field 1, packed
count=$(echo $ids | wc -w)
"$bin/certportal" load --port "$certs_port" --method /certportal.certificates.v1.Certificates/IssueBatch \
  --shape server-streaming --request-hex "$ids_hex" --metadata cp-principal=admin --uncompressed --concurrency 1 \
  --duration 0.1 --timeout-ms 600000 --json >/dev/null
zip_json=$("$bin/certportal" load --port "$export_port" --method /certportal.export.v1.Exports/CertificatesZIP \
  --shape server-streaming --request-hex "$ids_hex" --metadata cp-principal=admin --uncompressed --concurrency 1 \
  --duration "$seconds" --warmup 1 --timeout-ms 600000 --json)

# 3. Many ZIPs at once: one call per worker (each starts before --duration ends and runs to
# its end), export-service's memory watched from the first call to the last one's end.
many_json=$("$bin/certportal" load --port "$export_port" --method /certportal.export.v1.Exports/CertificatesZIP \
  --shape server-streaming --request-hex "$ids_hex" --metadata cp-principal=admin --uncompressed --concurrency "$concurrent" \
  --duration 0.1 --timeout-ms 1200000 --watch-pid "$export_pid" --json)

# Where a ZIP's time goes: cert-store's Download of one certificate alone, one at a time.
first_hex=$(python3 -c "
import sys
n = int(sys.argv[1]); out = b''
while True:
    byte = n & 0x7f; n >>= 7; out += bytes([byte | (0x80 if n else 0)])
    if not n: break
print((b'\\x08' + out).hex())" $(echo $ids | cut -d' ' -f1))
download_json=$("$bin/certportal" load --port "$certs_port" --method /certportal.certificates.v1.Certificates/Download \
  --shape server-streaming --request-hex "$first_hex" --metadata cp-principal=admin --uncompressed --concurrency 1 \
  --duration "$seconds" --timeout-ms 600000 --json)

# The same files on disk: the current version of each record zipped, from cert-store's database.
mkdir -p "$work/files"
python3 - "$data/certificates.sqlite" "$work/files" $ids <<'PY'
import os, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for record in sys.argv[3:]:
    row = db.execute("SELECT version, bytes FROM files WHERE record_id = ? ORDER BY version DESC LIMIT 1", (int(record),)).fetchone()
    if row:
        with open(os.path.join(sys.argv[2], f"certificate-{record}-{row[0]}.pdf"), "wb") as f:
            f.write(row[1])
PY
bsdtar_seconds=$(python3 - "$work/files" <<'PY'
import subprocess, sys, time
def best(options):
    result = None
    for _ in range(3):
        started = time.perf_counter()
        subprocess.run(["bsdtar", "--format", "zip", *options, "-cf", "/dev/null", "-C", sys.argv[1], "."], check=True)
        elapsed = time.perf_counter() - started
        result = elapsed if result is None else min(result, elapsed)
    return result
print(best(["--options", "zip:compression=store"]), best([]))
PY
)
file_bytes=$(du -sb "$work/files" | cut -f1)
file_count=$(ls "$work/files" | wc -l)

python3 - "$records" "$csv_json" "$sqlite_seconds" "$count" "$zip_json" "$bsdtar_seconds" "$file_bytes" "$file_count" "$download_json" "$page_json" \
  "$many_json" <<'PY'
import json, sys
download, page, many = json.loads(sys.argv[9]), json.loads(sys.argv[10]), json.loads(sys.argv[11])
records, csv = int(sys.argv[1]), json.loads(sys.argv[2])
sqlite_s = float(sys.argv[3])
count, zipr = int(sys.argv[4]), json.loads(sys.argv[5])
store_s, deflate_s = map(float, sys.argv[6].split())
file_bytes, file_count = int(sys.argv[7]), int(sys.argv[8])
csv_rate = csv["calls_per_second"] * records
zip_rate = zipr["calls_per_second"] * count
mb = file_bytes / file_count * count / 1e6 if file_count else 0
print(f"\nexport: {records:,} records, a ZIP of {count} certificates ({mb:.1f} MB of files)")
print(f"{'':44} {'CertPortal':>12} {'reference':>12}")
print(f"{'records CSV, rows/s':44} {csv_rate:>12,.0f} {records / sqlite_s:>12,.0f}   {csv_rate / (records / sqlite_s):.2f} of sqlite3 -csv on the read model")
print(f"{'records CSV, one export mean / p50 / p99 s':44} {1 / csv['calls_per_second']:>5.2f}/{csv['latency_us']['p50'] / 1e6:.2f}/{csv['latency_us']['p99'] / 1e6:.2f} {sqlite_s:>12.2f}")
print(f"{'  ListRecords first page alone, rows/s':44} {page['calls_per_second'] * 1000:>12,.0f}   (1,000 rows, repeated: stats-service's answer cache; p50 {page['latency_us']['p50'] / 1e3:.2f} ms)")
print(f"{'certificates ZIP, one export mean / p99 s':44} {1 / zipr['calls_per_second']:>5.2f}/{zipr['latency_us']['p99'] / 1e6:.2f}")
print(f"{'  cert-store Download of one file alone, /s':44} {download['calls_per_second']:>12,.0f}   (one at a time, p50 {download['latency_us']['p50'] / 1e3:.2f} ms)")
if "BENCH_DEBUG" in __import__("os").environ: print(json.dumps(csv), json.dumps(zipr), json.dumps(many))
print(f"{'certificates ZIP, files/s':44} {zip_rate:>12,.0f} {file_count / deflate_s:>12,.0f}   {zip_rate / (file_count / deflate_s):.2f} of bsdtar --format zip (deflate, its default)")
print(f"{'':44} {'':>12} {file_count / store_s:>12,.0f}   {zip_rate / (file_count / store_s):.2f} of bsdtar --format zip, stored")
print(f"{'certificates ZIP, MB/s':44} {zipr['calls_per_second'] * mb:>12,.1f} {file_bytes / 1e6 / deflate_s:>12,.1f}   (bsdtar stored: {file_bytes / 1e6 / store_s:,.1f})")
memory = many.get("memory", {})
many_files = many["calls"] * count
many_s = many["calls"] / many["calls_per_second"] if many["calls_per_second"] else 0
many_title = f"{many['calls']} ZIPs of {count} at once, files/s"
print(f"{many_title:44} {many_files / many_s if many_s else 0:>12,.0f}   (all done in {many_s:.1f} s; each p50 {many['latency_us']['p50'] / 1e6:.1f} s, max {many['latency_us']['max'] / 1e6:.1f} s)")
print(f"{'  export-service peak memory, MB':44} {memory.get('peak_rss_bytes', 0) / 1e6:>12,.1f}   (goal < 150; RSS {memory.get('start_rss_bytes', 0) / 1e6:.1f} MB before the first, "
      f"VmHWM {'from the run' if memory.get('hwm_reset') else 'since start'})")
for report in (csv, zipr, many):
    failures = sum(report.get('failures', {}).values())
    if failures: print(f"failures: {report['failures']}")
PY
