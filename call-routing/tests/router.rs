//! Router behaviour, including one regression test per failure the
//! open-source ACDs are known for (named after it).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::Duration;

use call_routing::call::PreferredAgent;
use call_routing::queue::{BullseyeRing, EmptyPolicy, OverflowTarget, QueueOrdering};
use call_routing::router::{CancelReason, CrossQueueOrder, CrossQueuePolicy, NotReadyReason};
use call_routing::strategy::{Attribute, Builtin, Direction, OrderBy, Strategy};
use call_routing::{
    AgentConfig, AgentId, Availability, CallId, CallRequest, CallStatus, Channel, Level, Offer,
    Output, QueueConfig, QueueId, Router, RouterConfig, SkillId, Timestamp,
};

const SALES: SkillId = SkillId(1);
const SUPPORT: SkillId = SkillId(2);
const FRENCH: SkillId = SkillId(100);
const Q_SALES: QueueId = QueueId(1);
const Q_SUPPORT: QueueId = QueueId(2);

fn secs(s: u64) -> Timestamp {
    Timestamp::from_secs(s)
}

fn lvl(n: u8) -> Level {
    Level::new(n).unwrap()
}

struct Harness {
    router: Router,
}

impl Harness {
    fn new(config: RouterConfig) -> Harness {
        Harness {
            router: Router::new(config),
        }
    }

    fn queue(&mut self, id: QueueId, config: QueueConfig, strategy: Box<dyn Strategy>) {
        self.router
            .add_queue(id, config, strategy, secs(0))
            .unwrap();
    }

    fn agent(&mut self, id: u32, config: AgentConfig, at: u64) {
        self.router
            .add_agent(AgentId(id), config, secs(at))
            .unwrap();
        self.router.set_ready(AgentId(id), true, secs(at)).unwrap();
    }

    fn drain(&mut self) -> Vec<Output> {
        std::iter::from_fn(|| self.router.poll_output()).collect()
    }

    fn offers(&mut self) -> Vec<Offer> {
        self.drain()
            .into_iter()
            .filter_map(|o| match o {
                Output::Offer(offer) => Some(offer),
                _ => None,
            })
            .collect()
    }

    fn enqueue(&mut self, call: u64, queue: QueueId, request: CallRequest, at: u64) {
        self.router
            .enqueue(CallId(call), queue, request, secs(at))
            .unwrap();
    }

    /// Runs every timer up to `at`.
    fn advance(&mut self, at: u64) {
        while let Some(t) = self.router.poll_timeout() {
            if t > secs(at) {
                break;
            }
            self.router.handle_timeout(t);
        }
    }
}

fn with(f: impl FnOnce(&mut RouterConfig)) -> RouterConfig {
    let mut config = RouterConfig::default();
    f(&mut config);
    config
}

fn sales_queue() -> QueueConfig {
    QueueConfig::new(SALES)
}

fn skilled(skill: SkillId, level: u8) -> AgentConfig {
    AgentConfig::new().skill(skill, lvl(level))
}

#[test]
fn ring_all_call_is_never_answered_by_two_agents() {
    let mut h = Harness::new(RouterConfig::default());
    h.queue(Q_SALES, sales_queue(), Builtin::RingAll.boxed());
    for id in 1..=3 {
        h.agent(id, skilled(SALES, 5), 0);
    }
    h.enqueue(1, Q_SALES, CallRequest::new(), 1);
    let offers = h.offers();
    assert_eq!(offers.len(), 3, "ring-all rings every available agent");
    let answered = h.router.accept(offers[1].reservation, secs(2)).unwrap();
    assert_eq!(answered.agent, offers[1].agent);
    let cancelled: Vec<_> = h
        .drain()
        .into_iter()
        .filter(|o| {
            matches!(
                o,
                Output::OfferCancelled {
                    reason: CancelReason::AnsweredElsewhere,
                    ..
                }
            )
        })
        .collect();
    assert_eq!(cancelled.len(), 2);
    // The losers' late answers fail instead of connecting a second agent.
    assert!(h.router.accept(offers[0].reservation, secs(2)).is_err());
    assert!(h.router.accept(offers[2].reservation, secs(2)).is_err());
    assert_eq!(
        h.router.call_status(CallId(1)),
        Some(CallStatus::Connected {
            agent: offers[1].agent
        })
    );
    assert_eq!(h.router.reservation_count(), 0);
}

#[test]
fn agent_is_never_stuck_reserved() {
    let mut h = Harness::new(RouterConfig::default());
    let mut q = sales_queue();
    q.ring_timeout = Duration::from_secs(15);
    h.queue(Q_SALES, q, Builtin::LongestIdle.boxed());
    h.agent(1, skilled(SALES, 5), 0);
    h.enqueue(1, Q_SALES, CallRequest::new(), 1);
    let offer = h.offers()[0];
    assert_eq!(
        h.router.agent_status(AgentId(1)).unwrap().availability,
        Availability::Reserved
    );
    // The host never answers: the deadline frees the agent and re-offers.
    assert_eq!(h.router.poll_timeout(), Some(secs(16)));
    h.router.handle_timeout(secs(16));
    let outputs = h.drain();
    assert!(outputs.iter().any(|o| matches!(o,
        Output::OfferTimedOut { reservation, .. } if *reservation == offer.reservation)));
    let again: Vec<_> = outputs
        .iter()
        .filter(|o| matches!(o, Output::Offer(_)))
        .collect();
    assert_eq!(again.len(), 1, "the call is offered again");
    // A stale answer to the expired reservation is refused.
    assert!(h.router.accept(offer.reservation, secs(17)).is_err());
    // The caller hangs up while ringing: the reservation is released at once.
    h.router.abandon(CallId(1), secs(18)).unwrap();
    assert_eq!(h.router.reservation_count(), 0);
    assert_eq!(
        h.router.agent_status(AgentId(1)).unwrap().availability,
        Availability::Available
    );
}

