//! A checked template run without the engine's machinery, byte for byte as the engine runs it.
//!
//! minijinja stays the templates' source of truth: it parses them, checks their variables,
//! renders the samples at `amends check`, and is what this module reads. Each compiled
//! template's own instructions are translated here into a short program of the few kinds the
//! library's scripts use (text, a variable and its fields, `if`/`else`, `for`, the `capfirst`
//! filter). Running that program skips what a render costs the engine apart from the work
//! itself (a new state and context per template, name lookups of variables and filters, the
//! formatter callback, a growing output string per template), which was about a third of
//! rendering and linting a message. A program reads the message's facts as the typed structs
//! of [`crate::context`] ([`MessageFacts`]), each field found by its index at translation,
//! instead of as engine values looked up by name; the engine gets the same facts converted
//! ([`MessageFacts::vars`]) only when it renders.
//!
//! Anything else falls back to the engine: a template with an instruction or a field not
//! translated here gets no program, and a program that meets a value it does not handle
//! exactly as the engine does (a missing or undefined value, which the engine reports as an
//! error; a field of none; a loop over something that is not a list; `capfirst` of something
//! that is not a string; a `loop` variable; a list or map written out) stops with `None`, and
//! the message is rendered by the engine, which then writes the same text or reports its own
//! error. The proptests in `templates.rs` hold the two equal on generated facts.

use minijinja::machinery::{Instruction, get_compiled_template};
use minijinja::value::{Enumerator, Object, Value};
use std::fmt::Write as _;
use std::sync::Arc;

use crate::context::{
    AccountFacts, ContactFacts, ImpactFacts, IncidentFacts, NextUpdateFacts, PersonFacts,
    PreventionFacts, RcaFacts, RemediationFacts, StepFacts,
};

/// The variable names of a message, in the order of [`Vars`].
pub(crate) const NAMES: [&str; 9] = [
    "account",
    "contact",
    "incident",
    "impact",
    "remediation",
    "next_update",
    "sender",
    "rca",
    "step",
];

/// A message's variables as engine values, in the order of [`NAMES`]: the engine reads them
/// as an object (one allocation per message, no map built).
#[derive(Debug, Clone)]
pub(crate) struct Vars(pub(crate) [Value; 9]);

impl Object for Vars {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.get_value_by_str(key.as_str()?)
    }

    fn get_value_by_str(self: &Arc<Self>, key: &str) -> Option<Value> {
        let i = NAMES.iter().position(|n| *n == key)?;
        self.0.get(i).cloned()
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Str(&NAMES)
    }
}

/// A message's facts, typed: what [`crate::context::Facts`] holds, shared between messages
/// by reference count (a composer keeps the incident of a zone, the account of its next
/// message).
#[derive(Debug, Clone)]
pub(crate) struct MessageFacts {
    pub(crate) account: Option<Arc<AccountFacts>>,
    pub(crate) contact: Option<Arc<ContactFacts>>,
    pub(crate) incident: Arc<IncidentFacts>,
    pub(crate) impact: Option<Arc<ImpactFacts>>,
    pub(crate) remediation: Option<Arc<RemediationFacts>>,
    pub(crate) next_update: Option<Arc<NextUpdateFacts>>,
    pub(crate) sender: Option<Arc<PersonFacts>>,
    pub(crate) rca: Option<Arc<RcaFacts>>,
    pub(crate) step: Arc<StepFacts>,
}

impl MessageFacts {
    /// The facts as the engine's values, for a message the engine renders.
    pub(crate) fn vars(&self) -> Vars {
        Vars([
            Value::from_serialize(self.account.as_deref()),
            Value::from_serialize(self.contact.as_deref()),
            Value::from_serialize(&*self.incident),
            Value::from_serialize(self.impact.as_deref()),
            Value::from_serialize(self.remediation.as_deref()),
            Value::from_serialize(self.next_update.as_deref()),
            Value::from_serialize(self.sender.as_deref()),
            Value::from_serialize(self.rca.as_deref()),
            Value::from_serialize(&*self.step),
        ])
    }

