//! Parser throughput, checking a 10,000-node flow, interpreter events per
//! second and bytes per session.
//!
//! Peers on the same input: `serde_json` parsing a JSON document of the same
//! size and content (a well-tuned parser of a simpler grammar), and a
//! hand-written `match` state machine running the same menu loop (the floor
//! for an interpreter).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use std::hint::black_box;
use std::time::Duration;

use call_ivr::check::{check, compile};
use call_ivr::jiff::Timestamp;
use call_ivr::parser::{ParseLimits, parse_with};
use call_ivr::session::{Action, CallContext, Event, Session, SessionLimits, Waiting};
use call_ivr::source::SourceFile;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// A flow file with `flows` subflows of typical statements, about 1.1 KB each.
fn big_file(flows: usize) -> String {
    let mut s = String::from("flow main\n");
    for i in 0..flows {
        s.push_str(&format!("  call f{i}()\n"));
    }
    s.push_str("  hangup\n\n");
    for i in 0..flows {
        let next = "";
        s.push_str(&format!(
            "// Subflow {i}: a menu, a gather and a lookup.
flow f{i}
  say \"Thanks for calling department {i}. Calls may be recorded.\" voice \"anna\"
  set tries = 0
  top:
  menu \"For sales press 1. For support press 2. To repeat press 9.\"
    1 -> sales
    2
      say \"Support.\"
      goto support
    9 -> top
    on no-input
      say \"Sorry, I did not hear anything.\"
    on no-match 2 -> support
    retries 3 then -> support
  sales:
  gather account \"Enter your account number followed by pound.\"
    digits 6 to 10
    terminator #
    inter-digit 3s
    retries 2 then -> support
  lookup crm account -> customer
    timeout 3s
    on not-found -> support
    on error -> support
    on timeout -> support
  if customer.vip == true and tries < 3 or customer.tier == \"gold\"
    set tries = tries + 1
{next}  support:
  return
"
        ));
    }
    s
}

/// The same content as JSON.
fn big_json(flows: usize) -> String {
    let mut items = Vec::new();
    for i in 0..flows {
        items.push(format!(
            r##"{{"flow":"f{i}","body":[{{"say":"Thanks for calling department {i}. Calls may be recorded.","voice":"anna"}},{{"set":"tries","value":0}},{{"label":"top"}},{{"menu":"For sales press 1. For support press 2. To repeat press 9.","choices":{{"1":"sales","2":[{{"say":"Support."}},{{"goto":"support"}}],"9":"top"}},"no_input":[{{"say":"Sorry, I did not hear anything."}}],"no_match":{{"count":2,"goto":"support"}},"retries":3,"then":"support"}},{{"label":"sales"}},{{"gather":"account","prompt":"Enter your account number followed by pound.","min":6,"max":10,"terminator":"#","inter_digit_ms":3000,"retries":2,"then":"support"}},{{"lookup":"crm","key":"account","into":"customer","timeout_ms":3000,"not_found":"support","error":"support","timeout":"support"}},{{"if":{{"or":[{{"and":[{{"eq":["customer.vip",true]}},{{"lt":["tries",3]}}]}},{{"eq":["customer.tier","gold"]}}]}},"then":[{{"set":"tries","value":{{"add":["tries",1]}}}}]}},{{"label":"support"}},{{"return":null}}]}}"##
        ));
    }
    format!("[{}]", items.join(",\n"))
}

fn parsing(c: &mut Criterion) {
    let text = big_file(1000);
    let json = big_json(1000);
    let file = SourceFile::new("big.ivr", text.clone()).unwrap();
    let limits = ParseLimits {
        max_nodes: 10_000_000,
        ..ParseLimits::default()
    };
    let (_, d) = parse_with(&file, limits);
    assert!(!d.has_errors(), "{}", d.render(&file));
    let mut g = c.benchmark_group("parse");
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.bench_function("ivr_1000_flows", |b| {
        b.iter(|| parse_with(black_box(&file), limits))
    });
    g.throughput(Throughput::Bytes(json.len() as u64));
    g.bench_function("serde_json_same_content", |b| {
        b.iter(|| serde_json::from_str::<serde_json::Value>(black_box(&json)).unwrap())
    });
    g.finish();
}

