//! The store-backed commands: `serve`, `token`, `incident`, `accounts import`, `audit verify`.
//! They use the same lifecycle service as the HTTP API, so a change made from the command line
//! is planned, versioned and audited exactly like one made over HTTP.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use amends_core::account;
use amends_core::incident::IncidentSpec;
use amends_core::playbook::Playbook;
use amends_delivery::status_page::{LinkSecret, StatusPageSettings};
use amends_server::auth::{self, Role};
use amends_server::config::Config;
use amends_server::lifecycle::{IncidentPatch, Reopen, Resolve};
use amends_server::{AppState, Lifecycle, bundled, metrics};
use amends_store::Store;
use anyhow::{Context as _, bail};
use clap::Subcommand;

/// `amends token …`
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token. It is printed once; only its hash is stored.
    Create {
        /// viewer, agent, approver or admin.
        #[arg(long)]
        role: String,
        /// The playbook person this token acts as (needed to approve as the named approver).
        #[arg(long)]
        person: Option<String>,
        /// A label for people (who or what uses it).
        #[arg(long, default_value = "cli")]
        label: String,
    },
}

/// `amends incident …`
#[derive(Debug, Subcommand)]
pub enum IncidentCommand {
    /// Declare an incident from a TOML or JSON file (the same format as `amends plan`).
    Declare {
        /// The incident file.
        file: PathBuf,
    },
    /// Change an incident's facts from a JSON patch file (`expected_version` and the fields
    /// to change, as the API's PATCH body).
    Update {
        /// Incident id.
        id: String,
        /// The patch file.
        #[arg(long)]
        patch: PathBuf,
    },
    /// Record the resolution.
    Resolve {
        /// Incident id.
        id: String,
        /// When service was restored (RFC 3339 with offset); defaults to now.
        #[arg(long)]
        at: Option<String>,
    },
    /// Reopen a resolved incident.
    Reopen {
        /// Incident id.
        id: String,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Show an incident, its timeline and its plan versions.
    Show {
        /// Incident id.
        id: String,
    },
}

/// `amends accounts …`
#[derive(Debug, Subcommand)]
pub enum AccountsCommand {
    /// Insert or update accounts from CSV or JSON. All or nothing unless `--partial`.
    Import {
        /// The accounts file (.csv or .json).
        file: PathBuf,
        /// Keep the good rows when some are bad (each bad row is still reported).
        #[arg(long)]
        partial: bool,
    },
}

/// `amends audit …`
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the hash chain; name the first edited, deleted or reordered entry.
    Verify,
}

fn cli_actor() -> String {
    format!(
        "cli:{}",
        std::env::var("USER").unwrap_or_else(|_| "unknown".to_string())
    )
}

/// The configuration, the store and the playbook in force.
pub struct Env {
    pub config: Config,
    pub store: Store,
    pub playbook: Arc<Playbook>,
    pub playbook_source: String,
    pub templates: Arc<amends_messages::Templates>,
}

impl Env {
    pub async fn open(config_file: Option<&Path>) -> anyhow::Result<Env> {
        let config = Config::load(config_file, |k| std::env::var(k).ok())?;
        let (playbook_source, text) = match &config.playbook {
            Some(p) => (
                p.display().to_string(),
                std::fs::read_to_string(p)
                    .with_context(|| format!("cannot read the playbook file {}", p.display()))?,
            ),
            None => (
                "the bundled default playbook".to_string(),
                bundled::PLAYBOOK.to_string(),
            ),
        };
        let playbook = Playbook::parse(&playbook_source, &text)?;
        // A playbook whose templates do not compile is refused here, not when a message is
        // due; template files are read relative to the playbook.
        let path = config
            .playbook
            .clone()
            .unwrap_or_else(|| PathBuf::from(&playbook_source));
        let checked = crate::messages::check_templates(&path, &playbook, &text)?;
        crate::messages::print_warnings(&checked.warnings);
        let store = Store::connect(&config.database_url)
            .await
            .with_context(|| {
                format!(
                    "cannot open the store {}",
                    amends_store::redact(&config.database_url)
                )
            })?;
        Ok(Env {
            config,
            store,
            playbook: Arc::new(playbook),
            playbook_source,
            templates: Arc::new(checked.templates),
        })
    }

