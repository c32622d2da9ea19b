//! Planning from measured impact: the playbook's `[impact]` table decides which accounts are
//! targeted and how remediation scales with each account's own figures.

use amends_core::account::{self, Account};
use amends_core::domain::AccountId;
use amends_core::impact::{Impact, Impacts};
use amends_core::incident::Incident;
use amends_core::plan;
use amends_core::playbook::Playbook;
use jiff::Timestamp;
use rust_decimal::Decimal;

const DEMO: &str = include_str!("../../../demo/playbook.toml");
const DEMO_ACCOUNTS: &str = include_str!("../../../demo/accounts.csv");
const DEMO_INCIDENT: &str = include_str!("../../../demo/incident.toml");

fn playbook(impact: &str) -> Playbook {
    Playbook::parse("playbook.toml", &format!("{DEMO}\n{impact}"))
        .unwrap_or_else(|e| panic!("playbook:\n{e}"))
}

fn id(s: &str) -> AccountId {
    s.parse().unwrap()
}

fn impacts() -> Impacts {
    let mut i = Impacts::new();
    i.insert(
        id("acct-0001"),
        Impact {
            requests: 4210,
            failures: 312,
            impacted_minutes: 61,
            first_failure: Some("2024-10-15T14:02:00Z".parse().unwrap()),
            last_failure: Some("2024-10-15T17:58:00Z".parse().unwrap()),
            baseline_requests: 4000,
            baseline_failures: 3,
        },
    );
    // Silent: no traffic this time, plenty last week.
    i.insert(
        id("acct-0002"),
        Impact {
            baseline_requests: 900,
            ..Impact::default()
        },
    );
    // Active and fine.
    i.insert(
        id("acct-0003"),
        Impact {
            requests: 500,
            failures: 1,
            baseline_requests: 480,
            ..Impact::default()
        },
    );
    i
}

fn at_resolution(inc: &Incident) -> Timestamp {
    inc.anchors.resolution.unwrap()
}

fn load(pb: &Playbook) -> (Vec<Account>, Incident) {
    let accounts = account::parse_csv("accounts.csv", DEMO_ACCOUNTS, pb).unwrap();
    let inc = Incident::parse_toml("incident.toml", DEMO_INCIDENT, pb, &accounts).unwrap();
    (accounts, inc)
}

fn targeted(target: &str) -> Vec<String> {
    let pb = playbook(&format!("[impact]\ntarget = \"{target}\"\n"));
    let (accounts, inc) = load(&pb);
    let i = impacts();
    let p = plan::plan_with_impact(&pb, &accounts, &inc, at_resolution(&inc), &i).unwrap();
    assert_eq!(p.facts.accounts_affected, p.accounts.len());
    let mut ids: Vec<String> = p
        .accounts
        .iter()
        .map(|a| a.account.id.to_string())
        .collect();
    ids.sort();
    ids
}

#[test]
fn only_impacted_accounts_are_targeted_by_default() {
    let pb = playbook("");
    let (accounts, inc) = load(&pb);
    let i = impacts();
    let p = plan::plan_with_impact(&pb, &accounts, &inc, at_resolution(&inc), &i).unwrap();
    assert_eq!(p.accounts.len(), 1);
    assert_eq!(p.accounts[0].account.id.as_str(), "acct-0001");
    assert_eq!(p.accounts[0].impact, i.get(&id("acct-0001")));
    assert_eq!(targeted("impacted"), ["acct-0001"]);
    assert_eq!(targeted("impacted_or_silent"), ["acct-0001", "acct-0002"]);
    assert_eq!(targeted("all").len(), 180);
}

#[test]
fn a_credit_per_started_impacted_hour_is_added() {
    let plain_pb = playbook("");
    let (accounts, inc) = load(&plain_pb);
    let plain = plan::plan(&plain_pb, &accounts, &inc, at_resolution(&inc)).unwrap();
    let before = plain
        .accounts
        .iter()
        .find(|a| a.account.id.as_str() == "acct-0001")
        .unwrap()
        .decision
        .credit;

    let pb = playbook("[impact]\ncredit_per_impacted_hour = { USD = \"25.00\" }\n");
    let (accounts, inc) = load(&pb);
    let i = impacts();
    let p = plan::plan_with_impact(&pb, &accounts, &inc, at_resolution(&inc), &i).unwrap();
    // 61 impacted minutes are 2 started hours: 2 × 25.00 USD on top.
    assert_eq!(
        p.accounts[0].decision.credit.amount(),
        before.amount() + Decimal::new(5000, 2)
    );
}

#[test]
fn sla_uptime_can_come_from_the_accounts_own_impacted_minutes() {
    let pb = playbook("[impact]\nsla_downtime = \"impacted_minutes\"\n");
    let (accounts, inc) = load(&pb);
    let i = impacts();
    let p = plan::plan_with_impact(&pb, &accounts, &inc, at_resolution(&inc), &i).unwrap();
    let contract = p.accounts[0]
        .decision
        .contract
        .as_ref()
        .expect("acct-0001 has an SLA");
    // October: 31 × 1440 = 44,640 minutes; 61 down.
    let expected = Decimal::from(44_640 - 61) / Decimal::from(44_640) * Decimal::ONE_HUNDRED;
    assert_eq!(contract.sla.uptime_percent, expected);
}

#[test]
fn a_bad_impact_table_is_refused_with_its_place() {
    for (table, says) in [
        ("error_rate = \"1.5\"", "error_rate is a fraction"),
        ("target = \"everyone\"", "target \"everyone\""),
        ("sla_downtime = \"weekly\"", "sla_downtime \"weekly\""),
        ("latency_ms = 0", "latency_ms must be at least 1"),
        ("[impact.columns]\nacount = \"x\"", "has no key \"acount\""),
    ] {
        let text = format!("{DEMO}\n[impact]\n{table}\n");
        let e = Playbook::parse("playbook.toml", &text)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(says) && e.contains("playbook.toml:"),
            "{table}: {e}"
        );
    }
}
