//! Durable deliveries per second through amends' outbox: queue `JOBS` signed webhooks in a
//! store, then time one worker delivering them all to `SINK_URL` (a job counts once its
//! delivery is recorded: key in `outbox_delivered`, job deleted, committed). Run by
//! `bench/outbox-vs-graphile.sh`, which compares it with graphile-worker on the same database
//! server and the same sink.
//!
//! ```text
//! outbox_bench DATABASE_URL SINK_URL|noop [JOBS] [--batch N] [--parallel N] [--lease-ms N]
//! ```
//!
//! `noop` replaces the webhook channel with one that succeeds at once: the queue's own cost.
//! Prints one JSON line: what was measured and the store's counts afterwards.

use std::sync::Arc;
use std::time::{Duration, Instant};

use amends_delivery::channel::Delivery;
use amends_delivery::webhook::{SigningSecret, WebhookChannel};
use amends_delivery::{Channel, Clock, RetryPolicy, SystemClock, Worker};
use amends_store::{Backend, Job, NewJob, Store};

/// The Standard Webhooks specification's example secret (the sink does not verify it).
const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// Succeeds at once, under the webhook channel's name.
struct Noop;

impl Channel for Noop {
    fn name(&self) -> &str {
        "webhook"
    }

    fn deliver<'a>(&'a self, _job: &'a Job) -> Delivery<'a> {
        Box::pin(async { Ok(None) })
    }
}

struct Args {
    database: String,
    sink: Option<String>,
    jobs: usize,
    /// `--batch`, `--parallel`, `--lease-ms`: the worker's defaults unless given.
    tuning: std::collections::HashMap<String, i64>,
}

fn args() -> Result<Args, String> {
    let usage = "usage: outbox_bench DATABASE_URL SINK_URL|noop [JOBS] [--batch N] [--parallel N] [--lease-ms N]";
    let mut positional = Vec::new();
    let mut named = std::collections::HashMap::new();
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.strip_prefix("--") {
            Some(name) => {
                let value = it.next().ok_or(usage)?;
                let n: i64 = value
                    .parse()
                    .map_err(|_| format!("--{name} {value:?}: {usage}"))?;
                named.insert(name.to_string(), n);
            }
            None => positional.push(a),
        }
    }
    let mut positional = positional.into_iter();
    let database = positional.next().ok_or(usage)?;
    let sink = positional.next().ok_or(usage)?;
    let jobs = match positional.next() {
        Some(n) => n.parse().map_err(|_| format!("JOBS {n:?}: {usage}"))?,
        None => 100_000,
    };
    if let Some(unknown) = named
        .keys()
        .find(|k| !["batch", "parallel", "lease-ms"].contains(&k.as_str()))
    {
        return Err(format!("unknown option --{unknown}: {usage}"));
    }
    Ok(Args {
        database,
        sink: (sink != "noop").then_some(sink),
        jobs,
        tuning: named,
    })
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = args()?;
    let store = Store::connect(&args.database).await?;
    let clock = Arc::new(SystemClock);
    let now = clock.now_ms();
    let url = args
        .sink
        .clone()
        .unwrap_or_else(|| "http://0.0.0.0/unused".into());
    let jobs: Vec<NewJob> = (0..args.jobs)
        .map(|i| NewJob {
            key: format!("BENCH/acct-{i:06}/ack_email/1/0"),
            incident_id: "BENCH".into(),
            channel: "webhook".into(),
            due_ms: now,
            payload: serde_json::json!({
                "url": url,
                "body": {"account": format!("acct-{i:06}"), "text": "Your team could not sign in."}
            })
            .to_string(),
        })
        .collect();
    let started = Instant::now();
    for chunk in jobs.chunks(10_000) {
        store.enqueue(chunk).await?;
    }
    let enqueue_s = started.elapsed().as_secs_f64();

    let channel: Arc<dyn Channel> = match &args.sink {
        Some(_) => Arc::new(WebhookChannel::new(
            SigningSecret::parse(SECRET)?,
            clock.clone(),
            Duration::from_secs(10),
        )),
        None => Arc::new(Noop),
    };
    let mut worker = Worker::new(store.clone(), vec![channel], clock, RetryPolicy::default());
    let tuning = |name: &str| args.tuning.get(name).copied();
    worker.batch = tuning("batch").unwrap_or(worker.batch);
    worker.lease_ms = tuning("lease-ms").unwrap_or(worker.lease_ms);
    if let Some(n) = tuning("parallel") {
        worker.parallel = usize::try_from(n)?;
    }
    let started = Instant::now();
    let round = worker.drain().await?;
    let run_s = started.elapsed().as_secs_f64();

    let counts = store.outbox_counts().await?;
    let backend = match store.backend() {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    println!(
        "{}",
        serde_json::json!({
            "system": "amends",
            "backend": backend,
            "jobs": args.jobs,
            "batch": worker.batch,
            "parallel": worker.parallel,
            "enqueue_s": enqueue_s,
            "run_s": run_s,
            "per_s": round.delivered as f64 / run_s,
            "delivered": round.delivered,
            "failed": round.retrying + round.dead,
            "recorded": counts.delivered,
            "left": counts.queued + counts.sending + counts.dead,
        })
    );
    Ok(())
}
