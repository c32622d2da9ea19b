//! The delivery engine inside `amends serve`: the channels the configuration names, one
//! worker delivering what is due, and the deadline watchdog, ticking on a clock. Lifecycle
//! changes put jobs in the outbox (in the same transaction as the plan); this only drains it.
//!
//! Several `amends serve` replicas on one PostgreSQL database each run an engine: claims use
//! `FOR UPDATE SKIP LOCKED`, so none sends what another holds.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use amends_delivery::deadlines::{self, DeadlinePolicy};
use amends_delivery::email::{EmailChannel, Security, SmtpConfig};
use amends_delivery::pagerduty::{PagerDutyChannel, RoutingKey};
use amends_delivery::slack::{SlackChannel, WebhookUrl};
use amends_delivery::status_page::{StatusPageChannel, StatusPageSettings};
use amends_delivery::statuspage::Statuspage;
use amends_delivery::task::TaskChannel;
use amends_delivery::worker::Round;
use amends_delivery::{Channel, Clock, RetryPolicy, Worker};
use amends_store::{DeadlineMiss, IncidentStatus, PageRequest, Store, StoreError};

use crate::Lifecycle;
use crate::config::DeliveryConfig;

/// Longest wait for any one delivery: well under the worker's lease, so a slow recipient is
/// given up on (and retried) before another worker could claim the same job.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(20);

/// Why the engine could not start.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// A channel's settings are unusable.
    #[error("delivery.{channel}: {message}")]
    Channel {
        /// Which.
        channel: &'static str,
        /// Why.
        message: String,
    },
}

/// The worker, the watchdog and how often they look.
pub struct Engine {
    worker: Worker,
    store: Store,
    clock: Arc<dyn Clock>,
    deadlines: DeadlinePolicy,
    poll: Duration,
    /// Extends open incidents' repeating steps, when the engine has the lifecycle.
    cadence: Option<Cadence>,
    /// When the deadline watchdog last looked.
    last_deadline_check: tokio::sync::Mutex<Option<jiff::Timestamp>>,
    /// The channels configured, by name, for the start-up banner.
    pub channels: Vec<String>,
}

/// The repeating steps of open incidents ("every 15 minutes while unresolved"): a plan reaches
/// only the next occurrence after it was made, so each tick extends those whose last planned
/// occurrence has come.
struct Cadence {
    lifecycle: Lifecycle,
    /// Per incident: the version last extended, and when it needs extending again.
    next: tokio::sync::Mutex<HashMap<String, (i64, Option<jiff::Timestamp>)>>,
}

/// How often the deadline watchdog looks.
const DEADLINE_CHECK_EVERY: jiff::SignedDuration = jiff::SignedDuration::from_secs(1);

/// How long an incident whose extension failed waits before the next try.
const EXTEND_RETRY: jiff::SignedDuration = jiff::SignedDuration::from_secs(60);

/// What one tick did.
#[derive(Debug, Default)]
pub struct Tick {
    /// Deliveries.
    pub round: Round,
    /// Deadline alarms raised.
    pub alarms: Vec<DeadlineMiss>,
}

impl Engine {
    /// An engine with the channels `config` describes. Tasks for people are always on: a
    /// call, a text or a chat message with no provider becomes a task, never dropped.
    pub fn new(
        config: &DeliveryConfig,
        store: Store,
        clock: Arc<dyn Clock>,
    ) -> Result<Engine, EngineError> {
        let mut channels: Vec<Arc<dyn Channel>> = vec![Arc::new(TaskChannel::new(store.clone()))];
        if let Some(smtp) = &config.smtp {
            let security = match smtp.security.as_str() {
                "plain" => Security::Plain,
                "starttls" => Security::StartTls,
                "tls" => Security::Tls,
                other => {
                    return Err(EngineError::Channel {
                        channel: "smtp",
                        message: format!("security {other:?} is not one of starttls, tls, plain"),
                    });
                }
            };
            let domain = smtp
                .from
                .rsplit('@')
                .next()
                .map(|d| d.trim_end_matches('>').to_string())
                .unwrap_or_else(|| "amends.invalid".to_string());
            let channel = EmailChannel::new(SmtpConfig {
                host: smtp.host.clone(),
                port: smtp.port,
                security,
                credentials: match (&smtp.username, &smtp.password) {
                    (Some(u), Some(p)) => Some((u.clone(), p.expose().to_string())),
                    _ => None,
                },
                from: smtp.from.clone(),
                message_id_domain: domain,
                timeout: DELIVERY_TIMEOUT,
                connections: smtp.connections,
            })
            .map_err(|e| EngineError::Channel {
                channel: "smtp",
                message: e.to_string(),
            })?;
            channels.push(Arc::new(channel));
        }
        if !config.slack.is_empty() {
            let targets: HashMap<String, WebhookUrl> = config
                .slack
                .iter()
                .map(|(target, url)| (target.clone(), WebhookUrl::new(url.expose())))
                .collect();
            channels.push(Arc::new(SlackChannel::new(targets, DELIVERY_TIMEOUT)));
        }
        if let Some(pd) = &config.pagerduty {
            channels.push(Arc::new(PagerDutyChannel::new(
                pd.url.clone(),
                RoutingKey::new(pd.routing_key.expose()),
                DELIVERY_TIMEOUT,
            )));
        }
        let names = channels.iter().map(|c| c.name().to_string()).collect();
        let worker = Worker::new(
            store.clone(),
            channels,
            clock.clone(),
            RetryPolicy::default(),
        );
        Ok(Engine {
            worker,
            store,
            clock,
            deadlines: DeadlinePolicy {
                grace_ms: config.grace_minutes * 60_000,
                at_risk_ms: config.at_risk_minutes * 60_000,
                alarm_target: config.alarm_target.clone(),
            },
            poll: Duration::from_millis(config.poll_ms.max(10)),
            cadence: None,
            last_deadline_check: Default::default(),
            channels: names,
        })
    }

