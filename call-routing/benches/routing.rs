//! Routing decision latency: the indexed router against a linear-scan ACD
//! on the same state, in the same run; and simulator throughput.
//!
//! State: 10,000 agents with 3 of 100 skills each (random levels), 100
//! queues (one per skill), 10,000 waiting calls, every agent busy.
//!
//! - `agent_free`: an agent finishes a call and the router picks its next
//!   call across the agent's queues and reserves it (the decision that runs
//!   whenever calls wait). The baseline scans every waiting call in arrival
//!   order for the first one the agent can take (an unindexed member query,
//!   as FreeSWITCH's mod_callcenter runs against its database).
//! - `call_arrival`: a call arrives while agents are idle and the router
//!   picks the longest-idle eligible agent. The baseline scans every agent
//!   (Asterisk app_queue's member loop when all agents are members of one
//!   skills-based queue).
//!
//! Besides criterion's means, each case prints p50/p99/p99.9 of the
//! per-decision latency from individually timed decisions.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::disallowed_methods,
    missing_docs
)]

use std::collections::VecDeque;
use std::hint::black_box;
use std::time::{Duration, Instant};

use call_routing::strategy::Builtin;
use call_routing::{
    AgentConfig, AgentId, CallId, CallRequest, Level, Output, QueueConfig, QueueId, Router,
    RouterConfig, SkillId, Timestamp,
};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

const AGENTS: u32 = 10_000;
const SKILLS: u32 = 100;
const SKILLS_PER_AGENT: usize = 3;
const WAITING: usize = 10_000;
/// Calls carry a priority 0..3; each unit is a 60 s head start (aging).
const PRIORITIES: u32 = 3;
const BOOST_MS: i64 = 60_000;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u32) -> u32 {
        (self.next() % u64::from(n)) as u32
    }
}

fn agent_skills(rng: &mut Rng) -> [(u32, u8); SKILLS_PER_AGENT] {
    let mut skills = [(0, 0); SKILLS_PER_AGENT];
    let mut i = 0;
    while i < SKILLS_PER_AGENT {
        let s = rng.below(SKILLS);
        if skills[..i].iter().all(|(x, _)| *x != s) {
            skills[i] = (s, rng.below(11) as u8);
            i += 1;
        }
    }
    skills
}

fn percentiles(name: &str, mut samples: Vec<Duration>) -> Duration {
    samples.sort_unstable();
    let at = |q: f64| samples[((samples.len() as f64 * q) as usize).min(samples.len() - 1)];
    eprintln!(
        "{name}: n={} p50={:?} p99={:?} p99.9={:?}",
        samples.len(),
        at(0.50),
        at(0.99),
        at(0.999)
    );
    at(0.99)
}

// ----- the indexed router ---------------------------------------------------

struct Indexed {
    router: Router,
    rng: Rng,
    now: Timestamp,
    connected: VecDeque<CallId>,
    next_call: u64,
}

impl Indexed {
    fn new(busy: bool) -> Indexed {
        let mut router = Router::new(RouterConfig::default());
        let t0 = Timestamp::from_secs(1);
        for s in 0..SKILLS {
            router
                .add_queue(
                    QueueId(s),
                    QueueConfig::new(SkillId(s)),
                    Builtin::LongestIdle.boxed(),
                    t0,
                )
                .unwrap();
        }
        let mut rng = Rng(42);
        for a in 0..AGENTS {
            let mut config = AgentConfig::new();
            for (s, l) in agent_skills(&mut rng) {
                config = config.skill(SkillId(s), Level::new(l).unwrap());
            }
            router.add_agent(AgentId(a), config, t0).unwrap();
            router.set_ready(AgentId(a), true, t0).unwrap();
        }
        let mut me = Indexed {
            router,
            rng,
            now: t0,
            connected: VecDeque::new(),
            next_call: 0,
        };
        if busy {
            while me.waiting() < WAITING {
                me.arrive();
            }
        }
        me
    }

    fn waiting(&self) -> usize {
        (0..SKILLS)
            .map(|q| self.router.queue_len(QueueId(q)).unwrap())
            .sum()
    }

    fn accept_offers(&mut self) {
        while let Some(output) = self.router.poll_output() {
            if let Output::Offer(offer) = output {
                self.router.accept(offer.reservation, self.now).unwrap();
                self.connected.push_back(offer.call);
            }
        }
    }

