//! How fast the call model applies inputs, and how much memory a live call
//! takes, including a million concurrent calls held in memory.
//!
//! Goals (issue 4): at least 10 million inputs applied per second on one
//! core; at most 512 bytes per live call without attributes.
//!
//! There is no other Rust crate modelling contact-center calls to run on the
//! same input, so the groups compare our own variants instead: the full
//! lifecycle with events drained, and the lifecycle with a call detail
//! record built alongside.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::hint::black_box;

use call_core::call::{Call, CallLimits};
use call_core::cause::Q850Cause;
use call_core::cdr::CdrBuilder;
use call_core::event::CallEvent;
use call_core::id::{AgentId, CallId, LegId, QueueId};
use call_core::kpi::{KpiConfig, KpiEngine};
use call_core::party::Address;
use call_core::time::Timestamp;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// Resident memory of this process in bytes, from `/proc/self/status`
/// (Linux). Measured outside our code, so it also catches allocator
/// overhead that `Call::heap_bytes` cannot see.
fn resident_bytes() -> Option<usize> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: usize = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

const INPUTS_PER_CALL: u64 = 11;

/// One inbound call through IVR, queue, agent, hold and wrap-up: 11
/// inputs, with every event drained right after its input, as the driving
/// loop in `docs/core.md` prescribes. `sink` sees every event.
fn lifecycle(id: u64, caller: &Address, base: u64, mut sink: impl FnMut(&CallEvent)) -> Call {
    let t = |s: u64| Timestamp::from_millis(base + s * 1000);
    let mut call = Call::inbound(
        CallId(id),
        t(0),
        caller.clone(),
        None,
        CallLimits::default(),
    );
    let mut drain = |call: &mut Call| {
        while let Some(event) = call.poll_event() {
            sink(&event);
        }
    };
    let c = LegId(0);
    drain(&mut call);
    call.answer(t(1), c).unwrap();
    drain(&mut call);
    call.enqueue(t(20), QueueId(1)).unwrap();
    drain(&mut call);
    let a = call.offer(t(30), AgentId(7)).unwrap();
    drain(&mut call);
    call.handle_alerting(t(30), a, false).unwrap();
    drain(&mut call);
    call.handle_answered(t(35), a).unwrap();
    drain(&mut call);
    call.hold(t(60), c).unwrap();
    drain(&mut call);
    call.retrieve(t(90), c).unwrap();
    drain(&mut call);
    call.mute(t(95), a).unwrap();
    drain(&mut call);
    call.unmute(t(96), a).unwrap();
    drain(&mut call);
    call.handle_cleared(t(200), c, Q850Cause::NORMAL_CLEARING)
        .unwrap();
    drain(&mut call);
    call.end_wrap_up(t(230), a).unwrap();
    drain(&mut call);
    call
}

fn inputs(c: &mut Criterion) {
    let caller = Address::new("+4930123456").unwrap();
    let mut group = c.benchmark_group("call_inputs");
    group.throughput(Throughput::Elements(INPUTS_PER_CALL));
    group.bench_function("lifecycle_events_drained", |b| {
        let mut id = 0;
        b.iter(|| {
            id += 1;
            let mut n = 0;
            let call = lifecycle(id, &caller, 1_700_000_000_000, |event| {
                n += 1;
                black_box(event);
            });
            assert_eq!(n, 17);
            black_box(call)
        })
    });
    group.bench_function("lifecycle_with_cdr", |b| {
        let mut id = 0;
        b.iter(|| {
            id += 1;
            let mut cdr = CdrBuilder::new(CallId(id));
            let call = lifecycle(id, &caller, 1_700_000_000_000, |event| {
                cdr.observe(event).unwrap();
            });
            black_box(cdr.finish(&call).unwrap())
        })
    });
    group.finish();
}

/// A call in the middle of a conversation: customer and agent connected.
fn talking(id: u64, caller: &Address) -> Call {
    let t = Timestamp::from_secs;
    let mut call = Call::inbound(
        CallId(id),
        t(0),
        caller.clone(),
        None,
        CallLimits::default(),
    );
    call.answer(t(1), LegId(0)).unwrap();
    call.enqueue(t(2), QueueId(1)).unwrap();
    let a = call.offer(t(3), AgentId(7)).unwrap();
    call.handle_answered(t(4), a).unwrap();
    while call.poll_event().is_some() {}
    call
}

