//! Inbound alert payloads normalised, tested on the real published payloads in
//! `shared/fixtures/real/` (PagerDuty webhooks v3, Alertmanager v4, Grafana alerting), and
//! payloads of the wrong shape refused naming the field.

use amends_core::alert::{self, AlertError, Change, Source};
use amends_core::incident::CustomerGate;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../../../shared/fixtures/real/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{path}: {e} (CI puts shared/ beside the clone)"))
}

#[test]
fn pagerduty_incident_events_become_firing_acknowledged_and_resolved() {
    let fired = alert::pagerduty(&fixture("pagerduty_v3_incident_triggered.json")).unwrap();
    assert_eq!(fired.source, Source::Pagerduty);
    assert_eq!(fired.change, Change::Firing);
    assert_eq!(fired.external_id, "PFQZPSY");
    assert_eq!(fired.service, "pig208");
    assert_eq!(fired.title, "Test Incident 3");
    assert_eq!(fired.at.to_string(), "2021-06-04T13:35:29.781Z");
    assert_eq!(fired.labels["event_type"], "incident.triggered");

    let acked = alert::pagerduty(&fixture("pagerduty_v3_incident_acknowledged.json")).unwrap();
    assert_eq!(
        (acked.change, acked.external_id.as_str()),
        (Change::Acknowledged, "PQ1K5C8")
    );
    let resolved = alert::pagerduty(&fixture("pagerduty_v3_incident_resolved.json")).unwrap();
    assert_eq!(
        (resolved.change, resolved.external_id.as_str()),
        (Change::Resolved, "PCPZE64")
    );
    assert_eq!(resolved.at.to_string(), "2021-06-04T13:16:53.816Z");
    let priority =
        alert::pagerduty(&fixture("pagerduty_v3_incident_priority_updated_docs.json")).unwrap();
    assert_eq!(priority.change, Change::Other);
}

#[test]
fn alertmanager_groups_become_one_alert_each() {
    let firing = alert::alertmanager(
        &fixture("alertmanager_v4_firing.json"),
        Source::Alertmanager,
    )
    .unwrap();
    assert!(!firing.is_empty());
    let first = &firing[0];
    assert_eq!(first.change, Change::Firing);
    assert_eq!(first.labels["alertname"], "High CPU Temperature");
    assert_eq!(
        first.title,
        "High CPU Temperature: High CPU core temperature"
    );
    assert_eq!(first.at.to_string(), "2020-02-06T00:17:58.432911368Z");
    // Alertmanager 0.20+ sends a fingerprint; it is the alert's id.
    assert_eq!(first.external_id, "a1bc48475b20e73d");
    assert_eq!(first.labels["host"], "andromeda");

    let resolved = alert::alertmanager(
        &fixture("alertmanager_v4_resolved.json"),
        Source::Alertmanager,
    )
    .unwrap();
    assert_eq!(resolved.len(), 1);
    assert_eq!(resolved[0].change, Change::Resolved);
    // Resolved at its end, in UTC.
    assert_eq!(resolved[0].at.to_string(), "2018-11-04T21:48:13.283995108Z");
    let single = alert::alertmanager(
        &fixture("alertmanager_v4_firing_single.json"),
        Source::Alertmanager,
    )
    .unwrap();
    // Without a fingerprint (older senders) the label set is the id, so the same alert
    // firing and resolving has the same id.
    assert_eq!(single[0].external_id, resolved[0].external_id);
    assert_eq!(single[0].service, "Fire");
}

#[test]
fn grafana_alerts_carry_their_fingerprint() {
    let alerts = alert::alertmanager(
        &fixture("grafana_alerting_webhook_firing.json"),
        Source::Grafana,
    )
    .unwrap();
    assert_eq!(alerts[0].source, Source::Grafana);
    assert_eq!(alerts[0].external_id, "c6eadffa33fcdf37");
    assert_eq!(alerts[0].labels["zone"], "us-1");
    assert_eq!(alerts[0].at.to_string(), "2021-10-12T07:51:03.157076Z");
}

