//! The project's automation, run as `cargo xtask <command>`.
//!
//! - `test`: install the Debian tools the tests compare against (when missing
//!   and apt is usable), then `cargo test --workspace --all-features`.
//! - `ci`: everything CI checks: format, clippy, tests, docs, bench build and
//!   a short run of every fuzz target.
//! - `fuzz [SECONDS]`: only the fuzz smoke runs.
//! - `tools`: only the tool check and install.

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

/// A Debian package the tests need, and the file that shows it is installed.
struct Tool {
    package: &'static str,
    /// A file the package installs; its presence means the tool is usable.
    probe: &'static str,
    why: &'static str,
}

/// Everything the test suite runs or links against from outside Rust.
const TOOLS: &[Tool] = &[Tool {
    package: "tshark",
    probe: "/usr/bin/tshark",
    why: "call-media interop tests compare our RTP analysis with tshark's",
}];

/// Seconds each fuzz target runs in the CI smoke run.
const FUZZ_SECONDS: u64 = 30;

type Result<T = ()> = std::result::Result<T, String>;

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => ensure_tools().and_then(|()| test(args.get(1..).unwrap_or_default())),
        Some("ci") => ci(),
        Some("fuzz") => {
            let seconds = match args.get(1).map(|s| s.parse::<u64>()) {
                None => Ok(FUZZ_SECONDS),
                Some(Ok(n)) => Ok(n),
                Some(Err(_)) => Err("fuzz: SECONDS must be a whole number".to_string()),
            };
            seconds.and_then(fuzz_smoke)
        }
        Some("tools") => ensure_tools(),
        _ => {
            eprintln!(
                "usage: cargo xtask <test [CARGO TEST ARGS...] | ci | fuzz [SECONDS] | tools>"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root (the parent of this package's directory).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

fn cargo() -> Command {
    let mut cmd = Command::new(env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(root());
    cmd
}

/// Runs a command to completion, failing with its description if it fails.
fn run(what: &str, cmd: &mut Command) -> Result {
    let started = Instant::now();
    eprintln!("xtask: {what}");
    let status = cmd
        .status()
        .map_err(|e| format!("{what}: could not start: {e}"))?;
    eprintln!(
        "xtask: {what}: {} in {:.0?}",
        if status.success() { "ok" } else { "FAILED" },
        started.elapsed()
    );
    if status.success() {
        Ok(())
    } else {
        Err(format!("{what} failed ({status})"))
    }
}

fn missing_tools() -> Vec<&'static Tool> {
    TOOLS
        .iter()
        .filter(|t| !Path::new(t.probe).exists())
        .collect()
}

/// Installs missing Debian packages non-interactively, or explains exactly
/// what is missing when that is not possible. Never lets tests run without them.
fn ensure_tools() -> Result {
    let missing = missing_tools();
    if missing.is_empty() {
        return Ok(());
    }
    let names: Vec<&str> = missing.iter().map(|t| t.package).collect();
    let explain = || {
        missing
            .iter()
            .map(|t| format!("  - {} (looked for {}): {}", t.package, t.probe, t.why))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let apt = Path::new("/usr/bin/apt-get").exists();
    let root_user = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0");
    let sudo = !root_user
        && Command::new("sudo")
            .args(["-n", "true"])
            .status()
            .is_ok_and(|s| s.success());
    if !apt || !(root_user || sudo) {
        return Err(format!(
            "the tests need these Debian packages, which are missing and cannot be installed here \
             ({}):\n{}\ninstall them with: sudo apt-get install {}",
            if apt {
                "not root and no password-less sudo"
            } else {
                "no apt-get"
            },
            explain(),
            names.join(" ")
        ));
    }
    let apt_cmd = |args: &[&str]| {
        let mut cmd = if sudo {
            Command::new("sudo")
        } else {
            Command::new("apt-get")
        };
        if sudo {
            cmd.arg("apt-get");
        }
        cmd.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        cmd
    };
    run("apt-get update", &mut apt_cmd(&["update", "-qq"]))?;
    let mut install = apt_cmd(&["install", "-y", "-qq", "--no-install-recommends"]);
    install.args(&names);
    run(
        &format!("apt-get install {}", names.join(" ")),
        &mut install,
    )?;
    let still = missing_tools();
    if still.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "apt-get finished but these are still missing:\n{}",
            still
                .iter()
                .map(|t| format!("  - {} ({})", t.package, t.probe))
                .collect::<Vec<_>>()
                .join("\n")
        ))
    }
}

fn test(extra: &[String]) -> Result {
    let mut cmd = cargo();
    cmd.args(["test", "--workspace", "--all-features"])
        .args(extra);
    run("cargo test --workspace --all-features", &mut cmd)
}

fn ci() -> Result {
    let started = Instant::now();
    run(
        "cargo fmt --check",
        cargo().args(["fmt", "--all", "--check"]),
    )?;
    run(
        "cargo clippy",
        cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--all-features",
            "--",
            "-D",
            "warnings",
        ]),
    )?;
    ensure_tools()?;
    test(&[])?;
    run(
        "cargo doc",
        cargo()
            .args(["doc", "--workspace", "--no-deps", "--all-features"])
            .env("RUSTDOCFLAGS", "-D warnings"),
    )?;
    run(
        "cargo bench --no-run",
        cargo().args(["bench", "--workspace", "--all-features", "--no-run"]),
    )?;
    fuzz_smoke(FUZZ_SECONDS)?;
    eprintln!("xtask: ci passed in {:.0?}", started.elapsed());
    Ok(())
}