    fn lifecycle(&self) -> Lifecycle {
        Lifecycle {
            store: self.store.clone(),
            playbook: self.playbook.clone(),
            templates: self.templates.clone(),
            clock: Arc::new(amends_delivery::SystemClock),
        }
    }
}

pub async fn serve(env: Env) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(&env.config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", env.config.listen))?;
    let addr = listener.local_addr()?;
    say!(
        "amends listening on http://{addr} — store: {} — playbook: {} ({} version {})",
        env.store.location(),
        env.playbook_source,
        env.playbook.name,
        env.playbook.version
    );
    let alerts = &env.config.alerts;
    let secrets = |list: &[amends_server::config::Secret]| {
        list.iter()
            .map(|s| amends_server::inbound::WebhookSecret::new(s.expose()))
            .collect()
    };
    let state = AppState {
        lifecycle: env.lifecycle(),
        metrics: metrics::Metrics::new(),
        alert_secrets: Arc::new(amends_server::alerts::AlertSecrets {
            pagerduty: secrets(&alerts.pagerduty_secrets),
            alertmanager: secrets(&alerts.alertmanager_tokens),
            grafana: secrets(&alerts.grafana_tokens),
        }),
    };
    let engine = amends_server::engine::Engine::new(
        &env.config.delivery,
        env.store.clone(),
        Arc::new(amends_delivery::SystemClock),
    )?;
    let page = match &env.config.status_page {
        Some(page) => page.clone(),
        None => {
            let mut secret = [0u8; 32];
            getrandom::fill(&mut secret)
                .map_err(|e| anyhow::anyhow!("cannot create a random link secret: {e}"))?;
            say!(
                "no [status_page] configured: the page is served at http://{addr}/status; unsubscribe links last until the next start (set status_page.link_secret)"
            );
            StatusPageSettings::new(
                &format!("http://{addr}"),
                LinkSecret::new(&hex::encode(secret))?,
            )?
        }
    };
    let page = Arc::new(page);
    let engine = engine
        .with_status_page(page.clone())?
        .with_lifecycle(state.lifecycle.clone());
    say!("delivering through: {}", engine.channels.join(", "));
    if env.config.delivery.smtp.is_none() {
        say!(
            "no [delivery.smtp] configured: email jobs become dead letters until it is (amends serve --help)"
        );
    }
    amends_server::serve(listener, state, Some(engine), Some(page)).await?;
    say!("amends stopped");
    Ok(())
}

pub async fn token(env: Env, cmd: TokenCommand) -> anyhow::Result<()> {
    let TokenCommand::Create {
        role,
        person,
        label,
    } = cmd;
    let role: Role = role.parse().map_err(anyhow::Error::msg)?;
    if let Some(p) = &person
        && !env.playbook.people.keys().any(|k| k.as_str() == p)
    {
        let known: Vec<&str> = env.playbook.people.keys().map(|k| k.as_str()).collect();
        bail!(
            "--person {p:?} is not in the playbook's [people] ({})",
            known.join(", ")
        );
    }
    let (secret, row) = auth::new_token(role, person, &label)
        .map_err(|e| anyhow::anyhow!("cannot create a random token: {e}"))?;
    env.store.insert_token(&row, &cli_actor()).await?;
    eprintln!(
        "created {role} token {} ({label}); store it now, it is not shown again:",
        row.id
    );
    say!("{}", secret.expose());
    Ok(())
}

