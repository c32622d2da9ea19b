//! From a plan to the facts of each message: the incident as its reader saw it at the moment
//! the message was due (an acknowledgment written at 10:30 does not know the outage ends at
//! 14:00), in the reader's own time zone and locale, with the account's own remedy and the
//! time of the next update.

use std::cell::RefCell;
use std::collections::HashMap;

use amends_core::account::Contact;
use amends_core::domain::Key;
use amends_core::locale::Locale;
use amends_core::plan::{Due, Plan};
use amends_core::playbook::{Audience, CommStep, Person, Playbook, Remedy};
use amends_core::remediation::Decision;
use amends_core::time::{Anchor, Minutes, Zone};
use jiff::Timestamp;
use std::sync::Arc;

use crate::context::{
    AccountFacts, ContactFacts, Facts, ImpactFacts, IncidentFacts, NextUpdateFacts, PersonFacts,
    RcaFacts, RemediationFacts, StepFacts, duration_words, first_name, join_words,
};
use crate::fast::MessageFacts;
use crate::rca::Rca;
use crate::templates::{RenderError, Rendered, Templates};

/// Renders the messages of one plan. Holds per-zone incident facts so that a million
/// accounts in a dozen time zones format the incident a dozen times, not a million.
pub struct Composer<'p> {
    plan: &'p Plan<'p>,
    templates: &'p Templates,
    rca: Option<&'p Rca>,
    cache: RefCell<Cache>,
}

/// Facts shared between messages: formatting the same incident for the same zone, or the
/// same account for its next message, is done once. Facts are reference-counted, so a hit
/// costs a pointer copy.
#[derive(Default)]
struct Cache {
    /// By zone name, then (locale, as-known-at instant).
    incidents: ByZone<(Locale, Timestamp), Arc<IncidentFacts>>,
    /// By zone name, then (locale, message): the step and the next update.
    messages: ByZone<(Locale, usize), StepAndNext>,
    senders: HashMap<Key, Option<Arc<PersonFacts>>>,
    rca: HashMap<Locale, Option<Arc<RcaFacts>>>,
    /// By zone name, then (locale, message): everything of an account message that is not
    /// the account's, found with one lookup.
    shared: ByZone<(Locale, usize), Shared>,
    /// By matrix rule number and whether the contract decided the credit: a decision's words.
    remedies: HashMap<(usize, bool), Arc<RemedyWords>>,
    /// The last (account, contact): its facts.
    account: Option<((usize, usize), AccountParts)>,
}

/// A message's step, and the next update it promises.
type StepAndNext = (Arc<StepFacts>, Option<NextUpdate>);

/// The next update as the plan has it: its facts in the words of its step's channel, and that
/// channel, so that a contact reached another way for that step (the step says "preferred",
/// or the contact has no address for the step's channel) is told the channel it will hear on.
#[derive(Clone)]
struct NextUpdate {
    facts: Arc<NextUpdateFacts>,
    via: amends_core::domain::Channel,
}

impl NextUpdate {
    /// The next update as `contact` gets it.
    fn for_contact(self, contact: &Contact) -> Arc<NextUpdateFacts> {
        let reached = amends_core::plan::channel_for(self.via, contact);
        if reached == self.via {
            return self.facts;
        }
        Arc::new(NextUpdateFacts {
            time: self.facts.time.clone(),
            channel: channel_words(reached).to_string(),
        })
    }
}

/// How a message reaches its reader, as the next-update line says it ("by email").
fn channel_words(channel: amends_core::domain::Channel) -> &'static str {
    match channel {
        amends_core::domain::Channel::StatusPage => "on our status page",
        amends_core::domain::Channel::Sms => "by text message",
        amends_core::domain::Channel::Phone => "by phone",
        amends_core::domain::Channel::Chat => "in chat",
        _ => "by email",
    }
}

/// What every account reading a message in one zone and locale shares.
#[derive(Clone)]
struct Shared {
    incident: Arc<IncidentFacts>,
    step: Arc<StepFacts>,
    next_update: Option<NextUpdate>,
    sender: Option<Arc<PersonFacts>>,
    rca: Option<Arc<RcaFacts>>,
}

/// An account's own facts for one contact (its measured impact is shown only in messages due
/// after the resolution).
#[derive(Clone)]
struct AccountParts {
    account: Arc<AccountFacts>,
    contact: Arc<ContactFacts>,
    remediation: Arc<RemediationFacts>,
    impact: Option<Arc<ImpactFacts>>,
}

