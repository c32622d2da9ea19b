//! Remediation decisions: every remedy kind, the credit-day basis, contract SLA policies,
//! currency rounding, duration bands and approval status, on playbooks derived from the demo
//! by replacing a line or two. Expected amounts are computed here from the fees, exactly.

use amends_core::account::{self, Account};
use amends_core::domain::Key;
use amends_core::incident::Incident;
use amends_core::money::Currency;
use amends_core::plan::{self, PlanError};
use amends_core::playbook::{Playbook, Remedy};
use amends_core::remediation::{self, BillingMonth, Context, Decision, RemediationError, Status};
use amends_core::time::Minutes;
use jiff::{Timestamp, Zoned};
use rust_decimal::{Decimal, RoundingStrategy};

const DEMO: &str = include_str!("../../../demo/playbook.toml");

const ACCOUNTS: &str = "\
id,name,tier,segment,monthly_fee,currency,sla,owner,contact_name,contact_email,contact_phone,preferred_channel,time_zone
ent-usd,Acme Corp,enterprise,na-east,10000.00,USD,,Riley Chen,Ann Lee,ann@acme.example,,email,America/New_York
ent-gbp,Brit Ltd,enterprise,emea,7777.77,GBP,,Riley Chen,Bob Ray,bob@brit.example,,email,Europe/London
ent-jpy,Nippon KK,enterprise,apac,100000,JPY,,Riley Chen,Yuki Sato,yuki@nippon.example,,email,Asia/Tokyo
ent-jpy-half,Osaka KK,enterprise,apac,1005,JPY,,Riley Chen,Ken Abe,ken@osaka.example,,email,Asia/Tokyo
ent-999,Contract Co,enterprise,na-east,10000.00,USD,enterprise_999,Riley Chen,Cy Dee,cy@contract.example,,email,America/New_York
ent-9999,Strict Co,enterprise,na-west,12345.67,USD,enterprise_9999,Riley Chen,Di Eve,di@strict.example,,email,America/Los_Angeles
gro-usd,Growing Inc,growth,na-central,1234.56,USD,,Jamie Alvarez,Ed Fox,ed@growing.example,,email,America/Chicago
sta-usd,Tiny LLC,starter,na-east,49.00,USD,,,Flo Gee,flo@tiny.example,,email,America/New_York
";

/// The demo's enterprise × S2 cell, which the remedy tests replace.
const ENT_S2: &str = "tier = \"enterprise\"\nseverity = \"S2\"\nremedies = [{ kind = \"service_credit\", days = 1 }]";

fn replace_once(src: &str, from: &str, to: &str) -> String {
    assert_eq!(
        src.matches(from).count(),
        1,
        "expected exactly one {from:?} in the demo playbook"
    );
    src.replacen(from, to, 1)
}

fn parse(src: &str) -> Playbook {
    Playbook::parse("playbook.toml", src).unwrap_or_else(|e| panic!("playbook:\n{e}"))
}

fn demo() -> Playbook {
    parse(DEMO)
}

/// The demo with the enterprise × S2 cell giving `remedies` (a TOML array).
fn ent_s2(remedies: &str) -> Playbook {
    parse(&replace_once(
        DEMO,
        ENT_S2,
        &format!("tier = \"enterprise\"\nseverity = \"S2\"\nremedies = {remedies}"),
    ))
}

fn accounts(p: &Playbook) -> Vec<Account> {
    account::parse_csv("accounts.csv", ACCOUNTS, p).unwrap_or_else(|e| panic!("accounts:\n{e}"))
}

fn acct<'a>(list: &'a [Account], id: &str) -> &'a Account {
    list.iter()
        .find(|a| a.id.as_str() == id)
        .unwrap_or_else(|| panic!("no account {id}"))
}

fn ctx(p: &Playbook, severity: &str, minutes: i64, month_days: u32) -> Context {
    Context {
        severity: p.severity(severity).expect("severity").0,
        duration: Minutes::new(minutes),
        month: BillingMonth { days: month_days },
        downtime_by_month: Vec::new(),
    }
}

