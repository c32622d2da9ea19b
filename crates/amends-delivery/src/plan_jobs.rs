//! From a plan to outbox jobs: every scheduled message of the plan, for every contact of every
//! affected account on the channel the plan chose for them, the public status posts, and the
//! internal escalation steps that fire, rendered (and customer messages linted), each with its
//! idempotency key and due time.
//!
//! The key names the message, not its text: `INC/acct/step/occurrence/contact` for an account
//! message and `INC/public/step/occurrence` for a post. A re-plan produces the same keys for
//! the same messages, so the outbox updates what still waits, skips what was delivered, and
//! the caller cancels the keys that disappeared.

use amends_core::domain::Channel as Via;
use amends_core::incident::CustomerGate;
use amends_core::plan::{Due, Plan};
use amends_messages::{ComposeError, Composer, Rendered};
use amends_store::NewJob;

/// A message that is not queued, and why: a `deny` finding of the linter, or a rendering
/// problem. The caller alerts the incident owner; nothing broken reaches a customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    /// The key the message would have had.
    pub key: String,
    /// Why it is held.
    pub reason: String,
}

/// The jobs of a plan, and the messages held back.
#[derive(Debug, Default)]
pub struct PlanJobs {
    /// Jobs to queue.
    pub jobs: Vec<NewJob>,
    /// Messages not queued.
    pub held: Vec<Held>,
    /// Customer messages not queued because the incident waits in triage for a person (or
    /// was dismissed as a false alarm).
    pub awaiting_triage: usize,
    /// The keys of repeating steps' occurrences that a later one has made pointless
    /// ([`superseded`]). A re-plan cancels them with every key it no longer has; an extension
    /// of the plan, which cancels nothing else, drops these if they still wait, so a worker
    /// that was stopped comes back to the latest update, not a burst of every one it missed.
    pub superseded: Vec<String>,
}

/// The outbox channel a message goes out on: email and the status page are delivered by
/// adapters; SMS, phone and chat without a configured provider become tasks for a person,
/// never silently dropped.
fn channel_name(via: Via) -> &'static str {
    match via {
        Via::Email | Via::Preferred => "email",
        Via::StatusPage => "status_page",
        Via::Sms | Via::Phone | Via::Chat => "task",
    }
}

/// When a customer message due at `due` may go out, or `None` while the incident's triage
/// holds it back.
fn gated(gate: CustomerGate, due: jiff::Timestamp) -> Option<jiff::Timestamp> {
    match gate {
        CustomerGate::Open => Some(due),
        CustomerGate::From(at) => Some(due.max(at)),
        CustomerGate::Closed => None,
    }
}

/// Which messages a later occurrence of the same step has made pointless: of a repeating
/// step's occurrences already due when the plan was made, only the latest is sent. An incident
/// declared (or re-planned) hours after detection sends one status update, not a burst of
/// every quarter hour it missed; one-off steps are never superseded.
fn superseded(plan: &Plan<'_>) -> Vec<bool> {
    let mut latest_due: std::collections::HashMap<usize, u32> = Default::default();
    for m in &plan.messages {
        if let Due::At(due) = m.due
            && due <= plan.as_of
        {
            let latest = latest_due.entry(m.step).or_insert(m.occurrence);
            *latest = (*latest).max(m.occurrence);
        }
    }
    plan.messages
        .iter()
        .map(|m| {
            matches!(m.due, Due::At(due) if due <= plan.as_of)
                && latest_due.get(&m.step).is_some_and(|&l| m.occurrence < l)
        })
        .collect()
}

/// Every scheduled message of the plan as a job. Customer messages of an incident in triage
/// wait for its confirmation (or auto-confirm time); internal escalation does not wait.
pub fn plan_jobs(plan: &Plan<'_>, composer: &Composer<'_>) -> PlanJobs {
    let mut out = message_jobs(plan, composer, Steps::All);
    escalation_jobs(plan, &mut out);
    out
}

/// The jobs of the plan's repeating steps only ("every 15 minutes while unresolved"): what an
/// open incident's plan gains as time passes. Every other message was queued when the plan
/// was written, so extending it renders a handful of messages, not every account's.
pub fn repeating_jobs(plan: &Plan<'_>, composer: &Composer<'_>) -> PlanJobs {
    message_jobs(plan, composer, Steps::Repeating)
}

/// Which communication steps [`message_jobs`] renders.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Steps {
    All,
    Repeating,
}

fn message_jobs(plan: &Plan<'_>, composer: &Composer<'_>, steps: Steps) -> PlanJobs {
    let mut out = PlanJobs::default();
    let incident = &plan.incident.id;
    let gate = plan.incident.customer_gate();
    let superseded = superseded(plan);
    let wanted: Vec<bool> = plan
        .messages
        .iter()
        .enumerate()
        .map(|(i, m)| !superseded[i] && (steps == Steps::All || plan.step(m).every.is_some()))
        .collect();
    for (i, m) in plan.messages.iter().enumerate() {
        let Due::At(due) = m.due else { continue };
        let step = plan.step(m);
        if step.audience != amends_core::playbook::Audience::Public {
            continue;
        }
        let key = format!("{incident}/public/{}/{}", step.id, m.occurrence);
        if !wanted[i] {
            if superseded[i] {
                out.superseded.push(key);
            }
            continue;
        }
        let Some(due) = gated(gate, due) else {
            out.awaiting_triage += 1;
            continue;
        };
        let rendered = composer.public_message(i);
        push(
            &mut out,
            key,
            incident,
            "status_page",
            due,
            rendered,
            |r| serde_json::json!({ "step": step.id.as_str(), "body": r.body }),
        );
    }
    for (a, ap) in plan.accounts.iter().enumerate() {
        for d in plan.deliveries(ap.account) {
            let m = &plan.messages[d.message];
            let Due::At(due) = m.due else { continue };
            let step = plan.step(m);
            let key = || {
                format!(
                    "{incident}/{}/{}/{}/{}",
                    ap.account.id, step.id, m.occurrence, d.contact
                )
            };
            if !wanted[d.message] {
                if superseded[d.message] {
                    out.superseded.push(key());
                }
                continue;
            }
            let key = key();
            let Some(due) = gated(gate, due) else {
                out.awaiting_triage += 1;
                continue;
            };
            let contact = &ap.account.contacts[d.contact];
            let channel = channel_name(d.channel);
            let rendered = composer.account_message(a, d.message, d.contact);
            push(
                &mut out,
                key.clone(),
                incident,
                channel,
                due,
                rendered,
                |r| {
                    serde_json::json!({
                        "account": ap.account.id.as_str(),
                        "to": contact.email,
                        "phone": contact.phone,
                        "name": contact.name,
                        "via": d.channel.as_str(),
                        "subject": r.subject,
                        "body": r.body,
                    })
                },
            );
        }
    }
    out
}

