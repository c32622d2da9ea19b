//! Plans the worked example over N synthetic accounts once and prints the time taken, for
//! measuring peak memory with `/usr/bin/time -v` (criterion measures time, not memory).
//!
//! `cargo run --release -p amends-core --example plan_synthetic -- 1000000`

use std::time::Instant;

use amends_core::incident::Incident;
use amends_core::plan::plan;
use amends_core::playbook::Playbook;

#[path = "../benches/synthetic.rs"]
mod synthetic;

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let playbook = Playbook::parse(
        "demo/playbook.toml",
        include_str!("../../../demo/playbook.toml"),
    )
    .expect("demo playbook");
    let started = Instant::now();
    let accounts = synthetic::accounts(n);
    let generated = started.elapsed();
    let incident = Incident::parse_toml(
        "demo/incident.toml",
        include_str!("../../../demo/incident.toml"),
        &playbook,
        &accounts,
    )
    .expect("demo incident");
    let as_of = incident.anchors.resolution.expect("resolved");
    let started = Instant::now();
    let p = plan(&playbook, &accounts, &incident, as_of).expect("plan");
    let planned = started.elapsed();
    let credits: usize = p
        .accounts
        .iter()
        .filter(|a| !a.decision.credit.is_zero())
        .count();
    println!(
        "accounts {n}: generated in {:.2?}, planned in {:.2?} ({} affected, {credits} with credit, severity {})",
        generated,
        planned,
        p.accounts.len(),
        p.severity().id
    );
}
