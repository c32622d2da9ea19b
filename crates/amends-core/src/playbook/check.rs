//! From raw TOML to a [`Playbook`]: every reference resolved, every rule of the policy checked,
//! every problem reported with its place. Checks keep going after the first problem so a person
//! fixes a playbook in one pass, not one error per run.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Display;
use std::ops::Range;
use std::str::FromStr;

use rust_decimal::Decimal;
use toml::Spanned;

use super::raw::{self, Exact, Text};
use super::*;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::domain::{NameError, article};
use crate::lint::{Level, Rule};
use crate::money::MoneyError;
use crate::time::{self, Anchor, Delay};

/// The message for a remediation cell without an approver; the seed's own constraint.
pub const NEEDS_APPROVER: &str = "every remediation decision needs a named approver: add `approver = \"<person>\"` naming someone from [people]";

struct Checker<'s> {
    file: &'s str,
    source: &'s str,
    problems: Vec<(Range<usize>, String)>,
}

impl Checker<'_> {
    fn error(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.problems.push((span, message.into()));
    }

    /// Parses a spanned string with `FromStr`, recording the error at the value.
    fn parse<T>(&mut self, text: &Text) -> Option<T>
    where
        T: FromStr,
        T::Err: Display,
    {
        match text.get_ref().parse() {
            Ok(v) => Some(v),
            Err(e) => {
                self.error(text.span(), e.to_string());
                None
            }
        }
    }

    fn key(&mut self, what: &'static str, text: &Text) -> Option<Key> {
        let r: Result<Key, NameError> = Key::parse(what, text.get_ref());
        r.map_err(|e| self.error(text.span(), e.to_string())).ok()
    }

    fn non_empty(&mut self, text: &Text, what: &str) -> String {
        let t = text.get_ref().trim();
        if t.is_empty() {
            self.error(text.span(), format!("{what} must not be empty"));
        }
        t.to_string()
    }

    fn person(&mut self, people: &BTreeMap<Key, Person>, text: &Text) -> Option<Key> {
        let key = self.key("person", text)?;
        if people.contains_key(&key) {
            Some(key)
        } else {
            let known: Vec<&str> = people.keys().map(Key::as_str).collect();
            self.error(
                text.span(),
                format!(
                    "no person {:?} in [people]; named people are: {}",
                    key.as_str(),
                    known.join(", ")
                ),
            );
            None
        }
    }

    fn tier(&mut self, tiers: &[Key], text: &Text) -> Option<Key> {
        let key = self.key("tier", text)?;
        if tiers.contains(&key) {
            Some(key)
        } else {
            self.error(
                text.span(),
                format!(
                    "unknown tier {:?}; the playbook's tiers are: {}",
                    key.as_str(),
                    join(tiers)
                ),
            );
            None
        }
    }

    fn severity_index(&mut self, ids: &[Key], text: &Text) -> Option<usize> {
        match ids.iter().position(|k| k.as_str() == text.get_ref()) {
            Some(i) => Some(i),
            None => {
                self.error(
                    text.span(),
                    format!(
                        "unknown severity {:?}; the playbook's severities are: {}",
                        text.get_ref(),
                        join(ids)
                    ),
                );
                None
            }
        }
    }

    fn percent(&mut self, value: &Spanned<Exact>, what: &str, max: Option<Decimal>) -> Decimal {
        let v = value.get_ref().0;
        if v.is_sign_negative() || max.is_some_and(|m| v > m) {
            let range = max.map_or("0 or more".to_string(), |m| format!("between 0 and {m}"));
            self.error(value.span(), format!("{what} must be {range}, not {v}"));
        }
        v
    }

    fn amounts(&mut self, map: &Spanned<BTreeMap<String, Text>>) -> BTreeMap<Currency, Money> {
        let mut out = BTreeMap::new();
        for (code, amount) in map.get_ref() {
            let parsed = code
                .parse::<Currency>()
                .and_then(|c| Money::parse(amount.get_ref(), c));
            match parsed {
                Ok(m) => {
                    out.insert(m.currency(), m);
                }
                Err(e @ MoneyError::UnknownCurrency(_)) => self.error(map.span(), e.to_string()),
                Err(e) => self.error(amount.span(), e.to_string()),
            }
        }
        if map.get_ref().is_empty() {
            self.error(
                map.span(),
                "give at least one amount, e.g. { USD = \"50.00\" }",
            );
        }
        out
    }

    fn finish(self) -> Diagnostics {
        let mut problems = self.problems;
        problems.sort_by_key(|(span, _)| span.start);
        problems.dedup();
        Diagnostics(
            problems
                .into_iter()
                .map(|(span, msg)| Diagnostic::at(self.file, self.source, span, msg))
                .collect(),
        )
    }
}

fn join(keys: &[Key]) -> String {
    keys.iter().map(Key::as_str).collect::<Vec<_>>().join(", ")
}

pub(super) fn parse(file: &str, source: &str) -> Result<Playbook, Diagnostics> {
    let raw: raw::RawPlaybook = toml::from_str(source).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        Diagnostics(vec![Diagnostic::at(
            file,
            source,
            span,
            e.message().trim().to_string(),
        )])
    })?;
    let mut c = Checker {
        file,
        source,
        problems: Vec::new(),
    };
    let playbook = build(&mut c, raw);
    if c.problems.is_empty() {
        playbook.ok_or_else(|| c.finish())
    } else {
        Err(c.finish())
    }
}