    fn arrive(&mut self) {
        let q = self.rng.below(SKILLS);
        let priority = self.rng.below(PRIORITIES);
        let call = CallId(self.next_call);
        self.next_call += 1;
        let request = CallRequest::new().priority(priority as i32);
        self.router
            .enqueue(call, QueueId(q), request, self.now)
            .unwrap();
        self.accept_offers();
    }

    /// One agent-free decision, timed alone.
    fn agent_free(&mut self) -> Duration {
        self.now = self.now + Duration::from_millis(1);
        self.router.handle_timeout(self.now);
        let call = self.connected.pop_front().unwrap();
        let start = Instant::now();
        self.router.complete(call, self.now).unwrap();
        let elapsed = start.elapsed();
        self.accept_offers();
        // Keep the number of waiting calls constant.
        while self.waiting() < WAITING {
            self.arrive();
        }
        elapsed
    }

    /// One call-arrival decision with idle agents, timed alone.
    fn call_arrival(&mut self) -> Duration {
        self.now = self.now + Duration::from_millis(1);
        self.router.handle_timeout(self.now);
        let q = self.rng.below(SKILLS);
        let call = CallId(self.next_call);
        self.next_call += 1;
        let start = Instant::now();
        self.router
            .enqueue(call, QueueId(q), CallRequest::new(), self.now)
            .unwrap();
        let elapsed = start.elapsed();
        let mut offered = None;
        while let Some(output) = self.router.poll_output() {
            if let Output::Offer(offer) = output {
                offered = Some(offer);
            }
        }
        let offer = offered.expect("an idle agent");
        self.router.accept(offer.reservation, self.now).unwrap();
        self.router.complete(offer.call, self.now).unwrap();
        while self.router.poll_output().is_some() {}
        elapsed
    }
}

// ----- the linear-scan baseline ---------------------------------------------

#[derive(Clone, Copy)]
struct ScanAgent {
    skills: [(u32, u8); SKILLS_PER_AGENT],
    busy: bool,
    idle_since: u64,
}

#[derive(Clone, Copy)]
struct ScanCall {
    queue: u32,
    /// Arrival time less the priority boost: the same static key as the router's.
    key: i64,
    live: bool,
}

struct LinearScan {
    agents: Vec<ScanAgent>,
    /// Waiting calls in arrival order; taken ones are tombstoned.
    calls: Vec<ScanCall>,
    dead: usize,
    rng: Rng,
    clock: u64,
    busy: VecDeque<u32>,
}

impl LinearScan {
    fn new(busy: bool) -> LinearScan {
        let mut rng = Rng(42);
        let agents = (0..AGENTS)
            .map(|_| ScanAgent {
                skills: agent_skills(&mut rng),
                busy: false,
                idle_since: 0,
            })
            .collect();
        let mut me = LinearScan {
            agents,
            calls: Vec::new(),
            dead: 0,
            rng,
            clock: 0,
            busy: VecDeque::new(),
        };
        if busy {
            while me.calls.len() - me.dead < WAITING {
                me.arrive();
            }
        }
        me
    }

    /// Asterisk-style: scan every agent, keep the longest idle eligible one.
    fn pick_agent(&self, queue: u32) -> Option<usize> {
        let mut best: Option<(u64, usize)> = None;
        for (i, a) in self.agents.iter().enumerate() {
            if !a.busy
                && a.skills.iter().any(|(s, _)| *s == queue)
                && best.is_none_or(|(t, _)| a.idle_since < t)
            {
                best = Some((a.idle_since, i));
            }
        }
        best.map(|(_, i)| i)
    }

    /// Unindexed member query: scan every waiting call for the best key
    /// among those the agent can take (`ORDER BY score` without an index).
    fn pick_call(&self, agent: usize) -> Option<usize> {
        let skills = self.agents[agent].skills;
        let mut best: Option<(i64, usize)> = None;
        for (i, c) in self.calls.iter().enumerate() {
            if c.live
                && skills.iter().any(|(s, _)| *s == c.queue)
                && best.is_none_or(|(k, _)| c.key < k)
            {
                best = Some((c.key, i));
            }
        }
        best.map(|(_, i)| i)
    }

    fn arrive(&mut self) {
        let queue = self.rng.below(SKILLS);
        let priority = self.rng.below(PRIORITIES);
        if let Some(a) = self.pick_agent(queue) {
            self.agents[a].busy = true;
            self.busy.push_back(a as u32);
        } else {
            let key = self.clock as i64 * 1_000 - i64::from(priority) * BOOST_MS;
            self.calls.push(ScanCall {
                queue,
                key,
                live: true,
            });
        }
    }

