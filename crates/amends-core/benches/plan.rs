//! Planning the worked example's incident over many synthetic accounts.
//!
//! `cargo bench -p amends-core --bench plan` — figures recorded in BENCHMARKS.md.

use amends_core::incident::Incident;
use amends_core::plan::plan;
use amends_core::playbook::Playbook;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

mod synthetic;

const PLAYBOOK: &str = include_str!("../../../demo/playbook.toml");
const INCIDENT: &str = include_str!("../../../demo/incident.toml");

fn planning(c: &mut Criterion) {
    let playbook = Playbook::parse("demo/playbook.toml", PLAYBOOK).expect("demo playbook");
    let mut group = c.benchmark_group("plan");
    group.sample_size(10);
    for n in [10_000usize, 1_000_000] {
        let accounts = synthetic::accounts(n);
        let incident = Incident::parse_toml("demo/incident.toml", INCIDENT, &playbook, &accounts)
            .expect("demo incident");
        let as_of = incident.anchors.resolution.expect("resolved");
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::new("accounts", n), &accounts, |b, accounts| {
            b.iter(|| {
                let p = plan(&playbook, accounts, &incident, as_of).expect("plan");
                std::hint::black_box(p.accounts.len())
            });
        });
    }
    group.finish();
}

criterion_group!(benches, planning);
criterion_main!(benches);
