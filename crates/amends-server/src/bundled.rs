//! The bundled default playbook and the worked example, compiled into the binary so
//! `amends demo` and a fresh `amends serve` need no files.

/// The default playbook (the seed's policy).
pub const PLAYBOOK: &str = include_str!("../../../demo/playbook.toml");
/// The 180 accounts of the worked example.
pub const ACCOUNTS: &str = include_str!("../../../demo/accounts.csv");
/// The worked example's incident.
pub const INCIDENT: &str = include_str!("../../../demo/incident.toml");