    fn compact(&mut self) {
        if self.dead > self.calls.len() / 2 {
            self.calls.retain(|c| c.live);
            self.dead = 0;
        }
    }

    fn agent_free(&mut self) -> Duration {
        self.clock += 1;
        let a = self.busy.pop_front().unwrap() as usize;
        let start = Instant::now();
        self.agents[a].busy = false;
        self.agents[a].idle_since = self.clock;
        let picked = self.pick_call(a);
        if let Some(c) = picked {
            self.calls[c].live = false;
            self.agents[a].busy = true;
        }
        let elapsed = start.elapsed();
        black_box(picked);
        if picked.is_some() {
            self.dead += 1;
            self.busy.push_back(a as u32);
        }
        self.compact();
        while self.calls.len() - self.dead < WAITING {
            self.arrive();
        }
        elapsed
    }

    fn call_arrival(&mut self) -> Duration {
        self.clock += 1;
        let queue = self.rng.below(SKILLS);
        let start = Instant::now();
        let picked = self.pick_agent(queue);
        if let Some(a) = picked {
            self.agents[a].busy = true;
        }
        let elapsed = start.elapsed();
        let a = picked.expect("an idle agent");
        self.agents[a].busy = false;
        self.agents[a].idle_since = self.clock;
        elapsed
    }
}

// ----- benches ----------------------------------------------------------------

fn decisions(c: &mut Criterion) {
    let mut indexed = Indexed::new(true);
    let mut scan = LinearScan::new(true);
    assert_eq!(indexed.waiting(), WAITING);
    let ours = percentiles(
        "agent_free/indexed",
        (0..100_000).map(|_| indexed.agent_free()).collect(),
    );
    let theirs = percentiles(
        "agent_free/linear_scan",
        (0..5_000).map(|_| scan.agent_free()).collect(),
    );
    eprintln!(
        "agent_free: p99 speed-up {:.0}x",
        theirs.as_secs_f64() / ours.as_secs_f64()
    );
    let mut group = c.benchmark_group("agent_free");
    group.bench_function(BenchmarkId::new("indexed", AGENTS), |b| {
        b.iter_custom(|iters| (0..iters).map(|_| indexed.agent_free()).sum())
    });
    group.bench_function(BenchmarkId::new("linear_scan", AGENTS), |b| {
        b.iter_custom(|iters| (0..iters).map(|_| scan.agent_free()).sum())
    });
    group.finish();

    let mut indexed = Indexed::new(false);
    let mut scan = LinearScan::new(false);
    let ours = percentiles(
        "call_arrival/indexed",
        (0..100_000).map(|_| indexed.call_arrival()).collect(),
    );
    let theirs = percentiles(
        "call_arrival/linear_scan",
        (0..5_000).map(|_| scan.call_arrival()).collect(),
    );
    eprintln!(
        "call_arrival: p99 speed-up {:.0}x",
        theirs.as_secs_f64() / ours.as_secs_f64()
    );
    let mut group = c.benchmark_group("call_arrival");
    group.bench_function(BenchmarkId::new("indexed", AGENTS), |b| {
        b.iter_custom(|iters| (0..iters).map(|_| indexed.call_arrival()).sum())
    });
    group.bench_function(BenchmarkId::new("linear_scan", AGENTS), |b| {
        b.iter_custom(|iters| (0..iters).map(|_| scan.call_arrival()).sum())
    });
    group.finish();
}

fn simulator(c: &mut Criterion) {
    use call_routing::sim::{Scenario, simulate};
    let scenario = Scenario::erlang(14, 200.0, 180.0, Some(120.0), 0.0, 20.0).unwrap();
    const CALLS: u64 = 100_000;
    let mut group = c.benchmark_group("simulator");
    group.throughput(Throughput::Elements(CALLS));
    group.sample_size(10);
    group.bench_function("erlang_a_14_agents", |b| {
        b.iter(|| simulate(&scenario, CALLS, 1, 7).unwrap())
    });
    let big = Scenario::erlang(1_000, 19_000.0, 180.0, Some(120.0), 0.0, 20.0).unwrap();
    group.bench_function("erlang_a_1000_agents", |b| {
        b.iter(|| simulate(&big, CALLS, 1, 7).unwrap())
    });
    group.finish();
}

criterion_group!(benches, decisions, simulator);
criterion_main!(benches);
