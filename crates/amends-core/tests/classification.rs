//! Severity classification under the demo playbook: S1, S2 by either criterion, S3, the
//! `unmatched` fallback, a person's override, strict boundaries and open incidents.

use amends_core::account::{self, Account};
use amends_core::classify::{self, Basis, Classification, Facts};
use amends_core::domain::FailureType;
use amends_core::incident::Incident;
use amends_core::plan::{self, Plan};
use amends_core::playbook::Playbook;
use amends_core::time::Minutes;
use jiff::{Timestamp, Zoned};

const PLAYBOOK: &str = include_str!("../../../demo/playbook.toml");
const ACCOUNTS: &str = include_str!("../../../demo/accounts.csv");

fn et(local: &str) -> Timestamp {
    format!("{local}[America/New_York]")
        .parse::<Zoned>()
        .expect("instant")
        .timestamp()
}

struct World {
    playbook: Playbook,
    accounts: Vec<Account>,
}

fn world() -> World {
    let playbook = Playbook::parse("demo/playbook.toml", PLAYBOOK).expect("demo playbook");
    let accounts = account::parse_csv("demo/accounts.csv", ACCOUNTS, &playbook).expect("accounts");
    World { playbook, accounts }
}

fn incident(w: &World, toml: &str) -> Incident {
    Incident::parse_toml("incident.toml", toml, &w.playbook, &w.accounts)
        .unwrap_or_else(|e| panic!("incident does not parse:\n{e}"))
}

fn plan_at<'a>(w: &'a World, i: &'a Incident, as_of: Timestamp) -> Plan<'a> {
    plan::plan(&w.playbook, &w.accounts, i, as_of).expect("plan")
}

fn sev_id(w: &World, c: &Classification) -> String {
    w.playbook.severities[c.severity].id.to_string()
}

/// The misses recorded for a level id.
fn misses<'c>(w: &World, c: &'c Classification, id: &str) -> &'c [String] {
    let (index, _) = w.playbook.severity(id).expect("level");
    c.not_matched
        .iter()
        .find(|(i, _)| *i == index)
        .map(|(_, m)| m.as_slice())
        .unwrap_or_else(|| panic!("no misses recorded for {id}: {:?}", c.not_matched))
}

/// An incident in TOML: `body` supplies type, flags, times and scope.
fn toml(body: &str) -> String {
    format!("id = \"INC-T\"\ntitle = \"Test incident\"\n{body}")
}

const FULL_OUTAGE_45M: &str = r#"
type = "outage"
core_feature = true
workaround = false
started_at = "2024-10-15T10:00:00[America/New_York]"
detected_at = "2024-10-15T10:00:00[America/New_York]"
resolved_at = "2024-10-15T10:45:00[America/New_York]"

[affected]
all = true
"#;

#[test]
fn a_full_outage_of_45_minutes_is_s2_by_the_core_feature_criterion() {
    let w = world();
    let i = incident(&w, &toml(FULL_OUTAGE_45M));
    let p = plan_at(&w, &i, et("2024-10-16T09:00:00"));
    let c = &p.classification;
    assert_eq!(sev_id(&w, c), "S2");
    let Basis::Criterion {
        criterion, reasons, ..
    } = &c.basis
    else {
        panic!("{:?}", c.basis);
    };
    assert_eq!(*criterion, 1, "the core-feature criterion is S2's second");
    assert!(
        reasons.iter().any(|r| r == "a core feature is affected"),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("lasted 45m, more than 30m")),
        "{reasons:?}"
    );
    // Why not S1: it did not last more than an hour.
    let s1 = misses(&w, c, "S1");
    assert_eq!(s1.len(), 2, "both S1 criteria explain themselves");
    for miss in s1 {
        assert!(miss.contains("45m"), "{s1:?}");
        assert!(miss.contains("not more than 1h"), "{s1:?}");
    }
    // Only the more severe level is listed; S2 matched and S3 was never evaluated.
    assert_eq!(c.not_matched.len(), 1, "{:?}", c.not_matched);
    // The first S2 criterion (a subset of customers) cannot hold when everyone is affected.
    let (_, s2) = w.playbook.severity("S2").expect("S2");
    let first = classify::evaluate(&w.playbook, &s2.criteria[0], &p.facts)
        .expect_err("everyone is affected");
    assert_eq!(first, "180 of 180 accounts affected (100%), not below 100%");
}

