#!/usr/bin/env bash
# CPRPC/1 benchmark: prints, from one run on this machine, side by side
#   1. unary echo throughput (100-byte payloads, 64 calls in flight over 4 connections)
#      next to redis-benchmark -t ping -c 64 against redis-server on loopback;
#   2. one-call-at-a-time p50 latency next to a raw length-prefixed TCP echo.
# BENCH_SECONDS (default 10) sets each measurement's length. Not a test: it only prints.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
seconds=${BENCH_SECONDS:-10}

scripts/install-deps
swift build -c release --product certportal >/dev/null
swift build -c release --product rpc-interop-server >/dev/null
bin=.build/release
export CERTPORTAL_LOG_LEVEL=warning

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "${logs:-}"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
logs=$(mktemp -d)

# Redis, the reference for throughput.
redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --daemonize no >/dev/null &
pids+=($!)
for _ in $(seq 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
redis_requests=$((seconds * 60000))
redis_rps=$(redis-benchmark -p "$redis_port" -t ping -c 64 -n "$redis_requests" -q 2>/dev/null \
  | tr '\r' '\n' | awk '/PING_MBULK/ && /requests per second/ { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9.]+$/) { print $i; exit } }')

# The CPRPC/1 conformance server.
"$bin/rpc-interop-server" --port 0 >"$logs/rpc.out" &
pids+=($!)
rpc_port=$(wait_listening "$logs/rpc.out")
method=/certportal.testing.v1.TestService/UnaryCall
throughput=$("$bin/certportal" load --port "$rpc_port" --method "$method" --test-payload 100 \
  --connections 4 --concurrency 64 --duration "$seconds" --warmup 2 --json)
rpc_rps=$(echo "$throughput" | json 'round(d["calls_per_second"])')
rpc_p99=$(echo "$throughput" | json 'd["latency_us"]["p99"]')

single=$("$bin/certportal" load --port "$rpc_port" --method "$method" --test-payload 100 \
  --connections 1 --concurrency 1 --duration "$seconds" --warmup 1 --json)
rpc_p50=$(echo "$single" | json 'd["latency_us"]["p50"]')

# The raw TCP echo, the reference for latency.
raw_port=$(free_port)
"$bin/certportal" load raw-echo-server --port "$raw_port" >"$logs/raw.out" &
pids+=($!)
wait_listening "$logs/raw.out" >/dev/null
raw=$("$bin/certportal" load raw-echo --port "$raw_port" --payload 100 --duration "$seconds" --json)
raw_p50=$(echo "$raw" | json 'd["latency_us"]["p50"]')

python3 - "$redis_rps" "$rpc_rps" "$rpc_p99" "$rpc_p50" "$raw_p50" "$seconds" <<'PY'
import sys
redis, rpc, rpc_p99, rpc_p50, raw_p50, seconds = (float(x) for x in sys.argv[1:])
print(f"CPRPC/1 benchmark ({int(seconds)} s per figure, {__import__('os').cpu_count()} cores)")
print(f"{'':46}{'CPRPC/1':>14}{'baseline':>14}{'ratio':>9}  goal")
print(f"{'unary echo, 64 in flight / 4 conns (calls/s)':46}{rpc:>14,.0f}{redis:>14,.0f}{rpc/redis:>9.2f}  ≥ 0.60 of redis-benchmark ping")
print(f"{'one call at a time, p50 latency (µs)':46}{rpc_p50:>14.1f}{raw_p50:>14.1f}{rpc_p50/raw_p50:>9.2f}  ≤ 2.00 × raw TCP echo")
print(f"{'unary echo, 64 in flight, p99 latency (µs)':46}{rpc_p99:>14.1f}")
PY
