//! Synthetic accounts for benchmarks: the demo playbook's tiers, a spread of fees, currencies
//! and time zones, deterministic so every run plans the same population.

use amends_core::account::{Account, Contact};
use amends_core::domain::{Channel, Key};
use amends_core::money::{Currency, Money};
use amends_core::time::Zone;

/// `n` accounts: 1 in 6 Enterprise, the rest Growth, as in the worked example.
pub fn accounts(n: usize) -> Vec<Account> {
    let zones: Vec<Zone> = [
        "America/New_York",
        "America/Los_Angeles",
        "Europe/London",
        "Europe/Berlin",
        "Asia/Tokyo",
        "Australia/Sydney",
    ]
    .iter()
    .map(|z| z.parse().expect("zone"))
    .collect();
    let currencies: Vec<Currency> = ["USD", "EUR", "GBP"]
        .iter()
        .map(|c| c.parse().expect("currency"))
        .collect();
    let enterprise = Key::parse("tier", "enterprise").expect("tier");
    let growth = Key::parse("tier", "growth").expect("tier");
    let sla = Key::parse("sla", "enterprise_9999").expect("sla");
    (0..n)
        .map(|i| {
            let is_enterprise = i % 6 == 0;
            let currency = currencies[i % currencies.len()];
            let fee = if is_enterprise {
                8_000 + (i * 1375) % 17_000
            } else {
                900 + (i * 173) % 2_600
            };
            Account {
                id: format!("acct-{i:07}").parse().expect("id"),
                name: format!("Company {i}"),
                tier: if is_enterprise {
                    enterprise.clone()
                } else {
                    growth.clone()
                },
                segment: None,
                monthly_fee: Money::parse(&format!("{fee}.00"), currency).expect("fee"),
                sla: (i % 50 == 0).then(|| sla.clone()),
                owner: None,
                contacts: vec![Contact {
                    name: format!("Contact {i}"),
                    email: Some(format!("ops{i}@example.com")),
                    phone: None,
                    preferred_channel: Channel::Email,
                    zone: zones[i % zones.len()].clone(),
                    locale: Default::default(),
                }],
            }
        })
        .collect()
}
