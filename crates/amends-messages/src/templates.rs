//! Compiling a playbook's templates: every template is parsed, its variables checked against
//! the documented set, and it is rendered against a sample and linted, all at `amends check`,
//! so that a bad template is reported with its file, line and column and never at send time.
//!
//! Architecture Invariant: templates are sandboxed. The engine has no loader (no file or
//! network access, no `include`), runs with a fuel limit (no endless loops), and treats an
//! undefined variable as an error rather than an empty string.

use std::collections::BTreeMap;
use std::ops::Range;

use amends_core::diagnostic::{Diagnostic, Diagnostics};
use amends_core::domain::{Channel, Key, Purpose};
use amends_core::lint::{self, Finding, Level};
use amends_core::playbook::{Audience, Located, Playbook, TemplateSource};
use minijinja::{Environment, UndefinedBehavior, Value};

use crate::context::{self, Facts};
use crate::fast::{MessageFacts, Program};
use crate::scripts::Library;

/// Instructions one render may execute: far more than any message needs, few enough that a
/// template with an endless loop fails fast instead of hanging a worker.
const FUEL: u64 = 200_000;

/// Functions and names the engine provides that are not variables.
const BUILTINS: &[&str] = &[
    "range",
    "dict",
    "namespace",
    "debug",
    "loop",
    "true",
    "false",
    "none",
];

/// The engine's error in words: its detail, or its kind ("undefined value").
fn describe(e: &minijinja::Error) -> String {
    e.detail()
        .map_or_else(|| e.kind().to_string(), ToString::to_string)
}

/// A playbook's templates, compiled and checked.
#[derive(Debug)]
pub struct Templates {
    env: Environment<'static>,
    entries: BTreeMap<Key, Entry>,
}

/// What is known about one compiled template.
#[derive(Debug, Clone)]
pub struct Entry {
    /// What the message is for.
    pub purpose: Purpose,
    /// The channel its steps use (the first step's; `email` when unused).
    pub channel: Channel,
    /// Whether it must name a person.
    pub needs_named_contact: bool,
    /// Whether it has text (not only a description).
    pub has_text: bool,
    /// The engine's names of the body and subject templates, made once here rather than
    /// formatted for every message sent.
    body_name: String,
    subject_name: Option<String>,
    /// The subject and body as programs, when both translate ([`crate::fast`]).
    fast: Option<Fast>,
}

/// A template's subject and body translated into programs, run instead of the engine.
#[derive(Debug, Clone)]
struct Fast {
    subject: Option<Program>,
    body: Program,
}

impl Fast {
    /// Writes the message's whole text as [`Rendered::text`] writes it into `text`, and
    /// returns the subject and body, trimmed; `None` when the engine must render.
    fn render(&self, facts: &MessageFacts, text: &mut String) -> Option<(Option<String>, String)> {
        const PREFIX: &str = "Subject: ";
        let subject = match &self.subject {
            Some(program) => {
                text.push_str(PREFIX);
                program.render(facts, text)?;
                let subject = text[PREFIX.len()..].trim().to_string();
                text.truncate(PREFIX.len());
                text.push_str(&subject);
                text.push_str("\n\n");
                Some(subject)
            }
            None => None,
        };
        let start = text.len();
        self.body.render(facts, text)?;
        // The body trimmed as [`trim_in_place`] trims, where it is.
        let end = start + text[start..].trim_end().len();
        text.truncate(end);
        let lead = end - start - text[start..].trim_start().len();
        text.drain(start..start + lead);
        Some((subject, text[start..].to_string()))
    }
}

thread_local! {
    /// The whole text of the message being rendered, kept for the next one: most messages
    /// are a kilobyte or two, which the allocator serves more slowly than small blocks.
    static TEXT: std::cell::RefCell<String> = std::cell::RefCell::default();
}

/// Templates and the linter's warnings about them.
#[derive(Debug)]
pub struct Checked {
    /// The compiled templates.
    pub templates: Templates,
    /// Warnings: findings of the linter at `warn` level on the sample render.
    pub warnings: Vec<Diagnostic>,
}

/// Reads a template file named by the playbook (`file = "templates/ack.txt"`), relative to
/// the playbook. The CLI reads the disk; a server with a bundled playbook refuses.
pub type LoadFile<'a> = dyn FnMut(&str) -> Result<String, String> + 'a;

/// Where one template text came from, to point errors at it.
struct Origin {
    file: String,
    source: String,
    /// Byte offset of the template text within `source`.
    offset: usize,
    /// The span to underline when nothing more precise is known.
    whole: Range<usize>,
}

