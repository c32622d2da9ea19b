//! The worked example's messages, rendered from the demo files: every template of the bundled
//! playbook compiles with no warnings, every message the demo sends passes the linter, and
//! the messages of an Enterprise account in New York and a Growth account in London are
//! snapshotted as their readers receive them.

use amends_core::account::{self, Account};
use amends_core::incident::Incident;
use amends_core::plan::{self, Due, Plan};
use amends_core::playbook::{Audience, Playbook};
use amends_messages::{Checked, Composer, Library, Rca, compile};
use jiff::Zoned;

const PLAYBOOK: &str = include_str!("../../../demo/playbook.toml");
const ACCOUNTS: &str = include_str!("../../../demo/accounts.csv");
const INCIDENT: &str = include_str!("../../../demo/incident.toml");
const RCA: &str = include_str!("../../../demo/rca.toml");

struct Demo {
    playbook: Playbook,
    accounts: Vec<Account>,
    incident: Incident,
}

fn demo() -> Demo {
    let playbook = Playbook::parse("demo/playbook.toml", PLAYBOOK).expect("demo playbook");
    let accounts = account::parse_csv("demo/accounts.csv", ACCOUNTS, &playbook).expect("accounts");
    let incident = Incident::parse_toml("demo/incident.toml", INCIDENT, &playbook, &accounts)
        .expect("incident");
    Demo {
        playbook,
        accounts,
        incident,
    }
}

fn plan_of(d: &Demo) -> Plan<'_> {
    let as_of = "2024-10-28T09:00:00[America/New_York]"
        .parse::<Zoned>()
        .expect("time")
        .timestamp();
    plan::plan(&d.playbook, &d.accounts, &d.incident, as_of).expect("plan")
}

fn no_files(path: &str) -> Result<String, String> {
    Err(format!("{path}: the demo has no template files"))
}

