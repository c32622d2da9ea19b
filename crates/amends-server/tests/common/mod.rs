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
