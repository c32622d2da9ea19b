//! Plan snapshots and the readable diff between two plan versions of the worked example.

use amends_core::account::{self, Account};
use amends_core::incident::Incident;
use amends_core::plan;
use amends_core::playbook::Playbook;
use amends_core::snapshot::Snapshot;
use amends_core::time::parse_instant;

const PLAYBOOK: &str = include_str!("../../../demo/playbook.toml");
const ACCOUNTS: &str = include_str!("../../../demo/accounts.csv");
const INCIDENT: &str = include_str!("../../../demo/incident.toml");

fn setup() -> (Playbook, Vec<Account>) {
    let pb = Playbook::parse("p", PLAYBOOK).unwrap();
    let accounts = account::parse_csv("a", ACCOUNTS, &pb).unwrap();
    (pb, accounts)
}

fn snapshot(pb: &Playbook, accounts: &[Account], incident: &str, as_of: &str) -> Snapshot {
    let inc = Incident::parse_toml("i", incident, pb, accounts).unwrap();
    let p = plan::plan(pb, accounts, &inc, parse_instant(as_of).unwrap()).unwrap();
    Snapshot::of(&p)
}

fn open_incident() -> String {
    INCIDENT
        .lines()
        .filter(|l| !l.starts_with("resolved_at"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn resolving_the_worked_example_changes_what_it_should() {
    let (pb, accounts) = setup();
    let open = snapshot(
        &pb,
        &accounts,
        &open_incident(),
        "2024-10-15T11:10:00-04:00",
    );
    let resolved = snapshot(&pb, &accounts, INCIDENT, "2024-10-15T14:00:00-04:00");
    let diff = resolved.diff(&open);
    let has = |needle: &str| diff.iter().any(|l| l.contains(needle));
    assert!(!has("severity"), "S1 both times: {diff:#?}");
    assert!(has("duration 70 → 240 minutes"), "{diff:#?}");
    assert!(
        has("~ message status_update: 4 → 14 occurrences"),
        "{diff:#?}"
    );
    assert!(
        has(
            "~ message resolution_email#1: awaiting resolution → message resolution_email#1: at 2024-10-15T19:00:00Z"
        ),
        "{diff:#?}"
    );
    // 70 minutes is the under-2-hours rule (3 days); 4 hours is the 7-day rule.
    assert!(
        diff.iter().any(
            |l| l.starts_with("~ acct-0003: credit 1040.32 USD (rule #2")
                && l.contains("→ acct-0003: credit 2427.42 USD (rule #1")
        ),
        "{diff:#?}"
    );
    assert!(has(
        "review customer_rca: due after resolution → review customer_rca: due 2024-10-22T18:00:00Z"
    ));
}

#[test]
fn the_same_plan_twice_has_no_diff_and_scope_changes_add_and_remove_accounts() {
    let (pb, accounts) = setup();
    let a = snapshot(&pb, &accounts, INCIDENT, "2024-10-15T14:00:00-04:00");
    assert!(a.diff(&a).is_empty());
    let enterprise_only = INCIDENT.replace(
        "tiers = [\"enterprise\", \"growth\"]",
        "tiers = [\"enterprise\"]",
    );
    let b = snapshot(
        &pb,
        &accounts,
        &enterprise_only,
        "2024-10-15T14:00:00-04:00",
    );
    let diff = b.diff(&a);
    let removed = diff.iter().filter(|l| l.starts_with("- acct-")).count();
    assert_eq!(
        removed, 150,
        "the 150 Growth accounts leave the plan: {diff:#?}"
    );
    // Still S1: the whole service was down for the accounts that use it.
    assert!(!diff.iter().any(|l| l.starts_with("severity")), "{diff:#?}");
    assert_eq!(
        diff.len(),
        150,
        "only the Growth accounts change: {diff:#?}"
    );
}

#[test]
fn snapshots_round_trip_through_json() {
    let (pb, accounts) = setup();
    let a = snapshot(&pb, &accounts, INCIDENT, "2024-10-15T14:00:00-04:00");
    let back: Snapshot = serde_json::from_str(&serde_json::to_string(&a).unwrap()).unwrap();
    assert_eq!(a, back);
}
