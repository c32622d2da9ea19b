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
    assert_eq!((first.queued, second.queued, second.updated), (742, 0, 742));
    assert_eq!(store.outbox_counts().await.unwrap().queued, 742);
    let _ = std::fs::remove_file(&file);
}
