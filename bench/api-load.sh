#!/usr/bin/env bash
# Load test of the HTTP API with wrk on loopback, on SQLite and on PostgreSQL: reads (one
# incident, token checked on every request) and writes (declaring incidents, each planned
# for the 180 demo accounts with its remediations and audit entries in one transaction).
# Usage: bash bench/api-load.sh [seconds]   (needs wrk: apt-get install wrk; PostgreSQL at
# postgres://postgres@127.0.0.1:5432, override with AMENDS_BENCH_POSTGRES)
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-15}"
pg_admin="${AMENDS_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432/postgres}"
cargo build --release --quiet --bin amends
bin="$(pwd)/${CARGO_TARGET_DIR:-target}/release/amends"
work="$(mktemp -d)"
server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT

cat > "$work/write.lua" <<'LUA'
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
counter = 0
request = function()
  counter = counter + 1
  local id = string.format("LOAD-%d-%d-%d", tid, os.time(), counter)
  local body = string.format([[{"id":"%s","title":"Load test outage","type":"outage","features":["API"],
    "core_feature":true,"workaround":false,"started_at":"2024-10-15T10:00:00-04:00",
    "detected_at":"2024-10-15T10:00:00-04:00","resolved_at":"2024-10-15T14:00:00-04:00",
    "affected":{"tiers":["enterprise","growth"]}}]], id)
  return wrk.format("POST", "/v1/incidents", {["Content-Type"]="application/json", ["Authorization"]=wrk.headers["Authorization"]}, body)
end
LUA

run() {
  local label="$1" url="$2"
  export AMENDS_DATABASE_URL="$url" AMENDS_LISTEN=127.0.0.1:0
  "$bin" accounts import demo/accounts.csv >/dev/null
  local token; token="$("$bin" token create --role admin --label load 2>/dev/null)"
  "$bin" incident declare demo/incident.toml >/dev/null
  "$bin" serve > "$work/serve-$label.log" 2>&1 &
  server=$!
  for _ in $(seq 50); do grep -q "listening on" "$work/serve-$label.log" && break; sleep 0.1; done
  local base; base="$(sed -n 's/^amends listening on \(http:[^ ]*\).*/\1/p' "$work/serve-$label.log")"
  echo "== $label reads: GET /v1/incidents/INC-2024-1015, 2 threads, 32 connections, ${secs}s"
  wrk -t2 -c32 -d"${secs}s" --latency -H "Authorization: Bearer $token" "$base/v1/incidents/INC-2024-1015" \
    | grep -E "Requests/sec|Latency |  50%|  99%|Non-2xx"
  echo "== $label writes: POST /v1/incidents (180 accounts planned each), 2 threads, 4 connections, ${secs}s"
  wrk -t2 -c4 -d"${secs}s" --latency -s "$work/write.lua" -H "Authorization: Bearer $token" "$base" \
    | grep -E "Requests/sec|Latency |  50%|  99%|Non-2xx"
  kill "$server"; wait "$server" 2>/dev/null || true; server=""
}

run sqlite "sqlite:$work/amends.db"
db="amends_bench_$$"
psql "$pg_admin" -qc "CREATE DATABASE $db" >/dev/null
run postgres "${pg_admin%/*}/$db"
psql "$pg_admin" -qc "DROP DATABASE $db WITH (FORCE)" >/dev/null
