//! The plan as a Markdown recovery protocol, in the order a team executes it.

use std::fmt::Write as _;

use amends_core::classify::Basis;
use amends_core::plan::{Due, Plan};
use amends_core::playbook::Audience;
use amends_core::remediation::Status;

use crate::text;

/// Renders the whole protocol.
pub fn render(plan: &Plan<'_>) -> String {
    let mut out = String::new();
    header(&mut out, plan);
    severity(&mut out, plan);
    timeline(&mut out, plan);
    remediation(&mut out, plan);
    account_messages(&mut out, plan);
    escalation(&mut out, plan);
    reviews(&mut out, plan);
    out
}

/// Escapes the characters that would break a Markdown table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn header(out: &mut String, plan: &Plan<'_>) {
    let pb = plan.playbook;
    let inc = plan.incident;
    let zone = pb.calendar.zone();
    let _ = writeln!(out, "# Recovery plan: {} — {}\n", inc.id, cell(&inc.title));
    let _ = writeln!(
        out,
        "Playbook *{}*, version {}. Times are {} unless a row says otherwise.\n",
        pb.name,
        pb.version,
        zone.name()
    );
    for w in plan.warnings() {
        let _ = writeln!(out, "> **Warning:** {w}\n");
    }
    let _ = writeln!(out, "## Incident\n");
    let _ = writeln!(out, "| | |\n|---|---|");
    let _ = writeln!(out, "| Type | {} |", inc.failure_type);
    if !inc.features.is_empty() {
        let _ = writeln!(out, "| Features | {} |", cell(&inc.features.join(", ")));
    }
    let core = if inc.core_feature { "yes" } else { "no" };
    let workaround = if inc.workaround { "yes" } else { "no" };
    let _ = writeln!(
        out,
        "| Core feature | {core} |\n| Workaround | {workaround} |"
    );
    let a = &inc.anchors;
    let _ = writeln!(out, "| Started | {} |", text::when(zone, a.start));
    let _ = writeln!(out, "| Detected | {} |", text::when(zone, a.detection));
    match a.resolution {
        Some(r) => {
            let _ = writeln!(out, "| Resolved | {} |", text::when(zone, r));
            let _ = writeln!(out, "| Duration | {} |", plan.facts.duration);
        }
        None => {
            let _ = writeln!(
                out,
                "| Resolved | not yet (open for {} as of {}) |",
                plan.facts.duration,
                text::when(zone, plan.as_of)
            );
        }
    }
    if let Some(cause) = &inc.known_cause {
        let _ = writeln!(out, "| Cause | {} |", cell(cause));
    }
    let by_tier: Vec<String> = pb
        .tiers
        .iter()
        .zip(&plan.facts.affected_by_tier)
        .filter(|(_, n)| **n > 0)
        .map(|(t, n)| format!("{t} {n}"))
        .collect();
    let _ = writeln!(
        out,
        "| Affected | {} of {} accounts ({}): {} |\n",
        plan.facts.accounts_affected,
        plan.facts.accounts_total,
        plan.facts.share_text(),
        if by_tier.is_empty() {
            "none".to_string()
        } else {
            by_tier.join(", ")
        }
    );
}

fn severity(out: &mut String, plan: &Plan<'_>) {
    let pb = plan.playbook;
    let level = plan.severity();
    let c = &plan.classification;
    let _ = writeln!(out, "## Severity: {} — {}\n", level.id, level.name);
    match &c.basis {
        Basis::Criterion {
            criterion,
            reasons,
            provisional,
        } => {
            let _ = writeln!(
                out,
                "Classified **{}** by criterion {} of {}:\n",
                level.id,
                criterion + 1,
                level.id
            );
            for r in reasons {
                let _ = writeln!(out, "- {r}");
            }
            if *provisional {
                let _ = writeln!(
                    out,
                    "\n**Provisional while open:** {} is planned now so that its first notices are on time; if the incident is resolved sooner, the re-plan at resolution re-classifies it.",
                    level.id
                );
            }
        }
        Basis::Unmatched => {
            let _ = writeln!(
                out,
                "No severity criterion matched; the playbook treats unmatched incidents as **{}**.\n",
                level.id
            );
        }
        Basis::Override {
            policy_severity,
            reason,
        } => {
            let _ = writeln!(
                out,
                "**{}** by override (the policy gives {}): {}",
                level.id, pb.severities[*policy_severity].id, reason
            );
        }
    }
    for (i, misses) in &c.not_matched {
        if *i == c.severity || misses.is_empty() {
            continue;
        }
        let _ = writeln!(out, "- not {}: {}", pb.severities[*i].id, misses.join("; "));
    }
    let _ = writeln!(
        out,
        "\n| Severity | Criteria | Initial notification | Customer comms | Owner |\n|---|---|---|---|---|"
    );
    for (i, s) in pb.severities.iter().enumerate() {
        let owners: Vec<String> = s.owners.iter().map(|o| text::person(pb, o)).collect();
        let name = if i == c.severity {
            format!("**{} — {}** (this incident)", s.id, s.name)
        } else {
            format!("{} — {}", s.id, s.name)
        };
        let _ = writeln!(
            out,
            "| {name} | {} | within {} of detection | {} | {} |",
            cell(&s.summary),
            s.initial_notification,
            text::customer_comms(s.customer_comms),
            cell(&owners.join(", "))
        );
    }
    let _ = writeln!(out);
}

