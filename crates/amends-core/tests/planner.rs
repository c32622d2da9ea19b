//! The recovery planner beyond the worked example: open incidents, incidents resolved before
//! an "if unresolved" update, per-contact deliveries and channels, scopes, and escalation
//! conditions that do not fire.

use std::collections::BTreeSet;

use amends_core::account::{self, Account};
use amends_core::domain::{Channel, Key};
use amends_core::incident::Incident;
use amends_core::plan::{self, Due, Plan};
use amends_core::playbook::Playbook;
use jiff::{SignedDuration, Timestamp, Zoned};

const DEMO: &str = include_str!("../../../demo/playbook.toml");
const DEMO_ACCOUNTS: &str = include_str!("../../../demo/accounts.csv");

fn et(local: &str) -> Timestamp {
    format!("{local}[America/New_York]")
        .parse::<Zoned>()
        .expect("instant")
        .timestamp()
}

fn demo_playbook() -> Playbook {
    Playbook::parse("demo/playbook.toml", DEMO).expect("demo playbook")
}

fn demo_accounts(p: &Playbook) -> Vec<Account> {
    account::parse_csv("demo/accounts.csv", DEMO_ACCOUNTS, p).expect("demo accounts")
}

fn incident(p: &Playbook, accounts: &[Account], toml: &str) -> Incident {
    Incident::parse_toml("incident.toml", toml, p, accounts)
        .unwrap_or_else(|e| panic!("incident:\n{e}"))
}

fn make<'a>(
    p: &'a Playbook,
    accounts: &'a [Account],
    i: &'a Incident,
    as_of: Timestamp,
) -> Plan<'a> {
    plan::plan(p, accounts, i, as_of).expect("plan")
}

fn key(s: &str) -> Key {
    Key::parse("test", s).expect("key")
}

/// The messages of one step, in order: (occurrence, due).
fn step_messages(p: &Plan<'_>, id: &str) -> Vec<(u32, Due)> {
    p.messages
        .iter()
        .filter(|m| p.step(m).id.as_str() == id)
        .map(|m| (m.occurrence, m.due.clone()))
        .collect()
}

fn times(list: &[(u32, Due)]) -> Vec<Timestamp> {
    list.iter()
        .map(|(_, d)| match d {
            Due::At(t) => *t,
            other => panic!("expected a due time, got {other:?}"),
        })
        .collect()
}

const OPEN_OUTAGE: &str = r#"
id = "INC-OPEN"
title = "API unavailable"
type = "outage"
core_feature = true
workaround = false
started_at = "2024-10-15T10:00:00-04:00"
detected_at = "2024-10-15T10:00:00-04:00"

[affected]
all = true
"#;

#[test]
fn an_open_incident_waits_for_resolution_and_plans_updates_up_to_the_next_one() {
    let p = demo_playbook();
    let accounts = demo_accounts(&p);
    let i = incident(&p, &accounts, OPEN_OUTAGE);
    let as_of = et("2024-10-15T11:10:00");
    let plan = make(&p, &accounts, &i, as_of);
    assert_eq!(plan.severity().id.as_str(), "S1", "70 minutes and counting");
    assert!(!plan.facts.resolved);

    // Status updates from 10:30 every 15 minutes, up to and including the first after as_of.
    let updates = step_messages(&plan, "status_update");
    assert_eq!(
        times(&updates),
        [
            et("2024-10-15T10:30:00"),
            et("2024-10-15T10:45:00"),
            et("2024-10-15T11:00:00"),
            et("2024-10-15T11:15:00"),
        ]
    );
    assert_eq!(
        updates.iter().map(|u| u.0).collect::<Vec<_>>(),
        [1, 2, 3, 4]
    );

    // The "if unresolved" email is due: the incident is open.
    assert_eq!(
        step_messages(&plan, "update_email"),
        [(1, Due::At(et("2024-10-15T11:00:00")))]
    );
    // Steps counted from resolution wait for it.
    for id in ["resolution_email", "rca_email"] {
        assert_eq!(
            step_messages(&plan, id),
            [(1, Due::AwaitingResolution)],
            "{id}"
        );
    }
    // … and are listed after every timed message.
    let first_waiting = plan
        .messages
        .iter()
        .position(|m| m.due == Due::AwaitingResolution)
        .expect("waiting messages");
    assert!(
        plan.messages[first_waiting..]
            .iter()
            .all(|m| m.due == Due::AwaitingResolution)
    );
    // Reviews and the resolution escalation have no time yet.
    assert!(plan.reviews.iter().all(|r| r.due.is_none()));
    assert_eq!(plan.escalation.last().map(|e| e.at), Some(None));
    // The CEO condition reads the duration so far.
    let ceo = plan
        .escalation
        .iter()
        .find(|e| {
            plan.severity().escalation[e.step]
                .notify
                .contains(&key("ceo"))
        })
        .expect("ceo step");
    assert!(ceo.fires);
    assert!(
        ceo.conditions
            .iter()
            .any(|(held, text)| *held && text == "has lasted 1h 10m, more than 1h"),
        "{:?}",
        ceo.conditions
    );
}

