//! A deterministic, seeded discrete-event simulator that drives the real
//! [`Router`].
//!
//! Calls arrive as a Poisson process (with a rate that may vary over a
//! repeating profile), wait in the router's queues, are offered by the
//! router's strategies, answered at once, handled for a random time, and
//! followed by wrap-up; callers abandon when their patience runs out. The
//! simulator feeds every event to the router with its virtual time, drains
//! the outputs and honours `poll_timeout`, exactly as a host would. Nothing
//! is modelled outside the router: queueing, selection, wrap-up and
//! abandonment all go through its API.
//!
//! Results come out per independent replication (each with its own random
//! stream from the seed) and as means with 95% confidence intervals
//! (Student's t over the replications).
//!
//! ```
//! use call_routing::sim::{Scenario, simulate};
//!
//! // The Erlang C reference: 200 calls/h, 180 s handle time, 14 agents.
//! let scenario = Scenario::erlang(14, 200.0, 180.0, None, 0.0, 20.0)?;
//! let report = simulate(&scenario, 20_000, 4, 7)?;
//! let p_wait = report.summary().p_wait;
//! assert!((p_wait.mean - 0.1741).abs() < 0.05);
//! # Ok::<(), call_routing::error::SimError>(())
//! ```

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Duration;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution as _, Exp, LogNormal};

use crate::agent::AgentConfig;
use crate::call::CallRequest;
use crate::error::SimError;
use crate::id::{AgentId, CallId, Level, QueueId, SkillId};
use crate::queue::QueueConfig;
use crate::router::{Output, Router, RouterConfig};
use crate::strategy::Builtin;
use crate::time::Timestamp;

/// The most calls one simulation may run (over all replications).
pub const MAX_CALLS: u64 = 1_000_000_000;
/// The most replications.
pub const MAX_REPLICATIONS: u32 = 10_000;
/// The most agents.
pub const MAX_AGENTS: u32 = 1_000_000;

/// A distribution of durations, in seconds.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum DurationDist {
    /// Exponential with this mean.
    Exponential {
        /// Mean in seconds.
        mean_s: f64,
    },
    /// Lognormal with this mean and coefficient of variation (standard
    /// deviation over mean).
    LogNormal {
        /// Mean in seconds.
        mean_s: f64,
        /// Coefficient of variation.
        cv: f64,
    },
    /// Always the same.
    Fixed {
        /// The duration in seconds.
        s: f64,
    },
}

impl DurationDist {
    /// The mean in seconds.
    pub fn mean_s(&self) -> f64 {
        match *self {
            DurationDist::Exponential { mean_s } | DurationDist::LogNormal { mean_s, .. } => mean_s,
            DurationDist::Fixed { s } => s,
        }
    }