impl Origin {
    fn at(&self, range: Option<Range<usize>>, message: impl Into<String>) -> Diagnostic {
        let span = range.map_or(self.whole.clone(), |r| {
            self.offset + r.start..self.offset + r.end
        });
        Diagnostic::at(&self.file, &self.source, span, message)
    }

    /// The span of `needle`'s first occurrence in the template text, if it is there.
    fn find(&self, needle: &str) -> Option<Range<usize>> {
        if needle.is_empty() {
            return None;
        }
        let text = self.source.get(self.offset..self.whole.end)?;
        text.find(needle).map(|i| i..i + needle.len())
    }
}

/// A template's text as found: the body's origin, the subject (origin and text), the body
/// text, the script's purpose, and the channel.
type Resolved = (
    Origin,
    Option<(Origin, String)>,
    String,
    Option<Purpose>,
    Channel,
);

/// The offset of a TOML string's content within its value span (after `'''`, `"""` and the
/// newline that may follow them, or after a single quote).
fn content_offset(source: &str, span: &Range<usize>) -> usize {
    let value = source.get(span.clone()).unwrap_or("");
    let mut skip = if value.starts_with("'''") || value.starts_with("\"\"\"") {
        3
    } else {
        1.min(value.len())
    };
    let rest = &value[skip..];
    if skip == 3 {
        if rest.starts_with("\r\n") {
            skip += 2;
        } else if rest.starts_with('\n') {
            skip += 1;
        }
    }
    span.start + skip
}

/// A new sandboxed environment with the helpers templates may use.
fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_fuel(Some(FUEL));
    env.set_debug(false);
    // Plain-text messages: nothing is HTML-escaped unless the template is HTML.
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".html") {
            minijinja::AutoEscape::Html
        } else {
            minijinja::AutoEscape::None
        }
    });
    env.add_filter("capfirst", capfirst);
    // A missing value is never printed as "none": rendering fails instead, at `amends check`
    // for the samples and, should a template still reach one, before anything is sent.
    env.set_formatter(|out, state, value| {
        if value.is_none() || value.is_undefined() {
            return Err(minijinja::Error::new(
                minijinja::ErrorKind::InvalidOperation,
                "a missing value would be printed; guard it with {% if … %}",
            ));
        }
        // Plain text: a string is written as it is, without the formatting machinery the
        // default formatter goes through (which writes the same characters).
        if matches!(state.auto_escape(), minijinja::AutoEscape::None)
            && let Some(s) = value.as_str()
        {
            return out.write_str(s).map_err(minijinja::Error::from);
        }
        minijinja::escape_formatter(out, state, value)
    });
    env
}

/// Upper-cases the first letter only ("the API" → "The API"; `capitalize` would lower the
/// rest).
pub(crate) fn capfirst(value: String) -> String {
    let mut chars = value.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => value,
    }
}