/// Values by zone name first, so a lookup borrows the zone's name instead of allocating it.
type ByZone<K, V> = HashMap<String, HashMap<K, V>>;

/// Why a message could not be composed.
#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    /// No account at that index, or it has no such contact.
    #[error("no such account or contact in the plan")]
    NoSuchAccount,
    /// No message at that index, or it is for another audience.
    #[error("no such message in the plan for this audience")]
    NoSuchMessage,
    /// The message is not due at a known time (skipped, or waiting for the resolution).
    #[error("the message is not scheduled: {0}")]
    NotScheduled(String),
    /// The step sends the root-cause summary, and none was written yet.
    #[error("step {0:?} sends the root-cause summary, and none was written yet")]
    NoSummary(String),
    /// Rendering failed.
    #[error(transparent)]
    Render(#[from] RenderError),
}

impl<'p> Composer<'p> {
    /// A composer for one plan and its playbook's compiled templates.
    pub fn new(plan: &'p Plan<'p>, templates: &'p Templates, rca: Option<&'p Rca>) -> Self {
        Composer {
            plan,
            templates,
            rca,
            cache: RefCell::new(Cache::default()),
        }
    }

    /// The message `message` (an index into `plan.messages`) for one contact of one affected
    /// account (indexes into `plan.accounts` and its contacts), rendered and linted.
    pub fn account_message(
        &self,
        account: usize,
        message: usize,
        contact: usize,
    ) -> Result<Rendered, ComposeError> {
        let step = self.step(message, Audience::AffectedAccounts)?;
        self.require_summary(step)?;
        let facts = self.account_parts(account, message, contact)?;
        Ok(self
            .templates
            .render(&step.template, &facts, &self.plan.playbook.lint)?)
    }

    /// A public status page post (`message` indexes `plan.messages`).
    pub fn public_message(&self, message: usize) -> Result<Rendered, ComposeError> {
        let step = self.step(message, Audience::Public)?;
        self.require_summary(step)?;
        let facts = self.public_parts(message)?;
        Ok(self
            .templates
            .render(&step.template, &facts, &self.plan.playbook.lint)?)
    }

    /// A root-cause summary message without the summary would promise what it does not
    /// hold: it is not rendered at all.
    fn require_summary(&self, step: &CommStep) -> Result<(), ComposeError> {
        // With a summary there is nothing to check (and no template to look up).
        if self.rca.is_some() {
            return Ok(());
        }
        let is_summary = self
            .templates
            .entry(&step.template)
            .is_some_and(|e| e.purpose == amends_core::domain::Purpose::Rca);
        if is_summary {
            return Err(ComposeError::NoSummary(step.id.to_string()));
        }
        Ok(())
    }

