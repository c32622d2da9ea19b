#!/usr/bin/env bash
# Durable deliveries per second: amends' outbox worker against graphile-worker 0.17.3, in one
# run, on one PostgreSQL server, delivering to one loopback HTTP sink (BENCHMARKS.md, "#5").
#
#   bash bench/outbox-vs-graphile.sh [JOBS] [ROUNDS]      (defaults: 100000 jobs, 1 round)
#
# For each system and round: a fresh database, JOBS jobs queued in bulk (timed apart), then
# one worker runs them all; the sink counts requests and unique webhook-ids, so
# lost = JOBS - unique and duplicated = requests - unique. Each system is measured with
# signed webhooks to the sink ("http") and with jobs that do nothing ("noop": lost counts
# jobs not completed; there is no recipient to see duplicates).
#
# Environment:
#   AMENDS_BENCH_POSTGRES  the server, no database   (postgres://postgres@127.0.0.1:5432)
#   GRAPHILE_DIR           where graphile-worker is or gets installed by npm
#                          (${TMPDIR:-/tmp}/amends-graphile-0.17.3)
#   CONCURRENCY            graphile-worker's concurrentJobs (24, its performance page's)
#   AMENDS_ARGS            extra outbox_bench options, e.g. "--batch 200 --parallel 8"
#   CARGO_TARGET_DIR       where cargo builds (target)
set -euo pipefail
cd "$(dirname "$0")/.."

JOBS=${1:-100000}
ROUNDS=${2:-1}
SERVER=${AMENDS_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432}
GRAPHILE_DIR=${GRAPHILE_DIR:-${TMPDIR:-/tmp}/amends-graphile-0.17.3}
TARGET=${CARGO_TARGET_DIR:-target}
AMENDS_ARGS=${AMENDS_ARGS:-}
WORK=$(mktemp -d)
SINK_PID=

cleanup() {
  [ -n "$SINK_PID" ] && kill "$SINK_PID" 2>/dev/null || true
  PGOPTIONS="-c client_min_messages=warning" \
    psql "$SERVER/postgres" -qc "DROP DATABASE IF EXISTS amends_bench_outbox WITH (FORCE)" || true
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "building (release)…" >&2
nice cargo build --release -q -p amends-delivery --example outbox_bench --example webhook_sink

if [ "$(node -p "require('$GRAPHILE_DIR/node_modules/graphile-worker/package.json').version" 2>/dev/null)" != "0.17.3" ]; then
  echo "installing graphile-worker@0.17.3 into $GRAPHILE_DIR…" >&2
  mkdir -p "$GRAPHILE_DIR"
  (cd "$GRAPHILE_DIR" && { [ -f package.json ] || npm init -y >/dev/null; } &&
    npm install --no-audit --no-fund --silent graphile-worker@0.17.3)
fi

"$TARGET/release/examples/webhook_sink" >"$WORK/sink" &
SINK_PID=$!
for _ in $(seq 100); do [ -s "$WORK/sink" ] && break; sleep 0.05; done
SINK="http://$(head -1 "$WORK/sink")"
echo "sink at $SINK" >&2

fresh_db() {
  PGOPTIONS="-c client_min_messages=warning" psql "$SERVER/postgres" -qc "DROP DATABASE IF EXISTS amends_bench_outbox WITH (FORCE)" \
    -c "CREATE DATABASE amends_bench_outbox" -c "CHECKPOINT" >/dev/null
  echo "$SERVER/amends_bench_outbox"
}

# measure LABEL TARGET COMMAND…: runs COMMAND (which prints one JSON line) against a reset
# sink and appends the line, with the sink's counts, to the results.
measure() {
  local label=$1 target=$2 line stats
  shift 2
  curl -fsS -X POST "$SINK/reset"
  line=$("$@")
  stats=$(curl -fsS "$SINK/stats")
  jq -c --arg name "$label" --arg target "$target" --argjson sink "$stats" \
    '. + {"label": $name, "target": $target, "requests": $sink.requests, "unique": $sink.unique}' \
    <<<"$line" | tee -a "$WORK/results" >&2
}

for round in $(seq "$ROUNDS"); do
  for target in http noop; do
    url=$SINK/hook
    [ "$target" = noop ] && url=noop
    measure "graphile-worker 0.17.3, PostgreSQL" "$target" \
      env NODE_PATH="$GRAPHILE_DIR/node_modules" DATABASE_URL="$(fresh_db)" SINK_URL="$url" \
      JOBS="$JOBS" CONCURRENCY="${CONCURRENCY:-24}" node bench/graphile-bench.cjs
    # shellcheck disable=SC2086 # AMENDS_ARGS is a list of options
    measure "amends, PostgreSQL" "$target" \
      "$TARGET/release/examples/outbox_bench" "$(fresh_db)" "$url" "$JOBS" $AMENDS_ARGS
    rm -f "$WORK"/amends.db*
    # shellcheck disable=SC2086
    measure "amends, SQLite" "$target" \
      "$TARGET/release/examples/outbox_bench" "sqlite:$WORK/amends.db" "$url" "$JOBS" $AMENDS_ARGS
  done
done

echo
echo "$JOBS jobs per run, $ROUNDS round(s); jobs/s = jobs completed durably / seconds from worker start to the last completion committed"
jq -rs --argjson jobs "$JOBS" '
  (["system", "jobs", "jobs/s", "run s", "enqueue s", "lost", "duplicated"] | @tsv),
  (.[] | [.label + " (" + .target + ")", .jobs, (.per_s | floor),
          (.run_s * 100 | round / 100), (.enqueue_s * 100 | round / 100),
          (if .target == "http" then ($jobs - .unique) else (.jobs - .delivered) end),
          (if .target == "http" then (.requests - .unique) else "-" end)] | @tsv)
' "$WORK/results" | column -t -s $'\t'
