//! What an incident did to each account, as measured from its usage logs: requests and
//! failures inside the incident window, the minutes in which the account was over the
//! playbook's threshold, and the same window one week earlier as its baseline.
//!
//! This module only holds the figures and what follows from them (error rate, status); the
//! logs are read by `amends-impact`. Keeping the type here lets the planner target and scale
//! remediation by impact without the core doing any I/O.

use std::collections::HashMap;

use jiff::Timestamp;
use rust_decimal::{Decimal, RoundingStrategy};

use crate::domain::AccountId;

/// Decimal places of a published error rate (0.123456 = 12.3456 %).
pub const ERROR_RATE_DP: u32 = 6;

/// One account's measured impact over the incident window(s).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Impact {
    /// Requests inside the window(s).
    pub requests: u64,
    /// Failed requests inside the window(s).
    pub failures: u64,
    /// Minutes in the window(s) in which the account's error rate or mean latency reached
    /// the threshold.
    pub impacted_minutes: u64,
    /// The first failed request inside the window(s).
    pub first_failure: Option<Timestamp>,
    /// The last failed request inside the window(s).
    pub last_failure: Option<Timestamp>,
    /// Requests in the same window(s) one week earlier.
    pub baseline_requests: u64,
    /// Failed requests in the same window(s) one week earlier.
    pub baseline_failures: u64,
}

/// What an account's figures say about it: impacted, silent ("quiet because broken"),
/// quiet as usual, or not affected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ImpactStatus {
    /// At least one impacted minute.
    Impacted,
    /// No impacted minute, but less than half of last week's traffic in the same window:
    /// an account that could not reach us looks like this.
    Silent,
    /// No traffic in the window, and none to speak of last week either.
    Quiet,
    /// Traffic as usual and under the threshold.
    Unaffected,
}

impl ImpactStatus {
    /// The name used in output files.
    pub fn as_str(self) -> &'static str {
        match self {
            ImpactStatus::Impacted => "impacted",
            ImpactStatus::Silent => "silent",
            ImpactStatus::Quiet => "quiet",
            ImpactStatus::Unaffected => "unaffected",
        }
    }
}

impl Impact {
    /// Whether the account sent any request inside the window(s).
    pub fn active(&self) -> bool {
        self.requests > 0
    }

    /// Failures / requests, exact to [`ERROR_RATE_DP`] places (half away from zero, trailing
    /// zeros dropped); zero without requests.
    pub fn error_rate(&self) -> Decimal {
        if self.requests == 0 {
            return Decimal::ZERO;
        }
        (Decimal::from(self.failures) / Decimal::from(self.requests))
            .round_dp_with_strategy(ERROR_RATE_DP, RoundingStrategy::MidpointAwayFromZero)
            .normalize()
    }

    /// What the figures say (see [`ImpactStatus`]).
    pub fn status(&self) -> ImpactStatus {
        if self.impacted_minutes > 0 {
            ImpactStatus::Impacted
        } else if u128::from(self.requests) * 2 < u128::from(self.baseline_requests) {
            ImpactStatus::Silent
        } else if self.requests == 0 {
            ImpactStatus::Quiet
        } else {
            ImpactStatus::Unaffected
        }
    }

    /// Impacted time as whole hours, rounded up: a credit "per impacted hour" pays for a
    /// started hour.
    pub fn impacted_hours_started(&self) -> u64 {
        self.impacted_minutes.div_ceil(60)
    }
}

/// The measured impact of an incident on every account the logs mention. An account the
/// logs never mention in the window or its baseline has no entry and counts as quiet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Impacts {
    by_account: HashMap<AccountId, Impact>,
}

impl Impacts {
    /// An empty set.
    pub fn new() -> Impacts {
        Impacts::default()
    }

    /// Records an account's figures (replacing any earlier ones).
    pub fn insert(&mut self, account: AccountId, impact: Impact) {
        self.by_account.insert(account, impact);
    }

    /// An account's figures, if the logs mention it.
    pub fn get(&self, account: &AccountId) -> Option<&Impact> {
        self.by_account.get(account)
    }

    /// An account's status; [`ImpactStatus::Quiet`] when the logs do not mention it.
    pub fn status(&self, account: &AccountId) -> ImpactStatus {
        self.get(account)
            .map_or(ImpactStatus::Quiet, Impact::status)
    }

    /// Accounts with figures.
    pub fn len(&self) -> usize {
        self.by_account.len()
    }

    /// Whether no account has figures.
    pub fn is_empty(&self) -> bool {
        self.by_account.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn impact(requests: u64, failures: u64, minutes: u64, baseline: u64) -> Impact {
        Impact {
            requests,
            failures,
            impacted_minutes: minutes,
            baseline_requests: baseline,
            ..Impact::default()
        }
    }

    #[test]
    fn status_tells_silent_from_quiet() {
        assert_eq!(impact(10, 5, 3, 10).status(), ImpactStatus::Impacted);
        assert_eq!(impact(0, 0, 0, 100).status(), ImpactStatus::Silent);
        assert_eq!(impact(49, 0, 0, 100).status(), ImpactStatus::Silent);
        assert_eq!(impact(50, 0, 0, 100).status(), ImpactStatus::Unaffected);
        assert_eq!(impact(0, 0, 0, 1).status(), ImpactStatus::Silent);
        assert_eq!(impact(0, 0, 0, 0).status(), ImpactStatus::Quiet);
        assert_eq!(impact(7, 1, 0, 0).status(), ImpactStatus::Unaffected);
    }

    #[test]
    fn error_rate_is_exact_decimal() {
        assert_eq!(impact(3, 1, 0, 0).error_rate().to_string(), "0.333333");
        assert_eq!(impact(3, 2, 0, 0).error_rate().to_string(), "0.666667");
        assert_eq!(impact(0, 0, 0, 0).error_rate(), Decimal::ZERO);
        assert_eq!(impact(4210, 312, 0, 0).error_rate().to_string(), "0.074109");
    }

    #[test]
    fn started_hours_round_up() {
        assert_eq!(impact(1, 1, 0, 0).impacted_hours_started(), 0);
        assert_eq!(impact(1, 1, 1, 0).impacted_hours_started(), 1);
        assert_eq!(impact(1, 1, 60, 0).impacted_hours_started(), 1);
        assert_eq!(impact(1, 1, 61, 0).impacted_hours_started(), 2);
    }
}
