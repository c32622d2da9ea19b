#!/usr/bin/env python3
"""The worked example's usage log (demo/usage.parquet): every 5 minutes each of the 180
accounts calls the API, on Tuesday 2024-10-15 10:00-14:00 US Eastern (the outage) and the
same hours a week earlier (the baseline).

By construction: accounts acct-0004, acct-0008, ... (every 4th, 45 in all) see every request
between 10:02 and 13:58 fail with 503; accounts acct-0001, acct-0005, ... (every 4th from
the first, 45 in all) send nothing during the outage (silent); the other 90 are fine.
Requires pyarrow; the output is committed, so nothing else needs Python.
"""
import datetime as dt
import os

import pyarrow as pa
import pyarrow.parquet as pq

UTC = dt.timezone.utc
# 10:00 EDT = 14:00 UTC on both Tuesdays (DST is in force on both).
DAYS = [dt.datetime(2024, 10, 8, 14, tzinfo=UTC), dt.datetime(2024, 10, 15, 14, tzinfo=UTC)]
rows = []
for day, start in enumerate(DAYS):
    outage = day == 1
    for minute in range(0, 240, 5):
        for n in range(1, 181):
            at = start + dt.timedelta(minutes=minute + n % 5, seconds=n % 60)
            if outage and n % 4 == 1:
                continue
            failing = outage and n % 4 == 0 and dt.timedelta(minutes=2) <= at - start <= dt.timedelta(minutes=238)
            rows.append((f"acct-{n:04d}", at, 503 if failing else 200, 2000 if failing else 80 + n % 50))
rows.sort(key=lambda r: r[1])
table = pa.table(
    {
        "account_id": pa.array([r[0] for r in rows]),
        "timestamp": pa.array([r[1] for r in rows], type=pa.timestamp("us", tz="UTC")),
        "status": pa.array([r[2] for r in rows], type=pa.int16()),
        "latency_ms": pa.array([r[3] for r in rows], type=pa.int32()),
    }
)
pq.write_table(table, os.path.join(os.path.dirname(__file__), "usage.parquet"), compression="zstd", row_group_size=2000)
print(f"{len(rows)} rows")