fn million_calls(c: &mut Criterion) {
    const CALLS: usize = 1_000_000;
    let caller = Address::new("+4930123456").unwrap();
    // Memory: a million live calls, talking, events drained.
    let before = resident_bytes();
    let mut calls: Vec<Call> = Vec::with_capacity(CALLS);
    for id in 0..CALLS as u64 {
        calls.push(talking(id, &caller));
    }
    let after = resident_bytes();
    let accounted: usize = calls
        .iter()
        .map(|c| std::mem::size_of::<Call>() + c.heap_bytes())
        .sum();
    let per_call = accounted as f64 / CALLS as f64;
    println!(
        "million_calls: size_of::<Call>() = {} bytes; accounted {per_call:.1} bytes per call",
        std::mem::size_of::<Call>()
    );
    if let (Some(before), Some(after)) = (before, after) {
        let rss = after.saturating_sub(before) as f64 / CALLS as f64;
        println!("million_calls: resident memory grew {rss:.1} bytes per call for {CALLS} calls");
    }
    assert!(
        per_call <= 512.0,
        "{per_call} bytes per call exceeds the 512-byte goal"
    );

    // For comparison: a live call plus the CdrBuilder following it (the
    // history a record needs lives in the builder, not the call).
    {
        const WITH_CDR: usize = 200_000;
        let before = resident_bytes();
        let mut pairs: Vec<(Call, CdrBuilder)> = Vec::with_capacity(WITH_CDR);
        for id in 0..WITH_CDR as u64 {
            let t = Timestamp::from_secs;
            let mut call = Call::inbound(
                CallId(id),
                t(0),
                caller.clone(),
                None,
                CallLimits::default(),
            );
            let mut cdr = CdrBuilder::new(CallId(id));
            call.answer(t(1), LegId(0)).unwrap();
            call.enqueue(t(2), QueueId(1)).unwrap();
            let a = call.offer(t(3), AgentId(7)).unwrap();
            call.handle_answered(t(4), a).unwrap();
            while let Some(event) = call.poll_event() {
                cdr.observe(&event).unwrap();
            }
            pairs.push((call, cdr));
        }
        if let (Some(before), Some(after)) = (before, resident_bytes()) {
            let rss = after.saturating_sub(before) as f64 / WITH_CDR as f64;
            println!(
                "million_calls: a talking call plus its CdrBuilder: {rss:.1} bytes resident per call \
                 (size_of::<CdrBuilder>() = {})",
                std::mem::size_of::<CdrBuilder>()
            );
        }
        drop(black_box(pairs));
    }

    // Speed with a million calls resident: hold and retrieve every call's
    // customer (two inputs each), touching memory the way a busy host does.
    let mut group = c.benchmark_group("million_calls");
    group.sample_size(10);
    group.throughput(Throughput::Elements(2 * CALLS as u64));
    let mut second = 10u64;
    group.bench_function("hold_retrieve_each", |b| {
        b.iter(|| {
            second += 2;
            let t = Timestamp::from_secs(second);
            for call in calls.iter_mut() {
                call.hold(t, LegId(0)).unwrap();
                call.retrieve(t, LegId(0)).unwrap();
                while let Some(event) = call.poll_event() {
                    black_box(&event);
                }
            }
        })
    });
    group.finish();
    drop(black_box(calls));
}

/// Records folded into the KPI engine per second (each from a different
/// customer, so first-contact resolution tracking grows as it would).
fn kpi_ingest(c: &mut Criterion) {
    let caller = Address::new("+4930123456").unwrap();
    let mut cdr = CdrBuilder::new(CallId(1));
    let call = lifecycle(1, &caller, 1_700_000_000_000, |event| {
        cdr.observe(event).unwrap();
    });
    let template = cdr.finish(&call).unwrap();
    let mut group = c.benchmark_group("kpi");
    group.throughput(Throughput::Elements(1));
    group.bench_function("ingest_record", |b| {
        let mut engine = KpiEngine::new(KpiConfig::default());
        let mut record = template.clone();
        let mut n = 0u64;
        b.iter(|| {
            n += 1;
            record.customer = Address::new(&format!("+1555{:07}", n % 1_000_000)).ok();
            engine.ingest(black_box(&record));
        });
        black_box(engine.total());
    });
    group.finish();
}

criterion_group!(benches, inputs, million_calls, kpi_ingest);
criterion_main!(benches);