fn timeline(out: &mut String, plan: &Plan<'_>) {
    let pb = plan.playbook;
    let zone = pb.calendar.zone();
    let _ = writeln!(
        out,
        "## Customer communication timeline\n\n| When | Schedule | Step | Channel | Audience | Content |\n|---|---|---|---|---|---|"
    );
    for (i, m) in plan.messages.iter().enumerate() {
        let step = plan.step(m);
        // All occurrences of a repeating step read as one row, at its first occurrence.
        if step.every.is_some() && plan.messages[..i].iter().any(|x| x.step == m.step) {
            continue;
        }
        let (when, schedule) = match (&m.due, step.every) {
            (Due::At(first), Some(every)) => {
                let run: Vec<_> = plan
                    .messages
                    .iter()
                    .filter_map(|x| match x.due {
                        Due::At(t) if x.step == m.step => Some(t),
                        _ => None,
                    })
                    .collect();
                let when = match run.last() {
                    Some(last) if run.len() > 1 => {
                        format!(
                            "{} → {}",
                            text::when(zone, *first),
                            text::until(zone, *first, *last)
                        )
                    }
                    _ => text::when(zone, *first),
                };
                let count = if run.len() == 1 { "update" } else { "updates" };
                (
                    when,
                    format!(
                        "{}, every {every} while open ({} {count})",
                        step.at,
                        run.len()
                    ),
                )
            }
            (Due::At(t), None) => (text::when(zone, *t), step.at.to_string()),
            (Due::Skipped(t, why), _) => (
                format!("~~{}~~", text::when(zone, *t)),
                format!("{} — {why}", step.at),
            ),
            (Due::AwaitingResolution, _) => ("when resolved".to_string(), step.at.to_string()),
        };
        let audience = match step.audience {
            Audience::Public => "public",
            Audience::AffectedAccounts => "each affected account",
        };
        let content = pb
            .templates
            .get(&step.template)
            .map_or("", |t| t.description.as_str());
        let _ = writeln!(
            out,
            "| {when} | {schedule} | {} | {} | {audience} | {} |",
            step.id,
            step.channel,
            cell(content)
        );
    }
    let _ = writeln!(out);
}

fn remediation(out: &mut String, plan: &Plan<'_>) {
    let pb = plan.playbook;
    let _ = writeln!(out, "## Remediation\n");
    if plan.incident.anchors.resolution.is_none() {
        let _ = writeln!(
            out,
            "The incident is still open: remediation below is provisional, computed for the {} it has lasted so far, and is decided at resolution.\n",
            plan.facts.duration
        );
    }
    // The matrix: one column per severity band, one row per tier.
    let mut columns: Vec<(usize, String)> = Vec::new();
    for (si, s) in pb.severities.iter().enumerate() {
        for r in pb.remediation.rules.iter().filter(|r| r.severity == s.id) {
            let b = text::band(r);
            if !columns.iter().any(|(i, x)| *i == si && *x == b) {
                columns.push((si, b));
            }
        }
    }
    let used: Vec<usize> = plan
        .accounts
        .iter()
        .map(|a| a.decision.rule.number)
        .collect();
    let head: Vec<String> = columns
        .iter()
        .map(|(si, b)| {
            let id = &pb.severities[*si].id;
            if b.is_empty() {
                id.to_string()
            } else {
                format!("{id} ({b})")
            }
        })
        .collect();
    let _ = writeln!(
        out,
        "| Tier | {} |\n|---|{}",
        head.join(" | "),
        "---|".repeat(columns.len())
    );
    for tier in &pb.tiers {
        let cells: Vec<String> = columns
            .iter()
            .map(|(si, b)| {
                let sev = &pb.severities[*si].id;
                pb.remediation
                    .rules
                    .iter()
                    .find(|r| &r.tier == tier && &r.severity == sev && text::band(r) == *b)
                    .map_or_else(String::new, |r| {
                        let auto = if r.automatic { ", automatic" } else { "" };
                        let body = format!(
                            "{} (approver {}{auto})",
                            text::remedies(pb, r),
                            plan.person_name(&r.approver)
                        );
                        if used.contains(&r.number) {
                            format!("**{}**", cell(&body))
                        } else {
                            cell(&body)
                        }
                    })
            })
            .collect();
        let _ = writeln!(out, "| {tier} | {} |", cells.join(" | "));
    }
    let _ = writeln!(
        out,
        "\nCells in bold apply to this incident. Every decision names its approver; automatic credits are applied without waiting for approval.\n"
    );

    let _ = writeln!(
        out,
        "### Per account\n\n| Account | Tier | Monthly fee | Remediation | Credit | Approver | Status |\n|---|---|---|---|---|---|---|"
    );
    for p in &plan.accounts {
        let d = &p.decision;
        let mut what: Vec<String> = d
            .granted
            .iter()
            .map(|g| text::remedy(pb, g.remedy))
            .collect();
        if let Some(c) = &d.contract {
            let verdict = if c.applied {
                "applied"
            } else {
                "not higher, not applied"
            };
            what.push(format!(
                "contract SLA {}: {}% at {}% uptime{} = {} ({verdict})",
                c.schedule.name,
                c.sla.credit_percent.normalize(),
                c.sla.uptime_percent.round_dp(4).normalize(),
                if c.sla.months > 1 {
                    format!(
                        " (worst of {} billing months, credited month by month)",
                        c.sla.months
                    )
                } else {
                    String::new()
                },
                c.sla.credit
            ));
        }
        let status = match d.status {
            Status::Automatic => "automatic",
            Status::PendingApproval => "pending approval",
        };
        let _ = writeln!(
            out,
            "| {} ({}) | {} | {} | {} | {} | {} | {status} |",
            cell(&p.account.name),
            p.account.id,
            p.account.tier,
            p.account.monthly_fee,
            cell(&what.join("; ")),
            d.credit,
            plan.person_name(d.approver())
        );
    }
    let _ = writeln!(
        out,
        "\n### Totals\n\n| Tier | Currency | Accounts | Automatic credit | Pending approval |\n|---|---|---|---|---|"
    );
    for t in plan.totals() {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            pb.tiers[t.tier],
            t.automatic.currency(),
            t.accounts,
            t.automatic,
            t.pending
        );
    }
    let _ = writeln!(out);
}