#[test]
fn wrap_up_is_honoured_across_queues() {
    let mut h = Harness::new(RouterConfig::default());
    let mut sales = sales_queue();
    sales.wrap_up = Duration::from_secs(30);
    h.queue(Q_SALES, sales, Builtin::LongestIdle.boxed());
    h.queue(
        Q_SUPPORT,
        QueueConfig::new(SUPPORT),
        Builtin::LongestIdle.boxed(),
    );
    h.agent(1, skilled(SALES, 5).skill(SUPPORT, lvl(5)), 0);
    h.enqueue(1, Q_SALES, CallRequest::new(), 1);
    let offer = h.offers()[0];
    h.router.accept(offer.reservation, secs(2)).unwrap();
    h.router.complete(CallId(1), secs(60)).unwrap();
    // A support call during the sales wrap-up must wait.
    h.enqueue(2, Q_SUPPORT, CallRequest::new(), 61);
    assert!(h.offers().is_empty());
    assert_eq!(
        h.router.agent_status(AgentId(1)).unwrap().availability,
        Availability::WrapUp
    );
    h.advance(89);
    assert!(h.offers().is_empty());
    h.advance(90);
    let offers = h.offers();
    assert_eq!(offers.len(), 1);
    assert_eq!(offers[0].call, CallId(2));
}

#[test]
fn low_priority_calls_are_not_starved() {
    // Aging: a priority-3 call with a 60 s boost ranks as if it arrived
    // 3 minutes earlier, but a low-priority call that has waited longer than
    // that still goes first.
    let mut h = Harness::new(RouterConfig::default());
    let mut q = sales_queue();
    q.ordering = QueueOrdering::Aging {
        boost: Duration::from_secs(60),
    };
    h.queue(Q_SALES, q, Builtin::LongestIdle.boxed());
    h.router
        .add_agent(AgentId(1), skilled(SALES, 5), secs(0))
        .unwrap();
    h.enqueue(1, Q_SALES, CallRequest::new().priority(0), 0);
    h.enqueue(2, Q_SALES, CallRequest::new().priority(3), 200);
    h.enqueue(3, Q_SALES, CallRequest::new().priority(3), 100);
    h.router.set_ready(AgentId(1), true, secs(201)).unwrap();
    let order = serve_all(&mut h, 201);
    assert_eq!(order, vec![CallId(3), CallId(1), CallId(2)]);

    // Across queues: a favoured queue cannot starve another past the bound.
    let mut h = Harness::new(with(|c| {
        c.cross_queue = CrossQueuePolicy::new(
            CrossQueueOrder::QueuePriority,
            Some(Duration::from_secs(120)),
        );
    }));
    let mut vip = sales_queue();
    vip.priority = 10;
    h.queue(Q_SALES, vip, Builtin::LongestIdle.boxed());
    h.queue(
        Q_SUPPORT,
        QueueConfig::new(SUPPORT),
        Builtin::LongestIdle.boxed(),
    );
    h.router
        .add_agent(
            AgentId(1),
            skilled(SALES, 5).skill(SUPPORT, lvl(5)),
            secs(0),
        )
        .unwrap();
    h.enqueue(10, Q_SUPPORT, CallRequest::new(), 0);
    h.enqueue(11, Q_SALES, CallRequest::new(), 50);
    h.enqueue(12, Q_SALES, CallRequest::new(), 60);
    // At 100 s the support call is under the bound: VIP queue first.
    h.router.set_ready(AgentId(1), true, secs(100)).unwrap();
    let first = h.offers()[0];
    assert_eq!(first.call, CallId(11));
    h.router.accept(first.reservation, secs(100)).unwrap();
    // At 130 s it has waited past the bound and wins over the VIP call.
    h.router.complete(CallId(11), secs(130)).unwrap();
    assert_eq!(h.offers()[0].call, CallId(10));
}

/// Answers and completes every offer in turn, returning the calls in order.
fn serve_all(h: &mut Harness, mut t: u64) -> Vec<CallId> {
    let mut order = Vec::new();
    while let Some(offer) = h.offers().first().copied() {
        order.push(offer.call);
        h.router.accept(offer.reservation, secs(t)).unwrap();
        t += 10;
        h.router.complete(offer.call, secs(t)).unwrap();
    }
    order
}

#[test]
fn calls_are_served_in_score_order() {
    // Strict priority, then arrival order (FIFO among equal keys).
    let mut h = Harness::new(RouterConfig::default());
    let mut q = sales_queue();
    q.ordering = QueueOrdering::StrictPriority;
    h.queue(Q_SALES, q, Builtin::LongestIdle.boxed());
    h.router
        .add_agent(AgentId(1), skilled(SALES, 5), secs(0))
        .unwrap();
    let priorities = [0, 5, 1, 5, 0, 9, 1];
    for (i, p) in priorities.iter().enumerate() {
        h.enqueue(i as u64, Q_SALES, CallRequest::new().priority(*p), i as u64);
    }
    assert_eq!(h.router.position(CallId(5)), Some(1));
    assert_eq!(h.router.position(CallId(4)), Some(7));
    h.router.set_ready(AgentId(1), true, secs(10)).unwrap();
    let order: Vec<u64> = serve_all(&mut h, 10).into_iter().map(|c| c.0).collect();
    assert_eq!(order, vec![5, 1, 3, 2, 6, 0, 4]);
}