    fn step(
        &self,
        message: usize,
        audience: Audience,
    ) -> Result<&'p amends_core::playbook::CommStep, ComposeError> {
        let m = self
            .plan
            .messages
            .get(message)
            .ok_or(ComposeError::NoSuchMessage)?;
        let step = self.plan.step(m);
        if step.audience == audience {
            Ok(step)
        } else {
            Err(ComposeError::NoSuchMessage)
        }
    }

    fn due(&self, message: usize) -> Result<Timestamp, ComposeError> {
        match &self
            .plan
            .messages
            .get(message)
            .ok_or(ComposeError::NoSuchMessage)?
            .due
        {
            Due::At(t) => Ok(*t),
            Due::AwaitingResolution => Err(ComposeError::NotScheduled(
                "it is counted from a resolution that has not happened yet".into(),
            )),
            Due::Skipped(_, why) => Err(ComposeError::NotScheduled(why.clone())),
        }
    }

    fn account_parts(
        &self,
        account: usize,
        message: usize,
        contact: usize,
    ) -> Result<MessageFacts, ComposeError> {
        let ap = self
            .plan
            .accounts
            .get(account)
            .ok_or(ComposeError::NoSuchAccount)?;
        let c = ap
            .account
            .contacts
            .get(contact)
            .ok_or(ComposeError::NoSuchAccount)?;
        let step = self.step(message, Audience::AffectedAccounts)?;
        let due = self.due(message)?;
        let (zone, locale) = (&c.zone, c.locale);
        let cached = match &self.cache.borrow().account {
            Some((key, parts)) if *key == (account, contact) => Some(parts.clone()),
            _ => None,
        };
        let own = match cached {
            Some(parts) => parts,
            None => {
                let parts = AccountParts {
                    account: Arc::new(account_facts(ap.account)),
                    contact: Arc::new(contact_facts(c)),
                    remediation: Arc::new(self.remediation(&ap.decision, locale)),
                    impact: ap.impact.map(|i| Arc::new(impact_facts(i, zone, locale))),
                };
                self.cache.borrow_mut().account = Some(((account, contact), parts.clone()));
                parts
            }
        };
        let shared = self.shared_values(message, step, due, zone, locale);
        // Measured figures are known from the resolution on (from the plan's as-of while
        // open): an earlier message must not quote failures that had not happened yet.
        let measured = due
            >= self
                .plan
                .incident
                .anchors
                .resolution
                .unwrap_or(self.plan.as_of);
        Ok(MessageFacts {
            account: Some(own.account),
            contact: Some(own.contact),
            incident: shared.incident,
            impact: own.impact.filter(|_| measured),
            remediation: Some(own.remediation),
            next_update: shared.next_update.map(|n| n.for_contact(c)),
            sender: shared.sender,
            rca: shared.rca,
            step: shared.step,
        })
    }

    /// The values of an account message that every account reading it in the same zone and
    /// locale shares: incident, step, next update, sender and summary.
    fn shared_values(
        &self,
        message: usize,
        step: &CommStep,
        due: Timestamp,
        zone: &Zone,
        locale: Locale,
    ) -> Shared {
        if let Some(v) = self
            .cache
            .borrow()
            .shared
            .get(zone.name())
            .and_then(|m| m.get(&(locale, message)))
        {
            return v.clone();
        }
        let (step_value, next_update) = self.message_values(message, step, due, zone, locale);
        let shared = Shared {
            incident: self.incident_value(zone, locale, due),
            step: step_value,
            next_update,
            sender: self.sender_value(&step.template),
            rca: self.rca_value(locale),
        };
        self.cache
            .borrow_mut()
            .shared
            .entry(zone.name().to_string())
            .or_default()
            .insert((locale, message), shared.clone());
        shared
    }

    fn public_parts(&self, message: usize) -> Result<MessageFacts, ComposeError> {
        let step = self.step(message, Audience::Public)?;
        let due = self.due(message)?;
        let zone = self.plan.playbook.calendar.zone();
        let locale = Locale::default();
        let (step_value, next_update) = self.message_values(message, step, due, zone, locale);
        Ok(MessageFacts {
            account: None,
            contact: None,
            incident: self.incident_value(zone, locale, due),
            impact: None,
            remediation: None,
            next_update: next_update.map(|n| n.facts),
            sender: self.sender_value(&step.template),
            rca: self.rca_value(locale),
            step: step_value,
        })
    }

    fn incident_value(&self, zone: &Zone, locale: Locale, due: Timestamp) -> Arc<IncidentFacts> {
        if let Some(v) = self
            .cache
            .borrow()
            .incidents
            .get(zone.name())
            .and_then(|m| m.get(&(locale, due)))
        {
            return v.clone();
        }
        let v = Arc::new(self.incident(zone, locale, due));
        self.cache
            .borrow_mut()
            .incidents
            .entry(zone.name().to_string())
            .or_default()
            .insert((locale, due), v.clone());
        v
    }

    fn message_values(
        &self,
        message: usize,
        step: &CommStep,
        due: Timestamp,
        zone: &Zone,
        locale: Locale,
    ) -> StepAndNext {
        if let Some(v) = self
            .cache
            .borrow()
            .messages
            .get(zone.name())
            .and_then(|m| m.get(&(locale, message)))
        {
            return v.clone();
        }
        let values = (
            Arc::new(StepFacts {
                id: step.id.to_string(),
                occurrence: self.plan.messages[message].occurrence,
                due: locale.date_time(&zone.local(due)),
            }),
            self.next_update(message, due, zone, locale),
        );
        self.cache
            .borrow_mut()
            .messages
            .entry(zone.name().to_string())
            .or_default()
            .insert((locale, message), values.clone());
        values
    }

    fn sender_value(&self, template: &Key) -> Option<Arc<PersonFacts>> {
        if let Some(v) = self.cache.borrow().senders.get(template) {
            return v.clone();
        }
        let v = self.sender(template).map(Arc::new);
        self.cache
            .borrow_mut()
            .senders
            .insert(template.clone(), v.clone());
        v
    }

    fn rca_value(&self, locale: Locale) -> Option<Arc<RcaFacts>> {
        if let Some(v) = self.cache.borrow().rca.get(&locale) {
            return v.clone();
        }
        let v = self.rca.map(|r| Arc::new(r.facts(locale)));
        self.cache.borrow_mut().rca.insert(locale, v.clone());
        v
    }

    /// The facts of the root-cause summary's printable page and status post: everything as
    /// known when the plan was made, for one account (its first contact's zone and locale)
    /// or, without one, for the public (the calendar's zone).
    pub fn summary_facts(&self, account: Option<usize>) -> Result<Facts, ComposeError> {
        let at = self.plan.as_of;
        let public = (self.plan.playbook.calendar.zone(), Locale::default());
        let (ap, contact) = match account {
            Some(a) => {
                let ap = self
                    .plan
                    .accounts
                    .get(a)
                    .ok_or(ComposeError::NoSuchAccount)?;
                let c = ap
                    .account
                    .contacts
                    .first()
                    .ok_or(ComposeError::NoSuchAccount)?;
                (Some(ap), Some(c))
            }
            None => (None, None),
        };
        let (zone, locale) = contact.map_or(public, |c| (&c.zone, c.locale));
        // Signed like the summary's email, when the sequence has one.
        let rca_step = self.plan.severity().communication.iter().find(|s| {
            self.templates
                .entry(&s.template)
                .is_some_and(|e| e.purpose == amends_core::domain::Purpose::Rca)
        });
        let sender = match rca_step {
            Some(step) => self.sender(&step.template),
            None => self
                .plan
                .severity()
                .owners
                .first()
                .and_then(|k| self.plan.playbook.person(k))
                .map(person_facts),
        };
        Ok(Facts {
            account: ap.map(|ap| account_facts(ap.account)),
            contact: contact.map(contact_facts),
            incident: self.incident(zone, locale, at),
            impact: ap
                .and_then(|ap| ap.impact)
                .map(|i| impact_facts(i, zone, locale)),
            remediation: ap.map(|ap| self.remediation(&ap.decision, locale)),
            next_update: None,
            sender,
            rca: self.rca.map(|r| r.facts(locale)),
            step: StepFacts {
                id: rca_step.map_or("rca".to_string(), |s| s.id.to_string()),
                occurrence: 1,
                due: locale.date_time(&zone.local(at)),
            },
        })
    }

    /// The incident as known at `due`, in a reader's zone and locale.
    fn incident(&self, zone: &Zone, locale: Locale, due: Timestamp) -> IncidentFacts {
        let incident = self.plan.incident;
        let start = incident.anchors.start;
        let resolved = incident.anchors.resolution.filter(|r| *r <= due);
        let (from, until) = (zone.local(start), resolved.map(|r| zone.local(r)));
        let features: Vec<String> = incident.features.iter().map(|f| with_article(f)).collect();
        let severity = self.plan.severity();
        IncidentFacts {
            id: incident.id.clone(),
            title: incident.title.clone(),
            failure_type: incident.failure_type.to_string(),
            features_text: join_words(&features),
            features,
            cause: incident.known_cause.clone(),
            severity: severity.id.to_string(),
            severity_name: severity.name.clone(),
            ongoing: resolved.is_none(),
            date: locale.date(&from),
            started: locale.time(&from),
            resolved: until.as_ref().map(|u| locale.time(u)),
            window: match &until {
                Some(u) => locale.window(&from, u),
                None => format!("since {}", locale.date_time(&from)),
            },
            duration: duration_words(Minutes::between(start, resolved.unwrap_or(due)).get()),
        }
    }

    /// The next message anyone affected will get after `due` (an email or a status post),
    /// while the incident is still open at `due`.
    fn next_update(
        &self,
        message: usize,
        due: Timestamp,
        zone: &Zone,
        locale: Locale,
    ) -> Option<NextUpdate> {
        if self
            .plan
            .incident
            .anchors
            .resolution
            .is_some_and(|r| r <= due)
        {
            return None;
        }
        // What a reader can be promised at `due`: steps counted from the resolution are not
        // known yet. An account hears next from its own channel when another message to it
        // is planned, else from the status page.
        let audience = self.plan.step(&self.plan.messages[message]).audience;
        // A repeating step goes on while the incident is open: at `due` its next occurrence
        // is due, even when the plan, knowing the resolution, has no such occurrence.
        let known = |i: usize, m: &amends_core::plan::Message| {
            let step = self.plan.step(m);
            let Due::At(t) = m.due else { return None };
            if step.at.anchor == Anchor::Resolution {
                return None;
            }
            if t > due {
                return Some((t, i, step));
            }
            let next = step.every.map(|every| t + every.duration())?;
            (next > due).then_some((next, i, step))
        };
        let candidates = || {
            self.plan
                .messages
                .iter()
                .enumerate()
                .filter_map(|(i, m)| known(i, m))
        };
        let (at, _, step) = candidates()
            .filter(|(_, _, s)| s.audience == audience)
            .min_by_key(|(t, i, _)| (*t, *i))
            .or_else(|| candidates().min_by_key(|(t, i, _)| (*t, *i)))?;
        let channel = step.channel;
        let local = zone.local(at);
        let time = if local.date() == zone.local(due).date() {
            locale.time(&local)
        } else {
            locale.date_time(&local)
        };
        Some(NextUpdate {
            facts: Arc::new(NextUpdateFacts {
                time,
                channel: channel_words(channel).to_string(),
            }),
            via: channel,
        })
    }

    fn sender(&self, template: &Key) -> Option<PersonFacts> {
        let playbook = self.plan.playbook;
        let key = playbook
            .templates
            .get(template)
            .and_then(|t| t.sender.as_ref())
            .or_else(|| self.plan.severity().owners.first())?;
        playbook.person(key).map(person_facts)
    }

    /// An account's remedy in words: its rule's words, formatted once per matrix cell (a
    /// million accounts fall in a dozen), with the account's own amount put in, and its own
    /// uptime when its contract decided the amount.
    fn remediation(&self, d: &Decision<'_>, locale: Locale) -> RemediationFacts {
        let contract = d.contract.as_ref().filter(|c| c.applied);
        let key = (d.rule.number, contract.is_some());
        let cached = self.cache.borrow().remedies.get(&key).cloned();
        let words = cached.unwrap_or_else(|| {
            let words = Arc::new(RemedyWords::new(self.plan.playbook, d, contract.is_some()));
            self.cache.borrow_mut().remedies.insert(key, words.clone());
            words
        });
        words.for_account(d, locale)
    }
}

