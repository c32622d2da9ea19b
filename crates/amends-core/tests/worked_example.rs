//! The seed's worked example (a 4-hour outage of all 180 Enterprise and Growth companies on
//! Tuesday 15 October 2024, 10:00-14:00 US Eastern) planned from the demo files, checked
//! against the numbers the seed states and against credits computed here from the CSV fees.

use std::collections::BTreeMap;

use amends_core::account::{self, Account};
use amends_core::classify::Basis;
use amends_core::domain::Key;
use amends_core::incident::Incident;
use amends_core::plan::{self, Due, Plan};
use amends_core::playbook::{Playbook, Remedy};
use amends_core::remediation::Status;
use jiff::{Timestamp, Zoned};
use rust_decimal::{Decimal, RoundingStrategy};

const PLAYBOOK: &str = include_str!("../../../demo/playbook.toml");
const ACCOUNTS: &str = include_str!("../../../demo/accounts.csv");
const INCIDENT: &str = include_str!("../../../demo/incident.toml");

/// An instant written with its zone (`2024-10-15T10:20:00[America/New_York]`) or its offset
/// (`2024-11-14T14:00:00-05:00`).
fn at(s: &str) -> Timestamp {
    match s.parse::<Zoned>() {
        Ok(z) => z.timestamp(),
        Err(_) => s.parse().unwrap_or_else(|e| panic!("{s}: {e}")),
    }
}

fn et(local: &str) -> Timestamp {
    at(&format!("{local}[America/New_York]"))
}

struct Demo {
    playbook: Playbook,
    accounts: Vec<Account>,
    incident: Incident,
}

fn demo() -> Demo {
    let playbook = Playbook::parse("demo/playbook.toml", PLAYBOOK).expect("demo playbook");
    let accounts =
        account::parse_csv("demo/accounts.csv", ACCOUNTS, &playbook).expect("demo accounts");
    let incident = Incident::parse_toml("demo/incident.toml", INCIDENT, &playbook, &accounts)
        .expect("demo incident");
    Demo {
        playbook,
        accounts,
        incident,
    }
}

/// A week after the outage: everything about it is known.
fn as_of() -> Timestamp {
    et("2024-10-21T09:00:00")
}

fn make_plan(d: &Demo) -> Plan<'_> {
    plan::plan(&d.playbook, &d.accounts, &d.incident, as_of()).expect("plan")
}

/// One CSV row as the test reads it, independently of the crate's parser.
struct Row {
    tier: String,
    fee: Decimal,
    currency: String,
    sla: String,
}

fn rows() -> BTreeMap<String, Row> {
    let mut out = BTreeMap::new();
    for line in ACCOUNTS.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!(f.len(), 14, "unexpected CSV row {line}");
        out.insert(
            f[0].to_string(),
            Row {
                tier: f[2].to_string(),
                fee: Decimal::from_str_exact(f[4]).expect("fee"),
                currency: f[5].to_string(),
                sla: f[6].to_string(),
            },
        );
    }
    out
}

