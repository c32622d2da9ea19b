//! Impact files: what `amends impact` writes and `amends plan --impact` reads back, as
//! Parquet, CSV or JSON (chosen by extension). The columns are the same in every format and
//! in the SQL of docs/impact.md, so a file made by a distributed engine is read the same way.
//! On reading, only the measured figures are taken; error rate and status are derived again
//! by `amends_core::impact` so they cannot disagree with the figures.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use amends_core::impact::{ERROR_RATE_DP, Impact};
use arrow_array::cast::AsArray as _;
use arrow_array::types::{
    Int32Type, Int64Type, TimestampMicrosecondType, TimestampMillisecondType,
    TimestampNanosecondType, TimestampSecondType, UInt32Type, UInt64Type,
};
use arrow_array::{
    Array, ArrayRef, BooleanArray, Decimal128Array, RecordBatch, StringArray,
    TimestampMicrosecondArray, UInt64Array,
};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use jiff::Timestamp;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use crate::ImpactError;

/// The columns of an impact file, in order.
pub const COLUMNS: [&str; 11] = [
    "account",
    "requests",
    "failures",
    "error_rate",
    "impacted_minutes",
    "first_failure",
    "last_failure",
    "active",
    "baseline_requests",
    "baseline_failures",
    "status",
];

/// The format of an impact file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Apache Parquet (zstd).
    Parquet,
    /// CSV with a header.
    Csv,
    /// A JSON array of objects.
    Json,
}

impl Format {
    /// The format a path's extension names.
    pub fn of(path: &Path) -> Result<Format, ImpactError> {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("parquet" | "pq") => Ok(Format::Parquet),
            Some("csv") => Ok(Format::Csv),
            Some("json") => Ok(Format::Json),
            _ => Err(ImpactError::ImpactFile {
                path: path.to_path_buf(),
                reason: "cannot tell the format from the extension: use .parquet, .csv or .json"
                    .into(),
            }),
        }
    }
}

fn file_error(path: &Path) -> impl Fn(String) -> ImpactError + '_ {
    move |reason| ImpactError::ImpactFile {
        path: path.to_path_buf(),
        reason,
    }
}

fn rfc3339(t: Option<Timestamp>) -> String {
    t.map(|t| t.to_string()).unwrap_or_default()
}

/// Writes `accounts` to `out` in `format`.
pub fn write(
    accounts: &[(String, Impact)],
    format: Format,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    encode(accounts, format, out).map_err(std::io::Error::other)
}

fn encode(
    accounts: &[(String, Impact)],
    format: Format,
    out: &mut dyn std::io::Write,
) -> Result<(), String> {
    match format {
        Format::Csv => {
            let mut w = csv::Writer::from_writer(out);
            w.write_record(COLUMNS).map_err(|e| e.to_string())?;
            for (account, i) in accounts {
                w.write_record([
                    account.clone(),
                    i.requests.to_string(),
                    i.failures.to_string(),
                    i.error_rate().to_string(),
                    i.impacted_minutes.to_string(),
                    rfc3339(i.first_failure),
                    rfc3339(i.last_failure),
                    i.active().to_string(),
                    i.baseline_requests.to_string(),
                    i.baseline_failures.to_string(),
                    i.status().as_str().to_string(),
                ])
                .map_err(|e| e.to_string())?;
            }
            w.flush().map_err(|e| e.to_string())
        }
        Format::Json => {
            let rows: Vec<serde_json::Value> = accounts
                .iter()
                .map(|(account, i)| {
                    serde_json::json!({
                        "account": account,
                        "requests": i.requests,
                        "failures": i.failures,
                        "error_rate": i.error_rate().to_string(),
                        "impacted_minutes": i.impacted_minutes,
                        "first_failure": i.first_failure.map(|t| t.to_string()),
                        "last_failure": i.last_failure.map(|t| t.to_string()),
                        "active": i.active(),
                        "baseline_requests": i.baseline_requests,
                        "baseline_failures": i.baseline_failures,
                        "status": i.status().as_str(),
                    })
                })
                .collect();
            serde_json::to_writer_pretty(&mut *out, &rows).map_err(|e| e.to_string())?;
            out.write_all(b"\n").map_err(|e| e.to_string())
        }
        Format::Parquet => {
            // The Parquet writer wants an owned, sendable sink; an impact file is small.
            let mut buffer = Vec::new();
            write_parquet(accounts, &mut buffer)?;
            out.write_all(&buffer).map_err(|e| e.to_string())
        }
    }
}

