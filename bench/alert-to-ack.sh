#!/usr/bin/env bash
# From an inbound alert to the last acknowledgment accepted by the SMTP server (BENCHMARKS.md,
# "#5"), on loopback: `amends serve` with N accounts imported, PagerDuty's own
# incident.triggered payload (time set to now, signed) posted to /v1/alerts/pagerduty, and a
# counting SMTP server that de-duplicates by Message-ID: by default the Rust one
# (crates/amends-delivery/examples/smtp_sink.rs); SINK=aiosmtpd uses bench/smtp_sink.py, whose
# one Python thread accepts only about 500 messages/s on this machine.
#
#   bash bench/alert-to-ack.sh [N...]        (default: 10000 100000; each on SQLite, PostgreSQL)
#
# The bench playbook is the demo's with the acknowledgment due at detection and triage
# auto-confirmed at once (`triage_auto_confirm = "0m"`), so the figure is amends' own time:
# declare, plan, render and queue every message, then deliver the acknowledgments.
# Environment: AMENDS_BENCH_POSTGRES (server, no database; postgres://postgres@127.0.0.1:5432),
# BACKENDS ("sqlite postgres"), CARGO_TARGET_DIR, AMENDS_LOG (amends_server=debug shows the
# answer's phases).
set -euo pipefail
cd "$(dirname "$0")/.."

SIZES=${*:-10000 100000}
BACKENDS=${BACKENDS:-sqlite postgres}
SERVER=${AMENDS_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432}
TARGET=${CARGO_TARGET_DIR:-target}
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  PGOPTIONS="-c client_min_messages=warning" \
    psql "$SERVER/postgres" -qc "DROP DATABASE IF EXISTS amends_bench_ack WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

python3 -c "import aiosmtpd" 2>/dev/null || python3 -m pip install --quiet aiosmtpd
echo "building (release)…" >&2
nice cargo build --release -q --bin amends
nice cargo build --release -q -p amends-delivery --example smtp_sink
BIN="$TARGET/release/amends"
SINK=${SINK:-rust}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# The demo playbook, acknowledgment at detection, no wait for a person.
sed -e '0,/^at = "detection + 30m"/s//at = "detection"/' \
    -e 's/^triage_auto_confirm = .*/triage_auto_confirm = "0m"/' demo/playbook.toml >"$WORK/playbook.toml"
grep -q '^at = "detection"$' "$WORK/playbook.toml"

SECRET=bench-secret
printf '%s\n' "" "| accounts | store | SMTP server | alert → last ack | first → last ack | acks/s | alert answered (declared, planned, rendered, queued) | duplicates |" \
  "|---:|---|---|---:|---:|---:|---:|---:|" >"$WORK/table"

for n in $SIZES; do
  csv="$WORK/accounts-$n.csv"
  python3 bench/generate_accounts.py "$n" >"$csv"
  for backend in $BACKENDS; do
    case $backend in
      sqlite) url="sqlite:$WORK/amends-$n.db" ;;
      postgres)
        PGOPTIONS="-c client_min_messages=warning" psql "$SERVER/postgres" -qc \
          "DROP DATABASE IF EXISTS amends_bench_ack WITH (FORCE)" -c "CREATE DATABASE amends_bench_ack" >/dev/null
        url="$SERVER/amends_bench_ack" ;;
    esac
    smtp_port=$(free_port)
    api_port=$(free_port)
    cat >"$WORK/amends.toml" <<TOML
database_url = "$url"
listen = "127.0.0.1:$api_port"
playbook = "$WORK/playbook.toml"
[alerts]
pagerduty_secrets = ["$SECRET"]
[delivery]
poll_ms = 50
[delivery.smtp]
host = "127.0.0.1"
port = $smtp_port
security = "plain"
from = "Support <support@example.com>"
TOML
    "$BIN" --config "$WORK/amends.toml" accounts import "$csv" >&2
    rm -f "$WORK/sink"
    if [ "$SINK" = aiosmtpd ]; then
      python3 bench/smtp_sink.py "$smtp_port" "$WORK/sink" &
    else
      "$TARGET/release/examples/smtp_sink" "$WORK/sink" "$smtp_port" >/dev/null &
    fi
    PIDS+=($!)
    "$BIN" --config "$WORK/amends.toml" serve >"$WORK/serve.log" 2>&1 &
    serve_pid=$!
    PIDS+=($serve_pid)
    for _ in $(seq 200); do
      curl -fsS "http://127.0.0.1:$api_port/healthz" >/dev/null 2>&1 && [ -s "$WORK/sink" ] && break
      sleep 0.05
    done
    # PagerDuty's payload, happening now, signed as PagerDuty signs it (HMAC-SHA256, v1=).
    python3 - "$SECRET" >"$WORK/alert" <<'PY'
import datetime, hashlib, hmac, json, sys
d = json.load(open("../shared/fixtures/real/pagerduty_v3_incident_triggered.json"))
d["event"]["occurred_at"] = datetime.datetime.now(datetime.timezone.utc).isoformat()
body = json.dumps(d).encode()
sig = hmac.new(sys.argv[1].encode(), body, hashlib.sha256).hexdigest()
print(f"v1={sig}")
sys.stdout.write(body.decode())
PY
    signature=$(head -1 "$WORK/alert")
    tail -n +2 "$WORK/alert" >"$WORK/alert.json"
    t0=$(python3 -c 'import time; print(f"{time.time():.6f}")')
    answered=$(curl -fsS -o "$WORK/answer" -w '%{time_total}' \
      -H "content-type: application/json" -H "x-pagerduty-signature: $signature" \
      --data-binary @"$WORK/alert.json" "http://127.0.0.1:$api_port/v1/alerts/pagerduty")
    deadline=$((SECONDS + 600))
    while :; do
      read -r messages unique first last <"$WORK/sink"
      [ "$unique" -ge "$n" ] && break
      [ $SECONDS -lt $deadline ] || { echo "timed out: $unique of $n acknowledged" >&2; break; }
      sleep 0.1
    done
    sleep 1 # late duplicates would show now
    read -r messages unique first last <"$WORK/sink"
    kill "$serve_pid" 2>/dev/null || true
    wait "$serve_pid" 2>/dev/null || true
    row=$(python3 -c "
t0, first, last, n, m, u = $t0, $first, $last, $n, $messages, $unique
print(f'| {n:,} | $backend | $SINK | {last - t0:.2f} s | {last - first:.2f} s | {u / max(last - first, 1e-9):,.0f} | {$answered:.2f} s | {m - u} |')")
    echo "$row" | tee -a "$WORK/table" >&2
    # With AMENDS_LOG=amends_server=debug: where the alert's answer spent its time.
    grep "incident written" "$WORK/serve.log" >&2 || true
    kill "${PIDS[-2]}" 2>/dev/null || true
  done
done
cat "$WORK/table"
