//! Scripted calls shared by the integration tests.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

pub mod model;

use call_core::call::{Call, CallLimits};
use call_core::cause::Q850Cause;
use call_core::cdr::{CallDetailRecord, CdrBuilder};
use call_core::event::CallEvent;
use call_core::id::{AgentId, CallId, LegId, ParkSlot, QueueId};
use call_core::party::{Address, Party};
use call_core::time::Timestamp;

/// 2023-11-14T22:00:00Z: aligned to whole hours.
pub const BASE: u64 = 1_699_999_200_000;

pub fn t(secs: u64) -> Timestamp {
    Timestamp::from_millis(BASE + secs * 1000)
}

pub fn addr(s: &str) -> Address {
    Address::new(s).unwrap()
}

/// Drives a call and records every event it emits.
pub struct Recorder {
    pub call: Call,
    pub cdr: CdrBuilder,
    pub events: Vec<CallEvent>,
}

impl Recorder {
    pub fn inbound(id: u64, start: u64, caller: &str) -> Self {
        let call = Call::inbound(
            CallId(id),
            t(start),
            addr(caller),
            Some(addr("+18005550199")),
            CallLimits::default(),
        );
        Recorder {
            call,
            cdr: CdrBuilder::new(CallId(id)),
            events: Vec::new(),
        }
    }

    pub fn outbound(id: u64, start: u64, callee: &str) -> Self {
        let call = Call::outbound(
            CallId(id),
            t(start),
            addr(callee),
            Some(addr("+18005550199")),
            CallLimits::default(),
        );
        Recorder {
            call,
            cdr: CdrBuilder::new(CallId(id)),
            events: Vec::new(),
        }
    }

    pub fn drain(&mut self) {
        while let Some(event) = self.call.poll_event() {
            self.cdr.observe(&event).unwrap();
            self.events.push(event);
        }
    }

    pub fn finish(mut self) -> CallDetailRecord {
        self.drain();
        self.cdr.finish(&self.call).unwrap()
    }
}

/// Inbound: IVR (2 nodes) 0..20 s, queue 1 from 20 s, agent 7 rings and
/// does not answer (ring-no-answer at 20 s), back to queue, agent 8 answers
/// at 60 s (rang 5 s), holds the customer 90..120 s, consults agent 9
/// (attended) and completes at 150 s; agent 9 talks until 300 s; wrap-ups
/// 8: 150..180 s (ended by the agent), 9: 300..360 s (expired). Survey 9.
pub fn transferred_call(id: u64, start: u64) -> CallDetailRecord {
    transferred_call_recorder(id, start).finish()
}

/// The same call, closed but not finished, with its events.
pub fn transferred_call_recorder(id: u64, start: u64) -> Recorder {
    let s = |x: u64| t(start + x);
    let mut r = Recorder::inbound(id, start, "+15550100");
    let c = LegId(0);
    r.call.set_attribute("crm_id", "CRM-1").unwrap();
    r.call.answer(s(1), c).unwrap();
    r.cdr.ivr_node("welcome").unwrap();
    r.cdr.ivr_node("billing_menu").unwrap();
    r.call.enqueue(s(20), QueueId(1)).unwrap();
    let a7 = r.call.offer(s(25), AgentId(7)).unwrap();
    r.call.handle_alerting(s(25), a7, false).unwrap();
    r.drain();
    assert_eq!(r.call.poll_timeout(), Some(s(45)));
    r.call.handle_timeout(s(45));
    let a8 = r.call.offer(s(55), AgentId(8)).unwrap();
    r.call.handle_alerting(s(55), a8, false).unwrap();
    r.call.handle_answered(s(60), a8).unwrap();
    r.call.hold(s(90), c).unwrap();
    r.call.retrieve(s(120), c).unwrap();
    let a9 = r
        .call
        .consult(s(130), a8, Party::Agent(AgentId(9)))
        .unwrap();
    r.call.handle_alerting(s(131), a9, false).unwrap();
    r.call.handle_answered(s(135), a9).unwrap();
    r.call.complete_transfer(s(150)).unwrap();
    r.drain();
    r.call.end_wrap_up(s(180), a8).unwrap();
    r.cdr.speech(c, s(61), s(80)).unwrap();
    r.cdr.speech(a8, s(75), s(89)).unwrap();
    r.call
        .handle_cleared(s(300), c, Q850Cause::NORMAL_CLEARING)
        .unwrap();
    r.cdr.disposition_code("billing_resolved").unwrap();
    r.cdr.note("customer asked about invoice 42").unwrap();
    r.cdr.survey_score(9).unwrap();
    r.drain();
    r.call.handle_timeout(s(360));
    r.drain();
    r
}

/// Inbound, answered, queue 2 at 5 s; agent 1 rings and deflects to agent 2
/// at 8 s, who answers at 10 s, conferences in a supervisor (agent 3, via
/// consultation 20..30 s), removes them at 60 s, parks the customer at 70 s
/// (slot 701); agent 4 picks up at 90 s and hangs up at 120 s; the
/// customer hangs up at 121 s; wrap-ups expire. Agent 3's wrap-up deadline
/// (120 s) is only handled at the next wake-up, after the hang-up input at
/// 121 s, so it is stamped 121 s: expiries are never stamped before an
/// input already applied.
pub fn conference_park_call(id: u64) -> CallDetailRecord {
    conference_park_recorder(id).finish()
}