fn write_parquet(accounts: &[(String, Impact)], out: &mut Vec<u8>) -> Result<(), String> {
    let ts = || DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
    let scale = i8::try_from(ERROR_RATE_DP).unwrap_or(6);
    let schema = Arc::new(Schema::new(vec![
        Field::new("account", DataType::Utf8, false),
        Field::new("requests", DataType::UInt64, false),
        Field::new("failures", DataType::UInt64, false),
        Field::new("error_rate", DataType::Decimal128(18, scale), false),
        Field::new("impacted_minutes", DataType::UInt64, false),
        Field::new("first_failure", ts(), true),
        Field::new("last_failure", ts(), true),
        Field::new("active", DataType::Boolean, false),
        Field::new("baseline_requests", DataType::UInt64, false),
        Field::new("baseline_failures", DataType::UInt64, false),
        Field::new("status", DataType::Utf8, false),
    ]));
    let u64s = |f: fn(&Impact) -> u64| -> ArrayRef {
        Arc::new(UInt64Array::from_iter_values(
            accounts.iter().map(|(_, i)| f(i)),
        ))
    };
    let times = |f: fn(&Impact) -> Option<Timestamp>| -> ArrayRef {
        Arc::new(
            TimestampMicrosecondArray::from_iter(
                accounts
                    .iter()
                    .map(|(_, i)| f(i).map(|t| t.as_microsecond())),
            )
            .with_timezone("UTC"),
        )
    };
    let rates = Decimal128Array::from_iter_values(accounts.iter().map(|(_, i)| {
        let mut r = i.error_rate();
        r.rescale(ERROR_RATE_DP);
        r.mantissa()
    }))
    .with_precision_and_scale(18, scale)
    .map_err(|e| e.to_string())?;
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from_iter_values(
            accounts.iter().map(|(a, _)| a),
        )),
        u64s(|i| i.requests),
        u64s(|i| i.failures),
        Arc::new(rates),
        u64s(|i| i.impacted_minutes),
        times(|i| i.first_failure),
        times(|i| i.last_failure),
        Arc::new(BooleanArray::from_iter(
            accounts.iter().map(|(_, i)| Some(i.active())),
        )),
        u64s(|i| i.baseline_requests),
        u64s(|i| i.baseline_failures),
        Arc::new(StringArray::from_iter_values(
            accounts.iter().map(|(_, i)| i.status().as_str()),
        )),
    ];
    let batch = RecordBatch::try_new(schema.clone(), columns).map_err(|e| e.to_string())?;
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .build();
    let mut writer = ArrowWriter::try_new(out, schema, Some(props)).map_err(|e| e.to_string())?;
    writer.write(&batch).map_err(|e| e.to_string())?;
    writer.close().map_err(|e| e.to_string())?;
    Ok(())
}

/// Reads an impact file (any of the three formats; a Parquet file may come from another
/// engine, with signed or unsigned integers and any timestamp unit).
pub fn read(path: &Path) -> Result<Vec<(String, Impact)>, ImpactError> {
    let err = file_error(path);
    match Format::of(path)? {
        Format::Csv => read_csv(path),
        Format::Json => {
            let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
            let rows: Vec<serde_json::Map<String, serde_json::Value>> =
                serde_json::from_str(&text).map_err(|e| err(format!("not an impact file: {e}")))?;
            rows.into_iter()
                .enumerate()
                .map(|(n, row)| {
                    let field = |name: &str| match row.get(name) {
                        None | Some(serde_json::Value::Null) => Ok(None),
                        Some(serde_json::Value::String(s)) => Ok(Some(s.clone())),
                        Some(v) => Ok(Some(v.to_string())),
                    };
                    record(field).map_err(|e| err(format!("entry {}: {e}", n + 1)))
                })
                .collect()
        }
        Format::Parquet => read_parquet(path),
    }
}

/// One account from its fields as text (None where empty).
fn record(
    field: impl Fn(&str) -> Result<Option<String>, String>,
) -> Result<(String, Impact), String> {
    let count = |name: &str| -> Result<u64, String> {
        match field(name)? {
            Some(s) => s
                .trim()
                .parse()
                .map_err(|_| format!("{name}: {s:?} is not a count")),
            None => Err(format!("{name}: missing")),
        }
    };
    let time = |name: &str| -> Result<Option<Timestamp>, String> {
        match field(name)? {
            Some(s) if !s.trim().is_empty() => s
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| format!("{name}: {s:?} is not an RFC 3339 instant")),
            _ => Ok(None),
        }
    };
    let account = field("account")?
        .filter(|s| !s.is_empty())
        .ok_or("account: missing")?;
    Ok((
        account,
        Impact {
            requests: count("requests")?,
            failures: count("failures")?,
            impacted_minutes: count("impacted_minutes")?,
            first_failure: time("first_failure")?,
            last_failure: time("last_failure")?,
            baseline_requests: count("baseline_requests")?,
            baseline_failures: count("baseline_failures")?,
        },
    ))
}

