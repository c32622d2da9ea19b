#!/usr/bin/env bash
# Issue #7 benchmark: the same impact query in amends and in DuckDB, on the same Parquet
# logs (100,000,000 requests, 100,000 accounts, 20 time-ordered files over 14 days), for a
# 4-hour window with baseline and for a window spanning all 14 days; checks that both
# produce identical figures, then reruns amends under a virtual-memory limit about a third
# of the logs' size.
#
#   bash bench/impact-vs-duckdb.sh            # DATA=/path/to/dir to reuse generated logs
#
# Needs: python3 with pyarrow, numpy and duckdb (python3 -m pip install pyarrow numpy duckdb),
# /usr/bin/time, and about 1 GB of disk for the logs.
set -euo pipefail
cd "$(dirname "$0")/.."

DATA=${DATA:-${TMPDIR:-/tmp}/amends-impact-bench/usage}
OUT=${OUT:-$(mktemp -d)}
LIMIT_KIB=${LIMIT_KIB:-262144}   # 256 MiB of address space for the memory-limited run
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
AMENDS="$CARGO_TARGET_DIR/release/amends"

cargo build --release --locked -p amends-cli
if [ ! -d "$DATA" ]; then
  echo "generating logs in $DATA (a few minutes)"
  python3 bench/generate_usage.py "$DATA"
fi
echo "logs: $(du -sh "$DATA" | cut -f1) in $(ls "$DATA" | wc -l) files"

# name  window-start  window-end  baseline-start  baseline-end
CASES=(
  "4h   2025-03-10T10:00:00Z 2025-03-10T14:00:00Z 2025-03-03T10:00:00Z 2025-03-03T14:00:00Z"
  "14d  2025-03-01T00:00:00Z 2025-03-15T00:00:00Z 2025-02-22T00:00:00Z 2025-03-08T00:00:00Z"
)
printf '\n%-4s %-8s %10s %12s\n' case engine seconds "peak MiB"
for c in "${CASES[@]}"; do
  read -r name ws we bs be <<<"$c"
  /usr/bin/time -f "%e %M" -o "$OUT/amends-$name.time" \
    "$AMENDS" impact --logs "$DATA" --window "$ws/$we" --map latency=latency_ms \
    --error-rate 0.05 --latency-ms 1000 --out "$OUT/amends-$name.parquet" 2>"$OUT/amends-$name.log"
  /usr/bin/time -f "%e %M" -o "$OUT/duckdb-$name.time" \
    python3 bench/impact_duckdb.py "$DATA/*.parquet" "$ws" "$we" "$bs" "$be" 0.05 1000 \
    "$OUT/duckdb-$name.parquet" 2>"$OUT/duckdb-$name.log"
  for e in amends duckdb; do
    read -r secs kib <"$OUT/$e-$name.time"
    printf '%-4s %-8s %10s %12d\n' "$name" "$e" "$secs" $((kib / 1024))
  done
  python3 bench/compare_impact.py "$OUT/amends-$name.parquet" "$OUT/duckdb-$name.parquet"
done

echo
echo "memory-limited: ulimit -v $LIMIT_KIB KiB, logs $(du -sk "$DATA" | cut -f1) KiB"
read -r name ws we bs be <<<"${CASES[1]}"
( ulimit -v "$LIMIT_KIB"
  MALLOC_ARENA_MAX=2 /usr/bin/time -f "%e %M" -o "$OUT/limited.time" \
    "$AMENDS" impact --logs "$DATA" --window "$ws/$we" --map latency=latency_ms \
    --error-rate 0.05 --latency-ms 1000 --out "$OUT/limited.parquet" 2>"$OUT/limited.log" )
read -r secs kib <"$OUT/limited.time"
echo "completed in $secs s, peak $((kib / 1024)) MiB"
python3 bench/compare_impact.py "$OUT/limited.parquet" "$OUT/amends-14d.parquet"
echo "outputs in $OUT"