fn build(c: &mut Checker<'_>, raw: raw::RawPlaybook) -> Option<Playbook> {
    let header = raw.playbook.into_inner();
    let name = c.non_empty(&header.name, "the playbook name");
    let version = c.non_empty(&header.version, "the playbook version");
    let tiers = unique_keys(c, "tier", header.tiers.get_ref());
    if tiers.is_empty() {
        c.error(header.tiers.span(), "declare at least one customer tier");
    }

    let calendar = calendar(c, raw.calendar);
    let people = people(c, raw.people);

    // Severity ids first: every other section refers to them.
    let ids: Vec<Key> = raw
        .severity
        .iter()
        .filter_map(|s| c.key("severity", &s.get_ref().id))
        .collect();
    if raw.severity.is_empty() {
        c.error(
            raw.classification.span(),
            "declare at least one [[severity]] level (e.g. S1, S2, S3)",
        );
    }
    let mut seen = BTreeSet::new();
    for s in &raw.severity {
        if !seen.insert(s.get_ref().id.get_ref().clone()) {
            c.error(
                s.get_ref().id.span(),
                format!("severity {:?} is declared twice", s.get_ref().id.get_ref()),
            );
        }
    }
    let unmatched = c.severity_index(&ids, &raw.classification.get_ref().unmatched);

    let templates = templates(c, &people, raw.templates);
    let lint = lint(c, raw.lint);
    let services = services(c, &tiers, raw.services);
    let mut communication = per_severity(c, &ids, raw.communication, "communication");
    let mut escalation = per_severity(c, &ids, raw.escalation, "escalation");

    let mut severities = Vec::new();
    for (index, s) in raw.severity.into_iter().enumerate() {
        let span = s.span();
        let s = s.into_inner();
        let steps = communication.remove(&index).unwrap_or_default();
        let esc = escalation.remove(&index).unwrap_or_default();
        if let Some(level) = severity(c, &people, &tiers, &templates, span, s, steps, esc) {
            severities.push(level);
        }
    }

    let sla_schedules = sla_schedules(c, raw.sla_schedules);
    let remediation = remediation(c, &tiers, &ids, &people, &sla_schedules, raw.remediation);
    let reviews = reviews(c, &people, &ids, raw.review);
    let impact = impact(c, raw.impact);

    Some(Playbook {
        name,
        version,
        tiers,
        calendar: calendar?,
        people,
        severities,
        unmatched: unmatched?,
        templates,
        lint,
        services,
        remediation: remediation?,
        sla_schedules,
        reviews,
        impact,
    })
}

/// The `[impact]` table; absent means the defaults (impacted accounts only, 5 % errors).
fn impact(c: &mut Checker<'_>, raw: Option<Spanned<raw::RawImpact>>) -> ImpactPolicy {
    let mut policy = ImpactPolicy::default();
    let Some(raw) = raw else {
        return policy;
    };
    let raw = raw.into_inner();
    if let Some(t) = &raw.target {
        match t.get_ref().as_str() {
            "impacted" => policy.target = ImpactTarget::Impacted,
            "impacted_or_silent" => policy.target = ImpactTarget::ImpactedOrSilent,
            "all" => policy.target = ImpactTarget::All,
            other => c.error(
                t.span(),
                format!("target {other:?}: use \"impacted\", \"impacted_or_silent\" or \"all\""),
            ),
        }
    }
    if let Some(rate) = &raw.error_rate {
        let v = rate.get_ref().0;
        if v <= Decimal::ZERO || v > Decimal::ONE {
            c.error(
                rate.span(),
                format!(
                    "error_rate is a fraction above 0 and at most 1 (\"0.05\" for 5 %), not {v}"
                ),
            );
        }
        policy.error_rate = v;
    }
    if let Some(ms) = raw.latency_ms {
        if *ms.get_ref() == 0 {
            c.error(ms.span(), "latency_ms must be at least 1");
        }
        policy.latency_ms = Some(ms.into_inner());
    }
    if let Some(m) = &raw.credit_per_impacted_hour {
        policy.credit_per_impacted_hour = c.amounts(m);
    }
    if let Some(d) = &raw.sla_downtime {
        match d.get_ref().as_str() {
            "incident" => policy.sla_downtime = SlaDowntime::Incident,
            "impacted_minutes" => policy.sla_downtime = SlaDowntime::ImpactedMinutes,
            other => c.error(
                d.span(),
                format!("sla_downtime {other:?}: use \"incident\" or \"impacted_minutes\""),
            ),
        }
    }
    const KEYS: [&str; 9] = [
        "account",
        "timestamp",
        "zone",
        "status",
        "failure_from",
        "success",
        "latency",
        "feature",
        "region",
    ];
    for (key, column) in raw.columns {
        if !KEYS.contains(&key.as_str()) {
            c.error(
                column.span(),
                format!(
                    "[impact.columns] has no key {key:?}; the keys are: {}",
                    KEYS.join(", ")
                ),
            );
        }
        policy.columns.insert(key, column.into_inner());
    }
    policy
}

fn unique_keys(c: &mut Checker<'_>, what: &'static str, texts: &[Text]) -> Vec<Key> {
    let mut out: Vec<Key> = Vec::new();
    for t in texts {
        if let Some(k) = c.key(what, t) {
            if out.contains(&k) {
                c.error(t.span(), format!("{what} {:?} is listed twice", k.as_str()));
            } else {
                out.push(k);
            }
        }
    }
    out
}

fn calendar(c: &mut Checker<'_>, raw: Spanned<raw::RawCalendar>) -> Option<BusinessCalendar> {
    let raw = raw.into_inner();
    let zone = c.parse::<time::Zone>(&raw.time_zone);
    let mut days = Vec::new();
    for d in raw.working_days.get_ref() {
        if let Ok(day) =
            time::parse_weekday(d.get_ref()).map_err(|e| c.error(d.span(), e.to_string()))
        {
            days.push(day);
        }
    }
    if raw.working_days.get_ref().is_empty() {
        c.error(
            raw.working_days.span(),
            "a business calendar needs at least one working day",
        );
    }
    let mut holidays = Vec::new();
    for h in &raw.holidays {
        if let Ok(d) = time::parse_date(h.get_ref()).map_err(|e| c.error(h.span(), e.to_string())) {
            holidays.push(d);
        }
    }
    Some(BusinessCalendar::new(zone?, days, holidays))
}