/// The words of a remediation decision that come from its matrix rule alone: which remedies,
/// how a credit is computed, and who approves and apologises. Only the amount (and the uptime,
/// when the account's contract decided the amount) differs between accounts of one rule.
#[derive(Debug)]
struct RemedyWords {
    /// The remedies joined into one phrase, without the amount: "a 7-day service credit and a
    /// personal apology from Dana Whitfield, VP Support".
    summary: String,
    /// The summary for an account that receives no money: when no remedy mentions a credit,
    /// it says that none applies.
    without_money: String,
    /// Where the amount goes in `summary`: after the "service credit" of the first remedy
    /// that mentions a credit.
    amount_at: Option<usize>,
    /// How a matrix credit is computed ("7 days of your monthly fee").
    basis: Option<String>,
    approver: String,
    apology_from: Option<String>,
}

/// Said when the account receives no money and no remedy mentions a credit.
const NO_CREDIT: &str = "no service credit under your plan for an incident of this length";

impl RemedyWords {
    /// The words of `d`'s rule; `contract_applied` when the account's contract decided the
    /// credit (the matrix's credits are then not named).
    fn new(playbook: &Playbook, d: &Decision<'_>, contract_applied: bool) -> RemedyWords {
        let RemedyParts {
            mut parts,
            basis,
            apology_from,
        } = RemedyParts::new(playbook, d, contract_applied);
        let credit_part = parts.iter().position(|p| p.contains("credit"));
        let amount_at = credit_part.and_then(|i| {
            let within = parts[i].find("service credit")? + "service credit".len();
            Some(part_start(&parts, i) + within)
        });
        let summary = join_words(&parts);
        let without_money = match credit_part {
            Some(_) => summary.clone(),
            None => {
                parts.push(NO_CREDIT.to_string());
                join_words(&parts)
            }
        };
        RemedyWords {
            summary,
            without_money,
            amount_at,
            basis,
            approver: named(playbook, d.approver()),
            apology_from,
        }
    }

