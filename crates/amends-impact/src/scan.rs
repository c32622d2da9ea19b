//! The streaming scan: find the log files, prune Parquet row groups by the timestamp
//! column's statistics, split the rest into two (or `threads`) consecutive stretches read in
//! parallel, and merge their accumulators in time order.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufRead as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use arrow_array::cast::AsArray as _;
use arrow_array::types::{
    Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, TimestampMicrosecondType,
    TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType, UInt8Type, UInt16Type,
    UInt32Type, UInt64Type,
};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
};
use parquet::file::statistics::Statistics;

use amends_core::impact::Impact;

use crate::accum::{Accumulator, Judge, Key, OutOfOrder};
use crate::query::{Outcome, Query};
use crate::{ImpactError, Place};

/// Rows decoded at a time: large enough to amortise per-batch work, small enough that a
/// batch of a few columns stays in cache-sized memory.
const BATCH_ROWS: usize = 64 * 1024;
/// A timestamp that could not be read.
const BAD: i64 = i64::MIN;

/// Rows read so far and rows planned, for a progress display on another thread.
#[derive(Debug, Default)]
pub struct Progress {
    rows: AtomicU64,
    total: AtomicU64,
    text: AtomicU64,
}

impl Progress {
    /// Rows read so far.
    pub fn rows(&self) -> u64 {
        self.rows.load(Ordering::Relaxed)
    }

    /// Rows to read, when known (Parquet row groups after pruning; unknown for text logs).
    pub fn total(&self) -> Option<u64> {
        (self.text.load(Ordering::Relaxed) == 0).then(|| self.total.load(Ordering::Relaxed))
    }

    fn add(&self, rows: u64) {
        self.rows.fetch_add(rows, Ordering::Relaxed);
    }
}

/// Rows skipped with `--skip-bad-rows`, by column, with the first one as an example.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// Rows skipped.
    pub rows: u64,
    /// Rows skipped per column.
    pub by_column: BTreeMap<String, u64>,
    /// The first skipped row: file, place, column and why.
    pub first: Option<String>,
}

impl Skipped {
    fn absorb(&mut self, other: Skipped) {
        self.rows += other.rows;
        for (c, n) in other.by_column {
            *self.by_column.entry(c).or_default() += n;
        }
        if self.first.is_none() {
            self.first = other.first;
        }
    }
}

/// What a run found and what it read.
#[derive(Debug)]
pub struct Report {
    /// Each account the logs mention in a window or its baseline, by id.
    pub accounts: Vec<(String, Impact)>,
    /// Log files read.
    pub files: usize,
    /// Parquet row groups read.
    pub row_groups_read: usize,
    /// Parquet row groups skipped by their timestamp statistics.
    pub row_groups_pruned: usize,
    /// Rows read.
    pub rows_read: u64,
    /// Rows skipped as bad.
    pub skipped: Skipped,
}

/// Measures per-account impact over the logs at `input` (a file or a directory, read in
/// name order).
pub fn run(
    query: &Query,
    input: &Path,
    progress: Option<&Progress>,
) -> Result<Report, ImpactError> {
    query.check()?;
    let ctx = Ctx::new(query)?;
    let files = list(input)?;
    let mut units = Vec::new();
    let mut pruned = 0;
    for path in &files {
        match kind(path) {
            Some(Kind::Parquet) => pruned += parquet_units(&ctx, path, &mut units)?,
            Some(k) => {
                let bytes = std::fs::metadata(path)
                    .map_err(|source| ImpactError::Io {
                        path: path.clone(),
                        source,
                    })?
                    .len();
                units.push(Unit::Text {
                    path: path.clone(),
                    kind: k,
                    weight: bytes / 64 + 1,
                });
            }
            None => {}
        }
    }
    let row_groups_read = units
        .iter()
        .filter(|u| matches!(u, Unit::Parquet { .. }))
        .count();
    if let Some(p) = progress {
        for u in &units {
            match u {
                Unit::Parquet { rows, .. } => p.total.fetch_add(*rows, Ordering::Relaxed),
                Unit::Text { .. } => p.text.fetch_add(1, Ordering::Relaxed),
            };
        }
    }
    let stretches = split(&units, query.threads.max(1));
    let results: Vec<Result<Worker<'_>, ImpactError>> = std::thread::scope(|s| {
        let handles: Vec<_> = stretches
            .iter()
            .map(|stretch| {
                let ctx = &ctx;
                s.spawn(move || {
                    let mut w = Worker::new(ctx, progress);
                    for unit in *stretch {
                        w.unit(unit)?;
                    }
                    Ok(w)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(ImpactError::Config(
                        "internal: a scan thread panicked".into(),
                    ))
                })
            })
            .collect()
    });
    let mut merged: Option<Worker<'_>> = None;
    for (result, stretch) in results.into_iter().zip(&stretches) {
        let w = result?;
        merged = Some(match merged {
            None => w,
            Some(mut m) => {
                m.skipped.absorb(w.skipped);
                m.rows_read += w.rows_read;
                m.acc.append(w.acc, &ctx.judge).map_err(|(account, e)| {
                    let (path, place) = stretch.first().map_or_else(
                        || (PathBuf::new(), String::new()),
                        |u| (u.path().to_path_buf(), format!("{} onwards", u.place())),
                    );
                    out_of_order(path, place, account, e)
                })?;
                m
            }
        });
    }
    let (accounts, rows_read, skipped) = match merged {
        Some(w) => (w.acc.finish(&ctx.judge), w.rows_read, w.skipped),
        None => (Vec::new(), 0, Skipped::default()),
    };
    Ok(Report {
        accounts,
        files: files.len(),
        row_groups_read,
        row_groups_pruned: pruned,
        rows_read,
        skipped,
    })
}

