//! Every diagnostic code, triggered by a small flow, with its position.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use call_ivr::check::compile;
use call_ivr::diagnostic::{Code, Severity};
use call_ivr::parser::{ParseLimits, parse_with};
use call_ivr::source::SourceFile;

/// Compiles `text` and returns `(code, line, column)` for each diagnostic.
fn diagnose(text: &str) -> Vec<(&'static str, u32, u32)> {
    let file = SourceFile::new("t.ivr", text).unwrap();
    let (_, d) = compile(&file);
    d.items
        .iter()
        .map(|d| {
            let at = file.location(d.span.start).unwrap();
            (d.code.0, at.line, at.column)
        })
        .collect()
}

fn has(text: &str, code: &str, line: u32, column: u32) {
    let found = diagnose(text);
    assert!(
        found.contains(&(code, line, column)),
        "expected {code} at {line}:{column} in:\n{text}\nfound {found:?}"
    );
}

const H: &str = "flow main\n";

#[test]
fn lexical_and_syntax_errors() {
    has("flow main\n  say \"open\n", "E0002", 2, 7);
    has("flow main\n  say @\n", "E0003", 2, 7);
    has("flow main\n\tsay \"x\"\n", "E0004", 2, 1);
    has(
        "flow main\n  menu \"x\"\n    1 -> a\n    timeout 5parsecs\n",
        "E0005",
        4,
        13,
    );
    has("flow main\n  say \"a \\q\"\n", "E0006", 2, 10);
    has("flow main\n  say \"{a b}\"\n", "E0006", 2, 8);
    has("flow main\n  sing \"x\"\n", "E0010", 2, 3);
    has("flow main\n  say \"x\"\n      hangup\n", "E0011", 3, 7);
    has("flow main\n  if true\n  hangup\n", "E0012", 2, 3);
    has(
        "flow main\n  lookup crm 1 -> x\n    retries 2\n",
        "E0013",
        3,
        13,
    );
    has("flow main\n  else -> a\n", "E0013", 2, 3);
    has(
        "flow main\n  say \"x\" voice \"a\" voice \"b\"\n",
        "E0014",
        2,
        21,
    );
    let deep = format!("{H}  set x = {}1{}\n", "(".repeat(70), ")".repeat(70));
    assert!(diagnose(&deep).iter().any(|d| d.0 == "E0015"));
    let file = SourceFile::new("t", "flow main\n  hangup\n").unwrap();
    let tiny = ParseLimits {
        max_bytes: 4,
        ..ParseLimits::default()
    };
    assert!(parse_with(&file, tiny).1.contains(Code::INPUT_TOO_LARGE));
    let few = ParseLimits {
        max_nodes: 1,
        ..ParseLimits::default()
    };
    assert!(
        parse_with(&file, few).1.contains(Code::TOO_MANY_NODES) || {
            let file = SourceFile::new("t", "flow main\n  hangup\n  hangup\n").unwrap();
            parse_with(&file, few).1.contains(Code::TOO_MANY_NODES)
        }
    );
    let noisy = SourceFile::new("t", "@".repeat(500)).unwrap();
    let d = parse_with(&noisy, ParseLimits::default()).1;
    assert!(d.contains(Code::TOO_MANY_ERRORS));
    assert!(d.items.len() <= 201);
}

#[test]
fn names() {
    has("flow main\n  hangup\nflow main\n  hangup\n", "E0101", 3, 6);
    has("flow main\n  a:\n  a:\n  hangup\n", "E0102", 3, 3);
    has("flow main\n  goto nowhere\n", "E0103", 2, 8);
    has("flow main\n  call nobody()\n  hangup\n", "E0104", 2, 8);
    has("flow main\n  set x = y\n  hangup\n", "E0105", 2, 11);
    has(
        "flow main\n  if open(h) -> a\n  a:\n  hangup\n",
        "E0106",
        2,
        11,
    );
    has("flow main\n  say greeting\n", "E0107", 2, 7);
    has("flow other\n  hangup\n", "E0108", 1, 1);
    has(
        "flow main\n  call f(1, 2)\n  hangup\nflow f(a)\n  return\n",
        "E0109",
        2,
        8,
    );
    has("flow main\n  set x = shout(1)\n  hangup\n", "E0110", 2, 11);
    has("flow main(a)\n  hangup\n", "E0111", 1, 6);
    has("flow main\n  return\n", "E0111", 2, 3);
    has("flow main\n  set caller = 1\n  hangup\n", "E0112", 2, 7);
}

#[test]
fn flow_structure() {
    has(
        "flow main\n  top:\n  menu \"x\"\n    1 -> top\n    retries 1 then -> top\n",
        "E0201",
        2,
        3,
    );
    has(
        "flow main\n  top:\n  menu \"x\"\n    1 -> out\n    on no-input -> top\n  out:\n  hangup\n",
        "E0202",
        3,
        3,
    );
    has("flow main\n  a:\n  say \"x\"\n  goto a\n", "E0203", 2, 3);
    has(
        "flow main\n  call a()\n  hangup\nflow a\n  call a()\n  return\n",
        "E0204",
        5,
        3,
    );
    let mut chain = String::from("flow main\n  call f0()\n  hangup\n");
    for i in 0..20 {
        chain.push_str(&format!("flow f{i}\n  call f{}()\n  return\n", i + 1));
    }
    chain.push_str("flow f20\n  return\n");
    has(&chain, "E0205", 1, 6);
}

