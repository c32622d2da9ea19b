//! Generated logs with answers written down by construction (not by running the code):
//! every figure of every account is checked exactly, in Parquet, CSV and NDJSON, on one and
//! two threads, across time zones, DST changes and midnight.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use amends_core::impact::{Impact, ImpactStatus};
use amends_impact::{ImpactError, Mapping, Query, Thresholds, Window, output};
use arrow_array::{
    ArrayRef, Float64Array, Int32Array, RecordBatch, StringArray, TimestampMicrosecondArray,
};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use parquet::arrow::ArrowWriter;
use parquet::file::properties::WriterProperties;
use rust_decimal::Decimal;

/// One request: account, time (RFC 3339, or local when the test maps a zone), status code,
/// latency in ms, feature.
type Row = (&'static str, &'static str, i32, Option<f64>, &'static str);

fn dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "amends-impact-{}-{}",
        std::process::id(),
        std::thread::current()
            .name()
            .unwrap_or("t")
            .replace("::", "-")
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn micros(text: &str, naive: bool) -> i64 {
    if naive {
        let dt: jiff::civil::DateTime = text.parse().unwrap();
        dt.to_zoned(TimeZone::UTC)
            .unwrap()
            .timestamp()
            .as_microsecond()
    } else {
        text.parse::<Timestamp>().unwrap().as_microsecond()
    }
}

/// Writes rows as Parquet with `per_group` rows per row group; `naive` writes timestamps
/// without a zone (local wall-clock time).
fn parquet(path: &Path, rows: &[Row], per_group: usize, naive: bool) {
    let tz: Option<Arc<str>> = (!naive).then(|| "UTC".into());
    let schema = Arc::new(Schema::new(vec![
        Field::new("account_id", DataType::Utf8, true),
        Field::new(
            "timestamp",
            DataType::Timestamp(TimeUnit::Microsecond, tz.clone()),
            true,
        ),
        Field::new("status", DataType::Int32, true),
        Field::new("latency_ms", DataType::Float64, true),
        Field::new("feature", DataType::Utf8, true),
    ]));
    let mut ts =
        TimestampMicrosecondArray::from_iter_values(rows.iter().map(|r| micros(r.1, naive)));
    if let Some(tz) = tz {
        ts = ts.with_timezone(tz);
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.0))),
        Arc::new(ts),
        Arc::new(Int32Array::from_iter_values(rows.iter().map(|r| r.2))),
        Arc::new(Float64Array::from_iter(rows.iter().map(|r| r.3))),
        Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.4))),
    ];
    let batch = RecordBatch::try_new(schema.clone(), columns).unwrap();
    let props = WriterProperties::builder()
        .set_max_row_group_row_count(Some(per_group))
        .set_write_batch_size(per_group)
        .build();
    let mut w =
        ArrowWriter::try_new(std::fs::File::create(path).unwrap(), schema, Some(props)).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

fn csv(path: &Path, rows: &[Row]) {
    let mut text = String::from("account_id,timestamp,status,latency_ms,feature\n");
    for r in rows {
        let latency = r.3.map(|l| l.to_string()).unwrap_or_default();
        text.push_str(&format!("{},{},{},{latency},{}\n", r.0, r.1, r.2, r.4));
    }
    std::fs::write(path, text).unwrap();
}

fn ndjson(path: &Path, rows: &[Row]) {
    let mut text = String::new();
    for r in rows {
        text.push_str(
            &serde_json::json!({"account_id": r.0, "timestamp": r.1, "status": r.2, "latency_ms": r.3, "feature": r.4})
                .to_string(),
        );
        text.push('\n');
    }
    std::fs::write(path, text).unwrap();
}

