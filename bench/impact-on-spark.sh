#!/usr/bin/env bash
# Issue #7, beyond one machine: the same impact query in amends and in Apache Spark SQL
# (bench/impact_spark.py, local[2]: Spark on this machine's two cores, no cluster) on the same
# synthetic Parquet logs (default 10,000,000 requests, 10,000 accounts, 10 time-ordered files
# over 14 days, bench/generate_usage.py), for a 4-hour window with baseline and for all 14
# days; checks that both write the identical impact file (CSV, byte for byte) and reports
# each engine's time: Spark's whole run (JVM start included) and its query alone.
#
#   bash bench/impact-on-spark.sh     # ROWS=…, DATA=dir to reuse logs, AMENDS=binary to skip the build
#
# Needs: python3 with pyspark, pyarrow and numpy (python3 -m pip install pyspark pyarrow
# numpy), Java 17+, /usr/bin/time, and about 100 MB of disk per 10 M rows.
set -euo pipefail
cd "$(dirname "$0")/.."

ROWS=${ROWS:-10000000}
ACCOUNTS=${ACCOUNTS:-10000}
DATA=${DATA:-${TMPDIR:-/tmp}/amends-spark-bench/usage-$ROWS}
OUT=${OUT:-$(mktemp -d)}
if [ -z "${AMENDS:-}" ]; then
  export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
  cargo build --release --locked -p amends-cli
  AMENDS="$CARGO_TARGET_DIR/release/amends"
fi
if [ ! -d "$DATA" ]; then
  echo "generating $ROWS rows in $DATA"
  python3 bench/generate_usage.py "$DATA" --rows "$ROWS" --accounts "$ACCOUNTS" --files 10 \
    --row-group 250000
fi
echo "logs: $(du -sh "$DATA" | cut -f1) in $(ls "$DATA" | wc -l) files; amends: $AMENDS"

# name  window (the same flags for both engines; bench/generate_usage.py's incident is day 10)
CASES=(
  "4h   2025-03-10T10:00:00Z/2025-03-10T14:00:00Z"
  "14d  2025-03-01T00:00:00Z/2025-03-15T00:00:00Z"
)
printf '\n%-4s %-7s %10s %12s %12s\n' case engine "seconds" "query s" "peak MiB"
for c in "${CASES[@]}"; do
  read -r name window <<<"$c"
  flags=(--logs "$DATA" --window "$window" --map latency=latency_ms --error-rate 0.05
         --latency-ms 1000)
  /usr/bin/time -f "%e %M" -o "$OUT/amends-$name.time" \
    "$AMENDS" impact "${flags[@]}" --out "$OUT/amends-$name.csv" 2>"$OUT/amends-$name.log"
  /usr/bin/time -f "%e %M" -o "$OUT/spark-$name.time" \
    python3 bench/impact_spark.py "${flags[@]}" --out "$OUT/spark-$name.csv" 2>"$OUT/spark-$name.log" \
    || { tail -5 "$OUT/spark-$name.log"; exit 1; }
  read -r secs kib <"$OUT/amends-$name.time"
  printf '%-4s %-7s %10s %12s %12d\n' "$name" amends "$secs" "$secs" $((kib / 1024))
  read -r secs kib <"$OUT/spark-$name.time"
  query=$(sed -n 's/^spark: .* in \([0-9.]*\) s$/\1/p' "$OUT/spark-$name.log")
  # Peak RSS of the Python driver only: Spark's JVM is a child that /usr/bin/time does not see.
  printf '%-4s %-7s %10s %12s %12s\n' "$name" spark "$secs" "$query" "(JVM)"
  if cmp -s "$OUT/amends-$name.csv" "$OUT/spark-$name.csv"; then
    echo "     identical impact files: $(($(wc -l <"$OUT/amends-$name.csv") - 1)) accounts"
  else
    echo "error: the impact files differ: $OUT/amends-$name.csv $OUT/spark-$name.csv" >&2
    exit 1
  fi
done
echo "outputs in $OUT"
