//! Deadlines of customer messages: which steps still have undelivered messages past (or near)
//! their deadline, and the record of each step found at risk or missed — once, so the alarm
//! fires once and the effectiveness reports can count misses.

use sqlx::Row;

use crate::{Result, Store};

/// One occurrence of a customer step with messages not yet delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingStep {
    /// Incident id.
    pub incident_id: String,
    /// Step id (`ack_email`).
    pub step: String,
    /// Occurrence of a repeating step (1 for the first).
    pub occurrence: i64,
    /// When its messages were due (the earliest, Unix milliseconds).
    pub due_ms: i64,
    /// How many of its messages are not delivered yet.
    pub pending: i64,
}

/// A step found at risk or missed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeadlineMiss {
    /// Incident id.
    pub incident_id: String,
    /// Step id.
    pub step: String,
    /// Occurrence.
    pub occurrence: i64,
    /// `at_risk` (the deadline is near) or `missed` (it passed).
    pub kind: String,
    /// When the step was due (Unix milliseconds).
    pub due_ms: i64,
    /// Its deadline.
    pub deadline_ms: i64,
    /// Messages not delivered when it was found.
    pub pending: i64,
    /// When it was found.
    pub recorded_ms: i64,
}

/// The step and occurrence a customer message's key names, or `None` for internal jobs
/// (escalation, alarms). Keys are `INC/account/step/occurrence/contact` and
/// `INC/public/step/occurrence`; account ids and step ids contain no `/`.
fn customer_step<'k>(incident: &str, key: &'k str) -> Option<(&'k str, i64)> {
    let rest = key.strip_prefix(incident)?.strip_prefix('/')?;
    let parts: Vec<&str> = rest.split('/').collect();
    let (step, occurrence) = match parts.as_slice() {
        ["public", step, occ] => (*step, *occ),
        [account, step, occ, _contact] if *account != "escalation" && *account != "alarm" => {
            (*step, *occ)
        }
        _ => return None,
    };
    Some((step, occurrence.parse().ok()?))
}

impl Store {
    /// Customer steps with messages due at or before `due_before_ms` and not delivered yet
    /// (waiting, retrying, being sent or dead), by incident, step and occurrence.
    pub async fn pending_steps(&self, due_before_ms: i64) -> Result<Vec<PendingStep>> {
        let rows = sqlx::query(
            "SELECT key, incident_id, due_ms FROM outbox_jobs WHERE due_ms <= $1 ORDER BY due_ms",
        )
        .bind(due_before_ms)
        .fetch_all(&self.pool)
        .await?;
        let mut steps: std::collections::BTreeMap<(String, String, i64), PendingStep> =
            Default::default();
        for r in &rows {
            let key: String = r.try_get("key")?;
            let incident: String = r.try_get("incident_id")?;
            let due_ms: i64 = r.try_get("due_ms")?;
            let Some((step, occurrence)) = customer_step(&incident, &key) else {
                continue;
            };
            steps
                .entry((incident.clone(), step.to_string(), occurrence))
                .and_modify(|s| {
                    s.pending += 1;
                    s.due_ms = s.due_ms.min(due_ms);
                })
                .or_insert_with(|| PendingStep {
                    incident_id: incident,
                    step: step.to_string(),
                    occurrence,
                    due_ms,
                    pending: 1,
                });
        }
        Ok(steps.into_values().collect())
    }

    /// Records a step found at risk or missed. Returns whether it is new (alarm once).
    pub async fn record_deadline(&self, miss: &DeadlineMiss) -> Result<bool> {
        let mut w = self.begin_write().await?;
        let n = sqlx::query(
            "INSERT INTO deadline_misses (incident_id, step, occurrence, kind, due_ms, \
             deadline_ms, pending, recorded_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (incident_id, step, occurrence, kind) DO NOTHING",
        )
        .bind(miss.incident_id.clone())
        .bind(miss.step.clone())
        .bind(miss.occurrence)
        .bind(miss.kind.clone())
        .bind(miss.due_ms)
        .bind(miss.deadline_ms)
        .bind(miss.pending)
        .bind(miss.recorded_ms)
        .execute(&mut *w.tx)
        .await?
        .rows_affected();
        w.commit().await?;
        Ok(n == 1)
    }

    /// An incident's steps found at risk or missed, in the order found.
    pub async fn deadline_misses(&self, incident: &str) -> Result<Vec<DeadlineMiss>> {
        let rows = sqlx::query(
            "SELECT incident_id, step, occurrence, kind, due_ms, deadline_ms, pending, \
             recorded_ms FROM deadline_misses WHERE incident_id = $1 \
             ORDER BY recorded_ms, step, occurrence, kind",
        )
        .bind(incident.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(DeadlineMiss {
                    incident_id: r.try_get("incident_id")?,
                    step: r.try_get("step")?,
                    occurrence: r.try_get("occurrence")?,
                    kind: r.try_get("kind")?,
                    due_ms: r.try_get("due_ms")?,
                    deadline_ms: r.try_get("deadline_ms")?,
                    pending: r.try_get("pending")?,
                    recorded_ms: r.try_get("recorded_ms")?,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::customer_step;

    #[test]
    fn keys_name_their_customer_step() {
        let inc = "INC-2024-1015";
        assert_eq!(
            customer_step(inc, "INC-2024-1015/acct-0001/ack_email/1/0"),
            Some(("ack_email", 1))
        );
        assert_eq!(
            customer_step(inc, "INC-2024-1015/public/status_update/14"),
            Some(("status_update", 14))
        );
        assert_eq!(
            customer_step(inc, "INC-2024-1015/escalation/5/ceo"),
            None,
            "internal"
        );
        assert_eq!(
            customer_step(inc, "INC-2024-1015/alarm/ack_email/1/missed"),
            None
        );
        assert_eq!(customer_step(inc, "INC-9/acct-1/ack_email/1/0"), None);
        assert_eq!(customer_step(inc, "INC-2024-1015/acct/x/one/0"), None);
    }
}
