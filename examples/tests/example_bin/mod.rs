//! Finds (and if needed builds) an example binary for the CLI tests.

#![allow(clippy::expect_used, clippy::panic, dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::SystemTime;

/// Serializes builds when several tests of one binary ask at once.
static BUILD: Mutex<()> = Mutex::new(());

/// The binary of example `name`. `cargo test` builds examples next to the
/// test executables (`target/<profile>/examples`); a filtered run
/// (`--test NAME`) does not, so when the binary is missing or older than its
/// sources (the example file, the examples manifest and `crates`' sources) it
/// is built once with the cargo that runs us.
pub fn example_binary(name: &str, crates: &[&str]) -> PathBuf {
    let _guard = BUILD
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let exe = std::env::current_exe().expect("test executable path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps")
        .to_path_buf();
    let bin = profile_dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    let built = std::fs::metadata(&bin).and_then(|m| m.modified()).ok();
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut sources = vec![
        manifest.join(format!("{name}.rs")),
        manifest.join("Cargo.toml"),
    ];
    for krate in crates {
        sources.push(manifest.join("..").join(krate).join("src"));
        sources.push(manifest.join("..").join(krate).join("Cargo.toml"));
    }
    if built.is_none_or(|b| b < newest_mtime(&sources)) {
        let mut cargo = Command::new(env!("CARGO"));
        cargo
            .args(["build", "--quiet", "-p", "call-examples", "--example", name])
            .current_dir(manifest);
        if profile_dir.file_name().is_some_and(|n| n == "release") {
            cargo.arg("--release");
        }
        let status = cargo.status().expect("run cargo build");
        assert!(status.success(), "building the {name} example failed");
    }
    assert!(
        bin.exists(),
        "{name} example not found at {}",
        bin.display()
    );
    bin
}

/// The newest modification time of these files and of everything under
/// these directories.
fn newest_mtime(paths: &[PathBuf]) -> SystemTime {
    let mut newest = SystemTime::UNIX_EPOCH;
    let mut stack: Vec<PathBuf> = paths.to_vec();
    while let Some(p) = stack.pop() {
        let Ok(meta) = std::fs::metadata(&p) else {
            continue;
        };
        if meta.is_dir() {
            if let Ok(entries) = std::fs::read_dir(&p) {
                stack.extend(entries.flatten().map(|e| e.path()));
            }
        } else if let Ok(m) = meta.modified() {
            newest = newest.max(m);
        }
    }
    newest
}
