//! `amends impact`: per-account impact from usage logs, and reading an impact file back for
//! `amends plan --impact`. The scan is amends-impact's; this file turns flags and the
//! playbook's `[impact]` table into a query, shows progress on a terminal and writes the
//! result atomically.

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use amends_core::domain::AccountId;
use amends_core::impact::{ImpactStatus, Impacts};
use amends_core::playbook::Playbook;
use amends_impact::{Mapping, Progress, Query, Thresholds, Window, output};
use anyhow::{Context as _, bail};
use rust_decimal::Decimal;

use crate::{display, read};

/// What `amends impact` reads and writes.
#[derive(Debug, clap::Args)]
pub struct ImpactArgs {
    /// A log file (.parquet, .csv, .ndjson/.jsonl) or a directory of them (read in name order).
    #[arg(long)]
    logs: PathBuf,
    /// An incident window START/END (RFC 3339, or local time in --zone), optionally limited:
    /// "START/END;feature=checkout;region=eu". Repeat for several windows.
    #[arg(long, required = true)]
    window: Vec<String>,
    /// The zone of windows and log timestamps written without an offset (default UTC, or the
    /// mapping's zone).
    #[arg(long)]
    zone: Option<String>,
    /// Column mapping key=column (account, timestamp, zone, status, failure_from, success,
    /// latency, feature, region); overrides the playbook's [impact.columns].
    #[arg(long = "map", value_name = "KEY=COLUMN")]
    map: Vec<String>,
    /// Take thresholds and the column mapping from this playbook's [impact] table.
    #[arg(long)]
    playbook: Option<PathBuf>,
    /// A minute is impacted at or above this error rate (default 0.05, or the playbook's).
    #[arg(long)]
    error_rate: Option<String>,
    /// … or at or above this mean latency in milliseconds.
    #[arg(long)]
    latency_ms: Option<u64>,
    /// Write the per-account figures here (.parquet, .csv or .json); CSV on standard output
    /// otherwise.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Count, report and skip rows with a bad value instead of stopping at the first.
    #[arg(long)]
    skip_bad_rows: bool,
    /// Threads scanning in parallel (default: the machine's cores).
    #[arg(long)]
    threads: Option<usize>,
}

/// Runs `amends impact`.
pub fn impact(args: ImpactArgs) -> anyhow::Result<()> {
    let mut mapping = Mapping::default();
    let mut thresholds = Thresholds::default();
    if let Some(path) = &args.playbook {
        let pb = Playbook::parse(&display(path), &read(path, "playbook")?)?;
        let settings: Vec<String> = pb
            .impact
            .columns
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        mapping = mapping
            .with_settings(settings.iter().map(String::as_str))
            .context("the playbook's [impact.columns]")?;
        thresholds = Thresholds {
            error_rate: pb.impact.error_rate,
            latency_ms: pb.impact.latency_ms,
        };
    }
    if let Some(zone) = &args.zone {
        mapping = mapping.with_settings([format!("zone={zone}").as_str()])?;
    }
    mapping = mapping.with_settings(args.map.iter().map(String::as_str))?;
    if let Some(rate) = &args.error_rate {
        thresholds.error_rate = Decimal::from_str_exact(rate.trim())
            .with_context(|| format!("--error-rate {rate:?} is not a decimal (e.g. 0.05)"))?;
    }
    if let Some(ms) = args.latency_ms {
        thresholds.latency_ms = Some(ms);
    }
    let windows = args
        .window
        .iter()
        .map(|w| Window::parse(w, &mapping.zone))
        .collect::<Result<Vec<_>, _>>()?;
    let threads = args.threads.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get)
    });
    let query = Query {
        mapping,
        windows,
        thresholds,
        skip_bad_rows: args.skip_bad_rows,
        threads,
    };

    let progress = Progress::default();
    let done = AtomicBool::new(false);
    let started = Instant::now();
    let report = std::thread::scope(|s| {
        if std::io::stderr().is_terminal() {
            s.spawn(|| show_progress(&progress, &done, started));
        }
        let r = amends_impact::run(&query, &args.logs, Some(&progress));
        done.store(true, Ordering::Relaxed);
        r
    })?;

    let count = |status: ImpactStatus| {
        report
            .accounts
            .iter()
            .filter(|(_, i)| i.status() == status)
            .count()
    };
    let elapsed = started.elapsed().as_secs_f64();
    eprintln!(
        "{} accounts: {} impacted, {} silent, {} quiet, {} unaffected; {} rows from {} file(s) in {elapsed:.2} s ({} row groups read, {} skipped by time)",
        report.accounts.len(),
        count(ImpactStatus::Impacted),
        count(ImpactStatus::Silent),
        count(ImpactStatus::Quiet),
        count(ImpactStatus::Unaffected),
        report.rows_read,
        report.files,
        report.row_groups_read,
        report.row_groups_pruned,
    );
    if report.skipped.rows > 0 {
        let by: Vec<String> = report
            .skipped
            .by_column
            .iter()
            .map(|(c, n)| format!("{n} for {c:?}"))
            .collect();
        eprintln!(
            "skipped {} bad row(s) ({}); first: {}",
            report.skipped.rows,
            by.join(", "),
            report.skipped.first.as_deref().unwrap_or("")
        );
    }
    let format = match &args.out {
        Some(path) => output::Format::of(path)?,
        None => output::Format::Csv,
    };
    crate::output::write(args.out.as_deref(), |w| {
        output::write(&report.accounts, format, w)
    })
}

/// A one-line progress display on standard error: rows, rows/s, percent and ETA.
fn show_progress(progress: &Progress, done: &AtomicBool, started: Instant) {
    let mut shown = false;
    while !done.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(200));
        let rows = progress.rows();
        let secs = started.elapsed().as_secs_f64().max(0.001);
        let rate = rows as f64 / secs;
        let tail = match progress.total() {
            Some(total) if total > 0 && rate > 0.0 => {
                let left = total.saturating_sub(rows) as f64 / rate;
                format!(
                    " {:>5.1}%  ETA {left:.0} s",
                    rows as f64 * 100.0 / total as f64
                )
            }
            _ => String::new(),
        };
        eprint!("\r\x1b[2K{rows} rows  {:.1} M rows/s{tail}", rate / 1e6);
        shown = true;
    }
    if shown {
        eprint!("\r\x1b[2K");
    }
}

/// Reads an impact file for `amends plan --impact`, with ids checked like any account id.
pub fn load(path: &Path) -> anyhow::Result<Impacts> {
    let rows = output::read(path)?;
    let mut impacts = Impacts::new();
    for (account, impact) in rows {
        let id: AccountId = account
            .parse()
            .with_context(|| format!("{}: account {account:?}", path.display()))?;
        impacts.insert(id, impact);
    }
    if impacts.is_empty() {
        bail!(
            "{}: no accounts; a plan from it would target nobody",
            path.display()
        );
    }
    Ok(impacts)
}
