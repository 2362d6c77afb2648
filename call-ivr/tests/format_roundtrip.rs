//! parse -> format -> parse is the identity (spans aside), and formatting is
//! idempotent, on random flow files built from every kind of statement,
//! setting, expression and test step.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use call_ivr::format::format;
use call_ivr::parser::parse;
use call_ivr::source::SourceFile;
use proptest::prelude::*;

/// A tiny deterministic generator, seeded by proptest.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn var(&mut self) -> String {
        format!(
            "v{}",
            self.pick(&["a", "b", "count", "pin", "x_1", "total"])
        )
    }
    fn label(&mut self) -> String {
        format!("l{}", self.below(6))
    }
    fn duration(&mut self) -> String {
        let n = 1 + self.below(90);
        format!("{n}{}", self.pick(&["ms", "s", "m", "h"]))
    }
    fn key(&mut self) -> &'static str {
        self.pick(&["0", "1", "2", "5", "9", "*", "#"])
    }

    fn string(&mut self) -> String {
        let mut s = String::from("\"");
        for _ in 0..self.below(8) {
            let atom = match self.below(12) {
                0 => "\\\"".to_string(),
                1 => "\\\\".to_string(),
                2 => "\\n".to_string(),
                3 => "\\{".to_string(),
                4 => format!("{{{}}}", self.var()),
                5 => format!("{{{}.{}}}", self.var(), self.pick(&["name", "tier"])),
                6 => "é€".to_string(),
                7 => "}".to_string(),
                8 => "\\t".to_string(),
                _ => self
                    .pick(&["Hello", " ", "press 1", ", ", "?", "#", "*"])
                    .to_string(),
            };
            s.push_str(&atom);
        }
        s.push('"');
        s
    }

    fn expr(&mut self, depth: u32) -> String {
        if depth == 0 || self.chance(35) {
            return match self.below(9) {
                0 => format!("{}", self.next() as i64 / 3),
                1 => format!("{}", self.below(100)),
                2 => self.string(),
                3 => self.pick(&["true", "false"]).to_string(),
                4 => self.var(),
                5 => format!("{}.{}", self.var(), self.pick(&["tier", "vip"])),
                6 => "caller.number".to_string(),
                7 => "open(hours)".to_string(),
                _ => format!("len({})", self.var()),
            };
        }
        let a = self.expr(depth - 1);
        let b = self.expr(depth - 1);
        match self.below(6) {
            0 => format!("not {a}"),
            1 => format!("-({a})"),
            2 => format!("starts_with({a}, {b})"),
            3 => format!("({a}) {} ({b})", self.pick(&["or", "and"])),
            4 => format!(
                "({a}) {} ({b})",
                self.pick(&["==", "!=", "<", "<=", ">", ">="])
            ),
            _ => format!("({a}) {} ({b})", self.pick(&["+", "-"])),
        }
    }

    fn prompt(&mut self) -> String {
        let mut p = match self.below(3) {
            0 => self.string(),
            1 => format!("audio {}", self.string()),
            _ => "greeting".to_string(),
        };
        if self.chance(30) {
            p.push_str(&format!(" voice {}", self.string()));
        }
        if self.chance(30) {
            p.push_str(&format!(" in {}", self.string()));
        }
        if self.chance(30) {
            p.push_str(self.pick(&[" barge-in on", " barge-in off"]));
        }
        p
    }

    fn arm(&mut self, out: &mut Vec<String>, head: String, indent: usize, depth: u32) {
        if depth == 0 || self.chance(60) {
            let sep = if head.is_empty() { "" } else { " " };
            out.push(format!(
                "{}{head}{sep}-> {}",
                "  ".repeat(indent),
                self.label()
            ));
        } else {
            out.push(format!("{}{head}", "  ".repeat(indent)));
            self.block(out, indent + 1, depth - 1);
        }
    }

    fn rules(&mut self, out: &mut Vec<String>, indent: usize, depth: u32, events: &[&str]) {
        let pad = "  ".repeat(indent);
        if self.chance(50) {
            out.push(format!("{pad}timeout {}", self.duration()));
        }
        for _ in 0..self.below(3) {
            let mut head = format!("on {}", self.pick(events));
            if self.chance(30) {
                head.push_str(&format!(" {}", 1 + self.below(3)));
            }
            self.arm(out, head, indent, depth);
        }
        if events.contains(&"no-input") && self.chance(50) {
            if self.chance(50) {
                let head = format!("retries {} then", self.below(5));
                self.arm(out, head, indent, depth);
            } else {
                out.push(format!("{pad}retries {}", self.below(5)));
            }
        }
    }

    fn block(&mut self, out: &mut Vec<String>, indent: usize, depth: u32) {
        for _ in 0..1 + self.below(5) {
            self.stmt(out, indent, depth);
        }
    }

    fn stmt(&mut self, out: &mut Vec<String>, indent: usize, depth: u32) {
        let pad = "  ".repeat(indent);
        let line = match self.below(20) {
            0 => format!("say {}", self.prompt()),
            1 => format!("play {}", self.string()),
            2 => format!("set {} = {}", self.var(), self.expr(3)),
            3 => format!("goto {}", self.label()),
            4 => format!("{}:", self.label()),
            5 => match self.chance(50) {
                true => format!("hangup {}", self.string()),
                false => "hangup".to_string(),
            },
            6 => {
                let head = format!("if {}", self.expr(3));
                self.arm(out, head, indent, depth);
                if self.chance(40) {
                    let head = format!("else if {}", self.expr(2));
                    self.arm(out, head, indent, depth);
                }
                if self.chance(40) {
                    self.arm(out, "else".into(), indent, depth);
                }
                return;
            }
            7 => {
                out.push(format!("{pad}match {}", self.expr(2)));
                for _ in 0..1 + self.below(3) {
                    let values = match self.below(3) {
                        0 => self.string(),
                        1 => format!("{}, {}", self.below(10), -(self.below(10) as i64)),
                        _ => "true".to_string(),
                    };
                    self.arm(out, values, indent + 1, depth);
                }
                if self.chance(50) {
                    self.arm(out, "else".into(), indent + 1, depth);
                }
                return;
            }
            8 => {
                out.push(format!("{pad}menu {}", self.prompt()));
                for _ in 0..1 + self.below(3) {
                    let key = self.key().to_string();
                    self.arm(out, key, indent + 1, depth);
                }
                self.rules(out, indent + 1, depth, &["no-input", "no-match"]);
                return;
            }
            9 => {
                let prompt = if self.chance(70) {
                    format!(" {}", self.prompt())
                } else {
                    String::new()
                };
                out.push(format!("{pad}gather {}{prompt}", self.var()));
                let inner = "  ".repeat(indent + 1);
                if self.chance(50) {
                    out.push(format!(
                        "{inner}digits {} to {}",
                        1 + self.below(4),
                        4 + self.below(8)
                    ));
                }
                if self.chance(30) {
                    out.push(format!("{inner}terminator {}", self.key()));
                }
                if self.chance(30) {
                    out.push(format!("{inner}inter-digit {}", self.duration()));
                }
                if self.chance(30) {
                    out.push(format!(
                        "{inner}pattern \"{}\"",
                        self.pick(&["XXXX", "NXX.", "[1-3]Z!"])
                    ));
                }
                self.rules(out, indent + 1, depth, &["no-input", "no-match"]);
                return;
            }
            10 => {
                out.push(format!(
                    "{pad}lookup crm {} -> {}",
                    self.expr(1),
                    self.var()
                ));
                self.rules(out, indent + 1, depth, &["not-found", "error", "timeout"]);
                return;
            }
            11 => {
                out.push(format!("{pad}enqueue {}", self.pick(&["sales", "support"])));
                let inner = "  ".repeat(indent + 1);
                if self.chance(50) {
                    out.push(format!("{inner}priority {}", self.expr(2)));
                }
                if self.chance(50) {
                    out.push(format!("{inner}skills {}, {}", self.string(), self.var()));
                }
                if self.chance(50) {
                    out.push(format!("{inner}attribute tier = {}", self.expr(1)));
                }
                return;
            }
            12 => format!("transfer {}{}", self.pick(&["", "agent "]), self.expr(1)),
            13 => format!(
                "record {} max {} beep finish {}",
                self.var(),
                self.duration(),
                self.key()
            ),
            14 => format!("voicemail {} no-beep", self.string()),
            15 => format!(
                "call sub({}, {}) -> {}",
                self.expr(2),
                self.expr(1),
                self.var()
            ),
            16 => format!("return {}", self.expr(2)),
            17 => "return".to_string(),
            18 => format!("language {}", self.string()),
            _ => format!("say greeting{}", self.pick(&["", " barge-in off"])),
        };
        out.push(format!("{pad}{line}"));
    }

    fn file(&mut self) -> String {
        let mut out = vec!["// generated".to_string(), "flow main".to_string()];
        self.block(&mut out, 1, 3);
        out.push(String::new());
        out.push("flow sub(a, b)".to_string());
        self.block(&mut out, 1, 2);
        out.push("schedule hours".to_string());
        out.push("  timezone \"Europe/Paris\"".to_string());
        out.push(format!(
            "  mon-fri, sat 0{}:00-17:30, 18:00-24:00",
            self.below(9)
        ));
        out.push("  holiday 2026-12-25 \"Noël\"".to_string());
        out.push("prompt greeting".to_string());
        out.push(format!("  en {}", self.string()));
        out.push(format!("  fr audio {}", self.string()));
        out.push(format!("test {}", self.string()));
        let mut steps = Vec::new();
        for _ in 0..self.below(8) {
            let step = match self.below(14) {
                0 => format!("caller {}", self.string()),
                1 => "at \"2026-03-02T10:00:00Z\"".to_string(),
                2 => format!(
                    "press \"{}{}\"{}",
                    self.key(),
                    self.key(),
                    self.pick(&["", " during"])
                ),
                3 => "silence".to_string(),
                4 => format!("wait {}", self.duration()),
                5 => "hangup".to_string(),
                6 => format!(
                    "answer crm with name = {}, vip = true, n = -3",
                    self.string()
                ),
                7 => format!(
                    "answer crm {}",
                    self.pick(&["not-found", "error", "timeout"])
                ),
                8 => format!("recorded {}", self.string()),
                9 => format!("expect say {}", self.string()),
                10 => format!("expect enqueue sales priority {}", self.below(20)),
                11 => format!("expect transfer agent {}", self.string()),
                12 => format!("expect hangup {}", self.string()),
                _ => self
                    .pick(&[
                        "expect defect",
                        "expect record",
                        "expect lookup crm",
                        "expect voicemail \"x\"",
                    ])
                    .to_string(),
            };
            steps.push(format!("  {step}"));
        }
        // Context steps (caller, at) come first (E0601 otherwise).
        let (context, rest): (Vec<String>, Vec<String>) = steps
            .into_iter()
            .partition(|s| s.starts_with("  caller ") || s.starts_with("  at "));
        out.extend(context);
        out.extend(rest);
        out.join("\n") + "\n"
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn parse_format_parse_is_the_identity(seed in any::<u64>()) {
        let text = Gen(seed | 1).file();
        let file = SourceFile::new("gen.ivr", text.clone()).unwrap();
        let (tree, diags) = parse(&file);
        prop_assert!(!diags.has_errors(), "generated text does not parse:\n{}\n{}", text, diags.render(&file));
        let formatted = format(&tree);
        let again = SourceFile::new("formatted.ivr", formatted.clone()).unwrap();
        let (tree2, diags2) = parse(&again);
        prop_assert!(!diags2.has_errors(), "formatted text does not parse:\n{}\n{}", formatted, diags2.render(&again));
        prop_assert_eq!(common::without_spans(&tree), common::without_spans(&tree2));
        prop_assert_eq!(format(&tree2), formatted);
        prop_assert_eq!(tree.comments.len(), tree2.comments.len());
    }
}