fn people(
    c: &mut Checker<'_>,
    raw: BTreeMap<Text, Spanned<raw::RawPerson>>,
) -> BTreeMap<Key, Person> {
    let mut out = BTreeMap::new();
    for (handle, p) in raw {
        let Some(key) = c.key("person", &handle) else {
            continue;
        };
        let p = p.into_inner();
        let name = c.non_empty(&p.name, "a person's name");
        let role = c.non_empty(&p.role, "a person's role");
        out.insert(
            key.clone(),
            Person {
                key,
                name,
                role,
                email: p.email.map(Spanned::into_inner),
            },
        );
    }
    out
}

fn templates(
    c: &mut Checker<'_>,
    people: &BTreeMap<Key, Person>,
    raw: BTreeMap<Text, Spanned<raw::RawTemplate>>,
) -> BTreeMap<Key, Template> {
    let mut out = BTreeMap::new();
    for (name, t) in raw {
        let span = t.span();
        let t = t.into_inner();
        let description = c.non_empty(&t.description, "a template description");
        let purpose = match &t.purpose {
            Some(p) => c.parse::<Purpose>(p).map(Some),
            None => Some(None),
        };
        let sender = t.sender.as_ref().and_then(|s| c.person(people, s));
        let located = |text: Text| Located {
            span: text.span(),
            text: text.into_inner(),
        };
        let sources = [t.body.is_some(), t.script.is_some(), t.file.is_some()]
            .iter()
            .filter(|b| **b)
            .count();
        if sources > 1 {
            c.error(
                span.clone(),
                "a template takes its text from one place: `body`, `script` or `file`",
            );
        }
        if let Some(subject) = &t.subject
            && t.body.is_none()
        {
            c.error(
                subject.span(),
                "`subject` goes with an inline `body`; a script or file carries its own subject",
            );
        }
        let source = match (t.body, t.script, t.file) {
            (Some(body), _, _) => TemplateSource::Inline {
                subject: t.subject.map(located),
                body: located(body),
            },
            (None, Some(script), _) => TemplateSource::Script(located(script)),
            (None, None, Some(file)) => TemplateSource::File(located(file)),
            (None, None, None) => TemplateSource::Described,
        };
        // A bad purpose is reported above; the template still exists, so the steps naming it
        // get no knock-on "no template" errors.
        if let Some(key) = c.key("template", &name) {
            out.insert(
                key,
                Template {
                    description,
                    purpose: purpose.flatten(),
                    sender,
                    named_contact: t.named_contact,
                    source,
                },
            );
        }
    }
    out
}

fn services(
    c: &mut Checker<'_>,
    tiers: &[Key],
    raw: BTreeMap<Text, Spanned<raw::RawService>>,
) -> BTreeMap<String, Service> {
    let mut out = BTreeMap::new();
    for (name, s) in raw {
        let s = s.into_inner();
        let service_name = c.non_empty(&name, "a service name");
        let title = c.non_empty(&s.title, "a service's incident title");
        let failure_type = c.parse::<FailureType>(&s.failure_type);
        // None: refused (reported); Some(None): not given, a person confirms.
        let auto = match &s.triage_auto_confirm {
            None => Some(None),
            Some(t) => c.parse::<Minutes>(t).map(Some),
        };
        let affected = s.affected.get_ref().clone();
        for tier in &affected.tiers {
            if !tiers.iter().any(|k| k.as_str() == tier) {
                c.error(
                    s.affected.span(),
                    format!(
                        "unknown tier {tier:?}; the playbook's tiers are: {}",
                        join(tiers)
                    ),
                );
            }
        }
        if !affected.all
            && affected.tiers.is_empty()
            && affected.segments.is_empty()
            && affected.accounts.is_empty()
        {
            c.error(
                s.affected.span(),
                "say who an incident on this service affects: `affected = { tiers = [...] }`, segments, accounts or `all = true`",
            );
        }
        if let (Some(failure_type), Some(auto)) = (failure_type, auto) {
            out.insert(
                service_name.clone(),
                Service {
                    name: service_name,
                    title,
                    failure_type,
                    features: s.features.into_iter().map(Spanned::into_inner).collect(),
                    core_feature: s.core_feature,
                    workaround: s.workaround,
                    affected,
                    triage_auto_confirm: auto,
                },
            );
        }
    }
    out
}

fn lint(c: &mut Checker<'_>, raw: raw::RawLint) -> LintConfig {
    let mut config = LintConfig::default();
    for (rule, level) in raw.levels {
        let Some(r) = Rule::from_id(rule.get_ref()) else {
            let known: Vec<&str> = Rule::ALL.iter().map(|r| r.id()).collect();
            c.error(
                rule.span(),
                format!(
                    "no lint rule {:?}; the rules are: {}",
                    rule.get_ref(),
                    known.join(", ")
                ),
            );
            continue;
        };
        match level.get_ref().parse::<Level>() {
            Ok(l) => config.set_level(r, l),
            Err(e) => c.error(level.span(), e),
        }
    }
    let mut limit = |value: Option<Spanned<u32>>, slot: &mut u32, what: &str| {
        if let Some(v) = value {
            if *v.get_ref() == 0 {
                c.error(v.span(), format!("{what} must be at least 1"));
            }
            *slot = v.into_inner();
        }
    };
    limit(
        raw.max_reading_grade,
        &mut config.max_reading_grade,
        "max_reading_grade",
    );
    limit(
        raw.max_sms_segments,
        &mut config.max_sms_segments,
        "max_sms_segments",
    );
    limit(
        raw.max_status_chars,
        &mut config.max_status_chars,
        "max_status_chars",
    );
    limit(
        raw.max_chat_chars,
        &mut config.max_chat_chars,
        "max_chat_chars",
    );
    config
}