/// Compiles and checks every template of a playbook.
///
/// `file` and `source` are the playbook's own, for errors in inline templates. Errors (a
/// syntax error, an unknown variable, a template that fails on the sample, a finding at
/// `deny` level) fail the whole set; warnings come back with it.
pub fn compile(
    playbook: &Playbook,
    file: &str,
    source: &str,
    library: &Library,
    load: &mut LoadFile<'_>,
) -> Result<Checked, Diagnostics> {
    let mut env = environment();
    let mut entries = BTreeMap::new();
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let known = known_variables();
    let usage = usage(playbook);

    for (key, template) in &playbook.templates {
        let (audience, step_channel) = usage.get(key).copied().unwrap_or((None, None));
        // (origin, subject text, body text, purpose, channel) from wherever the text lives.
        let resolved: Option<Resolved> = match &template.source {
            TemplateSource::Described => None,
            TemplateSource::Inline { subject, body } => {
                let inline = |l: &Located| Origin {
                    file: file.to_string(),
                    source: source.to_string(),
                    offset: content_offset(source, &l.span),
                    whole: l.span.clone(),
                };
                Some((
                    inline(body),
                    subject.as_ref().map(|s| (inline(s), s.text.clone())),
                    body.text.clone(),
                    None,
                    step_channel.unwrap_or(Channel::Email),
                ))
            }
            TemplateSource::Script(id) => match library.get(&id.text) {
                Some(script) => {
                    let at = |span: &Range<usize>| Origin {
                        file: script.file.to_string(),
                        source: crate::scripts::FILES
                            .iter()
                            .find(|(f, _)| *f == script.file)
                            .map_or(String::new(), |(_, t)| (*t).to_string()),
                        offset: 0,
                        whole: span.clone(),
                    };
                    let mut body = at(&script.body_span);
                    body.offset = content_offset(&body.source, &script.body_span);
                    let subject = match (&script.subject, &script.subject_span) {
                        (Some(text), Some(span)) => {
                            let mut o = at(span);
                            o.offset = content_offset(&o.source, span);
                            Some((o, text.clone()))
                        }
                        _ => None,
                    };
                    Some((
                        body,
                        subject,
                        script.body.clone(),
                        Some(script.purpose),
                        step_channel.unwrap_or(script.channel),
                    ))
                }
                None => {
                    let near: Vec<&str> = library
                        .all()
                        .iter()
                        .map(|s| s.id.as_str())
                        .filter(|s| s.split('/').next_back() == id.text.split('/').next_back())
                        .collect();
                    let hint = if near.is_empty() {
                        "`amends scripts list` shows the library".to_string()
                    } else {
                        format!("scripts for this step: {}", near.join(", "))
                    };
                    errors.push(Diagnostic::at(
                        file,
                        source,
                        id.span.clone(),
                        format!("no script {:?} in the library; {hint}", id.text),
                    ));
                    None
                }
            },
            TemplateSource::File(path) => match load(&path.text) {
                Ok(text) => {
                    let (subject, body, body_offset) = split_subject(&text);
                    let origin = |offset: usize, len: usize| Origin {
                        file: path.text.clone(),
                        source: text.clone(),
                        offset,
                        whole: offset..offset + len,
                    };
                    Some((
                        origin(body_offset, body.len()),
                        subject.map(|s| (origin(9, s.len()), s.to_string())),
                        body.to_string(),
                        None,
                        step_channel.unwrap_or(Channel::Email),
                    ))
                }
                Err(e) => {
                    errors.push(Diagnostic::at(
                        file,
                        source,
                        path.span.clone(),
                        format!("cannot read template file {:?}: {e}", path.text),
                    ));
                    None
                }
            },
        };
        let Some((body_origin, subject, body, script_purpose, channel)) = resolved else {
            let purpose = template.purpose.unwrap_or(Purpose::General);
            entries.insert(
                key.clone(),
                Entry {
                    purpose,
                    channel: step_channel.unwrap_or(Channel::Email),
                    needs_named_contact: false,
                    has_text: false,
                    body_name: format!("{key}.body"),
                    subject_name: None,
                    fast: None,
                },
            );
            continue;
        };
        let purpose = template
            .purpose
            .or(script_purpose)
            .unwrap_or(Purpose::General);
        let needs_named_contact = template.named_contact.unwrap_or_else(|| {
            audience != Some(Audience::Public)
                && lint::default_needs_named_contact(purpose, channel)
        });

        let mut ok = true;
        let parts: Vec<(String, &Origin, String)> = subject
            .as_ref()
            .map(|(o, s)| (format!("{key}.subject"), o, s.clone()))
            .into_iter()
            .chain(std::iter::once((
                format!("{key}.body"),
                &body_origin,
                body.clone(),
            )))
            .collect();
        for (name, origin, text) in &parts {
            if let Err(e) = env.add_template_owned(name.clone(), text.clone()) {
                errors.push(origin.at(
                    e.range(),
                    format!("template {key}: {}", e.detail().unwrap_or("syntax error")),
                ));
                ok = false;
                continue;
            }
            let Ok(compiled) = env.get_template(name) else {
                continue;
            };
            let mut unknown: Vec<String> = compiled
                .undeclared_variables(true)
                .into_iter()
                .filter(|v| !is_known(&known, v))
                .collect();
            unknown.sort();
            for v in unknown {
                ok = false;
                errors.push(
                    origin
                        .at(
                            origin.find(&v),
                            format!("template {key}: unknown variable `{v}`"),
                        )
                        .with_help("help: the variables are listed in docs/templates.md"),
                );
            }
        }
        if ok {
            let public = audience == Some(Audience::Public);
            // Render in every phase the message can be due in, with every optional value
            // present and again absent; lint the full render of the phase it is written for.
            for &phase in phases(purpose) {
                for bare in [false, true] {
                    let facts = sample_for(public, phase, bare);
                    let ctx = Value::from_serialize(&facts);
                    for (name, origin, _) in &parts {
                        let Ok(t) = env.get_template(name) else {
                            continue;
                        };
                        if let Err(e) = t.render(&ctx) {
                            ok = false;
                            errors.push(origin.at(
                                e.range(),
                                format!(
                                    "template {key} fails to render {}: {}",
                                    phase.describe(bare),
                                    describe(&e)
                                ),
                            ));
                        }
                    }
                }
            }
            if ok {
                let phase = lint_phase(purpose);
                let facts = sample_for(public, phase, false);
                if let Ok(text) =
                    render_parts(&env, key, subject.is_some(), &Value::from_serialize(&facts))
                {
                    let message = lint::Message {
                        text: &text,
                        purpose,
                        channel,
                        needs_named_contact,
                    };
                    for f in lint::lint(&message, &playbook.lint) {
                        // Point at the template text when the words found are written there.
                        let origin = &body_origin;
                        let found = &text[f.range.clone()];
                        let d = origin
                            .at(
                                origin.find(found),
                                format!(
                                    "template {key}: [{}] {} ({})",
                                    f.rule.id(),
                                    f.message,
                                    phase.describe(false)
                                ),
                            )
                            .with_help(format!("why: {}\nhelp: {}", f.rule.why(), f.rule.fix()));
                        match f.level {
                            Level::Deny => errors.push(d),
                            _ => warnings.push(d.into_warning()),
                        }
                    }
                }
            }
        }
        let program = |name: String| {
            env.get_template(&name)
                .ok()
                .and_then(|t| Program::compile(&t, FUEL))
        };
        let fast = match (program(format!("{key}.body")), subject.is_some()) {
            (Some(body), false) => Some(Fast {
                subject: None,
                body,
            }),
            (Some(body), true) => program(format!("{key}.subject")).map(|s| Fast {
                subject: Some(s),
                body,
            }),
            (None, _) => None,
        };
        entries.insert(
            key.clone(),
            Entry {
                purpose,
                channel,
                needs_named_contact,
                has_text: true,
                body_name: format!("{key}.body"),
                subject_name: subject.is_some().then(|| format!("{key}.subject")),
                fast,
            },
        );
    }
    if errors.is_empty() {
        Ok(Checked {
            templates: Templates { env, entries },
            warnings,
        })
    } else {
        // The warnings belong to the same report: fixing the errors should not uncover more.
        errors.extend(warnings);
        Err(Diagnostics(errors))
    }
}