#[test]
fn degradation_of_a_subset_for_40_minutes_is_s2_by_the_first_criterion() {
    let w = world();
    let i = incident(
        &w,
        &toml(
            r#"
type = "degradation"
core_feature = false
workaround = false
started_at = "2024-10-15T10:00:00-04:00"
detected_at = "2024-10-15T10:05:00-04:00"
resolved_at = "2024-10-15T10:40:00-04:00"

[affected]
tiers = ["enterprise"]
"#,
        ),
    );
    let p = plan_at(&w, &i, et("2024-10-16T09:00:00"));
    assert_eq!(p.facts.accounts_affected, 30);
    assert_eq!(
        p.facts.duration,
        Minutes::new(40),
        "from start, not detection"
    );
    let c = &p.classification;
    assert_eq!(sev_id(&w, c), "S2");
    let Basis::Criterion {
        criterion, reasons, ..
    } = &c.basis
    else {
        panic!("{:?}", c.basis);
    };
    assert_eq!(*criterion, 0);
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("30 of 180 accounts affected (16.7%), below 100%")),
        "{reasons:?}"
    );
    let s1 = misses(&w, c, "S1");
    assert!(
        s1[0].contains("failure type is degradation, not one of: outage"),
        "{s1:?}"
    );
}

#[test]
fn a_non_core_feature_with_a_workaround_for_20_minutes_is_s3() {
    let w = world();
    let i = incident(
        &w,
        &toml(
            r#"
type = "degradation"
features = ["CSV export"]
core_feature = false
workaround = true
started_at = "2024-10-15T10:00:00-04:00"
detected_at = "2024-10-15T10:00:00-04:00"
resolved_at = "2024-10-15T10:20:00-04:00"

[affected]
all = true
"#,
        ),
    );
    let p = plan_at(&w, &i, et("2024-10-16T09:00:00"));
    let c = &p.classification;
    assert_eq!(sev_id(&w, c), "S3");
    let Basis::Criterion {
        criterion, reasons, ..
    } = &c.basis
    else {
        panic!("{:?}", c.basis);
    };
    assert_eq!(*criterion, 0);
    assert!(
        reasons.iter().any(|r| r.contains("20m, less than 30m")),
        "{reasons:?}"
    );
    assert!(
        reasons.iter().any(|r| r == "no core feature is affected"),
        "{reasons:?}"
    );
    assert!(
        reasons.iter().any(|r| r == "a workaround is available"),
        "{reasons:?}"
    );
    // Both more severe levels explain themselves, one line per criterion.
    assert_eq!(misses(&w, c, "S1").len(), 2);
    assert_eq!(misses(&w, c, "S2").len(), 2);
}

#[test]
fn data_loss_matching_no_criterion_takes_the_unmatched_level() {
    let w = world();
    let i = incident(
        &w,
        &toml(
            r#"
type = "data_loss"
core_feature = true
workaround = false
started_at = "2024-10-15T10:00:00-04:00"
detected_at = "2024-10-15T11:00:00-04:00"
resolved_at = "2024-10-15T16:00:00-04:00"

[affected]
accounts = ["acct-0001", "acct-0031"]
"#,
        ),
    );
    let p = plan_at(&w, &i, et("2024-10-16T09:00:00"));
    let c = &p.classification;
    assert_eq!(c.basis, Basis::Unmatched);
    assert_eq!(c.severity, w.playbook.unmatched);
    assert_eq!(sev_id(&w, c), "S2");
    // Every level says why it did not match.
    assert_eq!(c.not_matched.len(), w.playbook.severities.len());
    for id in ["S1", "S2"] {
        for m in misses(&w, c, id) {
            assert!(m.contains("data_loss"), "{id}: {m}");
        }
    }
    // S3's first failing condition, in the criterion's evaluation order, is the duration.
    assert_eq!(misses(&w, c, "S3"), ["lasted 6h, not less than 30m"]);
    // The unmatched level's remediation applies: enterprise S2 is the 1-day credit rule.
    let ent = p
        .accounts
        .iter()
        .find(|a| a.account.id.as_str() == "acct-0001")
        .expect("acct-0001");
    assert_eq!(ent.decision.rule.number, 3);
}

