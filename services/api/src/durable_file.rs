//! Small state files a process keeps beside its projections (how far a forwarding or a
//! view publisher got): replaced atomically, so a crash leaves the old file or the new
//! one, never a torn one.

use std::io::Write;
use std::path::Path;

/// Replaces `path` by `bytes`: written beside it, fsync'd, renamed over it, and the
/// directory fsync'd.
pub fn replace(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let partial = path.with_extension("partial");
    let mut file = std::fs::File::create(&partial)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&partial, path)?;
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => std::fs::File::open(dir)?.sync_all(),
        _ => Ok(()),
    }
}
