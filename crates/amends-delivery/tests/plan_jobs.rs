//! The worked example's plan as outbox jobs: one per scheduled message and contact, keyed
//! stably so a re-plan queues nothing twice, and an RCA step held back until the summary
//! exists.

mod common;

use std::collections::BTreeSet;

#[tokio::test]
async fn the_worked_example_becomes_742_keyed_jobs_and_a_replan_queues_none_twice() {
    // Without the summary, the 180 RCA emails are held, not sent empty.
    let without = common::demo_jobs(false);
    assert_eq!(without.held.len(), 180);
    assert!(
        without.held[0].reason.contains("root-cause summary"),
        "{:?}",
        without.held[0]
    );
    assert!(without.held.iter().all(|h| h.key.contains("/rca_email/")));

    let with = common::demo_jobs(true);
    assert!(with.held.is_empty(), "{:?}", with.held);
    // 180 accounts × 4 emails (one contact each) + 15 status posts + 7 escalation steps.
    assert_eq!(with.jobs.len(), 742);
    let escalation: Vec<(&str, &str)> = with
        .jobs
        .iter()
        .filter(|j| j.key.contains("/escalation/"))
        .map(|j| (j.key.as_str(), j.channel.as_str()))
        .collect();
    assert_eq!(
        escalation,
        [
            ("INC-2024-1015/escalation/0/pagerduty", "pagerduty"),
            ("INC-2024-1015/escalation/1/pagerduty", "pagerduty"),
            ("INC-2024-1015/escalation/2/slack", "slack"),
            ("INC-2024-1015/escalation/3/slack", "slack"),
            ("INC-2024-1015/escalation/4/vp_support", "email"),
            ("INC-2024-1015/escalation/5/ceo", "task"),
            ("INC-2024-1015/escalation/6/slack", "slack"),
        ]
    );
    let ceo = with
        .jobs
        .iter()
        .find(|j| j.key.ends_with("/5/ceo"))
        .unwrap();
    let ceo: serde_json::Value = serde_json::from_str(&ceo.payload).unwrap();
    assert_eq!(ceo["person"], "Jordan Blake");
    assert!(
        ceo["because"][0]
            .as_str()
            .unwrap()
            .contains("30 enterprise accounts"),
        "{ceo}"
    );
    let keys: BTreeSet<&str> = with.jobs.iter().map(|j| j.key.as_str()).collect();
    assert_eq!(keys.len(), 742, "keys are unique");
    assert!(keys.contains("INC-2024-1015/acct-0001/ack_email/1/0"));
    assert!(keys.contains("INC-2024-1015/public/status_update/14"));
    assert!(
        !keys.contains("INC-2024-1015/public/status_update/15"),
        "no post after 13:45"
    );
    let emails = with
        .jobs
        .iter()
        .filter(|j| j.channel == "email" && !j.key.contains("/escalation/"))
        .count();
    let posts = with
        .jobs
        .iter()
        .filter(|j| j.channel == "status_page")
        .count();
    assert_eq!((emails, posts), (720, 15));
    // The acknowledgment is due at 10:30 New York time, and carries what was rendered.
    let ack = with
        .jobs
        .iter()
        .find(|j| j.key == "INC-2024-1015/acct-0001/ack_email/1/0")
        .unwrap();
    assert_eq!(
        ack.due_ms,
        "2024-10-15T10:30:00-04:00"
            .parse::<jiff::Timestamp>()
            .unwrap()
            .as_millisecond()
    );
    let payload: serde_json::Value = serde_json::from_str(&ack.payload).unwrap();
    assert_eq!(payload["to"], "alex.nguyen@northwindanalytics.example");
    assert!(
        payload["body"]
            .as_str()
            .unwrap()
            .contains("Next update: 11:00 AM EDT")
    );

    // Queued twice (a re-plan), nothing is queued twice.
    let (store, file) = common::sqlite_store("plan-jobs").await;
    let first = store.enqueue(&with.jobs).await.unwrap();
    let second = store.enqueue(&with.jobs).await.unwrap();
    assert_eq!(
        (first.queued, second.queued, second.updated),
        (742, 0, 0),
        "an unchanged re-plan writes nothing"
    );
    assert_eq!(store.outbox_counts().await.unwrap().queued, 742);
    // A re-plan that moves one message updates that one.
    let mut moved = with.jobs.clone();
    moved[0].due_ms += 60_000;
    let third = store.enqueue(&moved).await.unwrap();
    assert_eq!((third.queued, third.updated), (0, 1));
    let _ = std::fs::remove_file(&file);
}