#[test]
fn a_severity_override_wins_and_keeps_the_policy_severity_for_the_audit_trail() {
    let w = world();
    let body = format!(
        "{FULL_OUTAGE_45M}\n[severity_override]\nseverity = \"S1\"\nreason = \"  Largest customer's launch day  \"\n"
    );
    let i = incident(&w, &toml(&body));
    let p = plan_at(&w, &i, et("2024-10-16T09:00:00"));
    let c = &p.classification;
    assert_eq!(sev_id(&w, c), "S1");
    let (s2, _) = w.playbook.severity("S2").expect("S2");
    assert_eq!(
        c.basis,
        Basis::Override {
            policy_severity: s2,
            reason: "Largest customer's launch day".to_string(),
        }
    );
    // The plan follows the overridden level: its S1 communication and S1 remediation.
    assert_eq!(p.severity().id.as_str(), "S1");
    let ent = p
        .accounts
        .iter()
        .find(|a| a.account.tier.as_str() == "enterprise")
        .expect("enterprise");
    assert_eq!(ent.decision.rule.number, 2, "S1 at most 2h");
}

#[test]
fn an_override_without_a_reason_or_to_an_unknown_level_is_refused() {
    let w = world();
    let no_reason =
        format!("{FULL_OUTAGE_45M}\n[severity_override]\nseverity = \"S1\"\nreason = \" \"\n");
    let err = Incident::parse_toml("i.toml", &toml(&no_reason), &w.playbook, &w.accounts)
        .expect_err("an override needs a reason");
    assert!(err.to_string().contains("needs a reason"), "{err}");
    let unknown = format!(
        "{FULL_OUTAGE_45M}\n[severity_override]\nseverity = \"S0\"\nreason = \"because\"\n"
    );
    let err = Incident::parse_toml("i.toml", &toml(&unknown), &w.playbook, &w.accounts)
        .expect_err("S0 is not a level");
    assert!(err.to_string().contains("unknown severity"), "{err}");
}

#[test]
fn an_unresolved_incident_counts_its_duration_up_to_as_of() {
    let w = world();
    let i = incident(
        &w,
        &toml(
            r#"
type = "outage"
core_feature = true
workaround = false
started_at = "2024-10-15T10:00:00-04:00"
detected_at = "2024-10-15T10:10:00-04:00"

[affected]
all = true
"#,
        ),
    );
    assert_eq!(i.anchors.resolution, None);
    assert_eq!(
        i.duration(et("2024-10-15T10:50:00")),
        Minutes::new(50),
        "counted from start"
    );
    // 50 minutes in and still open: S1 provisionally (its "over 60 minutes" holds if the
    // outage goes on), so the S1 notices at T+20 and T+30 are not missed while waiting.
    let early = plan_at(&w, &i, et("2024-10-15T10:50:00"));
    assert!(!early.facts.resolved);
    assert_eq!(sev_id(&w, &early.classification), "S1");
    let Basis::Criterion {
        reasons,
        provisional,
        ..
    } = &early.classification.basis
    else {
        panic!("{:?}", early.classification.basis);
    };
    assert!(provisional);
    assert!(
        reasons.iter().any(|r| r
            == "has lasted 50m and is still open: planned as lasting more than 1h, which it does from start + 1h"),
        "{reasons:?}"
    );
    // 90 minutes in: S1, and the reason says it is still going on.
    let later = plan_at(&w, &i, et("2024-10-15T11:30:00"));
    assert_eq!(later.facts.duration, Minutes::new(90));
    assert_eq!(sev_id(&w, &later.classification), "S1");
    let Basis::Criterion {
        reasons,
        provisional,
        ..
    } = &later.classification.basis
    else {
        panic!("{:?}", later.classification.basis);
    };
    assert!(!provisional, "90 minutes is already more than 60");
    assert!(
        reasons
            .iter()
            .any(|r| r == "has lasted 1h 30m, more than 1h"),
        "{reasons:?}"
    );
    // An as_of before the start never gives a negative duration.
    assert_eq!(i.duration(et("2024-10-15T09:00:00")), Minutes::new(0));
}

#[test]
fn duration_thresholds_are_strict() {
    let w = world();
    let at_60 = FULL_OUTAGE_45M.replace("10:45:00", "11:00:00");
    let i = incident(&w, &toml(&at_60));
    let p = plan_at(&w, &i, et("2024-10-16T09:00:00"));
    assert_eq!(
        sev_id(&w, &p.classification),
        "S2",
        "exactly 60 minutes is not more than 1h"
    );
    let at_61 = FULL_OUTAGE_45M.replace("10:45:00", "11:01:00");
    let i = incident(&w, &toml(&at_61));
    let p = plan_at(&w, &i, et("2024-10-16T09:00:00"));
    assert_eq!(sev_id(&w, &p.classification), "S1");
}

