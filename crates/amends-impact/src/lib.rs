//! amends-impact: who was hurt by an incident, and how badly, measured from request/usage
//! logs (Parquet, CSV, NDJSON) in one streaming pass.
//!
//! It exists as its own crate so that the Parquet/Arrow stack is compiled only where logs are
//! read: the domain (`amends-core::impact::Impact`) stays pure and the rest of the workspace
//! builds fast. A run maps the logs' columns, keeps only the Parquet row groups whose
//! timestamp statistics can touch a window or its baseline, reads them on both cores in two
//! consecutive stretches, and merges the per-account accumulators in time order. Memory is
//! proportional to the number of accounts, not to rows or account-minutes.

// No unwrap or expect in product code: every failure is an error value with a message.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

mod accum;
mod error;
pub mod output;
mod query;
mod scan;

pub use error::ImpactError;
pub use query::{Mapping, Outcome, Query, Thresholds, Window};
pub use scan::{Progress, Report, Skipped, run};

/// Where in a log file a row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// A Parquet row, 0-based within its 0-based row group.
    Row {
        /// Row group.
        row_group: usize,
        /// Row within it.
        row: u64,
    },
    /// A 1-based line of a text file.
    Line(u64),
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Place::Row { row_group, row } => write!(f, "row group {row_group}, row {row}"),
            Place::Line(n) => write!(f, "line {n}"),
        }
    }
}