fn checking(c: &mut Criterion) {
    // 1000 subflows of this shape compile to about 26,000 nodes; pick the
    // number of subflows that gives 10,000.
    let mut flows = 1;
    loop {
        let file = SourceFile::new("n.ivr", big_file(flows)).unwrap();
        let (p, d) = compile(&file);
        let p = p.unwrap_or_else(|| panic!("{}", d.render(&file)));
        if p.node_count() >= 10_000 {
            eprintln!(
                "check: {} subflows = {} nodes, {} bytes",
                flows,
                p.node_count(),
                file.text().len()
            );
            break;
        }
        flows += 10;
    }
    let file = SourceFile::new("n.ivr", big_file(flows)).unwrap();
    let (tree, _) = call_ivr::parser::parse(&file);
    let mut g = c.benchmark_group("check");
    g.bench_function("check_10000_nodes", |b| {
        b.iter(|| check(black_box(&file), black_box(&tree)))
    });
    g.finish();
}

const LOOP: &str = "flow main
  top:
  menu \"For sales press 1. To leave press 2.\"
    1 -> top
    2 -> done
  done:
  hangup
";

/// Events fed per benchmark iteration.
const EVENTS: u64 = 10_000;

fn interpreter(c: &mut Criterion) {
    let file = SourceFile::new("loop.ivr", LOOP).unwrap();
    let program = compile(&file).0.unwrap();
    let now: Timestamp = "2026-03-02T10:00:00Z".parse().unwrap();
    let limits = SessionLimits {
        max_steps: u32::MAX,
        ..SessionLimits::default()
    };
    let mut g = c.benchmark_group("interpreter");
    g.throughput(Throughput::Elements(EVENTS));
    g.bench_function("menu_loop_events", |b| {
        b.iter(|| {
            let mut s = Session::start(&program, CallContext::default(), now, limits).unwrap();
            let mut actions = 0u64;
            for _ in 0..EVENTS / 2 {
                while let Some(a) = s.poll_action() {
                    actions += 1;
                    black_box(&a);
                }
                let Waiting::Prompt(id) = s.waiting() else {
                    panic!()
                };
                s.handle(&program, now, Event::PromptFinished(id)).unwrap();
                while let Some(a) = s.poll_action() {
                    actions += 1;
                    black_box(&a);
                }
                s.handle(&program, now, Event::Digits("1".into())).unwrap();
            }
            actions
        })
    });
    g.bench_function("hand_written_state_machine", |b| {
        b.iter(|| {
            let mut m = Baseline::new();
            let mut actions = 0u64;
            for _ in 0..EVENTS / 2 {
                while let Some(a) = m.actions.pop() {
                    actions += 1;
                    black_box(&a);
                }
                m.prompt_finished(now);
                while let Some(a) = m.actions.pop() {
                    actions += 1;
                    black_box(&a);
                }
                m.digit('1');
            }
            actions
        })
    });
    g.finish();

    let ctx = CallContext {
        caller: "+15551234567".into(),
        dialed: "+18005550100".into(),
        ..CallContext::default()
    };
    let s = Session::start(&program, ctx, now, SessionLimits::default()).unwrap();
    eprintln!(
        "bytes per session at a menu: {} (+{} in variables); size_of::<Session>() = {}",
        s.memory_bytes(),
        s.variable_bytes(),
        std::mem::size_of::<Session>()
    );
}

/// The menu loop as a hand-written state machine.
struct Baseline {
    state: u8,
    id: u32,
    deadline: Option<Timestamp>,
    actions: Vec<Action>,
    text: std::sync::Arc<str>,
    lang: std::sync::Arc<str>,
}

impl Baseline {
    fn new() -> Self {
        let mut b = Baseline {
            state: 0,
            id: 0,
            deadline: None,
            actions: Vec::new(),
            text: "For sales press 1. To leave press 2.".into(),
            lang: "en".into(),
        };
        b.present();
        b
    }
    fn present(&mut self) {
        self.id += 1;
        self.state = 1;
        self.actions.push(Action::Say {
            id: call_ivr::session::RequestId(self.id),
            text: self.text.clone(),
            language: self.lang.clone(),
            voice: None,
            barge_in: true,
        });
    }
    fn prompt_finished(&mut self, now: Timestamp) {
        if self.state == 1 {
            self.state = 2;
            let at = now + Duration::from_secs(5);
            self.deadline = Some(at);
            self.actions.push(Action::CollectDigits {
                max: 1,
                terminator: None,
            });
            self.actions.push(Action::StartTimer { at });
        }
    }
    fn digit(&mut self, d: char) {
        if self.state == 2 && d == '1' {
            self.deadline = None;
            self.present();
        }
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    targets = parsing, checking, interpreter
}
criterion_main!(benches);