fn query(windows: &[&str], zone: &str, threads: usize) -> Query {
    let tz = TimeZone::get(zone).unwrap();
    Query {
        mapping: Mapping::default()
            .with_settings([
                "latency=latency_ms",
                "feature=feature",
                &format!("zone={zone}"),
            ])
            .unwrap(),
        windows: windows
            .iter()
            .map(|w| Window::parse(w, &tz).unwrap())
            .collect(),
        thresholds: Thresholds {
            error_rate: Decimal::new(5, 1),
            latency_ms: Some(1000),
        },
        skip_bad_rows: false,
        threads,
    }
}

fn t(s: &str) -> Option<Timestamp> {
    Some(s.parse().unwrap())
}

fn run(q: &Query, path: &Path) -> Vec<(String, Impact)> {
    amends_impact::run(q, path, None).unwrap().accounts
}

/// The main log: 2025-01-15 10:00–11:00 UTC, baseline 2025-01-08 10:00–11:00 UTC.
const MAIN: &[Row] = &[
    // baseline week
    ("a", "2025-01-08T10:30:00Z", 200, None, "api"),
    ("a", "2025-01-08T10:31:00Z", 200, None, "api"),
    ("c", "2025-01-08T10:10:00Z", 200, None, "api"),
    ("c", "2025-01-08T10:20:00Z", 200, None, "api"),
    ("c", "2025-01-08T10:59:59Z", 500, None, "api"),
    ("d", "2025-01-08T10:00:00Z", 200, None, "api"),
    ("d", "2025-01-08T10:05:00Z", 200, None, "api"),
    ("d", "2025-01-08T10:06:00Z", 200, None, "api"),
    ("d", "2025-01-08T11:00:00Z", 200, None, "api"), // just after the baseline
    // between baseline and window: active only outside both
    ("b", "2025-01-12T09:00:00Z", 500, None, "api"),
    // the window
    ("d", "2025-01-15T09:59:59Z", 500, None, "api"), // just before
    ("a", "2025-01-15T10:00:05Z", 200, Some(10.0), "api"),
    ("d", "2025-01-15T10:00:10Z", 200, Some(10.0), "api"),
    ("a", "2025-01-15T10:00:30Z", 500, None, "checkout"),
    ("d", "2025-01-15T10:00:40Z", 404, Some(10.0), "api"),
    ("a", "2025-01-15T10:01:10Z", 200, Some(20.0), "api"),
    ("a", "2025-01-15T10:01:20Z", 200, Some(20.0), "api"),
    ("a", "2025-01-15T10:01:40Z", 503, None, "checkout"),
    ("e", "2025-01-15T10:02:00Z", 200, Some(1500.0), "api"),
    ("e", "2025-01-15T10:02:30Z", 200, Some(400.0), "api"),
    ("e", "2025-01-15T10:03:00Z", 200, Some(900.0), "api"),
    ("d", "2025-01-15T10:30:00Z", 200, Some(10.0), "api"),
    ("d", "2025-01-15T10:31:00Z", 200, Some(10.0), "api"),
    ("a", "2025-01-15T10:59:59Z", 500, None, "api"),
    ("a", "2025-01-15T11:00:00Z", 500, None, "api"), // the end is outside
    ("b", "2025-01-15T12:00:00Z", 500, None, "api"),
];

fn main_expected() -> Vec<(String, Impact)> {
    vec![
        (
            "a".into(),
            Impact {
                requests: 6,
                failures: 3,
                // 10:00 1 of 2 failed (= 0.5), 10:01 1 of 3, 10:59 1 of 1
                impacted_minutes: 2,
                first_failure: t("2025-01-15T10:00:30Z"),
                last_failure: t("2025-01-15T10:59:59Z"),
                baseline_requests: 2,
                baseline_failures: 0,
            },
        ),
        (
            "c".into(),
            Impact {
                baseline_requests: 3,
                baseline_failures: 1,
                ..Impact::default()
            },
        ),
        (
            "d".into(),
            Impact {
                requests: 4, // the 404 is the client's: not a failure
                baseline_requests: 3,
                ..Impact::default()
            },
        ),
        (
            "e".into(),
            Impact {
                requests: 3,
                // 10:02 mean latency (1500 + 400) / 2 = 950 < 1000; 10:03 900 < 1000
                impacted_minutes: 0,
                ..Impact::default()
            },
        ),
    ]
}

