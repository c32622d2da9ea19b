//! Renders and lints a million messages on one thread: the worked example's four account
//! emails for 250,000 synthetic accounts (the demo's 180 rows repeated with new ids), each
//! rendered for its contact's zone and locale and linted. Prints messages per second.
//!
//! `cargo run --release -p amends-messages --example render_million [ACCOUNTS]`

use std::time::Instant;

use amends_core::account;
use amends_core::incident::Incident;
use amends_core::plan::{self, Due};
use amends_core::playbook::Playbook;
use amends_messages::{Composer, Library, Rca, compile};

const PLAYBOOK: &str = include_str!("../../../demo/playbook.toml");
const ACCOUNTS: &str = include_str!("../../../demo/accounts.csv");
const INCIDENT: &str = include_str!("../../../demo/incident.toml");
const RCA: &str = include_str!("../../../demo/rca.toml");

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(250_000);
    let playbook = Playbook::parse("demo/playbook.toml", PLAYBOOK)?;
    let mut csv = String::with_capacity(n * 200);
    let mut rows = ACCOUNTS.lines();
    csv.push_str(rows.next().unwrap_or_default());
    csv.push('\n');
    let rows: Vec<&str> = rows.collect();
    for i in 0..n {
        let row = rows[i % rows.len()];
        let rest = row.split_once(',').map_or(row, |(_, r)| r);
        csv.push_str(&format!("acct-{i:07},{rest}\n"));
    }
    let accounts = account::parse_csv("synthetic.csv", &csv, &playbook)?;
    let incident = Incident::parse_toml("demo/incident.toml", INCIDENT, &playbook, &accounts)?;
    let as_of = "2024-10-28T13:00:00Z".parse()?;
    let plan = plan::plan(&playbook, &accounts, &incident, as_of)?;
    let checked = compile(
        &playbook,
        "demo/playbook.toml",
        PLAYBOOK,
        &Library::bundled()?,
        &mut |p: &str| Err(p.to_string()),
    )?;
    let rca = Rca::parse_toml("demo/rca.toml", RCA)?;
    let composer = Composer::new(&plan, &checked.templates, Some(&rca));
    let steps: Vec<usize> = plan
        .account_messages()
        .filter(|(_, m)| matches!(m.due, Due::At(_)))
        .map(|(i, _)| i)
        .collect();

    let started = Instant::now();
    let (mut messages, mut bytes, mut findings) = (0u64, 0u64, 0u64);
    for a in 0..plan.accounts.len() {
        for &m in &steps {
            let r = composer.account_message(a, m, 0)?;
            messages += 1;
            bytes += r.body.len() as u64;
            findings += r.findings.len() as u64;
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{messages} messages ({} accounts × {} steps), {:.1} MB of text, {findings} findings, {secs:.2} s on one thread: {:.0} messages/s",
        plan.accounts.len(),
        steps.len(),
        bytes as f64 / 1e6,
        messages as f64 / secs
    );
    Ok(())
}