/// `fee × days / 31` (October 2024 has 31 days), rounded half away from zero to cents.
fn day_credit(fee: Decimal, days: u32) -> Decimal {
    (fee * Decimal::from(days) / Decimal::from(31))
        .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

fn key(s: &str) -> Key {
    Key::parse("test", s).expect("key")
}

#[test]
fn the_demo_is_the_seeds_180_companies_and_its_incident() {
    let d = demo();
    assert_eq!(d.accounts.len(), 180);
    let enterprise = d
        .accounts
        .iter()
        .filter(|a| a.tier.as_str() == "enterprise")
        .count();
    assert_eq!(enterprise, 30);
    assert_eq!(
        d.incident.duration(as_of()).get(),
        240,
        "10:00 to 14:00 is four hours"
    );
}

#[test]
fn classified_s1_by_the_first_criterion_with_the_seeds_reasons() {
    let d = demo();
    let p = make_plan(&d);
    assert_eq!(p.severity().id.as_str(), "S1");
    assert_eq!(p.classification.severity, 0);
    assert_eq!(p.facts.accounts_affected, 180);
    assert_eq!(p.facts.accounts_total, 180);
    assert_eq!(p.facts.duration.get(), 240);
    assert!(p.facts.resolved);
    let Basis::Criterion {
        criterion, reasons, ..
    } = &p.classification.basis
    else {
        panic!(
            "expected a criterion basis, got {:?}",
            p.classification.basis
        );
    };
    assert_eq!(*criterion, 0);
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    assert!(
        reasons.iter().any(|r| r.contains("outage")),
        "no reason mentions the outage: {reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("180 of 180 accounts affected (100%)")),
        "{reasons:?}"
    );
    assert!(
        reasons.iter().any(|r| r.contains("lasted 4h")),
        "{reasons:?}"
    );
    // S1 is the most severe level: nothing above it failed to match.
    assert!(
        p.classification.not_matched.is_empty(),
        "{:?}",
        p.classification.not_matched
    );
}

#[test]
fn the_s1_communication_timeline_is_the_seeds() {
    let d = demo();
    let p = make_plan(&d);
    let mut expected: Vec<(&str, u32, Timestamp)> = vec![
        ("status_investigating", 1, et("2024-10-15T10:20:00")),
        ("ack_email", 1, et("2024-10-15T10:30:00")),
        ("update_email", 1, et("2024-10-15T11:00:00")),
        ("resolution_email", 1, et("2024-10-15T15:00:00")),
        // Tuesday + 5 business days = the next Tuesday, same wall-clock time.
        ("rca_email", 1, et("2024-10-22T14:00:00")),
    ];
    // Status updates every 15 minutes from 10:30 while the incident is open: the last one
    // before the 14:00 resolution is 13:45.
    let first = et("2024-10-15T10:30:00");
    for n in 0..14u32 {
        let t = first
            .checked_add(jiff::SignedDuration::from_mins(15 * i64::from(n)))
            .expect("time");
        expected.push(("status_update", n + 1, t));
    }
    assert_eq!(
        expected.last().map(|e| e.2),
        Some(et("2024-10-15T13:45:00"))
    );

    let mut got: Vec<(&str, u32, Timestamp)> = Vec::new();
    for m in &p.messages {
        let Due::At(t) = m.due else {
            panic!(
                "every S1 message of a resolved incident is due at a time: {} is {:?}",
                p.step(m).id,
                m.due
            );
        };
        got.push((p.step(m).id.as_str(), m.occurrence, t));
    }
    // The plan lists messages in time order.
    assert!(
        got.windows(2).all(|w| w[0].2 <= w[1].2),
        "messages out of time order: {got:?}"
    );
    let status_updates = got.iter().filter(|g| g.0 == "status_update").count();
    assert_eq!(status_updates, 14);
    got.sort();
    expected.sort();
    assert_eq!(got, expected);
}

#[test]
fn the_timeline_uses_the_seeds_channels_and_audiences() {
    let d = demo();
    let p = make_plan(&d);
    let account_steps: Vec<&str> = p
        .account_messages()
        .map(|(_, m)| p.step(m).id.as_str())
        .collect();
    assert_eq!(
        account_steps,
        ["ack_email", "update_email", "resolution_email", "rca_email"]
    );
    // Every affected account hears from us at those four moments, once per contact.
    for ap in &p.accounts {
        let n = p.deliveries(ap.account).count();
        assert_eq!(n, 4 * ap.account.contacts.len(), "{}", ap.account.id);
    }
}

#[test]
fn enterprise_accounts_get_a_seven_day_credit_and_a_named_apology_automatically() {
    let d = demo();
    let p = make_plan(&d);
    let rows = rows();
    assert_eq!(p.accounts.len(), 180);
    let enterprise: Vec<_> = p
        .accounts
        .iter()
        .filter(|a| a.account.tier.as_str() == "enterprise")
        .collect();
    assert_eq!(enterprise.len(), 30);
    // Highest tier first.
    assert!(
        p.accounts[..30]
            .iter()
            .all(|a| a.account.tier.as_str() == "enterprise")
    );
    for ap in enterprise {
        let id = ap.account.id.as_str();
        let row = &rows[id];
        assert_eq!(row.tier, "enterprise");
        let dec = &ap.decision;
        assert_eq!(dec.rule.number, 1, "{id}");
        assert_eq!(dec.status, Status::Automatic, "{id}");
        assert_eq!(dec.approver().as_str(), "vp_support", "{id}");
        assert_eq!(p.person_name(dec.approver()), "Dana Whitfield");
        assert_eq!(dec.granted.len(), 2, "{id}");

        let expected = day_credit(row.fee, 7);
        let credit = &dec.granted[0];
        assert_eq!(
            credit.remedy,
            &Remedy::ServiceCreditDays(Decimal::from(7)),
            "{id}"
        );
        assert_eq!(credit.credit.map(|m| m.amount()), Some(expected), "{id}");
        assert_eq!(dec.credit.amount(), expected, "{id}");
        assert_eq!(dec.credit.currency().code(), row.currency, "{id}");
        assert_eq!(dec.credit.amount().scale(), 2, "{id}");

        let Remedy::Apology(from) = dec.granted[1].remedy else {
            panic!("{id}: second remedy is {:?}", dec.granted[1].remedy);
        };
        assert_eq!(dec.granted[1].credit, None);
        let person = d
            .playbook
            .person(from)
            .expect("apology from a named person");
        assert_eq!(person.name, "Dana Whitfield");
        assert_eq!(person.role, "VP Support");
    }
}

#[test]
fn northwind_gets_the_seed_sized_credit() {
    // A hand-checked anchor for the formula: 7 × 8000.00 / 31 = 1806.4516… → 1806.45.
    let d = demo();
    let p = make_plan(&d);
    let northwind = p
        .accounts
        .iter()
        .find(|a| a.account.id.as_str() == "acct-0001")
        .expect("acct-0001");
    assert_eq!(
        northwind.decision.credit.amount(),
        Decimal::from_str_exact("1806.45").expect("decimal")
    );
    assert_eq!(northwind.decision.credit.to_string(), "1806.45 USD");
    assert_eq!(p.basis_days(), 31, "October has 31 days");
    assert_eq!(
        northwind.decision.granted[0].working(northwind.account.monthly_fee, p.basis_days()),
        "7 days × 8000.00 USD / 31 days"
    );
}

#[test]
fn growth_accounts_get_a_three_day_credit_approved_by_the_support_director() {
    let d = demo();
    let p = make_plan(&d);
    let rows = rows();
    let growth: Vec<_> = p
        .accounts
        .iter()
        .filter(|a| a.account.tier.as_str() == "growth")
        .collect();
    assert_eq!(growth.len(), 150);
    for ap in growth {
        let id = ap.account.id.as_str();
        let row = &rows[id];
        let dec = &ap.decision;
        assert_eq!(dec.rule.number, 5, "{id}");
        assert_eq!(dec.status, Status::Automatic, "{id}");
        assert_eq!(dec.approver(), &key("support_director"), "{id}");
        assert_eq!(p.person_name(dec.approver()), "Marcus Lee");
        assert_eq!(dec.granted.len(), 1, "{id}");
        assert_eq!(
            dec.granted[0].remedy,
            &Remedy::ServiceCreditDays(Decimal::from(3))
        );
        let expected = day_credit(row.fee, 3);
        assert_eq!(dec.credit.amount(), expected, "{id}");
        assert_eq!(dec.credit.currency().code(), row.currency, "{id}");
        assert!(dec.contract.is_none(), "{id} has no contract SLA");
    }
}

#[test]
fn contract_sla_credits_are_computed_but_the_greater_matrix_credit_applies() {
    let d = demo();
    let p = make_plan(&d);
    let rows = rows();
    // October 2024: 31 × 1440 = 44640 minutes; 240 minutes down.
    let uptime = Decimal::from(44640 - 240) / Decimal::from(44640) * Decimal::ONE_HUNDRED;
    let ten = Decimal::from(10);
    let mut seen = 0;
    for ap in &p.accounts {
        let id = ap.account.id.as_str();
        let row = &rows[id];
        match &ap.decision.contract {
            None => assert!(
                row.sla.is_empty(),
                "{id} has SLA {} but no contract",
                row.sla
            ),
            Some(c) => {
                seen += 1;
                assert_eq!(c.schedule.name.as_str(), row.sla, "{id}");
                // 99.46% is below both 99.99% and 99.9%, not below 99.0%: the 10% tier.
                assert_eq!(c.sla.uptime_percent, uptime, "{id}");
                assert_eq!(c.sla.credit_percent, ten, "{id}");
                let contract = (row.fee * ten / Decimal::ONE_HUNDRED)
                    .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
                assert_eq!(c.sla.credit.amount(), contract, "{id}");
                let matrix = day_credit(row.fee, 7);
                assert!(matrix > contract, "{id}: the seed's case");
                assert!(!c.applied, "{id}: contract credit must not be applied");
                assert_eq!(ap.decision.credit.amount(), matrix, "{id}");
            }
        }
    }
    assert_eq!(seen, 2);
    let by_id = |id: &str| {
        p.accounts
            .iter()
            .find(|a| a.account.id.as_str() == id)
            .and_then(|a| a.decision.contract.as_ref())
            .map(|c| c.schedule.name.as_str().to_string())
    };
    assert_eq!(by_id("acct-0001").as_deref(), Some("enterprise_9999"));
    assert_eq!(by_id("acct-0002").as_deref(), Some("enterprise_999"));
}

#[test]
fn credit_totals_per_tier_and_currency_add_up() {
    let d = demo();
    let p = make_plan(&d);
    let rows = rows();
    let mut expected: BTreeMap<(usize, String), (usize, Decimal)> = BTreeMap::new();
    for row in rows.values() {
        let (tier, days) = if row.tier == "enterprise" {
            (0, 7)
        } else {
            (1, 3)
        };
        let e = expected
            .entry((tier, row.currency.clone()))
            .or_insert((0, Decimal::ZERO));
        e.0 += 1;
        e.1 += day_credit(row.fee, days);
    }
    let totals = p.totals();
    assert_eq!(totals.len(), expected.len());
    for t in totals {
        let k = (t.tier, t.automatic.currency().code().to_string());
        let (n, sum) = expected[&k];
        assert_eq!(t.accounts, n, "{k:?}");
        assert_eq!(t.automatic.amount(), sum, "{k:?}");
        assert!(t.pending.is_zero(), "{k:?}: S1 credits are automatic");
    }
}

#[test]
fn the_ceo_is_called_at_t_plus_60_because_both_conditions_held() {
    let d = demo();
    let p = make_plan(&d);
    let level = p.severity();
    assert_eq!(p.escalation.len(), level.escalation.len());
    let ceo: Vec<_> = p
        .escalation
        .iter()
        .filter(|e| level.escalation[e.step].notify.contains(&key("ceo")))
        .collect();
    assert_eq!(ceo.len(), 1);
    let ceo = ceo[0];
    assert_eq!(ceo.at, Some(et("2024-10-15T11:00:00")));
    assert!(ceo.fires);
    assert_eq!(ceo.conditions.len(), 2);
    assert!(ceo.conditions.iter().all(|(held, _)| *held), "{ceo:?}");
    assert!(
        ceo.conditions[0].1.contains("30 enterprise accounts"),
        "{:?}",
        ceo.conditions
    );
    assert!(ceo.conditions[1].1.contains("4h"), "{:?}", ceo.conditions);
    // Steps without conditions always fire, at their own times.
    let times: Vec<Option<Timestamp>> = p.escalation.iter().map(|e| e.at).collect();
    assert_eq!(
        times,
        [
            Some(et("2024-10-15T10:00:00")),
            Some(et("2024-10-15T10:05:00")),
            Some(et("2024-10-15T10:10:00")),
            Some(et("2024-10-15T10:20:00")),
            Some(et("2024-10-15T10:30:00")),
            Some(et("2024-10-15T11:00:00")),
            Some(et("2024-10-15T14:00:00")),
        ]
    );
    assert!(p.escalation.iter().all(|e| e.fires));
}

#[test]
fn review_tasks_are_due_on_the_seeds_deadlines() {
    let d = demo();
    let p = make_plan(&d);
    let got: Vec<(&str, Option<Timestamp>, bool)> = p
        .reviews
        .iter()
        .map(|r| {
            let task = &d.playbook.reviews[r.task];
            (task.id.as_str(), r.due, task.customer_facing)
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "internal_postmortem",
                Some(et("2024-10-16T14:00:00")),
                false
            ),
            ("customer_rca", Some(et("2024-10-22T14:00:00")), true),
            // 30 calendar days, across the 3 November DST change: still 14:00 local.
            (
                "prevention_verified",
                Some(at("2024-11-14T14:00:00-05:00")),
                false
            ),
            (
                "remediation_outcome",
                Some(at("2025-01-13T14:00:00-05:00")),
                false
            ),
        ]
    );
    // The customer RCA review and the RCA email land on the same moment.
    let rca_email = p
        .messages
        .iter()
        .find(|m| p.step(m).id.as_str() == "rca_email")
        .map(|m| m.due.clone());
    assert_eq!(rca_email, Some(Due::At(et("2024-10-22T14:00:00"))));
}

