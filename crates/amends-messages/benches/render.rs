//! Rendering and linting the worked example's account emails: the four emails of 10,000
//! accounts per iteration, each for its contact's zone and locale, each linted.
//! Figures in BENCHMARKS.md; `cargo bench -p amends-messages --bench render`.

mod fixture;

use amends_core::lint;
use amends_core::plan::{self, Due};
use amends_messages::Composer;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn render_and_lint(c: &mut Criterion) {
    let f = fixture::fixture(10_000, false).expect("fixture");
    let as_of = "2024-10-28T13:00:00Z".parse().expect("instant");
    let plan = plan::plan(&f.playbook, &f.accounts, &f.incident, as_of).expect("plan");
    let steps: Vec<usize> = plan
        .account_messages()
        .filter(|(_, m)| matches!(m.due, Due::At(_)))
        .map(|(i, _)| i)
        .collect();
    let mut group = c.benchmark_group("messages");
    group.throughput(Throughput::Elements(
        (plan.accounts.len() * steps.len()) as u64,
    ));
    group.sample_size(10);
    group.bench_function("render_and_lint_40k", |b| {
        b.iter(|| {
            // A fresh composer per iteration: nothing is cached from the previous run.
            let composer = Composer::new(&plan, &f.checked.templates, Some(&f.rca));
            let mut bytes = 0usize;
            for a in 0..plan.accounts.len() {
                for &m in &steps {
                    let r = composer.account_message(a, m, 0).expect("message");
                    bytes += r.body.len() + r.findings.len();
                }
            }
            bytes
        })
    });
    // The linter alone, on the same messages already rendered: the split of the time.
    let composer = Composer::new(&plan, &f.checked.templates, Some(&f.rca));
    let mut rendered = Vec::new();
    for a in 0..plan.accounts.len() {
        for &m in &steps {
            rendered.push(composer.account_message(a, m, 0).expect("message"));
        }
    }
    let texts: Vec<(String, _, _)> = rendered
        .iter()
        .map(|r| (r.text(), r.purpose, r.channel))
        .collect();
    group.bench_function("lint_only_40k", |b| {
        b.iter(|| {
            let config = &f.playbook.lint;
            texts
                .iter()
                .map(|(t, p, c)| lint::lint(&lint::Message::new(t, *p, *c), config).len())
                .sum::<usize>()
        })
    });
    group.finish();
}

criterion_group!(benches, render_and_lint);
criterion_main!(benches);