fn out_of_order(path: PathBuf, place: String, account: String, e: OutOfOrder) -> ImpactError {
    let at = |m: i64| Timestamp::from_microsecond(m).unwrap_or(Timestamp::UNIX_EPOCH);
    ImpactError::OutOfOrder {
        path,
        place,
        account,
        at: at(e.at),
        after: at(e.after),
    }
}

/// Consecutive stretches of units of about equal weight, one per thread.
fn split(units: &[Unit], threads: usize) -> Vec<&[Unit]> {
    let total: u64 = units.iter().map(Unit::weight).sum();
    let mut out = Vec::new();
    let mut start = 0;
    let mut acc = 0u64;
    for (i, u) in units.iter().enumerate() {
        acc += u.weight();
        let share = total * (out.len() as u64 + 1) / threads as u64;
        if acc >= share && out.len() + 1 < threads && i + 1 < units.len() {
            out.push(&units[start..=i]);
            start = i + 1;
        }
    }
    if start < units.len() {
        out.push(&units[start..]);
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Parquet,
    Csv,
    Ndjson,
}

fn kind(path: &Path) -> Option<Kind> {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("parquet" | "pq") => Some(Kind::Parquet),
        Some("csv") => Some(Kind::Csv),
        Some("ndjson" | "jsonl") => Some(Kind::Ndjson),
        _ => None,
    }
}

/// The log files at `input`: the file itself, or every log file under the directory
/// (partition folders included), in path order.
fn list(input: &Path) -> Result<Vec<PathBuf>, ImpactError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ImpactError::Io { path, source }
    };
    let meta = std::fs::metadata(input).map_err(io(input))?;
    if meta.is_file() {
        if kind(input).is_none() {
            return Err(ImpactError::Config(format!(
                "{}: cannot tell the log format from the extension: use .parquet, .csv, .ndjson or .jsonl",
                input.display()
            )));
        }
        return Ok(vec![input.to_path_buf()]);
    }
    let mut out = Vec::new();
    let mut dirs = vec![input.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).map_err(io(&dir))? {
            let path = entry.map_err(io(&dir))?.path();
            let hidden = path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.') || n.starts_with('_'));
            if hidden {
                continue;
            }
            if path.is_dir() {
                dirs.push(path);
            } else if kind(&path).is_some() {
                out.push(path);
            }
        }
    }
    out.sort();
    if out.is_empty() {
        return Err(ImpactError::NoInput {
            path: input.to_path_buf(),
        });
    }
    Ok(out)
}

/// An instant range that counts: a window or a baseline, as epoch microseconds.
#[derive(Debug)]
struct Span {
    start: i64,
    end: i64,
    feature: Option<String>,
    region: Option<String>,
}

impl Span {
    fn holds(&self, ts: i64) -> bool {
        ts >= self.start && ts < self.end
    }
}

/// What every thread shares.
struct Ctx<'q> {
    query: &'q Query,
    windows: Vec<Span>,
    baselines: Vec<Span>,
    filtered: bool,
    judge: Judge,
}

impl<'q> Ctx<'q> {
    fn new(query: &'q Query) -> Result<Ctx<'q>, ImpactError> {
        let span = |w: &crate::Window| Span {
            start: w.start.as_microsecond(),
            end: w.end.as_microsecond(),
            feature: w.feature.clone(),
            region: w.region.clone(),
        };
        let (numerator, denominator) = query.thresholds.error_fraction()?;
        Ok(Ctx {
            query,
            windows: query.windows.iter().map(span).collect(),
            baselines: query.windows.iter().map(|w| span(&w.baseline())).collect(),
            filtered: query
                .windows
                .iter()
                .any(|w| w.feature.is_some() || w.region.is_some()),
            judge: Judge {
                numerator,
                denominator,
                latency_ms: query.thresholds.latency_ms.map(|ms| ms as f64),
            },
        })
    }

    /// Whether `[min, max]` can hold a counted instant.
    fn overlaps(&self, min: i64, max: i64) -> bool {
        self.windows
            .iter()
            .chain(&self.baselines)
            .any(|s| max >= s.start && min < s.end)
    }

    /// (in a window, in a baseline) for a request at `ts`.
    #[inline]
    fn classify(
        &self,
        ts: i64,
        feature: impl Fn(&str) -> bool,
        region: impl Fn(&str) -> bool,
    ) -> (bool, bool) {
        let matches = |s: &Span| {
            s.holds(ts)
                && (!self.filtered
                    || (s.feature.as_deref().is_none_or(&feature)
                        && s.region.as_deref().is_none_or(&region)))
        };
        (
            self.windows.iter().any(matches),
            self.baselines.iter().any(matches),
        )
    }
}

/// A piece of work: one Parquet row group or one text file.
enum Unit {
    Parquet {
        file: Arc<ParquetFile>,
        row_group: usize,
        rows: u64,
    },
    Text {
        path: PathBuf,
        kind: Kind,
        weight: u64,
    },
}

impl Unit {
    fn weight(&self) -> u64 {
        match self {
            Unit::Parquet { rows, .. } => *rows,
            Unit::Text { weight, .. } => *weight,
        }
    }

