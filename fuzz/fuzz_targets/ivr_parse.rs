#![no_main]
//! Arbitrary bytes as a flow file: parsing and checking never panic, every
//! diagnostic renders with a location inside the file, a file that parses
//! formats to text that parses to the same canonical form, and a file that
//! compiles runs its inline tests without panicking.

use call_ivr::check::check;
use call_ivr::format::format;
use call_ivr::parser::{ParseLimits, parse_with};
use call_ivr::source::SourceFile;
use call_ivr::testing::run_tests;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(file) = SourceFile::new("fuzz.ivr", text) else {
        return;
    };
    let limits = ParseLimits {
        max_bytes: 64 * 1024,
        ..ParseLimits::default()
    };
    let (tree, diags) = parse_with(&file, limits);
    assert!(diags.items.len() <= limits.max_diagnostics + 1);
    for d in &diags.items {
        assert!(d.span.start <= d.span.end && d.span.end as usize <= text.len());
        let _ = d.render(&file);
    }
    if diags.has_errors() {
        return;
    }
    let formatted = format(&tree);
    let again = SourceFile::new("formatted.ivr", formatted.clone()).expect("small");
    let (tree2, diags2) = parse_with(&again, limits);
    assert!(
        !diags2.has_errors(),
        "formatted text does not parse:\n{formatted}"
    );
    assert_eq!(format(&tree2), formatted, "formatting is not idempotent");

    let (program, diags) = check(&file, &tree);
    for d in &diags.items {
        let _ = d.render(&file);
    }
    if let Some(program) = program {
        let _ = run_tests(&program);
    }
});
