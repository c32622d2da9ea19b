//! Writing results: to standard output, or to a file atomically (a temporary file beside it,
//! then a rename), so an interrupted or failed run never leaves a half-written plan.

use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::Context as _;

/// Runs `render` against `path`, or standard output when `path` is `None`.
pub fn write(
    path: Option<&Path>,
    render: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    let Some(path) = path else {
        let mut stdout = BufWriter::new(std::io::stdout().lock());
        return match render(&mut stdout).and_then(|()| stdout.flush()) {
            // A closed pipe (`amends demo | head`) is the reader's choice, not an error.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            other => other.context("cannot write to standard output"),
        };
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".to_string());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = std::fs::File::create(&tmp)
        .and_then(|f| {
            let mut w = BufWriter::new(f);
            render(&mut w)?;
            w.into_inner().map_err(|e| e.into_error())?.sync_all()
        })
        .and_then(|()| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.with_context(|| format!("cannot write {}", path.display()))
}
