#!/usr/bin/env python3
"""Synthetic usage logs for the impact benchmark: N requests over A accounts, as F
time-ordered Parquet files covering D days (default 100,000,000 / 100,000 / 20 / 14).

Columns: account_id (text, dictionary-encoded), timestamp (timestamp[us, UTC]), status
(int16 HTTP code), latency_ms (int32), endpoint (text). Background failure rate 0.5 %; an
incident on day 10 from 10:00 to 14:00 UTC makes 30 % of accounts fail 40 % of requests.
Deterministic for a given seed.
"""
import argparse
import os
import time

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

p = argparse.ArgumentParser()
p.add_argument("out")
p.add_argument("--rows", type=int, default=100_000_000)
p.add_argument("--accounts", type=int, default=100_000)
p.add_argument("--files", type=int, default=20)
p.add_argument("--days", type=int, default=14)
p.add_argument("--start", default="2025-03-01T00:00:00")
p.add_argument("--row-group", type=int, default=500_000)
p.add_argument("--seed", type=int, default=7)
a = p.parse_args()

os.makedirs(a.out, exist_ok=True)
rng = np.random.default_rng(a.seed)
start_us = int(np.datetime64(a.start, "us").astype(np.int64))
span_us = a.days * 86_400_000_000
inc_start = start_us + 9 * 86_400_000_000 + 10 * 3_600_000_000
inc_end = inc_start + 4 * 3_600_000_000
names = pa.array([f"acct-{i:06d}" for i in range(a.accounts)])
endpoints = pa.array(["/v1/orders", "/v1/search", "/v1/checkout", "/v1/profile"])
hit = rng.random(a.accounts) < 0.30  # accounts the incident hits
# Zipf-ish activity: some accounts far busier than others.
weights = 1.0 / np.arange(1, a.accounts + 1) ** 0.6
weights /= weights.sum()
rng.shuffle(weights)

t0 = time.time()
per_file = a.rows // a.files
for f in range(a.files):
    n = per_file if f < a.files - 1 else a.rows - per_file * (a.files - 1)
    lo = start_us + span_us * f // a.files
    hi = start_us + span_us * (f + 1) // a.files
    ts = np.sort(rng.integers(lo, hi, n, dtype=np.int64))
    acct = rng.choice(a.accounts, n, p=weights).astype(np.int32)
    fail_p = np.where(hit[acct] & (ts >= inc_start) & (ts < inc_end), 0.40, 0.005)
    failed = rng.random(n) < fail_p
    status = np.where(failed, np.where(rng.random(n) < 0.5, 500, 503), 200).astype(np.int16)
    latency = rng.gamma(2.0, 60.0, n).astype(np.int32) + np.where(failed, 2000, 0).astype(np.int32)
    table = pa.table(
        {
            "account_id": pa.DictionaryArray.from_arrays(pa.array(acct), names),
            "timestamp": pa.array(ts, type=pa.timestamp("us", tz="UTC")),
            "status": pa.array(status),
            "latency_ms": pa.array(latency),
            "endpoint": pa.DictionaryArray.from_arrays(
                pa.array(rng.integers(0, len(endpoints), n, dtype=np.int32)), endpoints
            ),
        }
    )
    pq.write_table(
        table,
        os.path.join(a.out, f"part-{f:03d}.parquet"),
        row_group_size=a.row_group,
        compression="zstd",
        dictionary_pagesize_limit=4 << 20,
    )
    print(f"file {f + 1}/{a.files}: {n:,} rows, {time.time() - t0:.0f} s", flush=True)
