//! The message commands: `amends lint`, `amends preview`, `amends rca` and `amends scripts`,
//! and the template check that `amends check` runs. The work is amends-messages'; this file
//! reads files, picks what to show and sets exit codes.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use amends_core::diagnostic::Diagnostic;
use amends_core::domain::{Channel, FailureType, Purpose};
use amends_core::lint::{self, Finding, Level, LintConfig, Rule};
use amends_core::plan::{self, Due, Plan};
use amends_core::playbook::{Audience, Playbook};
use amends_messages::{Checked, Composer, Library, Rca, Rendered};
use anyhow::{Context as _, anyhow, bail};
use clap::{Subcommand, ValueEnum};

use crate::{display, read};

/// Compiles a playbook's templates, reading template files relative to the playbook.
pub fn check_templates(path: &Path, pb: &Playbook, text: &str) -> anyhow::Result<Checked> {
    let library = Library::bundled().map_err(|e| anyhow!("the bundled script library: {e}"))?;
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut load = |name: &str| {
        std::fs::read_to_string(dir.join(name))
            .map_err(|e| format!("{}: {e}", dir.join(name).display()))
    };
    Ok(amends_messages::compile(
        pb,
        &display(path),
        text,
        &library,
        &mut load,
    )?)
}

/// What `amends lint` reads a message as.
#[derive(Debug, clap::Args)]
pub struct LintArgs {
    /// The message file, or `-` for standard input.
    #[arg(required_unless_present = "rules")]
    file: Option<PathBuf>,
    /// What the message is for: general, acknowledgment, update, resolution, rca, follow_up,
    /// status or internal.
    #[arg(long, default_value = "general")]
    purpose: String,
    /// The channel it goes out on: email, sms, chat, phone or status_page.
    #[arg(long, default_value = "email")]
    channel: String,
    /// Require a named person to contact (the default follows the purpose).
    #[arg(long, overrides_with = "no_named_contact")]
    named_contact: bool,
    /// Do not require a named person to contact.
    #[arg(long)]
    no_named_contact: bool,
    /// Pass a message that has only warnings (exit code 0); by default any finding fails it.
    #[arg(long)]
    allow_warnings: bool,
    /// Take rule levels and limits from this playbook's `[lint]` table.
    #[arg(long)]
    playbook: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = LintFormat::Text)]
    format: LintFormat,
    /// List the rules with their levels, why they exist and how to fix a finding.
    #[arg(long)]
    rules: bool,
}

/// How `amends lint` reports.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LintFormat {
    /// rustc-style diagnostics with the line and a caret.
    Text,
    /// One JSON object per finding, in an array.
    Json,
}