fn decide<'p>(p: &'p Playbook, id: &str, c: &Context) -> Decision<'p> {
    let list = accounts(p);
    remediation::decide(p, acct(&list, id), c).unwrap_or_else(|e| panic!("{id}: {e}"))
}

/// The working of the first remedy, as a report shows it.
fn working(p: &Playbook, id: &str, d: &Decision<'_>, c: &Context) -> String {
    let fee = acct(&accounts(p), id).monthly_fee;
    d.granted[0].working(fee, c.basis_days(p))
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str_exact(s).expect("decimal")
}

fn round(x: Decimal, dp: u32) -> Decimal {
    x.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero)
}

fn key(s: &str) -> Key {
    Key::parse("test", s).expect("key")
}

fn et(local: &str) -> Timestamp {
    format!("{local}[America/New_York]")
        .parse::<Zoned>()
        .expect("instant")
        .timestamp()
}

// ---------------------------------------------------------------------------------------------
// Remedy kinds

#[test]
fn service_credit_is_days_of_the_monthly_fee_over_the_days_in_the_month() {
    let p = ent_s2("[{ kind = \"service_credit\", days = 2 }]");
    let c = ctx(&p, "S2", 60, 31);
    let d = decide(&p, "ent-usd", &c);
    let expected = round(dec("10000.00") * Decimal::from(2) / Decimal::from(31), 2);
    assert_eq!(expected, dec("645.16"));
    assert_eq!(d.credit.amount(), expected);
    assert_eq!(d.granted.len(), 1);
    assert_eq!(
        d.granted[0].remedy,
        &Remedy::ServiceCreditDays(Decimal::from(2))
    );
    assert_eq!(d.granted[0].credit.map(|m| m.amount()), Some(expected));
    assert_eq!(
        working(&p, "ent-usd", &d, &c),
        "2 days × 10000.00 USD / 31 days"
    );

    // Fractional days are exact decimals.
    let p = ent_s2("[{ kind = \"service_credit\", days = \"1.5\" }]");
    let d = decide(&p, "ent-usd", &ctx(&p, "S2", 60, 30));
    assert_eq!(d.credit.amount(), dec("500.00"));
}

#[test]
fn percent_of_fee_is_exact_then_rounded_once() {
    let p = ent_s2("[{ kind = \"percent_of_fee\", percent = \"12.5\" }]");
    let d = decide(&p, "ent-gbp", &ctx(&p, "S2", 60, 31));
    // 7777.77 × 12.5% = 972.22125 GBP.
    assert_eq!(d.credit.amount(), dec("972.22"));
    assert_eq!(d.credit.currency().code(), "GBP");
    assert_eq!(
        d.granted[0].remedy,
        &Remedy::PercentOfMonthlyFee(dec("12.5"))
    );
}

#[test]
fn fixed_credit_is_paid_in_the_accounts_currency_or_refused() {
    let p = ent_s2("[{ kind = \"fixed_credit\", amounts = { USD = \"50.00\", JPY = \"5000\" } }]");
    let d = decide(&p, "ent-usd", &ctx(&p, "S2", 60, 31));
    assert_eq!(d.credit.to_string(), "50.00 USD");
    let d = decide(&p, "ent-jpy", &ctx(&p, "S2", 60, 31));
    assert_eq!(d.credit.to_string(), "5000 JPY");

    let list = accounts(&p);
    let err = remediation::decide(&p, acct(&list, "ent-gbp"), &ctx(&p, "S2", 60, 31))
        .expect_err("no GBP amount");
    let gbp: Currency = "GBP".parse().expect("GBP");
    assert_eq!(
        err,
        RemediationError::FixedCreditCurrency {
            rule: 3,
            currency: gbp,
            account: "ent-gbp".to_string(),
        }
    );
    let msg = err.to_string();
    assert!(
        msg.contains("rule #3") && msg.contains("GBP") && msg.contains("ent-gbp"),
        "{msg}"
    );
}