#[test]
fn repeating_updates_stop_at_the_first_occurrence_after_as_of() {
    let p = demo_playbook();
    let accounts = demo_accounts(&p);
    // Pinned to S1 so that an early as_of does not classify it lower (and change cadence).
    let toml = format!(
        "{OPEN_OUTAGE}\n[severity_override]\nseverity = \"S1\"\nreason = \"Full outage\"\n"
    );
    let i = incident(&p, &accounts, &toml);
    let first = et("2024-10-15T10:30:00");
    // Every minute from before the first update to well after, including exact occurrences.
    for offset in -25i64..=200 {
        let as_of = first
            .checked_add(SignedDuration::from_mins(offset))
            .expect("time");
        let plan = make(&p, &accounts, &i, as_of);
        assert_eq!(plan.severity().id.as_str(), "S1");
        let ts = times(&step_messages(&plan, "status_update"));
        assert!(!ts.is_empty(), "the first update is always planned");
        assert_eq!(ts[0], first);
        assert!(
            ts.windows(2)
                .all(|w| w[1].duration_since(w[0]) == SignedDuration::from_mins(15)),
            "every 15 minutes"
        );
        let after: Vec<_> = ts.iter().filter(|t| **t > as_of).collect();
        assert_eq!(
            after.len(),
            1,
            "as_of T+30m{offset:+}m: exactly one update after as_of, got {ts:?}"
        );
        assert_eq!(ts.last(), after.first().copied());
    }
}

#[test]
fn an_incident_resolved_before_the_update_email_skips_it() {
    let p = demo_playbook();
    let accounts = demo_accounts(&p);
    // Started 09:00, noticed at 10:00, fixed at 10:45: 105 minutes, S1; the T+60 update
    // email would be at 11:00, after resolution.
    let toml = r#"
id = "INC-EARLY"
title = "API unavailable"
type = "outage"
core_feature = true
workaround = false
started_at = "2024-10-15T09:00:00-04:00"
detected_at = "2024-10-15T10:00:00-04:00"
resolved_at = "2024-10-15T10:45:00-04:00"

[affected]
all = true
"#;
    let i = incident(&p, &accounts, toml);
    let plan = make(&p, &accounts, &i, et("2024-10-16T09:00:00"));
    assert_eq!(plan.severity().id.as_str(), "S1");
    let update = step_messages(&plan, "update_email");
    assert_eq!(update.len(), 1);
    let Due::Skipped(t, why) = &update[0].1 else {
        panic!("update_email should be skipped: {update:?}");
    };
    assert_eq!(*t, et("2024-10-15T11:00:00"));
    assert!(why.contains("resolved"), "{why}");
    // Status updates stop at resolution: 10:30 only (10:45 is the resolution itself).
    assert_eq!(
        times(&step_messages(&plan, "status_update")),
        [et("2024-10-15T10:30:00")]
    );
    assert_eq!(
        times(&step_messages(&plan, "resolution_email")),
        [et("2024-10-15T11:45:00")]
    );
    // Deliveries leave the skipped email out: ack, resolution, RCA.
    let a = &plan.accounts[0];
    let delivered: Vec<&str> = plan
        .deliveries(a.account)
        .map(|d| plan.step(&plan.messages[d.message]).id.as_str())
        .collect();
    assert_eq!(delivered, ["ack_email", "resolution_email", "rca_email"]);
}