    fn sampler(&self) -> Result<Sampler, SimError> {
        let bad = || SimError::InvalidParameter {
            what: "duration distribution",
        };
        match *self {
            DurationDist::Exponential { mean_s } => {
                if !(mean_s.is_finite() && mean_s > 0.0) {
                    return Err(bad());
                }
                Exp::new(1.0 / mean_s).map(Sampler::Exp).map_err(|_| bad())
            }
            DurationDist::LogNormal { mean_s, cv } => {
                if !(mean_s.is_finite() && mean_s > 0.0 && cv.is_finite() && cv > 0.0) {
                    return Err(bad());
                }
                let sigma2 = cv.mul_add(cv, 1.0).ln();
                let mu = mean_s.ln() - sigma2 / 2.0;
                LogNormal::new(mu, sigma2.sqrt())
                    .map(Sampler::LogNormal)
                    .map_err(|_| bad())
            }
            DurationDist::Fixed { s } => {
                if s.is_finite() && s >= 0.0 {
                    Ok(Sampler::Fixed(s))
                } else {
                    Err(bad())
                }
            }
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Sampler {
    Exp(Exp<f64>),
    LogNormal(LogNormal<f64>),
    Fixed(f64),
}

impl Sampler {
    fn sample(&self, rng: &mut ChaCha8Rng) -> f64 {
        match self {
            Sampler::Exp(d) => d.sample(rng),
            Sampler::LogNormal(d) => d.sample(rng),
            Sampler::Fixed(s) => *s,
        }
    }
}

/// Arrival rate over time: a list of `(duration_s, calls_per_hour)` periods
/// that repeats. One period is a constant rate.
#[derive(Clone, Debug, PartialEq)]
pub struct ArrivalProfile {
    periods: Vec<(f64, f64)>,
}

impl ArrivalProfile {
    /// A constant rate.
    pub fn constant(calls_per_hour: f64) -> Result<ArrivalProfile, SimError> {
        ArrivalProfile::periods(vec![(3600.0, calls_per_hour)])
    }

    /// A repeating piecewise-constant rate.
    pub fn periods(periods: Vec<(f64, f64)>) -> Result<ArrivalProfile, SimError> {
        let valid = !periods.is_empty()
            && periods
                .iter()
                .all(|(d, r)| d.is_finite() && *d > 0.0 && r.is_finite() && *r >= 0.0)
            && periods.iter().any(|(_, r)| *r > 0.0);
        if !valid {
            return Err(SimError::InvalidParameter {
                what: "arrival profile",
            });
        }
        Ok(ArrivalProfile { periods })
    }

    /// The average rate in calls per hour.
    pub fn mean_per_hour(&self) -> f64 {
        let total: f64 = self.periods.iter().map(|(d, _)| d).sum();
        self.periods.iter().map(|(d, r)| d * r).sum::<f64>() / total
    }

    fn max_per_second(&self) -> f64 {
        self.periods.iter().map(|(_, r)| *r).fold(0.0, f64::max) / 3600.0
    }

    fn rate_at(&self, t: f64) -> f64 {
        let cycle: f64 = self.periods.iter().map(|(d, _)| d).sum();
        let mut offset = t % cycle;
        for (d, r) in &self.periods {
            if offset < *d {
                return r / 3600.0;
            }
            offset -= d;
        }
        self.periods.last().map_or(0.0, |(_, r)| r / 3600.0)
    }
}

/// One queue of a scenario and its traffic.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct SimQueue {
    /// The router configuration of the queue (skill, ordering, wrap-up...).
    pub config: QueueConfig,
    /// The routing strategy.
    pub strategy: Builtin,
    /// Arrivals.
    pub arrivals: ArrivalProfile,
    /// Handle (talk) time.
    pub handle: DurationDist,
    /// Callers' patience; `None` never abandon.
    pub patience: Option<DurationDist>,
}

impl SimQueue {
    /// A queue with its traffic.
    pub fn new(
        config: QueueConfig,
        strategy: Builtin,
        arrivals: ArrivalProfile,
        handle: DurationDist,
        patience: Option<DurationDist>,
    ) -> SimQueue {
        SimQueue {
            config,
            strategy,
            arrivals,
            handle,
            patience,
        }
    }
}

/// A group of identical agents.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct AgentGroup {
    /// How many.
    pub count: u32,
    /// Their skills.
    pub skills: Vec<(SkillId, Level)>,
}

impl AgentGroup {
    /// `count` agents with `skills`.
    pub fn new(count: u32, skills: Vec<(SkillId, Level)>) -> AgentGroup {
        AgentGroup { count, skills }
    }
}

/// What to simulate: queues with their traffic, and agents.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Scenario {
    /// Queues; queue `i` gets id `QueueId(i)`.
    pub queues: Vec<SimQueue>,
    /// Agents.
    pub agents: Vec<AgentGroup>,
    /// Router settings.
    pub router: RouterConfig,
    /// Service-level threshold in seconds.
    pub sl_threshold_s: f64,
    /// Share of each replication's calls (from the start) left out of the
    /// KPIs while the system warms up from empty.
    pub warmup_fraction: f64,
}

impl Scenario {
    /// A scenario with default router settings (no ring-no-answer pauses)
    /// and a 2% warm-up.
    pub fn new(queues: Vec<SimQueue>, agents: Vec<AgentGroup>, sl_threshold_s: f64) -> Scenario {
        let total: u64 = agents.iter().map(|g| u64::from(g.count)).sum();
        let defaults = RouterConfig::default();
        let router = RouterConfig {
            max_ring_no_answer: None,
            max_agents: defaults
                .max_agents
                .max(usize::try_from(total).unwrap_or(usize::MAX)),
            ..defaults
        };
        Scenario {
            queues,
            agents,
            router,
            sl_threshold_s,
            warmup_fraction: 0.02,
        }
    }

