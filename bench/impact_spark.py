#!/usr/bin/env python3
"""`amends impact` on Apache Spark: the same per-account impact query, run by Spark SQL over
the same usage logs, writing the same impact file that `amends plan --impact` reads.

Why: issue #7 asks that the impact query not be tied to one machine. Logs too large for one
machine usually already live where a distributed engine reads them; this script is that
query for Spark (local mode here, a cluster through spark-submit), with nothing home-made
about the cluster. The test crates/amends-cli/tests/impact_spark.rs runs it beside
`amends impact` and requires the two files to be identical, figure for figure.

It takes the flags of `amends impact` (docs/impact.md) and mirrors amends' definitions:
  * windows are [start, end), RFC 3339 with offset, zoned `…[Zone]`, or local in --zone;
    several windows count a request once; `;feature=NAME` / `;region=NAME` limit one;
  * the baseline is each window one week earlier by the wall clock of the window's zone
    (computed here on the driver, as amends does, with the same DST rules);
  * log timestamps without an offset (text, or Parquet timestamps without a zone) are local
    time in the mapping's zone; a repeated hour reads as its first occurrence, a skipped
    one as after the change (Spark's to_utc_timestamp does what jiff's "compatible" does);
  * a minute is a UTC minute; it is impacted when failures * den >= num * requests (the
    error-rate threshold as an exact fraction) or, with --latency-ms, when the sum of the
    minute's latencies >= threshold * (requests that have one);
  * error_rate is failures / requests to 6 places, half away from zero, trailing zeros
    dropped; status is impacted > silent (requests * 2 < baseline) > quiet > unaffected;
  * a row inside a window or baseline with no timestamp, outcome or account, or an
    unreadable latency, stops the run (or is counted and skipped with --skip-bad-rows).
Spark does not need the logs in time order, so it does not refuse rows out of order as
amends does; on valid logs the figures are the same.

usage:
  impact_spark.py --logs PATH --window START/END [--window …] [--zone ZONE] [--map K=COL …]
                  [--playbook FILE] [--error-rate D] [--latency-ms N] [--skip-bad-rows]
                  --out FILE.csv|.json|.parquet [--out …] [--master local[2]]
  impact_spark.py --jobs JOBS.json [--master …]   # several runs in one Spark session: a
                                                 # JSON list of argument lists like the above
Needs pyspark (python3 -m pip install pyspark) and Java 17+. Under spark-submit the master
comes from spark-submit; run directly, it is local[2].
"""
import argparse
import csv
import datetime as dt
import json
import os
import re
import shutil
import sys
import tempfile
import time
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UTC = dt.timezone.utc
EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)
COLUMNS = ["account", "requests", "failures", "error_rate", "impacted_minutes", "first_failure",
           "last_failure", "active", "baseline_requests", "baseline_failures", "status"]
KINDS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv", ".ndjson": "ndjson",
         ".jsonl": "ndjson"}


class Refused(Exception):
    """A plain-words error for the user (bad flag, bad input); printed without a trace."""


# ---- the query's parameters, exactly as amends reads them ---------------------------------

def zone_named(name, what):
    if name == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise Refused(f"{what}: {name!r} is not an IANA time zone ({e})") from None


def micros(t):
    """An aware datetime as microseconds since the epoch, exactly."""
    d = t - EPOCH
    return (d.days * 86_400 + d.seconds) * 1_000_000 + d.microseconds


def resolve(local, zone):
    """A wall-clock time in `zone` as an instant, like jiff's "compatible" disambiguation: a
    repeated time is its first occurrence, a skipped one is read with the offset before the
    change (zoneinfo's fold=0 does exactly this)."""
    return local.replace(tzinfo=zone, fold=0).astimezone(UTC)


def ambiguous(local, zone):
    return (local.replace(tzinfo=zone, fold=0).utcoffset()
            != local.replace(tzinfo=zone, fold=1).utcoffset())


def instant(text, zone, spec):
    """(instant, zone) of one end of a window, as amends' Window::parse reads it."""
    m = re.fullmatch(r"(.*)\[([^\]]+)\]", text)
    try:
        if m:
            base, named = m.group(1), zone_named(m.group(2), f"window {spec!r}")
            t = dt.datetime.fromisoformat(base)
            return (t.astimezone(UTC) if t.tzinfo else resolve(t, named)), named
        t = dt.datetime.fromisoformat(text)
    except ValueError:
        raise Refused(f"window {spec!r}: {text!r} is not a time (RFC 3339, e.g. "
                      "2025-03-10T10:00:00Z, or local 2025-03-10T10:00)") from None
    if t.tzinfo:
        return t.astimezone(UTC), zone
    if ambiguous(t, zone):
        raise Refused(f"window {spec!r}: {text!r} does not exist or happens twice in its zone "
                      "(a DST change): give an offset")
    return resolve(t, zone), zone


