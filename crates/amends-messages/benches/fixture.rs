//! The worked example scaled up: the demo's account rows repeated under new ids, with the
//! demo playbook, incident and root-cause summary. Shared by the criterion bench and the
//! `render_million` example so both measure the same messages.

use amends_core::account::{self, Account};
use amends_core::incident::Incident;
use amends_core::playbook::Playbook;
use amends_messages::{Checked, Library, Rca, compile};

const PLAYBOOK: &str = include_str!("../../../demo/playbook.toml");
const ACCOUNTS: &str = include_str!("../../../demo/accounts.csv");
const INCIDENT: &str = include_str!("../../../demo/incident.toml");
const RCA: &str = include_str!("../../../demo/rca.toml");

/// Everything a composer needs, owned.
pub struct Fixture {
    /// The demo playbook.
    pub playbook: Playbook,
    /// The synthetic accounts.
    pub accounts: Vec<Account>,
    /// The demo incident (all Enterprise and Growth accounts).
    pub incident: Incident,
    /// The demo playbook's templates, compiled.
    pub checked: Checked,
    /// The demo's root-cause summary.
    pub rca: Rca,
}

/// `n` accounts cycling through the demo's rows (and so its tiers, zones and locales). With
/// `distinct`, every account's company and contact are named apart ("Northwind Analytics 17",
/// "Alex17b Nguyen"), so that no sentence holding a name is shared between accounts, as in a
/// real incident (the linter reads a sentence it has seen before from its cache).
pub fn fixture(n: usize, distinct: bool) -> Result<Fixture, Box<dyn std::error::Error>> {
    let playbook = Playbook::parse("demo/playbook.toml", PLAYBOOK)?;
    let mut lines = ACCOUNTS.lines();
    let mut csv = String::with_capacity(n * 200);
    csv.push_str(lines.next().unwrap_or_default());
    csv.push('\n');
    let rows: Vec<&str> = lines.collect();
    for i in 0..n {
        let row = rows[i % rows.len()];
        let rest = row.split_once(',').map_or(row, |(_, r)| r);
        if distinct {
            // name and contact_name are the first and eighth columns after the id.
            let mut fields: Vec<String> = rest.split(',').map(str::to_string).collect();
            fields[0] = format!("{} {i}", fields[0]);
            fields[7] = fields[7].replacen(' ', &format!("{i}b "), 1);
            csv.push_str(&format!("acct-{i:07},{}\n", fields.join(",")));
        } else {
            csv.push_str(&format!("acct-{i:07},{rest}\n"));
        }
    }
    let accounts = account::parse_csv("synthetic.csv", &csv, &playbook)?;
    let incident = Incident::parse_toml("demo/incident.toml", INCIDENT, &playbook, &accounts)?;
    let checked = compile(
        &playbook,
        "demo/playbook.toml",
        PLAYBOOK,
        &Library::bundled()?,
        &mut |p: &str| Err(p.to_string()),
    )?;
    let rca = Rca::parse_toml("demo/rca.toml", RCA)?;
    Ok(Fixture {
        playbook,
        accounts,
        incident,
        checked,
        rca,
    })
}
