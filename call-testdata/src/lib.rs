//! Test support: where the external reference data lives.
//!
//! The ITU vectors and real captures our tests compare against are not ours
//! to redistribute, so they stay outside the repository, in `../shared/testdata`
//! next to the workspace root. The environment variable [`ENV_VAR`] overrides
//! that location.
//!
//! A test that needs the data and does not find it must fail, naming the path
//! it looked at: [`require`] does exactly that. It never lets a test pass by
//! skipping.
//!
//! ```no_run
//! let capture = call_testdata::require("pcap/sipp/g711a.pcap");
//! let bytes = std::fs::read(&capture).unwrap();
//! ```

use std::fmt;
use std::path::{Path, PathBuf};

/// The environment variable that overrides the test-data directory.
pub const ENV_VAR: &str = "CALL_SDK_TESTDATA";

/// The test-data directory: `$CALL_SDK_TESTDATA` if set, otherwise
/// `../shared/testdata` relative to the workspace root.
pub fn dir() -> PathBuf {
    match std::env::var_os(ENV_VAR) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/testdata"),
    }
}

/// A reference file or folder could not be found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    /// The path that was looked at.
    pub path: PathBuf,
}

impl fmt::Display for Missing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "reference test data not found at {} (set {ENV_VAR} to the testdata directory, \
             normally ../shared/testdata next to the repository)",
            self.path.display()
        )
    }
}

impl std::error::Error for Missing {}

/// The path of `relative` inside the test-data directory, if it exists.
pub fn find(relative: impl AsRef<Path>) -> Result<PathBuf, Missing> {
    let path = dir().join(relative);
    if path.exists() {
        Ok(path)
    } else {
        Err(Missing { path })
    }
}

/// The path of `relative` inside the test-data directory.
///
/// # Panics
///
/// Panics with a message naming the path when it does not exist: this is for
/// tests, where missing reference data must fail loudly.
#[allow(clippy::panic)] // a test helper: failing loudly is its job
pub fn require(relative: impl AsRef<Path>) -> PathBuf {
    match find(relative) {
        Ok(path) => path,
        Err(missing) => panic!("{missing}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_shared_readme() {
        let readme = require("README.md");
        assert!(readme.is_file(), "{}", readme.display());
    }

    #[test]
    fn missing_names_the_path() {
        let err = find("no/such/file.pcap").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("no/such/file.pcap"), "{text}");
        assert!(text.contains(ENV_VAR), "{text}");
    }
}