#[test]
fn an_incident_resolved_before_the_first_status_update_has_none() {
    let p = demo_playbook();
    let accounts = demo_accounts(&p);
    let toml = OPEN_OUTAGE.replace(
        "[affected]",
        "resolved_at = \"2024-10-15T10:25:00-04:00\"\nseverity_override = { severity = \"S1\", reason = \"Full outage, all customers\" }\n\n[affected]",
    );
    let i = incident(&p, &accounts, &toml);
    let plan = make(&p, &accounts, &i, et("2024-10-16T09:00:00"));
    assert_eq!(plan.severity().id.as_str(), "S1");
    assert!(step_messages(&plan, "status_update").is_empty());
}

// ---------------------------------------------------------------------------------------------
// Deliveries

const CONTACTS_JSON: &str = r#"[
  {
    "id": "multi", "name": "Many Contacts Inc", "tier": "enterprise", "segment": "emea",
    "monthly_fee": "5000.00", "currency": "EUR",
    "contacts": [
      { "name": "Ann Email", "email": "ann@many.example", "preferred_channel": "email",
        "time_zone": "Europe/Berlin" },
      { "name": "Bo Sms", "phone": "+4915100000001", "preferred_channel": "sms",
        "time_zone": "Europe/Berlin" },
      { "name": "Cy Chat", "preferred_channel": "chat", "time_zone": "Europe/Paris" },
      { "name": "Di Phone", "email": "di@many.example", "phone": "+4915100000002",
        "preferred_channel": "phone", "time_zone": "Europe/Berlin" }
    ]
  },
  {
    "id": "single", "name": "One Contact GmbH", "tier": "growth",
    "monthly_fee": "900.00", "currency": "EUR",
    "contacts": [
      { "name": "Eve Only", "email": "eve@one.example", "preferred_channel": "email",
        "time_zone": "Europe/Berlin" }
    ]
  }
]"#;

const RESOLVED_OUTAGE: &str = r#"
id = "INC-D"
title = "API unavailable"
type = "outage"
core_feature = true
workaround = false
started_at = "2024-10-15T10:00:00-04:00"
detected_at = "2024-10-15T10:00:00-04:00"
resolved_at = "2024-10-15T14:00:00-04:00"

[affected]
all = true
"#;

/// Channels per (step id, contact index) for one account.
fn channels(plan: &Plan<'_>, account: &Account) -> Vec<(String, usize, Channel)> {
    plan.deliveries(account)
        .map(|d| {
            (
                plan.step(&plan.messages[d.message]).id.to_string(),
                d.contact,
                d.channel,
            )
        })
        .collect()
}

#[test]
fn every_contact_gets_every_account_message_on_a_channel_it_can_receive() {
    let p = demo_playbook();
    let accounts = account::parse_json("accounts.json", CONTACTS_JSON, &p).expect("accounts");
    let i = incident(&p, &accounts, RESOLVED_OUTAGE);
    let plan = make(&p, &accounts, &i, et("2024-10-16T09:00:00"));
    assert_eq!(plan.severity().id.as_str(), "S1");
    let multi = &accounts[0];
    let got = channels(&plan, multi);
    let steps = ["ack_email", "update_email", "resolution_email", "rca_email"];
    // Email steps: by email where there is an address, else on the preferred channel.
    let per_contact = [Channel::Email, Channel::Sms, Channel::Chat, Channel::Email];
    let mut expected = Vec::new();
    for s in steps {
        for (c, ch) in per_contact.iter().enumerate() {
            expected.push((s.to_string(), c, *ch));
        }
    }
    assert_eq!(got, expected);
    // One contact, one delivery per message.
    let single = channels(&plan, &accounts[1]);
    assert_eq!(single.len(), 4);
    assert!(
        single
            .iter()
            .all(|(_, c, ch)| *c == 0 && *ch == Channel::Email)
    );
    // Status page posts are public: never a delivery.
    assert!(got.iter().all(|(s, ..)| !s.starts_with("status_")));
}

