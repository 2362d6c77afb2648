//! Helpers shared by the integration tests.
#![allow(dead_code)]

use call_ivr::ast::File;

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
