//! Helpers shared by the integration tests.
#![allow(dead_code)]

use call_ivr::ast::File;
use call_ivr::check::compile;
use call_ivr::jiff::Timestamp;
use call_ivr::program::Program;
use call_ivr::source::SourceFile;

/// The tree's debug form with every span removed, to compare trees parsed
/// from differently laid out text.
pub(crate) fn without_spans(file: &File) -> String {
    let text = format!("{:?}", file.items);
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(i) = rest.find("Span {") {
        out.push_str(&rest[..i]);
        let end = rest[i..].find('}').map_or(rest.len(), |j| i + j + 1);
        out.push_str("Span");
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// Compiles `text`, runs its inline tests and fails on the first failing
/// one, naming the test and the line.
pub(crate) fn run_inline_tests(text: &str) {
    let file = SourceFile::new("t.ivr", text).unwrap();
    let (program, d) = compile(&file);
    let program = program.unwrap_or_else(|| panic!("{}", d.render(&file)));
    let results = call_ivr::testing::run_tests(&program);
    assert!(!results.is_empty());
    for r in results {
        if let Some(f) = r.failure {
            let at = file.location(f.span.start).unwrap();
            panic!(
                "test {:?} failed at line {}: {}",
                r.name, at.line, f.message
            );
        }
    }
}

/// Compiles a flow, failing the test with the rendered diagnostics.
pub(crate) fn program(text: &str) -> Program {
    let file = SourceFile::new("t.ivr", text).unwrap();
    let (p, d) = compile(&file);
    p.unwrap_or_else(|| panic!("{}", d.render(&file)))
}

/// The tests' start of time.
pub(crate) fn t0() -> Timestamp {
    "2026-03-02T10:00:00Z".parse().unwrap()
}