def parse_window(spec, zone):
    """A window `START/END[;feature=NAME][;region=NAME]` and its baseline, in microseconds."""
    parts = spec.split(";")
    depth, cut = 0, None
    for i, c in enumerate(parts[0]):
        depth += {"[": 1, "]": -1}.get(c, 0)
        if c == "/" and depth == 0:
            cut = i
            break
    if cut is None:
        raise Refused(f"window {spec!r}: expected START/END")
    (start, wzone), (end, _) = (instant(parts[0][:cut].strip(), zone, spec),
                                instant(parts[0][cut + 1:].strip(), zone, spec))
    if end <= start:
        raise Refused(f"window {spec!r}: ends ({end}) before it starts ({start})")
    w = {"start": micros(start), "end": micros(end), "feature": None, "region": None}
    for f in parts[1:]:
        key, _, value = f.partition("=")
        if key in ("feature", "endpoint") and _:
            w["feature"] = value.strip()
        elif key == "region" and _:
            w["region"] = value.strip()
        else:
            raise Refused(f"window {spec!r}: {f!r} is not feature=NAME or region=NAME")

    def week_back(t):
        # One week earlier by the wall clock of the window's zone (amends: Zoned - 1 week).
        local = t.astimezone(wzone).replace(tzinfo=None) - dt.timedelta(days=7)
        return micros(resolve(local, wzone))

    baseline = dict(w, start=week_back(start), end=week_back(end))
    return w, baseline


def mapping_from(settings):
    m = {"account": "account_id", "timestamp": "timestamp", "zone": "UTC", "status": "status",
         "failure_from": 500, "success": None, "latency": None, "feature": None, "region": None}
    for s in settings:
        key, eq, value = s.partition("=")
        key, value = key.strip(), value.strip()
        if not eq:
            raise Refused(f"column mapping {s!r} is not key=value (e.g. account=customer_id)")
        if not value:
            raise Refused(f"column mapping {s!r} has no column name")
        if key == "endpoint":
            key = "feature"
        if key == "failure_from":
            if m["success"]:
                raise Refused("failure_from applies to a status column, not success=")
            try:
                m["failure_from"] = int(value)
            except ValueError:
                raise Refused(f"failure_from={value}: not a status code") from None
        elif key == "status":
            m["status"], m["success"] = value, None
        elif key in m:
            m[key] = value
        else:
            raise Refused(f"unknown column mapping key {key!r}: use account, timestamp, zone, "
                          "status, failure_from, success, latency, feature or region")
    zone_named(m["zone"], f"zone={m['zone']}")
    return m


def parser():
    p = argparse.ArgumentParser(description="amends impact on Spark SQL", add_help=True)
    p.add_argument("--logs")
    p.add_argument("--window", action="append", default=[])
    p.add_argument("--zone")
    p.add_argument("--map", action="append", default=[])
    p.add_argument("--playbook")
    p.add_argument("--error-rate")
    p.add_argument("--latency-ms", type=int)
    p.add_argument("--skip-bad-rows", action="store_true")
    p.add_argument("--threads", type=int, help="accepted for amends' flags; Spark decides")
    p.add_argument("--out", action="append", default=[],
                   help="the impact file; repeat to write the same figures in several formats")
    p.add_argument("--jobs", help="a JSON list of argument lists, run in one Spark session")
    p.add_argument("--master", help="Spark master (default local[2] unless under spark-submit)")
    return p