/// A template file may start with a `Subject: ` line; the body follows the blank line.
fn split_subject(text: &str) -> (Option<&str>, &str, usize) {
    if let Some(rest) = text.strip_prefix("Subject: ")
        && let Some(end) = rest.find('\n')
    {
        let subject = rest[..end].trim_end_matches('\r');
        let body_start = 9 + end + 1;
        let body = &text[body_start..];
        let trimmed = body.trim_start_matches(['\r', '\n']);
        return (
            Some(subject),
            trimmed,
            body_start + (body.len() - trimmed.len()),
        );
    }
    (None, text, 0)
}

/// For each template, the audience and channel of the steps that use it.
fn usage(playbook: &Playbook) -> BTreeMap<Key, (Option<Audience>, Option<Channel>)> {
    let mut out = BTreeMap::new();
    for level in &playbook.severities {
        for step in &level.communication {
            out.entry(step.template.clone())
                .or_insert((Some(step.audience), Some(step.channel)));
        }
    }
    out
}

/// Where the incident stands when a message is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Still going on: no resolution, a next update.
    Ongoing,
    /// Over: resolved, no next update.
    Resolved,
}

impl Phase {
    fn describe(self, bare: bool) -> &'static str {
        match (self, bare) {
            (Phase::Ongoing, false) => "while the incident is ongoing",
            (Phase::Resolved, false) => "once the incident is resolved",
            (Phase::Ongoing, true) => {
                "while the incident is ongoing, with the optional values absent (guard them with {% if … %})"
            }
            (Phase::Resolved, true) => {
                "once the incident is resolved, with the optional values absent (guard them with {% if … %})"
            }
        }
    }
}

/// The phases a message of this purpose can be due in: a resolution, summary or follow-up
/// only after the resolution; anything else at any time (an acknowledgment can fall after a
/// quick resolution).
fn phases(purpose: Purpose) -> &'static [Phase] {
    match purpose {
        Purpose::Resolution | Purpose::Rca | Purpose::FollowUp => &[Phase::Resolved],
        _ => &[Phase::Ongoing, Phase::Resolved],
    }
}

