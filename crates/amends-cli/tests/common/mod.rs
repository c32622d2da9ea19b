//! What the CLI's end-to-end test files share: running the built `amends` binary from the
//! repository root (so `demo/…` paths work as in the README), its output as text, a scratch
//! directory per test, and the worked example's input flags.

#![allow(dead_code)] // each test file uses a part

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The worked example's inputs, as a user passes them to `amends plan` or `amends preview`.
pub const DEMO_INPUTS: [&str; 6] = [
    "--playbook",
    "demo/playbook.toml",
    "--accounts",
    "demo/accounts.csv",
    "--incident",
    "demo/incident.toml",
];

/// Runs `amends` with `args` and nothing on standard input.
pub fn amends(args: &[&str]) -> Output {
    amends_with_input(args, "")
}

/// Runs `amends` with `args`, writing `input` to its standard input.
pub fn amends_with_input(args: &[&str], input: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_amends"))
        .args(args)
        .current_dir(repo_root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run amends");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("wait")
}

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A fresh scratch directory per test, named after the test file and `name`.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "amends-{}-{name}-{}",
        env!("CARGO_CRATE_NAME"),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}