#[test]
fn a_plan_with_an_uncreditable_account_fails_and_names_it() {
    let p = ent_s2("[{ kind = \"fixed_credit\", amounts = { USD = \"50.00\" } }]");
    let list = accounts(&p);
    let toml = r#"
id = "INC-F"
title = "Slow dashboards"
type = "degradation"
core_feature = true
workaround = false
started_at = "2024-10-15T10:00:00-04:00"
detected_at = "2024-10-15T10:00:00-04:00"
resolved_at = "2024-10-15T10:40:00-04:00"

[affected]
accounts = ["ent-usd", "ent-gbp", "ent-jpy"]
"#;
    let incident = Incident::parse_toml("i.toml", toml, &p, &list).expect("incident");
    let err = plan::plan(&p, &list, &incident, et("2024-10-16T00:00:00")).expect_err("GBP, JPY");
    let PlanError::Remediation(errors) = &err;
    let mut ids: Vec<String> = errors
        .iter()
        .map(|e| match e {
            RemediationError::FixedCreditCurrency { account, .. } => account.clone(),
            other => panic!("{other}"),
        })
        .collect();
    ids.sort();
    assert_eq!(ids, ["ent-gbp", "ent-jpy"]);
    assert_eq!(err.to_string().lines().count(), 2);
}

#[test]
fn a_named_sla_schedule_credits_by_monthly_uptime() {
    let p = ent_s2("[{ kind = \"sla_credit\", schedule = \"enterprise_999\" }]");
    // 240 minutes down in a 31-day month: 99.46% uptime, below 99.9%: 10%.
    let c = ctx(&p, "S2", 240, 31);
    let d = decide(&p, "ent-usd", &c);
    assert_eq!(d.credit.amount(), dec("1000.00"));
    assert_eq!(
        d.granted[0].remedy,
        &Remedy::SlaCredit(Some(key("enterprise_999")))
    );
    let (schedule, sla) = d.granted[0]
        .sla
        .as_ref()
        .expect("the schedule's computation");
    assert_eq!(schedule.name, key("enterprise_999"));
    assert_eq!(sla.credit_percent, Decimal::from(10));
    let w = working(&p, "ent-usd", &d, &c);
    assert!(w.contains("enterprise_999") && w.contains("10%"), "{w}");
    assert!(d.contract.is_none(), "ent-usd has no contract");
    // 600 minutes in a 30-day month: 98.61%, below 99.0%: 25%.
    let d = decide(&p, "ent-usd", &ctx(&p, "S2", 600, 30));
    assert_eq!(d.credit.amount(), dec("2500.00"));
    // 20 minutes: 99.955%, no credit.
    let d = decide(&p, "ent-usd", &ctx(&p, "S2", 20, 31));
    assert!(d.credit.is_zero());
}

#[test]
fn the_contract_sla_remedy_uses_each_accounts_own_schedule_once() {
    for policy in ["greater_of", "in_addition"] {
        let src = replace_once(
            DEMO,
            ENT_S2,
            "tier = \"enterprise\"\nseverity = \"S2\"\nremedies = [{ kind = \"sla_credit\", schedule = \"contract\" }]",
        );
        let src = replace_once(
            &src,
            "contract_sla = \"greater_of\"",
            &format!("contract_sla = \"{policy}\""),
        );
        let p = parse(&src);
        // ent-9999 at 99.46% (240 min in 31 days): below 99.99%, 10% of 12345.67 = 1234.567.
        let d = decide(&p, "ent-9999", &ctx(&p, "S2", 240, 31));
        assert_eq!(d.granted[0].remedy, &Remedy::SlaCredit(None));
        assert_eq!(
            d.credit.amount(),
            dec("1234.57"),
            "{policy}: the contract credit is counted once, not again on top"
        );
        assert!(d.contract.is_none(), "{policy}");
        // An account without a contract SLA gets nothing from this remedy, and says so.
        let c = ctx(&p, "S2", 240, 31);
        let d = decide(&p, "ent-usd", &c);
        assert!(d.credit.is_zero(), "{policy}");
        assert!(d.granted[0].sla.is_none(), "{policy}");
        assert_eq!(
            working(&p, "ent-usd", &d, &c),
            "the account has no contract SLA"
        );
    }
}