/// The shared test-data directory, as `call-testdata` finds it.
fn testdata_dir() -> PathBuf {
    match env::var_os("CALL_SDK_TESTDATA") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => root().join("../shared/testdata"),
    }
}

/// Seeds the corpora of the packet-parsing fuzz targets (names starting with
/// `rtp_` or `rtcp_`) with the UDP payloads of the shared captures. The
/// captures stay outside the repository; the corpus directory is ignored by git.
fn seed_media_corpora(targets: &[String]) -> Result<usize> {
    let media: Vec<&String> = targets
        .iter()
        .filter(|t| t.starts_with("rtp_") || t.starts_with("rtcp_"))
        .collect();
    if media.is_empty() {
        return Ok(0);
    }
    let pcap_dir = testdata_dir().join("pcap");
    let mut captures = Vec::new();
    let mut stack = vec![pcap_dir.clone()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| {
            format!(
                "fuzz seeds: cannot read {} ({e}); set CALL_SDK_TESTDATA",
                dir.display()
            )
        })?;
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "pcap") {
                captures.push(path);
            }
        }
    }
    if captures.is_empty() {
        return Err(format!(
            "fuzz seeds: no .pcap files under {}",
            pcap_dir.display()
        ));
    }
    captures.sort();
    let mut written = 0;
    for capture in &captures {
        let bytes =
            std::fs::read(capture).map_err(|e| format!("reading {}: {e}", capture.display()))?;
        let reader = call_media::capture::CaptureReader::new(&bytes)
            .map_err(|e| format!("fuzz seeds: {}: {e}", capture.display()))?;
        let stem = capture
            .file_stem()
            .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
        // A handful of UDP payloads per capture is plenty of variety for a seed.
        let mut payloads = Vec::new();
        for frame in reader {
            let frame = frame.map_err(|e| format!("fuzz seeds: {}: {e}", capture.display()))?;
            if let Ok(datagram) = call_media::capture::decode_udp(frame.link_type, frame.data) {
                payloads.push(datagram.payload);
                if payloads.len() == 8 {
                    break;
                }
            }
        }
        for (i, payload) in payloads.iter().enumerate() {
            for target in &media {
                let dir = root().join("fuzz/corpus").join(target);
                std::fs::create_dir_all(&dir)
                    .map_err(|e| format!("creating {}: {e}", dir.display()))?;
                let file = dir.join(format!("seed-{stem}-{i}"));
                std::fs::write(&file, payload)
                    .map_err(|e| format!("writing {}: {e}", file.display()))?;
                written += 1;
            }
        }
    }
    Ok(written)
}

/// The fuzz targets declared in `fuzz/Cargo.toml` (`[[bin]]` names).
fn fuzz_targets() -> Result<Vec<String>> {
    let manifest = root().join("fuzz/Cargo.toml");
    let text = std::fs::read_to_string(&manifest)
        .map_err(|e| format!("reading {}: {e}", manifest.display()))?;
    let mut targets = Vec::new();
    let mut in_bin = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_bin = line == "[[bin]]";
        } else if in_bin && let Some(value) = line.strip_prefix("name") {
            let name = value
                .trim_start()
                .trim_start_matches('=')
                .trim()
                .trim_matches('"');
            targets.push(name.to_string());
        }
    }
    Ok(targets)
}

fn fuzz_smoke(seconds: u64) -> Result {
    let targets = fuzz_targets()?;
    if targets.is_empty() {
        eprintln!("xtask: no fuzz targets yet");
        return Ok(());
    }
    let has_fuzz = Command::new("cargo")
        .args(["fuzz", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_fuzz {
        run(
            "cargo install cargo-fuzz",
            cargo().args(["install", "cargo-fuzz", "--locked"]),
        )?;
    }
    let fuzz_dir = root().join("fuzz");
    run(
        "cargo +nightly fuzz build",
        Command::new("cargo")
            .current_dir(&fuzz_dir)
            .args(["+nightly", "fuzz", "build"]),
    )?;
    let seeded = seed_media_corpora(&targets)?;
    eprintln!("xtask: seeded {seeded} corpus files from the shared captures");
    let started = Instant::now();
    for target in &targets {
        let corpus = fuzz_dir.join("corpus").join(target);
        std::fs::create_dir_all(&corpus)
            .map_err(|e| format!("creating {}: {e}", corpus.display()))?;
        let mut cmd = Command::new("cargo");
        cmd.current_dir(&fuzz_dir)
            .args(["+nightly", "fuzz", "run", target])
            .arg(&corpus);
        let seeds = fuzz_dir.join("seeds").join(target);
        if seeds.is_dir() {
            cmd.arg(&seeds);
        }
        cmd.args([
            "--",
            &format!("-max_total_time={seconds}"),
            // One input running for 10 s is a hang (every input here takes
            // milliseconds): fail on it at once instead of after libFuzzer's
            // default of 20 minutes.
            "-timeout=10",
            "-print_final_stats=1",
        ]);
        run(&format!("fuzz {target} for {seconds} s"), &mut cmd)?;
    }
    eprintln!(
        "xtask: {} fuzz targets in {:.0?}",
        targets.len(),
        started.elapsed()
    );
    Ok(())
}
