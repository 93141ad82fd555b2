//! A scratch directory for one test, removed when the test ends (passed or panicked), so
//! repeated test runs do not fill the disk: some tests copy the 100+ MB debug binary.

use std::ops::Deref;
use std::path::{Path, PathBuf};

pub struct ScratchDir(PathBuf);

impl ScratchDir {
    /// An empty directory named after the test file's `group` and the test's `name`, unique to
    /// this process.
    pub fn new(group: &str, name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "mcp-oauth-harness-{group}-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("the temporary directory is writable");
        Self(dir)
    }
}

impl Deref for ScratchDir {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for ScratchDir {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