#[test]
fn preferred_and_sms_steps_follow_each_contacts_preference_and_address() {
    let src = DEMO.replacen(
        "id = \"ack_email\"\nat = \"detection + 30m\"\nchannel = \"email\"",
        "id = \"ack_email\"\nat = \"detection + 30m\"\nchannel = \"preferred\"",
        1,
    );
    let src = src.replacen(
        "id = \"update_email\"\nat = \"detection + 60m\"\nonly_if = \"unresolved\"\nchannel = \"email\"",
        "id = \"update_email\"\nat = \"detection + 60m\"\nonly_if = \"unresolved\"\nchannel = \"sms\"",
        1,
    );
    assert_ne!(src, DEMO);
    let p = Playbook::parse("p.toml", &src).unwrap_or_else(|e| panic!("{e}"));
    let accounts = account::parse_json("accounts.json", CONTACTS_JSON, &p).expect("accounts");
    let i = incident(&p, &accounts, RESOLVED_OUTAGE);
    let plan = make(&p, &accounts, &i, et("2024-10-16T09:00:00"));
    let got = channels(&plan, &accounts[0]);
    let of = |step: &str| -> Vec<Channel> {
        got.iter()
            .filter(|(s, ..)| s == step)
            .map(|(_, _, ch)| *ch)
            .collect()
    };
    assert_eq!(
        of("ack_email"),
        [Channel::Email, Channel::Sms, Channel::Chat, Channel::Phone],
        "each contact's own preference"
    );
    assert_eq!(
        of("update_email"),
        [Channel::Email, Channel::Sms, Channel::Chat, Channel::Sms],
        "by SMS where there is a phone number, else the preferred channel"
    );
    assert_eq!(
        of("resolution_email"),
        [Channel::Email, Channel::Sms, Channel::Chat, Channel::Email]
    );
}

#[test]
fn a_csv_contact_preferring_sms_without_email_gets_email_steps_by_sms() {
    let p = demo_playbook();
    let csv = "\
id,name,tier,segment,monthly_fee,currency,sla,owner,contact_name,contact_email,contact_phone,preferred_channel,time_zone
t-1,Text Only Co,growth,na-east,900.00,USD,,,Tex Tor,,+15550001111,sms,America/New_York
t-2,Mail Co,growth,na-east,900.00,USD,,,Mae Lee,mae@mail.example,+15550002222,sms,America/New_York
";
    let accounts = account::parse_csv("a.csv", csv, &p).expect("accounts");
    assert_eq!(accounts[0].contacts[0].email, None);
    let i = incident(&p, &accounts, RESOLVED_OUTAGE);
    let plan = make(&p, &accounts, &i, et("2024-10-16T09:00:00"));
    let sms = channels(&plan, &accounts[0]);
    assert_eq!(sms.len(), 4);
    assert!(sms.iter().all(|(_, _, ch)| *ch == Channel::Sms), "{sms:?}");
    // With an email address, an email step is an email, whatever the preference.
    let mail = channels(&plan, &accounts[1]);
    assert!(
        mail.iter().all(|(_, _, ch)| *ch == Channel::Email),
        "{mail:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Scope

struct Row {
    id: String,
    tier: String,
    segment: String,
}

fn rows() -> Vec<Row> {
    DEMO_ACCOUNTS
        .lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            Row {
                id: f[0].into(),
                tier: f[2].into(),
                segment: f[3].into(),
            }
        })
        .collect()
}

fn affected_ids(plan: &Plan<'_>) -> BTreeSet<String> {
    plan.accounts
        .iter()
        .map(|a| a.account.id.to_string())
        .collect()
}

fn scoped(scope: &str) -> String {
    format!(
        r#"
id = "INC-S"
title = "Regional degradation"
type = "degradation"
core_feature = true
workaround = false
started_at = "2024-10-15T10:00:00-04:00"
detected_at = "2024-10-15T10:00:00-04:00"
resolved_at = "2024-10-15T10:40:00-04:00"

[affected]
{scope}
"#
    )
}

#[test]
fn explicit_accounts_are_exactly_the_affected_ones_highest_tier_first() {
    let p = demo_playbook();
    let accounts = demo_accounts(&p);
    let i = incident(
        &p,
        &accounts,
        &scoped("accounts = [\"acct-0100\", \"acct-0003\", \"acct-0150\"]"),
    );
    let plan = make(&p, &accounts, &i, et("2024-10-16T09:00:00"));
    assert_eq!(
        affected_ids(&plan),
        BTreeSet::from(["acct-0003".into(), "acct-0100".into(), "acct-0150".into()])
    );
    assert_eq!(plan.accounts[0].account.id.as_str(), "acct-0003");
    assert_eq!(plan.facts.accounts_affected, 3);
    assert_eq!(plan.facts.affected_by_tier, [1, 2, 0]);
}

