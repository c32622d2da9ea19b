//! A checked template run without the engine's machinery, byte for byte as the engine runs it.
//!
//! minijinja stays the templates' source of truth: it parses them, checks their variables,
//! renders the samples at `amends check`, and is what this module reads. Each compiled
//! template's own instructions are translated here into a short program of the few kinds the
//! library's scripts use (text, a variable and its fields, `if`/`else`, `for`, the `capfirst`
//! filter). Running that program skips what a render costs the engine apart from the work
//! itself (a new state and context per template, name lookups of variables and filters, the
//! formatter callback, a growing output string per template), which was about a third of
//! rendering and linting a message.
//!
//! Anything else falls back to the engine: a template with an instruction not translated here
//! gets no program, and a program that meets a value it does not handle exactly as the engine
//! does (a missing or undefined value, which the engine reports as an error; a loop over
//! something that is not a list; `capfirst` of something that is not a string; a `loop`
//! variable) stops with `None`, and the message is rendered by the engine, which then writes
//! the same text or reports its own error. The proptest in `templates.rs` holds the two equal
//! on generated facts.

use minijinja::machinery::{Instruction, get_compiled_template};
use minijinja::value::{Enumerator, Object, Value, ValueIter, ValueKind};
use std::fmt::Write as _;
use std::sync::Arc;

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

/// A message's variables as engine values, in the order of [`NAMES`]. The engine reads them
/// as an object (one allocation per message, no map built); a program reads them by index.
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

/// One step of a [`Program`]: the engine's instruction of the same name, with variable names
/// resolved where they can be.
#[derive(Debug, Clone)]
enum Op {
    /// Writes template text.
    Raw(Box<str>),
    /// Pushes a message variable (a name no loop of the template binds).
    Var(usize),
    /// Pushes a name a loop binds: the innermost loop's value, else the message variable.
    Lookup(Box<str>),
    /// Replaces the top value by its field.
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
struct Frame<'p> {
    items: ValueIter,
    iterated: bool,
    locals: Vec<(&'p str, Value)>,
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
        Some(Program {
            ops,
            fuel: usize::try_from(fuel).unwrap_or(usize::MAX),
        })
    }

    /// Appends the rendered text to `out`, or returns `None` (with `out` partly written) where
    /// the engine must decide ([module docs](self)).
    pub(crate) fn render(&self, vars: &Vars, out: &mut String) -> Option<()> {
        let mut stack: Vec<Value> = Vec::with_capacity(4);
        let mut frames: Vec<Frame<'_>> = Vec::new();
        let mut pc = 0;
        let mut steps = 0;
        while let Some(op) = self.ops.get(pc) {
            steps += 1;
            if steps >= self.fuel {
                return None;
            }
            pc += 1;
            match op {
                Op::Raw(s) => out.push_str(s),
                Op::Var(i) => stack.push(defined(vars.0.get(*i)?.clone())?),
                Op::Lookup(name) => {
                    let local = frames.iter().rev().find_map(|f| {
                        f.locals
                            .iter()
                            .find(|(n, _)| *n == &**name)
                            .map(|(_, v)| v.clone())
                    });
                    let value = match local {
                        Some(v) => v,
                        None => vars
                            .0
                            .get(NAMES.iter().position(|n| *n == &**name)?)?
                            .clone(),
                    };
                    stack.push(defined(value)?);
                }
                Op::Attr(name) => {
                    let field = stack.pop()?.get_attr(name).ok()?;
                    stack.push(defined(field)?);
                }
                Op::Emit => {
                    let value = stack.pop()?;
                    // The environment's formatter: a missing value is an error (the engine's
                    // to report), a string is written as it is, anything else as displayed.
                    if value.is_none() {
                        return None;
                    }
                    match value.as_str() {
                        Some(s) => out.push_str(s),
                        None => write!(out, "{value}").ok()?,
                    }
                }
                Op::Capfirst => {
                    let value = stack.pop()?;
                    let s = value.as_str()?;
                    stack.push(Value::from(crate::templates::capfirst(s.to_string())));
                }
                Op::Jump(t) => pc = *t,
                Op::JumpIfFalse(t) => {
                    if !stack.pop()?.is_true() {
                        pc = *t;
                    }
                }
                Op::PushLoop => {
                    let list = stack.pop()?;
                    if list.kind() != ValueKind::Seq {
                        return None;
                    }
                    frames.push(Frame {
                        items: list.try_iter().ok()?,
                        iterated: false,
                        locals: Vec::new(),
                    });
                }
                Op::Iterate(t) => {
                    let frame = frames.last_mut()?;
                    match frame.items.next() {
                        Some(item) => {
                            frame.iterated = true;
                            stack.push(defined(item)?);
                        }
                        None => pc = *t,
                    }
                }
                Op::StoreLocal(name) => {
                    let value = stack.pop()?;
                    let frame = frames.last_mut()?;
                    match frame.locals.iter_mut().find(|(n, _)| *n == &**name) {
                        Some((_, v)) => *v = value,
                        None => frame.locals.push((name, value)),
                    }
                }
                Op::PushDidNotIterate => {
                    stack.push(Value::from(!frames.last()?.iterated));
                }
                Op::PopLoopFrame => {
                    frames.pop()?;
                }
            }
        }
        Some(())
    }
}

/// The value, unless the engine would stop at it (undefined in strict mode, or a value that
/// failed to convert).
fn defined(value: Value) -> Option<Value> {
    match value.kind() {
        ValueKind::Undefined | ValueKind::Invalid => None,
        _ => Some(value),
    }
}
