//! The bundled worked example (compiled into the binary by amends-server's `bundled`), so
//! `amends demo` needs no files.

use amends_core::account::{self, Account};
use amends_core::incident::Incident;
use amends_core::playbook::Playbook;
use amends_server::bundled;

/// Parses the bundled files. They are tested, so an error here is a build defect, reported
/// like any other input error rather than a panic.
pub fn load() -> anyhow::Result<(Playbook, Vec<Account>, Incident)> {
    let pb = Playbook::parse("demo/playbook.toml", bundled::PLAYBOOK)?;
    let accounts = account::parse_csv("demo/accounts.csv", bundled::ACCOUNTS, &pb)?;
    let incident = Incident::parse_toml("demo/incident.toml", bundled::INCIDENT, &pb, &accounts)?;
    Ok((pb, accounts, incident))
}
