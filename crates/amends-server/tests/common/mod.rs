//! What the server's test files share: the service state over the bundled playbook.

use std::sync::Arc;

use amends_core::playbook::Playbook;
use amends_delivery::Clock;
use amends_server::alerts::AlertSecrets;
use amends_server::{AppState, Lifecycle, bundled, metrics};
use amends_store::Store;

/// The app's state over `store`: the bundled playbook with its compiled templates, `clock`
/// for "now", and the given alert secrets.
pub fn demo_state(store: Store, clock: Arc<dyn Clock>, alert_secrets: AlertSecrets) -> AppState {
    let playbook = Playbook::parse("playbook", bundled::PLAYBOOK).unwrap();
    let templates = amends_messages::compile(
        &playbook,
        "demo/playbook.toml",
        bundled::PLAYBOOK,
        &amends_messages::Library::bundled().unwrap(),
        &mut |p: &str| Err(p.to_string()),
    )
    .unwrap()
    .templates;
    AppState {
        lifecycle: Lifecycle {
            store,
            playbook: Arc::new(playbook),
            templates: Arc::new(templates),
            clock,
        },
        metrics: metrics::Metrics::new(),
        alert_secrets: Arc::new(alert_secrets),
    }
}

/// A store on `url` with the demo's 180 accounts imported, as an operator's first import
/// leaves it.
pub async fn store_with_demo_accounts(url: &str) -> Store {
    let store = Store::connect(url).await.unwrap();
    let playbook = Playbook::parse("playbook", bundled::PLAYBOOK).unwrap();
    let accounts = amends_core::account::parse_csv(
        "demo/accounts.csv",
        include_str!("../../../../demo/accounts.csv"),
        &playbook,
    )
    .unwrap();
    assert_eq!(accounts.len(), 180, "the demo has 180 accounts");
    let specs: Vec<amends_core::account::AccountSpec> = accounts.iter().map(Into::into).collect();
    store.upsert_accounts(&specs, "test").await.unwrap();
    store
}
