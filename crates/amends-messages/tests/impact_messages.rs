//! Messages of a plan made from measured impact quote the account's own figures, in its
//! reader's zone, and only once they are known (from the resolution on).

use amends_core::account;
use amends_core::domain::AccountId;
use amends_core::impact::{Impact, Impacts};
use amends_core::incident::Incident;
use amends_core::plan::{self, Due};
use amends_core::playbook::Playbook;
use amends_messages::{Composer, Library, compile};

const PLAYBOOK: &str = include_str!("../../../demo/playbook.toml");
const ACCOUNTS: &str = include_str!("../../../demo/accounts.csv");
const INCIDENT: &str = include_str!("../../../demo/incident.toml");

#[test]
fn messages_quote_the_accounts_own_figures_once_known() {
    let pb = Playbook::parse("demo/playbook.toml", PLAYBOOK).unwrap();
    let accounts = account::parse_csv("demo/accounts.csv", ACCOUNTS, &pb).unwrap();
    let incident = Incident::parse_toml("demo/incident.toml", INCIDENT, &pb, &accounts).unwrap();
    let mut impacts = Impacts::new();
    let id: AccountId = "acct-0001".parse().unwrap();
    impacts.insert(
        id,
        Impact {
            requests: 4210,
            failures: 312,
            impacted_minutes: 236,
            first_failure: Some("2024-10-15T14:02:00Z".parse().unwrap()),
            last_failure: Some("2024-10-15T17:58:00Z".parse().unwrap()),
            baseline_requests: 4000,
            baseline_failures: 2,
        },
    );
    let as_of = incident.anchors.resolution.unwrap();
    let plan = plan::plan_with_impact(&pb, &accounts, &incident, as_of, &impacts).unwrap();
    assert_eq!(plan.accounts.len(), 1);
    let checked = compile(
        &pb,
        "demo/playbook.toml",
        PLAYBOOK,
        &Library::bundled().unwrap(),
        &mut |p: &str| Err(format!("{p}: no files")),
    )
    .unwrap();
    let composer = Composer::new(&plan, &checked.templates, None);
    let mut before = 0;
    for (i, m) in plan.account_messages() {
        let Due::At(due) = m.due else { continue };
        let Ok(r) = composer.account_message(0, i, 0) else {
            continue;
        };
        let text = r.text();
        if due < as_of {
            before += 1;
            assert!(!text.contains("312 of your"), "{text}");
        }
    }
    assert!(before > 0);
    // The summary (after resolution) carries the figures in the reader's New York time.
    let facts = composer.summary_facts(Some(0)).unwrap();
    let impact = facts.impact.expect("impact facts");
    assert_eq!(impact.failed_requests, 312);
    assert_eq!(impact.first_failure.as_deref(), Some("10:02 AM EDT"));
    assert_eq!(impact.last_failure.as_deref(), Some("1:58 PM EDT"));
}
