//! `ivr`: check, test, run and format IVR flow files.
//!
//! ```text
//! cargo run --example ivr -- check FILE...   diagnostics; exit 1 on errors
//! cargo run --example ivr -- test FILE...    run inline tests; last line "N passed, N failed"
//! cargo run --example ivr -- run FILE [--caller NUMBER] [--dialed NUMBER] [--at TIME]
//!                                            interactive: prints prompts, reads keys from stdin
//! cargo run --example ivr -- fmt FILE [--check | --write]
//!                                            canonical formatting
//! ```

use std::io::{BufRead, Write};
use std::process::ExitCode;

use call_ivr::check::compile;
use call_ivr::format::format_source;
use call_ivr::jiff::Timestamp;
use call_ivr::parser::parse;
use call_ivr::session::{
    Action, CallContext, Event, LookupResult, Session, SessionLimits, Waiting,
};
use call_ivr::source::SourceFile;
use call_ivr::testing::run_tests;
use call_ivr::value::Value;

/// `println!` that ignores a closed pipe (`ivr check ... | head`).
macro_rules! out {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// `print!` that ignores a closed pipe.
macro_rules! out_part {
    ($($arg:tt)*) => {{
        let _ = write!(std::io::stdout(), $($arg)*);
    }};
}

const USAGE: &str = "usage: ivr check FILE... | test FILE... | run FILE [--caller N] [--dialed N] [--at TIME] | fmt FILE [--check|--write]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rest = args.get(1..).unwrap_or_default();
    let result = match args.first().map(String::as_str) {
        Some("check") if !rest.is_empty() => check(rest),
        Some("test") if !rest.is_empty() => test(rest),
        Some("run") if !rest.is_empty() => run(rest),
        Some("fmt") if !rest.is_empty() => fmt(rest),
        _ => Err(USAGE.to_string()),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("ivr: {e}");
            ExitCode::from(2)
        }
    }
}

fn load(path: &str) -> Result<SourceFile, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    SourceFile::new(path, text).map_err(|e| format!("{path}: {e}"))
}

fn check(files: &[String]) -> Result<bool, String> {
    let mut ok = true;
    for path in files {
        let file = load(path)?;
        let (_, diags) = compile(&file);
        out_part!("{}", diags.render(&file));
        out!(
            "{path}: {} error(s), {} warning(s)",
            diags.error_count(),
            diags.warning_count()
        );
        ok &= !diags.has_errors();
    }
    Ok(ok)
}

fn test(files: &[String]) -> Result<bool, String> {
    let (mut passed, mut failed) = (0, 0);
    for path in files {
        let file = load(path)?;
        let (program, diags) = compile(&file);
        let Some(program) = program else {
            out_part!("{}", diags.render(&file));
            out!("FAIL {path}: the file does not compile");
            failed += 1;
            continue;
        };
        for result in run_tests(&program) {
            let at = file.location(result.span.start).map_or(0, |l| l.line);
            match &result.failure {
                None => {
                    passed += 1;
                    out!("PASS {path}:{at}: {}", result.name);
                }
                Some(f) => {
                    failed += 1;
                    let loc = file
                        .location(f.span.start)
                        .map_or(String::new(), |l| format!("{}:{}", l.line, l.column));
                    out!("FAIL {path}:{at}: {}", result.name);
                    out!("     {path}:{loc}: {}", f.message);
                    let mut lines: Vec<u32> = f
                        .path
                        .iter()
                        .filter_map(|s| file.location(s.start).ok().map(|l| l.line))
                        .collect();
                    lines.dedup();
                    if !lines.is_empty() {
                        let lines: Vec<String> = lines.iter().map(u32::to_string).collect();
                        out!("     path through the flow (lines): {}", lines.join(" "));
                    }
                }
            }
        }
    }
    out!("{passed} passed, {failed} failed");
    Ok(failed == 0)
}

fn fmt(args: &[String]) -> Result<bool, String> {
    let path = args.first().ok_or(USAGE)?;
    let file = load(path)?;
    let (tree, diags) = parse(&file);
    if diags.has_errors() {
        eprint!("{}", diags.render(&file));
        return Ok(false);
    }
    let text = format_source(&tree, &file);
    match args.get(1).map(String::as_str) {
        Some("--check") => {
            let same = text == file.text();
            if !same {
                out!("{path} is not formatted canonically");
            }
            Ok(same)
        }
        Some("--write") => {
            std::fs::write(path, text).map_err(|e| format!("{path}: {e}"))?;
            Ok(true)
        }
        Some(other) => Err(format!("unknown option {other}\n{USAGE}")),
        None => {
            out_part!("{text}");
            Ok(true)
        }
    }
}