fn facts(failure_type: FailureType, minutes: i64, affected: usize, core: bool, wa: bool) -> Facts {
    Facts {
        failure_type,
        duration: Minutes::new(minutes),
        resolved: true,
        accounts_total: 200,
        accounts_affected: affected,
        affected_by_tier: vec![affected, 0, 0],
        core_feature: core,
        workaround: wa,
    }
}

#[test]
fn classify_works_on_facts_directly() {
    let w = world();
    let i = incident(&w, &toml(FULL_OUTAGE_45M));
    let s3_at_30 = facts(FailureType::Degradation, 30, 200, false, true);
    let c = classify::classify(&w.playbook, &i, &s3_at_30);
    // 30 minutes is not under 30m (S3) nor over 30m (S2): nothing matches.
    assert_eq!(c.basis, Basis::Unmatched);
    assert_eq!(misses(&w, &c, "S3"), ["lasted 30m, not less than 30m"]);

    // Not a core feature: S1's whole-service criterion does not apply, only the share one.
    let share = facts(FailureType::Outage, 240, 199, false, false);
    assert_eq!(share.share_text(), "99.5%");
    let c = classify::classify(&w.playbook, &i, &share);
    assert_eq!(sev_id(&w, &c), "S2", "199 of 200 is not all customers");
    assert!(
        misses(&w, &c, "S1")[0].contains("199 of 200 accounts affected (99.5%), less than 100%")
    );

    let none = Facts {
        accounts_total: 0,
        ..facts(FailureType::Outage, 240, 0, true, false)
    };
    assert_eq!(none.share_affected(), rust_decimal::Decimal::ZERO);
}

#[test]
fn evaluate_reports_the_first_failed_condition() {
    let w = world();
    let (_, s1) = w.playbook.severity("S1").expect("S1");
    let f = facts(FailureType::Degradation, 10, 3, true, false);
    let err = classify::evaluate(&w.playbook, &s1.criteria[0], &f).expect_err("no match");
    assert_eq!(err, "failure type is degradation, not one of: outage");
    let f = facts(FailureType::Outage, 61, 200, true, false);
    let ok = classify::evaluate(&w.playbook, &s1.criteria[0], &f).expect("match");
    assert_eq!(
        ok,
        [
            "failure type is outage (criterion: outage)",
            "200 of 200 accounts affected (100%), at least 100%",
            "lasted 1h 1m, more than 1h",
        ]
    );
}

#[test]
fn incidents_parse_from_json_the_same_way() {
    let w = world();
    let json = r#"{
        "id": "INC-J", "title": "JSON incident", "type": "outage",
        "core_feature": true, "workaround": false,
        "started_at": "2024-10-15T10:00:00-04:00",
        "detected_at": "2024-10-15T10:00:00-04:00",
        "resolved_at": "2024-10-15T10:45:00-04:00",
        "affected": { "all": true }
    }"#;
    let from_json =
        Incident::parse_json("i.json", json, &w.playbook, &w.accounts).expect("json incident");
    let mut from_toml = incident(&w, &toml(FULL_OUTAGE_45M));
    from_toml.id = "INC-J".into();
    from_toml.title = "JSON incident".into();
    assert_eq!(from_json, from_toml);
}

#[test]
fn the_share_shown_is_never_all_or_none_unless_it_is() {
    // Not a core feature, so only S1's share criterion can speak about the share.
    let share = |affected: usize, total: usize| Facts {
        accounts_total: total,
        ..facts(FailureType::Outage, 240, affected, false, false)
    };
    assert_eq!(share(1, 2).share_text(), "50%");
    assert_eq!(share(2, 3).share_text(), "66.7%");
    assert_eq!(share(10_000, 10_000).share_text(), "100%");
    assert_eq!(share(0, 10).share_text(), "0%");
    // A reason reading "9999 of 10000 accounts affected (100%), less than 100%" contradicts
    // itself; the percent shown must not claim everyone (or no one) when that is not so.
    for (affected, total) in [(9_999, 10_000), (1_999, 2_000), (1, 20_000), (1, 2_000)] {
        let text = share(affected, total).share_text();
        assert_ne!(text, "100%", "{affected} of {total}");
        assert_ne!(text, "0%", "{affected} of {total}");
    }
    let w = world();
    let i = incident(&w, &toml(FULL_OUTAGE_45M));
    let c = classify::classify(&w.playbook, &i, &share(9_999, 10_000));
    let s1 = misses(&w, &c, "S1");
    assert!(!s1[0].contains("(100%)"), "{s1:?}");
}