def job_from(args):
    """Everything one run needs, checked before Spark starts."""
    if not args.logs or not args.out or not args.window:
        raise Refused("give --logs, at least one --window and --out")
    settings, error_rate, latency_ms = [], Decimal("0.05"), None
    if args.playbook:
        import tomllib
        try:
            with open(args.playbook, "rb") as f:
                impact = tomllib.load(f).get("impact", {})
        except (OSError, tomllib.TOMLDecodeError) as e:
            raise Refused(f"{args.playbook}: {e}") from None
        settings += [f"{k}={v}" for k, v in impact.get("columns", {}).items()]
        if "error_rate" in impact:
            error_rate = Decimal(str(impact["error_rate"]))
        latency_ms = impact.get("latency_ms")
    if args.zone:
        settings.append(f"zone={args.zone}")
    mapping = mapping_from(settings + args.map)
    if args.error_rate is not None:
        try:
            error_rate = Decimal(args.error_rate.strip())
        except InvalidOperation:
            raise Refused(f"--error-rate {args.error_rate!r} is not a decimal (e.g. 0.05)") from None
    if args.latency_ms is not None:
        latency_ms = args.latency_ms
    rate = error_rate.normalize()
    if not (0 < rate <= 1):
        raise Refused(f"the error rate threshold must be above 0 and at most 1, not {rate}")
    exp = rate.as_tuple().exponent
    num, den = (int(rate.scaleb(-exp)), 10 ** -exp) if exp < 0 else (int(rate), 1)
    zone = zone_named(mapping["zone"], "zone")
    windows = [parse_window(w, zone) for w in args.window]
    if any(w["feature"] for w, _ in windows) and not mapping["feature"]:
        raise Refused("a window is limited to a feature but no feature column is mapped "
                      "(feature=COLUMN)")
    if any(w["region"] for w, _ in windows) and not mapping["region"]:
        raise Refused("a window is limited to a region but no region column is mapped "
                      "(region=COLUMN)")
    for out in args.out:
        if os.path.splitext(out)[1].lower() not in (".csv", ".json", ".parquet", ".pq"):
            raise Refused(f"{out}: cannot tell the format from the extension: use .parquet, "
                          ".csv or .json")
    return {"logs": args.logs, "out": args.out, "mapping": mapping, "windows": windows,
            "num": num, "den": den, "latency_ms": latency_ms,
            "skip_bad_rows": args.skip_bad_rows}


# ---- reading the logs into one normalized view --------------------------------------------

def list_logs(path):
    """The log files under `path` grouped by kind, in path order, as amends lists them
    (partition folders included; names starting with '.' or '_' ignored). A URI
    (s3://, hdfs://, …) is handed to Spark as it is: a Parquet dataset unless it names a
    .csv/.ndjson/.jsonl file."""
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", path) and not path.startswith("file://"):
        kind = KINDS.get(os.path.splitext(path)[1].lower(), "parquet")
        return {kind: [path]}
    if os.path.isfile(path):
        kind = KINDS.get(os.path.splitext(path)[1].lower())
        if not kind:
            raise Refused(f"{path}: cannot tell the log format from the extension: use "
                          ".parquet, .csv, .ndjson or .jsonl")
        return {kind: [os.path.abspath(path)]}
    if not os.path.isdir(path):
        raise Refused(f"{path}: no such file or directory")
    found = []
    for root, dirs, files in os.walk(path):
        dirs[:] = [d for d in dirs if not d.startswith((".", "_"))]
        for name in files:
            kind = KINDS.get(os.path.splitext(name)[1].lower())
            if kind and not name.startswith((".", "_")):
                found.append((os.path.join(root, name), kind))
    if not found:
        raise Refused(f"{path}: no .parquet, .csv or .ndjson/.jsonl log files found")
    out = {}
    for p, kind in sorted(found):
        out.setdefault(kind, []).append(os.path.abspath(p))
    return out


def sql_text(s):
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"


def quoted(name):
    return "`" + name.replace("`", "``") + "`"


def text_instant(col, zone):
    """SQL for a timestamp written as text: RFC 3339 with an offset, `…[Zone]`, or local
    time in `zone`; NULL when unreadable."""
    s = f"trim({col})"
    named = f"regexp_extract({s}, '\\\\[([^\\\\]]+)\\\\]$', 1)"
    bare = f"regexp_replace({s}, '\\\\[[^\\\\]]+\\\\]$', '')"
    offset = f"{bare} RLIKE '(?i)(z|[+-][0-9][0-9](:?[0-9][0-9])?)$'"
    return (f"CASE WHEN {offset} THEN try_cast({bare} AS TIMESTAMP) "
            f"WHEN {named} <> '' THEN to_utc_timestamp(try_cast({bare} AS TIMESTAMP_NTZ), {named}) "
            f"ELSE to_utc_timestamp(try_cast({bare} AS TIMESTAMP_NTZ), {sql_text(zone)}) END")