pub async fn incident(env: Env, cmd: IncidentCommand) -> anyhow::Result<()> {
    let lc = env.lifecycle();
    let actor = cli_actor();
    let row = match cmd {
        IncidentCommand::Declare { file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read the incident file {}", file.display()))?;
            let spec: IncidentSpec = match file.extension().and_then(|e| e.to_str()) {
                Some("toml") => toml_spec(&file, &text)?,
                Some("json") => serde_json::from_str(&text)
                    .with_context(|| format!("{} is not an incident", file.display()))?,
                _ => bail!("use a .toml or .json incident file"),
            };
            lc.declare(spec, &actor).await?
        }
        IncidentCommand::Update { id, patch } => {
            let text = std::fs::read_to_string(&patch)
                .with_context(|| format!("cannot read the patch file {}", patch.display()))?;
            let p: IncidentPatch = amends_server::body::parse(text.as_bytes())?;
            lc.update(&id, p, &actor).await?
        }
        IncidentCommand::Resolve { id, at } => {
            let current = env.store.incident(&id).await?;
            lc.resolve(
                &id,
                Resolve {
                    expected_version: current.version,
                    resolved_at: at,
                },
                &actor,
            )
            .await?
        }
        IncidentCommand::Reopen { id, reason } => {
            let current = env.store.incident(&id).await?;
            lc.reopen(
                &id,
                Reopen {
                    expected_version: current.version,
                    reason,
                },
                &actor,
            )
            .await?
        }
        IncidentCommand::Show { id } => {
            let row = env.store.incident(&id).await?;
            say!(
                "{} — {} — severity {} — version {} — plan version {}",
                row.id,
                row.status.as_str(),
                row.severity,
                row.version,
                row.plan_version
            );
            say!("\ntimeline:");
            for e in env.store.events(&id).await? {
                say!(
                    "  {} {} {} by {} {}",
                    e.seq,
                    e.at,
                    e.kind,
                    e.actor,
                    e.detail
                );
            }
            say!("\nplan versions:");
            for v in env.store.plan_versions(&id).await? {
                say!("  v{} {} severity {}", v.version, v.created_at, v.severity);
                for line in v.diff {
                    say!("      {line}");
                }
            }
            return Ok(());
        }
    };
    say!(
        "{} — {} — severity {} — version {} — plan version {}",
        row.id,
        row.status.as_str(),
        row.severity,
        row.version,
        row.plan_version
    );
    if let Some(v) = env.store.plan_versions(&row.id).await?.pop() {
        for line in v.diff {
            say!("  {line}");
        }
    }
    Ok(())
}

fn toml_spec(file: &Path, text: &str) -> anyhow::Result<IncidentSpec> {
    toml::from_str(text).map_err(|e| {
        let d = amends_core::diagnostic::Diagnostic::at(
            &file.display().to_string(),
            text,
            e.span().unwrap_or(0..0),
            e.message().trim().to_string(),
        );
        anyhow::anyhow!("{d}")
    })
}

pub async fn accounts(env: Env, cmd: AccountsCommand) -> anyhow::Result<()> {
    let AccountsCommand::Import { file, partial } = cmd;
    let text = std::fs::read_to_string(&file)
        .with_context(|| format!("cannot read the accounts file {}", file.display()))?;
    let name = file.display().to_string();
    let loaded = match file.extension().and_then(|e| e.to_str()) {
        Some("csv") => account::read_csv(&name, &text, &env.playbook)?,
        Some("json") => account::read_json(&name, &text, &env.playbook)?,
        _ => bail!("use a .csv or .json accounts file"),
    };
    if !loaded.problems.is_empty() {
        eprintln!(
            "{}",
            amends_core::diagnostic::Diagnostics(loaded.problems.clone())
        );
        if !partial {
            bail!(
                "{} bad rows; nothing was imported (use --partial to import the {} good ones)",
                loaded.problems.len(),
                loaded.accounts.len()
            );
        }
    }
    let specs: Vec<account::AccountSpec> = loaded.accounts.iter().map(Into::into).collect();
    let s = env.store.upsert_accounts(&specs, &cli_actor()).await?;
    say!(
        "imported into {}: {} new, {} updated, {} unchanged{}",
        env.store.location(),
        s.inserted,
        s.updated,
        s.unchanged,
        if loaded.problems.is_empty() {
            String::new()
        } else {
            format!(", {} rejected", loaded.problems.len())
        }
    );
    Ok(())
}

pub async fn audit(env: Env, cmd: AuditCommand) -> anyhow::Result<()> {
    let AuditCommand::Verify = cmd;
    match env.store.verify_audit().await? {
        Ok(v) => {
            say!("audit trail intact: {} entries, head {}", v.entries, v.head);
            Ok(())
        }
        Err(b) => bail!("{b}"),
    }
}