    /// Whether variable `i` (of [`NAMES`]) is present: the engine reads an absent one as none.
    fn has(&self, i: usize) -> Option<bool> {
        Some(match i {
            0 => self.account.is_some(),
            1 => self.contact.is_some(),
            2 | 8 => true,
            3 => self.impact.is_some(),
            4 => self.remediation.is_some(),
            5 => self.next_update.is_some(),
            6 => self.sender.is_some(),
            7 => self.rca.is_some(),
            _ => return None,
        })
    }

    /// A field of a variable, as the engine would see it; `None` when the variable is absent
    /// (the engine stops at a field of none).
    fn field(&self, field: Field) -> Option<Item<'_>> {
        use Field as F;
        fn text(s: &str) -> Item<'_> {
            Item::Str(s)
        }
        fn maybe(s: &Option<String>) -> Item<'_> {
            s.as_deref().map_or(Item::None, Item::Str)
        }
        Some(match field {
            F::AccountId | F::AccountName | F::AccountTier | F::AccountOwner => {
                let a = self.account.as_deref()?;
                match field {
                    F::AccountId => text(&a.id),
                    F::AccountName => text(&a.name),
                    F::AccountTier => text(&a.tier),
                    _ => maybe(&a.owner),
                }
            }
            F::ContactName
            | F::ContactFirstName
            | F::ContactEmail
            | F::ContactTimeZone
            | F::ContactLocale => {
                let c = self.contact.as_deref()?;
                match field {
                    F::ContactName => text(&c.name),
                    F::ContactFirstName => text(&c.first_name),
                    F::ContactEmail => maybe(&c.email),
                    F::ContactTimeZone => text(&c.time_zone),
                    _ => text(&c.locale),
                }
            }
            F::IncidentId => text(&self.incident.id),
            F::IncidentTitle => text(&self.incident.title),
            F::IncidentFailureType => text(&self.incident.failure_type),
            F::IncidentFeatures => Item::Strs(&self.incident.features),
            F::IncidentFeaturesText => text(&self.incident.features_text),
            F::IncidentCause => maybe(&self.incident.cause),
            F::IncidentSeverity => text(&self.incident.severity),
            F::IncidentSeverityName => text(&self.incident.severity_name),
            F::IncidentOngoing => Item::Bool(self.incident.ongoing),
            F::IncidentDate => text(&self.incident.date),
            F::IncidentStarted => text(&self.incident.started),
            F::IncidentResolved => maybe(&self.incident.resolved),
            F::IncidentWindow => text(&self.incident.window),
            F::IncidentDuration => text(&self.incident.duration),
            F::ImpactRequests
            | F::ImpactFailedRequests
            | F::ImpactImpactedMinutes
            | F::ImpactFirstFailure
            | F::ImpactLastFailure => {
                let i = self.impact.as_deref()?;
                match field {
                    F::ImpactRequests => Item::Num(i.requests),
                    F::ImpactFailedRequests => Item::Num(i.failed_requests),
                    F::ImpactImpactedMinutes => Item::Num(i.impacted_minutes),
                    F::ImpactFirstFailure => maybe(&i.first_failure),
                    _ => maybe(&i.last_failure),
                }
            }
            F::RemediationCredit
            | F::RemediationSummary
            | F::RemediationBasis
            | F::RemediationAutomatic
            | F::RemediationApprover
            | F::RemediationApologyFrom => {
                let r = self.remediation.as_deref()?;
                match field {
                    F::RemediationCredit => maybe(&r.credit),
                    F::RemediationSummary => text(&r.summary),
                    F::RemediationBasis => maybe(&r.basis),
                    F::RemediationAutomatic => Item::Bool(r.automatic),
                    F::RemediationApprover => text(&r.approver),
                    _ => maybe(&r.apology_from),
                }
            }
            F::NextUpdateTime | F::NextUpdateChannel => {
                let n = self.next_update.as_deref()?;
                match field {
                    F::NextUpdateTime => text(&n.time),
                    _ => text(&n.channel),
                }
            }
            F::SenderName | F::SenderFirstName | F::SenderRole | F::SenderEmail => {
                let p = self.sender.as_deref()?;
                match field {
                    F::SenderName => text(&p.name),
                    F::SenderFirstName => text(&p.first_name),
                    F::SenderRole => text(&p.role),
                    _ => maybe(&p.email),
                }
            }
            F::RcaWhatHappened | F::RcaWhy | F::RcaFixed | F::RcaPrevention => {
                let r = self.rca.as_deref()?;
                match field {
                    F::RcaWhatHappened => text(&r.what_happened),
                    F::RcaWhy => text(&r.why),
                    F::RcaFixed => Item::Strs(&r.fixed),
                    _ => Item::Preventions(&r.prevention),
                }
            }
            F::StepId => text(&self.step.id),
            F::StepOccurrence => Item::Num(u64::from(self.step.occurrence)),
            F::StepDue => text(&self.step.due),
        })
    }
}