/// `amends lint`: exit 0 when the message passes, 1 when a finding fails it (any finding, or
/// only `deny` ones with `--allow-warnings`); errors reading the input are exit 2 (see
/// `main`).
pub fn lint_command(args: LintArgs) -> anyhow::Result<ExitCode> {
    let config = match &args.playbook {
        Some(p) => Playbook::parse(&display(p), &read(p, "playbook")?)?.lint,
        None => LintConfig::default(),
    };
    if args.rules {
        for r in Rule::ALL {
            say!(
                "{:<26} {:<5} {}\n{:<32} fix: {}",
                r.id(),
                config.level(*r).as_str(),
                r.why(),
                "",
                r.fix()
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    let file = args.file.as_deref().unwrap_or(Path::new("-"));
    let (name, text) = if file == Path::new("-") {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
            .context("cannot read the message from standard input")?;
        ("<stdin>".to_string(), s)
    } else {
        (display(file), read(file, "message")?)
    };
    let purpose: Purpose = args
        .purpose
        .parse()
        .map_err(|e| anyhow!("--purpose: {e}"))?;
    let channel: Channel = args
        .channel
        .parse()
        .map_err(|e| anyhow!("--channel: {e}"))?;
    let mut message = lint::Message::new(&text, purpose, channel);
    if args.named_contact {
        message.needs_named_contact = true;
    }
    if args.no_named_contact {
        message.needs_named_contact = false;
    }
    let findings = lint::lint(&message, &config);
    match args.format {
        LintFormat::Text => {
            for f in &findings {
                eprintln!("{}\n", diagnostic(&name, &text, f));
            }
            let (deny, warn) = counts(&findings);
            if findings.is_empty() {
                eprintln!("{name}: no findings");
            } else {
                eprintln!("{name}: {deny} error(s), {warn} warning(s)");
            }
        }
        LintFormat::Json => {
            let list: Vec<serde_json::Value> = findings
                .iter()
                .map(|f| {
                    let d = Diagnostic::at(&name, &text, f.range.clone(), "");
                    serde_json::json!({
                        "rule": f.rule.id(),
                        "level": f.level.as_str(),
                        "message": f.message,
                        "line": d.line,
                        "column": d.column,
                        "start": f.range.start,
                        "end": f.range.end,
                        "why": f.rule.why(),
                        "fix": f.rule.fix(),
                    })
                })
                .collect();
            say!("{}", serde_json::to_string_pretty(&list)?);
        }
    }
    let (deny, warn) = counts(&findings);
    Ok(if deny > 0 || (!args.allow_warnings && warn > 0) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn counts(findings: &[Finding]) -> (usize, usize) {
    let deny = findings.iter().filter(|f| f.level == Level::Deny).count();
    (deny, findings.len() - deny)
}

/// A finding as a diagnostic pointing into the text.
fn diagnostic(name: &str, text: &str, f: &Finding) -> Diagnostic {
    let d = Diagnostic::at(
        name,
        text,
        f.range.clone(),
        format!("[{}] {}", f.rule.id(), f.message),
    )
    .with_help(format!("why: {}\nhelp: {}", f.rule.why(), f.rule.fix()));
    if f.level == Level::Deny {
        d
    } else {
        d.into_warning()
    }
}

/// The inputs of a plan, for the commands that render from one.
#[derive(Debug, clap::Args)]
pub struct PlanInputs {
    /// The playbook (TOML).
    #[arg(long)]
    playbook: PathBuf,
    /// The accounts (.csv or .json).
    #[arg(long)]
    accounts: PathBuf,
    /// The incident (.toml or .json).
    #[arg(long)]
    incident: PathBuf,
    /// The customer-facing root-cause summary (TOML), for the RCA step.
    #[arg(long)]
    rca: Option<PathBuf>,
    /// Plan as of this instant (RFC 3339 with offset); defaults to now.
    #[arg(long)]
    as_of: Option<String>,
}

/// Arguments of `amends preview`.
#[derive(Debug, clap::Args)]
pub struct PreviewArgs {
    #[command(flatten)]
    inputs: PlanInputs,
    /// The account's id (omit for a status page step).
    #[arg(long)]
    account: Option<String>,
    /// The communication step id (`ack_email`).
    #[arg(long)]
    step: String,
    /// Which occurrence of a repeating step (1 for the first).
    #[arg(long, default_value_t = 1)]
    occurrence: u32,
    /// Which of the account's contacts (1 for the first).
    #[arg(long, default_value_t = 1)]
    contact: usize,
}

struct Loaded {
    pb: Playbook,
    accounts: Vec<amends_core::account::Account>,
    incident: amends_core::incident::Incident,
    checked: Checked,
    rca: Option<Rca>,
    as_of: jiff::Timestamp,
}

fn load(inputs: &PlanInputs) -> anyhow::Result<Loaded> {
    let text = read(&inputs.playbook, "playbook")?;
    let pb = Playbook::parse(&display(&inputs.playbook), &text)?;
    let checked = check_templates(&inputs.playbook, &pb, &text)?;
    let accounts = crate::load_accounts(&inputs.accounts, &pb)?;
    let incident = crate::load_incident(&inputs.incident, &pb, &accounts)?;
    let rca = match &inputs.rca {
        Some(p) => Some(Rca::parse_toml(&display(p), &read(p, "RCA")?)?),
        None => None,
    };
    let as_of = match &inputs.as_of {
        Some(t) => amends_core::time::parse_instant(t).context("--as-of")?,
        None => jiff::Timestamp::now(),
    };
    Ok(Loaded {
        pb,
        accounts,
        incident,
        checked,
        rca,
        as_of,
    })
}

/// `amends preview`: one message exactly as it will be sent, its findings on standard error.
/// Exit 1 when a `deny` finding keeps it from being sent.
pub fn preview(args: PreviewArgs) -> anyhow::Result<ExitCode> {
    let l = load(&args.inputs)?;
    let plan = plan::plan(&l.pb, &l.accounts, &l.incident, l.as_of)?;
    let composer = Composer::new(&plan, &l.checked.templates, l.rca.as_ref());
    let message = find_message(&plan, &args.step, args.occurrence)?;
    let step = plan.step(&plan.messages[message]);
    let rendered = match (&args.account, step.audience) {
        (_, Audience::Public) => composer.public_message(message)?,
        (None, Audience::AffectedAccounts) => bail!(
            "step {:?} is sent to each affected account: name one with --account",
            args.step
        ),
        (Some(id), Audience::AffectedAccounts) => {
            let a = account_index(&plan, id)?;
            let contacts = plan.accounts[a].account.contacts.len();
            if args.contact == 0 || args.contact > contacts {
                bail!(
                    "--contact {}: account {id} has {contacts} contact(s)",
                    args.contact
                );
            }
            composer.account_message(a, message, args.contact - 1)?
        }
    };
    say!("{}", rendered.text());
    report(&rendered)
}

/// Prints findings on standard error; exit 1 when the message is blocked.
fn report(rendered: &Rendered) -> anyhow::Result<ExitCode> {
    let text = rendered.text();
    for f in &rendered.findings {
        eprintln!("\n{}", diagnostic("message", &text, f));
    }
    if rendered.blocked() {
        eprintln!("\nthis message would not be sent: fix the template's errors above");
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

fn find_message(plan: &Plan<'_>, step: &str, occurrence: u32) -> anyhow::Result<usize> {
    let steps: Vec<&str> = plan
        .severity()
        .communication
        .iter()
        .map(|s| s.id.as_str())
        .collect();
    let (i, m) = plan
        .messages
        .iter()
        .enumerate()
        .find(|(_, m)| plan.step(m).id.as_str() == step && m.occurrence == occurrence)
        .ok_or_else(|| {
            anyhow!(
                "no step {step:?} occurrence {occurrence} in this {} plan; its steps are: {}",
                plan.severity().id,
                steps.join(", ")
            )
        })?;
    match &m.due {
        Due::At(_) => Ok(i),
        Due::AwaitingResolution => {
            bail!("step {step:?} is counted from the resolution, which has not happened yet")
        }
        Due::Skipped(_, why) => bail!("step {step:?} is not sent: {why}"),
    }
}

fn account_index(plan: &Plan<'_>, id: &str) -> anyhow::Result<usize> {
    plan.accounts
        .iter()
        .position(|p| p.account.id.as_str() == id)
        .ok_or_else(|| anyhow!("account {id:?} is not affected by this incident"))
}

/// Arguments of `amends rca`.
#[derive(Debug, clap::Args)]
pub struct RcaArgs {
    #[command(flatten)]
    inputs: PlanInputs,
    /// Render for this account (its time zone, locale and name); for the public in the
    /// playbook's calendar zone otherwise. Everything is as known at --as-of (default now).
    #[arg(long)]
    account: Option<String>,
    /// What to render.
    #[arg(long, value_enum, default_value_t = RcaFormat::Html)]
    format: RcaFormat,
    /// Write to this file (atomically) instead of standard output.
    #[arg(long, short)]
    output: Option<PathBuf>,
}

/// The renderings of the root-cause summary.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RcaFormat {
    /// The printable HTML page.
    Html,
    /// The status page post (postmortem stage).
    Status,
}

/// `amends rca`: the root-cause summary as a printable page or a status page post.
pub fn rca(args: RcaArgs) -> anyhow::Result<ExitCode> {
    if args.inputs.rca.is_none() {
        bail!("give the root-cause summary with --rca FILE (see demo/rca.toml)");
    }
    let l = load(&args.inputs)?;
    let plan = plan::plan(&l.pb, &l.accounts, &l.incident, l.as_of)?;
    let composer = Composer::new(&plan, &l.checked.templates, l.rca.as_ref());
    let account = args
        .account
        .as_deref()
        .map(|id| account_index(&plan, id))
        .transpose()?;
    let facts = composer.summary_facts(account)?;
    let (text, purpose, channel) = match args.format {
        RcaFormat::Html => (
            amends_messages::rca::html_page(&facts)?,
            Purpose::Internal,
            Channel::Email,
        ),
        RcaFormat::Status => (
            amends_messages::rca::status_post(&facts)?,
            Purpose::Rca,
            Channel::StatusPage,
        ),
    };
    let findings = lint::lint(&lint::Message::new(&text, purpose, channel), &l.pb.lint);
    let rendered = Rendered {
        subject: None,
        body: text.clone(),
        purpose,
        channel,
        findings,
    };
    crate::output::write(args.output.as_deref(), |w| {
        w.write_all(text.as_bytes())?;
        if !text.ends_with('\n') {
            w.write_all(b"\n")?;
        }
        Ok(())
    })?;
    report(&rendered)
}

/// The script library.
#[derive(Debug, Subcommand)]
pub enum ScriptsCommand {
    /// List the scripts, optionally of one failure type.
    List {
        /// outage, data_loss, billing_error, delivery_failure or quality_failure.
        #[arg(long)]
        failure_type: Option<String>,
    },
    /// Find scripts by words (in the id, title, tags or text), best first.
    Search {
        /// The words; every one must match.
        #[arg(required = true)]
        words: Vec<String>,
    },
    /// Print one script's subject and body template.
    Show {
        /// The script id (`outage/initial_contact`).
        id: String,
    },
}

/// `amends scripts`.
pub fn scripts(command: ScriptsCommand) -> anyhow::Result<ExitCode> {
    let library = Library::bundled().map_err(|e| anyhow!("the bundled script library: {e}"))?;
    let line = |s: &amends_messages::Script| {
        format!(
            "{:<40} {:<15} {:<12} {}",
            s.id,
            s.purpose.as_str(),
            s.channel.as_str(),
            s.title
        )
    };
    match command {
        ScriptsCommand::List { failure_type } => {
            let only: Option<FailureType> = failure_type
                .map(|t| t.parse().map_err(|e| anyhow!("--failure-type: {e}")))
                .transpose()?;
            for s in library.all() {
                if only.is_none_or(|t| t == s.failure_type) {
                    say!("{}", line(s));
                }
            }
        }
        ScriptsCommand::Search { words } => {
            let hits = library.search(&words.join(" "));
            if hits.is_empty() {
                bail!("no script matches {:?}", words.join(" "));
            }
            for s in hits {
                say!("{}", line(s));
            }
        }
        ScriptsCommand::Show { id } => {
            let s = library
                .get(&id)
                .ok_or_else(|| anyhow!("no script {id:?}; `amends scripts list` shows them"))?;
            say!("# {} ({}, {})\n# {}", s.id, s.purpose, s.channel, s.title);
            if let Some(subject) = &s.subject {
                say!("Subject: {subject}\n");
            }
            say!("{}", s.body.trim());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints template warnings from `amends check`.
pub fn print_warnings(warnings: &[Diagnostic]) {
    for w in warnings {
        eprintln!("{w}\n");
    }
}