/// Regression (review of #2): with Starter customers in the registry who were not hit, the
/// worked example must still be S1 — "all customers affected" means everyone using the service.
#[test]
fn starter_customers_who_were_not_hit_do_not_downgrade_the_outage() {
    let pb = Playbook::parse("p", PLAYBOOK).unwrap();
    let mut csv = ACCOUNTS.to_string();
    for i in 0..20 {
        csv.push_str(&format!(
            "st-{i:02},Starter Co {i},starter,na-east,49.00,USD,,,Pat Lee,pat{i}@example.com,,email,America/New_York,en-US\n"
        ));
    }
    let accounts = account::parse_csv("a", &csv, &pb).unwrap();
    let incident = Incident::parse_toml("i", INCIDENT, &pb, &accounts).unwrap();
    let p = plan::plan(
        &pb,
        &accounts,
        &incident,
        incident.anchors.resolution.unwrap(),
    )
    .unwrap();
    assert_eq!(p.facts.accounts_affected, 180);
    assert_eq!(p.facts.accounts_total, 200);
    assert_eq!(p.severity().id.as_str(), "S1");
    let Basis::Criterion { criterion, .. } = &p.classification.basis else {
        panic!("{:?}", p.classification.basis);
    };
    assert_eq!(
        *criterion, 1,
        "the whole-service criterion, not the 100% one"
    );
    let northwind = p
        .accounts
        .iter()
        .find(|a| a.account.id.as_str() == "acct-0001")
        .unwrap();
    assert_eq!(
        northwind.decision.credit.amount(),
        day_credit(Decimal::from(8000), 7)
    );
    assert!(
        p.accounts
            .iter()
            .all(|a| a.account.tier.as_str() != "starter")
    );
}