/// Splits a `[communication.S1]`-style map by severity index, reporting unknown severities.
fn per_severity<T>(
    c: &mut Checker<'_>,
    ids: &[Key],
    raw: BTreeMap<Text, Vec<T>>,
    section: &str,
) -> BTreeMap<usize, Vec<T>> {
    let mut out = BTreeMap::new();
    for (sev, steps) in raw {
        match ids.iter().position(|k| k.as_str() == sev.get_ref()) {
            Some(i) => {
                out.insert(i, steps);
            }
            None => c.error(
                sev.span(),
                format!(
                    "[{section}.{}] names no declared severity; the playbook's severities are: {}",
                    sev.get_ref(),
                    join(ids)
                ),
            ),
        }
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn severity(
    c: &mut Checker<'_>,
    people: &BTreeMap<Key, Person>,
    tiers: &[Key],
    templates: &BTreeMap<Key, Template>,
    span: Range<usize>,
    s: raw::RawSeverity,
    steps: Vec<Spanned<raw::RawStep>>,
    escalation: Vec<Spanned<raw::RawEscalationStep>>,
) -> Option<SeverityLevel> {
    let id = c.key("severity", &s.id);
    let name = c.non_empty(&s.name, "a severity name");
    let summary = c.non_empty(&s.summary, "a severity summary");
    let owners: Vec<Key> = s
        .owners
        .get_ref()
        .iter()
        .filter_map(|o| c.person(people, o))
        .collect();
    if s.owners.get_ref().is_empty() {
        c.error(
            s.owners.span(),
            "every severity needs at least one named response owner",
        );
    }
    let initial = c.parse::<Minutes>(&s.initial_notification);
    let customer_comms = if s.customer_comms.get_ref().trim() == "on_request" {
        Some(CustomerComms::OnRequest)
    } else {
        match s.customer_comms.get_ref().parse::<Minutes>() {
            Ok(m) => Some(CustomerComms::Within(m)),
            Err(_) => {
                c.error(
                    s.customer_comms.span(),
                    "customer_comms is a duration after detection (\"30m\") or \"on_request\"",
                );
                None
            }
        }
    };
    let criteria = s
        .criteria
        .into_iter()
        .filter_map(|cr| criterion(c, tiers, cr))
        .collect();

    let written = steps.len();
    let communication = comm_steps(c, templates, &s.id, span.clone(), steps);
    if communication.len() == written && !communication.is_empty() {
        first_message_checks(
            c,
            [&s.id, &s.initial_notification, &s.customer_comms],
            initial,
            customer_comms,
            &communication,
        );
    }
    // Judge the timing only when every step parsed: a broken step is already reported, and
    // without it the "first" message would be the wrong one.
    if let (Some(initial), Some(first)) = (initial, first_detection_offset(&communication))
        && communication.len() == written
        && first > initial
    {
        c.error(
                s.initial_notification.span(),
                format!(
                    "the first message of {} goes out at detection + {first}, later than its initial notification deadline of {initial}",
                    s.id.get_ref()
                ),
            );
    }
    let mut escalation_spans = Vec::new();
    let escalation: Vec<EscalationStep> = escalation
        .into_iter()
        .filter_map(|e| {
            let span = e.get_ref().at.span();
            let step = escalation_step(c, people, tiers, e)?;
            escalation_spans.push(span);
            Some(step)
        })
        .collect();
    // The chain is read top to bottom under pressure: its order must be its timing.
    for (i, pair) in escalation.windows(2).enumerate() {
        if let (Some(a), Some(b)) = (order_key(pair[0].at), order_key(pair[1].at))
            && b < a
        {
            c.error(
                escalation_spans[i + 1].clone(),
                format!(
                    "escalation steps must be in time order: \"{}\" comes after \"{}\"",
                    pair[1].at, pair[0].at
                ),
            );
        }
    }

    Some(SeverityLevel {
        id: id?,
        name,
        summary,
        owners,
        initial_notification: initial?,
        customer_comms: customer_comms?,
        criteria,
        communication,
        escalation,
    })
}

/// Timing promises the sequence must keep: something is counted from detection (a sequence
/// that starts at "start + 3h" could be arbitrarily late), and the first message to accounts
/// is within the level's `customer_comms`.
fn first_message_checks(
    c: &mut Checker<'_>,
    [id, initial_text, customer_comms_text]: [&Text; 3],
    initial: Option<Minutes>,
    customer_comms: Option<CustomerComms>,
    steps: &[CommStep],
) {
    if initial.is_some() && first_detection_offset(steps).is_none() {
        c.error(
            initial_text.span(),
            format!(
                "no message of {} is counted from detection, so nothing guarantees its initial notification deadline: start the sequence with a step at \"detection + …\"",
                id.get_ref()
            ),
        );
    }
    if let Some(CustomerComms::Within(limit)) = customer_comms {
        let first = steps
            .iter()
            .filter(|st| st.audience == Audience::AffectedAccounts)
            .filter_map(|st| match (st.at.anchor, st.at.delay) {
                (Anchor::Detection, Delay::Exact(m)) => Some(m),
                _ => None,
            })
            .min();
        match first {
            Some(m) if m > limit => c.error(
                customer_comms_text.span(),
                format!(
                    "the first message of {} to affected accounts goes out at detection + {m}, later than its customer_comms deadline of {limit}",
                    id.get_ref()
                ),
            ),
            None => c.error(
                customer_comms_text.span(),
                format!(
                    "{} promises customer communication within {limit}, but no step to affected_accounts is counted from detection",
                    id.get_ref()
                ),
            ),
            Some(_) => {}
        }
    }
}

/// Where a moment sits in an incident's time, for ordering steps: detection-anchored ones by
/// their offset, then those after resolution. Start-anchored and business-day moments are not
/// comparable with the others (the gap varies) and are not ordered.
fn order_key(m: Moment) -> Option<(u8, i64)> {
    match (m.anchor, m.delay) {
        (Anchor::Detection, Delay::Exact(d)) => Some((0, d.get())),
        (Anchor::Resolution, Delay::Exact(d)) => Some((1, d.get())),
        (Anchor::Resolution, Delay::CalendarDays(n)) => Some((1, i64::from(n) * 24 * 60)),
        _ => None,
    }
}

fn first_detection_offset(steps: &[CommStep]) -> Option<Minutes> {
    steps
        .iter()
        .filter_map(|s| match (s.at.anchor, s.at.delay) {
            (Anchor::Detection, Delay::Exact(m)) => Some(m),
            _ => None,
        })
        .min()
}

fn criterion(
    c: &mut Checker<'_>,
    tiers: &[Key],
    raw: Spanned<raw::RawCriterion>,
) -> Option<Criterion> {
    let span = raw.span();
    let r = raw.into_inner();
    let share = |c: &mut Checker<'_>, v: &Option<Spanned<Exact>>, what: &str| {
        v.as_ref()
            .map(|v| c.percent(v, what, Some(Decimal::ONE_HUNDRED)) / Decimal::ONE_HUNDRED)
    };
    let failure_types = r.failure_types.as_ref().map(|list| {
        if list.get_ref().is_empty() {
            c.error(list.span(), "failure_types is empty: it would never match");
        }
        list.get_ref()
            .iter()
            .filter_map(|t| c.parse::<FailureType>(t))
            .collect()
    });
    let criterion = Criterion {
        failure_types,
        share_affected_at_least: share(c, &r.share_affected_at_least, "share_affected_at_least"),
        share_affected_below: share(c, &r.share_affected_below, "share_affected_below"),
        duration_over: r.duration_over.as_ref().and_then(|d| c.parse(d)),
        duration_under: r.duration_under.as_ref().and_then(|d| c.parse(d)),
        core_feature: r.core_feature,
        workaround: r.workaround,
        tiers_affected_any: r.tiers_affected_any.as_ref().map(|list| {
            list.get_ref()
                .iter()
                .filter_map(|t| c.tier(tiers, t))
                .collect()
        }),
    };
    if criterion == Criterion::default() {
        c.error(
            span,
            "a criterion with no conditions matches every incident; give at least one condition (failure_types, share_affected_at_least, duration_over …)",
        );
    }
    Some(criterion)
}

fn comm_steps(
    c: &mut Checker<'_>,
    templates: &BTreeMap<Key, Template>,
    severity: &Text,
    severity_span: Range<usize>,
    raw: Vec<Spanned<raw::RawStep>>,
) -> Vec<CommStep> {
    if raw.is_empty() {
        c.error(
            severity_span,
            format!(
                "severity {:?} has no customer communication sequence: add [[communication.{}]] steps",
                severity.get_ref(),
                severity.get_ref()
            ),
        );
    }
    let mut ids = BTreeSet::new();
    let mut out = Vec::new();
    for step in raw {
        let s = step.into_inner();
        let id = c.key("step id", &s.id);
        if !ids.insert(s.id.get_ref().clone()) {
            c.error(
                s.id.span(),
                format!(
                    "step id {:?} is used twice in this sequence",
                    s.id.get_ref()
                ),
            );
        }
        let at: Option<Moment> = c.parse(&s.at);
        let every: Option<Option<Minutes>> = match &s.every {
            None => Some(None),
            Some(e) => match c.parse::<Minutes>(e) {
                Some(m) if m.get() <= 0 => {
                    c.error(e.span(), "a repeat cadence must be longer than zero");
                    None
                }
                Some(m) => {
                    if at.is_some_and(|a| a.anchor == Anchor::Resolution) {
                        c.error(
                            e.span(),
                            "a step counted from resolution cannot repeat while the incident is open",
                        );
                    }
                    Some(Some(m))
                }
                None => None,
            },
        };
        let only_if_unresolved = match &s.only_if {
            None => false,
            Some(t) if t.get_ref() == "unresolved" => true,
            Some(t) => {
                c.error(t.span(), "only_if accepts \"unresolved\"");
                false
            }
        };
        let channel: Option<Channel> = c.parse(&s.channel);
        let audience = match s.audience.get_ref().as_str() {
            "public" => Some(Audience::Public),
            "affected_accounts" => Some(Audience::AffectedAccounts),
            _ => {
                c.error(
                    s.audience.span(),
                    "audience is \"public\" (the status page) or \"affected_accounts\"",
                );
                None
            }
        };
        // A step whose channel and audience disagree is reported and left out, so later
        // checks do not judge the sequence by a step that will be rewritten.
        let audience = match (channel, audience) {
            (Some(Channel::StatusPage), Some(Audience::AffectedAccounts)) => {
                c.error(
                    s.audience.span(),
                    "the status page is public: use audience = \"public\" for status_page steps",
                );
                None
            }
            (Some(ch), Some(Audience::Public)) if ch != Channel::StatusPage => {
                c.error(
                    s.audience.span(),
                    format!(
                        "{} {ch} step goes to accounts: use audience = \"affected_accounts\"",
                        article(ch.as_str())
                    ),
                );
                None
            }
            (_, audience) => audience,
        };
        let template = c.key("template", &s.template);
        if let Some(t) = &template
            && !templates.contains_key(t)
        {
            c.error(
                s.template.span(),
                format!("no template {:?} in [templates]", t.as_str()),
            );
        }
        if let (Some(id), Some(at), Some(every), Some(channel), Some(audience), Some(template)) =
            (id, at, every, channel, audience, template)
        {
            out.push(CommStep {
                id,
                at,
                every,
                only_if_unresolved,
                channel,
                audience,
                template,
            });
        }
    }
    out
}

fn escalation_step(
    c: &mut Checker<'_>,
    people: &BTreeMap<Key, Person>,
    tiers: &[Key],
    raw: Spanned<raw::RawEscalationStep>,
) -> Option<EscalationStep> {
    let e = raw.into_inner();
    let at = c.parse::<Moment>(&e.at);
    let actor = c.non_empty(&e.actor, "an escalation actor");
    let action = c.non_empty(&e.action, "an escalation action");
    if e.notify.get_ref().is_empty() {
        c.error(
            e.notify.span(),
            "an escalation step must notify at least one named person",
        );
    }
    let notify: Vec<Key> = e
        .notify
        .get_ref()
        .iter()
        .filter_map(|p| c.person(people, p))
        .collect();
    let channel = c.parse::<InternalChannel>(&e.channel);
    let mut when_any = Vec::new();
    for cond in e.when_any {
        let span = cond.span();
        let cond = cond.into_inner();
        match (cond.affected_accounts_over, &cond.duration_over) {
            (Some(count), None) => {
                let tier = match &cond.tier {
                    Some(t) => match c.tier(tiers, t) {
                        Some(k) => Some(k),
                        None => continue,
                    },
                    None => None,
                };
                when_any.push(Condition::AffectedAccountsOver { tier, count });
            }
            (None, Some(d)) if cond.tier.is_none() => {
                if let Some(m) = c.parse(d) {
                    when_any.push(Condition::DurationOver(m));
                }
            }
            _ => c.error(
                span,
                "a condition is either { tier = \"…\", affected_accounts_over = N } or { duration_over = \"1h\" }",
            ),
        }
    }
    Some(EscalationStep {
        at: at?,
        actor,
        action,
        notify,
        channel: channel?,
        target: e.target.map(Spanned::into_inner),
        information: e.information.into_iter().map(Spanned::into_inner).collect(),
        when_any,
    })
}

fn sla_schedules(
    c: &mut Checker<'_>,
    raw: BTreeMap<Text, Spanned<raw::RawSlaSchedule>>,
) -> BTreeMap<Key, SlaSchedule> {
    let mut out = BTreeMap::new();
    for (name, s) in raw {
        let Some(key) = c.key("SLA schedule", &name) else {
            continue;
        };
        let s = s.into_inner();
        let mut tiers: Vec<(Range<usize>, SlaTier)> = Vec::new();
        for t in s.tiers.get_ref() {
            let below = c.percent(
                &t.get_ref().uptime_below,
                "uptime_below",
                Some(Decimal::ONE_HUNDRED),
            );
            let credit = c.percent(&t.get_ref().credit_percent, "credit_percent", None);
            tiers.push((
                t.span(),
                SlaTier {
                    uptime_below: below,
                    credit_percent: credit,
                },
            ));
        }
        if tiers.is_empty() {
            c.error(
                s.tiers.span(),
                "an SLA schedule needs at least one tier { uptime_below = \"99.9\", credit_percent = \"10\" }",
            );
        }
        tiers.sort_by_key(|t| std::cmp::Reverse(t.1.uptime_below));
        for pair in tiers.windows(2) {
            let (higher, lower) = (&pair[0], &pair[1]);
            if higher.1.uptime_below == lower.1.uptime_below {
                c.error(
                    lower.0.clone(),
                    format!("two tiers share the threshold {}%", lower.1.uptime_below),
                );
            } else if lower.1.credit_percent < higher.1.credit_percent {
                c.error(
                    lower.0.clone(),
                    format!(
                        "credit must not shrink as uptime falls: below {}% gives {}% but below {}% gives {}%",
                        higher.1.uptime_below,
                        higher.1.credit_percent,
                        lower.1.uptime_below,
                        lower.1.credit_percent
                    ),
                );
            }
        }
        let cap_percent = s
            .cap_percent
            .as_ref()
            .map_or(Decimal::ONE_HUNDRED, |v| c.percent(v, "cap_percent", None));
        let minimum_credit = s
            .minimum_credit
            .as_ref()
            .map(|m| c.amounts(m))
            .unwrap_or_default();
        out.insert(
            key.clone(),
            SlaSchedule {
                name: key,
                description: s.description.map_or_else(String::new, Spanned::into_inner),
                source: s.source.map(Spanned::into_inner),
                tiers: tiers.into_iter().map(|(_, t)| t).collect(),
                cap_percent,
                minimum_credit,
            },
        );
    }
    out
}

fn remediation(
    c: &mut Checker<'_>,
    tiers: &[Key],
    severities: &[Key],
    people: &BTreeMap<Key, Person>,
    schedules: &BTreeMap<Key, SlaSchedule>,
    raw: Spanned<raw::RawRemediation>,
) -> Option<Remediation> {
    let section_span = raw.span();
    let r = raw.into_inner();
    let day_basis = match &r.credit_day_basis {
        None => Some(DayBasis::DaysInMonth),
        Some(v) => match v.get_ref() {
            raw::DayBasisText::Word(w) if w == "days_in_month" => Some(DayBasis::DaysInMonth),
            raw::DayBasisText::Days(n) if (1..=31).contains(n) => {
                Some(DayBasis::Fixed(u32::try_from(*n).unwrap_or(30)))
            }
            _ => {
                c.error(
                    v.span(),
                    "credit_day_basis is \"days_in_month\" or a whole number of days from 1 to 31",
                );
                None
            }
        },
    };
    let contract_sla = match r.contract_sla.as_ref().map(|t| (t, t.get_ref().as_str())) {
        None | Some((_, "greater_of")) => Some(ContractSla::GreaterOf),
        Some((_, "in_addition")) => Some(ContractSla::InAddition),
        Some((_, "ignore")) => Some(ContractSla::Ignore),
        Some((t, _)) => {
            c.error(
                t.span(),
                "contract_sla is \"greater_of\", \"in_addition\" or \"ignore\"",
            );
            None
        }
    };

    let mut rules = Vec::new();
    let mut spans = Vec::new();
    // Cells with a rule that did not parse: their coverage is not judged, so one mistake gives
    // one error, not a second one about a gap or overlap it caused.
    let mut broken: Vec<(String, String)> = Vec::new();
    for (i, rule) in r.rule.into_iter().enumerate() {
        let span = rule.span();
        let rule = rule.into_inner();
        let cell = (rule.tier.get_ref().clone(), rule.severity.get_ref().clone());
        match remediation_rule(
            c,
            tiers,
            severities,
            people,
            schedules,
            i + 1,
            span.clone(),
            rule,
        ) {
            Some(built) => {
                rules.push(built);
                spans.push(span);
            }
            None => broken.push(cell),
        }
    }
    coverage(c, tiers, severities, &rules, &spans, &broken, section_span);
    Some(Remediation {
        day_basis: day_basis?,
        contract_sla: contract_sla?,
        rules,
    })
}

#[allow(clippy::too_many_arguments)]
fn remediation_rule(
    c: &mut Checker<'_>,
    tiers: &[Key],
    severities: &[Key],
    people: &BTreeMap<Key, Person>,
    schedules: &BTreeMap<Key, SlaSchedule>,
    number: usize,
    span: Range<usize>,
    rule: raw::RawRule,
) -> Option<RemediationRule> {
    let tier = c.tier(tiers, &rule.tier);
    let severity = c
        .severity_index(severities, &rule.severity)
        .map(|i| severities[i].clone());
    let mut duration = |text: &Option<Text>| match text {
        None => Some(None),
        Some(d) => c.parse::<Minutes>(d).map(Some),
    };
    let duration_over = duration(&rule.duration_over);
    let duration_at_most = duration(&rule.duration_at_most);
    let approver = match &rule.approver {
        None => {
            c.error(span, NEEDS_APPROVER);
            None
        }
        Some(a) => c.person(people, a),
    };
    if rule.remedies.get_ref().is_empty() {
        c.error(
            rule.remedies.span(),
            "say what the account receives; use [{ kind = \"none\" }] for nothing",
        );
    }
    let remedies: Vec<Remedy> = rule
        .remedies
        .into_inner()
        .into_iter()
        .filter_map(|r| remedy(c, people, schedules, r))
        .collect();
    Some(RemediationRule {
        number,
        tier: tier?,
        severity: severity?,
        duration_over: duration_over?,
        duration_at_most: duration_at_most?,
        remedies,
        automatic: rule.automatic,
        approver: approver?,
    })
}

fn remedy(
    c: &mut Checker<'_>,
    people: &BTreeMap<Key, Person>,
    schedules: &BTreeMap<Key, SlaSchedule>,
    raw: Spanned<raw::RawRemedy>,
) -> Option<Remedy> {
    let span = raw.span();
    let r = raw.into_inner();
    let kind = r.kind.get_ref().as_str();
    let allowed: &[&str] = match kind {
        "service_credit" => &["days"],
        "percent_of_fee" => &["percent"],
        "fixed_credit" => &["amounts"],
        "sla_credit" => &["schedule"],
        "apology" => &["from_role"],
        "acknowledgment" | "status_page_only" | "none" => &[],
        _ => {
            c.error(
                r.kind.span(),
                format!(
                    "unknown remedy kind {kind:?}; use service_credit, percent_of_fee, fixed_credit, sla_credit, acknowledgment, apology, status_page_only or none"
                ),
            );
            return None;
        }
    };
    let given = [
        ("days", r.days.is_some()),
        ("percent", r.percent.is_some()),
        ("amounts", r.amounts.is_some()),
        ("schedule", r.schedule.is_some()),
        ("from_role", r.from_role.is_some()),
    ];
    for (field, present) in given {
        if present && !allowed.contains(&field) {
            c.error(
                span.clone(),
                format!("{} {kind} remedy takes no `{field}`", article(kind)),
            );
        }
    }
    let missing = |c: &mut Checker<'_>, field: &str, example: &str| {
        c.error(
            span.clone(),
            format!(
                "{} {kind} remedy needs `{field}`, e.g. {example}",
                article(kind)
            ),
        );
    };
    match kind {
        "service_credit" => match &r.days {
            Some(d) => {
                let days = c.percent(d, "days", Some(Decimal::from(31)));
                Some(Remedy::ServiceCreditDays(days))
            }
            None => {
                missing(c, "days", "{ kind = \"service_credit\", days = 7 }");
                None
            }
        },
        "percent_of_fee" => match &r.percent {
            Some(p) => Some(Remedy::PercentOfMonthlyFee(c.percent(
                p,
                "percent",
                Some(Decimal::ONE_HUNDRED),
            ))),
            None => {
                missing(
                    c,
                    "percent",
                    "{ kind = \"percent_of_fee\", percent = \"10\" }",
                );
                None
            }
        },
        "fixed_credit" => match &r.amounts {
            Some(a) => Some(Remedy::Fixed(c.amounts(a))),
            None => {
                missing(
                    c,
                    "amounts",
                    "{ kind = \"fixed_credit\", amounts = { USD = \"50.00\" } }",
                );
                None
            }
        },
        "sla_credit" => match &r.schedule {
            Some(s) if s.get_ref() == "contract" => Some(Remedy::SlaCredit(None)),
            Some(s) => {
                let key = c.key("SLA schedule", s)?;
                if schedules.contains_key(&key) {
                    Some(Remedy::SlaCredit(Some(key)))
                } else {
                    c.error(
                        s.span(),
                        format!(
                            "no SLA schedule {:?} in [sla_schedules] (or use schedule = \"contract\" for each account's own)",
                            key.as_str()
                        ),
                    );
                    None
                }
            }
            None => Some(Remedy::SlaCredit(None)),
        },
        "apology" => match &r.from_role {
            Some(role) => {
                let holders: Vec<&Person> = people
                    .values()
                    .filter(|p| p.role.eq_ignore_ascii_case(role.get_ref().trim()))
                    .collect();
                match holders.as_slice() {
                    [one] => Some(Remedy::Apology(one.key.clone())),
                    [] => {
                        c.error(
                            role.span(),
                            format!(
                                "a named apology needs a person: nobody in [people] has the role {:?}",
                                role.get_ref()
                            ),
                        );
                        None
                    }
                    many => {
                        let names: Vec<&str> = many.iter().map(|p| p.name.as_str()).collect();
                        c.error(
                            role.span(),
                            format!(
                                "the role {:?} is held by {}: a named apology needs exactly one person",
                                role.get_ref(),
                                names.join(" and ")
                            ),
                        );
                        None
                    }
                }
            }
            None => {
                missing(
                    c,
                    "from_role",
                    "{ kind = \"apology\", from_role = \"VP Support\" }",
                );
                None
            }
        },
        "acknowledgment" => Some(Remedy::Acknowledgment),
        "status_page_only" => Some(Remedy::StatusPageOnly),
        _ => Some(Remedy::Nothing),
    }
}

