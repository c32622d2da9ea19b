//! The bundled worked example, compiled into the binary so `amends demo` needs no files:
//! the default playbook, the 180 affected companies and the 4-hour outage of the seed.

use amends_core::account::{self, Account};
use amends_core::incident::Incident;
use amends_core::playbook::Playbook;

/// The default playbook.
pub const PLAYBOOK: &str = include_str!("../../../demo/playbook.toml");
/// The demo accounts.
pub const ACCOUNTS: &str = include_str!("../../../demo/accounts.csv");
/// The demo incident.
pub const INCIDENT: &str = include_str!("../../../demo/incident.toml");

/// Parses the bundled files. They are tested, so an error here is a build defect, reported
/// like any other input error rather than a panic.
pub fn load() -> anyhow::Result<(Playbook, Vec<Account>, Incident)> {
    let pb = Playbook::parse("demo/playbook.toml", PLAYBOOK)?;
    let accounts = account::parse_csv("demo/accounts.csv", ACCOUNTS, &pb)?;
    let incident = Incident::parse_toml("demo/incident.toml", INCIDENT, &pb, &accounts)?;
    Ok((pb, accounts, incident))
}