#[test]
fn non_monetary_remedies_grant_no_credit() {
    let cases = [
        ("[{ kind = \"acknowledgment\" }]", Remedy::Acknowledgment),
        (
            "[{ kind = \"apology\", from_role = \"support director\" }]",
            Remedy::Apology(key("support_director")),
        ),
        ("[{ kind = \"status_page_only\" }]", Remedy::StatusPageOnly),
        ("[{ kind = \"none\" }]", Remedy::Nothing),
    ];
    for (toml, remedy) in cases {
        let p = ent_s2(toml);
        for id in ["ent-usd", "ent-jpy"] {
            let d = decide(&p, id, &ctx(&p, "S2", 240, 31));
            assert_eq!(d.granted.len(), 1, "{toml}");
            assert_eq!(d.granted[0].remedy, &remedy, "{toml}");
            assert_eq!(d.granted[0].credit, None, "{toml}");
            assert!(d.credit.is_zero(), "{toml}: {}", d.credit);
            let fee_currency = acct(&accounts(&p), id).monthly_fee.currency();
            assert_eq!(d.credit.currency(), fee_currency);
        }
    }
}

#[test]
fn an_apology_needs_exactly_one_person_with_the_role() {
    let src = replace_once(
        DEMO,
        ENT_S2,
        "tier = \"enterprise\"\nseverity = \"S2\"\nremedies = [{ kind = \"apology\", from_role = \"Chief Apologist\" }]",
    );
    let err = Playbook::parse("p.toml", &src).expect_err("nobody holds the role");
    assert!(
        err.to_string().contains("nobody in [people] has the role"),
        "{err}"
    );
}

#[test]
fn remedies_in_one_rule_add_up() {
    let p = ent_s2(
        "[{ kind = \"service_credit\", days = 1 }, { kind = \"percent_of_fee\", percent = 5 }, { kind = \"fixed_credit\", amounts = { USD = \"10.00\" } }, { kind = \"acknowledgment\" }]",
    );
    let d = decide(&p, "ent-usd", &ctx(&p, "S2", 60, 31));
    let one_day = round(dec("10000.00") / Decimal::from(31), 2);
    assert_eq!(d.credit.amount(), one_day + dec("500.00") + dec("10.00"));
    assert_eq!(d.granted.len(), 4);
}

// ---------------------------------------------------------------------------------------------
// Credit-day basis

#[test]
fn the_billing_month_is_the_incidents_month_in_the_calendars_zone() {
    let p = demo();
    let cal = &p.calendar;
    assert_eq!(BillingMonth::of(cal, et("2024-02-10T12:00:00")).days, 29);
    assert_eq!(BillingMonth::of(cal, et("2023-02-10T12:00:00")).days, 28);
    assert_eq!(BillingMonth::of(cal, et("2024-04-10T12:00:00")).days, 30);
    // 21:00 on 29 February in New York is already 1 March in UTC: still February.
    let late: Timestamp = "2024-03-01T02:00:00Z".parse().expect("utc");
    assert_eq!(BillingMonth::of(cal, late).days, 29);
    assert_eq!(BillingMonth { days: 29 }.minutes(), 29 * 1440);
}