impl From<crate::context::Facts> for MessageFacts {
    fn from(f: crate::context::Facts) -> MessageFacts {
        MessageFacts {
            account: f.account.map(Arc::new),
            contact: f.contact.map(Arc::new),
            incident: Arc::new(f.incident),
            impact: f.impact.map(Arc::new),
            remediation: f.remediation.map(Arc::new),
            next_update: f.next_update.map(Arc::new),
            sender: f.sender.map(Arc::new),
            rca: f.rca.map(Arc::new),
            step: Arc::new(f.step),
        }
    }
}

/// A field of a message variable, found by its name when a template is translated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    AccountId,
    AccountName,
    AccountTier,
    AccountOwner,
    ContactName,
    ContactFirstName,
    ContactEmail,
    ContactTimeZone,
    ContactLocale,
    IncidentId,
    IncidentTitle,
    IncidentFailureType,
    IncidentFeatures,
    IncidentFeaturesText,
    IncidentCause,
    IncidentSeverity,
    IncidentSeverityName,
    IncidentOngoing,
    IncidentDate,
    IncidentStarted,
    IncidentResolved,
    IncidentWindow,
    IncidentDuration,
    ImpactRequests,
    ImpactFailedRequests,
    ImpactImpactedMinutes,
    ImpactFirstFailure,
    ImpactLastFailure,
    RemediationCredit,
    RemediationSummary,
    RemediationBasis,
    RemediationAutomatic,
    RemediationApprover,
    RemediationApologyFrom,
    NextUpdateTime,
    NextUpdateChannel,
    SenderName,
    SenderFirstName,
    SenderRole,
    SenderEmail,
    RcaWhatHappened,
    RcaWhy,
    RcaFixed,
    RcaPrevention,
    StepId,
    StepOccurrence,
    StepDue,
}