fn read_csv(path: &Path) -> Result<Vec<(String, Impact)>, ImpactError> {
    let err = file_error(path);
    let mut reader = csv::Reader::from_path(path).map_err(|e| err(e.to_string()))?;
    let headers = reader.headers().map_err(|e| err(e.to_string()))?.clone();
    let mut out = Vec::new();
    for row in reader.records() {
        let row = row.map_err(|e| err(e.to_string()))?;
        let line = row.position().map_or(0, csv::Position::line);
        let field = |name: &str| {
            let i = headers
                .iter()
                .position(|h| h == name)
                .ok_or_else(|| format!("no column {name:?}"))?;
            Ok(row.get(i).filter(|s| !s.is_empty()).map(str::to_string))
        };
        out.push(record(field).map_err(|e| err(format!("line {line}: {e}")))?);
    }
    Ok(out)
}

fn read_parquet(path: &Path) -> Result<Vec<(String, Impact)>, ImpactError> {
    let err = file_error(path);
    let file = File::open(path).map_err(|e| err(e.to_string()))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|b| b.build())
        .map_err(|e| err(e.to_string()))?;
    let mut out = Vec::new();
    for batch in reader {
        let batch = batch.map_err(|e| err(e.to_string()))?;
        let column = |name: &str| {
            batch
                .column_by_name(name)
                .ok_or_else(|| err(format!("no column {name:?}")))
        };
        let accounts = column("account")?;
        let counts: Vec<Vec<u64>> = [
            "requests",
            "failures",
            "impacted_minutes",
            "baseline_requests",
            "baseline_failures",
        ]
        .iter()
        .map(|name| counts(column(name)?).map_err(|e| err(format!("column {name:?}: {e}"))))
        .collect::<Result<_, _>>()?;
        let first =
            times(column("first_failure")?).map_err(|e| err(format!("first_failure: {e}")))?;
        let last = times(column("last_failure")?).map_err(|e| err(format!("last_failure: {e}")))?;
        for i in 0..batch.num_rows() {
            let account = match accounts.data_type() {
                DataType::Utf8 => accounts.as_string::<i32>().value(i).to_string(),
                DataType::LargeUtf8 => accounts.as_string::<i64>().value(i).to_string(),
                DataType::Utf8View => accounts.as_string_view().value(i).to_string(),
                other => {
                    return Err(err(format!(
                        "column \"account\" has type {other}; expected text"
                    )));
                }
            };
            out.push((
                account,
                Impact {
                    requests: counts[0][i],
                    failures: counts[1][i],
                    impacted_minutes: counts[2][i],
                    first_failure: first[i],
                    last_failure: last[i],
                    baseline_requests: counts[3][i],
                    baseline_failures: counts[4][i],
                },
            ));
        }
    }
    Ok(out)
}

fn counts(array: &ArrayRef) -> Result<Vec<u64>, String> {
    if array.null_count() > 0 {
        return Err("has empty values".into());
    }
    let signed = |v: i64| u64::try_from(v).map_err(|_| format!("{v} is negative"));
    match array.data_type() {
        DataType::UInt64 => Ok(array.as_primitive::<UInt64Type>().values().to_vec()),
        DataType::UInt32 => Ok(array
            .as_primitive::<UInt32Type>()
            .values()
            .iter()
            .map(|&v| u64::from(v))
            .collect()),
        DataType::Int64 => array
            .as_primitive::<Int64Type>()
            .values()
            .iter()
            .map(|&v| signed(v))
            .collect(),
        DataType::Int32 => array
            .as_primitive::<Int32Type>()
            .values()
            .iter()
            .map(|&v| signed(i64::from(v)))
            .collect(),
        other => Err(format!("has type {other}; expected an integer")),
    }
}

fn times(array: &ArrayRef) -> Result<Vec<Option<Timestamp>>, String> {
    let DataType::Timestamp(unit, _) = array.data_type() else {
        return Err(format!(
            "has type {}; expected a timestamp",
            array.data_type()
        ));
    };
    let values: Vec<Option<i64>> = match unit {
        TimeUnit::Second => array
            .as_primitive::<TimestampSecondType>()
            .iter()
            .map(|v| v.map(|s| s * 1_000_000))
            .collect(),
        TimeUnit::Millisecond => array
            .as_primitive::<TimestampMillisecondType>()
            .iter()
            .map(|v| v.map(|s| s * 1_000))
            .collect(),
        TimeUnit::Microsecond => array
            .as_primitive::<TimestampMicrosecondType>()
            .iter()
            .collect(),
        TimeUnit::Nanosecond => array
            .as_primitive::<TimestampNanosecondType>()
            .iter()
            .map(|v| v.map(|s| s.div_euclid(1_000)))
            .collect(),
    };
    values
        .into_iter()
        .map(|v| {
            v.map(|us| Timestamp::from_microsecond(us).map_err(|e| e.to_string()))
                .transpose()
        })
        .collect()
}