#[test]
fn tier_and_segment_filters_must_both_hold() {
    let p = demo_playbook();
    let accounts = demo_accounts(&p);
    let i = incident(
        &p,
        &accounts,
        &scoped("tiers = [\"growth\"]\nsegments = [\"EMEA\"]"),
    );
    let plan = make(&p, &accounts, &i, et("2024-10-16T09:00:00"));
    let expected: BTreeSet<String> = rows()
        .into_iter()
        .filter(|r| r.tier == "growth" && r.segment == "emea")
        .map(|r| r.id)
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(affected_ids(&plan), expected);

    // A segment alone takes every tier in it.
    let i = incident(&p, &accounts, &scoped("segments = [\"apac\"]"));
    let plan = make(&p, &accounts, &i, et("2024-10-16T09:00:00"));
    let expected: BTreeSet<String> = rows()
        .into_iter()
        .filter(|r| r.segment == "apac")
        .map(|r| r.id)
        .collect();
    assert_eq!(affected_ids(&plan), expected);
    assert!(plan.facts.affected_by_tier[0] > 0 && plan.facts.affected_by_tier[1] > 0);

    // Explicit accounts are added to the filter's.
    let i = incident(
        &p,
        &accounts,
        &scoped("tiers = [\"growth\"]\nsegments = [\"emea\"]\naccounts = [\"acct-0001\"]"),
    );
    let plan = make(&p, &accounts, &i, et("2024-10-16T09:00:00"));
    let mut expected: BTreeSet<String> = rows()
        .into_iter()
        .filter(|r| r.tier == "growth" && r.segment == "emea")
        .map(|r| r.id)
        .collect();
    expected.insert("acct-0001".into());
    assert_eq!(affected_ids(&plan), expected);
}