#[test]
fn capacity_limits_concurrent_offers() {
    let mut h = Harness::new(RouterConfig::default());
    let mut chat = sales_queue();
    chat.channel = Channel::CHAT;
    h.queue(Q_SALES, chat, Builtin::LongestIdle.boxed());
    h.agent(1, skilled(SALES, 5).capacity(Channel::CHAT, 2), 0);
    for c in 0..4 {
        h.enqueue(c, Q_SALES, CallRequest::new(), 1);
    }
    let offers = h.offers();
    assert_eq!(offers.len(), 2, "two chat slots, two offers");
    assert_eq!(h.router.queue_len(Q_SALES), Some(2));
    h.router.accept(offers[0].reservation, secs(2)).unwrap();
    assert!(h.offers().is_empty());
    h.router.complete(offers[0].call, secs(30)).unwrap();
    assert_eq!(h.offers().len(), 1);
}

#[test]
fn ring_no_answers_set_the_agent_not_ready() {
    let mut h = Harness::new(with(|c| c.max_ring_no_answer = Some(2)));
    let mut q = sales_queue();
    q.ring_timeout = Duration::from_secs(10);
    h.queue(Q_SALES, q, Builtin::LongestIdle.boxed());
    h.agent(1, skilled(SALES, 5), 0);
    h.enqueue(1, Q_SALES, CallRequest::new(), 0);
    h.advance(10);
    h.advance(20);
    let outputs = h.drain();
    assert!(outputs.contains(&Output::AgentNotReady {
        agent: AgentId(1),
        reason: NotReadyReason::RingNoAnswer
    }));
    assert_eq!(
        h.router.agent_status(AgentId(1)).unwrap().availability,
        Availability::NotReady
    );
    assert_eq!(
        h.router.call_status(CallId(1)),
        Some(CallStatus::Waiting { queue: Q_SALES })
    );
}

#[test]
fn silent_agents_expire() {
    let mut h = Harness::new(with(|c| c.agent_ttl = Some(Duration::from_secs(60))));
    h.queue(Q_SALES, sales_queue(), Builtin::LongestIdle.boxed());
    h.agent(1, skilled(SALES, 5), 0);
    h.agent(2, skilled(SALES, 5), 0);
    h.router.heartbeat(AgentId(2), secs(50)).unwrap();
    h.advance(60);
    assert_eq!(h.drain(), vec![Output::AgentExpired { agent: AgentId(1) }]);
    assert!(h.router.agent_status(AgentId(1)).is_none());
    assert!(h.router.agent_status(AgentId(2)).is_some());
    h.advance(110);
    assert_eq!(h.drain(), vec![Output::AgentExpired { agent: AgentId(2) }]);
}

#[test]
fn max_wait_overflows_keeping_seniority() {
    let mut h = Harness::new(RouterConfig::default());
    let mut first = sales_queue();
    first.max_wait = Some(Duration::from_secs(60));
    first.overflow = Some(OverflowTarget::Queue(Q_SUPPORT));
    h.queue(Q_SALES, first, Builtin::LongestIdle.boxed());
    let mut second = QueueConfig::new(SUPPORT);
    second.max_wait = Some(Duration::from_secs(60));
    h.queue(Q_SUPPORT, second, Builtin::LongestIdle.boxed());
    h.router
        .add_agent(AgentId(1), skilled(SUPPORT, 5), secs(0))
        .unwrap();
    h.enqueue(1, Q_SALES, CallRequest::new(), 0);
    h.enqueue(2, Q_SUPPORT, CallRequest::new(), 30);
    h.advance(60);
    assert_eq!(
        h.drain(),
        vec![Output::Overflow {
            call: CallId(1),
            from: Q_SALES,
            to: OverflowTarget::Queue(Q_SUPPORT)
        }]
    );
    // Call 1 arrived first, so it is ahead of call 2 in the support queue.
    assert_eq!(h.router.position(CallId(1)), Some(1));
    h.advance(90);
    assert_eq!(
        h.drain(),
        vec![Output::TimedOut {
            call: CallId(2),
            queue: Q_SUPPORT
        }]
    );
    h.advance(120);
    assert_eq!(
        h.drain(),
        vec![Output::TimedOut {
            call: CallId(1),
            queue: Q_SUPPORT
        }]
    );
    assert_eq!(h.router.call_count(), 0);
}

#[test]
fn bullseye_rings_relax_the_minimum_level() {
    let mut h = Harness::new(RouterConfig::default());
    let mut q = sales_queue();
    q.bullseye = vec![
        BullseyeRing::new(Duration::from_secs(20), lvl(5)),
        BullseyeRing::new(Duration::from_secs(40), lvl(1)),
    ];
    h.queue(Q_SALES, q, Builtin::LongestIdle.boxed());
    h.agent(1, skilled(SALES, 2), 0);
    h.enqueue(1, Q_SALES, CallRequest::new().min_level(lvl(9)), 0);
    assert!(h.offers().is_empty());
    h.advance(20);
    assert!(h.offers().is_empty(), "level 2 is still below 5");
    h.agent(2, skilled(SALES, 6), 25);
    let offer = h.offers()[0];
    assert_eq!(offer.agent, AgentId(2));
    h.router.accept(offer.reservation, secs(26)).unwrap();
    h.enqueue(2, Q_SALES, CallRequest::new().min_level(lvl(9)), 30);
    h.advance(69);
    assert!(h.offers().is_empty());
    h.advance(70);
    assert_eq!(h.offers()[0].agent, AgentId(1));
}

#[test]
fn extra_skills_and_languages_filter_agents() {
    let mut h = Harness::new(RouterConfig::default());
    h.queue(Q_SALES, sales_queue(), Builtin::Linear.boxed());
    h.agent(1, skilled(SALES, 9).order(1), 0);
    h.agent(2, skilled(SALES, 3).skill(FRENCH, lvl(8)).order(2), 0);
    h.enqueue(1, Q_SALES, CallRequest::new().skill(FRENCH, lvl(5)), 1);
    assert_eq!(h.offers()[0].agent, AgentId(2));
}