#[test]
fn every_figure_is_exact_in_every_format_and_thread_count() {
    let d = dir();
    let expected = main_expected();
    let statuses: Vec<ImpactStatus> = expected.iter().map(|(_, i)| i.status()).collect();
    assert_eq!(
        statuses,
        [
            ImpactStatus::Impacted,
            ImpactStatus::Silent,
            ImpactStatus::Unaffected,
            ImpactStatus::Unaffected
        ]
    );
    parquet(&d.join("main.parquet"), MAIN, 3, false);
    csv(&d.join("main.csv"), MAIN);
    ndjson(&d.join("main.ndjson"), MAIN);
    for file in ["main.parquet", "main.csv", "main.ndjson"] {
        for threads in [1, 2] {
            let q = query(
                &["2025-01-15T10:00:00Z/2025-01-15T11:00:00Z"],
                "UTC",
                threads,
            );
            assert_eq!(
                run(&q, &d.join(file)),
                expected,
                "{file} on {threads} thread(s)"
            );
        }
    }
}

#[test]
fn every_seam_between_threads_gives_the_same_answer() {
    let d = dir();
    // One row per row group: two threads split the log at every possible place over a
    // directory of files.
    let logs = d.join("split");
    std::fs::create_dir_all(&logs).unwrap();
    parquet(&logs.join("part-0.parquet"), &MAIN[..14], 1, false);
    parquet(&logs.join("part-1.parquet"), &MAIN[14..], 2, false);
    let q = query(&["2025-01-15T10:00:00Z/2025-01-15T11:00:00Z"], "UTC", 2);
    let report = amends_impact::run(&q, &logs, None).unwrap();
    assert_eq!(report.accounts, main_expected());
    assert_eq!(report.files, 2);
    // Row groups wholly between baseline and window (b on 01-12) or after it are skipped.
    assert!(
        report.row_groups_pruned >= 2,
        "{}",
        report.row_groups_pruned
    );
}

#[test]
fn latency_over_the_threshold_makes_a_minute_impacted() {
    let d = dir();
    let rows: &[Row] = &[
        ("e", "2025-01-15T10:02:00Z", 200, Some(1500.0), "api"),
        ("e", "2025-01-15T10:02:30Z", 200, Some(500.0), "api"), // mean exactly 1000
        ("e", "2025-01-15T10:03:00Z", 500, None, "api"),        // no latency: a failure
        ("e", "2025-01-15T10:03:10Z", 200, Some(999.0), "api"),
    ];
    parquet(&d.join("lat.parquet"), rows, 10, false);
    let q = query(&["2025-01-15T10:00:00Z/2025-01-15T11:00:00Z"], "UTC", 1);
    let got = run(&q, &d.join("lat.parquet"));
    assert_eq!(got[0].1.impacted_minutes, 2); // 10:02 by latency, 10:03 by 1 of 2 failed
    assert_eq!(got[0].1.failures, 1);
}

/// Regression: a CSV latency written `NaN` (pandas' missing value) was read as a number and
/// made its minute's latency sum NaN, so the minute could never count as slow; Parquet reads
/// NaN as missing. Now every format does, and an infinite latency is refused.
#[test]
fn a_nan_latency_is_missing_in_every_format() {
    let d = dir();
    let rows: &[Row] = &[
        ("e", "2025-01-15T10:02:00Z", 200, Some(1500.0), "api"),
        ("e", "2025-01-15T10:02:30Z", 200, Some(f64::NAN), "api"),
    ];
    parquet(&d.join("nan.parquet"), rows, 10, false);
    csv(&d.join("nan.csv"), rows);
    let q = query(&["2025-01-15T10:00:00Z/2025-01-15T11:00:00Z"], "UTC", 1);
    for file in ["nan.parquet", "nan.csv"] {
        let got = run(&q, &d.join(file));
        assert_eq!(got[0].1.requests, 2, "{file}");
        assert_eq!(
            got[0].1.impacted_minutes, 1,
            "{file}: 1500 ms is the only latency"
        );
    }
    std::fs::write(
        d.join("inf.csv"),
        "account_id,timestamp,status,latency_ms,feature\ne,2025-01-15T10:02:00Z,200,inf,api\n",
    )
    .unwrap();
    let e = error(&q, &d.join("inf.csv"));
    assert!(
        e.contains("line 2") && e.contains("\"inf\" is not a number of milliseconds"),
        "{e}"
    );
}

