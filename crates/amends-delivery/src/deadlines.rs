//! Deadline alarms. A customer message is due at its planned time and must be delivered
//! within a grace period; a step whose messages are not all delivered `at_risk` before that
//! deadline raises an "at risk" alarm, and one still undelivered at the deadline a "missed"
//! alarm, each once, on the internal war-room channel, and is recorded for the effectiveness
//! reports. The promise being guarded: customers hear from us before they contact support.

use amends_store::{DeadlineMiss, NewJob, Store, StoreError};

use crate::clock::Clock;

/// How late is too late.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadlinePolicy {
    /// A message must be delivered within this long of its due time (milliseconds).
    pub grace_ms: i64,
    /// The alarm sounds this long before the deadline (milliseconds; at most `grace_ms`).
    pub at_risk_ms: i64,
    /// The Slack target (`#incidents`) alarms are posted to.
    pub alarm_target: String,
}

/// Checks every pending customer step against its deadline; records and alarms what is new.
/// Returns the alarms raised by this call.
pub async fn check(
    store: &Store,
    clock: &dyn Clock,
    policy: &DeadlinePolicy,
) -> Result<Vec<DeadlineMiss>, StoreError> {
    let now = clock.now_ms();
    let at_risk_from = now - (policy.grace_ms - policy.at_risk_ms);
    let mut raised = Vec::new();
    for step in store.pending_steps(at_risk_from).await? {
        let deadline_ms = step.due_ms + policy.grace_ms;
        let kind = if now >= deadline_ms {
            "missed"
        } else {
            "at_risk"
        };
        let miss = DeadlineMiss {
            incident_id: step.incident_id,
            step: step.step,
            occurrence: step.occurrence,
            kind: kind.to_string(),
            due_ms: step.due_ms,
            deadline_ms,
            pending: step.pending,
            recorded_ms: now,
        };
        if store.record_deadline(&miss).await? {
            tracing::warn!(incident = %miss.incident_id, step = %miss.step, occurrence = miss.occurrence, kind, pending = miss.pending, "deadline alarm");
            store.enqueue(&[alarm_job(&miss, policy, now)]).await?;
            raised.push(miss);
        }
    }
    Ok(raised)
}

/// The war-room post for a step at risk or missed, keyed so it is posted once.
fn alarm_job(miss: &DeadlineMiss, policy: &DeadlinePolicy, now_ms: i64) -> NewJob {
    let when = |ms: i64| {
        jiff::Timestamp::from_millisecond(ms)
            .map(|t| t.strftime("%H:%M UTC").to_string())
            .unwrap_or_default()
    };
    let (title, what) = if miss.kind == "missed" {
        (
            format!("[deadline missed] {} — {}", miss.incident_id, miss.step),
            "missed its deadline",
        )
    } else {
        (
            format!("[deadline at risk] {} — {}", miss.incident_id, miss.step),
            "is at risk of missing its deadline",
        )
    };
    let body = format!(
        "Step {} (occurrence {}) {what}: {} message(s) not delivered; due {}, deadline {}. \
         Check the dead letters and the channel configuration.",
        miss.step,
        miss.occurrence,
        miss.pending,
        when(miss.due_ms),
        when(miss.deadline_ms)
    );
    let facts = [
        ("Pending", miss.pending.to_string()),
        ("Due", when(miss.due_ms)),
        ("Deadline", when(miss.deadline_ms)),
    ];
    NewJob {
        key: format!(
            "{}/alarm/{}/{}/{}",
            miss.incident_id, miss.step, miss.occurrence, miss.kind
        ),
        incident_id: miss.incident_id.clone(),
        channel: "slack".to_string(),
        due_ms: now_ms,
        payload: crate::slack::message(&policy.alarm_target, &title, &body, &facts).to_string(),
    }
}
