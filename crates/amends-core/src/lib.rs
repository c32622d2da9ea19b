//! amends-core: the pure domain of service recovery.
//!
//! Architecture Invariant: this crate does no I/O. It parses text it is given, computes, and
//! returns values; reading files, clocks, networks and databases is the job of the crates
//! around it. That keeps every rule here testable exhaustively and fast, and makes a plan a
//! pure function of (playbook, accounts, incident).

// No unwrap or expect in product code: every failure is an error value with a message.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod account;
pub mod alert;
pub mod classify;
pub mod diagnostic;
pub mod domain;
pub mod impact;
pub mod incident;
pub mod lint;
pub mod locale;
pub mod money;
pub mod plan;
pub mod playbook;
pub mod remediation;
pub mod snapshot;
pub mod time;
