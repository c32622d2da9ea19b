//! Email delivered over real SMTP to a real SMTP server on loopback (aiosmtpd from PyPI,
//! started here, writing what it receives to a maildir): the worked example's 180
//! acknowledgments go out at 10:30 New York time in simulated time, not a minute before, each
//! with the Message-ID of its key, and queuing them again sends nothing twice.

mod common;

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use amends_delivery::email::{EmailChannel, Security, SmtpConfig, message_id};
use amends_delivery::{Channel, ManualClock, RetryPolicy, Worker};
use common::smtp::{SmtpServer, header};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_worked_examples_acknowledgments_reach_a_real_smtp_server_at_10_30() {
    let server = SmtpServer::start();
    let acks: Vec<_> = common::demo_jobs(true)
        .jobs
        .into_iter()
        .filter(|j| j.key.contains("/ack_email/"))
        .collect();
    assert_eq!(acks.len(), 180);

    let (store, file) = common::sqlite_store("email-acks").await;
    store.enqueue(&acks).await.unwrap();
    let clock = Arc::new(ManualClock::new(
        "2024-10-15T10:29:00-04:00".parse().unwrap(),
    ));
    let email: Arc<dyn Channel> = Arc::new(
        EmailChannel::new(SmtpConfig {
            host: "127.0.0.1".into(),
            port: server.port,
            security: Security::Plain,
            credentials: None,
            from: "Dana Whitfield <dana.whitfield@example.com>".into(),
            message_id_domain: "amends.example.com".into(),
            timeout: Duration::from_secs(10),
            connections: 3,
        })
        .unwrap(),
    );
    let worker = Worker::new(
        store.clone(),
        vec![email],
        clock.clone(),
        RetryPolicy::default(),
    );

    // 10:29: nothing is due yet.
    assert_eq!(worker.drain().await.unwrap().claimed, 0);
    assert!(server.messages().is_empty());
    // 10:30: all 180 go out.
    clock.set("2024-10-15T10:30:00-04:00".parse().unwrap());
    let round = worker.drain().await.unwrap();
    assert_eq!((round.delivered, round.retrying, round.dead), (180, 0, 0));

    let received = server.messages();
    assert_eq!(received.len(), 180);
    let northwind = received
        .iter()
        .find(|m| {
            header(m, "To").is_some_and(|t| t.contains("alex.nguyen@northwindanalytics.example"))
        })
        .expect("Northwind's acknowledgment");
    assert_eq!(
        header(northwind, "Message-ID"),
        Some(
            message_id(
                "INC-2024-1015/acct-0001/ack_email/1/0",
                "amends.example.com"
            )
            .as_str()
        )
    );
    assert!(
        header(northwind, "From")
            .unwrap()
            .contains("dana.whitfield@example.com")
    );
    assert!(
        header(northwind, "Subject")
            .unwrap()
            .contains("unavailable since 10:00 AM EDT"),
        "{northwind}"
    );
    assert!(
        northwind.contains("Next update: 11:00 AM EDT by email"),
        "{northwind}"
    );
    let ids: std::collections::BTreeSet<&str> = received
        .iter()
        .filter_map(|m| header(m, "Message-ID"))
        .collect();
    assert_eq!(ids.len(), 180, "one Message-ID per message");
    // Regression: lettre's pool opened a connection for every concurrent send (the worker
    // sends a batch of 100 at once) and closed the surplus. aiosmtpd stamps each message with
    // the client's address and port, one per connection.
    let connections: std::collections::BTreeSet<&str> = received
        .iter()
        .filter_map(|m| header(m, "X-Peer"))
        .collect();
    assert!(
        (1..=3).contains(&connections.len()),
        "180 messages over the 3 configured connections, not {}",
        connections.len()
    );

    // A re-plan queues the same messages again: nothing is sent twice.
    let again = store.enqueue(&acks).await.unwrap();
    assert_eq!(again.already_delivered, 180);
    assert_eq!(worker.drain().await.unwrap().claimed, 0);
    assert_eq!(server.messages().len(), 180);
    let _ = std::fs::remove_file(&file);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_smtp_server_is_retried_and_nothing_is_lost() {
    // A port nobody listens on.
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap();
    let (store, file) = common::sqlite_store("email-down").await;
    store
        .enqueue(&[amends_store::NewJob {
            key: "INC-1/acct-1/ack_email/1/0".into(),
            incident_id: "INC-1".into(),
            channel: "email".into(),
            due_ms: 0,
            payload:
                serde_json::json!({"to": "a@b.example", "name": "A", "subject": "S", "body": "B"})
                    .to_string(),
        }])
        .await
        .unwrap();
    let clock = Arc::new(ManualClock::new("2024-10-15T14:00:00Z".parse().unwrap()));
    let email: Arc<dyn Channel> = Arc::new(
        EmailChannel::new(SmtpConfig {
            host: "127.0.0.1".into(),
            port,
            security: Security::Plain,
            credentials: None,
            from: "Dana Whitfield <dana.whitfield@example.com>".into(),
            message_id_domain: "amends.example.com".into(),
            timeout: Duration::from_secs(2),
            connections: amends_delivery::email::DEFAULT_CONNECTIONS,
        })
        .unwrap(),
    );
    let worker = Worker::new(store.clone(), vec![email], clock, RetryPolicy::default());
    let round = worker.drain().await.unwrap();
    assert_eq!(
        (round.retrying, round.dead),
        (1, 0),
        "a refused connection is retried"
    );
    let counts = store.outbox_counts().await.unwrap();
    assert_eq!(
        (counts.queued, counts.delivered),
        (1, 0),
        "and still queued"
    );
    let _ = std::fs::remove_file(&file);
}
