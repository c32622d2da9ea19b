//! Why an impact run stopped. Every error names the file and, where there is one, the row
//! group or line and the column, so a bad log is found without guessing.

use std::path::PathBuf;

/// An impact run's failure.
#[derive(Debug, thiserror::Error)]
pub enum ImpactError {
    /// The query itself is wrong (mapping, window, threshold).
    #[error("{0}")]
    Config(String),
    /// A file or directory could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// No log file was found.
    #[error("{}: no .parquet, .csv or .ndjson/.jsonl log files found", path.display())]
    NoInput {
        /// What was given.
        path: PathBuf,
    },
    /// A Parquet file is corrupt or unreadable.
    #[error("{}{}: {reason}", path.display(), place.as_deref().map(|p| format!(", {p}")).unwrap_or_default())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// Row group, when known.
        place: Option<String>,
        /// What the reader said.
        reason: String,
    },
    /// A mapped column is not in the file.
    #[error("{}: no column {column:?} (mapped as {role}); the file has: {available}", path.display())]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The column.
        column: String,
        /// What it was mapped as.
        role: &'static str,
        /// The columns the file has.
        available: String,
    },
    /// A mapped column has a type amends cannot read as its role.
    #[error("{}: column {column:?} ({role}) has type {found}; expected {expected}", path.display())]
    WrongType {
        /// The file.
        path: PathBuf,
        /// The column.
        column: String,
        /// What it was mapped as.
        role: &'static str,
        /// Its type.
        found: String,
        /// What would do.
        expected: &'static str,
    },
    /// A row's value could not be used (and bad rows are not being skipped).
    #[error("{}, {place}, column {column:?}: {reason} (use --skip-bad-rows to count and skip such rows)", path.display())]
    BadRow {
        /// The file.
        path: PathBuf,
        /// "row group 2, row 17" or "line 12".
        place: String,
        /// The column.
        column: String,
        /// What is wrong.
        reason: String,
    },
    /// An account's requests are not in time order.
    #[error(
        "{}, {place}: account {account:?} has a request at {at} after one at {after}; amends reads logs in one pass and needs them in time order (files in name order, rows by time)",
        path.display()
    )]
    OutOfOrder {
        /// The file.
        path: PathBuf,
        /// Row group and row, or line, when known.
        place: String,
        /// The account.
        account: String,
        /// The minute of the late request.
        at: jiff::Timestamp,
        /// The later minute seen before it.
        after: jiff::Timestamp,
    },
    /// An impact file could not be written or read back.
    #[error("{}: {reason}", path.display())]
    ImpactFile {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}
