//! Every flow in `examples/flows/` compiles without errors or warnings, is
//! formatted canonically, round-trips through the formatter, and passes all
//! of its inline tests. CI runs these through `cargo test`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::path::PathBuf;

use call_ivr::check::compile;
use call_ivr::format::{format, format_source};
use call_ivr::parser::parse;
use call_ivr::source::SourceFile;
use call_ivr::testing::run_tests;

fn flows() -> Vec<(PathBuf, SourceFile)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/flows");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "ivr"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 6,
        "expected the six example flows in {}",
        dir.display()
    );
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            (p, SourceFile::new(name, text).unwrap())
        })
        .collect()
}

#[test]
fn example_flows_pass_their_inline_tests() {
    let mut total = 0;
    for (path, file) in flows() {
        let (program, diags) = compile(&file);
        assert!(
            diags.items.is_empty(),
            "{}:\n{}",
            path.display(),
            diags.render(&file)
        );
        let program = program.unwrap();
        let results = run_tests(&program);
        assert!(results.len() >= 4, "{} has too few tests", path.display());
        for r in &results {
            if let Some(f) = &r.failure {
                let at = file.location(f.span.start).unwrap();
                panic!(
                    "{}:{}: test {:?} failed: {}",
                    path.display(),
                    at.line,
                    r.name,
                    f.message
                );
            }
        }
        total += results.len();
    }
    assert!(total >= 40, "only {total} inline tests ran");
}

#[test]
fn example_flows_are_canonical_and_round_trip() {
    for (path, file) in flows() {
        let (tree, diags) = parse(&file);
        assert!(!diags.has_errors(), "{}", diags.render(&file));
        assert_eq!(
            format_source(&tree, &file),
            file.text(),
            "{} is not canonical",
            path.display()
        );
        let plain = format(&tree);
        let again = SourceFile::new("again.ivr", plain.clone()).unwrap();
        let (tree2, diags2) = parse(&again);
        assert!(!diags2.has_errors(), "{}", diags2.render(&again));
        assert_eq!(common::without_spans(&tree), common::without_spans(&tree2));
        assert_eq!(format(&tree2), plain);
    }
}

#[test]
fn a_broken_expectation_in_an_example_fails() {
    // The inline tests can fail: change one expected queue and run again.
    let (_, file) = flows()
        .into_iter()
        .find(|(p, _)| p.ends_with("bank.ivr"))
        .unwrap();
    let text = file.text().replace(
        "expect enqueue cards priority 8",
        "expect enqueue cards priority 9",
    );
    let file = SourceFile::new("bank.ivr", text).unwrap();
    let program = compile(&file).0.unwrap();
    let failed: Vec<_> = run_tests(&program)
        .into_iter()
        .filter(|r| !r.passed())
        .collect();
    assert_eq!(failed.len(), 1);
    assert!(
        failed[0]
            .failure
            .as_ref()
            .unwrap()
            .message
            .contains("enqueue cards priority 8")
    );
}
