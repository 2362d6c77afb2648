//! Invariants over random operation sequences: no double offer, no offer
//! beyond capacity or during wrap-up, no leaked reservation, every enqueued
//! call ends exactly once, FIFO among calls with equal keys, and no call
//! waits while an available member of its queue could take it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use call_routing::call::PreferredAgent;
use call_routing::queue::{EmptyPolicy, OverflowTarget};
use call_routing::strategy::Builtin;
use call_routing::{
    AgentConfig, AgentId, Availability, CallId, CallRequest, CallStatus, Channel, Level, Output,
    QueueConfig, QueueId, ReservationId, Router, RouterConfig, SkillId, Timestamp,
};
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    Login {
        agent: u32,
        skills: u8,
        capacity: u16,
    },
    Ready {
        agent: u32,
        ready: bool,
    },
    Logout {
        agent: u32,
    },
    Enqueue {
        queue: u32,
        priority: i32,
        level: u8,
        preferred: Option<u32>,
    },
    Accept {
        pick: usize,
    },
    Reject {
        pick: usize,
    },
    Abandon {
        pick: usize,
    },
    Complete {
        pick: usize,
    },
    Callback {
        pick: usize,
    },
    Heartbeat {
        agent: u32,
    },
    Advance {
        ms: u64,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..6_u32, 1..8_u8, 1..3_u16).prop_map(|(agent, skills, capacity)| Op::Login {
            agent,
            skills,
            capacity
        }),
        (0..6_u32, any::<bool>()).prop_map(|(agent, ready)| Op::Ready { agent, ready }),
        (0..6_u32).prop_map(|agent| Op::Logout { agent }),
        (
            0..3_u32,
            0..3_i32,
            prop_oneof![Just(0_u8), Just(3), Just(6)],
            proptest::option::weighted(0.2, 0..6_u32)
        )
            .prop_map(|(queue, priority, level, preferred)| Op::Enqueue {
                queue,
                priority,
                level,
                preferred
            }),
        (0..8_usize).prop_map(|pick| Op::Accept { pick }),
        (0..8_usize).prop_map(|pick| Op::Reject { pick }),
        (0..8_usize).prop_map(|pick| Op::Abandon { pick }),
        (0..8_usize).prop_map(|pick| Op::Complete { pick }),
        (0..8_usize).prop_map(|pick| Op::Callback { pick }),
        (0..6_u32).prop_map(|agent| Op::Heartbeat { agent }),
        (0..40_000_u64).prop_map(|ms| Op::Advance { ms }),
    ]
}

const WRAP: Duration = Duration::from_secs(5);

#[derive(Default)]
struct Model {
    /// Pending offers: reservation -> (call, agent).
    pending: BTreeMap<ReservationId, (CallId, AgentId)>,
    /// Connected calls -> agent.
    connected: BTreeMap<CallId, AgentId>,
    /// Calls in the router, with (queue, priority, min level, held for a
    /// preferred agent, arrival sequence).
    live: BTreeMap<CallId, (QueueId, i32, u8, bool, u64)>,
    /// Calls offered at least once in their current queue.
    offered: BTreeSet<(CallId, QueueId)>,
    /// How many times each call ended.
    ended: BTreeMap<CallId, u32>,
    /// Agents in wrap-up until.
    wrap_until: BTreeMap<AgentId, Timestamp>,
    capacity: BTreeMap<AgentId, u16>,
    /// Skills of each login (bit `s`: skill `s` at level `3 s`).
    skills: BTreeMap<AgentId, u8>,
}

impl Model {
    fn end(&mut self, call: CallId) {
        *self.ended.entry(call).or_default() += 1;
        self.live.remove(&call);
        assert!(self.ended[&call] == 1, "{call} ended twice");
    }

    fn load(&self, agent: AgentId) -> usize {
        self.pending.values().filter(|(_, a)| *a == agent).count()
            + self.connected.values().filter(|a| **a == agent).count()
    }

