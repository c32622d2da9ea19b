//! Issue #7, beyond one machine: the impact query run by Apache Spark (bench/impact_spark.py,
//! Spark SQL in local mode) over the same logs writes the same impact file as `amends
//! impact`, byte for byte, and `amends plan --impact` makes the same plan from either.
//!
//! Needs python3 with pyspark and Java 17+ (`.ci/run` installs them); without them this
//! test fails, it does not skip. Spark starts once: every case is one job of one run.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::Instant;

use arrow_array::{
    ArrayRef, Float64Array, Int32Array, RecordBatch, StringArray, TimestampMicrosecondArray,
};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use parquet::arrow::ArrowWriter;
use parquet::file::properties::WriterProperties;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn amends(args: &[String]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_amends"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("run amends")
}

/// One request: account, time (RFC 3339, or local wall-clock time), status, latency ms,
/// feature.
type Row = (&'static str, &'static str, i32, Option<f64>, &'static str);

/// 2025-01-15 10:00–11:00 UTC and its baseline a week earlier; thresholds 0.5 and 1000 ms
/// (MAIN_FLAGS).
const MAIN: &[Row] = &[
    ("a", "2025-01-08T10:30:00Z", 200, None, "api"),
    ("a", "2025-01-08T10:31:00Z", 200, None, "api"),
    ("c", "2025-01-08T10:10:00Z", 200, None, "api"), // silent: gone in the window
    ("c", "2025-01-08T10:20:00Z", 200, None, "api"),
    ("c", "2025-01-08T10:59:59Z", 500, None, "api"),
    ("d", "2025-01-08T10:00:00Z", 200, None, "api"),
    ("d", "2025-01-08T10:05:00Z", 200, None, "api"),
    ("d", "2025-01-08T10:06:00Z", 200, None, "api"),
    ("d", "2025-01-08T11:00:00Z", 200, None, "api"), // just after the baseline
    ("b", "2025-01-12T09:00:00Z", 500, None, "api"), // in neither: no row
    ("d", "2025-01-15T09:59:59Z", 500, None, "api"), // just before the window
    ("a", "2025-01-15T10:00:05Z", 200, Some(10.0), "api"),
    ("d", "2025-01-15T10:00:10Z", 200, Some(10.0), "api"),
    ("a", "2025-01-15T10:00:30Z", 500, None, "checkout"), // 1 of 2: exactly the threshold
    ("d", "2025-01-15T10:00:40Z", 404, Some(10.0), "api"), // the client's: not a failure
    ("acme, inc", "2025-01-15T10:00:50Z", 503, Some(1.0), "api"), // quoted in CSV
    ("a", "2025-01-15T10:01:10Z", 200, Some(20.0), "api"),
    ("a", "2025-01-15T10:01:20Z", 200, Some(20.0), "api"),
    ("a", "2025-01-15T10:01:40Z", 503, None, "checkout"),
    ("e", "2025-01-15T10:02:00Z", 200, Some(1500.0), "api"), // mean 950 < 1000
    ("e", "2025-01-15T10:02:30Z", 200, Some(400.0), "api"),
    ("e", "2025-01-15T10:03:00Z", 200, Some(900.0), "api"),
    ("g", "2025-01-15T10:04:00Z", 500, None, "api"), // 2 of 3: 0.666667
    ("g", "2025-01-15T10:04:01Z", 200, Some(1.0), "api"),
    ("g", "2025-01-15T10:04:02Z", 500, None, "api"),
    ("g", "2025-01-15T10:05:02Z", 200, Some(1.0), "api"),
    ("g", "2025-01-15T10:06:02Z", 200, Some(1.0), "api"),
    ("g", "2025-01-15T10:07:02Z", 200, Some(1.0), "api"),
    ("g", "2025-01-15T10:08:02Z", 200, Some(1.0), "api"),
    ("g", "2025-01-15T10:09:02Z", 200, Some(1.0), "api"), // 2 of 8 in all: 0.25
    ("f", "2025-01-15T10:20:00.123456Z", 500, Some(2.25), "api"), // fractional seconds
    ("f", "2025-01-15T10:20:00.25Z", 200, None, "api"),
    ("f", "2025-01-15T10:21:10Z", 200, Some(1500.0), "api"), // mean exactly 1000
    ("f", "2025-01-15T10:21:59.999999Z", 200, Some(500.0), "api"),
    ("f", "2025-01-15T10:22:00.5Z", 200, Some(999.5), "api"),
    ("d", "2025-01-15T10:30:00Z", 200, Some(10.0), "api"),
    ("d", "2025-01-15T10:31:00Z", 200, Some(10.0), "api"),
    ("a", "2025-01-15T10:59:59Z", 500, None, "api"),
    ("a", "2025-01-15T11:00:00Z", 500, None, "api"), // the end is outside
    ("b", "2025-01-15T12:00:00Z", 500, None, "api"),
];

/// Local wall-clock times in New York: a window across midnight (2025-01-15 23:30 to
/// 00:30) and one across the spring-forward change (2025-03-09 01:00 to 04:00 local, two
/// real hours; 02:30 does not exist and reads as 03:30 EDT, the same instant as 03:30).
const NEW_YORK: &[Row] = &[
    ("x", "2025-01-08T23:50:00", 200, None, "api"), // baseline
    ("x", "2025-01-15T23:29:59", 500, None, "api"),
    ("x", "2025-01-15T23:45:00", 500, None, "api"),
    ("x", "2025-01-16T00:15:00", 502, None, "api"),
    ("x", "2025-01-16T00:15:30", 200, None, "api"),
    ("x", "2025-01-16T00:30:00", 500, None, "api"),
    ("z", "2025-03-02T01:00:00", 200, None, "api"), // baseline: 01:00–04:00 EST
    ("z", "2025-03-02T03:59:59", 200, None, "api"),
    ("z", "2025-03-09T01:59:59", 500, None, "api"),
    ("z", "2025-03-09T02:30:00", 500, None, "api"), // skipped hour: 07:30Z
    ("z", "2025-03-09T03:30:00", 200, None, "api"), // 07:30Z: 1 of 2 in that minute
    ("z", "2025-03-09T03:59:00", 200, None, "api"),
];

/// The Monday after New York springs forward: the baseline is 10:00 EST = 15:00Z.
const DST_BASELINE: &[Row] = &[
    ("y", "2025-03-03T14:30:00Z", 200, None, "api"), // 168 h before: not the baseline
    ("y", "2025-03-03T15:10:00-00:00", 200, None, "api"),
    ("y", "2025-03-03T10:59:00-05:00", 500, None, "api"),
    ("y", "2025-03-10T10:05:00-04:00", 500, None, "api"),
];

fn micros(text: &str, naive: bool) -> i64 {
    if naive {
        let dt: jiff::civil::DateTime = text.parse().unwrap();
        dt.to_zoned(jiff::tz::TimeZone::UTC)
            .unwrap()
            .timestamp()
            .as_microsecond()
    } else {
        text.parse::<jiff::Timestamp>().unwrap().as_microsecond()
    }
}

/// Rows as Parquet, 3 to a row group; `naive` writes timestamps without a zone.
fn parquet(path: &Path, rows: &[Row], naive: bool) {
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
        .set_max_row_group_row_count(Some(3))
        .build();
    let mut w =
        ArrowWriter::try_new(std::fs::File::create(path).unwrap(), schema, Some(props)).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn csv(path: &Path, rows: &[Row]) {
    let mut text = String::from("account_id,timestamp,status,latency_ms,feature\n");
    for r in rows {
        let latency = r.3.map(|l| l.to_string()).unwrap_or_default();
        text.push_str(&format!(
            "{},{},{},{latency},{}\n",
            csv_field(r.0),
            r.1,
            r.2,
            r.4
        ));
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

/// One query, asked of both engines with the same flags.
struct Case {
    name: &'static str,
    args: Vec<String>,
    formats: &'static [&'static str],
}

fn case(name: &'static str, logs: &Path, flags: &[&str], formats: &'static [&'static str]) -> Case {
    let mut args = vec!["--logs".to_string(), logs.display().to_string()];
    args.extend(flags.iter().map(|s| s.to_string()));
    Case {
        name,
        args,
        formats,
    }
}

/// The window first: `MAIN_FLAGS[2..]` are the flags without it.
const MAIN_FLAGS: &[&str] = &[
    "--window",
    "2025-01-15T10:00:00Z/2025-01-15T11:00:00Z",
    "--map",
    "latency=latency_ms",
    "--map",
    "feature=feature",
    "--error-rate",
    "0.5",
    "--latency-ms",
    "1000",
];

/// The generated logs and the queries over them.
fn cases(dir: &Path) -> Vec<Case> {
    let demo = root().join("demo/usage.parquet");
    parquet(&dir.join("main.parquet"), MAIN, false);
    csv(&dir.join("main.csv"), MAIN);
    ndjson(&dir.join("main.ndjson"), MAIN);
    parquet(&dir.join("ny.parquet"), NEW_YORK, true);
    csv(&dir.join("ny.csv"), NEW_YORK);
    csv(&dir.join("dst.csv"), DST_BASELINE);
    // Integer account ids, a boolean success column, and local times in the hour New York
    // repeats when it falls back (01:30 is read as its first occurrence, 05:30Z).
    std::fs::write(
        dir.join("fallback.ndjson"),
        [
            r#"{"customer": 7, "ts": "2024-10-27T01:30:00", "ok": true, "ms": 10}"#,
            r#"{"customer": 7, "ts": "2024-11-03T00:59:59", "ok": false, "ms": 10}"#,
            r#"{"customer": 7, "ts": "2024-11-03T01:30:00", "ok": false, "ms": 50}"#,
            r#"{"customer": 7, "ts": "2024-11-03T01:30:00-05:00", "ok": true, "ms": 3000}"#,
            r#"{"customer": 7, "ts": "2024-11-03T02:59:00", "ok": true, "ms": null}"#,
            r#"{"customer": 12, "ts": "2024-10-27T02:10:00", "ok": true}"#,
            r#"{"customer": 12, "ts": "2024-10-27T02:20:00", "ok": true}"#,
            r#"{"customer": 12, "ts": "2024-10-27T02:30:00", "ok": true}"#,
            r#"{"customer": 12, "ts": "2024-11-03T02:10:00", "ok": "no"}"#,
            "",
        ]
        .join("\n"),
    )
    .unwrap();
    // Bad rows, skipped and counted by both: a timestamp, a status, a latency, an account.
    std::fs::write(
        dir.join("bad.csv"),
        "account_id,timestamp,status,latency_ms,feature\n\
         a,2025-01-15T10:00:05Z,500,,api\n\
         a,yesterday-ish,500,,api\n\
         a,2025-01-15T10:00:06Z,oops,,api\n\
         a,2025-01-15T10:00:07Z,200,fast,api\n\
         ,2025-01-15T10:00:08Z,500,,api\n\
         a,2025-01-15T10:00:09Z,200,12.5,api\n\
         b,2025-01-08T10:00:09Z,200,,api\n",
    )
    .unwrap();
    // Thresholds and columns from a playbook's [impact] table instead of flags.
    let playbook = std::fs::read_to_string(root().join("demo/playbook.toml")).unwrap()
        + "\n[impact]\nerror_rate = \"0.5\"\nlatency_ms = 1000\n\n[impact.columns]\n\
           latency = \"latency_ms\"\nfeature = \"feature\"\n";
    std::fs::write(dir.join("playbook.toml"), playbook).unwrap();
    let playbook = dir.join("playbook.toml").display().to_string();
    let ny = ["--zone", "America/New_York"];
    // New York local times across midnight and the spring-forward gap, read from Parquet and
    // from CSV alike.
    let ny_windows = [
        &ny[..],
        &[
            "--window",
            "2025-01-15T23:30/2025-01-16T00:30",
            "--window",
            "2025-03-09T01:00/2025-03-09T04:00",
            // Its baseline starts in the skipped hour (02:30 reads as 07:30Z) and ends at
            // 03:30 EDT, the same instant: an empty baseline.
            "--window",
            "2025-03-16T02:30/2025-03-16T03:30",
        ],
    ]
    .concat();
    vec![
        case(
            "demo",
            &demo,
            &[
                "--window",
                "2024-10-15T10:00[America/New_York]/2024-10-15T14:00[America/New_York]",
                "--map",
                "latency=latency_ms",
            ],
            &["csv", "json", "parquet"],
        ),
        case(
            "main-parquet",
            &dir.join("main.parquet"),
            MAIN_FLAGS,
            &["csv", "parquet"],
        ),
        case("main-csv", &dir.join("main.csv"), MAIN_FLAGS, &["csv"]),
        case(
            "main-ndjson",
            &dir.join("main.ndjson"),
            MAIN_FLAGS,
            &["csv"],
        ),
        case(
            "feature-and-overlap",
            &dir.join("main.csv"),
            &[
                &MAIN_FLAGS[2..],
                &[
                    "--window",
                    "2025-01-15T10:00:00Z/2025-01-15T10:45:00Z;feature=checkout",
                    "--window",
                    "2025-01-15T10:30:00Z/2025-01-15T11:00:00Z",
                    "--window",
                    "2025-01-15T10:20:00Z/2025-01-15T10:40:00Z",
                ],
            ]
            .concat(),
            &["csv"],
        ),
        case(
            "playbook-thresholds",
            &dir.join("main.parquet"),
            &[
                "--playbook",
                &playbook,
                "--window",
                "2025-01-15T10:00:00Z/2025-01-15T11:00:00Z;feature=checkout",
            ],
            &["csv"],
        ),
        case(
            "new-york-parquet",
            &dir.join("ny.parquet"),
            &ny_windows,
            &["csv"],
        ),
        case("new-york-csv", &dir.join("ny.csv"), &ny_windows, &["csv"]),
        case(
            "dst-baseline",
            &dir.join("dst.csv"),
            &[&ny[..], &["--window", "2025-03-10T10:00/2025-03-10T11:00"]].concat(),
            &["csv"],
        ),
        case(
            "fall-back",
            &dir.join("fallback.ndjson"),
            &[
                &ny[..],
                &[
                    "--window",
                    "2024-11-03T01:00:00-04:00/2024-11-03T03:00:00-05:00",
                    "--map",
                    "account=customer",
                    "--map",
                    "timestamp=ts",
                    "--map",
                    "success=ok",
                    "--map",
                    "latency=ms",
                    "--latency-ms",
                    "2000",
                ],
            ]
            .concat(),
            &["csv"],
        ),
        case(
            "bad-rows-skipped",
            &dir.join("bad.csv"),
            &[
                "--window",
                "2025-01-15T10:00:00Z/2025-01-15T11:00:00Z",
                "--map",
                "latency=latency_ms",
                "--skip-bad-rows",
            ],
            &["csv"],
        ),
    ]
}

fn out(dir: &Path, engine: &str, case: &str, format: &str) -> PathBuf {
    dir.join(format!("{engine}-{case}.{format}"))
}

/// The lines of `a` and `b` that differ, for a readable failure.
fn differences(a: &str, b: &str) -> String {
    let only = |x: &str, y: &str| -> Vec<String> {
        x.lines()
            .filter(|l| !y.lines().any(|m| m == *l))
            .map(str::to_string)
            .collect()
    };
    format!(
        "only amends:\n  {}\nonly spark:\n  {}",
        only(a, b).join("\n  "),
        only(b, a).join("\n  ")
    )
}

fn plan(impact: &Path) -> String {
    let o = amends(&[
        "plan".into(),
        "--playbook".into(),
        "demo/playbook.toml".into(),
        "--accounts".into(),
        "demo/accounts.csv".into(),
        "--incident".into(),
        "demo/incident.toml".into(),
        "--impact".into(),
        impact.display().to_string(),
        "--as-of".into(),
        "2024-10-15T14:00:00-04:00".into(),
    ]);
    assert!(
        o.status.success(),
        "{}: {}",
        impact.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn spark_sql_writes_the_same_impact_file_as_amends() {
    let dir = std::env::temp_dir().join(format!("amends-impact-spark-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let cases = cases(&dir);

    // amends' own answers, and the same flags as Spark jobs.
    let mut jobs = Vec::new();
    for c in &cases {
        let mut job = c.args.clone();
        for f in c.formats {
            let mut args = vec!["impact".to_string()];
            args.extend(c.args.iter().cloned());
            args.extend([
                "--out".to_string(),
                out(&dir, "amends", c.name, f).display().to_string(),
            ]);
            let o = amends(&args);
            assert!(
                o.status.success(),
                "amends {}: {}",
                c.name,
                String::from_utf8_lossy(&o.stderr)
            );
            job.extend([
                "--out".to_string(),
                out(&dir, "spark", c.name, f).display().to_string(),
            ]);
        }
        jobs.push(job);
    }
    let jobs_file = dir.join("jobs.json");
    std::fs::write(&jobs_file, serde_json::to_string_pretty(&jobs).unwrap()).unwrap();

    let started = Instant::now();
    let spark = Command::new("python3")
        .arg("bench/impact_spark.py")
        .arg("--jobs")
        .arg(&jobs_file)
        .current_dir(root())
        .output()
        .expect("python3 is needed to run bench/impact_spark.py");
    let log = String::from_utf8_lossy(&spark.stderr);
    assert!(
        spark.status.success(),
        "bench/impact_spark.py failed (it needs pyspark and Java 17+: .ci/run installs them):\n{log}"
    );
    eprintln!(
        "spark ran {} cases in {:.1} s",
        cases.len(),
        started.elapsed().as_secs_f64()
    );

    // Every file Spark wrote is amends' file: CSV and JSON byte for byte, Parquet figure by
    // figure (the two writers' bytes differ; amends reads both).
    for c in &cases {
        for f in c.formats {
            let (a, s) = (
                out(&dir, "amends", c.name, f),
                out(&dir, "spark", c.name, f),
            );
            if *f == "parquet" {
                let mine = amends_impact::output::read(&a).unwrap();
                let theirs = amends_impact::output::read(&s)
                    .unwrap_or_else(|e| panic!("{}: {e}", s.display()));
                assert!(!mine.is_empty(), "{}", c.name);
                assert_eq!(theirs, mine, "{} ({f})", c.name);
            } else {
                let (mine, theirs) = (
                    std::fs::read_to_string(&a).unwrap(),
                    std::fs::read_to_string(&s).unwrap(),
                );
                assert!(mine.lines().count() > 1, "{}: no accounts", c.name);
                assert!(
                    mine == theirs,
                    "{} ({f}) differs:\n{}",
                    c.name,
                    differences(&mine, &theirs)
                );
            }
        }
    }

    // The cases reach what they are about (answers by construction, in Spark's files).
    let spark_csv = |name: &str| std::fs::read_to_string(out(&dir, "spark", name, "csv")).unwrap();
    let main = spark_csv("main-parquet");
    assert!(main.contains("\"acme, inc\",1,1,1,1,"), "{main}");
    assert!(main.contains("\nc,0,0,0,0,,,false,3,1,silent\n"), "{main}");
    assert!(
        main.contains("\nf,5,1,0.2,2,2025-01-15T10:20:00.123456Z,2025-01-15T10:20:00.123456Z,"),
        "{main}"
    );
    assert!(main.contains("\ng,8,2,0.25,1,"), "{main}");
    let ny = spark_csv("new-york-csv");
    assert!(
        ny.contains("\nz,4,2,0.5,2,2025-03-09T06:59:59Z,2025-03-09T07:30:00Z,true,2,0,impacted\n"),
        "{ny}"
    );
    let fall = spark_csv("fall-back");
    assert!(
        fall.contains(
            "\n7,3,1,0.333333,2,2024-11-03T05:30:00Z,2024-11-03T05:30:00Z,true,1,0,impacted\n"
        ),
        "{fall}"
    );
    assert!(spark_csv("dst-baseline").contains(",true,2,1,impacted\n"));
    assert!(spark_csv("bad-rows-skipped").contains("\na,2,1,0.5,1,"));
    assert!(
        spark_csv("playbook-thresholds")
            .ends_with("\na,2,2,1,2,2025-01-15T10:00:30Z,2025-01-15T10:01:40Z,true,0,0,impacted\n")
    );

    // amends plans the same from Spark's file as from its own: 45 of 180 accounts.
    let own = plan(&out(&dir, "amends", "demo", "csv"));
    assert!(
        own.contains("| Affected | 45 of 180 accounts (25%)"),
        "{own}"
    );
    for f in ["csv", "json", "parquet"] {
        assert!(
            plan(&out(&dir, "spark", "demo", f)) == own,
            "the plan from Spark's {f} differs from the plan from amends' own file"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
