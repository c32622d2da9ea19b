//! `amends`: the command line. Thin on purpose: it reads files and the clock, calls
//! amends-core to parse and plan and amends-report to render, and writes the result in one
//! atomic step. Every rule lives in the core.

// No unwrap or expect in product code: every failure is an error value with a message.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

/// Prints a line to standard output; a closed pipe (`amends incident show X | head`) ends the
/// output quietly instead of panicking like `println!`.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

mod demo;
mod impact;
mod messages;
mod output;
mod service;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use amends_core::account::{self, Account};
use amends_core::diagnostic::Diagnostics;
use amends_core::incident::Incident;
use amends_core::plan;
use amends_core::playbook::Playbook;
use amends_report::Format;
use anyhow::{Context as _, bail};
use clap::{Parser, Subcommand, ValueEnum};

/// Service recovery as code: classify a failure, plan who is told what and when, what each
/// account receives and who approves it, who is paged, and what is reviewed.
#[derive(Debug, Parser)]
#[command(name = "amends", version, long_about = None)]
struct Cli {
    /// Configuration file for the store-backed commands (environment variables
    /// AMENDS_DATABASE_URL, AMENDS_LISTEN and AMENDS_PLAYBOOK override it).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Validate a playbook and summarise what it commits the company to.
    Check {
        /// The playbook (TOML).
        playbook: PathBuf,
    },
    /// Plan the recovery of an incident.
    Plan {
        /// The playbook (TOML).
        #[arg(long)]
        playbook: PathBuf,
        /// The accounts (.csv or .json).
        #[arg(long)]
        accounts: PathBuf,
        /// The incident (.toml or .json).
        #[arg(long)]
        incident: PathBuf,
        #[command(flatten)]
        out: OutputArgs,
        /// Plan as of this instant (RFC 3339 with offset); defaults to now. Only matters for
        /// an incident that is still open.
        #[arg(long)]
        as_of: Option<String>,
        /// Per-account impact measured by `amends impact` (.parquet, .csv or .json): the
        /// playbook's [impact] table then decides which accounts are targeted and how
        /// remediation scales.
        #[arg(long)]
        impact: Option<PathBuf>,
    },
    /// Measure each account's impact from usage logs (Parquet, CSV, NDJSON): requests,
    /// failures, impacted minutes and last week's baseline, for `amends plan --impact`.
    Impact(impact::ImpactArgs),
    /// Plan the bundled worked example (a 4-hour outage affecting 180 companies) with the
    /// bundled default playbook. Needs no set-up.
    Demo {
        #[command(flatten)]
        out: OutputArgs,
    },
    /// Run the HTTP API (creates the SQLite database on first run).
    Serve,
    /// Manage API tokens.
    #[command(subcommand)]
    Token(service::TokenCommand),
    /// Declare, update, resolve, reopen and show incidents in the store.
    #[command(subcommand)]
    Incident(service::IncidentCommand),
    /// Manage the accounts registry.
    #[command(subcommand)]
    Accounts(service::AccountsCommand),
    /// Work with the audit trail.
    #[command(subcommand)]
    Audit(service::AuditCommand),
    /// Lint a message against the recovery-message rules (exit 0: passes, 1: a finding fails
    /// it, 2: the input could not be read).
    Lint(messages::LintArgs),
    /// Render one message of a plan exactly as it will be sent, with the linter's findings.
    Preview(messages::PreviewArgs),
    /// Render the customer-facing root-cause summary as a printable page or status post.
    Rca(messages::RcaArgs),
    /// Browse the bundled recovery script library.
    #[command(subcommand)]
    Scripts(messages::ScriptsCommand),
}