fn account_messages(out: &mut String, plan: &Plan<'_>) {
    let steps: Vec<(usize, &amends_core::plan::Message)> = plan
        .account_messages()
        .filter(|(_, m)| !matches!(m.due, Due::Skipped(..)))
        .collect();
    if steps.is_empty() || plan.accounts.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "## Messages per account, in each contact's time zone\n"
    );
    let head: Vec<String> = steps
        .iter()
        .map(|(_, m)| plan.step(m).id.to_string())
        .collect();
    let _ = writeln!(
        out,
        "| Account | Contact | Time zone | {} |\n|---|---|---|{}",
        head.join(" | "),
        "---|".repeat(steps.len())
    );
    for p in &plan.accounts {
        let deliveries: Vec<_> = plan.deliveries(p.account).collect();
        for (ci, contact) in p.account.contacts.iter().enumerate() {
            let cells: Vec<String> = steps
                .iter()
                .map(|(mi, m)| {
                    let channel = deliveries
                        .iter()
                        .find(|d| d.message == *mi && d.contact == ci)
                        .map(|d| d.channel);
                    match (&m.due, channel) {
                        (Due::At(t), Some(ch)) => {
                            format!("{} ({ch})", text::when(&contact.zone, *t))
                        }
                        _ => "when resolved".to_string(),
                    }
                })
                .collect();
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                cell(&p.account.name),
                cell(&contact.name),
                contact.zone.name(),
                cells.join(" | ")
            );
        }
    }
    let _ = writeln!(out);
}

fn escalation(out: &mut String, plan: &Plan<'_>) {
    let pb = plan.playbook;
    let zone = pb.calendar.zone();
    let level = plan.severity();
    let _ = writeln!(
        out,
        "## Internal escalation ({})\n\n| When | At | Who acts | Action | Notify | Channel | Information | Condition |\n|---|---|---|---|---|---|---|---|",
        level.id
    );
    for e in &plan.escalation {
        let step = &level.escalation[e.step];
        let when =
            e.at.map_or_else(|| "when resolved".to_string(), |t| text::when(zone, t));
        let notify: Vec<String> = step.notify.iter().map(|k| text::person(pb, k)).collect();
        let channel = match &step.target {
            Some(t) => format!("{} {t}", step.channel),
            None => step.channel.to_string(),
        };
        let condition = if e.conditions.is_empty() {
            "always".to_string()
        } else {
            let said: Vec<&str> = e.conditions.iter().map(|(_, s)| s.as_str()).collect();
            if e.fires {
                format!("**fires**: {}", said.join("; "))
            } else {
                format!("does not fire: {}", said.join("; "))
            }
        };
        let _ = writeln!(
            out,
            "| {when} | {} | {} | {} | {} | {channel} | {} | {condition} |",
            step.at,
            cell(&step.actor),
            cell(&step.action),
            cell(&notify.join(", ")),
            cell(&step.information.join(", "))
        );
    }
    let _ = writeln!(out);
}

fn reviews(out: &mut String, plan: &Plan<'_>) {
    let pb = plan.playbook;
    let zone = pb.calendar.zone();
    let _ = writeln!(out, "## Post-incident review\n");
    for r in &plan.reviews {
        let task = &pb.reviews[r.task];
        let due = r
            .due
            .map_or_else(|| "after resolution".to_string(), |t| text::when(zone, t));
        let facing = if task.customer_facing {
            " **Customer-facing.**"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "- [ ] {} — owner {}; due {due} ({}).{facing}",
            task.title,
            text::person(pb, &task.owner),
            task.due
        );
    }
}