    /// The Erlang setting: one queue, one skill, first come first served,
    /// Poisson arrivals, exponential handle times, optional exponential
    /// patience, and a fixed wrap-up.
    pub fn erlang(
        agents: u32,
        calls_per_hour: f64,
        aht_s: f64,
        patience_s: Option<f64>,
        wrap_up_s: f64,
        sl_threshold_s: f64,
    ) -> Result<Scenario, SimError> {
        if !(wrap_up_s.is_finite() && wrap_up_s >= 0.0) {
            return Err(SimError::InvalidParameter { what: "wrap-up" });
        }
        let skill = SkillId(0);
        let mut config = QueueConfig::new(skill);
        config.wrap_up = Duration::from_secs_f64(wrap_up_s);
        config.expected_handle_time = Duration::from_secs_f64(aht_s.clamp(0.0, 1e9));
        let mut router = RouterConfig::default();
        router.max_ring_no_answer = None;
        router.max_agents = router.max_agents.max(agents as usize);
        Ok(Scenario {
            queues: vec![SimQueue {
                config,
                strategy: Builtin::LongestIdle,
                arrivals: ArrivalProfile::constant(calls_per_hour)?,
                handle: DurationDist::Exponential { mean_s: aht_s },
                patience: patience_s.map(|mean_s| DurationDist::Exponential { mean_s }),
            }],
            agents: vec![AgentGroup {
                count: agents,
                skills: vec![(skill, Level::MAX)],
            }],
            router,
            sl_threshold_s,
            warmup_fraction: 0.02,
        })
    }
}

/// Raw counts of one replication.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct Replication {
    /// Calls offered (after warm-up).
    pub offered: u64,
    /// Calls that found no free agent.
    pub waited: u64,
    /// Calls answered.
    pub answered: u64,
    /// Calls answered within the threshold.
    pub answered_in_sl: u64,
    /// Calls abandoned.
    pub abandoned: u64,
    /// Calls refused or removed by the router (full, closed, timed out).
    pub lost: u64,
    /// Sum of the waits of answered calls, in seconds.
    pub answered_wait_s: f64,
    /// Agent time spent on calls and wrap-up, in seconds.
    pub busy_s: f64,
    /// Length of the measured period, in seconds.
    pub span_s: f64,
    /// Agents.
    pub agents: u32,
    /// Router decisions (offers made).
    pub offers: u64,
}

impl Replication {
    /// The KPIs of this replication.
    pub fn kpis(&self) -> Kpis {
        #[allow(clippy::cast_precision_loss)]
        let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        #[allow(clippy::cast_precision_loss)]
        let asa = if self.answered == 0 {
            0.0
        } else {
            self.answered_wait_s / self.answered as f64
        };
        let capacity = f64::from(self.agents) * self.span_s;
        Kpis {
            p_wait: ratio(self.waited, self.offered),
            service_level: ratio(self.answered_in_sl, self.offered),
            asa_s: asa,
            p_abandon: ratio(self.abandoned, self.offered),
            occupancy: if capacity > 0.0 {
                (self.busy_s / capacity).min(1.0)
            } else {
                0.0
            },
        }
    }
}

/// Contact-center KPIs, defined as in [`crate::erlang`].
#[derive(Clone, Copy, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct Kpis {
    /// Share of calls that found every agent busy.
    pub p_wait: f64,
    /// Share of offered calls answered within the threshold.
    pub service_level: f64,
    /// Mean wait of answered calls, seconds.
    pub asa_s: f64,
    /// Share of calls abandoned.
    pub p_abandon: f64,
    /// Share of agent time on calls and wrap-up.
    pub occupancy: f64,
}

/// A mean with the half-width of its 95% confidence interval.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct Estimate {
    /// Mean over replications.
    pub mean: f64,
    /// Half-width of the 95% interval (Student's t).
    pub ci95: f64,
}

impl Estimate {
    /// Whether `value` lies inside the interval.
    pub fn contains(&self, value: f64) -> bool {
        (value - self.mean).abs() <= self.ci95
    }
}

/// KPIs with confidence intervals.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct Summary {
    /// See [`Kpis::p_wait`].
    pub p_wait: Estimate,
    /// See [`Kpis::service_level`].
    pub service_level: Estimate,
    /// See [`Kpis::asa_s`].
    pub asa_s: Estimate,
    /// See [`Kpis::p_abandon`].
    pub p_abandon: Estimate,
    /// See [`Kpis::occupancy`].
    pub occupancy: Estimate,
}