/// The internal escalation steps that fire, as jobs: one war-room post per Slack step, an
/// email per named person with an address, a PagerDuty event per paging step (de-duplicated
/// by its key), and a task for a person to call or text.
fn escalation_jobs(plan: &Plan<'_>, out: &mut PlanJobs) {
    use amends_core::domain::InternalChannel as Internal;
    let incident = plan.incident;
    let level = plan.severity();
    for e in &plan.escalation {
        let (Some(at), true) = (e.at, e.fires) else {
            continue;
        };
        let Some(step) = level.escalation.get(e.step) else {
            continue;
        };
        let people: Vec<&amends_core::playbook::Person> = step
            .notify
            .iter()
            .filter_map(|k| plan.playbook.person(k))
            .collect();
        let names: Vec<String> = people
            .iter()
            .map(|p| format!("{} ({})", p.name, p.role))
            .collect();
        let title = format!("[{}] {} — {}", level.id, incident.id, step.action);
        let body = format!(
            "{}. Actor: {}. Tell: {}.",
            incident.title,
            step.actor,
            names.join(", ")
        );
        let why: Vec<&str> = e
            .conditions
            .iter()
            .filter(|(held, _)| *held)
            .map(|(_, c)| c.as_str())
            .collect();
        let base = format!("{}/escalation/{}", incident.id, e.step);
        let held = &mut out.held;
        let jobs = &mut out.jobs;
        let mut job = |key: String, channel: &str, payload: serde_json::Value| {
            jobs.push(NewJob {
                key,
                incident_id: incident.id.clone(),
                channel: channel.to_string(),
                due_ms: at.as_millisecond(),
                payload: payload.to_string(),
            });
        };
        match step.channel {
            Internal::Slack => {
                let mut facts = vec![
                    ("Severity", format!("{} {}", level.id, level.name)),
                    ("Tell", names.join(", ")),
                    ("Include", step.information.join("; ")),
                ];
                if !why.is_empty() {
                    facts.push(("Because", why.join("; ")));
                }
                let target = step.target.as_deref().unwrap_or("#incidents");
                job(
                    format!("{base}/slack"),
                    "slack",
                    crate::slack::message(target, &title, &body, &facts),
                );
            }
            Internal::Email => {
                for p in people.iter().filter(|p| p.email.is_none()) {
                    held.push(Held {
                        key: format!("{base}/{}", p.key),
                        reason: format!("{} has no email address in the playbook", p.name),
                    });
                }
                for p in people.iter().filter(|p| p.email.is_some()) {
                    job(
                        format!("{base}/{}", p.key),
                        "email",
                        serde_json::json!({
                            "to": p.email, "name": p.name, "subject": title,
                            "body": format!("{body}\nInclude: {}.", step.information.join("; ")),
                        }),
                    );
                }
            }
            Internal::Pagerduty => job(
                format!("{base}/pagerduty"),
                "pagerduty",
                serde_json::json!({
                    "summary": title,
                    "severity": if level.id.as_str() == "S1" { "critical" } else { "error" },
                    "source": "amends",
                    "custom_details": {
                        "incident": incident.id,
                        "actor": step.actor,
                        "tell": names,
                        "include": step.information,
                        "because": why,
                    },
                }),
            ),
            Internal::Phone | Internal::Sms => {
                for p in &people {
                    job(
                        format!("{base}/{}", p.key),
                        "task",
                        serde_json::json!({
                            "via": step.channel.as_str(), "person": p.name, "role": p.role,
                            "do": step.action, "because": why, "body": body,
                        }),
                    );
                }
            }
        }
    }
}

fn push(
    out: &mut PlanJobs,
    key: String,
    incident: &str,
    channel: &str,
    due: jiff::Timestamp,
    rendered: Result<Rendered, ComposeError>,
    payload: impl FnOnce(&Rendered) -> serde_json::Value,
) {
    match rendered {
        Ok(r) if r.blocked() => {
            let rules: Vec<&str> = r
                .findings
                .iter()
                .filter(|f| f.level == amends_core::lint::Level::Deny)
                .map(|f| f.rule.id())
                .collect();
            out.held.push(Held {
                key,
                reason: format!("the linter denies it: {}", rules.join(", ")),
            });
        }
        Ok(r) => out.jobs.push(NewJob {
            key,
            incident_id: incident.to_string(),
            channel: channel.to_string(),
            due_ms: due.as_millisecond(),
            payload: payload(&r).to_string(),
        }),
        Err(e) => out.held.push(Held {
            key,
            reason: e.to_string(),
        }),
    }
}