    fn path(&self) -> &Path {
        match self {
            Unit::Parquet { file, .. } => &file.path,
            Unit::Text { path, .. } => path,
        }
    }

    fn place(&self) -> String {
        match self {
            Unit::Parquet { row_group, .. } => format!("row group {row_group}"),
            Unit::Text { .. } => "line 1".into(),
        }
    }
}

struct ParquetFile {
    path: PathBuf,
    meta: ArrowReaderMetadata,
    projection: ProjectionMask,
}

/// Adds the row groups of a Parquet file that can hold a counted request; returns how many
/// were pruned.
fn parquet_units(ctx: &Ctx<'_>, path: &Path, units: &mut Vec<Unit>) -> Result<usize, ImpactError> {
    let corrupt = |reason: String| ImpactError::Corrupt {
        path: path.to_path_buf(),
        place: None,
        reason,
    };
    let file = File::open(path).map_err(|source| ImpactError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let plain = ArrowReaderMetadata::load(&file, ArrowReaderOptions::new())
        .map_err(|e| corrupt(e.to_string()))?;
    let mapping = &ctx.query.mapping;
    let schema = plain.schema().clone();
    let mut roots = Vec::new();
    for (column, role) in columns(ctx.query) {
        match schema.index_of(column) {
            Ok(i) => roots.push(i),
            Err(_) => {
                return Err(ImpactError::MissingColumn {
                    path: path.to_path_buf(),
                    column: column.to_string(),
                    role,
                    available: schema
                        .fields()
                        .iter()
                        .map(|f| f.name().as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            }
        }
    }
    // Read text keys as dictionaries: each distinct id is looked up once per page, not once
    // per row.
    let keyed = [
        Some(mapping.account.as_str()),
        mapping.feature.as_deref(),
        mapping.region.as_deref(),
    ];
    let hinted: Vec<Arc<Field>> = schema
        .fields()
        .iter()
        .map(|f| {
            let text = matches!(f.data_type(), DataType::Utf8 | DataType::LargeUtf8);
            if text && keyed.contains(&Some(f.name().as_str())) {
                Arc::new(f.as_ref().clone().with_data_type(DataType::Dictionary(
                    Box::new(DataType::Int32),
                    Box::new(f.data_type().clone()),
                )))
            } else {
                f.clone()
            }
        })
        .collect();
    let meta = ArrowReaderMetadata::try_new(
        plain.metadata().clone(),
        ArrowReaderOptions::new().with_schema(Arc::new(Schema::new(hinted))),
    )
    .unwrap_or(plain);
    let projection = ProjectionMask::roots(meta.parquet_schema(), roots);

    // Row-group pruning by the timestamp column's min/max statistics.
    let ts_field = schema
        .field_with_name(&mapping.timestamp)
        .map_err(|e| corrupt(e.to_string()))?;
    let to_micros = match ts_field.data_type() {
        DataType::Timestamp(unit, tz) => {
            let naive_local = tz.is_none() && mapping.zone != TimeZone::UTC;
            Some((*unit, naive_local))
        }
        _ => None,
    };
    let leaf = meta
        .parquet_schema()
        .columns()
        .iter()
        .position(|c| c.path().parts() == [mapping.timestamp.as_str()]);
    let shared = Arc::new(ParquetFile {
        path: path.to_path_buf(),
        meta,
        projection,
    });
    let mut pruned = 0;
    for (i, rg) in shared.meta.metadata().row_groups().iter().enumerate() {
        let range = match (to_micros, leaf.and_then(|l| rg.column(l).statistics())) {
            (Some((unit, naive_local)), Some(Statistics::Int64(s))) => {
                match (s.min_opt(), s.max_opt()) {
                    (Some(&min), Some(&max)) => {
                        // A local wall-clock time is within 27 hours of its instant.
                        let slack = if naive_local { 27 * 3_600_000_000 } else { 0 };
                        Some((
                            scale(min, unit).saturating_sub(slack),
                            scale(max, unit).saturating_add(slack),
                        ))
                    }
                    _ => None,
                }
            }
            _ => None,
        };
        if range.is_some_and(|(min, max)| !ctx.overlaps(min, max)) || rg.num_rows() == 0 {
            pruned += 1;
            continue;
        }
        units.push(Unit::Parquet {
            file: shared.clone(),
            row_group: i,
            rows: u64::try_from(rg.num_rows()).unwrap_or(0),
        });
    }
    Ok(pruned)
}

/// The mapped columns a scan reads, with what each is.
fn columns(query: &Query) -> Vec<(&str, &'static str)> {
    let m = &query.mapping;
    let mut out = vec![
        (m.account.as_str(), "account"),
        (m.timestamp.as_str(), "timestamp"),
        (
            m.outcome.column(),
            match m.outcome {
                Outcome::Success(_) => "success",
                Outcome::Status { .. } => "status",
            },
        ),
    ];
    if let Some(c) = &m.latency {
        out.push((c, "latency"));
    }
    if let Some(c) = &m.feature {
        out.push((c, "feature"));
    }
    if let Some(c) = &m.region {
        out.push((c, "region"));
    }
    out
}

/// Epoch value in `unit` to microseconds (floor for nanoseconds).
fn scale(v: i64, unit: TimeUnit) -> i64 {
    match unit {
        TimeUnit::Second => v.saturating_mul(1_000_000),
        TimeUnit::Millisecond => v.saturating_mul(1_000),
        TimeUnit::Microsecond => v,
        TimeUnit::Nanosecond => v.div_euclid(1_000),
    }
}

/// Local wall-clock microseconds to an instant, with the offset cached per minute (zones
/// change offset on minute boundaries). A repeated hour resolves to its first occurrence.
struct Localizer {
    zone: TimeZone,
    minute: i64,
    offset: i64,
}

impl Localizer {
    fn new(zone: TimeZone) -> Localizer {
        Localizer {
            zone,
            minute: i64::MIN,
            offset: 0,
        }
    }

    fn instant(&mut self, wall: i64) -> i64 {
        if self.zone == TimeZone::UTC {
            return wall;
        }
        let minute = wall.div_euclid(60_000_000);
        if minute != self.minute {
            let Ok(t) = Timestamp::from_microsecond(minute * 60_000_000) else {
                return BAD;
            };
            let civil = t.to_zoned(TimeZone::UTC).datetime();
            let Ok(at) = self.zone.to_ambiguous_timestamp(civil).compatible() else {
                return BAD;
            };
            self.minute = minute;
            self.offset = minute * 60_000_000 - at.as_microsecond();
        }
        wall - self.offset
    }

    /// Parses a timestamp written as text: with an offset, or local in the zone.
    fn parse(&mut self, text: &str) -> Option<i64> {
        let text = text.trim();
        if let Ok(t) = text.parse::<Timestamp>() {
            return Some(t.as_microsecond());
        }
        if let Ok(z) = text.parse::<jiff::Zoned>() {
            return Some(z.timestamp().as_microsecond());
        }
        let civil: jiff::civil::DateTime = text.parse().ok()?;
        let wall = civil
            .to_zoned(TimeZone::UTC)
            .ok()?
            .timestamp()
            .as_microsecond();
        Some(self.instant(wall)).filter(|&t| t != BAD)
    }
}

/// One thread's scan state.
struct Worker<'c> {
    ctx: &'c Ctx<'c>,
    progress: Option<&'c Progress>,
    acc: Accumulator,
    skipped: Skipped,
    rows_read: u64,
    localizer: Localizer,
    ts: Vec<i64>,
    outcome: Vec<u8>,
    latency: Vec<f64>,
    dict_values: Option<ArrayRef>,
    dict_slots: Vec<u32>,
}

const OK: u8 = 0;
const FAILED: u8 = 1;
const NO_OUTCOME: u8 = 2;

impl<'c> Worker<'c> {
    fn new(ctx: &'c Ctx<'c>, progress: Option<&'c Progress>) -> Worker<'c> {
        Worker {
            ctx,
            progress,
            acc: Accumulator::default(),
            skipped: Skipped::default(),
            rows_read: 0,
            localizer: Localizer::new(ctx.query.mapping.zone.clone()),
            ts: Vec::new(),
            outcome: Vec::new(),
            latency: Vec::new(),
            dict_values: None,
            dict_slots: Vec::new(),
        }
    }

    fn unit(&mut self, unit: &Unit) -> Result<(), ImpactError> {
        match unit {
            Unit::Parquet {
                file, row_group, ..
            } => self.row_group(file, *row_group),
            Unit::Text { path, kind, .. } => match kind {
                Kind::Csv => self.csv(path),
                _ => self.ndjson(path),
            },
        }
    }

    /// Records a bad row, or stops the run when bad rows are not skipped.
    fn bad(
        &mut self,
        path: &Path,
        place: Place,
        column: &str,
        reason: String,
    ) -> Result<(), ImpactError> {
        if !self.ctx.query.skip_bad_rows {
            return Err(ImpactError::BadRow {
                path: path.to_path_buf(),
                place: place.to_string(),
                column: column.to_string(),
                reason,
            });
        }
        self.skipped.rows += 1;
        *self
            .skipped
            .by_column
            .entry(column.to_string())
            .or_default() += 1;
        if self.skipped.first.is_none() {
            self.skipped.first = Some(format!(
                "{}, {place}, column {column:?}: {reason}",
                path.display()
            ));
        }
        Ok(())
    }

    fn row_group(&mut self, file: &ParquetFile, row_group: usize) -> Result<(), ImpactError> {
        let corrupt = |reason: String| ImpactError::Corrupt {
            path: file.path.clone(),
            place: Some(format!("row group {row_group}")),
            reason,
        };
        let handle = File::open(&file.path).map_err(|source| ImpactError::Io {
            path: file.path.clone(),
            source,
        })?;
        let reader = ParquetRecordBatchReaderBuilder::new_with_metadata(handle, file.meta.clone())
            .with_row_groups(vec![row_group])
            .with_projection(file.projection.clone())
            .with_batch_size(BATCH_ROWS)
            .build()
            .map_err(|e| corrupt(e.to_string()))?;
        let mut first_row = 0u64;
        for batch in reader {
            let batch = batch.map_err(|e| corrupt(e.to_string()))?;
            self.batch(&batch, &file.path, row_group, first_row)?;
            let n = batch.num_rows() as u64;
            first_row += n;
            self.rows_read += n;
            if let Some(p) = self.progress {
                p.add(n);
            }
        }
        Ok(())
    }

    fn batch(
        &mut self,
        batch: &RecordBatch,
        path: &Path,
        row_group: usize,
        first_row: u64,
    ) -> Result<(), ImpactError> {
        let ctx = self.ctx;
        let m = &ctx.query.mapping;
        let column = |name: &str| {
            batch
                .column_by_name(name)
                .ok_or_else(|| ImpactError::Corrupt {
                    path: path.to_path_buf(),
                    place: Some(format!("row group {row_group}")),
                    reason: format!("column {name:?} is missing from a batch"),
                })
        };
        let wrong = |name: &str, role: &'static str, array: &ArrayRef, expected: &'static str| {
            ImpactError::WrongType {
                path: path.to_path_buf(),
                column: name.to_string(),
                role,
                found: match array.data_type() {
                    // Text read as a dictionary by amends' own hint: name the value type.
                    DataType::Dictionary(_, v) => v.to_string(),
                    other => other.to_string(),
                },
                expected,
            }
        };
        let place = |i: usize| Place::Row {
            row_group,
            row: first_row + i as u64,
        };
        let n = batch.num_rows();

        let ts_col = column(&m.timestamp)?;
        decode_timestamps(ts_col, &mut self.localizer, &mut self.ts).ok_or_else(|| {
            wrong(
                &m.timestamp,
                "timestamp",
                ts_col,
                "a timestamp, or text in RFC 3339",
            )
        })?;
        let out_col = column(m.outcome.column())?;
        decode_outcome(out_col, &m.outcome, &mut self.outcome).ok_or_else(|| {
            wrong(
                m.outcome.column(),
                "outcome",
                out_col,
                match m.outcome {
                    Outcome::Success(_) => "boolean (true = success)",
                    Outcome::Status { .. } => "an integer status code",
                },
            )
        })?;
        let has_latency = match &m.latency {
            Some(name) => {
                let c = column(name)?;
                decode_latency(c, &mut self.latency)
                    .ok_or_else(|| wrong(name, "latency", c, "a number of milliseconds"))?;
                true
            }
            None => false,
        };
        let feature = match &m.feature {
            Some(name) if ctx.filtered => {
                Some(TextCol::of(column(name)?).ok_or_else(|| {
                    wrong(name, "feature", column(name).unwrap_or(ts_col), "text")
                })?)
            }
            _ => None,
        };
        let region = match &m.region {
            Some(name) if ctx.filtered => Some(
                TextCol::of(column(name)?)
                    .ok_or_else(|| wrong(name, "region", column(name).unwrap_or(ts_col), "text"))?,
            ),
            _ => None,
        };
        let acct_col = column(&m.account)?;
        let accounts = TextCol::of(acct_col)
            .ok_or_else(|| wrong(&m.account, "account", acct_col, "text or an integer"))?;
        if let TextCol::Dict(_, values) = &accounts {
            let same = self
                .dict_values
                .as_ref()
                .is_some_and(|v| Arc::ptr_eq(v, values) || same_buffers(v, values));
            if !same {
                self.dict_values = Some(values.clone());
                self.dict_slots.clear();
                self.dict_slots.resize(values.len(), u32::MAX);
            }
        }

        for i in 0..n {
            let ts = self.ts[i];
            if ts == BAD {
                let reason = match ts_col.is_null(i) {
                    true => "no timestamp".to_string(),
                    false => {
                        "not a timestamp (RFC 3339 with offset, or local time in the mapped zone)"
                            .to_string()
                    }
                };
                self.bad(path, place(i), &m.timestamp, reason)?;
                continue;
            }
            let (in_window, in_baseline) = ctx.classify(
                ts,
                |f| feature.as_ref().is_some_and(|c| c.equals(i, f)),
                |r| region.as_ref().is_some_and(|c| c.equals(i, r)),
            );
            if !in_window && !in_baseline {
                continue;
            }
            let failed = match self.outcome[i] {
                OK => false,
                FAILED => true,
                _ => {
                    self.bad(path, place(i), m.outcome.column(), "no outcome".into())?;
                    continue;
                }
            };
            let slot = match &accounts {
                TextCol::Dict(keys, values) => {
                    if keys.is_null(i) {
                        None
                    } else {
                        let k = keys.value(i) as usize;
                        match self.dict_slots.get(k) {
                            Some(&s) if s != u32::MAX => Some(s),
                            _ => match text_at(values, k) {
                                Some(text) => {
                                    let s = self.acc.slot(Key::Text(text));
                                    if let Some(cell) = self.dict_slots.get_mut(k) {
                                        *cell = s;
                                    }
                                    Some(s)
                                }
                                None => None,
                            },
                        }
                    }
                }
                other => other.key(i).map(|k| self.acc.slot(k)),
            };
            let Some(slot) = slot.filter(|_| !acct_col.is_null(i)) else {
                self.bad(path, place(i), &m.account, "no account id".into())?;
                continue;
            };
            let latency = (has_latency && !self.latency[i].is_nan()).then(|| self.latency[i]);
            self.acc
                .add(
                    slot,
                    ts,
                    failed,
                    latency,
                    in_window,
                    in_baseline,
                    &ctx.judge,
                )
                .map_err(|(account, e)| {
                    out_of_order(path.to_path_buf(), place(i).to_string(), account, e)
                })?;
        }
        Ok(())
    }

    /// One text row, already split into fields.
    #[allow(clippy::too_many_arguments)]
    fn text_row(
        &mut self,
        path: &Path,
        place: Place,
        account: Option<Key<'_>>,
        ts: Option<&str>,
        outcome: Result<bool, String>,
        latency: Result<Option<f64>, String>,
        feature: Option<&str>,
        region: Option<&str>,
    ) -> Result<(), ImpactError> {
        let ctx = self.ctx;
        let m = &ctx.query.mapping;
        let Some(ts) = ts.and_then(|t| self.localizer.parse(t)) else {
            let reason = match ts {
                Some(t) => format!(
                    "{t:?} is not a timestamp (RFC 3339 with offset, or local time in the mapped zone)"
                ),
                None => "no timestamp".into(),
            };
            return self.bad(path, place, &m.timestamp, reason);
        };
        let (in_window, in_baseline) =
            ctx.classify(ts, |f| feature == Some(f), |r| region == Some(r));
        if !in_window && !in_baseline {
            return Ok(());
        }
        let failed = match outcome {
            Ok(f) => f,
            Err(reason) => return self.bad(path, place, m.outcome.column(), reason),
        };
        let latency = match latency {
            Ok(l) => l,
            Err(reason) => {
                let column = m.latency.as_deref().unwrap_or("latency");
                return self.bad(path, place, column, reason);
            }
        };
        let Some(key) = account else {
            return self.bad(path, place, &m.account, "no account id".into());
        };
        let slot = self.acc.slot(key);
        self.acc
            .add(
                slot,
                ts,
                failed,
                latency,
                in_window,
                in_baseline,
                &ctx.judge,
            )
            .map_err(|(account, e)| out_of_order(path.to_path_buf(), place.to_string(), account, e))
    }

    fn csv(&mut self, path: &Path) -> Result<(), ImpactError> {
        let m = &self.ctx.query.mapping;
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_path(path)
            .map_err(|e| csv_error(path, e))?;
        let headers = reader.headers().map_err(|e| csv_error(path, e))?.clone();
        let index = |name: &str, role: &'static str| {
            headers
                .iter()
                .position(|h| h == name)
                .ok_or_else(|| ImpactError::MissingColumn {
                    path: path.to_path_buf(),
                    column: name.to_string(),
                    role,
                    available: headers.iter().collect::<Vec<_>>().join(", "),
                })
        };
        let a = index(&m.account, "account")?;
        let t = index(&m.timestamp, "timestamp")?;
        let o = index(m.outcome.column(), "outcome")?;
        let l = m
            .latency
            .as_deref()
            .map(|c| index(c, "latency"))
            .transpose()?;
        let f = m
            .feature
            .as_deref()
            .map(|c| index(c, "feature"))
            .transpose()?;
        let r = m
            .region
            .as_deref()
            .map(|c| index(c, "region"))
            .transpose()?;
        let outcome = m.outcome.clone();
        let mut record = csv::StringRecord::new();
        let mut pending = 0u64;
        loop {
            match reader.read_record(&mut record) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => return Err(csv_error(path, e)),
            }
            let line = record.position().map_or(0, csv::Position::line);
            let field = |i: usize| record.get(i).filter(|s| !s.is_empty());
            let latency = match l.and_then(field) {
                None => Ok(None),
                // `NaN` is a missing value (pandas writes it so), as it is in Parquet.
                Some(text) => match text.trim().parse::<f64>() {
                    Ok(ms) if ms.is_nan() => Ok(None),
                    Ok(ms) if ms.is_finite() => Ok(Some(ms)),
                    _ => Err(format!("{text:?} is not a number of milliseconds")),
                },
            };
            self.text_row(
                path,
                Place::Line(line),
                field(a).map(Key::Text),
                field(t),
                outcome_text(&outcome, field(o)),
                latency,
                f.and_then(field),
                r.and_then(field),
            )?;
            pending += 1;
            if pending == BATCH_ROWS as u64 {
                self.flush_progress(&mut pending);
            }
        }
        self.flush_progress(&mut pending);
        Ok(())
    }

    fn ndjson(&mut self, path: &Path) -> Result<(), ImpactError> {
        use serde_json::Value;
        let m = self.ctx.query.mapping.clone();
        let file = File::open(path).map_err(|source| ImpactError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let mut pending = 0u64;
        for (number, line) in std::io::BufReader::new(file).lines().enumerate() {
            let line_no = number as u64 + 1;
            let line = line.map_err(|source| ImpactError::Io {
                path: path.to_path_buf(),
                source,
            })?;
            if line.trim().is_empty() {
                continue;
            }
            let object: serde_json::Map<String, Value> = match serde_json::from_str(&line) {
                Ok(o) => o,
                Err(e) => {
                    self.bad(
                        path,
                        Place::Line(line_no),
                        "(whole line)",
                        format!("not a JSON object: {e}"),
                    )?;
                    continue;
                }
            };
            let text = |name: &Option<String>| match name.as_ref().and_then(|n| object.get(n)) {
                Some(Value::String(s)) => Some(s.as_str()),
                _ => None,
            };
            let account = match object.get(&m.account) {
                Some(Value::String(s)) if !s.is_empty() => Some(Key::Text(s)),
                Some(Value::Number(n)) => n.as_i64().map(Key::Int),
                _ => None,
            };
            let ts = match object.get(&m.timestamp) {
                Some(Value::String(s)) => Some(s.as_str()),
                _ => None,
            };
            let outcome = match (object.get(m.outcome.column()), &m.outcome) {
                (Some(Value::Bool(b)), Outcome::Success(_)) => Ok(!b),
                (Some(Value::Number(n)), Outcome::Status { failure_from, .. }) => n
                    .as_i64()
                    .map(|code| code >= *failure_from)
                    .ok_or_else(|| format!("{n} is not a status code")),
                (Some(Value::String(s)), o) => outcome_text(o, Some(s)),
                (None | Some(Value::Null), _) => Err("no outcome".into()),
                (Some(v), _) => Err(format!("{v} is not an outcome")),
            };
            let latency = match m.latency.as_ref().and_then(|c| object.get(c)) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::Number(n)) => Ok(n.as_f64()),
                Some(v) => Err(format!("{v} is not a number of milliseconds")),
            };
            self.text_row(
                path,
                Place::Line(line_no),
                account,
                ts,
                outcome,
                latency,
                text(&m.feature),
                text(&m.region),
            )?;
            pending += 1;
            if pending == BATCH_ROWS as u64 {
                self.flush_progress(&mut pending);
            }
        }
        self.flush_progress(&mut pending);
        Ok(())
    }

    fn flush_progress(&mut self, pending: &mut u64) {
        self.rows_read += *pending;
        if let Some(p) = self.progress {
            p.add(*pending);
        }
        *pending = 0;
    }
}

fn csv_error(path: &Path, e: csv::Error) -> ImpactError {
    let place = e.position().map(|p| format!("line {}", p.line()));
    ImpactError::Corrupt {
        path: path.to_path_buf(),
        place,
        reason: e.to_string(),
    }
}

/// Whether a request failed, from its outcome written as text.
fn outcome_text(outcome: &Outcome, text: Option<&str>) -> Result<bool, String> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Err("no outcome".into());
    };
    match outcome {
        Outcome::Status { failure_from, .. } => text
            .parse::<i64>()
            .map(|code| code >= *failure_from)
            .map_err(|_| format!("{text:?} is not a status code")),
        Outcome::Success(_) => match text.to_ascii_lowercase().as_str() {
            "true" | "1" | "t" | "yes" => Ok(false),
            "false" | "0" | "f" | "no" => Ok(true),
            _ => Err(format!("{text:?} is not true or false")),
        },
    }
}

