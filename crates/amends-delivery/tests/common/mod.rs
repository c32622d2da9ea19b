//! What the delivery tests share: the worked example's plan as outbox jobs, and a fresh
//! SQLite store.

#![allow(dead_code)] // each test file uses a part

pub mod smtp;

use amends_core::account;
use amends_core::incident::{Incident, Triage};
use amends_core::plan;
use amends_core::playbook::Playbook;
use amends_delivery::plan_jobs::{PlanJobs, plan_jobs};
use amends_messages::{Composer, Library, Rca, compile};
use amends_store::Store;

const PLAYBOOK: &str = include_str!("../../../../demo/playbook.toml");
const ACCOUNTS: &str = include_str!("../../../../demo/accounts.csv");
const INCIDENT: &str = include_str!("../../../../demo/incident.toml");
const RCA: &str = include_str!("../../../../demo/rca.toml");

/// The worked example planned a week after the outage, as jobs; with or without its
/// root-cause summary.
pub fn demo_jobs(with_summary: bool) -> PlanJobs {
    demo_jobs_in_triage(with_summary, None)
}

/// The worked example's jobs, as if an alert had opened it and it were still in `triage`.
pub fn demo_jobs_in_triage(with_summary: bool, triage: Option<Triage>) -> PlanJobs {
    let pb = Playbook::parse("demo/playbook.toml", PLAYBOOK).unwrap();
    let accounts = account::parse_csv("demo/accounts.csv", ACCOUNTS, &pb).unwrap();
    let mut incident =
        Incident::parse_toml("demo/incident.toml", INCIDENT, &pb, &accounts).unwrap();
    incident.triage = triage;
    let as_of = "2024-10-28T13:00:00Z".parse().unwrap();
    let plan = plan::plan(&pb, &accounts, &incident, as_of).unwrap();
    let checked = compile(
        &pb,
        "demo/playbook.toml",
        PLAYBOOK,
        &Library::bundled().unwrap(),
        &mut |p: &str| Err(p.to_string()),
    )
    .unwrap();
    let rca = Rca::parse_toml("demo/rca.toml", RCA).unwrap();
    let composer = Composer::new(&plan, &checked.templates, with_summary.then_some(&rca));
    plan_jobs(&plan, &composer)
}

/// The worked example's jobs on one channel.
pub fn demo_jobs_on(channel: &str) -> Vec<amends_store::NewJob> {
    demo_jobs(true)
        .jobs
        .into_iter()
        .filter(|j| j.channel == channel)
        .collect()
}

/// A store on a new SQLite file, and the file to remove afterwards.
pub async fn sqlite_store(name: &str) -> (Store, std::path::PathBuf) {
    let file = std::env::temp_dir().join(format!("amends-{name}-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&file);
    let store = Store::connect(&format!("sqlite:{}", file.display()))
        .await
        .unwrap();
    (store, file)
}