def normalized(spark, kind, paths, m):
    """One kind of log files as (account, ts, failed, latency, latency_bad, feature, region):
    NULL where a value is missing or unreadable, as amends decodes it."""
    from pyspark.sql import types as T

    if kind == "parquet":
        df = spark.read.parquet(*paths)
    elif kind == "csv":
        df = spark.read.csv(list(paths), header=True, inferSchema=False, escape='"',
                            multiLine=True, mode="FAILFAST")
    else:
        df = spark.read.json(list(paths), primitivesAsString=True, mode="FAILFAST")
    fields = {f.name: f.dataType for f in df.schema.fields}
    where = paths[0] if len(paths) == 1 else f"{paths[0]} (and {len(paths) - 1} more)"

    def need(name, role):
        if name not in fields:
            raise Refused(f"{where}: no column {name!r} (mapped as {role}); the file has: "
                          f"{', '.join(fields)}")
        return fields[name]

    def wrong(name, role, expected):
        return Refused(f"{where}: column {name!r} ({role}) has type "
                       f"{fields[name].simpleString()}; expected {expected}")

    integer = (T.ByteType, T.ShortType, T.IntegerType, T.LongType)
    numeric = integer + (T.FloatType, T.DoubleType, T.DecimalType)
    text = lambda c: isinstance(fields[c], T.StringType)  # noqa: E731
    zone = m["zone"]

    a = m["account"]
    t = need(a, "account")
    if text(a) or isinstance(t, (T.IntegerType, T.LongType)):
        account = f"CAST({quoted(a)} AS STRING)"
        if text(a) and kind != "parquet":
            # An empty field is no account in text logs; in Parquet only a null is.
            account = f"CASE WHEN {quoted(a)} <> '' THEN {quoted(a)} END"
    else:
        raise wrong(a, "account", "text or an integer")

    c = m["timestamp"]
    t = need(c, "timestamp")
    if isinstance(t, T.TimestampType):
        ts = quoted(c)
    elif isinstance(t, T.TimestampNTZType):
        ts = f"to_utc_timestamp(CAST({quoted(c)} AS TIMESTAMP), {sql_text(zone)})"
    elif isinstance(t, T.LongType) and kind == "parquet":
        # Nanosecond Parquet timestamps, read as integers (nanosAsLong); floor to µs.
        ts = f"timestamp_micros(({quoted(c)} - pmod({quoted(c)}, 1000)) div 1000)"
        if zone != "UTC":
            ts = f"to_utc_timestamp({ts}, {sql_text(zone)})"
    elif text(c):
        ts = text_instant(quoted(c), zone)
    else:
        raise wrong(c, "timestamp", "a timestamp, or text in RFC 3339")

    if m["success"]:
        c = m["success"]
        t = need(c, "outcome")
        if isinstance(t, T.BooleanType):
            failed = f"NOT {quoted(c)}"
        elif text(c):
            v = f"lower(trim({quoted(c)}))"
            failed = (f"CASE WHEN {v} IN ('true', '1', 't', 'yes') THEN false "
                      f"WHEN {v} IN ('false', '0', 'f', 'no') THEN true END")
        else:
            raise wrong(c, "outcome", "boolean (true = success)")
    else:
        c = m["status"]
        t = need(c, "outcome")
        if isinstance(t, (T.ShortType, T.IntegerType, T.LongType)):
            failed = f"{quoted(c)} >= {int(m['failure_from'])}"
        elif text(c):
            failed = f"try_cast(trim({quoted(c)}) AS BIGINT) >= {int(m['failure_from'])}"
        else:
            raise wrong(c, "outcome", "an integer status code")

    latency, latency_bad = "CAST(NULL AS DOUBLE)", "false"
    if m["latency"]:
        c = m["latency"]
        t = need(c, "latency")
        if isinstance(t, numeric):
            v = f"CAST({quoted(c)} AS DOUBLE)"
            latency = f"CASE WHEN isnan({v}) THEN NULL ELSE {v} END"
        elif text(c):
            v = f"try_cast(trim({quoted(c)}) AS DOUBLE)"
            latency = f"CASE WHEN isnan({v}) THEN NULL ELSE {v} END"
            latency_bad = f"(nullif({quoted(c)}, '') IS NOT NULL AND {v} IS NULL)"
        else:
            raise wrong(c, "latency", "a number of milliseconds")

    def label(key):
        c = m[key]
        if not c:
            return "CAST(NULL AS STRING)"
        need(c, key)
        if not (text(c) or isinstance(fields[c], integer)):
            raise wrong(c, key, "text")
        return f"CAST({quoted(c)} AS STRING)"

    return df.selectExpr(f"{account} AS account", f"{ts} AS ts", f"{failed} AS failed",
                         f"{latency} AS latency", f"{latency_bad} AS latency_bad",
                         f"{label('feature')} AS feature", f"{label('region')} AS region")


