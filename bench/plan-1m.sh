#!/usr/bin/env bash
# End-to-end: `amends plan` over 1,000,000 accounts read from CSV (parse + check + plan +
# render the table), with wall time and peak memory from /usr/bin/time -v.
# Usage: bash bench/plan-1m.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-1000000}"
work="${TMPDIR:-/tmp}/amends-bench"
mkdir -p "$work"
csv="$work/accounts-$n.csv"
[ -f "$csv" ] || python3 bench/generate_accounts.py "$n" > "$csv"
cargo build --release --quiet --bin amends
bin="${CARGO_TARGET_DIR:-target}/release/amends"
for format in table json; do
  echo "== amends plan, $n accounts, --format $format"
  /usr/bin/time -v "$bin" plan --playbook demo/playbook.toml --accounts "$csv" \
    --incident demo/incident.toml --format "$format" > "$work/plan.$format" 2> "$work/time.txt" \
    || { cat "$work/time.txt"; exit 1; }
  grep -E "Elapsed|Maximum resident" "$work/time.txt"
  ls -l "$work/plan.$format" | awk '{print "output bytes: " $5}'
done
echo "== core planner only (no CSV, no rendering)"
cargo run --release --quiet -p amends-core --example plan_synthetic -- "$n"