#[test]
fn days_in_month_divides_by_29_in_february_2024_and_a_fixed_basis_by_30() {
    let p = demo();
    let feb = BillingMonth::of(&p.calendar, et("2024-02-20T10:00:00"));
    let c = Context {
        severity: 0,
        duration: Minutes::new(240),
        month: feb,
        downtime_by_month: Vec::new(),
    };
    let fee = dec("10000.00");
    let d = decide(&p, "ent-usd", &c);
    assert_eq!(
        d.credit.amount(),
        round(fee * Decimal::from(7) / Decimal::from(29), 2)
    );
    assert_eq!(d.credit.amount(), dec("2413.79"));
    let w = working(&p, "ent-usd", &d, &c);
    assert!(w.ends_with("/ 29 days"), "{w}");

    let fixed = parse(&replace_once(
        DEMO,
        "credit_day_basis = \"days_in_month\"",
        "credit_day_basis = 30",
    ));
    for month in [feb, BillingMonth { days: 31 }] {
        let c = Context { month, ..c.clone() };
        let d = decide(&fixed, "ent-usd", &c);
        assert_eq!(
            d.credit.amount(),
            dec("2333.33"),
            "fixed 30 whatever the month"
        );
    }
}

#[test]
fn a_february_incident_is_credited_over_29_days_by_the_planner() {
    let p = demo();
    let list = accounts(&p);
    let toml = r#"
id = "INC-FEB"
title = "Leap-day outage"
type = "outage"
core_feature = true
workaround = false
started_at = "2024-02-29T21:00:00-05:00"
detected_at = "2024-02-29T21:00:00-05:00"
resolved_at = "2024-03-01T01:00:00-05:00"

[affected]
all = true
"#;
    let incident = Incident::parse_toml("i.toml", toml, &p, &list).expect("incident");
    let plan = plan::plan(&p, &list, &incident, et("2024-03-02T00:00:00")).expect("plan");
    assert_eq!(plan.severity().id.as_str(), "S1");
    let usd = plan
        .accounts
        .iter()
        .find(|a| a.account.id.as_str() == "ent-usd")
        .expect("ent-usd");
    assert_eq!(
        usd.decision.credit.amount(),
        round(dec("10000.00") * Decimal::from(7) / Decimal::from(29), 2)
    );
}

// ---------------------------------------------------------------------------------------------
// Contract SLA policy

fn with_policy(policy: &str) -> Playbook {
    parse(&replace_once(
        DEMO,
        "contract_sla = \"greater_of\"",
        &format!("contract_sla = \"{policy}\""),
    ))
}

#[test]
fn greater_of_takes_the_contract_credit_when_it_is_larger() {
    let p = with_policy("greater_of");
    // Enterprise S2: 1 day of 10000.00 over 31 = 322.58. 60 minutes in October: 99.866%
    // uptime, below 99.9%: the contract gives 10% = 1000.00.
    let d = decide(&p, "ent-999", &ctx(&p, "S2", 60, 31));
    let matrix = round(dec("10000.00") / Decimal::from(31), 2);
    assert_eq!(matrix, dec("322.58"));
    assert_eq!(d.granted[0].credit.map(|m| m.amount()), Some(matrix));
    let c = d.contract.as_ref().expect("contract");
    assert_eq!(c.schedule.name, key("enterprise_999"));
    assert_eq!(c.sla.credit_percent, Decimal::from(10));
    assert_eq!(c.sla.credit.amount(), dec("1000.00"));
    assert!(c.applied);
    assert_eq!(d.credit.amount(), dec("1000.00"));

    // 30 minutes: 99.93%, not below 99.9%: no contract credit, the matrix applies.
    let d = decide(&p, "ent-999", &ctx(&p, "S2", 30, 31));
    let c = d.contract.as_ref().expect("contract computed");
    assert!(c.sla.credit.is_zero());
    assert!(!c.applied);
    assert_eq!(d.credit.amount(), matrix);
}

#[test]
fn in_addition_adds_the_contract_credit_to_the_matrix() {
    let p = with_policy("in_addition");
    let d = decide(&p, "ent-999", &ctx(&p, "S2", 60, 31));
    assert_eq!(d.credit.amount(), dec("322.58") + dec("1000.00"));
    assert!(d.contract.as_ref().expect("contract").applied);
    // Nothing to add: not applied.
    let d = decide(&p, "ent-999", &ctx(&p, "S2", 30, 31));
    assert_eq!(d.credit.amount(), dec("322.58"));
    assert!(!d.contract.as_ref().expect("contract").applied);
}