    /// Adds the built-in status page (and its Statuspage mirror, if configured).
    pub fn with_status_page(
        self,
        settings: Arc<StatusPageSettings>,
    ) -> Result<Engine, EngineError> {
        let mirror = settings
            .statuspage
            .clone()
            .map(|c| Statuspage::new(c, self.store.clone(), DELIVERY_TIMEOUT))
            .transpose()
            .map_err(|e| EngineError::Channel {
                channel: "statuspage",
                message: e.to_string(),
            })?;
        let channel =
            StatusPageChannel::new(self.store.clone(), settings, self.clock.clone(), mirror)
                .map_err(|e| EngineError::Channel {
                    channel: "status_page",
                    message: e.to_string(),
                })?;
        Ok(self.with_channel(Arc::new(channel)))
    }

    /// Lets the engine extend open incidents' repeating steps as time passes (`amends serve`
    /// always does; without it an open incident's status updates stop after the first).
    pub fn with_lifecycle(mut self, lifecycle: Lifecycle) -> Engine {
        self.cadence = Some(Cadence {
            lifecycle,
            next: Default::default(),
        });
        self
    }

    /// Extends the plans of open incidents whose last planned repeat has come. A failure is
    /// logged and tried again a minute later; it never stops deliveries.
    async fn extend_open_incidents(&self) -> Result<(), StoreError> {
        let Some(cadence) = &self.cadence else {
            return Ok(());
        };
        let now = self.clock.now();
        let mut next = cadence.next.lock().await;
        let mut page = PageRequest {
            after: None,
            limit: 500,
        };
        let mut open = std::collections::HashSet::new();
        loop {
            let rows = self.store.list_incidents(&page).await?;
            for row in rows
                .items
                .iter()
                .filter(|r| r.status == IncidentStatus::Open)
            {
                open.insert(row.id.clone());
                let due = match next.get(&row.id) {
                    Some((version, when)) if *version == row.version => {
                        when.is_some_and(|t| t <= now)
                    }
                    // New, changed (its change queued a fresh plan) or unseen since start.
                    _ => true,
                };
                if !due {
                    continue;
                }
                let when = match cadence.lifecycle.extend(&row.id).await {
                    Ok(when) => when,
                    Err(e) => {
                        tracing::error!(incident = %row.id, error = %e, "extending the plan failed; retrying in a minute");
                        now.checked_add(EXTEND_RETRY).ok()
                    }
                };
                next.insert(row.id.clone(), (row.version, when));
            }
            match rows.next {
                Some(after) => page.after = Some(after),
                None => break,
            }
        }
        next.retain(|id, _| open.contains(id));
        Ok(())
    }

    /// Adds a channel (a test's sink).
    pub fn with_channel(mut self, channel: Arc<dyn Channel>) -> Engine {
        self.channels.push(channel.name().to_string());
        self.worker.add_channel(channel);
        self
    }

    /// Extends open incidents' plans, delivers everything due now, then checks the deadlines:
    /// one step of simulated time in tests.
    pub async fn tick(&self) -> Result<Tick, StoreError> {
        self.extend_open_incidents().await?;
        self.deliver().await
    }

    /// Delivers everything due now, then checks the deadlines.
    async fn deliver(&self) -> Result<Tick, StoreError> {
        let round = self.worker.drain().await?;
        // Deadlines are minutes apart: looking once a second is plenty, and a look reads
        // every pending step, which a busy queue should not pay for on each short poll.
        let now = self.clock.now();
        {
            let mut last = self.last_deadline_check.lock().await;
            if last.is_some_and(|t| now.duration_since(t) < DEADLINE_CHECK_EVERY) {
                return Ok(Tick {
                    round,
                    alarms: Vec::new(),
                });
            }
            *last = Some(now);
        }
        let alarms = deadlines::check(&self.store, self.clock.as_ref(), &self.deadlines).await?;
        if !alarms.is_empty() {
            // The alarms themselves are due now.
            self.worker.drain().await?;
        }
        Ok(Tick { round, alarms })
    }

    /// Runs until `stop` completes: deliveries and plan extensions in two tasks side by side,
    /// so re-rendering a large incident's messages (CPU work, on a thread of its own) never
    /// holds up what is due. A store failure is logged and retried on the next round.
    pub async fn run(self, stop: impl std::future::Future<Output = ()>) {
        let engine = Arc::new(self);
        let extending = tokio::spawn({
            let engine = engine.clone();
            async move {
                loop {
                    if let Err(e) = engine.extend_open_incidents().await {
                        tracing::error!(error = %e, "extending open incidents failed; retrying");
                    }
                    tokio::time::sleep(engine.poll.max(Duration::from_secs(1))).await;
                }
            }
        });
        let delivering = async {
            loop {
                if let Err(e) = engine.deliver().await {
                    tracing::error!(error = %e, "delivery tick failed; retrying");
                }
                tokio::time::sleep(engine.poll).await;
            }
        };
        tokio::select! {
            () = stop => {}
            () = delivering => {}
        }
        extending.abort();
    }
}