    fn absorb(&mut self, router: &mut Router, now: Timestamp) {
        while let Some(output) = router.poll_output() {
            match output {
                Output::Offer(offer) => {
                    let agent = offer.agent;
                    assert!(
                        !self.connected.contains_key(&offer.call),
                        "offer of a connected call"
                    );
                    assert!(
                        !self
                            .pending
                            .values()
                            .any(|(c, a)| *c == offer.call && *a == agent),
                        "double offer of {} to {agent}",
                        offer.call
                    );
                    assert!(
                        self.wrap_until.get(&agent).is_none_or(|t| *t <= now),
                        "offer to {agent} during wrap-up"
                    );
                    self.pending.insert(offer.reservation, (offer.call, agent));
                    let cap = self.capacity.get(&agent).copied().unwrap_or(0);
                    assert!(
                        self.load(agent) <= usize::from(cap),
                        "{agent} over capacity {cap}"
                    );
                    // FIFO among equal keys: no earlier call of the same
                    // queue and priority may still be waiting un-offered.
                    let (queue, priority, level, held, seq) = self.live[&offer.call];
                    if self.offered.insert((offer.call, queue)) && !held {
                        for (other, (q, p, l, h, s)) in &self.live {
                            if *q == queue
                                && *p == priority
                                && *l == level
                                && !*h
                                && *s < seq
                                && !self.offered.contains(&(*other, queue))
                                && !self.connected.contains_key(other)
                            {
                                panic!("{} offered before earlier {other}", offer.call);
                            }
                        }
                    }
                }
                Output::OfferCancelled { reservation, .. }
                | Output::OfferTimedOut { reservation, .. } => {
                    assert!(self.pending.remove(&reservation).is_some());
                }
                Output::Overflow { call, to, .. } => match to {
                    OverflowTarget::External(_) => self.end(call),
                    OverflowTarget::Queue(q) => {
                        if let Some(entry) = self.live.get_mut(&call) {
                            entry.0 = q;
                        }
                    }
                    _ => {}
                },
                Output::TimedOut { call, .. } | Output::LeftEmpty { call, .. } => self.end(call),
                Output::AgentExpired { agent } => self.gone(agent),
                _ => {}
            }
        }
    }

    /// Work conservation: no call waits in its queue (not held for a
    /// preferred agent) while an available agent serving that queue at the
    /// call's minimum level could take it. Calls that asked for a preferred
    /// agent are left out (the hold is not visible from outside).
    fn check_no_idle_agent_beside_a_waiting_call(&self, router: &Router) {
        for (&agent, &skills) in &self.skills {
            let Some(status) = router.agent_status(agent) else {
                continue;
            };
            if status.availability != Availability::Available {
                continue;
            }
            for (&call, &(queue, _, level, held, _)) in &self.live {
                let serves = skills & (1 << queue.0) != 0 && queue.0 as u8 * 3 >= level;
                if !held
                    && serves
                    && router.call_status(call) == Some(CallStatus::Waiting { queue })
                {
                    panic!("{call} waits in {queue} while {agent} is available");
                }
            }
        }
    }

    fn gone(&mut self, agent: AgentId) {
        self.pending.retain(|_, (_, a)| *a != agent);
        let calls: Vec<CallId> = self
            .connected
            .iter()
            .filter(|(_, a)| **a == agent)
            .map(|(c, _)| *c)
            .collect();
        for c in calls {
            self.connected.remove(&c);
            self.live.remove(&c);
        }
    }
}

fn queue_config(i: u32) -> QueueConfig {
    let mut q = QueueConfig::new(SkillId(i));
    q.ring_timeout = Duration::from_secs(10);
    q.wrap_up = WRAP;
    q.max_wait = Some(Duration::from_secs(60 + 30 * u64::from(i)));
    q.overflow = match i {
        0 => Some(OverflowTarget::Queue(QueueId(1))),
        1 => Some(OverflowTarget::External(9)),
        _ => None,
    };
    q.max_length = Some(6);
    q.leave_empty = if i == 2 {
        EmptyPolicy::NoAgents
    } else {
        EmptyPolicy::Never
    };
    q
}