#[test]
fn menus_and_gathers() {
    has(
        "flow main\n  menu \"x\"\n    retries 1\n  hangup\n",
        "E0301",
        2,
        3,
    );
    has(
        "flow main\n  menu \"x\"\n    1 -> a\n    1 -> a\n  a:\n  hangup\n",
        "E0302",
        4,
        5,
    );
    has(
        "flow main\n  menu \"x\"\n    A -> a\n  a:\n  hangup\n",
        "E0303",
        3,
        5,
    );
    has(
        "flow main\n  gather p \"x\"\n    digits 5 to 3\n  hangup\n",
        "E0304",
        3,
        12,
    );
    has(
        "flow main\n  gather p \"x\"\n    digits 40\n  hangup\n",
        "E0304",
        3,
        12,
    );
    has(
        "flow main\n  gather p \"x\"\n    terminator 7\n  hangup\n",
        "E0305",
        3,
        16,
    );
    has(
        "flow main\n  gather p \"x\"\n    pattern \"X#\"\n    terminator #\n  hangup\n",
        "E0305",
        4,
        16,
    );
    has(
        "flow main\n  gather p \"x\"\n    timeout 0s\n  hangup\n",
        "E0306",
        3,
        13,
    );
    has(
        "flow main\n  gather p \"x\"\n    retries 11\n  hangup\n",
        "E0307",
        3,
        13,
    );
    has(
        "flow main\n  gather p \"x\"\n    pattern \"X.X\"\n  hangup\n",
        "E0308",
        3,
        13,
    );
    has(
        "flow main\n  gather p \"x\"\n    on no-input 0\n      say \"x\"\n  hangup\n",
        "E0309",
        3,
        17,
    );
}

#[test]
fn types_schedules_and_tests() {
    has("flow main\n  if 1 -> a\n  a:\n  hangup\n", "E0401", 2, 6);
    has(
        "flow main\n  set x = 1\n  set x = \"one\"\n  hangup\n",
        "E0401",
        3,
        7,
    );
    has(
        "flow main\n  if \"a\" < 2 -> a\n  a:\n  hangup\n",
        "E0401",
        2,
        6,
    );
    has(
        "flow main\n  enqueue q\n    priority \"high\"\n",
        "E0401",
        3,
        14,
    );
    let sched =
        |body: &str| format!("schedule s\n{body}flow main\n  if open(s) -> a\n  a:\n  hangup\n");
    has(
        &sched("  timezone \"UTC\"\n  mon 18:00-09:00\n"),
        "E0501",
        3,
        7,
    );
    has(
        &sched("  timezone \"UTC\"\n  mon 25:00-26:00\n"),
        "E0501",
        3,
        7,
    );
    has(
        &sched("  timezone \"Nowhere/City\"\n  mon 09:00-10:00\n"),
        "E0502",
        2,
        12,
    );
    has(
        &sched("  timezone \"UTC\"\n  someday 09:00-10:00\n"),
        "E0503",
        3,
        3,
    );
    has(
        &sched("  timezone \"UTC\"\n  mon 09:00-10:00\n  holiday 2026-02-30\n"),
        "E0503",
        4,
        3,
    );
    has(&sched("  mon 09:00-10:00\n"), "E0504", 1, 10);
    has("flow main\n  hangup\ntest \"t\"\n  dance\n", "E0601", 4, 3);
}

#[test]
fn warnings() {
    has("flow main\n  hangup\n  say \"x\"\n", "W0001", 3, 3);
    has("flow main\n  hangup\nflow spare\n  return\n", "W0002", 3, 6);
    has("flow main\n  lookup crm 1 -> x\n  hangup\n", "W0003", 2, 10);
    has(
        "prompt p\n  en \"Hi\"\nflow main\n  language \"fr\"\n  say p\n  hangup\n",
        "W0004",
        1,
        8,
    );
    has(
        "schedule s\n  timezone \"UTC\"\nflow main\n  if open(s) -> a\n  a:\n  hangup\n",
        "W0005",
        1,
        10,
    );
    has(
        "schedule s\n  timezone \"UTC\"\n  mon 09:00-10:00\nflow main\n  hangup\n",
        "W0006",
        1,
        10,
    );
    // Warnings alone do not refuse a file.
    let file = SourceFile::new("t", "flow main\n  hangup\n  say \"x\"\n").unwrap();
    let (program, d) = compile(&file);
    assert!(program.is_some());
    assert_eq!(d.items[0].severity, Severity::Warning);
}

#[test]
fn rendering_names_file_line_column_code_source_caret_and_help() {
    let file = SourceFile::new("acme.ivr", "flow main\n  menu \"Pick\"\n    1 -> sales\n").unwrap();
    let (_, d) = compile(&file);
    let text = d.render(&file);
    assert_eq!(
        text.lines().take(4).collect::<Vec<_>>(),
        [
            "acme.ivr:3:10: error[E0103]: unknown label `sales`",
            "3 |     1 -> sales",
            "  |          ^^^^^",
            "  = help: flow `main` has no labels; mark a statement with `name:`",
        ]
    );
}

#[cfg(feature = "miette")]
#[test]
fn miette_sees_code_severity_help_and_label() {
    use miette::Diagnostic as _;
    let file = SourceFile::new("t", "flow main\n  goto x\n").unwrap();
    let (_, d) = compile(&file);
    let first = &d.items[0];
    assert_eq!(first.code().unwrap().to_string(), "E0103");
    assert_eq!(first.severity(), Some(miette::Severity::Error));
    assert!(first.help().is_some());
    let label = first.labels().unwrap().next().unwrap();
    assert_eq!((label.offset(), label.len()), (17, 1));
    assert_eq!(d.related().unwrap().count(), d.items.len());
}