    /// The facts of one account's decision of this rule, in the reader's locale.
    fn for_account(&self, d: &Decision<'_>, locale: Locale) -> RemediationFacts {
        let credit = (!d.credit.is_zero()).then(|| locale.money(d.credit));
        let summary = match (&credit, self.amount_at) {
            (Some(amount), Some(at)) => {
                let (before, after) = self.summary.split_at(at);
                [before, " of ", amount, after].concat()
            }
            (Some(_), None) => self.summary.clone(),
            (None, _) => self.without_money.clone(),
        };
        let basis = match d.contract.as_ref().filter(|c| c.applied) {
            Some(c) => Some(format!(
                "{}% of your monthly fee, for {}% uptime this month",
                c.sla.credit_percent.normalize(),
                c.sla.uptime_percent.round_dp(2).normalize()
            )),
            None => self.basis.clone(),
        };
        RemediationFacts {
            credit,
            summary,
            basis: basis.filter(|_| !d.credit.is_zero()),
            automatic: d.status == amends_core::remediation::Status::Automatic,
            approver: self.approver.clone(),
            apology_from: self.apology_from.clone(),
        }
    }
}

/// The remedies of a decision's rule in words, in order, before any amount is put in.
struct RemedyParts {
    /// One phrase a remedy: "a 7-day service credit", "a personal apology from …".
    parts: Vec<String>,
    /// How a matrix credit is computed ("7 days of your monthly fee").
    basis: Option<String>,
    /// Who apologises by name.
    apology_from: Option<String>,
}