#[test]
fn a_window_limited_to_a_feature_counts_only_it() {
    let d = dir();
    csv(&d.join("f.csv"), MAIN);
    let q = query(
        &["2025-01-15T10:00:00Z/2025-01-15T11:00:00Z;feature=checkout"],
        "UTC",
        1,
    );
    let got = run(&q, &d.join("f.csv"));
    assert_eq!(
        got,
        vec![(
            "a".into(),
            Impact {
                requests: 2,
                failures: 2,
                impacted_minutes: 2,
                first_failure: t("2025-01-15T10:00:30Z"),
                last_failure: t("2025-01-15T10:01:40Z"),
                ..Impact::default()
            }
        )]
    );
}

#[test]
fn overlapping_windows_count_a_request_once() {
    let d = dir();
    csv(&d.join("o.csv"), MAIN);
    let q = query(
        &[
            "2025-01-15T10:00:00Z/2025-01-15T10:45:00Z",
            "2025-01-15T10:30:00Z/2025-01-15T11:00:00Z",
        ],
        "UTC",
        1,
    );
    assert_eq!(run(&q, &d.join("o.csv")), main_expected());
}

/// Local wall-clock timestamps in New York; the window crosses midnight local time (and the
/// UTC date changes at a different hour).
#[test]
fn a_window_across_midnight_in_a_local_zone() {
    let d = dir();
    let rows: &[Row] = &[
        ("x", "2025-01-08T23:50:00", 200, None, "api"), // baseline
        ("x", "2025-01-15T23:29:59", 500, None, "api"),
        ("x", "2025-01-15T23:45:00", 500, None, "api"),
        ("x", "2025-01-16T00:15:00", 502, None, "api"),
        ("x", "2025-01-16T00:15:30", 200, None, "api"),
        ("x", "2025-01-16T00:30:00", 500, None, "api"),
    ];
    parquet(&d.join("ny.parquet"), rows, 2, true);
    csv(&d.join("ny.csv"), rows);
    for file in ["ny.parquet", "ny.csv"] {
        let q = query(
            &["2025-01-15T23:30/2025-01-16T00:30"],
            "America/New_York",
            2,
        );
        assert_eq!(
            run(&q, &d.join(file)),
            vec![(
                "x".into(),
                Impact {
                    requests: 3,
                    failures: 2,
                    impacted_minutes: 2, // 23:45 1/1, 00:15 1/2
                    first_failure: t("2025-01-16T04:45:00Z"),
                    last_failure: t("2025-01-16T05:15:00Z"),
                    baseline_requests: 1,
                    baseline_failures: 0,
                }
            )],
            "{file}"
        );
    }
}