#[test]
fn payloads_of_the_wrong_shape_are_refused_naming_the_field() {
    let e = alert::pagerduty(b"{\"event\": {\"event_type\": \"incident.triggered\"}}").unwrap_err();
    assert_eq!(
        e.to_string(),
        "PagerDuty payload: `event.data.id` is missing or not a string"
    );
    let e = alert::pagerduty(b"not json").unwrap_err();
    assert!(matches!(e, AlertError::NotJson(_)), "{e}");
    // An Alertmanager body sent to the PagerDuty endpoint is refused, not half-read.
    assert!(alert::pagerduty(&fixture("alertmanager_v4_firing.json")).is_err());
    let e = alert::alertmanager(
        b"{\"version\": \"3\", \"alerts\": []}",
        Source::Alertmanager,
    )
    .unwrap_err();
    assert!(e.to_string().contains("`version`"), "{e}");
    let e = alert::alertmanager(
        b"{\"version\": \"4\", \"alerts\": [{\"status\": \"firing\", \"labels\": {}, \"startsAt\": \"2020-01-01T00:00:00Z\"}]}",
        Source::Alertmanager,
    )
    .unwrap_err();
    assert!(e.to_string().contains("`alerts.0.labels.alertname`"), "{e}");
    let e = alert::alertmanager(
        b"{\"version\": \"4\", \"alerts\": [{\"status\": \"firing\", \"labels\": {\"alertname\": \"x\"}, \"startsAt\": \"yesterday\"}]}",
        Source::Alertmanager,
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .contains("`alerts.0.startsAt` is missing or not an RFC 3339 time"),
        "{e}"
    );
}

#[test]
fn an_alert_on_a_known_service_opens_the_worked_examples_incident() {
    use amends_core::account;
    use amends_core::playbook::Playbook;
    let pb = Playbook::parse(
        "demo/playbook.toml",
        include_str!("../../../demo/playbook.toml"),
    )
    .unwrap();
    let service = &pb.services["pig208"];
    assert_eq!(
        service.triage_auto_confirm.map(|m| m.get()),
        Some(15),
        "customer steps wait at most 15 minutes for a person"
    );
    let accounts = account::parse_csv(
        "demo/accounts.csv",
        include_str!("../../../demo/accounts.csv"),
        &pb,
    )
    .unwrap();
    let fired = alert::pagerduty(&fixture("pagerduty_v3_incident_triggered.json")).unwrap();
    let spec = alert::incident_spec(&fired, service);
    assert_eq!(spec.id, "PD-PFQZPSY");
    assert_eq!(spec.detected_at, "2021-06-04T13:35:29.781Z");
    assert_eq!(spec.resolved_at, None);
    let incident = spec.check("alert", &pb, &accounts).unwrap();
    let triage = incident.triage.as_ref().expect("an alert opens in triage");
    assert_eq!(triage.opened_by, "PagerDuty alert PFQZPSY");
    let auto: jiff::Timestamp = "2021-06-04T13:50:29.781Z".parse().unwrap();
    assert_eq!(
        incident.customer_gate(),
        CustomerGate::From(auto),
        "customers wait 15 minutes after the alert for a person's confirmation"
    );
    let mut dismissed = spec.clone();
    if let Some(t) = dismissed.triage.as_mut() {
        t.dismissed = Some("a load test".into());
    }
    let dismissed = dismissed.check("alert", &pb, &accounts).unwrap();
    assert_eq!(dismissed.customer_gate(), CustomerGate::Closed);
    let mut waiting = spec.clone();
    if let Some(t) = waiting.triage.as_mut() {
        t.auto_confirm_at = None;
    }
    let waiting = waiting.check("alert", &pb, &accounts).unwrap();
    assert_eq!(waiting.customer_gate(), CustomerGate::Closed);
    let mut confirmed = spec.clone();
    confirmed.triage = None;
    let confirmed = confirmed.check("alert", &pb, &accounts).unwrap();
    assert_eq!(confirmed.customer_gate(), CustomerGate::Open);
    let mut bad = spec.clone();
    if let Some(t) = bad.triage.as_mut() {
        t.auto_confirm_at = Some("soon".into());
    }
    let e = bad.check("alert", &pb, &accounts).unwrap_err().to_string();
    assert!(e.contains("auto_confirm_at"), "{e}");
    let affected = accounts
        .iter()
        .filter(|a| incident.scope.contains(a))
        .count();
    assert_eq!(affected, 180);

    let mut resolved = alert::pagerduty(&fixture("pagerduty_v3_incident_resolved.json")).unwrap();
    resolved.external_id = fired.external_id.clone();
    let closing = alert::incident_spec(&resolved, service);
    assert_eq!(
        closing.id, spec.id,
        "the same alert resolves the same incident"
    );
    assert_eq!(
        closing.resolved_at.as_deref(),
        Some("2021-06-04T13:16:53.816Z")
    );
}