impl RemedyParts {
    /// `contract_applied` when the account's contract decided the credit: its credit comes
    /// first and the matrix's credits are not named.
    fn new(playbook: &Playbook, d: &Decision<'_>, contract_applied: bool) -> RemedyParts {
        let mut parts: Vec<String> = Vec::new();
        let mut basis = None;
        let mut apology_from = None;
        if contract_applied {
            parts.push("a service credit under your service level agreement".to_string());
        }
        for g in &d.granted {
            match g.remedy {
                Remedy::ServiceCreditDays(days) if !contract_applied => {
                    parts.push(format!("a {}-day service credit", days.normalize()));
                    basis = Some(format!("{} days of your monthly fee", days.normalize()));
                }
                Remedy::PercentOfMonthlyFee(p) if !contract_applied => {
                    parts.push(format!(
                        "a service credit ({}% of your monthly fee)",
                        p.normalize()
                    ));
                    basis = Some(format!("{}% of your monthly fee", p.normalize()));
                }
                Remedy::Fixed(_) if !contract_applied => parts.push("a service credit".into()),
                Remedy::SlaCredit(_) if !contract_applied => {
                    parts.push("a service credit under your service level agreement".into());
                }
                Remedy::Apology(k) => {
                    apology_from = Some(named(playbook, k));
                    parts.push(format!("a personal apology from {}", named(playbook, k)));
                }
                Remedy::Acknowledgment => {
                    parts.push("a personal call from your account team".into());
                }
                _ => {}
            }
        }
        RemedyParts {
            parts,
            basis,
            apology_from,
        }
    }
}

/// A person of the playbook by name and role ("Dana Whitfield, VP Support"), or the key when
/// the playbook names no such person.
fn named(playbook: &Playbook, k: &Key) -> String {
    playbook
        .person(k)
        .map_or_else(|| k.to_string(), |p| format!("{}, {}", p.name, p.role))
}

/// Where part `i` of `parts` starts in [`join_words`]`(parts)`: after the parts before it and
/// their separators (", " between, " and " before the last).
fn part_start(parts: &[String], i: usize) -> usize {
    let separators = (1..=i)
        .map(|j| {
            if j + 1 == parts.len() {
                " and ".len()
            } else {
                ", ".len()
            }
        })
        .sum::<usize>();
    parts[..i].iter().map(String::len).sum::<usize>() + separators
}

/// An account's measured impact, its failure times in the reader's zone and locale.
fn impact_facts(i: &amends_core::impact::Impact, zone: &Zone, locale: Locale) -> ImpactFacts {
    let time = |t: Option<Timestamp>| t.map(|t| locale.time(&zone.local(t)));
    ImpactFacts {
        requests: i.requests,
        failed_requests: i.failures,
        impacted_minutes: i.impacted_minutes,
        first_failure: time(i.first_failure),
        last_failure: time(i.last_failure),
    }
}