#[test]
fn preferred_agent_then_fallback() {
    let mut h = Harness::new(RouterConfig::default());
    h.queue(Q_SALES, sales_queue(), Builtin::LongestIdle.boxed());
    h.agent(1, skilled(SALES, 5), 0);
    h.router
        .add_agent(AgentId(2), skilled(SALES, 5), secs(0))
        .unwrap();
    let request =
        CallRequest::new().preferred(PreferredAgent::new(AgentId(2), Duration::from_secs(15)));
    h.enqueue(1, Q_SALES, request.clone(), 1);
    assert!(h.offers().is_empty(), "held for agent 2 although 1 is free");
    h.router.set_ready(AgentId(2), true, secs(5)).unwrap();
    assert_eq!(h.offers()[0].agent, AgentId(2));
    // Preferred agent busy: after the timeout any member takes it.
    h.enqueue(2, Q_SALES, request, 6);
    assert!(h.offers().is_empty());
    h.advance(21);
    assert_eq!(h.offers()[0].agent, AgentId(1));
}

#[test]
fn callbacks_keep_their_place() {
    let mut h = Harness::new(RouterConfig::default());
    let mut q = sales_queue();
    q.max_wait = Some(Duration::from_secs(60));
    h.queue(Q_SALES, q, Builtin::LongestIdle.boxed());
    h.router
        .add_agent(AgentId(1), skilled(SALES, 5), secs(0))
        .unwrap();
    h.enqueue(1, Q_SALES, CallRequest::new(), 0);
    h.enqueue(2, Q_SALES, CallRequest::new(), 5);
    h.router.request_callback(CallId(1)).unwrap();
    h.advance(100);
    let out = h.drain();
    assert_eq!(
        out,
        vec![Output::TimedOut {
            call: CallId(2),
            queue: Q_SALES
        }]
    );
    h.router.set_ready(AgentId(1), true, secs(200)).unwrap();
    let offer = h.offers()[0];
    assert_eq!(offer.call, CallId(1));
    assert!(offer.callback);
}

#[test]
fn join_and_leave_when_empty() {
    let mut h = Harness::new(RouterConfig::default());
    let mut q = sales_queue();
    q.join_empty = EmptyPolicy::NoAgents;
    q.leave_empty = EmptyPolicy::NoReadyAgents;
    h.queue(Q_SALES, q, Builtin::LongestIdle.boxed());
    assert!(matches!(
        h.router
            .enqueue(CallId(1), Q_SALES, CallRequest::new(), secs(0)),
        Err(call_routing::error::EnqueueError::Empty { .. })
    ));
    h.agent(1, skilled(SALES, 5), 0);
    h.enqueue(1, Q_SALES, CallRequest::new(), 1);
    h.enqueue(2, Q_SALES, CallRequest::new(), 2);
    let offer = h.offers()[0];
    h.router.accept(offer.reservation, secs(3)).unwrap();
    h.router.set_ready(AgentId(1), false, secs(4)).unwrap();
    assert_eq!(
        h.drain(),
        vec![Output::LeftEmpty {
            call: CallId(2),
            queue: Q_SALES
        }]
    );
}

#[test]
fn closed_queues_refuse_calls() {
    let mut h = Harness::new(RouterConfig::default());
    let mut q = sales_queue();
    q.calendar = Some(
        call_routing::calendar::Calendar::new("Europe/Paris")
            .unwrap()
            .open_weekdays(9, 0, 18, 0)
            .unwrap(),
    );
    h.queue(Q_SALES, q, Builtin::LongestIdle.boxed());
    // Saturday 2026-11-21 12:00 UTC.
    let saturday = Timestamp::from_secs(1_795_262_400);
    assert!(matches!(
        h.router
            .enqueue(CallId(1), Q_SALES, CallRequest::new(), saturday),
        Err(call_routing::error::EnqueueError::Closed { .. })
    ));
    // Friday 2026-11-20 12:00 UTC (13:00 in Paris).
    let friday = Timestamp::from_secs(1_795_176_000);
    h.router
        .enqueue(CallId(1), Q_SALES, CallRequest::new(), friday)
        .unwrap();
}

#[test]
fn position_updates_announce_place_and_wait() {
    let mut h = Harness::new(RouterConfig::default());
    let mut q = sales_queue();
    q.announce_every = Some(Duration::from_secs(30));
    q.expected_handle_time = Duration::from_secs(120);
    h.queue(Q_SALES, q, Builtin::LongestIdle.boxed());
    h.router
        .add_agent(AgentId(1), skilled(SALES, 5), secs(0))
        .unwrap();
    h.router
        .add_agent(AgentId(2), skilled(SALES, 5), secs(0))
        .unwrap();
    h.router.set_ready(AgentId(1), true, secs(0)).unwrap();
    h.router.set_ready(AgentId(2), true, secs(0)).unwrap();
    h.enqueue(1, Q_SALES, CallRequest::new(), 0);
    h.enqueue(2, Q_SALES, CallRequest::new(), 0);
    h.enqueue(3, Q_SALES, CallRequest::new(), 0);
    h.enqueue(4, Q_SALES, CallRequest::new(), 0);
    h.drain();
    h.advance(30);
    let positions: Vec<_> = h
        .drain()
        .into_iter()
        .filter_map(|o| match o {
            Output::Position {
                call,
                position,
                expected_wait,
                ..
            } => Some((call.0, position, expected_wait.as_secs())),
            _ => None,
        })
        .collect();
    // Two waiting calls, two agents, 120 s per call: 60 s per position.
    assert_eq!(positions, vec![(3, 1, 60), (4, 2, 120)]);
}

