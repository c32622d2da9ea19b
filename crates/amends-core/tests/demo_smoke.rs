use amends_core::{account, incident::Incident, plan, playbook::Playbook};
#[test]
fn smoke() {
    let pb_src = include_str!("../../../demo/playbook.toml");
    let pb = match Playbook::parse("demo/playbook.toml", pb_src) { Ok(p) => p, Err(e) => panic!("{e}") };
    let accts = account::parse_csv("demo/accounts.csv", include_str!("../../../demo/accounts.csv"), &pb).unwrap_or_else(|e| panic!("{e}"));
    let inc = Incident::parse_toml("demo/incident.toml", include_str!("../../../demo/incident.toml"), &pb, &accts).unwrap_or_else(|e| panic!("{e}"));
    let p = plan::plan(&pb, &accts, &inc, inc.anchors.resolution.unwrap()).unwrap();
    println!("{:?}", p.classification);
    println!("msgs {}", p.messages.len());
    for m in &p.messages { println!("{:?} {:?}", p.step(m).id, m.due); }
    for a in p.accounts.iter().take(3) { println!("{} {:?}", a.account.id, a.decision); }
    for e in &p.escalation { println!("{:?}", e); }
    for r in &p.reviews { println!("{:?}", r); }
}
