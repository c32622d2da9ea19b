//! amends-messages: what amends writes.
//!
//! The quality of what amends writes is the product: a vague, late, generic apology is what it
//! exists to end. This crate turns a plan into the messages people receive: each playbook
//! template compiled once and checked at `amends check` ([`templates`]), the facts of each
//! message in its reader's time zone and locale ([`compose`], [`context`]), the vetted
//! recovery scripts the bundled playbook uses ([`scripts`]), and the customer-facing
//! root-cause summary ([`rca`]). Every rendered message is linted by
//! [`amends_core::lint`] before anyone sends it.
//!
//! Architecture Invariant: no I/O here either. Template files named by a playbook are read by
//! the caller through [`templates::LoadFile`]; templates themselves cannot reach files or the
//! network.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod compose;
pub mod context;
mod fast;
pub mod rca;
pub mod scripts;
pub mod templates;

pub use compose::{ComposeError, Composer};
pub use rca::Rca;
pub use scripts::{Library, Script};
pub use templates::{Checked, Rendered, Templates, compile};