/// The phase a message of this purpose is written for, and linted in.
fn lint_phase(purpose: Purpose) -> Phase {
    match purpose {
        Purpose::Acknowledgment | Purpose::Update | Purpose::Status => Phase::Ongoing,
        _ => Phase::Resolved,
    }
}

/// The sample facts of a phase: complete, or with every optional value absent (`bare`).
/// Public posts have no account, reader or remedy.
fn sample_for(public: bool, phase: Phase, bare: bool) -> Facts {
    let mut facts = context::sample();
    if phase == Phase::Ongoing {
        facts.incident.ongoing = true;
        facts.incident.resolved = None;
        facts.incident.window = "since Tuesday, October 15, 2024 at 10:00 AM EDT".into();
        facts.incident.duration = "30 minutes".into();
    } else {
        facts.next_update = None;
    }
    if bare {
        facts.impact = None;
        facts.rca = None;
        facts.next_update = None;
        facts.incident.cause = None;
        if let Some(a) = facts.account.as_mut() {
            a.owner = None;
        }
        if let Some(c) = facts.contact.as_mut() {
            c.email = None;
        }
        if let Some(s) = facts.sender.as_mut() {
            s.email = None;
        }
        if let Some(r) = facts.remediation.as_mut() {
            r.credit = None;
            r.basis = None;
            r.apology_from = None;
        }
    }
    if public {
        facts.account = None;
        facts.contact = None;
        facts.remediation = None;
        facts.impact = None;
    }
    facts
}

/// Every dotted variable path the sample defines (`incident.window`, `rca.prevention`),
/// with whether it is an object (whose fields are known one by one).
fn known_variables() -> BTreeMap<String, bool> {
    fn walk(prefix: &str, v: &serde_json::Value, out: &mut BTreeMap<String, bool>) {
        if let serde_json::Value::Object(map) = v {
            for (k, child) in map {
                let path = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                out.insert(path.clone(), child.is_object());
                walk(&path, child, out);
            }
        }
    }
    let mut out = BTreeMap::new();
    if let Ok(v) = serde_json::to_value(context::sample()) {
        walk("", &v, &mut out);
    }
    out
}

/// Whether a variable a template reads exists: a known path, or something below a known
/// value that is not an object (`incident.features.0`, a method of a string).
fn is_known(known: &BTreeMap<String, bool>, var: &str) -> bool {
    if BUILTINS.contains(&var.split('.').next().unwrap_or(var)) {
        return true;
    }
    let mut path = var;
    let mut exact = true;
    loop {
        match known.get(path) {
            Some(is_object) => return exact || !is_object,
            None => match path.rsplit_once('.') {
                Some((head, _)) => {
                    path = head;
                    exact = false;
                }
                None => return false,
            },
        }
    }
}

fn render_parts(
    env: &Environment<'static>,
    key: &Key,
    has_subject: bool,
    ctx: &Value,
) -> Result<String, minijinja::Error> {
    let body = env.get_template(&format!("{key}.body"))?.render(ctx)?;
    if has_subject {
        let subject = env.get_template(&format!("{key}.subject"))?.render(ctx)?;
        Ok(format!("Subject: {}\n\n{}", subject.trim(), body.trim()))
    } else {
        Ok(body.trim().to_string())
    }
}

/// A rendered message, linted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The subject line, for channels that have one.
    pub subject: Option<String>,
    /// The body.
    pub body: String,
    /// What it is for.
    pub purpose: Purpose,
    /// The channel it goes out on.
    pub channel: Channel,
    /// The linter's findings on the whole text ([`Rendered::text`]).
    pub findings: Vec<Finding>,
}

impl Rendered {
    /// The message as the reader sees it: `Subject: …`, a blank line and the body for email.
    pub fn text(&self) -> String {
        whole_text(self.subject.as_deref(), &self.body)
    }

    /// Whether a finding at `deny` level keeps it from being sent.
    pub fn blocked(&self) -> bool {
        self.findings.iter().any(|f| f.level == Level::Deny)
    }
}

/// A message as the reader sees it ([`Rendered::text`]); [`Fast::render`] writes the same.
fn whole_text(subject: Option<&str>, body: &str) -> String {
    match subject {
        Some(s) => format!("Subject: {s}\n\n{body}"),
        None => body.to_string(),
    }
}

/// Why a message could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The playbook has no such template.
    #[error("no template {0:?}")]
    Unknown(String),
    /// The template is only described; there is no text to send.
    #[error("template {0:?} has only a description; give it a `body`, `script` or `file`")]
    NoText(String),
    /// The engine failed (a value the template needs is missing).
    #[error("template {key:?} failed to render: {detail}")]
    Engine {
        /// The template.
        key: String,
        /// The engine's message.
        detail: String,
    },
}