/// The window is the Monday after New York springs forward: its baseline a week earlier is
/// 10:00 EST = 15:00Z, not 14:00Z.
#[test]
fn the_baseline_keeps_wall_clock_time_across_a_dst_change() {
    let d = dir();
    let rows: &[Row] = &[
        ("y", "2025-03-03T14:30:00Z", 200, None, "api"), // 168 h before the window: not baseline
        ("y", "2025-03-03T15:10:00-00:00", 200, None, "api"), // 10:10 EST: baseline
        ("y", "2025-03-03T10:59:00-05:00", 500, None, "api"), // 10:59 EST written with offset
        ("y", "2025-03-10T10:05:00-04:00", 500, None, "api"), // 14:05Z in the window
    ];
    csv(&d.join("dst.csv"), rows);
    let q = query(
        &["2025-03-10T10:00/2025-03-10T11:00"],
        "America/New_York",
        1,
    );
    assert_eq!(
        run(&q, &d.join("dst.csv")),
        vec![(
            "y".into(),
            Impact {
                requests: 1,
                failures: 1,
                impacted_minutes: 1,
                first_failure: t("2025-03-10T14:05:00Z"),
                last_failure: t("2025-03-10T14:05:00Z"),
                baseline_requests: 2,
                baseline_failures: 1,
            }
        )]
    );
}

#[test]
fn no_traffic_at_all_gives_no_accounts() {
    let d = dir();
    csv(&d.join("empty.csv"), &[]);
    let q = query(&["2025-01-15T10:00:00Z/2025-01-15T11:00:00Z"], "UTC", 2);
    assert!(run(&q, &d.join("empty.csv")).is_empty());
}

#[test]
fn impact_files_round_trip_in_every_format() {
    let d = dir();
    let expected = main_expected();
    for name in ["i.parquet", "i.csv", "i.json"] {
        let path = d.join(name);
        let mut f = std::fs::File::create(&path).unwrap();
        output::write(&expected, output::Format::of(&path).unwrap(), &mut f).unwrap();
        drop(f);
        assert_eq!(output::read(&path).unwrap(), expected, "{name}");
    }
    let text = std::fs::read_to_string(d.join("i.csv")).unwrap();
    assert!(text.starts_with("account,requests,failures,error_rate,impacted_minutes,first_failure,last_failure,active,baseline_requests,baseline_failures,status\n"));
    assert!(
        text.contains("a,6,3,0.5,2,2025-01-15T10:00:30Z,2025-01-15T10:59:59Z,true,2,0,impacted\n"),
        "{text}"
    );
    assert!(text.contains("c,0,0,0,0,,,false,3,1,silent\n"), "{text}");
}

// ---- bad input: clear errors naming file, place and column; never a silent answer ----