/// A lookup field typed at the prompt: `true`/`false` are booleans, `#42` is
/// an integer, anything else is text (so a PIN like 0042 stays text).
fn value(text: &str) -> Value {
    let t = text.trim();
    if let Some(i) = t.strip_prefix('#').and_then(|n| n.parse::<i64>().ok()) {
        Value::Int(i)
    } else if t == "true" || t == "false" {
        Value::Bool(t == "true")
    } else {
        Value::Str(t.trim_matches('"').to_string())
    }
}

fn run(args: &[String]) -> Result<bool, String> {
    let path = args.first().ok_or(USAGE)?;
    let mut context = CallContext {
        caller: "+15555550100".into(),
        dialed: "+15555550000".into(),
        ..CallContext::default()
    };
    let mut now = Timestamp::now();
    let mut i = 1;
    while let Some(flag) = args.get(i) {
        let value = args.get(i + 1).ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--caller" => context.caller = value.clone(),
            "--dialed" => context.dialed = value.clone(),
            "--at" => {
                now = value
                    .parse::<Timestamp>()
                    .or_else(|_| {
                        value
                            .parse::<call_ivr::jiff::Zoned>()
                            .map(|z| z.timestamp())
                    })
                    .map_err(|e| format!("--at {value}: {e}"))?
            }
            _ => return Err(format!("unknown option {flag}\n{USAGE}")),
        }
        i += 2;
    }
    let file = load(path)?;
    let (program, diags) = compile(&file);
    let Some(program) = program else {
        eprint!("{}", diags.render(&file));
        return Ok(false);
    };
    let mut session = Session::start(&program, context, now, SessionLimits::default())
        .map_err(|e| e.to_string())?;
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    let mut ask = |prompt: &str| -> Option<String> {
        out_part!("{prompt} ");
        let _ = std::io::stdout().flush();
        lines.next().and_then(Result::ok)
    };
    loop {
        while let Some(action) = session.poll_action() {
            match action {
                Action::Say { text, language, .. } => out!("[say/{language}] {text}"),
                Action::Play {
                    audio, language, ..
                } => out!("[play/{language}] {audio}"),
                Action::Lookup { source, key, .. } => out!("[lookup] {source} \"{key}\""),
                Action::Record {
                    mailbox, max_ms, ..
                } => match mailbox {
                    Some(m) => out!("[voicemail] mailbox {m}, up to {} s", max_ms / 1000),
                    None => out!("[record] up to {} s", max_ms / 1000),
                },
                Action::Enqueue {
                    queue,
                    priority,
                    skills,
                    attributes,
                } => out!(
                    "[enqueue] {queue} priority {priority} skills {skills:?} attributes {attributes:?}"
                ),
                Action::Transfer {
                    target,
                    destination,
                } => out!("[transfer] {target:?} {destination}"),
                Action::Hangup { reason } => out!("[hangup] {reason}"),
                _ => {}
            }
        }
        let event = match session.waiting() {
            Waiting::Ended => {
                out!("call ended: {:?}", session.outcome());
                return Ok(true);
            }
            Waiting::Prompt(id) => Event::PromptFinished(id),
            Waiting::Keys => {
                match ask("keys (empty = silence, h = hang up)>")
                    .as_deref()
                    .map(str::trim)
                {
                    None | Some("h") => Event::CallerHangup,
                    Some("") => {
                        now = session.poll_timeout().unwrap_or(now).max(now);
                        Event::Timeout
                    }
                    Some(keys) => Event::Digits(keys.to_string()),
                }
            }
            Waiting::Lookup(id) => {
                match ask(
                    "answer (name=text, n=#42, flag=true, ... | not-found | error | timeout)>",
                )
                .as_deref()
                .map(str::trim)
                {
                    None => Event::CallerHangup,
                    Some("not-found") => Event::LookupResult(id, LookupResult::NotFound),
                    Some("error") => Event::LookupResult(id, LookupResult::Error("host".into())),
                    Some("timeout") => {
                        now = session.poll_timeout().unwrap_or(now).max(now);
                        Event::Timeout
                    }
                    Some(fields) => Event::LookupResult(
                        id,
                        LookupResult::Found(
                            fields
                                .split(',')
                                .filter_map(|kv| kv.split_once('='))
                                .map(|(k, v)| (k.trim().to_string(), value(v)))
                                .collect(),
                        ),
                    ),
                }
            }
            Waiting::Recording(id) => match ask("press Enter when the caller stops speaking>") {
                None => Event::CallerHangup,
                Some(_) => Event::RecordingFinished(id, "recording-1".into()),
            },
            _ => Event::CallerHangup,
        };
        if let Err(e) = session.handle(&program, now, event) {
            out!("rejected: {e}");
        }
    }
}