#[test]
fn customer_messages_wait_for_triage_and_internal_steps_do_not() {
    use amends_core::incident::Triage;
    let planned = common::demo_jobs(true);
    let customer = |jobs: &[amends_store::NewJob]| {
        jobs.iter()
            .filter(|j| !j.key.contains("/escalation/"))
            .count()
    };
    assert_eq!(customer(&planned.jobs), 735);

    // Waiting for a person: only the escalation goes out.
    let waiting = Triage {
        opened_by: "PagerDuty alert PFQZPSY".into(),
        auto_confirm_at: None,
        dismissed: None,
    };
    let held = common::demo_jobs_in_triage(true, Some(waiting.clone()));
    assert_eq!(customer(&held.jobs), 0);
    assert_eq!(held.awaiting_triage, 735);
    assert_eq!(held.jobs.len(), 7, "the 7 escalation steps still run");

    // With an auto-confirm time, nothing goes out before it, and nothing later moves.
    let auto: jiff::Timestamp = "2024-10-15T14:45:00Z".parse().unwrap();
    let timed = common::demo_jobs_in_triage(
        true,
        Some(Triage {
            auto_confirm_at: Some(auto),
            ..waiting.clone()
        }),
    );
    assert_eq!(customer(&timed.jobs), 735);
    for (before, after) in planned.jobs.iter().zip(&timed.jobs) {
        assert_eq!(before.key, after.key);
        if before.key.contains("/escalation/") {
            assert_eq!(before.due_ms, after.due_ms, "{}", before.key);
        } else {
            assert_eq!(
                after.due_ms,
                before.due_ms.max(auto.as_millisecond()),
                "{}",
                before.key
            );
        }
    }
    assert!(timed.jobs.iter().any(|j| j.due_ms == auto.as_millisecond()));

    // A false alarm never reaches a customer, auto-confirm or not.
    let dismissed = common::demo_jobs_in_triage(
        true,
        Some(Triage {
            auto_confirm_at: Some(auto),
            dismissed: Some("a load test, not an outage".into()),
            ..waiting
        }),
    );
    assert_eq!(customer(&dismissed.jobs), 0);
}

#[test]
fn a_plan_made_late_sends_the_latest_status_update_not_every_missed_one() {
    // Re-planned a week later: the 14 quarter-hourly posts (occurrences 1 to 14) are all in
    // the past; only the last is sent.
    let jobs = common::demo_jobs_planned_at(common::PLAYBOOK, "2024-10-22T13:00:00Z");
    let updates: Vec<&str> = jobs
        .jobs
        .iter()
        .filter(|j| j.key.contains("/status_update/"))
        .map(|j| j.key.as_str())
        .collect();
    assert_eq!(updates, ["INC-2024-1015/public/status_update/14"]);
    // The missed ones are named, so an extension can drop them if they still wait.
    let expected: Vec<String> = (1..14)
        .map(|n| format!("INC-2024-1015/public/status_update/{n}"))
        .collect();
    assert_eq!(jobs.superseded, expected);
    // One-off steps are never superseded: every account still has its acknowledgment.
    let acks = jobs
        .jobs
        .iter()
        .filter(|j| j.key.contains("/ack_email/"))
        .count();
    assert_eq!(acks, 180);
}

/// A repeating step to accounts: a plan made late names, as superseded, exactly the keys an
/// earlier plan queued for the occurrences it missed, for every contact, and queues only the
/// latest.
#[test]
fn a_late_plan_names_the_missed_account_messages_by_the_keys_they_were_queued_under() {
    // The hourly update email repeats while the incident is open.
    let source = common::PLAYBOOK.replace(
        "at = \"detection + 60m\"\nonly_if = \"unresolved\"",
        "at = \"detection + 60m\"\nevery = \"1h\"",
    );
    let jobs_at = |as_of: &str| common::demo_jobs_planned_at(&source, as_of);
    // 11:05 EDT: the first hourly update (11:00) is due, the 12:00 one queued ahead.
    let early = jobs_at("2024-10-15T15:05:00Z");
    let first: std::collections::BTreeSet<String> = early
        .jobs
        .iter()
        .filter(|j| j.key.contains("/update_email/1/"))
        .map(|j| j.key.clone())
        .collect();
    assert_eq!(first.len(), 180, "one per affected account's contact");
    // 13:30 EDT: the 11:00 and 12:00 ones were missed; the 13:00 one is the latest.
    let late = jobs_at("2024-10-15T17:30:00Z");
    let superseded: std::collections::BTreeSet<String> = late
        .superseded
        .iter()
        .filter(|k| k.contains("/update_email/1/"))
        .cloned()
        .collect();
    assert_eq!(superseded, first);
    assert!(
        late.superseded
            .iter()
            .any(|k| k.contains("/update_email/2/"))
    );
    let queued: std::collections::BTreeSet<&str> = late
        .jobs
        .iter()
        .filter(|j| j.key.contains("/update_email/"))
        .map(|j| j.key.split('/').nth(3).unwrap())
        .collect();
    // The latest only: the incident is resolved at 14:00, so no update follows it.
    assert_eq!(queued, ["3"].into());
}