/// The result of [`simulate`].
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Report {
    /// One entry per replication.
    pub replications: Vec<Replication>,
    calls_per_replication: u64,
}

/// The 0.975 quantile of Student's t with `df` degrees of freedom.
fn t_975(df: usize) -> f64 {
    const TABLE: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    match df {
        0 => f64::INFINITY,
        1..=30 => TABLE.get(df - 1).copied().unwrap_or(1.96),
        _ => {
            // Cornish-Fisher expansion around the normal quantile.
            let z = 1.959_964_f64;
            #[allow(clippy::cast_precision_loss)]
            let n = df as f64;
            z + (z.powi(3) + z) / (4.0 * n)
                + (5.0 * z.powi(5) + 16.0 * z.powi(3) + 3.0 * z) / (96.0 * n * n)
        }
    }
}

fn estimate(values: impl Iterator<Item = f64> + Clone) -> Estimate {
    let n = values.clone().count();
    if n == 0 {
        return Estimate::default();
    }
    #[allow(clippy::cast_precision_loss)]
    let nf = n as f64;
    let mean = values.clone().sum::<f64>() / nf;
    if n == 1 {
        return Estimate {
            mean,
            ci95: f64::INFINITY,
        };
    }
    let var = values.map(|v| (v - mean) * (v - mean)).sum::<f64>() / (nf - 1.0);
    Estimate {
        mean,
        ci95: t_975(n - 1) * (var / nf).sqrt(),
    }
}

impl Report {
    /// Means and 95% intervals over the replications.
    pub fn summary(&self) -> Summary {
        let kpis: Vec<Kpis> = self.replications.iter().map(Replication::kpis).collect();
        Summary {
            p_wait: estimate(kpis.iter().map(|k| k.p_wait)),
            service_level: estimate(kpis.iter().map(|k| k.service_level)),
            asa_s: estimate(kpis.iter().map(|k| k.asa_s)),
            p_abandon: estimate(kpis.iter().map(|k| k.p_abandon)),
            occupancy: estimate(kpis.iter().map(|k| k.occupancy)),
        }
    }

    /// Calls simulated over all replications (warm-up included).
    pub fn calls(&self) -> u64 {
        self.replications.len() as u64 * self.calls_per_replication
    }

