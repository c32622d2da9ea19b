//! Inbound alerts, normalised: PagerDuty webhooks v3, Prometheus Alertmanager webhooks
//! (version 4) and Grafana alerting webhooks become [`Alert`]s — what fired or resolved, in
//! which service, when — so the lifecycle can open and resolve incidents from them.
//!
//! Parsing is strict about what it needs and tolerant of what it does not: a payload missing
//! the fields amends relies on is refused naming them, never half-applied; unknown extra
//! fields are ignored (the senders add fields over time). Verifying the sender's signature is
//! the server's job (it needs the raw bytes and a secret).

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde_json::Value;

/// Where an alert came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// PagerDuty webhooks v3.
    Pagerduty,
    /// Prometheus Alertmanager, webhook version 4.
    Alertmanager,
    /// Grafana alerting.
    Grafana,
}

impl Source {
    /// The sender's name, for messages.
    pub fn name(self) -> &'static str {
        match self {
            Source::Pagerduty => "PagerDuty",
            Source::Alertmanager => "Alertmanager",
            Source::Grafana => "Grafana",
        }
    }
}

/// What happened to the alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// It started firing (opens or updates an incident).
    Firing,
    /// Someone acknowledged it (no change for customers).
    Acknowledged,
    /// It stopped (resolves the incident).
    Resolved,
    /// Anything else the sender reports (priority changed, annotated …): recorded, no action.
    Other,
}

/// One alert, normalised.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Alert {
    /// The sender.
    pub source: Source,
    /// The sender's id of the alert (PagerDuty incident id; Alertmanager/Grafana fingerprint
    /// or label set): the same alert firing and resolving has the same id.
    pub external_id: String,
    /// What happened.
    pub change: Change,
    /// The service it is about, to be mapped to accounts by the playbook (PagerDuty service
    /// name; the `service` label, else `job`, else the alert name).
    pub service: String,
    /// A title for people.
    pub title: String,
    /// When it happened (fired, resolved, acknowledged).
    pub at: Timestamp,
    /// Labels (Alertmanager, Grafana) or a few PagerDuty fields (priority, urgency).
    pub labels: BTreeMap<String, String>,
}

/// Why a payload was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AlertError {
    /// Not JSON at all.
    #[error("the payload is not JSON: {0}")]
    NotJson(String),
    /// A field amends needs is missing or of the wrong type.
    #[error("{} payload: `{field}` is missing or not {expected}", sender.name())]
    Field {
        /// The sender whose format was expected.
        sender: Source,
        /// The JSON path.
        field: String,
        /// What it should be.
        expected: &'static str,
    },
}

struct Reader {
    source: Source,
}

impl Reader {
    fn missing(&self, field: &str, expected: &'static str) -> AlertError {
        AlertError::Field {
            sender: self.source,
            field: field.to_string(),
            expected,
        }
    }

    fn str<'v>(&self, v: &'v Value, path: &str) -> Result<&'v str, AlertError> {
        pointer(v, path)
            .and_then(Value::as_str)
            .ok_or_else(|| self.missing(path, "a string"))
    }

    fn time(&self, v: &Value, path: &str) -> Result<Timestamp, AlertError> {
        self.str(v, path)?
            .parse::<Timestamp>()
            .map_err(|_| self.missing(path, "an RFC 3339 time"))
    }

    fn array<'v>(&self, v: &'v Value, path: &str) -> Result<&'v Vec<Value>, AlertError> {
        pointer(v, path)
            .and_then(Value::as_array)
            .ok_or_else(|| self.missing(path, "an array"))
    }
}

/// `event.data.id` → the value at that dotted path.
fn pointer<'v>(v: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('.')
        .try_fold(v, |v, k| match k.parse::<usize>() {
            Ok(i) => v.get(i),
            Err(_) => v.get(k),
        })
}

fn parse_json(body: &[u8]) -> Result<Value, AlertError> {
    serde_json::from_slice(body).map_err(|e| AlertError::NotJson(e.to_string()))
}