/// The same call, closed, with its events.
pub fn conference_park_recorder(id: u64) -> Recorder {
    let mut r = Recorder::inbound(id, 0, "+15550105");
    let c = LegId(0);
    r.call.answer(t(0), c).unwrap();
    r.call.enqueue(t(5), QueueId(2)).unwrap();
    let a1 = r.call.offer(t(6), AgentId(1)).unwrap();
    r.call.handle_alerting(t(6), a1, false).unwrap();
    let a2 = r
        .call
        .deflect(t(8), a1, Party::Agent(AgentId(2)))
        .unwrap()
        .unwrap();
    r.call.handle_answered(t(10), a2).unwrap();
    let a3 = r.call.consult(t(20), a2, Party::Agent(AgentId(3))).unwrap();
    r.call.handle_answered(t(25), a3).unwrap();
    r.call.conference(t(30)).unwrap();
    r.call.mute(t(31), a3).unwrap();
    r.call.remove_participant(t(60), a3).unwrap();
    r.call.park(t(70), a2, ParkSlot(701)).unwrap();
    let a4 = r
        .call
        .pickup(t(90), ParkSlot(701), Party::Agent(AgentId(4)))
        .unwrap();
    r.call.handle_remote_hold(t(100), c, true).unwrap();
    r.call.handle_remote_hold(t(105), c, false).unwrap();
    r.call
        .hangup(t(120), a4, Q850Cause::NORMAL_CLEARING)
        .unwrap();
    r.call
        .handle_cleared(t(121), c, Q850Cause::NORMAL_CLEARING)
        .unwrap();
    r.drain();
    while let Some(deadline) = r.call.poll_timeout() {
        r.call.handle_timeout(deadline);
        r.drain();
    }
    r
}

/// Inbound, answered by IVR, queued at `queue_at`, abandons at `hangup_at`.
pub fn abandoned_in_queue(
    id: u64,
    start: u64,
    caller: &str,
    queue: u32,
    queue_at: u64,
    hangup_at: u64,
) -> CallDetailRecord {
    let s = |x: u64| t(start + x);
    let mut r = Recorder::inbound(id, start, caller);
    r.call.answer(s(0), LegId(0)).unwrap();
    r.call.enqueue(s(queue_at), QueueId(queue)).unwrap();
    r.call
        .handle_cleared(s(hangup_at), LegId(0), Q850Cause::NORMAL_CLEARING)
        .unwrap();
    r.finish()
}

/// Inbound, queued at `queue_at`, answered by `agent` at `answer_at`, held
/// for `hold` seconds right after answering, talks until `end_at`, wrap-up
/// `wrap` seconds; one disposition code.
#[allow(clippy::too_many_arguments)]
pub fn handled(
    id: u64,
    start: u64,
    caller: &str,
    queue: u32,
    agent: u32,
    queue_at: u64,
    answer_at: u64,
    hold: u64,
    end_at: u64,
    wrap: u64,
    code: &str,
) -> CallDetailRecord {
    let s = |x: u64| t(start + x);
    let mut r = Recorder::inbound(id, start, caller);
    r.call.answer(s(0), LegId(0)).unwrap();
    r.call.enqueue(s(queue_at), QueueId(queue)).unwrap();
    let leg = r.call.offer(s(answer_at), AgentId(agent)).unwrap();
    r.call.handle_answered(s(answer_at), leg).unwrap();
    if hold > 0 {
        r.call.hold(s(answer_at), LegId(0)).unwrap();
        r.call.retrieve(s(answer_at + hold), LegId(0)).unwrap();
    }
    r.call
        .hangup(s(end_at), leg, Q850Cause::NORMAL_CLEARING)
        .unwrap();
    r.call
        .hangup(s(end_at), LegId(0), Q850Cause::NORMAL_CLEARING)
        .unwrap_or(());
    r.cdr.disposition_code(code).unwrap();
    r.drain();
    r.call.end_wrap_up(s(end_at + wrap), leg).unwrap();
    r.finish()
}

/// Outbound to a busy number.
pub fn outbound_busy(id: u64, start: u64) -> CallDetailRecord {
    let mut r = Recorder::outbound(id, start, "+15550111");
    r.call
        .handle_failed(t(start + 3), LegId(0), Q850Cause::USER_BUSY)
        .unwrap();
    r.finish()
}

/// Inbound, queued, the customer asks for a callback at 30 s.
pub fn callback_recorder(id: u64) -> Recorder {
    let mut r = Recorder::inbound(id, 0, "+15550106");
    r.call.ring(t(0), LegId(0), true).unwrap();
    r.call.answer(t(1), LegId(0)).unwrap();
    r.call.enqueue(t(2), QueueId(1)).unwrap();
    r.call.request_callback(t(30)).unwrap();
    r.drain();
    r
}

/// A previewed outbound call, dialled at 10 s, rejected with 404 at 12 s.
pub fn preview_failed_recorder(id: u64) -> Recorder {
    let call = Call::preview(
        CallId(id),
        t(0),
        addr("+15550107"),
        None,
        CallLimits::default(),
    );
    let mut r = Recorder {
        call,
        cdr: CdrBuilder::new(CallId(id)),
        events: Vec::new(),
    };
    r.call.dial(t(10), LegId(0)).unwrap();
    let cause = call_core::cause::SipStatus::NOT_FOUND.to_q850().unwrap();
    r.call.handle_failed(t(12), LegId(0), cause).unwrap();
    r.drain();
    r
}