impl Templates {
    /// What is known about a template.
    pub fn entry(&self, key: &Key) -> Option<&Entry> {
        self.entries.get(key)
    }

    /// Renders a template for a message's variables and lints the result with the playbook's
    /// levels: through the template's programs when it has them, else (or where a program
    /// leaves the message to it) through the engine.
    pub(crate) fn render(
        &self,
        key: &Key,
        facts: &MessageFacts,
        config: &lint::LintConfig,
    ) -> Result<Rendered, RenderError> {
        let entry = self
            .entries
            .get(key)
            .ok_or_else(|| RenderError::Unknown(key.to_string()))?;
        if !entry.has_text {
            return Err(RenderError::NoText(key.to_string()));
        }
        TEXT.with(|buffer| {
            let mut fresh = String::new();
            let mut kept = buffer.try_borrow_mut();
            // A render within a render (never done) would get a buffer of its own.
            let text = match kept.as_mut() {
                Ok(kept) => &mut **kept,
                Err(_) => &mut fresh,
            };
            text.clear();
            let fast = entry.fast.as_ref().and_then(|f| f.render(facts, text));
            let (subject, body) = match fast {
                Some(parts) => parts,
                None => {
                    let (subject, body, whole) =
                        self.render_with_engine(key, entry, &Value::from_object(facts.vars()))?;
                    text.clear();
                    text.push_str(&whole);
                    (subject, body)
                }
            };
            let findings = lint::lint(
                &lint::Message {
                    text,
                    purpose: entry.purpose,
                    channel: entry.channel,
                    needs_named_contact: entry.needs_named_contact,
                },
                config,
            );
            // An unusually long message does not keep its buffer.
            if text.capacity() > 1 << 16 {
                *text = String::new();
            }
            Ok(Rendered {
                subject,
                body,
                purpose: entry.purpose,
                channel: entry.channel,
                findings,
            })
        })
    }

    /// The subject, body and whole text of a message as the engine renders them.
    fn render_with_engine(
        &self,
        key: &Key,
        entry: &Entry,
        facts: &Value,
    ) -> Result<(Option<String>, String, String), RenderError> {
        let engine = |e: minijinja::Error| RenderError::Engine {
            key: key.to_string(),
            detail: describe(&e),
        };
        let render = |name: &str| {
            self.env
                .get_template(name)
                .and_then(|t| t.render(facts))
                .map(|mut s| {
                    trim_in_place(&mut s);
                    s
                })
                .map_err(engine)
        };
        let body = render(&entry.body_name)?;
        let subject = match &entry.subject_name {
            Some(name) => Some(render(name)?),
            None => None,
        };
        let text = whole_text(subject.as_deref(), &body);
        Ok((subject, body, text))
    }
}

/// Trims a rendered text's surrounding white space without copying it.
fn trim_in_place(s: &mut String) {
    s.truncate(s.trim_end().len());
    let start = s.len() - s.trim_start().len();
    s.drain(..start);
}