#[derive(Debug, clap::Args)]
struct OutputArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = FormatArg::Markdown)]
    format: FormatArg,
    /// Write to this file (atomically: all or nothing) instead of standard output.
    #[arg(long, short)]
    output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FormatArg {
    Markdown,
    Json,
    Table,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Markdown => Format::Markdown,
            FormatArg::Json => Format::Json,
            FormatArg::Table => Format::Table,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // `amends lint` keeps exit code 1 for "the message fails"; not being able to lint is 2.
    let failure = if matches!(cli.command, Command::Lint(_)) {
        ExitCode::from(2)
    } else {
        ExitCode::FAILURE
    };
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            // Diagnostics already say where and what; other errors get their chain.
            if let Some(d) = e.downcast_ref::<Diagnostics>() {
                eprintln!("{d}");
            } else {
                eprintln!("error: {e:#}");
            }
            failure
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Lint(args) => messages::lint_command(args),
        Command::Preview(args) => messages::preview(args),
        Command::Rca(args) => messages::rca(args),
        Command::Scripts(c) => messages::scripts(c),
        Command::Impact(args) => impact::impact(args).map(|()| ExitCode::SUCCESS),
        other => run_plan_or_store(cli.config, other).map(|()| ExitCode::SUCCESS),
    }
}

fn run_plan_or_store(config: Option<PathBuf>, command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve => store_command(config, service::serve),
        Command::Token(c) => store_command(config, |env| service::token(env, c)),
        Command::Incident(c) => store_command(config, |env| service::incident(env, c)),
        Command::Accounts(c) => store_command(config, |env| service::accounts(env, c)),
        Command::Audit(c) => store_command(config, |env| service::audit(env, c)),
        Command::Check { playbook } => {
            let text = read(&playbook, "playbook")?;
            let pb = Playbook::parse(&display(&playbook), &text)?;
            let checked = messages::check_templates(&playbook, &pb, &text)?;
            messages::print_warnings(&checked.warnings);
            print!("{}", summary(&display(&playbook), &pb, &checked));
            Ok(())
        }
        Command::Plan {
            playbook,
            accounts,
            incident,
            out,
            as_of,
            impact,
        } => {
            let pb = Playbook::parse(&display(&playbook), &read(&playbook, "playbook")?)?;
            let accts = load_accounts(&accounts, &pb)?;
            let inc = load_incident(&incident, &pb, &accts)?;
            let as_of = match as_of {
                Some(t) => amends_core::time::parse_instant(&t).context("--as-of")?,
                None => jiff::Timestamp::now(),
            };
            if as_of < inc.anchors.start {
                bail!(
                    "--as-of {as_of} is before the incident started ({}): there is nothing to plan yet",
                    inc.anchors.start
                );
            }
            let impacts = impact.as_deref().map(impact::load).transpose()?;
            let plan = match &impacts {
                Some(i) => plan::plan_with_impact(&pb, &accts, &inc, as_of, i)?,
                None => plan::plan(&pb, &accts, &inc, as_of)?,
            };
            output::write(out.output.as_deref(), |w| {
                amends_report::write(&plan, out.format.into(), w)
            })
        }
        Command::Demo { out } => {
            let (pb, accts, inc) = demo::load()?;
            // The worked example is resolved; planning as of its resolution keeps the output
            // identical on every run.
            let as_of = inc.anchors.resolution.unwrap_or(inc.anchors.detection);
            let plan = plan::plan(&pb, &accts, &inc, as_of)?;
            output::write(out.output.as_deref(), |w| {
                amends_report::write(&plan, out.format.into(), w)
            })
        }
        Command::Lint(_)
        | Command::Preview(_)
        | Command::Rca(_)
        | Command::Scripts(_)
        | Command::Impact(_) => {
            bail!("internal: message commands are run by `run`")
        }
    }
}

/// Runs a store-backed command on a Tokio runtime, with logs on standard error.
fn store_command<F, Fut>(config: Option<PathBuf>, f: F) -> anyhow::Result<()>
where
    F: FnOnce(service::Env) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("AMENDS_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let env = service::Env::open(config.as_deref()).await?;
        f(env).await
    })
}