/// A text (or integer id) column, downcast once per batch.
enum TextCol<'a> {
    Utf8(&'a arrow_array::StringArray),
    Large(&'a arrow_array::LargeStringArray),
    View(&'a arrow_array::StringViewArray),
    Dict(&'a arrow_array::PrimitiveArray<Int32Type>, ArrayRef),
    Int(&'a arrow_array::PrimitiveArray<Int64Type>),
    Int32(&'a arrow_array::PrimitiveArray<Int32Type>),
}

impl<'a> TextCol<'a> {
    fn of(array: &'a ArrayRef) -> Option<TextCol<'a>> {
        Some(match array.data_type() {
            DataType::Utf8 => TextCol::Utf8(array.as_string::<i32>()),
            DataType::LargeUtf8 => TextCol::Large(array.as_string::<i64>()),
            DataType::Utf8View => TextCol::View(array.as_string_view()),
            DataType::Int64 => TextCol::Int(array.as_primitive::<Int64Type>()),
            DataType::Int32 => TextCol::Int32(array.as_primitive::<Int32Type>()),
            DataType::Dictionary(k, v)
                if **k == DataType::Int32
                    && matches!(**v, DataType::Utf8 | DataType::LargeUtf8) =>
            {
                let d = array.as_dictionary::<Int32Type>();
                TextCol::Dict(d.keys(), d.values().clone())
            }
            _ => return None,
        })
    }

    fn key(&self, i: usize) -> Option<Key<'a>> {
        match self {
            TextCol::Utf8(a) => (!a.is_null(i)).then(|| Key::Text(a.value(i))),
            TextCol::Large(a) => (!a.is_null(i)).then(|| Key::Text(a.value(i))),
            TextCol::View(a) => (!a.is_null(i)).then(|| Key::Text(a.value(i))),
            TextCol::Int(a) => (!a.is_null(i)).then(|| Key::Int(a.value(i))),
            TextCol::Int32(a) => (!a.is_null(i)).then(|| Key::Int(i64::from(a.value(i)))),
            TextCol::Dict(..) => None,
        }
    }

    fn equals(&self, i: usize, expected: &str) -> bool {
        match self {
            TextCol::Dict(keys, values) => {
                !keys.is_null(i) && text_at(values, keys.value(i) as usize) == Some(expected)
            }
            other => match other.key(i) {
                Some(Key::Text(s)) => s == expected,
                Some(Key::Int(n)) => expected.parse() == Ok(n),
                None => false,
            },
        }
    }
}

/// Whether two dictionaries hold the same values: the batches of one column chunk carry the
/// same dictionary, so each distinct id is looked up once per chunk, not once per row.
/// Comparing the bytes (a memcmp of the dictionary, about 20 bytes per row of a batch) is far
/// cheaper than hashing every row's id.
fn same_buffers(a: &ArrayRef, b: &ArrayRef) -> bool {
    let (a, b) = (a.to_data(), b.to_data());
    a.len() == b.len()
        && a.offset() == b.offset()
        && a.null_count() == b.null_count()
        && a.buffers().len() == b.buffers().len()
        && a.buffers()
            .iter()
            .zip(b.buffers())
            .all(|(x, y)| x.as_slice() == y.as_slice())
}

fn text_at(values: &ArrayRef, i: usize) -> Option<&str> {
    if i >= values.len() || values.is_null(i) {
        return None;
    }
    match values.data_type() {
        DataType::Utf8 => Some(values.as_string::<i32>().value(i)),
        DataType::LargeUtf8 => Some(values.as_string::<i64>().value(i)),
        _ => None,
    }
}

/// Timestamps to epoch microseconds ([`BAD`] where null or unreadable); `None` for a
/// column type that is no timestamp.
fn decode_timestamps(
    array: &ArrayRef,
    localizer: &mut Localizer,
    out: &mut Vec<i64>,
) -> Option<()> {
    out.clear();
    let n = array.len();
    match array.data_type() {
        DataType::Timestamp(unit, tz) => {
            let values: &[i64] = match unit {
                TimeUnit::Second => array.as_primitive::<TimestampSecondType>().values(),
                TimeUnit::Millisecond => array.as_primitive::<TimestampMillisecondType>().values(),
                TimeUnit::Microsecond => array.as_primitive::<TimestampMicrosecondType>().values(),
                TimeUnit::Nanosecond => array.as_primitive::<TimestampNanosecondType>().values(),
            };
            let unit = *unit;
            if tz.is_some() || localizer.zone == TimeZone::UTC {
                out.extend(values.iter().map(|&v| scale(v, unit)));
            } else {
                out.extend(values.iter().map(|&v| localizer.instant(scale(v, unit))));
            }
            if let Some(nulls) = array.nulls() {
                for i in nulls
                    .iter()
                    .enumerate()
                    .filter(|(_, valid)| !valid)
                    .map(|(i, _)| i)
                {
                    out[i] = BAD;
                }
            }
        }
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            let col = TextCol::of(array)?;
            for i in 0..n {
                out.push(match col.key(i) {
                    Some(Key::Text(s)) => localizer.parse(s).unwrap_or(BAD),
                    _ => BAD,
                });
            }
        }
        _ => return None,
    }
    Some(())
}

macro_rules! integers {
    ($array:expr, $f:expr, $($t:ty),*) => {
        match $array.data_type() {
            $(dt if dt == &<$t as arrow_array::types::ArrowPrimitiveType>::DATA_TYPE => {
                let a = $array.as_primitive::<$t>();
                Some(a.iter().map(|v| v.map(|x| x as f64)).map($f).collect::<Vec<_>>())
            })*
            _ => None,
        }
    };
}

/// Outcomes to [`OK`], [`FAILED`] or [`NO_OUTCOME`]; `None` for a column type that cannot
/// hold the mapped outcome.
fn decode_outcome(array: &ArrayRef, outcome: &Outcome, out: &mut Vec<u8>) -> Option<()> {
    out.clear();
    let flag = |f: Option<bool>| match f {
        Some(true) => FAILED,
        Some(false) => OK,
        None => NO_OUTCOME,
    };
    match (outcome, array.data_type()) {
        (Outcome::Success(_), DataType::Boolean) => {
            out.extend(array.as_boolean().iter().map(|v| flag(v.map(|ok| !ok))));
        }
        (Outcome::Status { failure_from, .. }, DataType::Int16) => {
            status_flags::<Int16Type>(array, *failure_from, flag, out);
        }
        (Outcome::Status { failure_from, .. }, DataType::Int32) => {
            status_flags::<Int32Type>(array, *failure_from, flag, out);
        }
        (Outcome::Status { failure_from, .. }, DataType::Int64) => {
            status_flags::<Int64Type>(array, *failure_from, flag, out);
        }
        (Outcome::Status { failure_from, .. }, DataType::UInt16) => {
            status_flags::<UInt16Type>(array, *failure_from, flag, out);
        }
        (o, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View) => {
            let col = TextCol::of(array)?;
            for i in 0..array.len() {
                out.push(match col.key(i) {
                    Some(Key::Text(s)) => match outcome_text(o, Some(s)) {
                        Ok(f) => flag(Some(f)),
                        Err(_) => NO_OUTCOME,
                    },
                    _ => NO_OUTCOME,
                });
            }
        }
        _ => return None,
    }
    Some(())
}

/// An integer status-code column as outcome flags: a code at or above `from` is a failure.
fn status_flags<T>(
    array: &ArrayRef,
    from: i64,
    flag: impl Fn(Option<bool>) -> u8,
    out: &mut Vec<u8>,
) where
    T: arrow_array::types::ArrowPrimitiveType,
    T::Native: Into<i64>,
{
    out.extend(
        array
            .as_primitive::<T>()
            .iter()
            .map(|v| flag(v.map(|c| c.into() >= from))),
    );
}

/// Latencies in milliseconds, NaN where null; `None` for a non-numeric column.
fn decode_latency(array: &ArrayRef, out: &mut Vec<f64>) -> Option<()> {
    let nan = |v: Option<f64>| v.unwrap_or(f64::NAN);
    let values = integers!(
        array,
        nan,
        Int8Type,
        Int16Type,
        Int32Type,
        Int64Type,
        UInt8Type,
        UInt16Type,
        UInt32Type,
        UInt64Type,
        Float32Type,
        Float64Type
    )?;
    *out = values;
    Some(())
}