/// Every field by variable and name, as the facts serialise them (a test holds this equal to
/// the documented variables). A field missing here gives its templates no program.
const FIELDS: &[(&str, &str, Field)] = &[
    ("account", "id", Field::AccountId),
    ("account", "name", Field::AccountName),
    ("account", "tier", Field::AccountTier),
    ("account", "owner", Field::AccountOwner),
    ("contact", "name", Field::ContactName),
    ("contact", "first_name", Field::ContactFirstName),
    ("contact", "email", Field::ContactEmail),
    ("contact", "time_zone", Field::ContactTimeZone),
    ("contact", "locale", Field::ContactLocale),
    ("incident", "id", Field::IncidentId),
    ("incident", "title", Field::IncidentTitle),
    ("incident", "failure_type", Field::IncidentFailureType),
    ("incident", "features", Field::IncidentFeatures),
    ("incident", "features_text", Field::IncidentFeaturesText),
    ("incident", "cause", Field::IncidentCause),
    ("incident", "severity", Field::IncidentSeverity),
    ("incident", "severity_name", Field::IncidentSeverityName),
    ("incident", "ongoing", Field::IncidentOngoing),
    ("incident", "date", Field::IncidentDate),
    ("incident", "started", Field::IncidentStarted),
    ("incident", "resolved", Field::IncidentResolved),
    ("incident", "window", Field::IncidentWindow),
    ("incident", "duration", Field::IncidentDuration),
    ("impact", "requests", Field::ImpactRequests),
    ("impact", "failed_requests", Field::ImpactFailedRequests),
    ("impact", "impacted_minutes", Field::ImpactImpactedMinutes),
    ("impact", "first_failure", Field::ImpactFirstFailure),
    ("impact", "last_failure", Field::ImpactLastFailure),
    ("remediation", "credit", Field::RemediationCredit),
    ("remediation", "summary", Field::RemediationSummary),
    ("remediation", "basis", Field::RemediationBasis),
    ("remediation", "automatic", Field::RemediationAutomatic),
    ("remediation", "approver", Field::RemediationApprover),
    ("remediation", "apology_from", Field::RemediationApologyFrom),
    ("next_update", "time", Field::NextUpdateTime),
    ("next_update", "channel", Field::NextUpdateChannel),
    ("sender", "name", Field::SenderName),
    ("sender", "first_name", Field::SenderFirstName),
    ("sender", "role", Field::SenderRole),
    ("sender", "email", Field::SenderEmail),
    ("rca", "what_happened", Field::RcaWhatHappened),
    ("rca", "why", Field::RcaWhy),
    ("rca", "fixed", Field::RcaFixed),
    ("rca", "prevention", Field::RcaPrevention),
    ("step", "id", Field::StepId),
    ("step", "occurrence", Field::StepOccurrence),
    ("step", "due", Field::StepDue),
];

