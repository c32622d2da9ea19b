//! amends-delivery: what makes amends act. Workers claim due jobs from the store's outbox,
//! deliver each through its channel adapter with the job's idempotency key, record the
//! receipt, retry failures with exponential backoff and jitter, and leave a job that keeps
//! failing as a dead letter for a person.
//!
//! Delivery is at least once; the idempotency key travels with every attempt (the
//! `webhook-id` of a signed webhook, the Message-ID of an email), so a recipient that
//! de-duplicates sees each message exactly once, also when a worker dies mid-send.
//!
//! Architecture Invariant: workers read time only from a [`clock::Clock`], so tests run a
//! whole recovery sequence in simulated time without sleeping.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod channel;
pub mod clock;
pub mod deadlines;
pub mod email;
pub mod pagerduty;
pub mod plan_jobs;
pub mod slack;
pub mod smtp_pool;
pub mod status_page;
pub mod statuspage;
pub mod task;
pub mod webhook;
pub mod worker;

pub use channel::{Channel, DeliveryError};
pub use clock::{Clock, ManualClock, SystemClock};
pub use worker::{RetryPolicy, Worker};
