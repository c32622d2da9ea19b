#!/usr/bin/env python3
"""Exits non-zero unless two impact files (amends's and another engine's) hold the same
figures for the same accounts: every column, exactly."""
import sys
from decimal import Decimal

import pyarrow.parquet as pq

COLUMNS = ["account", "requests", "failures", "error_rate", "impacted_minutes", "first_failure",
           "last_failure", "active", "baseline_requests", "baseline_failures", "status"]


def rows(path):
    t = pq.read_table(path).select(COLUMNS)
    out = {}
    for r in t.to_pylist():
        r["error_rate"] = Decimal(r["error_rate"]).normalize()
        for k in ("first_failure", "last_failure"):
            r[k] = r[k].timestamp() if r[k] is not None else None
        out[r["account"]] = r
    return out


a, b = rows(sys.argv[1]), rows(sys.argv[2])
if a.keys() != b.keys():
    print(f"accounts differ: {len(a.keys() - b.keys())} only in {sys.argv[1]}, "
          f"{len(b.keys() - a.keys())} only in {sys.argv[2]}")
    sys.exit(1)
bad = [k for k in a if a[k] != b[k]]
for k in bad[:5]:
    print(f"{k}:\n  {a[k]}\n  {b[k]}")
if bad:
    print(f"{len(bad)} of {len(a)} accounts differ")
    sys.exit(1)
print(f"identical: {len(a)} accounts, every column")