#[test]
fn ignore_leaves_contract_slas_out() {
    let p = with_policy("ignore");
    let d = decide(&p, "ent-999", &ctx(&p, "S2", 60, 31));
    assert!(d.contract.is_none());
    assert_eq!(d.credit.amount(), dec("322.58"));
}

#[test]
fn an_unknown_contract_policy_is_refused_at_its_line() {
    let src = replace_once(
        DEMO,
        "contract_sla = \"greater_of\"",
        "contract_sla = \"both\"",
    );
    let err = Playbook::parse("p.toml", &src).expect_err("bad policy");
    assert!(err.to_string().contains("greater_of"), "{err}");
    let line = src
        .lines()
        .position(|l| l.starts_with("contract_sla"))
        .expect("line")
        + 1;
    assert_eq!(err.0[0].line, line);
}

#[test]
fn sla_schedules_are_capped_and_respect_a_minimum() {
    let p = parse(&replace_once(
        DEMO,
        "cap_percent = \"50\"",
        "cap_percent = \"20\"\nminimum_credit = { USD = \"1000.00\" }",
    ));
    let schedule = &p.sla_schedules[&key("enterprise_999")];
    let fee = acct(&accounts(&p), "ent-usd").monthly_fee;
    // 94% uptime is in the 50% tier, capped to 20%.
    let c = remediation::sla_credit(schedule, Decimal::from(94), fee);
    assert_eq!(c.credit_percent, Decimal::from(20));
    assert_eq!(c.credit.amount(), dec("2000.00"));
    assert!(!c.below_minimum);
    // 99.5% gives 10% = 1000.00, at the minimum: not issued.
    let c = remediation::sla_credit(schedule, dec("99.5"), fee);
    assert_eq!(c.credit_percent, Decimal::from(10));
    assert!(c.below_minimum);
    assert!(c.credit.is_zero());
    // At the threshold exactly: not below it.
    let c = remediation::sla_credit(schedule, dec("99.9"), fee);
    assert!(c.credit_percent.is_zero());
    assert!(!c.below_minimum);
}

#[test]
fn monthly_uptime_is_the_published_formula() {
    let oct = BillingMonth { days: 31 };
    assert_eq!(
        remediation::monthly_uptime_percent(oct, Minutes::new(0)),
        Decimal::ONE_HUNDRED
    );
    assert_eq!(
        remediation::monthly_uptime_percent(oct, Minutes::new(44640)),
        Decimal::ZERO
    );
    // Downtime longer than the month cannot make uptime negative.
    assert_eq!(
        remediation::monthly_uptime_percent(oct, Minutes::new(99_999)),
        Decimal::ZERO
    );
    let u = remediation::monthly_uptime_percent(BillingMonth { days: 30 }, Minutes::new(432));
    assert_eq!(u, Decimal::from(99));
}

// ---------------------------------------------------------------------------------------------
// Currency, duration bands, approval

#[test]
fn jpy_credits_round_to_whole_yen() {
    let p = demo();
    let d = decide(&p, "ent-jpy", &ctx(&p, "S1", 240, 31));
    // 7 × 100000 / 31 = 22580.645… → 22581.
    assert_eq!(
        d.credit.amount(),
        round(dec("100000") * Decimal::from(7) / Decimal::from(31), 0)
    );
    assert_eq!(d.credit.amount().scale(), 0);
    assert_eq!(d.credit.to_string(), "22581 JPY");

    // 7 × 1005 / 30 = 234.5 exactly: half away from zero gives 235.
    let fixed = parse(&replace_once(
        DEMO,
        "credit_day_basis = \"days_in_month\"",
        "credit_day_basis = 30",
    ));
    let d = decide(&fixed, "ent-jpy-half", &ctx(&fixed, "S1", 240, 31));
    assert_eq!(d.credit.to_string(), "235 JPY");
}

