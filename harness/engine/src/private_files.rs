//! Where the tool writes files, and how, so that another local user cannot redirect a write.
//!
//! - Scratch state lives in a directory made fresh for the run ([`scratch_dir`]): a random
//!   name, created with `mkdir(2)` that fails if the name exists, mode 0700, removed when
//!   dropped. A predictable name in the shared temporary directory could be made in advance
//!   by someone else, with a symbolic link waiting inside.
//! - A file is written to a new temporary file beside it (random name, created exclusively)
//!   and then renamed over the destination ([`write_replacing`]). `rename(2)` replaces a
//!   symbolic link at the destination instead of following it, so a link planted there
//!   cannot send the bytes to the file it points at.
//! - A destination the user named (`--out DIR`) that already is a symbolic link is refused
//!   ([`write_report`]): whoever put it there, the user or someone else, meant something by
//!   it, and the user is better told than having it silently replaced.

use std::io::Write;
use std::path::Path;

/// A fresh, private (mode 0700) directory under the system's temporary directory whose name
/// starts with `prefix`; it and everything in it are removed when the value is dropped.
pub fn scratch_dir(prefix: &str) -> std::io::Result<tempfile::TempDir> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(prefix);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o700));
    }
    builder.tempdir()
}

/// Who may read a file the tool writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readers {
    /// Only its owner (mode 0600): sealed tokens.
    Owner,
    /// As the user's umask allows (mode 0666 before the umask): reports.
    Default,
}

/// Writes `bytes` to `path` through a new temporary file in the same directory, renamed over
/// `path`: a symbolic link at `path` is replaced, never followed, and a reader never sees a
/// half-written file.
pub fn write_replacing(path: &Path, bytes: &[u8], readers: Readers) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".mcp-oauth-harness-").suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = match readers {
            Readers::Owner => 0o600,
            Readers::Default => 0o666,
        };
        builder.permissions(std::fs::Permissions::from_mode(mode));
    }
    #[cfg(not(unix))]
    let _ = readers;
    let mut file = builder.tempfile_in(dir)?;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// A report file under a directory the user named: refused when `path` is a symbolic link,
/// else written as [`write_replacing`] does (a link that appears meanwhile is replaced).
pub fn write_report(path: &Path, bytes: &[u8]) -> Result<(), String> {
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(format!(
            "{} is a symbolic link; reports are not written through links: remove it or choose another --out directory",
            path.display()
        ));
    }
    write_replacing(path, bytes, Readers::Default)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::{PermissionsExt, symlink};

    use super::*;

    #[test]
    fn scratch_directories_are_fresh_private_and_removed() {
        let first = scratch_dir("mcp-oauth-harness-test-").unwrap();
        let second = scratch_dir("mcp-oauth-harness-test-").unwrap();
        assert_ne!(first.path(), second.path());
        let mode = std::fs::metadata(first.path())
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o700);
        let path = first.path().to_owned();
        drop(first);
        assert!(!path.exists());
    }

    #[test]
    fn a_link_at_the_destination_is_replaced_not_followed() {
        let dir = scratch_dir("mcp-oauth-harness-test-").unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "untouched").unwrap();
        let destination = dir.path().join("tokens.json");
        symlink(&victim, &destination).unwrap();

        write_replacing(&destination, b"sealed", Readers::Owner).unwrap();

        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "untouched");
        let written = std::fs::symlink_metadata(&destination).unwrap();
        assert!(written.file_type().is_file());
        assert_eq!(written.permissions().mode() & 0o777, 0o600);
        assert_eq!(std::fs::read(&destination).unwrap(), b"sealed");
        // Nothing of the temporary file is left beside it.
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 2);
    }

    #[test]
    fn a_report_path_that_is_a_link_is_refused_with_the_fix() {
        let dir = scratch_dir("mcp-oauth-harness-test-").unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "untouched").unwrap();
        let report = dir.path().join("summary.json");
        symlink(&victim, &report).unwrap();

        let error = write_report(&report, b"{}").unwrap_err();

        assert!(
            error.contains("symbolic link") && error.contains("--out"),
            "{error}"
        );
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "untouched");
        let plain = dir.path().join("report.json");
        write_report(&plain, b"{}").unwrap();
        assert_eq!(std::fs::read(&plain).unwrap(), b"{}");
    }
}