# ---- the query ------------------------------------------------------------------------------

def at(us):
    return f"timestamp_micros({us})"


def spans(ws, filtered):
    """SQL: a request at `ts` falls in one of these spans (and matches its filters)."""
    terms = []
    for w in ws:
        t = f"(ts >= {at(w['start'])} AND ts < {at(w['end'])}"
        if filtered and w["feature"] is not None:
            t += f" AND coalesce(feature = {sql_text(w['feature'])}, false)"
        if filtered and w["region"] is not None:
            t += f" AND coalesce(region = {sql_text(w['region'])}, false)"
        terms.append(t + ")")
    return " OR ".join(terms)


def impact_sql(job):
    """The query: one scan of the logs, grouped by account and UTC minute, then by account.
    Rows with a value amends would refuse are counted (bad_*), not used."""
    windows = [w for w, _ in job["windows"]]
    baselines = [b for _, b in job["windows"]]
    filtered = any(w["feature"] is not None or w["region"] is not None for w in windows)
    num, den, lat = job["num"], job["den"], job["latency_ms"]
    slow = f" OR (timed > 0 AND latency_sum >= {float(lat)!r} * timed)" if lat is not None else ""
    return f"""
WITH marked AS (
  SELECT account, ts, failed, latency, latency_bad,
         coalesce({spans(windows, filtered)}, false) AS in_window,
         coalesce({spans(baselines, filtered)}, false) AS in_baseline
  FROM requests
  WHERE ts IS NULL OR {spans(windows + baselines, False)}
),
checked AS (
  SELECT *, (in_window OR in_baseline) AND failed IS NOT NULL AND NOT latency_bad
            AND account IS NOT NULL AS ok
  FROM marked
),
per_minute AS (  -- one group per account and UTC minute of a window or baseline
  SELECT account,
         count_if(ok AND in_window) AS n, count_if(ok AND in_window AND failed) AS f,
         sum(CASE WHEN ok AND in_window THEN latency END) AS latency_sum,
         count(CASE WHEN ok AND in_window THEN latency END) AS timed,
         min(CASE WHEN ok AND in_window AND failed THEN ts END) AS first_failure,
         max(CASE WHEN ok AND in_window AND failed THEN ts END) AS last_failure,
         count_if(ok AND in_baseline) AS b, count_if(ok AND in_baseline AND failed) AS bf,
         -- rows amends would refuse, by the first check they fail (its order)
         count_if(ts IS NULL) AS bad_timestamp,
         count_if((in_window OR in_baseline) AND failed IS NULL) AS bad_outcome,
         count_if((in_window OR in_baseline) AND failed IS NOT NULL AND latency_bad) AS bad_latency,
         count_if((in_window OR in_baseline) AND failed IS NOT NULL AND NOT latency_bad
                  AND account IS NULL) AS bad_account
  FROM checked GROUP BY account, date_trunc('MINUTE', ts)
),
figures AS (
  SELECT account, sum(n) AS requests, sum(f) AS failures,
         count_if(n > 0 AND (f * {den} >= {num} * n{slow})) AS impacted_minutes,
         min(first_failure) AS first_failure, max(last_failure) AS last_failure,
         sum(b) AS baseline_requests, sum(bf) AS baseline_failures,
         sum(bad_timestamp) AS bad_timestamp, sum(bad_outcome) AS bad_outcome,
         sum(bad_latency) AS bad_latency, sum(bad_account) AS bad_account
  FROM per_minute GROUP BY account
)
SELECT account, requests, failures,
       -- failures / requests in millionths, half away from zero, in integers
       CASE WHEN requests = 0 THEN 0
            ELSE (failures * 2000000 + requests) div (2 * requests) END AS error_rate_micros,
       impacted_minutes,
       unix_micros(first_failure) AS first_failure, unix_micros(last_failure) AS last_failure,
       requests > 0 AS active, baseline_requests, baseline_failures,
       CASE WHEN impacted_minutes > 0 THEN 'impacted'
            WHEN requests * 2 < baseline_requests THEN 'silent'
            WHEN requests = 0 THEN 'quiet'
            ELSE 'unaffected' END AS status,
       bad_timestamp, bad_outcome, bad_latency, bad_account
FROM figures
ORDER BY account
"""