/// The demo playbook's templates, compiled; their errors and warnings are the failure.
fn checked(d: &Demo) -> Checked {
    compile(
        &d.playbook,
        "demo/playbook.toml",
        PLAYBOOK,
        &Library::bundled().expect("library"),
        &mut no_files,
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn every_bundled_template_compiles_without_warnings() {
    let d = demo();
    let checked = checked(&d);
    assert!(
        checked.warnings.is_empty(),
        "{}",
        checked
            .warnings
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n\n")
    );
    for key in d.playbook.templates.keys() {
        assert!(
            checked.templates.entry(key).is_some_and(|e| e.has_text),
            "{key}"
        );
    }
}

#[test]
fn every_message_the_demo_sends_passes_the_linter() {
    let d = demo();
    let plan = plan_of(&d);
    let checked = checked(&d);
    let rca = Rca::parse_toml("demo/rca.toml", RCA).expect("rca");
    let composer = Composer::new(&plan, &checked.templates, Some(&rca));
    let mut rendered = 0;
    for (i, m) in plan.messages.iter().enumerate() {
        if !matches!(m.due, Due::At(_)) {
            continue;
        }
        if plan.step(m).audience == Audience::Public {
            let r = composer.public_message(i).expect("public message");
            assert!(r.findings.is_empty(), "{}\n{:#?}", r.text(), r.findings);
            rendered += 1;
            continue;
        }
        for (a, ap) in plan.accounts.iter().enumerate() {
            for c in 0..ap.account.contacts.len() {
                let r = composer.account_message(a, i, c).expect("account message");
                assert!(
                    r.findings.is_empty(),
                    "{} {}:\n{}\n{:#?}",
                    ap.account.id,
                    plan.step(m).id,
                    r.text(),
                    r.findings
                );
                rendered += 1;
            }
        }
    }
    // Four emails to each of the 180 accounts (acknowledgment, the 11:00 update, resolution,
    // root-cause summary), the first status post and 14 updates every 15 minutes 10:30-13:45.
    assert_eq!(rendered, 4 * 180 + 1 + 14);
}

/// Every message one account receives, in time order, as text.
fn messages_for(d: &Demo, id: &str) -> String {
    let plan = plan_of(d);
    let checked = checked(d);
    let rca = Rca::parse_toml("demo/rca.toml", RCA).expect("rca");
    let composer = Composer::new(&plan, &checked.templates, Some(&rca));
    let a = plan
        .accounts
        .iter()
        .position(|p| p.account.id.as_str() == id)
        .expect("account in plan");
    let mut out = String::new();
    for (i, m) in plan.account_messages() {
        if !matches!(m.due, Due::At(_)) {
            continue;
        }
        let r = composer.account_message(a, i, 0).expect("message");
        out.push_str(&format!(
            "===== {} #{} ({:?} on {}) =====\n{}\n\n",
            plan.step(m).id,
            m.occurrence,
            r.purpose,
            r.channel,
            r.text()
        ));
    }
    out
}

#[test]
fn an_enterprise_account_in_new_york_receives_these_messages() {
    let d = demo();
    let text = messages_for(&d, "acct-0001");
    assert!(
        text.contains("Tuesday, October 15, 2024, 10:00 AM to 2:00 PM EDT"),
        "{text}"
    );
    assert!(
        text.contains("personal apology from Dana Whitfield"),
        "{text}"
    );
    insta::assert_snapshot!("enterprise_new_york", text);
}

#[test]
fn a_growth_account_in_london_receives_these_messages_in_its_own_time_and_format() {
    let d = demo();
    let id = d
        .accounts
        .iter()
        .find(|a| a.tier.as_str() == "growth" && a.contacts[0].zone.name() == "Europe/London")
        .map(|a| a.id.to_string())
        .expect("a growth account in London");
    let text = messages_for(&d, &id);
    // 10:00-14:00 in New York is 15:00-19:00 in London, written the British way, and the
    // credit is in pounds.
    assert!(
        text.contains("Tuesday 15 October 2024, 15:00 to 19:00 BST"),
        "{text}"
    );
    assert!(text.contains('£'), "{text}");
    insta::assert_snapshot!("growth_london", text);
}

#[test]
fn the_acknowledgment_knows_only_what_was_known_when_it_was_due() {
    let d = demo();
    let text = messages_for(&d, "acct-0001");
    let ack = text
        .split("=====")
        .find(|s| {
            s.contains("initial")
                || s.contains("have not been able")
                || s.contains("has not been able")
        })
        .expect("the acknowledgment");
    // Written at 10:30: the outage is ongoing, and the next email is the 11:00 update.
    assert!(!ack.contains("2:00 PM"), "{ack}");
    assert!(ack.contains("Next update: 11:00 AM EDT by email"), "{ack}");
}

/// The next-update line names the channel its reader will hear on. With the update step sent
/// on each contact's preferred channel, the acknowledgment tells a reader who prefers text
/// messages "by text message", one who prefers chat "in chat", one who prefers email "by
/// email" (it said "by email" to all of them).
#[test]
fn the_next_update_names_the_channel_each_reader_hears_on() {
    let source = PLAYBOOK.replace(
        "only_if = \"unresolved\"\nchannel = \"email\"",
        "only_if = \"unresolved\"\nchannel = \"preferred\"",
    );
    assert_ne!(source, PLAYBOOK, "the update step's channel is replaced");
    let playbook = Playbook::parse("demo/playbook.toml", &source).expect("playbook");
    let accounts = account::parse_csv("demo/accounts.csv", ACCOUNTS, &playbook).expect("accounts");
    let incident = Incident::parse_toml("demo/incident.toml", INCIDENT, &playbook, &accounts)
        .expect("incident");
    let d = Demo {
        playbook,
        accounts,
        incident,
    };
    let plan = plan_of(&d);
    let checked = compile(
        &d.playbook,
        "demo/playbook.toml",
        &source,
        &Library::bundled().expect("library"),
        &mut no_files,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let composer = Composer::new(&plan, &checked.templates, None);
    let (ack, _) = plan
        .account_messages()
        .find(|(_, m)| plan.step(m).id.as_str() == "ack_email")
        .expect("the acknowledgment");
    for (preferred, words) in [
        ("sms", " by text message, or sooner"),
        ("chat", " in chat, or sooner"),
        ("email", " by email, or sooner"),
    ] {
        let a = plan
            .accounts
            .iter()
            .position(|p| p.account.contacts[0].preferred_channel.to_string() == preferred)
            .unwrap_or_else(|| panic!("a demo account prefers {preferred}"));
        let r = composer.account_message(a, ack, 0).expect("message");
        assert!(r.body.contains(words), "{preferred}: {}", r.body);
        assert!(r.findings.is_empty(), "{:?}", r.findings);
    }
}