/// Every tier × severity must be decided for every duration, exactly once: a gap means an
/// account with no decision, an overlap means two decisions.
fn coverage(
    c: &mut Checker<'_>,
    tiers: &[Key],
    severities: &[Key],
    rules: &[RemediationRule],
    spans: &[Range<usize>],
    broken: &[(String, String)],
    section: Range<usize>,
) {
    let known = |(t, s): &(String, String)| {
        tiers.iter().any(|k| k.as_str() == t) && severities.iter().any(|k| k.as_str() == s)
    };
    if !broken.iter().all(known) {
        // A rule names an unknown tier or severity: which cell it meant is unknowable.
        return;
    }
    for tier in tiers {
        for sev in severities {
            if broken
                .iter()
                .any(|(t, s)| t == tier.as_str() && s == sev.as_str())
            {
                continue;
            }
            let cell: Vec<usize> = (0..rules.len())
                .filter(|&i| &rules[i].tier == tier && &rules[i].severity == sev)
                .collect();
            if cell.is_empty() {
                c.error(
                    section.clone(),
                    format!(
                        "the remediation matrix has no rule for tier {tier} at {sev}: every tier × severity needs a decision (use remedies = [{{ kind = \"none\" }}] for none)"
                    ),
                );
                continue;
            }
            // Probe durations at every boundary and just beside it.
            let mut probes = BTreeSet::from([0i64, i64::from(u32::MAX)]);
            for &i in &cell {
                for m in [rules[i].duration_over, rules[i].duration_at_most]
                    .into_iter()
                    .flatten()
                {
                    probes.extend([m.get(), m.get() + 1, (m.get() - 1).max(0)]);
                }
            }
            for probe in probes {
                let d = Minutes::new(probe);
                let hits: Vec<usize> = cell
                    .iter()
                    .copied()
                    .filter(|&i| rules[i].covers(d))
                    .collect();
                match hits.as_slice() {
                    [] => {
                        c.error(
                            spans[cell[0]].clone(),
                            format!(
                                "no remediation rule for tier {tier} at {sev} when the incident lasts {d}: the duration bands leave a gap"
                            ),
                        );
                        break;
                    }
                    [_] => {}
                    [_, second, ..] => {
                        c.error(
                            spans[*second].clone(),
                            format!(
                                "two remediation rules for tier {tier} at {sev} apply when the incident lasts {d}: make the duration bands not overlap (duration_over / duration_at_most)"
                            ),
                        );
                        break;
                    }
                }
            }
        }
    }
}