fn account_facts(a: &amends_core::account::Account) -> AccountFacts {
    AccountFacts {
        id: a.id.to_string(),
        name: a.name.clone(),
        tier: a.tier.to_string(),
        owner: a.owner.clone(),
    }
}

fn contact_facts(c: &Contact) -> ContactFacts {
    ContactFacts {
        name: c.name.clone(),
        first_name: first_name(&c.name),
        email: c.email.clone(),
        time_zone: c.zone.name().to_string(),
        locale: c.locale.tag().to_string(),
    }
}

fn person_facts(p: &Person) -> PersonFacts {
    PersonFacts {
        name: p.name.clone(),
        first_name: first_name(&p.name),
        role: p.role.clone(),
        email: p.email.clone(),
    }
}

/// "web application" → "the web application"; a feature already written with an article or
/// a possessive is kept as written.
fn with_article(feature: &str) -> String {
    let lower = feature.to_lowercase();
    if ["the ", "a ", "an ", "your ", "our "]
        .iter()
        .any(|a| lower.starts_with(a))
    {
        feature.to_string()
    } else {
        format!("the {feature}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use minijinja::Value;

    #[test]
    fn the_composed_context_has_exactly_the_documented_variables() {
        let names = |v: &Value| -> Vec<String> {
            let mut keys: Vec<String> = v
                .try_iter()
                .map(|it| it.map(|k| k.to_string()).collect())
                .unwrap_or_default();
            keys.sort();
            keys
        };
        let facts = MessageFacts::from(crate::context::sample());
        assert_eq!(
            names(&Value::from_object(facts.vars())),
            names(&Value::from_serialize(crate::context::sample()))
        );
    }

    /// The remediation's words as they were formatted per account before they were cached
    /// per matrix rule (the amount put into the first remedy that mentions a credit by
    /// replacing its words): the reference the cached words are held equal to.
    fn reference_remediation(
        playbook: &Playbook,
        d: &Decision<'_>,
        locale: Locale,
    ) -> RemediationFacts {
        let contract = d.contract.as_ref().filter(|c| c.applied);
        let RemedyParts {
            mut parts,
            mut basis,
            apology_from,
        } = RemedyParts::new(playbook, d, contract.is_some());
        if let Some(c) = contract {
            basis = Some(format!(
                "{}% of your monthly fee, for {}% uptime this month",
                c.sla.credit_percent.normalize(),
                c.sla.uptime_percent.round_dp(2).normalize()
            ));
        }
        let credit = (!d.credit.is_zero()).then(|| locale.money(d.credit));
        match (&credit, parts.iter_mut().find(|p| p.contains("credit"))) {
            (Some(amount), Some(part)) => {
                *part = part.replacen("service credit", &format!("service credit of {amount}"), 1);
            }
            (None, None) => parts
                .push("no service credit under your plan for an incident of this length".into()),
            _ => {}
        }
        RemediationFacts {
            credit,
            summary: join_words(&parts),
            basis: basis.filter(|_| !d.credit.is_zero()),
            automatic: d.status == amends_core::remediation::Status::Automatic,
            approver: named(playbook, d.approver()),
            apology_from,
        }
    }

    /// Every sequence of up to three remedies (each kind, a named and an unknown apologiser,
    /// one whose key holds "credit"), with and without a contract that decided the amount,
    /// with and without money: the rule's words, cached by the composer, with the account's
    /// amount put in read exactly as the words formatted for the account alone.
    #[test]
    fn cached_remedy_words_read_as_the_words_formatted_per_account() {
        use amends_core::money::{Currency, Money};
        use amends_core::playbook::RemediationRule;
        use amends_core::remediation::{ContractCredit, Granted, SlaCredit, Status};

        let playbook = Playbook::parse(
            "demo/playbook.toml",
            include_str!("../../../demo/playbook.toml"),
        )
        .expect("the demo playbook parses");
        // A composer over the worked example, whose cache the decisions below go through.
        let accounts = amends_core::account::parse_csv(
            "demo/accounts.csv",
            include_str!("../../../demo/accounts.csv"),
            &playbook,
        )
        .expect("the demo accounts parse");
        let incident = amends_core::incident::Incident::parse_toml(
            "demo/incident.toml",
            include_str!("../../../demo/incident.toml"),
            &playbook,
            &accounts,
        )
        .expect("the demo incident parses");
        let as_of = "2024-10-28T13:00:00Z".parse().expect("a time");
        let plan = amends_core::plan::plan(&playbook, &accounts, &incident, as_of)
            .expect("the demo plans");
        let checked = crate::compile(
            &playbook,
            "demo/playbook.toml",
            include_str!("../../../demo/playbook.toml"),
            &crate::Library::bundled().expect("the bundled library"),
            &mut |p: &str| Err(p.to_string()),
        )
        .expect("the demo templates compile");
        let composer = Composer::new(&plan, &checked.templates, None);
        let key = |s: &str| Key::parse("test key", s).expect("a valid key");
        let person = playbook
            .people
            .keys()
            .next()
            .expect("the demo names people")
            .clone();
        let usd: Currency = "USD".parse().expect("a currency");
        let mut fixed = std::collections::BTreeMap::new();
        fixed.insert(usd, Money::parse("50.00", usd).expect("an amount"));
        let kinds = [
            Remedy::ServiceCreditDays("7.0".parse().expect("a number")),
            Remedy::PercentOfMonthlyFee("25".parse().expect("a number")),
            Remedy::Fixed(fixed),
            Remedy::SlaCredit(None),
            Remedy::Acknowledgment,
            Remedy::Apology(person),
            Remedy::Apology(key("service-credit-desk")),
            Remedy::StatusPageOnly,
            Remedy::Nothing,
        ];
        let mut sequences: Vec<Vec<usize>> = vec![vec![]];
        for len in 1..=3 {
            let shorter: Vec<Vec<usize>> = sequences
                .iter()
                .filter(|s| s.len() == len - 1)
                .cloned()
                .collect();
            for s in shorter {
                for k in 0..kinds.len() {
                    sequences.push([s.as_slice(), &[k]].concat());
                }
            }
        }
        let template = &playbook.remediation.rules[0];
        let schedule = playbook
            .sla_schedules
            .values()
            .next()
            .expect("the demo has an SLA");
        let amounts = ["0.00", "1806.45"].map(|a| Money::parse(a, usd).expect("an amount"));
        let mut compared = 0;
        for (number, sequence) in sequences.iter().enumerate() {
            let rule = RemediationRule {
                number,
                remedies: sequence.iter().map(|&k| kinds[k].clone()).collect(),
                ..template.clone()
            };
            for contract in [None, Some(false), Some(true)] {
                for credit in amounts {
                    let d = Decision {
                        rule: &rule,
                        granted: rule
                            .remedies
                            .iter()
                            .map(|remedy| Granted {
                                remedy,
                                credit: None,
                                sla: None,
                            })
                            .collect(),
                        contract: contract.map(|applied| ContractCredit {
                            schedule,
                            sla: SlaCredit {
                                uptime_percent: "99.4512".parse().expect("a number"),
                                credit_percent: "10".parse().expect("a number"),
                                months: 1,
                                credit,
                                below_minimum: false,
                            },
                            applied,
                        }),
                        credit,
                        status: Status::Automatic,
                    };
                    for locale in [Locale::EnUs, Locale::DeDe] {
                        // Through the composer's cache, which by now holds the words of
                        // this rule with the other contract outcomes.
                        let cached = composer.remediation(&d, locale);
                        let reference = reference_remediation(&playbook, &d, locale);
                        assert_eq!(
                            format!("{cached:?}"),
                            format!("{reference:?}"),
                            "remedies {sequence:?}, contract {contract:?}, credit {credit:?}"
                        );
                        compared += 1;
                    }
                }
            }
        }
        assert_eq!(compared, sequences.len() * 3 * 2 * 2);
    }

    #[test]
    fn a_part_starts_where_join_words_puts_it() {
        for n in 1..=5 {
            let parts: Vec<String> = (0..n).map(|i| "w".repeat(i + 1)).collect();
            let joined = join_words(&parts);
            for (i, part) in parts.iter().enumerate() {
                let at = part_start(&parts, i);
                assert_eq!(&joined[at..at + part.len()], part, "part {i} of {n}");
            }
        }
    }

    #[test]
    fn features_get_an_article_unless_they_have_one() {
        assert_eq!(with_article("API"), "the API");
        assert_eq!(with_article("the dashboard"), "the dashboard");
        assert_eq!(with_article("Your invoices"), "Your invoices");
    }
}