#[test]
fn unknown_accounts_and_tiers_in_a_scope_are_refused() {
    let p = demo_playbook();
    let accounts = demo_accounts(&p);
    let err = Incident::parse_toml(
        "i.toml",
        &scoped("accounts = [\"acct-9999\"]"),
        &p,
        &accounts,
    )
    .expect_err("unknown account");
    assert!(err.to_string().contains("acct-9999"), "{err}");
    let err = Incident::parse_toml("i.toml", &scoped("tiers = [\"gold\"]"), &p, &accounts)
        .expect_err("unknown tier");
    assert!(err.to_string().contains("gold"), "{err}");
    let err = Incident::parse_toml("i.toml", &scoped("all = false"), &p, &accounts)
        .expect_err("nobody affected");
    assert!(err.to_string().contains("say who is affected"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// Escalation

fn short_s1(accounts: &[&str]) -> String {
    let list = accounts
        .iter()
        .map(|a| format!("\"{a}\""))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        r#"
id = "INC-E"
title = "Login failures"
type = "outage"
core_feature = true
workaround = false
started_at = "2024-10-15T10:00:00-04:00"
detected_at = "2024-10-15T10:00:00-04:00"
resolved_at = "2024-10-15T10:30:00-04:00"

[affected]
accounts = [{list}]

[severity_override]
severity = "S1"
reason = "Login is down for our largest customers"
"#
    )
}

#[test]
fn the_ceo_is_not_called_for_a_30_minute_s1_touching_5_enterprise_accounts() {
    let p = demo_playbook();
    let accounts = demo_accounts(&p);
    let ids = [
        "acct-0001",
        "acct-0002",
        "acct-0003",
        "acct-0004",
        "acct-0005",
    ];
    let i = incident(&p, &accounts, &short_s1(&ids));
    let plan = make(&p, &accounts, &i, et("2024-10-16T09:00:00"));
    assert_eq!(plan.severity().id.as_str(), "S1");
    let level = plan.severity();
    for e in &plan.escalation {
        let step = &level.escalation[e.step];
        if step.notify.contains(&key("ceo")) {
            assert!(!e.fires, "{e:?}");
            assert_eq!(
                e.conditions,
                [
                    (
                        false,
                        "5 enterprise accounts affected, not more than 10".to_string()
                    ),
                    (false, "lasted 30m, not more than 1h".to_string()),
                ]
            );
        } else {
            assert!(e.fires, "unconditional steps always fire: {e:?}");
        }
    }
    assert_eq!(plan.escalation.iter().filter(|e| !e.fires).count(), 1);
}

#[test]
fn the_ceo_is_called_for_a_short_s1_touching_11_enterprise_accounts() {
    let p = demo_playbook();
    let accounts = demo_accounts(&p);
    let ids: Vec<String> = (1..=11).map(|n| format!("acct-{n:04}")).collect();
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let i = incident(&p, &accounts, &short_s1(&refs));
    let plan = make(&p, &accounts, &i, et("2024-10-16T09:00:00"));
    let ceo = plan
        .escalation
        .iter()
        .find(|e| {
            plan.severity().escalation[e.step]
                .notify
                .contains(&key("ceo"))
        })
        .expect("ceo step");
    assert!(ceo.fires);
    assert!(ceo.conditions[0].0);
    assert!(!ceo.conditions[1].0);
    // Growth accounts do not count towards the Enterprise threshold.
    let mut mixed: Vec<String> = (1..=10).map(|n| format!("acct-{n:04}")).collect();
    mixed.extend((31..=40).map(|n| format!("acct-{n:04}")));
    let refs: Vec<&str> = mixed.iter().map(String::as_str).collect();
    let i = incident(&p, &accounts, &short_s1(&refs));
    let plan = make(&p, &accounts, &i, et("2024-10-16T09:00:00"));
    let ceo = plan
        .escalation
        .iter()
        .find(|e| {
            plan.severity().escalation[e.step]
                .notify
                .contains(&key("ceo"))
        })
        .expect("ceo step");
    assert!(!ceo.fires, "{ceo:?}");
}

#[test]
fn escalation_durations_are_strict_too() {
    let p = demo_playbook();
    let accounts = demo_accounts(&p);
    // Exactly one hour, three Enterprise accounts: "more than 1h" does not hold.
    let toml = short_s1(&["acct-0001", "acct-0002", "acct-0003"]).replace(
        "resolved_at = \"2024-10-15T10:30:00-04:00\"",
        "resolved_at = \"2024-10-15T11:00:00-04:00\"",
    );
    let i = incident(&p, &accounts, &toml);
    let plan = make(&p, &accounts, &i, et("2024-10-16T09:00:00"));
    let ceo = plan
        .escalation
        .iter()
        .find(|e| {
            plan.severity().escalation[e.step]
                .notify
                .contains(&key("ceo"))
        })
        .expect("ceo step");
    assert!(!ceo.fires, "{ceo:?}");
    assert_eq!(ceo.conditions[1].1, "lasted 1h, not more than 1h");
}

#[test]
fn an_update_due_at_the_moment_of_resolution_is_skipped() {
    let p = demo_playbook();
    let accounts = demo_accounts(&p);
    // Resolved at 11:00 exactly, when the T+60 "if unresolved" email is due.
    let toml = OPEN_OUTAGE.replace(
        "[affected]",
        "resolved_at = \"2024-10-15T11:00:00-04:00\"\nseverity_override = { severity = \"S1\", reason = \"Full outage\" }\n\n[affected]",
    );
    let i = incident(&p, &accounts, &toml);
    let plan = make(&p, &accounts, &i, et("2024-10-16T09:00:00"));
    let update = step_messages(&plan, "update_email");
    assert!(
        matches!(&update[..], [(1, Due::Skipped(t, _))] if *t == et("2024-10-15T11:00:00")),
        "{update:?}"
    );
    // The last status update is the one before resolution, not at it.
    assert_eq!(
        times(&step_messages(&plan, "status_update")).last(),
        Some(&et("2024-10-15T10:45:00"))
    );
}

#[test]
fn business_day_deadlines_skip_the_calendars_holidays() {
    let p = demo_playbook();
    let accounts = demo_accounts(&p);
    // Resolved on Wednesday 27 November 2024; Thursday 28 is Thanksgiving in the demo
    // calendar: Fri 29, Mon 2, Tue 3, Wed 4, Thu 5 December.
    let toml = RESOLVED_OUTAGE
        .replace("2024-10-15T10:00:00-04:00", "2024-11-27T10:00:00-05:00")
        .replace("2024-10-15T14:00:00-04:00", "2024-11-27T14:00:00-05:00");
    let i = incident(&p, &accounts, &toml);
    let plan = make(&p, &accounts, &i, et("2024-11-28T09:00:00"));
    assert_eq!(
        times(&step_messages(&plan, "rca_email")),
        [et("2024-12-05T14:00:00")]
    );
    let rca_review = plan
        .reviews
        .iter()
        .find(|r| p.reviews[r.task].id.as_str() == "customer_rca")
        .expect("customer RCA task");
    assert_eq!(rca_review.due, Some(et("2024-12-05T14:00:00")));
}