fn reviews(
    c: &mut Checker<'_>,
    people: &BTreeMap<Key, Person>,
    severities: &[Key],
    raw: Vec<Spanned<raw::RawReview>>,
) -> Vec<ReviewTask> {
    let mut out = Vec::new();
    let mut ids = BTreeSet::new();
    let mut customer_facing = false;
    let first_span = raw.first().map(Spanned::span);
    for r in raw {
        let r = r.into_inner();
        let id = c.key("review task id", &r.id);
        if !ids.insert(r.id.get_ref().clone()) {
            c.error(
                r.id.span(),
                format!("review task {:?} is declared twice", r.id.get_ref()),
            );
        }
        let title = c.non_empty(&r.title, "a review task title");
        let due = c.parse::<Moment>(&r.due);
        if let Some(d) = due
            && d.anchor != Anchor::Resolution
        {
            c.error(
                    r.due.span(),
                    "a review task is due after resolution: write \"resolution + 24h\" or \"resolution + 5 business days\"",
                );
        }
        let owner = c.person(people, &r.owner);
        let participants = r
            .participants
            .iter()
            .filter_map(|p| c.person(people, p))
            .collect();
        let sevs = r.severities.as_ref().map(|list| {
            list.iter()
                .filter_map(|s| c.severity_index(severities, s))
                .collect()
        });
        customer_facing |= r.customer_facing;
        if let (Some(id), Some(due), Some(owner)) = (id, due, owner) {
            out.push(ReviewTask {
                id,
                title,
                due,
                owner,
                participants,
                customer_facing: r.customer_facing,
                severities: sevs,
            });
        }
    }
    if !customer_facing {
        c.error(
            first_span.unwrap_or(0..0),
            "the post-incident review must end with a customer-facing closure: mark the customer RCA task customer_facing = true",
        );
    }
    out
}