/// Regression (review of #2): an outage across a month boundary is judged month by month, as
/// the published SLAs define uptime per calendar month. 30 Sep 20:00 – 1 Oct 20:00 ET:
/// September has 4h down of 43,200 minutes (99.44%, 10%), October 20h of 44,640 (97.31%,
/// 30%); Northwind's enterprise_9999 contract gives 40% of 8000.00 = 3200.00, more than the
/// 7-day credit (8000 × 7 / 30 = 1866.67), so the contract applies.
#[test]
fn an_outage_across_a_month_boundary_is_credited_month_by_month() {
    let pb = Playbook::parse("p", PLAYBOOK).unwrap();
    let accounts = account::parse_csv("a", ACCOUNTS, &pb).unwrap();
    let text = INCIDENT
        .replace("2024-10-15T10:00:00", "2024-09-30T20:00:00")
        .replace("2024-10-15T14:00:00", "2024-10-01T20:00:00");
    let incident = Incident::parse_toml("i", &text, &pb, &accounts).unwrap();
    let p = plan::plan(
        &pb,
        &accounts,
        &incident,
        incident.anchors.resolution.unwrap(),
    )
    .unwrap();
    let northwind = p
        .accounts
        .iter()
        .find(|a| a.account.id.as_str() == "acct-0001")
        .unwrap();
    let contract = northwind.decision.contract.as_ref().unwrap();
    assert_eq!(contract.sla.months, 2);
    assert_eq!(contract.sla.credit_percent, Decimal::from(40));
    assert_eq!(contract.sla.credit.amount(), Decimal::new(320000, 2));
    assert!(contract.applied);
    assert_eq!(northwind.decision.credit.amount(), Decimal::new(320000, 2));
    let worst = Decimal::from(44640 - 1200) / Decimal::from(44640) * Decimal::ONE_HUNDRED;
    assert_eq!(contract.sla.uptime_percent, worst);
    // The 7-day matrix credit still divides by the days of the month the outage began in.
    assert_eq!(
        northwind.decision.granted[0].credit.unwrap().amount(),
        day_credit_over(Decimal::from(8000), 7, 30)
    );
}

fn day_credit_over(fee: Decimal, days: u32, basis: u32) -> Decimal {
    (fee * Decimal::from(days) / Decimal::from(basis))
        .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}