fn run(ops: Vec<Op>) {
    let mut config = RouterConfig::default();
    config.agent_ttl = Some(Duration::from_secs(120));
    config.max_ring_no_answer = Some(2);
    let mut router = Router::new(config);
    let strategies = [Builtin::RingAll, Builtin::LongestIdle, Builtin::RoundRobin];
    let mut now = Timestamp::from_secs(1);
    for (i, s) in strategies.into_iter().enumerate() {
        let i = i as u32;
        router
            .add_queue(QueueId(i), queue_config(i), s.boxed(), now)
            .unwrap();
    }
    let mut m = Model::default();
    let mut next_call = 0_u64;
    for op in ops {
        match op {
            Op::Login {
                agent,
                skills,
                capacity,
            } => {
                let mut c = AgentConfig::new().capacity(Channel::VOICE, capacity);
                for s in 0..3 {
                    if skills & (1 << s) != 0 {
                        c = c.skill(SkillId(s), Level::saturating(s as u8 * 3));
                    }
                }
                if router.add_agent(AgentId(agent), c, now).is_ok() {
                    m.capacity.insert(AgentId(agent), capacity);
                    m.skills.insert(AgentId(agent), skills);
                }
            }
            Op::Ready { agent, ready } => {
                let _ = router.set_ready(AgentId(agent), ready, now);
            }
            Op::Logout { agent } => {
                if router.remove_agent(AgentId(agent), now).is_ok() {
                    // Cancellations come out as outputs; connected calls are forgotten.
                    let calls: Vec<CallId> = m
                        .connected
                        .iter()
                        .filter(|(_, a)| **a == AgentId(agent))
                        .map(|(c, _)| *c)
                        .collect();
                    for c in calls {
                        m.connected.remove(&c);
                        m.live.remove(&c);
                    }
                }
            }
            Op::Enqueue {
                queue,
                priority,
                level,
                preferred,
            } => {
                let call = CallId(next_call);
                next_call += 1;
                let mut request = CallRequest::new()
                    .priority(priority)
                    .min_level(Level::saturating(level));
                if let Some(agent) = preferred {
                    request = request
                        .preferred(PreferredAgent::new(AgentId(agent), Duration::from_secs(8)));
                }
                if router.enqueue(call, QueueId(queue), request, now).is_ok() {
                    m.live.insert(
                        call,
                        (QueueId(queue), priority, level, preferred.is_some(), call.0),
                    );
                }
            }
            Op::Accept { pick } => {
                if let Some((&r, &(call, agent))) = m.pending.iter().nth(pick) {
                    let answered = router.accept(r, now).unwrap();
                    assert_eq!((answered.call, answered.agent), (call, agent));
                    m.pending.remove(&r);
                    assert!(m.connected.insert(call, agent).is_none(), "answered twice");
                } else {
                    assert!(router.accept(ReservationId(u64::MAX), now).is_err());
                }
            }
            Op::Reject { pick } => {
                if let Some((&r, _)) = m.pending.iter().nth(pick) {
                    router.reject(r, now).unwrap();
                    m.pending.remove(&r);
                }
            }
            Op::Abandon { pick } => {
                let waiting: Vec<CallId> = m
                    .live
                    .keys()
                    .filter(|c| !m.connected.contains_key(c))
                    .copied()
                    .collect();
                if let Some(&call) = waiting.get(pick) {
                    router.abandon(call, now).unwrap();
                    m.end(call);
                }
            }
            Op::Complete { pick } => {
                if let Some((&call, &agent)) = m.connected.iter().nth(pick) {
                    router.complete(call, now).unwrap();
                    m.connected.remove(&call);
                    m.live.remove(&call);
                    m.end(call);
                    m.wrap_until.insert(agent, now + WRAP);
                }
            }
            Op::Callback { pick } => {
                if let Some(&call) = m.live.keys().nth(pick)
                    && !m.connected.contains_key(&call)
                {
                    router.request_callback(call).unwrap();
                }
            }
            Op::Heartbeat { agent } => {
                let _ = router.heartbeat(AgentId(agent), now);
            }
            Op::Advance { ms } => {
                let target = now + Duration::from_millis(ms);
                while let Some(t) = router.poll_timeout() {
                    if t > target {
                        break;
                    }
                    now = now.max(t);
                    router.handle_timeout(t);
                    m.absorb(&mut router, now);
                }
                now = target;
            }
        }
        m.absorb(&mut router, now);
        assert_eq!(
            router.reservation_count(),
            m.pending.len(),
            "leaked reservation"
        );
        m.check_no_idle_agent_beside_a_waiting_call(&router);
    }
    // Let every ring time out: no reservation survives its deadline.
    let end = now + Duration::from_secs(3600);
    while let Some(t) = router.poll_timeout() {
        if t > end {
            break;
        }
        now = now.max(t);
        router.handle_timeout(t);
        m.absorb(&mut router, now);
        // Answer nothing; abandon nothing.
    }
    let still: Vec<CallId> = m
        .live
        .keys()
        .filter(|c| !m.connected.contains_key(c))
        .copied()
        .collect();
    for call in still {
        router.abandon(call, end).unwrap();
        m.end(call);
    }
    m.absorb(&mut router, end);
    let connected: Vec<CallId> = m.connected.keys().copied().collect();
    for call in connected {
        router.complete(call, end).unwrap();
        m.connected.remove(&call);
        m.end(call);
    }
    m.absorb(&mut router, end);
    assert_eq!(
        router.reservation_count(),
        0,
        "leaked reservation at the end"
    );
    assert_eq!(m.pending.len(), 0);
    // Every call ended exactly once (logged-out agents' connected calls were
    // answered, which is their end).
    assert!(m.ended.values().all(|n| *n == 1));
}

proptest! {
    // 256 cases by default; PROPTEST_CASES=N runs more.
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256)
    ))]

    #[test]
    fn router_invariants_hold(ops in proptest::collection::vec(op(), 1..120)) {
        run(ops);
    }
}