/// A value on a program's stack, as the engine's value of the same fact would behave.
#[derive(Debug, Clone)]
enum Item<'m> {
    None,
    Str(&'m str),
    Owned(String),
    Bool(bool),
    Num(u64),
    Strs(&'m [String]),
    Preventions(&'m [PreventionFacts]),
    Prevention(&'m PreventionFacts),
    /// A message variable that is present (a map of fields).
    Object,
}

impl Item<'_> {
    /// The engine's truth of the same value: empty strings and lists, zero, false and none
    /// are false; a map of fields is true.
    fn is_true(&self) -> bool {
        match self {
            Item::None => false,
            Item::Str(s) => !s.is_empty(),
            Item::Owned(s) => !s.is_empty(),
            Item::Bool(b) => *b,
            Item::Num(n) => *n != 0,
            Item::Strs(l) => !l.is_empty(),
            Item::Preventions(l) => !l.is_empty(),
            Item::Prevention(_) | Item::Object => true,
        }
    }
}

/// One step of a [`Program`]: the engine's instruction of the same name, with variable names
/// resolved where they can be.
#[derive(Debug, Clone)]
enum Op {
    /// Writes template text.
    Raw(Box<str>),
    /// Pushes a message variable (a name no loop of the template binds).
    Var(usize),
    /// Pushes a field of a message variable (a variable and a field read together).
    Field(Field),
    /// Pushes a name a loop binds: the innermost loop's value, else the message variable.
    Lookup(Box<str>),
    /// Replaces the top value (a loop's item: a variable's fields are [`Op::Field`]s) by its
    /// field.
    Attr(Box<str>),
    /// Writes and pops the top value.
    Emit,
    /// `capfirst` of the top value.
    Capfirst,
    Jump(usize),
    /// Pops the top value; jumps when it is false.
    JumpIfFalse(usize),
    /// Pops a list and starts a loop over it.
    PushLoop,
    /// Pushes the loop's next value, or jumps past the loop at its end.
    Iterate(usize),
    /// Pops the top value into a loop's variable.
    StoreLocal(Box<str>),
    /// Pushes whether the loop ran zero times (`{% else %}` of a `for`).
    PushDidNotIterate,
    PopLoopFrame,
}

/// A checked template translated from the engine's instructions ([module docs](self)).
#[derive(Debug, Clone)]
pub(crate) struct Program {
    ops: Vec<Op>,
    /// The engine's instruction budget: a program that would run this many steps leaves the
    /// message to the engine, which then decides as it always does.
    fuel: usize,
}

/// A loop being run.
struct Frame<'m, 'p> {
    items: Items<'m>,
    next: usize,
    locals: Vec<(&'p str, Item<'m>)>,
}

/// What a loop runs over.
#[derive(Clone, Copy)]
enum Items<'m> {
    Strs(&'m [String]),
    Preventions(&'m [PreventionFacts]),
}

impl Program {
    /// The program of a compiled template, or `None` when it uses anything not translated
    /// here (then the engine renders it).
    pub(crate) fn compile(template: &minijinja::Template<'_, '_>, fuel: u64) -> Option<Program> {
        let compiled = get_compiled_template(template);
        if compiled.initial_auto_escape != minijinja::AutoEscape::None
            || !compiled.blocks.is_empty()
        {
            return None;
        }
        let instructions = &compiled.instructions;
        let all = || (0..instructions.len()).filter_map(|i| instructions.get(i as u32));
        // Names a loop binds are looked up at run time; any other name is a message variable.
        let bound: Vec<&str> = all()
            .filter_map(|i| match i {
                Instruction::StoreLocal(name) => Some(*name),
                _ => None,
            })
            .collect();
        let target = |t: &u32| usize::try_from(*t).ok();
        let mut ops = Vec::with_capacity(instructions.len());
        for instruction in all() {
            ops.push(match instruction {
                Instruction::EmitRaw(s) => Op::Raw((*s).into()),
                Instruction::Lookup(name) if bound.contains(name) => Op::Lookup((*name).into()),
                Instruction::Lookup(name) => Op::Var(NAMES.iter().position(|n| n == name)?),
                Instruction::GetAttr(name) => Op::Attr((*name).into()),
                Instruction::Emit => Op::Emit,
                Instruction::ApplyFilter("capfirst", Some(1), _) => Op::Capfirst,
                Instruction::Jump(t) => Op::Jump(target(t)?),
                Instruction::JumpIfFalse(t) => Op::JumpIfFalse(target(t)?),
                // A recursive loop recurses through the `loop` variable, which a program
                // does not provide: looking it up leaves the message to the engine.
                Instruction::PushLoop(_) => Op::PushLoop,
                Instruction::Iterate(t) => Op::Iterate(target(t)?),
                Instruction::StoreLocal(name) => Op::StoreLocal((*name).into()),
                Instruction::PushDidNotIterate => Op::PushDidNotIterate,
                Instruction::PopLoopFrame => Op::PopLoopFrame,
                _ => return None,
            });
        }
        // A variable followed by a field becomes the field, found by its index (an unknown
        // field gives no program), and the jump targets move with the ops after it.
        let mut fused = Vec::with_capacity(ops.len());
        let mut moved = vec![0; ops.len() + 1];
        let mut i = 0;
        while let Some(op) = ops.get(i) {
            moved[i] = fused.len();
            if let (Op::Var(v), Some(Op::Attr(name))) = (op, ops.get(i + 1)) {
                let variable = NAMES.get(*v)?;
                let field = FIELDS
                    .iter()
                    .find(|(var, f, _)| var == variable && **f == **name)
                    .map(|(_, _, field)| *field)?;
                moved[i + 1] = fused.len();
                fused.push(Op::Field(field));
                i += 2;
                continue;
            }
            fused.push(op.clone());
            i += 1;
        }
        moved[ops.len()] = fused.len();
        for op in &mut fused {
            if let Op::Jump(t) | Op::JumpIfFalse(t) | Op::Iterate(t) = op {
                *t = *moved.get(*t)?;
            }
        }
        let ops = fused;
        Some(Program {
            ops,
            fuel: usize::try_from(fuel).unwrap_or(usize::MAX),
        })
    }

    /// Appends the rendered text to `out`, or returns `None` (with `out` partly written) where
    /// the engine must decide ([module docs](self)).
    pub(crate) fn render(&self, facts: &MessageFacts, out: &mut String) -> Option<()> {
        let mut stack: Vec<Item<'_>> = Vec::with_capacity(4);
        let mut frames: Vec<Frame<'_, '_>> = Vec::new();
        let mut pc = 0;
        let mut steps = 0;
        let variable = |i: usize| -> Option<Item<'_>> {
            Some(if facts.has(i)? {
                Item::Object
            } else {
                Item::None
            })
        };
        while let Some(op) = self.ops.get(pc) {
            // A field is two of the engine's instructions.
            steps += if matches!(op, Op::Field(_)) { 2 } else { 1 };
            if steps >= self.fuel {
                return None;
            }
            pc += 1;
            match op {
                Op::Raw(s) => out.push_str(s),
                Op::Var(i) => stack.push(variable(*i)?),
                Op::Field(f) => stack.push(facts.field(*f)?),
                Op::Lookup(name) => {
                    let local = frames.iter().rev().find_map(|f| {
                        f.locals
                            .iter()
                            .find(|(n, _)| *n == &**name)
                            .map(|(_, v)| v.clone())
                    });
                    let item = match local {
                        Some(item) => item,
                        None => variable(NAMES.iter().position(|n| *n == &**name)?)?,
                    };
                    stack.push(item);
                }
                Op::Attr(name) => {
                    // Only a loop's item has fields read by name; a variable's were fused.
                    let Item::Prevention(p) = stack.pop()? else {
                        return None;
                    };
                    stack.push(match &**name {
                        "action" => Item::Str(&p.action),
                        "by" => Item::Str(&p.by),
                        "done" => Item::Bool(p.done),
                        _ => return None,
                    });
                }
                Op::Emit => match stack.pop()? {
                    // The environment's formatter: a missing value is an error (the engine's
                    // to report), a string is written as it is, a number or a truth as the
                    // engine displays it (`True`, not `true`); a list or a map is left to the
                    // engine.
                    Item::Str(s) => out.push_str(s),
                    Item::Owned(s) => out.push_str(&s),
                    Item::Num(n) => write!(out, "{}", Value::from(n)).ok()?,
                    Item::Bool(b) => write!(out, "{}", Value::from(b)).ok()?,
                    _ => return None,
                },
                Op::Capfirst => {
                    let capped = match stack.pop()? {
                        Item::Str(s) => crate::templates::capfirst(s.to_string()),
                        Item::Owned(s) => crate::templates::capfirst(s),
                        _ => return None,
                    };
                    stack.push(Item::Owned(capped));
                }
                Op::Jump(t) => pc = *t,
                Op::JumpIfFalse(t) => {
                    if !stack.pop()?.is_true() {
                        pc = *t;
                    }
                }
                Op::PushLoop => {
                    let items = match stack.pop()? {
                        Item::Strs(l) => Items::Strs(l),
                        Item::Preventions(l) => Items::Preventions(l),
                        _ => return None,
                    };
                    frames.push(Frame {
                        items,
                        next: 0,
                        locals: Vec::new(),
                    });
                }
                Op::Iterate(t) => {
                    let frame = frames.last_mut()?;
                    let item = match frame.items {
                        Items::Strs(l) => l.get(frame.next).map(|s| Item::Str(s)),
                        Items::Preventions(l) => l.get(frame.next).map(Item::Prevention),
                    };
                    match item {
                        Some(item) => {
                            frame.next += 1;
                            stack.push(item);
                        }
                        None => pc = *t,
                    }
                }
                Op::StoreLocal(name) => {
                    let item = stack.pop()?;
                    let frame = frames.last_mut()?;
                    match frame.locals.iter_mut().find(|(n, _)| *n == &**name) {
                        Some((_, v)) => *v = item,
                        None => frame.locals.push((name, item)),
                    }
                }
                Op::PushDidNotIterate => {
                    stack.push(Item::Bool(frames.last()?.next == 0));
                }
                Op::PopLoopFrame => {
                    frames.pop()?;
                }
            }
        }
        Some(())
    }
}
