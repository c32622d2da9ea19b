//! Snapshot tests of the rendered worked example, and structural checks of the JSON document.

use amends_core::account::{self, Account};
use amends_core::incident::Incident;
use amends_core::plan;
use amends_core::playbook::Playbook;
use amends_core::time::parse_instant;
use amends_report::{Format, render};

const PLAYBOOK: &str = include_str!("../../../demo/playbook.toml");
const ACCOUNTS: &str = include_str!("../../../demo/accounts.csv");
const INCIDENT: &str = include_str!("../../../demo/incident.toml");

fn playbook() -> Playbook {
    Playbook::parse("demo/playbook.toml", PLAYBOOK).unwrap_or_else(|e| panic!("{e}"))
}

/// The demo accounts, or only those whose id is listed (header kept).
fn accounts(pb: &Playbook, only: &[&str]) -> Vec<Account> {
    let text: String = ACCOUNTS
        .lines()
        .enumerate()
        .filter(|(i, l)| {
            *i == 0 || only.is_empty() || only.iter().any(|id| l.starts_with(&format!("{id},")))
        })
        .map(|(_, l)| format!("{l}\n"))
        .collect();
    account::parse_csv("accounts.csv", &text, pb).unwrap_or_else(|e| panic!("{e}"))
}

fn incident(pb: &Playbook, accts: &[Account], text: &str) -> Incident {
    Incident::parse_toml("incident.toml", text, pb, accts).unwrap_or_else(|e| panic!("{e}"))
}

/// Two Enterprise accounts (one with a contract SLA, one in EUR in Berlin) and two Growth
/// accounts (Los Angeles, London): every kind of row, small enough to read in a snapshot.
const FOUR: &[&str] = &["acct-0001", "acct-0006", "acct-0039", "acct-0041"];

#[test]
fn worked_example_markdown() {
    let pb = playbook();
    let accts = accounts(&pb, &[]);
    let inc = incident(&pb, &accts, INCIDENT);
    let p = plan::plan(&pb, &accts, &inc, inc.anchors.resolution.unwrap()).unwrap();
    insta::assert_snapshot!("demo_markdown", render(&p, Format::Markdown));
}

#[test]
fn worked_example_table() {
    let pb = playbook();
    let accts = accounts(&pb, &[]);
    let inc = incident(&pb, &accts, INCIDENT);
    let p = plan::plan(&pb, &accts, &inc, inc.anchors.resolution.unwrap()).unwrap();
    insta::assert_snapshot!("demo_table", render(&p, Format::Table));
}

#[test]
fn worked_example_json_for_four_accounts() {
    let pb = playbook();
    let accts = accounts(&pb, FOUR);
    assert_eq!(accts.len(), 4);
    let inc = incident(&pb, &accts, INCIDENT);
    let p = plan::plan(&pb, &accts, &inc, inc.anchors.resolution.unwrap()).unwrap();
    let json = render(&p, Format::Json);
    insta::assert_snapshot!("demo_json_four_accounts", json);
}

#[test]
fn open_incident_markdown_waits_for_resolution() {
    let pb = playbook();
    let accts = accounts(&pb, FOUR);
    let open = INCIDENT
        .lines()
        .filter(|l| !l.starts_with("resolved_at"))
        .collect::<Vec<_>>()
        .join("\n");
    let inc = incident(&pb, &accts, &open);
    let as_of = parse_instant("2024-10-15T11:10:00-04:00").unwrap();
    let p = plan::plan(&pb, &accts, &inc, as_of).unwrap();
    insta::assert_snapshot!("open_incident_markdown", render(&p, Format::Markdown));
}

#[test]
fn json_document_is_stable_and_typed() {
    let pb = playbook();
    let accts = accounts(&pb, &[]);
    let inc = incident(&pb, &accts, INCIDENT);
    let p = plan::plan(&pb, &accts, &inc, inc.anchors.resolution.unwrap()).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&render(&p, Format::Json)).unwrap();
    assert_eq!(doc["schema"], "amends.plan/v1");
    assert_eq!(doc["classification"]["severity"], "S1");
    assert_eq!(doc["classification"]["basis"], "criterion");
    assert_eq!(doc["affected"]["accounts"], 180);
    assert_eq!(doc["affected"]["by_tier"]["enterprise"], 30);
    let accounts = doc["accounts"].as_array().unwrap();
    assert_eq!(accounts.len(), 180);
    // Money is always a string, never a JSON number.
    for a in accounts {
        assert!(a["remediation"]["credit"].is_string(), "{a}");
        assert!(a["monthly_fee"].is_string());
        assert_eq!(a["remediation"]["status"], "automatic");
    }
    // Every account gets ack, update, resolution and RCA emails, each with a local time.
    let first = &accounts[0];
    let steps: Vec<&str> = first["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["step"].as_str().unwrap())
        .collect();
    assert_eq!(
        steps,
        ["ack_email", "update_email", "resolution_email", "rca_email"]
    );
    assert_eq!(
        first["messages"][0]["at_local"],
        "2024-10-15T10:30:00-04:00[America/New_York]"
    );
    let reviews = doc["reviews"].as_array().unwrap();
    let rca = reviews.iter().find(|r| r["id"] == "customer_rca").unwrap();
    assert_eq!(rca["due"], "2024-10-22T18:00:00Z");
    assert_eq!(rca["customer_facing"], true);
}
