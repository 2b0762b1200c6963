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
bench_setup certportal catalog-service cert-store stats-service gateway

"$bin/certportal" generate records --count 2000 --seed 7 --today "$today" --out "$work/records.csv" >/dev/null
start_catalog "$data" "$work"
"$bin/certportal" import records "$work/records.csv" --data "$data" --quiet >/dev/null
start_cert_store "$data" "$catalog_port" "$today" "$work"
certs_pid=${pids[-1]}

# The finished, passed records (the ones a certificate may be issued for), from the catalog.
ids=$(sqlite3 "$data/catalog.sqlite" "SELECT a.id FROM attendees a JOIN schedules s ON s.id = a.schedule_id
  WHERE coalesce(a.result, '') <> 'fail' AND substr(s.end, 1, 10) <= '$today' ORDER BY a.id LIMIT $batch" | tr '\n' ' ')
request_hex=$(packed_varints 1 $ids)   # IssueBatchRequest.record_ids (packed)
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

# 2. A 10 MB file through the gateway (HTTP upload into cert-store, download out of it)
#    next to the same bytes through a raw TCP socket on loopback.
start_stats "$data" "$catalog_port" "$today" "$work" "$certs_port"
echo bench-password-1 | "$bin/certportal" user add bench@example.com --role admin --password-stdin --data "$data" >/dev/null
"$bin/gateway" --data "$data" --port 0 --catalog "127.0.0.1:$catalog_port" --stats "127.0.0.1:$stats_port" \
  --certificates "127.0.0.1:$certs_port" --today "$today" >"$work/gateway.out" 2>"$work/gateway.err" &
pids+=($!)
gateway_pid=$!
gateway_port=$(wait_listening "$work/gateway.out")
cookie_and_token=$(curl -s -D "$work/login.headers" -H 'Content-Type: application/json' \
  -d '{"email":"bench@example.com","password":"bench-password-1"}' "http://127.0.0.1:$gateway_port/api/session")
cookie=$(sed -n 's/^[Ss]et-[Cc]ookie: \([^;]*\).*/\1/p' "$work/login.headers")
csrf=$(echo "$cookie_and_token" | json 'd["csrf_token"]')
record=$(echo $ids | cut -d' ' -f1)
# A 10 MB PNG of noise (incompressible), written by Python's zlib.
python3 - "$work/big.png" <<'PY'
import os, struct, sys, zlib
w, h = 1900, 1800
raw = b''.join(b'\x00' + os.urandom(w * 3) for _ in range(h))
chunk = lambda t, d: struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
open(sys.argv[1], 'wb').write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 2, 0, 0, 0))
                              + chunk(b'IDAT', zlib.compress(raw, 1)) + chunk(b'IEND', b''))
PY
size=$(stat -c %s "$work/big.png")
runs=${BENCH_RUNS:-9}
upload_times=()
download_times=()
# CPU time (user + system, clock ticks) a process has used so far.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
upload_cpu=0
for _ in $(seq $runs); do
  before=$(( $(cpu_ticks "$certs_pid") + $(cpu_ticks "$gateway_pid") ))
  upload_times+=("$(curl -s -o /dev/null -w '%{time_total}' -H "Cookie: $cookie" -H "X-CSRF-Token: $csrf" \
    --data-binary @"$work/big.png" "http://127.0.0.1:$gateway_port/api/records/$record/certificate/upload?file_name=big.png")")
  upload_cpu=$(( upload_cpu + $(cpu_ticks "$certs_pid") + $(cpu_ticks "$gateway_pid") - before ))
  # Timed into /dev/null, as `cat` below (writing 10 MB to a file costs curl as much as
  # the transfer); then the same download again, untimed, into a file to compare.
  download_times+=("$(curl -s -o /dev/null -w '%{time_total}' -H "Cookie: $cookie" \
    "http://127.0.0.1:$gateway_port/api/records/$record/certificate/file")")
  curl -s -o "$work/down.bin" -H "Cookie: $cookie" "http://127.0.0.1:$gateway_port/api/records/$record/certificate/file"
  cmp -s "$work/big.png" "$work/down.bin" || { echo "bench: the downloaded file differs from the uploaded one" >&2; exit 1; }
done
# The same bytes through a raw socket: a Python peer that reads or sends them, `cat` on the other end.
raw_times=$(python3 - "$work/big.png" "$runs" <<'PY'
import socket, subprocess, sys, threading, time
path, runs = sys.argv[1], int(sys.argv[2])
def serve(send):
    listener = socket.socket(); listener.bind(('127.0.0.1', 0)); listener.listen(1)
    port = listener.getsockname()[1]
    def run():
        connection, _ = listener.accept()
        if send:
            with open(path, 'rb') as f: connection.sendfile(f)
        else:
            while connection.recv(1 << 20): pass
        connection.close(); listener.close()
    thread = threading.Thread(target=run); thread.start()
    return port, thread
up, down = [], []
for _ in range(runs):
    port, thread = serve(False)
    start = time.perf_counter()
    subprocess.run(['bash', '-c', f'cat "{path}" > /dev/tcp/127.0.0.1/{port}'], check=True)
    thread.join(); up.append(time.perf_counter() - start)
    port, thread = serve(True)
    start = time.perf_counter()
    subprocess.run(['bash', '-c', f'cat < /dev/tcp/127.0.0.1/{port} > /dev/null'], check=True)
    thread.join(); down.append(time.perf_counter() - start)
print(sorted(up)[len(up) // 2], sorted(down)[len(down) // 2])
PY
)
python3 - "$size" "$raw_times" "${upload_times[*]}" "${download_times[*]}" "$upload_cpu" "$runs" "$(getconf CLK_TCK)" "$(nproc)" <<'PY'
import sys
size = int(sys.argv[1])
cpu_ms = int(sys.argv[5]) * 1000 / int(sys.argv[7]) / int(sys.argv[6])
cores = int(sys.argv[8])
raw_up, raw_down = (float(x) for x in sys.argv[2].split())
median = lambda xs: sorted(xs)[len(xs) // 2]
up = median([float(x) for x in sys.argv[3].split()])
down = median([float(x) for x in sys.argv[4].split()])
mb = size / 1e6
print(f"\na {mb:.1f} MB file (median of runs), MB/s")
print(f"{'':24} {'gateway (HTTP)':>16} {'raw TCP (cat)':>16} {'ratio':>8}  goal")
print(f"{'upload':24} {mb / up:>16,.0f} {mb / raw_up:>16,.0f} {raw_up / up:>8.2f}  ≥ 0.5 (checked by content, stored with synchronous=FULL)")
print(f"{'download':24} {mb / down:>16,.0f} {mb / raw_down:>16,.0f} {raw_down / down:>8.2f}  ≥ 0.5")
# What an upload costs the machine: cert-store (receiving, BLAKE2b, the PNG decode, the
# durable write) and the gateway (relaying). Even spread perfectly over every core, an
# upload takes at least this long.
print(f"\nCPU per upload, cert-store + gateway: {cpu_ms:.0f} ms; on {cores} cores at best {cpu_ms / cores:.1f} ms "
      f"= {mb / (cpu_ms / cores / 1000):,.0f} MB/s = {raw_up / (cpu_ms / cores / 1000):.2f} of raw TCP (median upload {up * 1000:.1f} ms)")
PY
