//! `amends impact` end to end: the worked example's usage log (demo/usage.parquet, written
//! by demo/generate_usage.py with the answers in its docstring), the impact file in every
//! format, and a plan that targets only the impacted accounts.

mod common;

use std::path::Path;
use std::process::Output;

use common::{DEMO_INPUTS, amends, scratch};

const WINDOW: &str = "2024-10-15T10:00[America/New_York]/2024-10-15T14:00[America/New_York]";

fn measure(out: &Path) -> Output {
    amends(&[
        "impact",
        "--logs",
        "demo/usage.parquet",
        "--window",
        WINDOW,
        "--map",
        "latency=latency_ms",
        "--out",
        out.to_str().unwrap(),
    ])
}

/// `amends plan` of the worked example with an impact file.
fn plan_with_impact(impact: &Path, extra: &[&str]) -> Output {
    let impact = impact.to_str().unwrap();
    let mut args = vec!["plan"];
    args.extend(DEMO_INPUTS);
    args.extend(["--impact", impact]);
    args.extend_from_slice(extra);
    amends(&args)
}

#[test]
fn the_worked_example_measured_from_its_usage_log() {
    let dir = scratch("demo");
    let csv = dir.join("impact.csv");
    let o = measure(&csv);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("180 accounts: 45 impacted, 45 silent, 0 quiet, 90 unaffected"),
        "{err}"
    );
    let text = std::fs::read_to_string(&csv).unwrap();
    // acct-0004 calls at 10:04:04, 10:09:04 … 13:59:04; all fail from 10:02 to 13:58.
    assert!(
        text.contains("acct-0004,48,47,0.979167,47,2024-10-15T14:04:04Z,2024-10-15T17:54:04Z,true,48,0,impacted\n"),
        "{text}"
    );
    assert!(
        text.contains("acct-0001,0,0,0,0,,,false,48,0,silent\n"),
        "{text}"
    );
    assert!(
        text.contains("acct-0002,48,0,0,0,,,true,48,0,unaffected\n"),
        "{text}"
    );

    // The same figures in Parquet and JSON.
    for name in ["impact.parquet", "impact.json"] {
        let o = measure(&dir.join(name));
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }

    // A plan from it targets the 45 impacted accounts only.
    for name in ["impact.csv", "impact.parquet", "impact.json"] {
        let o = plan_with_impact(&dir.join(name), &["--as-of", "2024-10-15T14:00:00-04:00"]);
        let md = String::from_utf8_lossy(&o.stdout);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(
            md.contains("| Affected | 45 of 180 accounts (25%)"),
            "{name}: {md}"
        );
        assert!(
            md.contains("(acct-0004)")
                && !md.contains("(acct-0001)")
                && !md.contains("(acct-0002)")
        );
    }
}

#[test]
fn bad_logs_and_flags_get_plain_errors() {
    let dir = scratch("errors");
    let out = dir.join("x.csv");
    let o = amends(&[
        "impact",
        "--logs",
        "demo/usage.parquet",
        "--window",
        WINDOW,
        "--map",
        "account=customer",
        "--out",
        out.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        err.contains("demo/usage.parquet: no column \"customer\" (mapped as account)"),
        "{err}"
    );
    assert!(!out.exists(), "a failed run writes nothing");

    let o = amends(&[
        "impact",
        "--logs",
        "demo/usage.parquet",
        "--window",
        "10:00/14:00",
    ]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("window \"10:00/14:00\""));

    std::fs::write(dir.join("empty.csv"), "account,requests\n").unwrap();
    let o = plan_with_impact(&dir.join("empty.csv"), &[]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("no accounts"));
}