fn first_offered(strategy: Box<dyn Strategy>, agents: &[(u32, AgentConfig)]) -> Vec<u32> {
    let mut h = Harness::new(RouterConfig::default());
    h.queue(Q_SALES, sales_queue(), strategy);
    for (i, (id, config)) in agents.iter().enumerate() {
        h.agent(*id, config.clone(), i as u64);
    }
    let mut picked = Vec::new();
    for c in 0..agents.len() as u64 {
        h.enqueue(c, Q_SALES, CallRequest::new(), 100 + c);
        let offer = h.offers()[0];
        picked.push(offer.agent.0);
        h.router.accept(offer.reservation, secs(100 + c)).unwrap();
    }
    picked
}

#[test]
fn built_in_strategies_pick_as_documented() {
    let agents = vec![
        (1, skilled(SALES, 2).order(3)),
        (2, skilled(SALES, 9).order(1)),
        (3, skilled(SALES, 5).order(2)),
    ];
    assert_eq!(
        first_offered(Builtin::LongestIdle.boxed(), &agents),
        vec![1, 2, 3]
    );
    assert_eq!(
        first_offered(Builtin::Linear.boxed(), &agents),
        vec![2, 3, 1]
    );
    assert_eq!(
        first_offered(Builtin::BestSkills.boxed(), &agents),
        vec![2, 3, 1]
    );
    assert_eq!(
        first_offered(Builtin::SequentialByLevel.boxed(), &agents),
        vec![2, 3, 1]
    );
    let by_level_desc = OrderBy::new(&[(Attribute::Level, Direction::Ascending)]).unwrap();
    assert_eq!(
        first_offered(Box::new(by_level_desc), &agents),
        vec![1, 3, 2]
    );
    // Random and wrandom are seeded: same seed, same picks; all agents used.
    let mut r = first_offered(Builtin::Random.boxed(), &agents);
    assert_eq!(r, first_offered(Builtin::Random.boxed(), &agents));
    r.sort_unstable();
    assert_eq!(r, vec![1, 2, 3]);
}

#[test]
fn round_robin_resumes_after_the_last_agent() {
    let mut h = Harness::new(RouterConfig::default());
    h.queue(Q_SALES, sales_queue(), Builtin::RoundRobin.boxed());
    for id in 1..=3 {
        h.agent(id, skilled(SALES, 5).order(id), 0);
    }
    let mut picked = Vec::new();
    for c in 0..7 {
        h.enqueue(c, Q_SALES, CallRequest::new(), c);
        let offer = h.offers()[0];
        picked.push(offer.agent.0);
        h.router.accept(offer.reservation, secs(c)).unwrap();
        h.router.complete(CallId(c), secs(c)).unwrap();
        h.drain();
    }
    assert_eq!(picked, vec![1, 2, 3, 1, 2, 3, 1]);

    // Linear always restarts from the top.
    let mut h = Harness::new(RouterConfig::default());
    h.queue(Q_SALES, sales_queue(), Builtin::Linear.boxed());
    for id in 1..=3 {
        h.agent(id, skilled(SALES, 5).order(id), 0);
    }
    for c in 0..3 {
        h.enqueue(c, Q_SALES, CallRequest::new(), c);
        let offer = h.offers()[0];
        assert_eq!(offer.agent, AgentId(1));
        h.router.accept(offer.reservation, secs(c)).unwrap();
        h.router.complete(CallId(c), secs(c)).unwrap();
        h.drain();
    }
}

#[test]
fn fewest_calls_and_least_talk_time_balance_load() {
    let mut h = Harness::new(RouterConfig::default());
    h.queue(Q_SALES, sales_queue(), Builtin::FewestCalls.boxed());
    h.agent(1, skilled(SALES, 5).order(1), 0);
    h.agent(2, skilled(SALES, 5).order(2), 0);
    let mut counts = [0_u32; 3];
    for c in 0..10 {
        h.enqueue(c, Q_SALES, CallRequest::new(), c);
        let offer = h.offers()[0];
        counts[offer.agent.0 as usize] += 1;
        h.router.accept(offer.reservation, secs(c)).unwrap();
        h.router.complete(CallId(c), secs(c)).unwrap();
        h.drain();
    }
    assert_eq!(counts[1], 5);
    assert_eq!(counts[2], 5);
}

#[test]
fn ring_progressively_adds_agents_over_time() {
    let mut h = Harness::new(RouterConfig::default());
    let mut q = sales_queue();
    q.ring_timeout = Duration::from_secs(60);
    h.queue(
        Q_SALES,
        q,
        Builtin::RingProgressively {
            step: Duration::from_secs(5),
        }
        .boxed(),
    );
    for id in 1..=3 {
        h.agent(id, skilled(SALES, 5).order(id), 0);
    }
    h.enqueue(1, Q_SALES, CallRequest::new(), 0);
    assert_eq!(h.offers().len(), 1);
    h.advance(5);
    assert_eq!(h.offers()[0].agent, AgentId(2));
    h.advance(10);
    let third = h.offers()[0];
    assert_eq!(third.agent, AgentId(3));
    h.router.accept(third.reservation, secs(11)).unwrap();
    let cancelled = h
        .drain()
        .into_iter()
        .filter(|o| matches!(o, Output::OfferCancelled { .. }))
        .count();
    assert_eq!(cancelled, 2);
}