# ---- writing the impact file as amends writes it -------------------------------------------

def rfc3339(us):
    """jiff's rendering of a Timestamp: seconds, then the fraction without trailing zeros."""
    if us is None:
        return ""
    secs, frac = divmod(us, 1_000_000)
    s = (EPOCH + dt.timedelta(seconds=secs)).strftime("%Y-%m-%dT%H:%M:%S")
    return s + (("." + f"{frac:06d}".rstrip("0")) if frac else "") + "Z"


def rate_text(millionths):
    """rust_decimal's normalized rendering of an error rate given in millionths."""
    whole, frac = divmod(millionths, 1_000_000)
    return str(whole) + (("." + f"{frac:06d}".rstrip("0")) if frac else "")


def write(spark, rows, out):
    """Writes the figures to `out` (under a temporary name, then renamed, like amends)."""
    fmt = os.path.splitext(out)[1].lower()
    parent = os.path.dirname(os.path.abspath(out))
    if fmt in (".parquet", ".pq"):
        # Spark's own Parquet writer, one part file (an impact file has one row per
        # account), microsecond UTC timestamps; amends reads any integer or timestamp type.
        from pyspark.sql import types as T
        schema = T.StructType([
            T.StructField("account", T.StringType(), False),
            T.StructField("requests", T.LongType(), False),
            T.StructField("failures", T.LongType(), False),
            T.StructField("error_rate", T.DecimalType(18, 6), False),
            T.StructField("impacted_minutes", T.LongType(), False),
            T.StructField("first_failure", T.LongType(), True),
            T.StructField("last_failure", T.LongType(), True),
            T.StructField("active", T.BooleanType(), False),
            T.StructField("baseline_requests", T.LongType(), False),
            T.StructField("baseline_failures", T.LongType(), False),
            T.StructField("status", T.StringType(), False)])
        data = [(r.account, r.requests, r.failures, Decimal(r.error_rate_micros).scaleb(-6),
                 r.impacted_minutes, r.first_failure, r.last_failure, r.active,
                 r.baseline_requests, r.baseline_failures, r.status) for r in rows]
        df = (spark.createDataFrame(data, schema)
              .withColumn("first_failure", micros_to_timestamp("first_failure"))
              .withColumn("last_failure", micros_to_timestamp("last_failure")))
        tmp = tempfile.mkdtemp(prefix=".impact-", dir=parent)
        try:
            df.coalesce(1).write.mode("overwrite").parquet(os.path.join(tmp, "out"))
            parts = [p for p in os.listdir(os.path.join(tmp, "out")) if p.endswith(".parquet")]
            if len(parts) != 1:
                raise Refused(f"Spark wrote {len(parts)} part files, expected one")
            os.replace(os.path.join(tmp, "out", parts[0]), out)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return
    fd, tmp = tempfile.mkstemp(prefix=".impact-", dir=parent)
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as f:
            if fmt == ".csv":
                w = csv.writer(f, lineterminator="\n")
                w.writerow(COLUMNS)
                for r in rows:
                    w.writerow([r.account, r.requests, r.failures, rate_text(r.error_rate_micros),
                                r.impacted_minutes, rfc3339(r.first_failure),
                                rfc3339(r.last_failure), str(r.active).lower(),
                                r.baseline_requests, r.baseline_failures, r.status])
            else:
                doc = [{"account": r.account, "requests": r.requests, "failures": r.failures,
                        "error_rate": rate_text(r.error_rate_micros),
                        "impacted_minutes": r.impacted_minutes,
                        "first_failure": rfc3339(r.first_failure) or None,
                        "last_failure": rfc3339(r.last_failure) or None,
                        "active": r.active, "baseline_requests": r.baseline_requests,
                        "baseline_failures": r.baseline_failures, "status": r.status}
                       for r in rows]
                # serde_json's pretty form with its sorted keys, as amends writes JSON.
                f.write(json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
        os.replace(tmp, out)
    except BaseException:
        os.unlink(tmp)
        raise


def micros_to_timestamp(name):
    from pyspark.sql import functions as F
    return F.expr(f"timestamp_micros({name})")


BAD = ("timestamp", "outcome", "latency", "account")


def run(spark, job):
    started = time.time()
    frames = [normalized(spark, kind, paths, job["mapping"])
              for kind, paths in list_logs(job["logs"]).items()]
    requests = frames[0]
    for f in frames[1:]:
        requests = requests.unionByName(f)
    requests.createOrReplaceTempView("requests")
    # One row per account (and one for rows without an account), in account order.
    result = spark.sql(impact_sql(job)).collect()
    bad = {k: sum(r[f"bad_{k}"] for r in result) for k in BAD}
    bad = {k: n for k, n in bad.items() if n}
    if bad:
        what = ", ".join(f"{n} without a readable {k}" for k, n in bad.items())
        if not job["skip_bad_rows"]:
            raise Refused(f"{job['logs']}: {sum(bad.values())} bad row(s): {what} (use "
                          "--skip-bad-rows to count and skip such rows)")
        print(f"skipped {sum(bad.values())} bad row(s) ({what})", file=sys.stderr)
    rows = [r for r in result
            if r.account is not None and r.requests + r.baseline_requests > 0]
    for out in job["out"]:
        write(spark, rows, out)
    counts = {s: sum(1 for r in rows if r.status == s)
              for s in ("impacted", "silent", "quiet", "unaffected")}
    print(f"spark: {len(rows)} accounts: {counts['impacted']} impacted, {counts['silent']} "
          f"silent, {counts['quiet']} quiet, {counts['unaffected']} unaffected; "
          f"{', '.join(job['out'])} in {time.time() - started:.2f} s", file=sys.stderr)


def main(argv):
    p = parser()
    args = p.parse_args(argv)
    if args.jobs:
        try:
            with open(args.jobs, encoding="utf-8") as f:
                lists = json.load(f)
        except (OSError, ValueError) as e:
            raise Refused(f"{args.jobs}: {e}") from None
        if not isinstance(lists, list) or not all(isinstance(a, list) for a in lists):
            raise Refused(f"{args.jobs}: expected a JSON list of argument lists")
        jobs = [job_from(p.parse_args([str(x) for x in a])) for a in lists]
    else:
        jobs = [job_from(args)]

    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise Refused("pyspark is not installed: python3 -m pip install pyspark "
                      "(it needs Java 17 or newer)") from None
    if not shutil.which("java") and not os.environ.get("JAVA_HOME"):
        raise Refused("no Java runtime (java not on PATH, JAVA_HOME unset): Spark needs "
                      "Java 17 or newer, e.g. apt-get install openjdk-17-jre-headless")
    started = time.time()
    builder = (SparkSession.builder.appName("amends-impact")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.sql.ansi.enabled", "true")
               .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
               .config("spark.sql.parquet.inferTimestampNTZ.enabled", "true")
               .config("spark.sql.legacy.parquet.nanosAsLong", "true")
               .config("spark.sql.shuffle.partitions", os.environ.get("SPARK_PARTITIONS", "8"))
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false"))
    if args.master:
        builder = builder.master(args.master)
    elif "PYSPARK_GATEWAY_PORT" not in os.environ:  # not under spark-submit
        builder = builder.master("local[2]")
    with tempfile.TemporaryDirectory(prefix="amends-spark-") as scratch:
        builder = (builder.config("spark.sql.warehouse.dir", os.path.join(scratch, "warehouse"))
                   .config("spark.local.dir", scratch))
        spark = builder.getOrCreate()
        spark.sparkContext.setLogLevel("FATAL")  # errors are reported below, once
        print(f"spark {spark.version} ({spark.sparkContext.master}) started in "
              f"{time.time() - started:.1f} s", file=sys.stderr)
        try:
            for job in jobs:
                run(spark, job)
        finally:
            spark.stop()


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except Refused as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(1)
    except Exception as e:  # Spark's own errors: its first lines say what, not a JVM trace
        if not type(e).__module__.startswith(("pyspark", "py4j")):
            raise
        cause = getattr(e, "java_exception", None)
        while cause is not None and cause.getCause() is not None:
            cause = cause.getCause()  # the root cause names the problem (a malformed record …)
        text = cause.toString() if cause is not None else (str(e).strip() or repr(e))
        print(f"error: spark: {text.splitlines()[0]}", file=sys.stderr)
        sys.exit(1)
