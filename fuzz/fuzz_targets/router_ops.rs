#![no_main]
//! Random operation sequences against the router: logins, readiness,
//! enqueues with priorities and requirements, answers, rejections, hang-ups,
//! completions, callbacks, logouts and time jumps, over queue and agent
//! configurations taken from the input (zero periods and steps, a channel
//! listed twice included). The router must never
//! panic, never hold more reservations than it has announced, never connect
//! a call twice, and drain to empty when every call is ended.

use std::collections::BTreeMap;
use std::time::Duration;

use call_routing::call::PreferredAgent;
use call_routing::queue::{BullseyeRing, EmptyPolicy, OverflowTarget, QueueOrdering};
use call_routing::strategy::Builtin;
use call_routing::{
    AgentConfig, AgentId, CallId, CallRequest, Channel, Level, Output, QueueConfig, QueueId,
    ReservationId, Router, RouterConfig, SkillId, Timestamp,
};
use call_sdk_fuzz::Bytes;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut input = Bytes::new(data);
    let mut config = RouterConfig::default();
    config.max_agents = 16;
    config.max_calls = 64;
    config.max_ring_no_answer = Some(u32::from(input.byte() % 4) + 1);
    config.agent_ttl = Some(Duration::from_secs(u64::from(input.byte()) + 1));
    config.seed = u64::from(input.byte());
    let mut router = Router::new(config);
    // Some runs start minutes before the end of time, where deadlines
    // saturate at `Timestamp::MAX`.
    let start = input.byte();
    let mut now = if start >= 250 {
        Timestamp::MAX.saturating_sub(Duration::from_secs(u64::from(255 - start) * 60))
    } else {
        Timestamp::from_secs(1)
    };
    let strategies = Builtin::all();
    for q in 0..4_u32 {
        let mut qc = QueueConfig::new(SkillId(q));
        let flags = input.byte();
        qc.ordering = if flags & 1 == 0 {
            QueueOrdering::StrictPriority
        } else {
            QueueOrdering::Aging {
                boost: Duration::from_secs(30),
            }
        };
        qc.max_length = Some(usize::from(input.byte() % 16) + 1);
        qc.max_wait = (flags & 2 != 0).then(|| Duration::from_secs(u64::from(input.byte())));
        qc.overflow = match flags >> 2 & 3 {
            0 => None,
            1 => Some(OverflowTarget::Queue(QueueId((q + 1) % 4))),
            2 => Some(OverflowTarget::External(7)),
            _ => Some(OverflowTarget::Queue(QueueId(9))),
        };
        qc.leave_empty = if flags & 16 != 0 {
            EmptyPolicy::NoReadyAgents
        } else {
            EmptyPolicy::Never
        };
        qc.wrap_up = Duration::from_secs(u64::from(input.byte() % 8));
        if flags & 32 != 0 {
            qc.bullseye = vec![BullseyeRing::new(Duration::from_secs(5), Level::MIN)];
        }
        if flags & 64 != 0 {
            // Any period, zero included: a zero period must be refused, never
            // re-armed at the instant it fires.
            qc.announce_every = Some(Duration::from_secs(u64::from(input.byte() % 16)));
        }
        let pick = input.byte();
        let strategy = if flags & 128 != 0 {
            // A progressive step from the input, zero included.
            Builtin::RingProgressively {
                step: Duration::from_secs(u64::from(pick % 8)),
            }
        } else {
            strategies[usize::from(pick) % strategies.len()].clone()
        };
        let _ = router.add_queue(QueueId(q), qc, strategy.boxed(), now);
    }
    let mut pending: BTreeMap<ReservationId, CallId> = BTreeMap::new();
    let mut connected: BTreeMap<CallId, AgentId> = BTreeMap::new();
    let mut next_call = 0_u64;
    while !input.is_empty() {
        let op = input.byte();
        let arg = input.byte();
        match op % 12 {
            0 => {
                let mut c = AgentConfig::new()
                    .capacity(Channel::VOICE, u16::from(arg % 3))
                    .order(u32::from(arg));
                for s in 0..4 {
                    if arg & (1 << s) != 0 {
                        c = c.skill(SkillId(s), Level::saturating(arg >> 4));
                    }
                }
                if op & 8 != 0 {
                    // The fields are public: a host may list a channel twice,
                    // which the router must refuse rather than leave unlimited.
                    c.capacity.push((Channel::VOICE, u16::from(arg % 5)));
                }
                let _ = router.add_agent(AgentId(u32::from(op >> 4)), c, now);
            }
            1 => {
                let _ = router.set_ready(AgentId(u32::from(arg % 16)), arg & 16 != 0, now);
            }
            2 => {
                let mut request = CallRequest::new()
                    .priority(i32::from(arg % 4))
                    .min_level(Level::saturating(arg >> 4));
                if arg & 8 != 0 {
                    request = request.skill(SkillId(u32::from(op >> 6)), Level::MIN);
                }
                if arg & 4 != 0 {
                    request = request.preferred(PreferredAgent::new(
                        AgentId(u32::from(op >> 4)),
                        Duration::from_secs(3),
                    ));
                }
                let _ =
                    router.enqueue(CallId(next_call), QueueId(u32::from(arg % 4)), request, now);
                next_call += 1;
            }
            3 => {
                if let Some((&r, &call)) = pending.iter().nth(usize::from(arg)) {
                    let answered = router.accept(r, now).expect("pending offer accepts");
                    assert_eq!(answered.call, call);
                    assert!(
                        connected.insert(call, answered.agent).is_none(),
                        "answered twice"
                    );
                    pending.remove(&r);
                }
            }
            4 => {
                if let Some((&r, _)) = pending.iter().nth(usize::from(arg)) {
                    router.reject(r, now).expect("pending offer rejects");
                    pending.remove(&r);
                }
            }
            5 => {
                let call = CallId(u64::from(arg));
                if router.abandon(call, now).is_ok() {
                    assert!(!connected.contains_key(&call));
                }
            }
            6 => {
                if let Some((&call, _)) = connected.iter().nth(usize::from(arg)) {
                    router
                        .complete(call, now)
                        .expect("connected call completes");
                    connected.remove(&call);
                }
            }
            7 => {
                let _ = router.request_callback(CallId(u64::from(arg)));
            }
            8 => {
                let agent = AgentId(u32::from(arg % 16));
                if router.remove_agent(agent, now).is_ok() {
                    connected.retain(|_, a| *a != agent);
                }
            }
            9 => {
                let _ = router.heartbeat(AgentId(u32::from(arg % 16)), now);
            }
            10 => {
                let _ = router.position(CallId(u64::from(arg)));
                let _ = router.expected_wait(CallId(u64::from(arg)));
            }
            _ => {
                now = now + Duration::from_millis(u64::from(arg) * 250);
                router.handle_timeout(now);
            }
        }
        while let Some(output) = router.poll_output() {
            match output {
                Output::Offer(offer) => {
                    assert!(
                        !connected.contains_key(&offer.call),
                        "offer of a connected call"
                    );
                    pending.insert(offer.reservation, offer.call);
                }
                Output::OfferCancelled { reservation, .. }
                | Output::OfferTimedOut { reservation, .. } => {
                    assert!(
                        pending.remove(&reservation).is_some(),
                        "unknown reservation ended"
                    );
                }
                Output::AgentExpired { agent } => connected.retain(|_, a| *a != agent),
                _ => {}
            }
        }
        assert_eq!(
            router.reservation_count(),
            pending.len(),
            "leaked reservation"
        );
        assert!(router.call_count() <= 64);
    }
});