#[test]
fn logout_returns_ringing_calls_to_the_queue() {
    let mut h = Harness::new(RouterConfig::default());
    h.queue(Q_SALES, sales_queue(), Builtin::Linear.boxed());
    h.agent(1, skilled(SALES, 5).order(1), 0);
    h.enqueue(1, Q_SALES, CallRequest::new(), 1);
    assert_eq!(h.offers()[0].agent, AgentId(1));
    h.agent(2, skilled(SALES, 5).order(2), 2);
    h.router.remove_agent(AgentId(1), secs(3)).unwrap();
    let outputs = h.drain();
    assert!(matches!(
        outputs[0],
        Output::OfferCancelled {
            reason: CancelReason::AgentGone,
            ..
        }
    ));
    assert!(matches!(outputs[1], Output::Offer(o) if o.agent == AgentId(2)));
}

#[test]
fn weighted_cross_queue_policy_scales_waits() {
    // Support waits 40 s, sales 30 s; sales has weight 2, so 60 > 40 wins.
    let mut h = Harness::new(with(|c| {
        c.cross_queue = CrossQueuePolicy::new(CrossQueueOrder::Weighted, None);
    }));
    let mut sales = sales_queue();
    sales.weight = 2;
    h.queue(Q_SALES, sales, Builtin::LongestIdle.boxed());
    h.queue(
        Q_SUPPORT,
        QueueConfig::new(SUPPORT),
        Builtin::LongestIdle.boxed(),
    );
    h.router
        .add_agent(
            AgentId(1),
            skilled(SALES, 5).skill(SUPPORT, lvl(5)),
            secs(0),
        )
        .unwrap();
    h.enqueue(1, Q_SUPPORT, CallRequest::new(), 0);
    h.enqueue(2, Q_SALES, CallRequest::new(), 10);
    h.router.set_ready(AgentId(1), true, secs(40)).unwrap();
    assert_eq!(h.offers()[0].call, CallId(2));

    // Longest wait ignores the weight.
    let mut h = Harness::new(RouterConfig::default());
    let mut sales = sales_queue();
    sales.weight = 2;
    h.queue(Q_SALES, sales, Builtin::LongestIdle.boxed());
    h.queue(
        Q_SUPPORT,
        QueueConfig::new(SUPPORT),
        Builtin::LongestIdle.boxed(),
    );
    h.router
        .add_agent(
            AgentId(1),
            skilled(SALES, 5).skill(SUPPORT, lvl(5)),
            secs(0),
        )
        .unwrap();
    h.enqueue(1, Q_SUPPORT, CallRequest::new(), 0);
    h.enqueue(2, Q_SALES, CallRequest::new(), 10);
    h.router.set_ready(AgentId(1), true, secs(40)).unwrap();
    assert_eq!(h.offers()[0].call, CallId(1));
}

#[test]
fn order_by_custom_attributes() {
    // Cheapest agent first (attribute 0 = cost), then highest level.
    let strategy = OrderBy::new(&[
        (Attribute::Custom(0), Direction::Ascending),
        (Attribute::Level, Direction::Descending),
    ])
    .unwrap();
    let agents = vec![
        (1, skilled(SALES, 9).attributes(vec![30])),
        (2, skilled(SALES, 4).attributes(vec![10])),
        (3, skilled(SALES, 8).attributes(vec![10])),
    ];
    assert_eq!(first_offered(Box::new(strategy), &agents), vec![3, 2, 1]);
    assert!(OrderBy::new(&[]).is_err());
}

#[test]
fn minimum_levels_are_indexed_on_first_use() {
    // No bullseye and a strategy that ignores levels: the per-level index is
    // built when the first call with a minimum level arrives, and kept up to
    // date afterwards.
    let mut h = Harness::new(RouterConfig::default());
    h.queue(Q_SALES, sales_queue(), Builtin::LongestIdle.boxed());
    h.agent(1, skilled(SALES, 2), 0);
    h.agent(2, skilled(SALES, 7), 1);
    h.agent(3, skilled(SALES, 9), 2);
    h.enqueue(1, Q_SALES, CallRequest::new().min_level(lvl(5)), 10);
    assert_eq!(
        h.offers()[0].agent,
        AgentId(2),
        "longest idle among level >= 5"
    );
    h.enqueue(2, Q_SALES, CallRequest::new().min_level(lvl(8)), 11);
    assert_eq!(h.offers()[0].agent, AgentId(3));
    h.enqueue(3, Q_SALES, CallRequest::new().min_level(lvl(8)), 12);
    assert!(h.offers().is_empty(), "nobody at level 8 is free");
    h.agent(4, skilled(SALES, 10), 13);
    assert_eq!(h.offers()[0].agent, AgentId(4));
    h.enqueue(4, Q_SALES, CallRequest::new(), 14);
    assert_eq!(h.offers()[0].agent, AgentId(1));
}

/// A call id reused after the first call left must not inherit the first
/// call's timers: its maximum wait counts from its own arrival.
#[test]
fn reused_call_id_does_not_inherit_old_timers() {
    let mut h = Harness::new(RouterConfig::default());
    let mut config = sales_queue();
    config.max_wait = Some(Duration::from_secs(60));
    config.announce_every = Some(Duration::from_secs(25));
    h.queue(Q_SALES, config, Builtin::LongestIdle.boxed());
    // Call 2's earlier timers keep call 1's behind them in the heap.
    h.enqueue(2, Q_SALES, CallRequest::new(), 0);
    h.enqueue(1, Q_SALES, CallRequest::new(), 0);
    h.router.abandon(CallId(1), secs(1)).unwrap();
    h.enqueue(1, Q_SALES, CallRequest::new(), 50);
    h.drain();
    h.advance(61);
    let outputs = h.drain();
    assert!(
        !outputs.contains(&Output::TimedOut {
            call: CallId(1),
            queue: Q_SALES
        }),
        "the first call's max-wait timer ended the second call: {outputs:?}"
    );
    // Call 1's own announcement is due at 75: none from the first visit.
    let announcements = outputs
        .iter()
        .filter(|o| {
            matches!(
                o,
                Output::Position {
                    call: CallId(1),
                    ..
                }
            )
        })
        .count();
    assert_eq!(announcements, 0, "{outputs:?}");
    assert_eq!(
        h.router.call_status(CallId(1)),
        Some(CallStatus::Waiting { queue: Q_SALES })
    );
    h.advance(110);
    assert!(h.drain().contains(&Output::TimedOut {
        call: CallId(1),
        queue: Q_SALES
    }));
}

