//! A compact terminal view: the decision in a few lines, then one aligned row per account.

use std::fmt::Write as _;

use amends_core::plan::{Due, Plan};
use amends_core::remediation::Status;

use crate::text;

/// Renders the summary and the per-account table.
pub fn render(plan: &Plan<'_>) -> String {
    let pb = plan.playbook;
    let zone = pb.calendar.zone();
    let level = plan.severity();
    let mut out = String::new();
    let _ = writeln!(out, "{} — {}", plan.incident.id, plan.incident.title);
    let _ = writeln!(
        out,
        "severity   {} {} ({} of {} accounts affected, {})",
        level.id,
        level.name,
        plan.facts.accounts_affected,
        plan.facts.accounts_total,
        plan.facts.duration
    );
    if let Some(first) = plan.messages.iter().find_map(|m| match m.due {
        Due::At(t) => Some(t),
        _ => None,
    }) {
        let _ = writeln!(out, "first notice {}", text::when(zone, first));
    }
    for t in plan.totals() {
        let _ = writeln!(
            out,
            "credits    {:<12} {:>5} account{}  automatic {:>14}  pending {:>14}",
            pb.tiers[t.tier].as_str(),
            t.accounts,
            if t.accounts == 1 { " " } else { "s" },
            t.automatic.to_string(),
            t.pending.to_string()
        );
    }
    let _ = writeln!(out);
    let rows: Vec<[String; 6]> = plan
        .accounts
        .iter()
        .map(|p| {
            let d = &p.decision;
            [
                p.account.id.to_string(),
                p.account.name.clone(),
                p.account.tier.to_string(),
                d.credit.to_string(),
                plan.person_name(d.approver()).to_string(),
                match d.status {
                    Status::Automatic => "automatic".to_string(),
                    Status::PendingApproval => "pending approval".to_string(),
                },
            ]
        })
        .collect();
    let head = ["ACCOUNT", "NAME", "TIER", "CREDIT", "APPROVER", "STATUS"];
    let mut widths = head.map(str::len);
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: &[&str]| {
        let mut s = String::new();
        for (i, (c, w)) in cells.iter().zip(widths).enumerate() {
            if i == 3 {
                let _ = write!(s, "{c:>w$}  ");
            } else {
                let _ = write!(s, "{c:<w$}  ");
            }
        }
        s.trim_end().to_string()
    };
    let _ = writeln!(out, "{}", line(&head));
    for r in &rows {
        let cells: Vec<&str> = r.iter().map(String::as_str).collect();
        let _ = writeln!(out, "{}", line(&cells));
    }
    out
}