fn display(p: &Path) -> String {
    p.display().to_string()
}

fn read(path: &Path, what: &str) -> anyhow::Result<String> {
    std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the {what} file {}", path.display()))
}

fn extension(path: &Path) -> String {
    path.extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase()
}

fn load_accounts(path: &Path, pb: &Playbook) -> anyhow::Result<Vec<Account>> {
    let text = read(path, "accounts")?;
    let name = display(path);
    Ok(match extension(path).as_str() {
        "csv" => account::parse_csv(&name, &text, pb)?,
        "json" => account::parse_json(&name, &text, pb)?,
        other => bail!(
            "cannot tell the format of the accounts file {name} from its extension {other:?}: use .csv or .json"
        ),
    })
}

fn load_incident(path: &Path, pb: &Playbook, accounts: &[Account]) -> anyhow::Result<Incident> {
    let text = read(path, "incident")?;
    let name = display(path);
    Ok(match extension(path).as_str() {
        "toml" => Incident::parse_toml(&name, &text, pb, accounts)?,
        "json" => Incident::parse_json(&name, &text, pb, accounts)?,
        other => bail!(
            "cannot tell the format of the incident file {name} from its extension {other:?}: use .toml or .json"
        ),
    })
}

/// What `amends check` prints: the policy in a dozen lines.
fn summary(file: &str, pb: &Playbook, checked: &amends_messages::Checked) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = writeln!(s, "{file}: OK — {:?}, version {}", pb.name, pb.version);
    let tiers: Vec<&str> = pb.tiers.iter().map(|t| t.as_str()).collect();
    let _ = writeln!(s, "  tiers          {}", tiers.join(", "));
    for level in &pb.severities {
        let owners: Vec<&str> = level
            .owners
            .iter()
            .filter_map(|k| pb.person(k).map(|p| p.name.as_str()))
            .collect();
        let _ = writeln!(
            s,
            "  {:<14} {} — first notice within {}; criteria: {}, message steps: {}, escalation steps: {}; owners {}",
            level.id.as_str(),
            level.name,
            level.initial_notification,
            level.criteria.len(),
            level.communication.len(),
            level.escalation.len(),
            owners.join(", ")
        );
    }
    let mut approvers: Vec<&str> = pb
        .remediation
        .rules
        .iter()
        .filter_map(|r| pb.person(&r.approver).map(|p| p.name.as_str()))
        .collect();
    approvers.sort_unstable();
    approvers.dedup();
    let _ = writeln!(
        s,
        "  remediation    {} rules; every tier × severity decided for every duration; approvers {}",
        pb.remediation.rules.len(),
        approvers.join(", ")
    );
    let schedules: Vec<&str> = pb.sla_schedules.keys().map(|k| k.as_str()).collect();
    let _ = writeln!(
        s,
        "  SLA schedules  {}",
        if schedules.is_empty() {
            "none".to_string()
        } else {
            schedules.join(", ")
        }
    );
    let with_text = pb
        .templates
        .keys()
        .filter(|k| checked.templates.entry(k).is_some_and(|e| e.has_text))
        .count();
    let _ = writeln!(
        s,
        "  templates      {} ({with_text} with text, linted: {} warning(s))",
        pb.templates.len(),
        checked.warnings.len()
    );
    let facing = pb.reviews.iter().filter(|r| r.customer_facing).count();
    let _ = writeln!(
        s,
        "  reviews        {} tasks, {facing} customer-facing",
        pb.reviews.len()
    );
    let days: Vec<String> = pb
        .calendar
        .working_days()
        .map(|d| format!("{d:?}")[..3].to_string())
        .collect();
    let _ = writeln!(
        s,
        "  calendar       {}, working days {}, {} holidays",
        pb.calendar.zone().name(),
        days.join(" "),
        pb.calendar.holidays().count()
    );
    s
}