/// A PagerDuty webhook v3 delivery: one event.
pub fn pagerduty(body: &[u8]) -> Result<Alert, AlertError> {
    let v = parse_json(body)?;
    let r = Reader {
        source: Source::Pagerduty,
    };
    let event_type = r.str(&v, "event.event_type")?;
    let change = match event_type {
        "incident.triggered" | "incident.reopened" => Change::Firing,
        "incident.acknowledged" => Change::Acknowledged,
        "incident.resolved" => Change::Resolved,
        _ => Change::Other,
    };
    let mut labels = BTreeMap::new();
    labels.insert("event_type".to_string(), event_type.to_string());
    for (key, path) in [
        ("urgency", "event.data.urgency"),
        ("priority", "event.data.priority.summary"),
        ("html_url", "event.data.html_url"),
    ] {
        if let Some(s) = pointer(&v, path).and_then(Value::as_str) {
            labels.insert(key.to_string(), s.to_string());
        }
    }
    Ok(Alert {
        source: Source::Pagerduty,
        external_id: r.str(&v, "event.data.id")?.to_string(),
        change,
        service: r.str(&v, "event.data.service.summary")?.to_string(),
        title: r.str(&v, "event.data.title")?.to_string(),
        at: r.time(&v, "event.occurred_at")?,
        labels,
    })
}

/// An Alertmanager (version 4) or Grafana alerting webhook: one alert per entry of
/// `alerts`, each firing or resolved on its own.
pub fn alertmanager(body: &[u8], source: Source) -> Result<Vec<Alert>, AlertError> {
    let v = parse_json(body)?;
    let r = Reader { source };
    if source == Source::Alertmanager {
        let version = r.str(&v, "version")?;
        if version != "4" {
            return Err(r.missing("version", "\"4\""));
        }
    }
    let alerts = r.array(&v, "alerts")?;
    alerts
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let at_path = |k: &str| format!("alerts.{i}.{k}");
            let status = r
                .str(a, "status")
                .map_err(|_| r.missing(&at_path("status"), "a string"))?;
            let change = match status {
                "firing" => Change::Firing,
                "resolved" => Change::Resolved,
                _ => return Err(r.missing(&at_path("status"), "\"firing\" or \"resolved\"")),
            };
            let labels: BTreeMap<String, String> = a
                .get("labels")
                .and_then(Value::as_object)
                .ok_or_else(|| r.missing(&at_path("labels"), "an object"))?
                .iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                .collect();
            let name = labels
                .get("alertname")
                .cloned()
                .ok_or_else(|| r.missing(&at_path("labels.alertname"), "a string"))?;
            let service = ["service", "job"]
                .iter()
                .find_map(|k| labels.get(*k).cloned())
                .unwrap_or_else(|| name.clone());
            let when = if change == Change::Resolved {
                "endsAt"
            } else {
                "startsAt"
            };
            let at = r
                .time(a, when)
                .map_err(|_| r.missing(&at_path(when), "an RFC 3339 time"))?;
            let title = ["summary", "description", "message"]
                .iter()
                .find_map(|k| pointer(a, &format!("annotations.{k}")).and_then(Value::as_str))
                .map_or_else(|| name.clone(), |s| format!("{name}: {s}"));
            // Grafana sends a fingerprint; Alertmanager's alerts are identified by labels.
            let external_id = a
                .get("fingerprint")
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| {
                    labels
                        .iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect::<Vec<_>>()
                        .join(",")
                });
            Ok(Alert {
                source,
                external_id,
                change,
                service,
                title,
                at,
                labels,
            })
        })
        .collect()
}

/// The incident an alert opens (or, resolved, closes) on a service the playbook knows: the
/// service gives what customers are told and who is affected; the alert gives when. The id
/// is stable per alert (`PD-PFQZPSY`), so firing again updates the same incident. It starts
/// in triage: customer messages wait for a person, or for the service's auto-confirm time
/// counted from the alert.
pub fn incident_spec(
    alert: &Alert,
    service: &crate::playbook::Service,
) -> crate::incident::IncidentSpec {
    let prefix = match alert.source {
        Source::Pagerduty => "PD",
        Source::Alertmanager => "AM",
        Source::Grafana => "GF",
    };
    let id: String = alert
        .external_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect();
    let at = alert.at.to_string();
    crate::incident::IncidentSpec {
        id: format!("{prefix}-{id}"),
        title: service.title.clone(),
        failure_type: service.failure_type.to_string(),
        features: service.features.clone(),
        core_feature: service.core_feature,
        workaround: service.workaround,
        started_at: at.clone(),
        detected_at: at.clone(),
        resolved_at: (alert.change == Change::Resolved).then_some(at),
        affected: service.affected.clone(),
        known_cause: None,
        severity_override: None,
        triage: Some(crate::incident::TriageSpec {
            opened_by: format!("{} alert {}", alert.source.name(), alert.external_id),
            auto_confirm_at: service.triage_auto_confirm.and_then(|m| {
                alert
                    .at
                    .checked_add(jiff::SignedDuration::from_mins(m.get()))
                    .ok()
                    .map(|t| t.to_string())
            }),
            dismissed: None,
        }),
    }
}
