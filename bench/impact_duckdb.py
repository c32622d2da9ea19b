#!/usr/bin/env python3
"""The impact query of docs/impact.md in DuckDB: the same figures amends writes, from the
same Parquet logs, to a Parquet file with the same columns.

usage: impact_duckdb.py LOGS_GLOB WINDOW_START WINDOW_END BASELINE_START BASELINE_END
                        ERROR_RATE LATENCY_MS OUT.parquet
(instants in RFC 3339 UTC; the baseline is the window one week earlier by the wall clock
of the window's zone, which amends computes; for a UTC window it is 7 × 24 h earlier).
"""
import sys
import time
from decimal import Decimal

import duckdb

logs, ws, we, bs, be, rate, latency, out = sys.argv[1:9]
r = Decimal(rate).normalize()
num, den = int(r.scaleb(-r.as_tuple().exponent)), 10 ** -r.as_tuple().exponent
SQL = f"""
WITH logs AS (
  SELECT account_id::VARCHAR AS account, "timestamp" AS ts, status >= 500 AS failed,
         latency_ms AS latency
  FROM read_parquet('{logs}')
  WHERE ("timestamp" >= TIMESTAMPTZ '{ws}' AND "timestamp" < TIMESTAMPTZ '{we}')
     OR ("timestamp" >= TIMESTAMPTZ '{bs}' AND "timestamp" < TIMESTAMPTZ '{be}')
),
win AS (SELECT * FROM logs WHERE ts >= TIMESTAMPTZ '{ws}' AND ts < TIMESTAMPTZ '{we}'),
per_minute AS (
  SELECT account, count(*) AS n, count(*) FILTER (WHERE failed) AS f, avg(latency) AS mean_latency
  FROM win GROUP BY account, date_trunc('minute', ts)
),
minutes AS (
  SELECT account,
         count(*) FILTER (WHERE f * {den} >= {num} * n OR mean_latency >= {latency}) AS impacted_minutes
  FROM per_minute GROUP BY account
),
totals AS (
  SELECT account, count(*) AS requests, count(*) FILTER (WHERE failed) AS failures,
         min(ts) FILTER (WHERE failed) AS first_failure, max(ts) FILTER (WHERE failed) AS last_failure
  FROM win GROUP BY account
),
baseline AS (
  SELECT account, count(*) AS baseline_requests, count(*) FILTER (WHERE failed) AS baseline_failures
  FROM logs WHERE ts >= TIMESTAMPTZ '{bs}' AND ts < TIMESTAMPTZ '{be}' GROUP BY account
),
figures AS (
  SELECT coalesce(t.account, b.account) AS account,
         coalesce(t.requests, 0) AS requests, coalesce(t.failures, 0) AS failures,
         coalesce(m.impacted_minutes, 0) AS impacted_minutes,
         t.first_failure, t.last_failure,
         coalesce(b.baseline_requests, 0) AS baseline_requests,
         coalesce(b.baseline_failures, 0) AS baseline_failures
  FROM totals t FULL JOIN baseline b ON t.account = b.account
  LEFT JOIN minutes m ON m.account = coalesce(t.account, b.account)
)
SELECT account, requests::UBIGINT AS requests, failures::UBIGINT AS failures,
       -- exact: failures / requests to 6 places, half away from zero, in integers
       CASE WHEN requests = 0 THEN 0::DECIMAL(18,6)
            ELSE ((failures * 2000000 + requests) // (2 * requests))::DECIMAL(18,0)
                 * 0.000001::DECIMAL(18,6) END AS error_rate,
       impacted_minutes::UBIGINT AS impacted_minutes, first_failure, last_failure,
       requests > 0 AS active,
       baseline_requests::UBIGINT AS baseline_requests, baseline_failures::UBIGINT AS baseline_failures,
       CASE WHEN impacted_minutes > 0 THEN 'impacted'
            WHEN requests * 2 < baseline_requests THEN 'silent'
            WHEN requests = 0 THEN 'quiet'
            ELSE 'unaffected' END AS status
FROM figures ORDER BY account
"""
t0 = time.time()
con = duckdb.connect()
con.execute("SET TimeZone = 'UTC'")
con.execute(f"COPY ({SQL}) TO '{out}' (FORMAT parquet, COMPRESSION zstd)")
print(f"duckdb: {time.time() - t0:.2f} s", file=sys.stderr)
