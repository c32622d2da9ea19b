//! amends-report: a recovery plan as people and machines read it.
//!
//! - [`markdown`]: the recovery protocol a support leader hands to the team — severity table,
//!   communication timeline, remediation matrix with per-account amounts, escalation protocol,
//!   review checklist.
//! - [`table`]: a compact terminal summary.
//! - [`json`]: the stable, documented `amends.plan/v1` document for other programs.
//!
//! Rendering is pure (a plan in, a `String` out), like the core: the CLI decides where it goes.

// No unwrap or expect in product code: every failure is an error value with a message.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod json;
pub mod markdown;
pub mod table;
mod text;

/// The output formats of `amends plan` and `amends demo`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Human-readable Markdown.
    Markdown,
    /// JSON, schema `amends.plan/v1`.
    Json,
    /// A terminal table.
    Table,
}

/// Writes a plan in the given format to `w` (JSON is streamed account by account).
pub fn write(
    plan: &amends_core::plan::Plan<'_>,
    format: Format,
    w: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    match format {
        Format::Json => json::write(plan, w),
        Format::Markdown | Format::Table => w.write_all(render(plan, format).as_bytes()),
    }
}

/// Renders a plan in the given format.
pub fn render(plan: &amends_core::plan::Plan<'_>, format: Format) -> String {
    match format {
        Format::Markdown => markdown::render(plan),
        Format::Json => json::render(plan),
        Format::Table => table::render(plan),
    }
}