/// A ring-progressively call whose only offer is declined and that is
/// offered again still adds one agent per step, not one per step for every
/// time it was offered afresh.
#[test]
fn ring_progressively_keeps_one_pace_after_a_decline() {
    let mut h = Harness::new(RouterConfig::default());
    let mut q = sales_queue();
    q.ring_timeout = Duration::from_secs(600);
    h.queue(
        Q_SALES,
        q,
        Builtin::RingProgressively {
            step: Duration::from_secs(10),
        }
        .boxed(),
    );
    for id in 1..=8 {
        h.agent(id, skilled(SALES, 5).order(id), 0);
    }
    h.enqueue(1, Q_SALES, CallRequest::new(), 0);
    let first = h.offers();
    assert_eq!(first.len(), 1);
    // Declined at 1 s: the call rings the next agent at once.
    h.router.reject(first[0].reservation, secs(1)).unwrap();
    assert_eq!(h.offers().len(), 1);
    // From then on, one more agent per 10 s step.
    h.advance(30);
    let added = h.offers().len();
    assert!(added <= 3, "{added} agents added in 29 s with a 10 s step");
}

/// `waiting_calls` then `restore` (in the order saved) keeps the queue
/// order, FIFO among calls with equal keys included (same arrival instant,
/// same priority), a callback's flag, and a higher-priority call's boost.
#[test]
fn restore_round_trip_keeps_fifo_among_equal_keys() {
    let mut a = Harness::new(RouterConfig::default());
    a.queue(Q_SALES, sales_queue(), Builtin::LongestIdle.boxed());
    // Arrival order 5, 3, 9, 1 at the same instant; 7 later with a boost.
    for call in [5, 3, 9, 1] {
        a.enqueue(call, Q_SALES, CallRequest::new(), 10);
    }
    a.enqueue(7, Q_SALES, CallRequest::new().priority(1), 40);
    a.router.request_callback(CallId(9)).unwrap();
    let saved = a.router.waiting_calls();
    let order: Vec<u64> = saved.iter().map(|w| w.call.0).collect();
    assert_eq!(order, vec![7, 5, 3, 9, 1]);

    let mut b = Harness::new(RouterConfig::default());
    b.queue(Q_SALES, sales_queue(), Builtin::LongestIdle.boxed());
    for w in &saved {
        b.router.restore(w, secs(100)).unwrap();
    }
    assert_eq!(b.router.waiting_calls(), saved);
    b.agent(1, skilled(SALES, 5), 100);
    let mut served = Vec::new();
    let mut t = 100;
    loop {
        let offers = b.offers();
        let Some(offer) = offers.first() else { break };
        assert_eq!(offer.callback, offer.call == CallId(9));
        served.push(offer.call.0);
        b.router.accept(offer.reservation, secs(t)).unwrap();
        t += 1;
        b.router.complete(offer.call, secs(t)).unwrap();
    }
    assert_eq!(served, order);
}

/// An agent configuration that lists a channel twice (the fields are
/// public) is refused with a typed error: it used to be checked on one
/// entry and charged on the other, so one voice line took every call.
#[test]
fn a_channel_listed_twice_is_refused() {
    let mut h = Harness::new(RouterConfig::default());
    h.queue(Q_SALES, sales_queue(), Builtin::LongestIdle.boxed());
    let mut config = skilled(SALES, 5);
    config.capacity.push((Channel::VOICE, 1));
    assert_eq!(
        h.router.add_agent(AgentId(1), config, secs(0)),
        Err(call_routing::error::AgentError::DuplicateChannel {
            agent: AgentId(1),
            channel: Channel::VOICE
        })
    );
    // The builder sets a channel's capacity, never lists it twice.
    let config = skilled(SALES, 5)
        .capacity(Channel::VOICE, 2)
        .capacity(Channel::VOICE, 1);
    h.agent(1, config, 0);
    for call in 0..5 {
        h.enqueue(call, Q_SALES, CallRequest::new(), 1);
    }
    assert_eq!(h.offers().len(), 1);
}

/// Runs `f` on another thread and fails if it does not finish in 10 s.
fn within_10s<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(10))
        .expect("the router hung")
}

/// A zero announcement period would re-arm the announcement timer at the
/// instant it fires, so `handle_timeout` would never return: such a queue
/// is refused.
#[test]
fn zero_announcement_period_does_not_hang() {
    let accepted = within_10s(|| {
        let mut router = Router::new(RouterConfig::default());
        let mut config = sales_queue();
        config.announce_every = Some(Duration::ZERO);
        if router
            .add_queue(Q_SALES, config, Builtin::LongestIdle.boxed(), secs(0))
            .is_err()
        {
            return false;
        }
        router
            .enqueue(CallId(1), Q_SALES, CallRequest::new(), secs(1))
            .unwrap();
        router.handle_timeout(secs(1));
        true
    });
    assert!(!accepted, "a zero announcement period was accepted");
}