    /// Router decisions (offers) over all replications.
    pub fn offers(&self) -> u64 {
        self.replications.iter().map(|r| r.offers).sum()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    Arrival(usize),
    Abandon(CallId),
    Complete(CallId),
}

#[derive(Clone, Copy, Debug, Default)]
struct CallRecord {
    arrived_us: u64,
    queue: usize,
    done: bool,
    measured: bool,
}

/// Runs `replications` independent replications of `calls` calls in total
/// (split evenly), seeded from `seed`.
pub fn simulate(
    scenario: &Scenario,
    calls: u64,
    replications: u32,
    seed: u64,
) -> Result<Report, SimError> {
    if replications == 0 || replications > MAX_REPLICATIONS {
        return Err(SimError::InvalidParameter {
            what: "replications",
        });
    }
    if calls > MAX_CALLS || calls < u64::from(replications) {
        return Err(SimError::InvalidParameter { what: "calls" });
    }
    let agents: u64 = scenario.agents.iter().map(|g| u64::from(g.count)).sum();
    if agents > u64::from(MAX_AGENTS) {
        return Err(SimError::InvalidParameter { what: "agents" });
    }
    if scenario.queues.is_empty() {
        return Err(SimError::InvalidParameter { what: "queues" });
    }
    let threshold_ok = scenario.sl_threshold_s.is_finite() && scenario.sl_threshold_s >= 0.0;
    if !(threshold_ok && (0.0..0.5).contains(&scenario.warmup_fraction)) {
        return Err(SimError::InvalidParameter {
            what: "service-level threshold or warm-up",
        });
    }
    let per = calls / u64::from(replications);
    // Replications are independent and each has its own seed, so they run
    // on every available core and the result does not depend on how many.
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(replications as usize);
    let seeds: Vec<u64> = (0..replications)
        .map(|r| seed ^ u64::from(r).wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .collect();
    let mut results: Vec<Option<Result<Replication, SimError>>> = Vec::new();
    results.resize_with(seeds.len(), || None);
    std::thread::scope(|scope| {
        let chunks = results.chunks_mut(seeds.len().div_ceil(threads));
        for (chunk, seeds) in chunks.zip(seeds.chunks(seeds.len().div_ceil(threads))) {
            scope.spawn(move || {
                for (slot, seed) in chunk.iter_mut().zip(seeds) {
                    *slot = Some(run_replication(scenario, per, *seed));
                }
            });
        }
    });
    let mut out = Vec::with_capacity(results.len());
    for result in results {
        out.push(result.ok_or(SimError::InvalidParameter {
            what: "replication did not run",
        })??);
    }
    Ok(Report {
        replications: out,
        calls_per_replication: per,
    })
}

fn run_replication(scenario: &Scenario, calls: u64, seed: u64) -> Result<Replication, SimError> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut router_config = scenario.router.clone();
    router_config.seed = seed;
    let mut router = Router::new(router_config);
    let start = Timestamp::from_secs(1);
    let mut handles = Vec::with_capacity(scenario.queues.len());
    let mut patience = Vec::with_capacity(scenario.queues.len());
    let mut wrap_s = Vec::with_capacity(scenario.queues.len());
    for (i, q) in scenario.queues.iter().enumerate() {
        let id =
            QueueId(u32::try_from(i).map_err(|_| SimError::InvalidParameter { what: "queues" })?);
        router
            .add_queue(id, q.config.clone(), q.strategy.clone().boxed(), start)
            .map_err(|e| SimError::Router(e.to_string()))?;
        handles.push(q.handle.sampler()?);
        patience.push(q.patience.map(|p| p.sampler()).transpose()?);
        wrap_s.push(q.config.wrap_up.as_secs_f64());
    }
    let mut next_agent = 0_u32;
    for group in &scenario.agents {
        for _ in 0..group.count {
            let mut config = AgentConfig::new();
            config.skills.clone_from(&group.skills);
            config.order = next_agent;
            let id = AgentId(next_agent);
            router
                .add_agent(id, config, start)
                .map_err(|e| SimError::Router(e.to_string()))?;
            router
                .set_ready(id, true, start)
                .map_err(|e| SimError::Router(e.to_string()))?;
            next_agent += 1;
        }
    }
    let warmup = (calls as f64 * scenario.warmup_fraction) as u64;
    let mut records: Vec<CallRecord> = Vec::with_capacity(usize::try_from(calls).unwrap_or(0));
    let mut events: BinaryHeap<Reverse<(u64, u64, Event)>> = BinaryHeap::new();
    let mut seq = 0_u64;
    let mut push = |events: &mut BinaryHeap<Reverse<(u64, u64, Event)>>, t: f64, e: Event| {
        seq += 1;
        events.push(Reverse((Timestamp::from_secs_f64(t).as_micros(), seq, e)));
    };
    let t0 = start.as_secs_f64();
    for (i, q) in scenario.queues.iter().enumerate() {
        let t = next_arrival(&q.arrivals, t0, &mut rng);
        push(&mut events, t, Event::Arrival(i));
    }
    let mut rep = Replication {
        agents: next_agent,
        ..Replication::default()
    };
    let mut generated = 0_u64;
    let mut measure_from = None;
    let mut measure_to = t0;
    let threshold = scenario.sl_threshold_s;
    loop {
        let next_event = events.peek().map(|Reverse((t, _, _))| *t);
        let next_timer = router.poll_timeout().map(Timestamp::as_micros);
        let now_us = match (next_event, next_timer) {
            (None, None) => break,
            (Some(e), Some(t)) if t < e => {
                router.handle_timeout(Timestamp::from_micros(t));
                t
            }
            (None, Some(t)) => {
                router.handle_timeout(Timestamp::from_micros(t));
                t
            }
            (Some(_), _) => {
                let Some(Reverse((t, _, event))) = events.pop() else {
                    break;
                };
                let now = Timestamp::from_micros(t);
                let now_s = now.as_secs_f64();
                match event {
                    Event::Arrival(q) => {
                        if generated < calls {
                            let id = CallId(generated);
                            let measured = generated >= warmup;
                            if measured && measure_from.is_none() {
                                measure_from = Some(now_s);
                            }
                            if measured {
                                measure_to = now_s;
                                rep.offered += 1;
                            }
                            generated += 1;
                            records.push(CallRecord {
                                arrived_us: t,
                                queue: q,
                                done: false,
                                measured,
                            });
                            let queue = QueueId(u32::try_from(q).unwrap_or(0));
                            if router.enqueue(id, queue, CallRequest::new(), now).is_err() {
                                if let Some(rec) = records.last_mut() {
                                    rec.done = true;
                                }
                                if measured {
                                    rep.lost += 1;
                                }
                            } else if let Some(Some(p)) = patience.get(q) {
                                let wait = p.sample(&mut rng);
                                push(&mut events, now_s + wait, Event::Abandon(id));
                            }
                            if generated < calls
                                && let Some(sq) = scenario.queues.get(q)
                            {
                                let t = next_arrival(&sq.arrivals, now_s, &mut rng);
                                push(&mut events, t, Event::Arrival(q));
                            }
                        }
                    }
                    Event::Abandon(id) => {
                        if let Some(rec) =
                            usize::try_from(id.0).ok().and_then(|i| records.get_mut(i))
                            && !rec.done
                            && router.abandon(id, now).is_ok()
                        {
                            rec.done = true;
                            if rec.measured {
                                rep.abandoned += 1;
                            }
                        }
                    }
                    Event::Complete(id) => {
                        router
                            .complete(id, now)
                            .map_err(|e| SimError::Router(e.to_string()))?;
                    }
                }
                t
            }
        };
        // Drain: answer every offer at once.
        while let Some(output) = router.poll_output() {
            let now = Timestamp::from_micros(now_us);
            let now_s = now.as_secs_f64();
            match output {
                Output::Offer(offer) => {
                    rep.offers += 1;
                    router
                        .accept(offer.reservation, now)
                        .map_err(|e| SimError::Router(e.to_string()))?;
                    let Some(rec) = usize::try_from(offer.call.0)
                        .ok()
                        .and_then(|i| records.get_mut(i))
                    else {
                        continue;
                    };
                    rec.done = true;
                    let q = rec.queue;
                    let handle = handles.get(q).map_or(0.0, |h| h.sample(&mut rng));
                    let wait = now
                        .saturating_duration_since(Timestamp::from_micros(rec.arrived_us))
                        .as_secs_f64();
                    if rec.measured {
                        rep.answered += 1;
                        if now_us > rec.arrived_us {
                            rep.waited += 1;
                        }
                        if wait <= threshold {
                            rep.answered_in_sl += 1;
                        }
                        rep.answered_wait_s += wait;
                        rep.busy_s += handle + wrap_s.get(q).copied().unwrap_or(0.0);
                    }
                    push(&mut events, now_s + handle, Event::Complete(offer.call));
                }
                Output::TimedOut { call, .. }
                | Output::LeftEmpty { call, .. }
                | Output::Overflow {
                    call,
                    to: crate::queue::OverflowTarget::External(_),
                    ..
                } => {
                    if let Some(rec) = usize::try_from(call.0)
                        .ok()
                        .and_then(|i| records.get_mut(i))
                    {
                        rec.done = true;
                        if rec.measured {
                            rep.lost += 1;
                        }
                    }
                }
                _ => {}
            }
        }
    }
    // Abandoned and lost calls waited too: count them as waiting if they
    // found every agent busy (they did, or they would have been answered).
    rep.waited += rep.abandoned + rep.lost;
    // Busy time is counted per answered call of the measured period, which
    // runs from the first to the last measured arrival (calls still in
    // progress at its end are an edge effect of one handle time).
    rep.span_s = (measure_to - measure_from.unwrap_or(measure_to)).max(0.0);
    Ok(rep)
}

/// The next arrival after `t` of a Poisson process with a piecewise rate,
/// by thinning (Lewis and Shedler).
fn next_arrival(profile: &ArrivalProfile, mut t: f64, rng: &mut ChaCha8Rng) -> f64 {
    let max = profile.max_per_second();
    loop {
        let u: f64 = rng.random();
        t += -(1.0 - u).ln() / max;
        let accept: f64 = rng.random();
        if accept * max <= profile.rate_at(t) {
            return t;
        }
    }
}