#[test]
fn s1_of_two_hours_or_less_picks_the_duration_at_most_rule() {
    let p = demo();
    let fee = dec("10000.00");
    let cases = [
        ("ent-usd", 120, 2, Some(3)),
        ("ent-usd", 121, 1, Some(7)),
        ("ent-usd", 61, 2, Some(3)),
        ("gro-usd", 120, 6, Some(1)),
        ("gro-usd", 121, 5, Some(3)),
        ("sta-usd", 120, 10, None),
        ("sta-usd", 121, 9, None),
    ];
    for (id, minutes, rule, days) in cases {
        let d = decide(&p, id, &ctx(&p, "S1", minutes, 31));
        assert_eq!(d.rule.number, rule, "{id} at {minutes}m");
        assert_eq!(d.status, Status::Automatic, "S1 is automatic");
        match days {
            Some(n) if id == "ent-usd" => assert_eq!(
                d.credit.amount(),
                round(fee * Decimal::from(n) / Decimal::from(31), 2)
            ),
            Some(n) => assert_eq!(
                d.credit.amount(),
                round(dec("1234.56") * Decimal::from(n) / Decimal::from(31), 2)
            ),
            None => assert!(d.credit.is_zero()),
        }
    }
    let d = decide(&p, "sta-usd", &ctx(&p, "S1", 120, 31));
    assert_eq!(d.granted[0].remedy, &Remedy::StatusPageOnly);
    let d = decide(&p, "sta-usd", &ctx(&p, "S1", 121, 31));
    assert_eq!(d.granted[0].remedy, &Remedy::Acknowledgment);
}

#[test]
fn a_rule_that_is_not_automatic_waits_for_its_named_approver() {
    let p = demo();
    let d = decide(&p, "ent-usd", &ctx(&p, "S2", 60, 31));
    assert_eq!(d.rule.number, 3);
    assert_eq!(d.status, Status::PendingApproval);
    assert_eq!(d.approver(), &key("vp_support"));
    let d = decide(&p, "ent-usd", &ctx(&p, "S3", 20, 31));
    assert_eq!(d.rule.number, 4);
    assert_eq!(d.status, Status::PendingApproval);
    assert_eq!(d.approver(), &key("support_director"));
    assert!(d.credit.is_zero());
    // Setting `automatic = true` on the cell changes only the status.
    let auto = parse(&replace_once(
        DEMO,
        ENT_S2,
        &format!("{ENT_S2}\nautomatic = true"),
    ));
    let d = decide(&auto, "ent-usd", &ctx(&auto, "S2", 60, 31));
    assert_eq!(d.status, Status::Automatic);
    assert_eq!(d.approver(), &key("vp_support"));
}

#[test]
fn pending_credits_are_totalled_apart_from_automatic_ones() {
    let p = demo();
    let list = accounts(&p);
    let toml = r#"
id = "INC-S2"
title = "Slow dashboards"
type = "degradation"
core_feature = true
workaround = false
started_at = "2024-10-15T10:00:00-04:00"
detected_at = "2024-10-15T10:00:00-04:00"
resolved_at = "2024-10-15T10:40:00-04:00"

[affected]
accounts = ["ent-usd", "ent-999", "gro-usd"]
"#;
    let incident = Incident::parse_toml("i.toml", toml, &p, &list).expect("incident");
    let plan = plan::plan(&p, &list, &incident, et("2024-10-16T00:00:00")).expect("plan");
    assert_eq!(plan.severity().id.as_str(), "S2");
    let totals = plan.totals();
    assert_eq!(totals.len(), 2, "{totals:?}");
    let ent = &totals[0];
    assert_eq!(ent.tier, 0);
    assert_eq!(ent.accounts, 2);
    assert!(ent.automatic.is_zero());
    // 40 minutes in October: 99.91% uptime, above 99.9%: no contract credit; one day each.
    let one_day = round(dec("10000.00") / Decimal::from(31), 2);
    assert_eq!(ent.pending.amount(), one_day + one_day);
    let growth = &totals[1];
    assert_eq!(growth.tier, 1);
    assert!(
        growth.pending.is_zero(),
        "growth at S2 is an acknowledgment"
    );
}