/// Renders a one-off template text against facts (for the printable RCA page and tests).
pub fn render_str(name: &str, source: &str, facts: &Value) -> Result<String, minijinja::Error> {
    let env = environment();
    env.render_named_str(name, source, facts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_string_contents_start_after_their_delimiters() {
        let src = "a = '''\nHi {{ x }}'''\nb = \"y\"";
        let a = 4..src.find("'''\nb").map_or(0, |i| i + 3);
        assert_eq!(&src[content_offset(src, &a)..], &src[8..]);
        let b = src.find("\"y\"").map_or(0, |i| i)..src.len();
        assert_eq!(
            &src[content_offset(src, &b)..content_offset(src, &b) + 1],
            "y"
        );
    }

    #[test]
    fn a_subject_line_is_split_from_a_template_file() {
        let (s, body, at) = split_subject("Subject: Hello\n\nBody here\n");
        assert_eq!(s, Some("Hello"));
        assert_eq!(body, "Body here\n");
        assert_eq!(at, 16);
        assert_eq!(split_subject("Just a body").0, None);
    }

    #[test]
    fn trimming_in_place_trims_as_trim_does() {
        for text in ["", " ", "\n a b \n", "x", "\u{2003}é\u{2003}", "a \n"] {
            let mut s = text.to_string();
            trim_in_place(&mut s);
            assert_eq!(s, text.trim());
        }
    }

    #[test]
    fn capfirst_only_touches_the_first_letter() {
        assert_eq!(capfirst("the API".into()), "The API");
        assert_eq!(capfirst(String::new()), "");
    }

    /// Programs for every script of the library, keyed by script id.
    fn library_programs() -> (Environment<'static>, Vec<(String, Fast)>) {
        let mut env = environment();
        let library = Library::bundled().unwrap();
        for s in library.all() {
            env.add_template_owned(format!("{}.body", s.id), s.body.clone())
                .unwrap();
            if let Some(subject) = &s.subject {
                env.add_template_owned(format!("{}.subject", s.id), subject.clone())
                    .unwrap();
            }
        }
        let mut programs = Vec::new();
        for s in library.all() {
            let program = |name: String| {
                Program::compile(&env.get_template(&name).unwrap(), FUEL)
                    .unwrap_or_else(|| panic!("{name} has no program"))
            };
            let fast = Fast {
                subject: s
                    .subject
                    .as_ref()
                    .map(|_| program(format!("{}.subject", s.id))),
                body: program(format!("{}.body", s.id)),
            };
            programs.push((s.id.clone(), fast));
        }
        (env, programs)
    }

    #[test]
    fn every_documented_field_is_read_by_a_program_as_by_the_engine() {
        let mut env = environment();
        let facts = MessageFacts::from(context::sample());
        let ctx = Value::from_object(facts.vars());
        for path in known_variables().into_keys() {
            if path.matches('.').count() != 1 {
                continue;
            }
            let name = format!("field {path}");
            let source = format!("{{{{ {path} }}}}|{{% if {path} %}}yes{{% endif %}}");
            env.add_template_owned(name.clone(), source).unwrap();
            let t = env.get_template(&name).unwrap();
            let program =
                Program::compile(&t, FUEL).unwrap_or_else(|| panic!("{path} has no program"));
            let mut out = String::new();
            match (program.render(&facts, &mut out), t.render(&ctx)) {
                (Some(()), Ok(engine)) => assert_eq!(out, engine, "{path}"),
                // A list is printed by the engine.
                (None, _) => assert!(
                    ["incident.features", "rca.fixed", "rca.prevention"].contains(&&*path),
                    "{path}"
                ),
                (Some(()), Err(e)) => panic!("{path}: the engine failed ({e}), the program not"),
            }
        }
    }

    #[test]
    fn templates_the_programs_do_not_cover_are_left_to_the_engine() {
        let mut env = environment();
        let facts = MessageFacts::from(context::sample());
        for (name, source) in [
            ("filter", "{{ incident.title | upper }}"),
            ("set", "{% set x = incident.title %}{{ x }}"),
            ("index", "{{ incident.features[0] }}"),
            ("compare", "{% if step.occurrence > 1 %}again{% endif %}"),
            (
                "loop",
                "{% for f in incident.features %}{{ loop.index }}{% endfor %}",
            ),
            ("missing", "{{ incident.nothing }}"),
            ("none", "{{ sender.nothing.deeper }}"),
        ] {
            env.add_template_owned(name, source).unwrap();
            let program = Program::compile(&env.get_template(name).unwrap(), FUEL);
            // No program, or one that stops where the engine must decide.
            assert!(
                program.is_none_or(|p| p.render(&facts, &mut String::new()).is_none()),
                "{name}"
            );
        }
    }

    /// Below, at and above the number of instructions a template runs, with and without a
    /// loop: a program never writes a message the engine would refuse for want of fuel.
    #[test]
    fn a_program_stops_where_the_engine_runs_out_of_fuel() {
        let facts = MessageFacts::from(context::sample());
        let ctx = Value::from_object(facts.vars());
        let mut rendered = 0;
        for (name, source) in [
            (
                "straight",
                "Dear {{ contact.first_name }}, {% if impact %}{{ incident.title }}{% endif %}.",
            ),
            (
                "loop",
                "{% for f in incident.features %}{{ f }}, {% endfor %}{{ incident.date }}",
            ),
        ] {
            for fuel in 1..40 {
                let mut env = environment();
                env.set_fuel(Some(fuel));
                env.add_template_owned(name, source).unwrap();
                let t = env.get_template(name).unwrap();
                let program = Program::compile(&t, fuel).expect("a program");
                let mut out = String::new();
                match (program.render(&facts, &mut out), t.render(&ctx)) {
                    (Some(()), Ok(engine)) => {
                        assert_eq!(out, engine, "{name} at fuel {fuel}");
                        rendered += 1;
                    }
                    (Some(()), Err(e)) => {
                        panic!("{name} at fuel {fuel}: the engine failed ({e}), the program not")
                    }
                    (None, _) => {}
                }
            }
        }
        // Each template fits in the larger budgets.
        assert!(rendered >= 2 * 20, "{rendered}");
    }

    mod programs_against_the_engine {
        use super::*;
        use crate::context::{ImpactFacts, NextUpdateFacts, PreventionFacts, RcaFacts};
        use proptest::prelude::*;

        fn text() -> impl Strategy<Value = String> {
            prop_oneof![
                Just(String::new()),
                Just(" \n padded \t".to_string()),
                "[a-zA-Z ,.{}%]{1,24}",
                "\\PC{0,16}",
            ]
        }

        fn maybe() -> impl Strategy<Value = Option<String>> {
            proptest::option::of(text())
        }

        /// The sample facts with their values replaced: empty, padded, odd characters,
        /// optional values present or absent, lists of any length, and public posts without
        /// an account.
        fn facts() -> impl Strategy<Value = Facts> {
            (
                (text(), text(), maybe(), maybe(), text(), maybe()),
                (
                    maybe(),
                    maybe(),
                    any::<bool>(),
                    maybe(),
                    proptest::option::of((any::<u64>(), any::<u64>(), maybe())),
                    proptest::option::of((
                        proptest::collection::vec(text(), 0..3),
                        proptest::collection::vec((text(), text(), any::<bool>()), 0..3),
                    )),
                ),
                (any::<bool>(), text(), text(), text(), text()),
            )
                .prop_map(|(a, b, c)| {
                    let (name, first_name, email, cause, features_text, resolved) = a;
                    let (next_update, sender_email, automatic, credit, impact, rca) = b;
                    let (public, summary, approver, date, started) = c;
                    let mut f = context::sample();
                    if let Some(account) = f.account.as_mut() {
                        account.name = name;
                    }
                    if let Some(contact) = f.contact.as_mut() {
                        contact.first_name = first_name;
                        contact.email = email;
                    }
                    f.incident.cause = cause;
                    f.incident.features_text = features_text;
                    f.incident.resolved = resolved;
                    f.incident.date = date;
                    f.incident.started = started;
                    f.next_update = next_update.map(|time| NextUpdateFacts {
                        time,
                        channel: "by email".into(),
                    });
                    if let Some(sender) = f.sender.as_mut() {
                        sender.email = sender_email;
                    }
                    if let Some(r) = f.remediation.as_mut() {
                        r.automatic = automatic;
                        r.credit = credit;
                        r.summary = summary;
                        r.approver = approver;
                    }
                    f.impact =
                        impact.map(|(requests, failed_requests, first_failure)| ImpactFacts {
                            requests,
                            failed_requests,
                            impacted_minutes: 3,
                            first_failure,
                            last_failure: None,
                        });
                    f.rca = rca.map(|(fixed, prevention)| RcaFacts {
                        what_happened: "It broke.".into(),
                        why: "A change.".into(),
                        fixed,
                        prevention: prevention
                            .into_iter()
                            .map(|(action, by, done)| PreventionFacts { action, by, done })
                            .collect(),
                    });
                    if public {
                        f.account = None;
                        f.contact = None;
                        f.remediation = None;
                    }
                    f
                })
        }

        proptest! {
            #[test]
            fn every_library_script_renders_through_its_program_as_through_the_engine(
                facts in facts()
            ) {
                let (env, programs) = library_programs();
                let facts = MessageFacts::from(facts);
                let ctx = Value::from_object(facts.vars());
                for (id, fast) in &programs {
                    let engine = |part: &str| {
                        env.get_template(&format!("{id}.{part}"))
                            .and_then(|t| t.render(&ctx))
                            .map(|mut s| {
                                trim_in_place(&mut s);
                                s
                            })
                    };
                    let subject = fast.subject.as_ref().map(|_| engine("subject"));
                    let expected = match (engine("body"), subject) {
                        (Ok(body), None) => Some((None, body.clone(), body)),
                        (Ok(body), Some(Ok(s))) => {
                            let text = whole_text(Some(&s), &body);
                            Some((Some(s), body, text))
                        }
                        _ => None,
                    };
                    let mut text = String::new();
                    let rendered = fast
                        .render(&facts, &mut text)
                        .map(|(subject, body)| (subject, body, text));
                    prop_assert_eq!(rendered, expected, "{}", id);
                }
            }
        }
    }
}