fn error(q: &Query, path: &Path) -> String {
    match amends_impact::run(q, path, None) {
        Ok(r) => panic!("expected an error, got {:?}", r.accounts),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_missing_column_is_named_with_the_columns_there_are() {
    let d = dir();
    csv(&d.join("m.csv"), MAIN);
    parquet(&d.join("m.parquet"), MAIN, 5, false);
    let mut q = query(&["2025-01-15T10:00:00Z/2025-01-15T11:00:00Z"], "UTC", 1);
    q.mapping = q.mapping.with_settings(["account=customer"]).unwrap();
    for file in ["m.csv", "m.parquet"] {
        let e = error(&q, &d.join(file));
        assert!(
            e.contains(file) && e.contains("no column \"customer\" (mapped as account)"),
            "{e}"
        );
        assert!(e.contains("account_id, timestamp, status"), "{e}");
    }
}

#[test]
fn an_unparseable_timestamp_is_reported_or_skipped_and_counted() {
    let d = dir();
    let rows: &[Row] = &[
        ("a", "2025-01-15T10:00:05Z", 500, None, "api"),
        ("a", "yesterday-ish", 500, None, "api"),
        ("a", "2025-01-15T10:00:06Z", 200, None, "api"),
    ];
    csv(&d.join("bad.csv"), rows);
    ndjson(&d.join("bad.ndjson"), rows);
    let mut q = query(&["2025-01-15T10:00:00Z/2025-01-15T11:00:00Z"], "UTC", 1);
    for file in ["bad.csv", "bad.ndjson"] {
        let e = error(&q, &d.join(file));
        let line = if file.ends_with("csv") {
            "line 3"
        } else {
            "line 2"
        };
        assert!(
            e.contains(file) && e.contains(line) && e.contains("column \"timestamp\""),
            "{e}"
        );
        assert!(e.contains("--skip-bad-rows"), "{e}");
    }
    q.skip_bad_rows = true;
    let report = amends_impact::run(&q, &d.join("bad.csv"), None).unwrap();
    assert_eq!(report.skipped.rows, 1);
    assert_eq!(report.skipped.by_column.get("timestamp"), Some(&1));
    assert_eq!(report.accounts[0].1.requests, 2);
    assert_eq!(report.accounts[0].1.failures, 1);
}

#[test]
fn a_bad_status_names_its_line_and_column() {
    let d = dir();
    std::fs::write(
        d.join("s.csv"),
        "account_id,timestamp,status,latency_ms,feature\na,2025-01-15T10:00:05Z,oops,,api\n",
    )
    .unwrap();
    let q = query(&["2025-01-15T10:00:00Z/2025-01-15T11:00:00Z"], "UTC", 1);
    let e = error(&q, &d.join("s.csv"));
    assert!(
        e.contains("line 2")
            && e.contains("column \"status\"")
            && e.contains("\"oops\" is not a status code"),
        "{e}"
    );
}

#[test]
fn a_column_of_the_wrong_type_is_named() {
    let d = dir();
    parquet(&d.join("w.parquet"), MAIN, 5, false);
    let mut q = query(&["2025-01-15T10:00:00Z/2025-01-15T11:00:00Z"], "UTC", 1);
    q.mapping = q.mapping.with_settings(["status=feature"]).unwrap();
    let e = error(&q, &d.join("w.parquet"));
    assert!(
        e.contains("w.parquet") && e.contains("column \"feature\" (outcome) has type Utf8"),
        "{e}"
    );
    q.mapping = q
        .mapping
        .with_settings(["status=status", "account=latency_ms"])
        .unwrap();
    let e = error(&q, &d.join("w.parquet"));
    assert!(
        e.contains("column \"latency_ms\" (account) has type Float64"),
        "{e}"
    );
}

#[test]
fn a_corrupt_file_is_named() {
    let d = dir();
    std::fs::write(d.join("c.parquet"), b"PAR1 this is not parquet").unwrap();
    let q = query(&["2025-01-15T10:00:00Z/2025-01-15T11:00:00Z"], "UTC", 1);
    let e = error(&q, &d.join("c.parquet"));
    assert!(e.contains("c.parquet"), "{e}");
    // A truncated real file.
    parquet(&d.join("t.parquet"), MAIN, 5, false);
    let bytes = std::fs::read(d.join("t.parquet")).unwrap();
    std::fs::write(d.join("t.parquet"), &bytes[..bytes.len() / 2]).unwrap();
    assert!(error(&q, &d.join("t.parquet")).contains("t.parquet"));
}

#[test]
fn rows_out_of_time_order_are_refused() {
    let d = dir();
    let rows: &[Row] = &[
        ("a", "2025-01-15T10:05:00Z", 200, None, "api"),
        ("a", "2025-01-15T10:07:00Z", 200, None, "api"),
        ("a", "2025-01-15T10:01:00Z", 500, None, "api"),
    ];
    csv(&d.join("ooo.csv"), rows);
    let q = query(&["2025-01-15T10:00:00Z/2025-01-15T11:00:00Z"], "UTC", 1);
    let e = error(&q, &d.join("ooo.csv"));
    assert!(
        e.contains("ooo.csv, line 4") && e.contains("time order"),
        "{e}"
    );
}

#[test]
fn errors_are_values_not_panics() {
    let q = query(&["2025-01-15T10:00:00Z/2025-01-15T11:00:00Z"], "UTC", 1);
    let e = amends_impact::run(&q, Path::new("/nonexistent/logs"), None).unwrap_err();
    assert!(matches!(e, ImpactError::Io { .. }), "{e}");
}
