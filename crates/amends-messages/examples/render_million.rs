//! Renders and lints a million messages on one thread: the worked example's four account
//! emails for 250,000 synthetic accounts (the demo's 180 rows repeated with new ids), each
//! rendered for its contact's zone and locale and linted. Prints messages per second.
//!
//! `cargo run --release -p amends-messages --example render_million [ACCOUNTS] [--distinct]`
//!
//! With `--distinct`, every account's company and contact have names of their own (the demo's
//! 180 rows otherwise repeat, and the linter's sentence cache then holds every sentence that
//! names them).

#[path = "../benches/fixture.rs"]
mod fixture;

use std::time::Instant;

use amends_core::plan::{self, Due};
use amends_messages::Composer;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let distinct = args.iter().any(|a| a == "--distinct");
    let n: usize = args
        .iter()
        .find(|a| !a.starts_with("--"))
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(250_000);
    let f = fixture::fixture(n, distinct)?;
    let as_of = "2024-10-28T13:00:00Z".parse()?;
    let plan = plan::plan(&f.playbook, &f.accounts, &f.incident, as_of)?;
    let composer = Composer::new(&plan, &f.checked.templates, Some(&f.rca));
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