/// A ring-progressively step of zero would re-arm the progressive timer at
/// the instant it fires while fewer agents than the ring-all limit are
/// free: `handle_timeout` would never return. Such a queue is refused.
#[test]
fn zero_progressive_step_does_not_hang() {
    let accepted = within_10s(|| {
        let mut router = Router::new(RouterConfig::default());
        let strategy = Builtin::RingProgressively {
            step: Duration::ZERO,
        };
        if router
            .add_queue(Q_SALES, sales_queue(), strategy.boxed(), secs(0))
            .is_err()
        {
            return false;
        }
        router
            .add_agent(AgentId(1), skilled(SALES, 5), secs(0))
            .unwrap();
        router.set_ready(AgentId(1), true, secs(0)).unwrap();
        router
            .enqueue(CallId(1), Q_SALES, CallRequest::new(), secs(1))
            .unwrap();
        router.handle_timeout(secs(1));
        true
    });
    assert!(!accepted, "a zero progressive step was accepted");
}

/// `waiting_calls` exports what a call requires now: after a bullseye ring
/// lowered its level and dropped its extra skill, a restored call must be as
/// relaxed as the live one. It used to export the requested level with the
/// dropped skills, a mix that neither the caller nor the live router had,
/// so the restored call waited for a level it no longer needed.
#[test]
fn restore_keeps_the_bullseye_relaxed_requirements() {
    let queue = || {
        let mut q = sales_queue();
        let mut ring = BullseyeRing::new(Duration::from_secs(5), Level::MIN);
        ring.drop_extra_skills = true;
        q.bullseye = vec![ring];
        q
    };
    let mut a = Harness::new(RouterConfig::default());
    a.queue(Q_SALES, queue(), Builtin::LongestIdle.boxed());
    let request = CallRequest::new().min_level(lvl(8)).skill(FRENCH, lvl(5));
    a.enqueue(1, Q_SALES, request, 0);
    a.advance(6);
    let saved = a.router.waiting_calls();
    assert_eq!(saved.len(), 1);

    // The live router offers it at once to a level-1 agent without French.
    let mut live = a;
    live.agent(7, skilled(SALES, 1), 6);
    assert_eq!(live.offers().len(), 1, "the live call is relaxed");

    let mut b = Harness::new(RouterConfig::default());
    b.queue(Q_SALES, queue(), Builtin::LongestIdle.boxed());
    b.router.restore(&saved[0], secs(6)).unwrap();
    b.agent(7, skilled(SALES, 1), 6);
    assert_eq!(b.offers().len(), 1, "the restored call is as relaxed");
}

/// Runs `f` on its own thread and fails if it has not returned within ten
/// seconds (a hang), instead of hanging the test run.
fn returns_in_time(f: impl FnOnce() + Send + 'static) {
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        f();
        let _ = done.send(());
    });
    assert!(
        finished.recv_timeout(Duration::from_secs(10)).is_ok(),
        "did not return within 10 s"
    );
}

/// A periodic timer re-armed at `now + period` saturates at the end of time:
/// at `Timestamp::MAX` the new deadline is `now` again, so `handle_timeout`
/// fired the announcement (or the next progressive ring) forever.
#[test]
fn periodic_timers_end_at_the_end_of_time() {
    returns_in_time(|| {
        let mut h = Harness::new(RouterConfig::default());
        let mut q = sales_queue();
        q.announce_every = Some(Duration::from_secs(30));
        h.queue(Q_SALES, q, Builtin::LongestIdle.boxed());
        h.enqueue(1, Q_SALES, CallRequest::new(), 0);
        h.router.handle_timeout(Timestamp::MAX);
        h.drain();
        // Nothing is left due at the end of time.
        assert!(h.router.poll_timeout().is_none_or(|t| t < Timestamp::MAX));
    });
    returns_in_time(|| {
        let mut h = Harness::new(RouterConfig::default());
        let step = Duration::from_secs(5);
        h.queue(
            Q_SALES,
            sales_queue(),
            Builtin::RingProgressively { step }.boxed(),
        );
        h.agent(7, skilled(SALES, 1), 0);
        h.enqueue(1, Q_SALES, CallRequest::new(), 0);
        assert_eq!(h.offers().len(), 1);
        h.router.handle_timeout(Timestamp::MAX);
        h.drain();
    });
}

/// Two queues overflowing to each other pass a call back and forth once per
/// maximum wait. At the end of time each new deadline saturated to `now`, so
/// one `handle_timeout` passed it back and forth forever; with a zero wait
/// it did at any time. Deadlines at `Timestamp::MAX` are now never armed,
/// and a zero maximum wait is refused.
#[test]
fn overflow_cycles_end() {
    let queue = |to: QueueId| {
        let mut q = sales_queue();
        q.max_wait = Some(Duration::from_secs(60));
        q.overflow = Some(OverflowTarget::Queue(to));
        q
    };
    returns_in_time(move || {
        let mut h = Harness::new(RouterConfig::default());
        h.queue(Q_SALES, queue(Q_SUPPORT), Builtin::LongestIdle.boxed());
        h.queue(Q_SUPPORT, queue(Q_SALES), Builtin::LongestIdle.boxed());
        h.enqueue(1, Q_SALES, CallRequest::new(), 0);
        h.router.handle_timeout(Timestamp::MAX);
        let overflows = h
            .drain()
            .into_iter()
            .filter(|o| matches!(o, Output::Overflow { .. }))
            .count();
        assert_eq!(overflows, 1, "one overflow, then no deadline is left");
        assert_eq!(h.router.poll_timeout(), None);
        assert!(matches!(
            h.router.call_status(CallId(1)),
            Some(CallStatus::Waiting { queue: Q_SUPPORT })
        ));
    });
    let mut router = Router::new(RouterConfig::default());
    let mut zero = queue(Q_SUPPORT);
    zero.max_wait = Some(Duration::ZERO);
    assert!(
        router
            .add_queue(Q_SALES, zero, Builtin::LongestIdle.boxed(), secs(0))
            .is_err(),
        "a zero maximum wait was accepted"
    );
}
