//! Contact-center KPIs, folded incrementally from call detail records and
//! agent state changes, per interval, per queue and per agent.
//!
//! Every KPI is a ratio of integer counters kept per bucket, so buckets add
//! up exactly (a day is the sum of its intervals) and nothing is
//! recomputed. The formulas, their sources and the attribution rules are in
//! `docs/kpis.md`; the short version:
//!
//! | KPI | formula |
//! |---|---|
//! | AHT | (talk + hold + wrap-up) / handled |
//! | ASA | Σ(agent answer − first queue entry) / answered |
//! | service level | one of three [`ServiceLevelDefinition`]s |
//! | abandonment rate | abandoned / offered, short abandons excluded from both |
//! | FCR | (handled − handled followed by a repeat contact within the window) / handled |
//! | occupancy | (reserved + busy + after-call work) / (that + ready) |
//! | transfer rate | handled with a transfer / handled |
//! | hold rate, average hold | handled with hold / handled; hold time / handled with hold |
//! | conversion | handled with a conversion code / handled |
//! | CSAT | satisfied surveys / surveys |
//! | talk-to-listen | agent speech / customer speech |
//! | overtalk | simultaneous speech / connected time (calls with speech data) |

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::AddAssign;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::agent::{AgentState, AgentStateChanged};
use crate::cdr::{CallDetailRecord, CdrSink, SpeechInterval};
use crate::disposition::AbandonPhase;
use crate::error::AgentChangeError;
use crate::id::{AgentId, LegId, QueueId};
use crate::leg::Direction;
use crate::time::Timestamp;

/// Which calls the service level counts (the industry uses all three).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceLevelDefinition {
    /// Answered within the threshold / answered. Abandons are ignored.
    AnsweredWithinOverAnswered,
    /// (Answered within + abandoned within the threshold) / (answered +
    /// abandoned). An early abandon counts as service met.
    AnsweredAndAbandonedWithin,
    /// Answered within the threshold / offered (queued). Every abandon
    /// counts as service missed.
    AnsweredWithinOverOffered,
}

/// What the KPI engine needs to know. Build with [`KpiConfig::default`] and
/// change fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KpiConfig {
    /// Reporting interval (default 15 minutes; at least 1 ms).
    pub interval: Duration,
    /// Service level threshold (default 20 s: the classic 80/20).
    pub service_level_threshold: Duration,
    /// Which service level formula to use (default answered within / offered).
    pub service_level: ServiceLevelDefinition,
    /// Abandons quicker than this are short abandons, excluded from offered
    /// and abandoned (default 5 s; zero disables).
    pub short_abandon: Duration,
    /// A contact followed by another from the same customer within this
    /// window was not resolved at first contact (default 7 days).
    pub repeat_window: Duration,
    /// Disposition codes that count as a conversion (a sale, a booking).
    pub conversion_codes: Vec<String>,
    /// The lowest survey score that counts as satisfied (default 4, for a
    /// 1..=5 scale).
    pub csat_satisfied_min: u8,
    /// The most reporting intervals one agent state change may cover
    /// (default 10,000: 104 days of 15-minute intervals). The engine keeps a
    /// counter block (about 450 bytes) per interval an agent state covers,
    /// so a longer span is refused with [`AgentChangeError::SpanTooLong`]
    /// instead of allocating without bound. Logged-out spans are not agent
    /// time and are never refused.
    pub max_agent_state_intervals: u32,
}

impl Default for KpiConfig {
    fn default() -> Self {
        KpiConfig {
            interval: Duration::from_secs(15 * 60),
            service_level_threshold: Duration::from_secs(20),
            service_level: ServiceLevelDefinition::AnsweredWithinOverOffered,
            short_abandon: Duration::from_secs(5),
            repeat_window: Duration::from_secs(7 * 24 * 3600),
            conversion_codes: Vec::new(),
            csat_satisfied_min: 4,
            max_agent_state_intervals: 10_000,
        }
    }
}

/// Raw counters of one bucket. Times are milliseconds. Public so hosts can
/// store and add them; [`Counters::kpis`] turns them into ratios.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Counters {
    /// Calls that entered a queue, short abandons excluded.
    pub offered: u64,
    /// Offered calls an agent answered.
    pub answered: u64,
    /// ... within the service level threshold.
    pub answered_within: u64,
    /// Offered calls the customer abandoned (in queue or while an agent rang).
    pub abandoned: u64,
    /// ... within the service level threshold.
    pub abandoned_within: u64,
    /// Abandons quicker than the short-abandon threshold (not in `offered`).
    pub short_abandons: u64,
    /// Customers who hung up in self-service before reaching a queue.
    pub self_service_abandons: u64,
    /// Σ speed of answer of answered calls.
    pub speed_of_answer_ms: u64,
    /// Σ time to abandon of abandoned calls.
    pub time_to_abandon_ms: u64,
    /// Contacts handled by an agent (per agent: that agent's handled contacts).
    pub handled: u64,
    /// Σ talk time (connected minus hold).
    pub talk_ms: u64,
    /// Σ hold time while an agent was connected.
    pub hold_ms: u64,
    /// Σ after-call work.
    pub wrap_up_ms: u64,
    /// Handled contacts with at least one hold.
    pub held: u64,
    /// Handled contacts that were transferred.
    pub transferred: u64,
    /// Handled contacts with a conversion code.
    pub converted: u64,
    /// Answered surveys.
    pub surveys: u64,
    /// Σ survey scores.
    pub survey_score_sum: u64,
    /// Surveys at or above the satisfied score.
    pub satisfied: u64,
    /// Handled contacts counted for first-contact resolution.
    pub fcr_contacts: u64,
    /// ... that were followed by a repeat contact within the window.
    pub fcr_repeats: u64,
    /// Σ agent speech.
    pub agent_speech_ms: u64,
    /// Σ customer speech while the agent was connected.
    pub customer_speech_ms: u64,
    /// Σ time both spoke at once.
    pub overtalk_ms: u64,
    /// Σ connected time of handled contacts that had speech data.
    pub speech_conversation_ms: u64,
    /// Agent time ready (available).
    pub ready_ms: u64,
    /// Agent time reserved, busy or in after-call work.
    pub occupied_ms: u64,
    /// Agent time not ready.
    pub not_ready_ms: u64,
}

impl AddAssign<&Counters> for Counters {
    // Saturating: counters may come back from a host's store.
    fn add_assign(&mut self, o: &Counters) {
        self.offered = self.offered.saturating_add(o.offered);
        self.answered = self.answered.saturating_add(o.answered);
        self.answered_within = self.answered_within.saturating_add(o.answered_within);
        self.abandoned = self.abandoned.saturating_add(o.abandoned);
        self.abandoned_within = self.abandoned_within.saturating_add(o.abandoned_within);
        self.short_abandons = self.short_abandons.saturating_add(o.short_abandons);
        self.self_service_abandons = self
            .self_service_abandons
            .saturating_add(o.self_service_abandons);
        self.speed_of_answer_ms = self.speed_of_answer_ms.saturating_add(o.speed_of_answer_ms);
        self.time_to_abandon_ms = self.time_to_abandon_ms.saturating_add(o.time_to_abandon_ms);
        self.handled = self.handled.saturating_add(o.handled);
        self.talk_ms = self.talk_ms.saturating_add(o.talk_ms);
        self.hold_ms = self.hold_ms.saturating_add(o.hold_ms);
        self.wrap_up_ms = self.wrap_up_ms.saturating_add(o.wrap_up_ms);
        self.held = self.held.saturating_add(o.held);
        self.transferred = self.transferred.saturating_add(o.transferred);
        self.converted = self.converted.saturating_add(o.converted);
        self.surveys = self.surveys.saturating_add(o.surveys);
        self.survey_score_sum = self.survey_score_sum.saturating_add(o.survey_score_sum);
        self.satisfied = self.satisfied.saturating_add(o.satisfied);
        self.fcr_contacts = self.fcr_contacts.saturating_add(o.fcr_contacts);
        self.fcr_repeats = self.fcr_repeats.saturating_add(o.fcr_repeats);
        self.agent_speech_ms = self.agent_speech_ms.saturating_add(o.agent_speech_ms);
        self.customer_speech_ms = self.customer_speech_ms.saturating_add(o.customer_speech_ms);
        self.overtalk_ms = self.overtalk_ms.saturating_add(o.overtalk_ms);
        self.speech_conversation_ms = self
            .speech_conversation_ms
            .saturating_add(o.speech_conversation_ms);
        self.ready_ms = self.ready_ms.saturating_add(o.ready_ms);
        self.occupied_ms = self.occupied_ms.saturating_add(o.occupied_ms);
        self.not_ready_ms = self.not_ready_ms.saturating_add(o.not_ready_ms);
    }
}

fn ratio(num: u64, den: u64) -> Option<f64> {
    // u64 -> f64 is exact below 2^53 ms (285,000 years).
    (den != 0).then(|| num as f64 / den as f64)
}

fn secs(ms: u64, den: u64) -> Option<f64> {
    ratio(ms, den).map(|v| v / 1000.0)
}

/// KPIs of a bucket. `None` where the denominator is zero.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Kpis {
    /// Average handle time, seconds.
    pub aht_secs: Option<f64>,
    /// Average speed of answer, seconds.
    pub asa_secs: Option<f64>,
    /// Service level (0..=1) by the configured definition.
    pub service_level: Option<f64>,
    /// Abandonment rate (0..=1).
    pub abandonment_rate: Option<f64>,
    /// Average time to abandon, seconds.
    pub average_time_to_abandon_secs: Option<f64>,
    /// First-contact resolution rate (0..=1).
    pub fcr_rate: Option<f64>,
    /// Transfer rate (0..=1).
    pub transfer_rate: Option<f64>,
    /// Share of handled contacts with hold (0..=1).
    pub hold_rate: Option<f64>,
    /// Average hold per contact that had hold, seconds.
    pub average_hold_secs: Option<f64>,
    /// Conversion rate (0..=1).
    pub conversion_rate: Option<f64>,
    /// CSAT: satisfied share of answered surveys (0..=1).
    pub csat: Option<f64>,
    /// Mean survey score.
    pub average_survey_score: Option<f64>,
    /// Agent speech / customer speech.
    pub talk_to_listen: Option<f64>,
    /// Overtalk share of connected time (0..=1), calls with speech data.
    pub overtalk_rate: Option<f64>,
    /// Agent occupancy (0..=1), from agent states.
    pub occupancy: Option<f64>,
}

impl Counters {
    /// The KPIs of these counters under `definition`.
    pub fn kpis(&self, definition: ServiceLevelDefinition) -> Kpis {
        let c = self;
        let service_level = match definition {
            ServiceLevelDefinition::AnsweredWithinOverAnswered => {
                ratio(c.answered_within, c.answered)
            }
            ServiceLevelDefinition::AnsweredAndAbandonedWithin => ratio(
                c.answered_within.saturating_add(c.abandoned_within),
                c.answered.saturating_add(c.abandoned),
            ),
            ServiceLevelDefinition::AnsweredWithinOverOffered => {
                ratio(c.answered_within, c.offered)
            }
        };
        Kpis {
            aht_secs: secs(
                c.talk_ms
                    .saturating_add(c.hold_ms)
                    .saturating_add(c.wrap_up_ms),
                c.handled,
            ),
            asa_secs: secs(c.speed_of_answer_ms, c.answered),
            service_level,
            abandonment_rate: ratio(c.abandoned, c.offered),
            average_time_to_abandon_secs: secs(c.time_to_abandon_ms, c.abandoned),
            fcr_rate: ratio(
                c.fcr_contacts - c.fcr_repeats.min(c.fcr_contacts),
                c.fcr_contacts,
            ),
            transfer_rate: ratio(c.transferred, c.handled),
            hold_rate: ratio(c.held, c.handled),
            average_hold_secs: secs(c.hold_ms, c.held),
            conversion_rate: ratio(c.converted, c.handled),
            csat: ratio(c.satisfied, c.surveys),
            average_survey_score: ratio(c.survey_score_sum, c.surveys),
            talk_to_listen: ratio(c.agent_speech_ms, c.customer_speech_ms),
            overtalk_rate: ratio(c.overtalk_ms, c.speech_conversation_ms),
            occupancy: ratio(c.occupied_ms, c.occupied_ms.saturating_add(c.ready_ms)),
        }
    }
}

/// Which bucket a contact's FCR outcome lands in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct FcrEntry {
    at: Timestamp,
    interval: Timestamp,
    queue: Option<QueueId>,
    /// The bucket (interval, agent) of the last handling agent.
    agent: Option<(Timestamp, AgentId)>,
    /// Whether the contact was handled (counts for FCR) and not yet marked repeated.
    open: bool,
}

/// The KPI engine: feed it records and agent state changes in roughly
/// chronological order; read KPIs per interval, queue and agent at any time.
///
/// # Examples
///
/// ```
/// use call_core::kpi::{KpiConfig, KpiEngine};
///
/// let mut engine = KpiEngine::new(KpiConfig::default());
/// // engine.ingest(&record) for each CallDetailRecord,
/// // engine.ingest_agent_change(&change) for each AgentStateChanged.
/// assert_eq!(engine.total().kpis(engine.config().service_level).aht_secs, None);
/// ```
#[derive(Clone, Debug)]
pub struct KpiEngine {
    config: KpiConfig,
    interval_ms: u64,
    queues: BTreeMap<(Timestamp, QueueId), Counters>,
    agents: BTreeMap<(Timestamp, AgentId), Counters>,
    intervals: BTreeMap<Timestamp, Counters>,
    last_contact: HashMap<String, FcrEntry>,
    new_customers_since_prune: u32,
    refused_agent_changes: u64,
}

impl KpiEngine {
    /// New customers remembered for first-contact resolution between two
    /// prunes of those outside the repeat window.
    const PRUNE_EVERY: u32 = 4096;

    /// An engine with `config`.
    pub fn new(config: KpiConfig) -> Self {
        let interval_ms = u64::try_from(config.interval.as_millis())
            .unwrap_or(u64::MAX)
            .max(1);
        KpiEngine {
            config,
            interval_ms,
            queues: BTreeMap::new(),
            agents: BTreeMap::new(),
            intervals: BTreeMap::new(),
            last_contact: HashMap::new(),
            new_customers_since_prune: 0,
            refused_agent_changes: 0,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &KpiConfig {
        &self.config
    }

    /// The start of the interval containing `t`.
    pub fn interval_of(&self, t: Timestamp) -> Timestamp {
        Timestamp::from_millis(t.as_millis() / self.interval_ms * self.interval_ms)
    }

    /// Counters of one queue in one interval.
    pub fn queue(&self, interval: Timestamp, queue: QueueId) -> Option<&Counters> {
        self.queues.get(&(interval, queue))
    }

    /// Counters of one agent in one interval.
    pub fn agent(&self, interval: Timestamp, agent: AgentId) -> Option<&Counters> {
        self.agents.get(&(interval, agent))
    }

    /// Counters of every queue (and non-queued contact) in one interval.
    pub fn interval(&self, interval: Timestamp) -> Option<&Counters> {
        self.intervals.get(&interval)
    }

    /// Counters of one queue summed over `[from, to)` (empty when `from >= to`).
    pub fn queue_range(&self, queue: QueueId, from: Timestamp, to: Timestamp) -> Counters {
        let mut sum = Counters::default();
        if from >= to {
            // Empty, and `BTreeMap::range` panics on a reversed range.
            return sum;
        }
        for (_, c) in self
            .queues
            .range((from, QueueId(0))..(to, QueueId(0)))
            .filter(|((_, q), _)| *q == queue)
        {
            sum += c;
        }
        sum
    }

    /// Counters of one agent summed over `[from, to)` (empty when `from >= to`).
    pub fn agent_range(&self, agent: AgentId, from: Timestamp, to: Timestamp) -> Counters {
        let mut sum = Counters::default();
        if from >= to {
            // Empty, and `BTreeMap::range` panics on a reversed range.
            return sum;
        }
        for (_, c) in self
            .agents
            .range((from, AgentId(0))..(to, AgentId(0)))
            .filter(|((_, a), _)| *a == agent)
        {
            sum += c;
        }
        sum
    }

    /// Everything so far, summed.
    pub fn total(&self) -> Counters {
        let mut sum = Counters::default();
        for c in self.intervals.values() {
            sum += c;
        }
        sum
    }

    /// Every (interval, queue) bucket, in order.
    pub fn queue_buckets(&self) -> impl Iterator<Item = (Timestamp, QueueId, &Counters)> + '_ {
        self.queues.iter().map(|(&(i, q), c)| (i, q, c))
    }

    /// Every (interval, agent) bucket, in order.
    pub fn agent_buckets(&self) -> impl Iterator<Item = (Timestamp, AgentId, &Counters)> + '_ {
        self.agents.iter().map(|(&(i, a), c)| (i, a, c))
    }

    /// Add `f` to the bucket of `interval`/`queue`, and to the interval total.
    fn add_queue(
        &mut self,
        interval: Timestamp,
        queue: Option<QueueId>,
        f: impl Fn(&mut Counters),
    ) {
        f(self.intervals.entry(interval).or_default());
        if let Some(queue) = queue {
            f(self.queues.entry((interval, queue)).or_default());
        }
    }

    /// Fold one call detail record in.
    ///
    /// Any record is accepted, including one read back from a store: an
    /// agent listed twice in [`CallDetailRecord::agents`] handled the
    /// contact once, and sums of far-apart times saturate. The work grows
    /// with the product of the number of agents and the length of each other
    /// list (legs, holds, wrap-ups, speech), never with three lists at once:
    /// about 0.3 s for a record with [`CdrBuilder::MAX_ITEMS`] agents, legs
    /// and transfers.
    ///
    /// [`CdrBuilder::MAX_ITEMS`]: crate::cdr::CdrBuilder::MAX_ITEMS
    pub fn ingest(&mut self, record: &CallDetailRecord) {
        let threshold =
            u64::try_from(self.config.service_level_threshold.as_millis()).unwrap_or(u64::MAX);
        let short = u64::try_from(self.config.short_abandon.as_millis()).unwrap_or(u64::MAX);
        let queue = record.first_queue();
        let queued_at = record.first_queued_at();
        let interval = self.interval_of(queued_at.unwrap_or(record.created_at));

        // Queue outcome.
        if queued_at.is_some() {
            if let Some(wait) = record.time_to_abandon_ms().filter(|_| {
                matches!(
                    record.abandoned,
                    Some(AbandonPhase::Queue | AbandonPhase::Alerting)
                )
            }) {
                if wait < short {
                    self.add_queue(interval, queue, |c| c.short_abandons += 1);
                } else {
                    let abandon = Counters {
                        offered: 1,
                        abandoned: 1,
                        abandoned_within: u64::from(wait <= threshold),
                        time_to_abandon_ms: wait,
                        ..Counters::default()
                    };
                    self.add_queue(interval, queue, |c| *c += &abandon);
                }
            } else if let Some(asa) = record.speed_of_answer_ms() {
                let answer = Counters {
                    offered: 1,
                    answered: 1,
                    answered_within: u64::from(asa <= threshold),
                    speed_of_answer_ms: asa,
                    ..Counters::default()
                };
                self.add_queue(interval, queue, |c| *c += &answer);
            } else {
                // Left the queue otherwise (callback, timeout, cleared):
                // offered, neither answered nor abandoned.
                self.add_queue(interval, queue, |c| c.offered += 1);
            }
        } else if record.abandoned == Some(AbandonPhase::SelfService) {
            self.add_queue(interval, None, |c| c.self_service_abandons += 1);
        }

        // Handling, per agent and summed per contact.
        let converted = record
            .disposition_codes
            .iter()
            .any(|code| self.config.conversion_codes.iter().any(|c| c == code));
        let satisfied_min = self.config.csat_satisfied_min;
        // `CallDetailRecord::handling_agents` in one pass over the legs, and
        // each agent once: a stored record may list an agent twice, and the
        // agent still handled the contact once.
        let mut first_answer: BTreeMap<AgentId, Timestamp> = BTreeMap::new();
        for leg in &record.legs {
            if let (Some(at), Some(agent)) = (leg.answered_at, leg.party.agent()) {
                first_answer.entry(agent).or_insert(at);
            }
        }
        let mut handler_set = BTreeSet::new();
        let handlers: Vec<AgentId> = record
            .agents
            .iter()
            .copied()
            .filter(|a| first_answer.contains_key(a) && handler_set.insert(*a))
            .collect();
        // Agents whose leg made a transfer, found once rather than per agent
        // (per agent, per transfer, per leg was cubic in the record's size).
        let transferring: BTreeSet<LegId> = record
            .transfers
            .iter()
            .map(|t| t.transferring_leg)
            .collect();
        let transferred_by: BTreeSet<AgentId> = record
            .legs
            .iter()
            .filter(|l| transferring.contains(&l.leg))
            .filter_map(|l| l.party.agent())
            .collect();
        // An agent's contact counts in the interval of the agent's first answer.
        let agent_interval = |agent: AgentId| {
            self.interval_of(
                first_answer
                    .get(&agent)
                    .copied()
                    .unwrap_or(record.created_at),
            )
        };
        // The last agent who handled the contact is the one who connected
        // last (after a transfer back, an agent offered early), not the last
        // in order of first offer.
        let last_handler = record
            .legs
            .iter()
            .filter_map(|l| Some((l.answered_at?, l.leg, l.party.agent()?)))
            .filter(|(_, _, agent)| handler_set.contains(agent))
            .max()
            .map(|(_, _, agent)| (agent_interval(agent), agent));
        let mut contact = Counters::default();
        let mut buckets = Vec::with_capacity(handlers.len());
        for &agent in &handlers {
            let mut c = Counters {
                handled: 1,
                talk_ms: record.agent_talk_ms(agent),
                hold_ms: record.agent_hold_ms(agent),
                wrap_up_ms: record.agent_wrap_up_ms(agent),
                converted: u64::from(converted),
                ..Counters::default()
            };
            c.held = u64::from(c.hold_ms > 0);
            c.transferred = u64::from(transferred_by.contains(&agent));
            speech(record, agent, &mut c);
            if Some(agent) == last_handler.map(|(_, a)| a)
                && let Some(score) = record.survey_score
            {
                c.surveys = 1;
                c.survey_score_sum = u64::from(score);
                c.satisfied = u64::from(score >= satisfied_min);
            }
            // Saturating (times in a stored record may be decades apart);
            // the per-contact flags are set below, not summed.
            contact += &c;
            buckets.push(((agent_interval(agent), agent), c));
        }
        for (key, c) in buckets {
            *self.agents.entry(key).or_default() += &c;
        }
        if !handlers.is_empty() {
            contact.handled = 1;
            contact.held = u64::from(contact.hold_ms > 0);
            contact.transferred = u64::from(!record.transfers.is_empty());
            contact.converted = u64::from(converted);
            self.add_queue(interval, queue, |c| *c += &contact);
        }

        self.first_contact_resolution(record, interval, queue, last_handler);
    }

    fn first_contact_resolution(
        &mut self,
        record: &CallDetailRecord,
        interval: Timestamp,
        queue: Option<QueueId>,
        // The bucket (interval, agent) of the last handling agent.
        agent: Option<(Timestamp, AgentId)>,
    ) {
        if record.direction == Direction::Outbound {
            // FCR is about the customer contacting us: a call we place is
            // neither a first contact nor a repeat.
            return;
        }
        let window = u64::try_from(self.config.repeat_window.as_millis()).unwrap_or(u64::MAX);
        let at = record.created_at;
        let handled = agent.is_some();
        if handled {
            self.add_queue(interval, queue, |c| c.fcr_contacts += 1);
            if let Some(key) = agent {
                self.agents.entry(key).or_default().fcr_contacts += 1;
            }
        }
        let Some(customer) = record.customer.as_ref().map(|a| a.as_str().to_owned()) else {
            return;
        };
        let this = FcrEntry {
            at,
            interval,
            queue,
            agent,
            open: handled,
        };
        match self.last_contact.get(&customer).copied() {
            Some(previous) if at >= previous.at => {
                if previous.open && at.millis_since(previous.at) <= window {
                    self.mark_repeat(&previous);
                }
                self.last_contact.insert(customer, this);
            }
            Some(previous) => {
                // Out of order: this older contact is the one repeated.
                if handled && previous.at.millis_since(at) <= window {
                    self.mark_repeat(&this);
                }
            }
            None => {
                self.last_contact.insert(customer, this);
                self.new_customers_since_prune += 1;
            }
        }
        // Forget customers whose last contact can no longer be repeated,
        // every `PRUNE_EVERY` new customers (counting records instead let a
        // stream that alternates inbound and outbound calls never prune), as
        // seen from this record. Not from the latest record ever seen: one
        // stored record from the far future (a bad clock, a corrupt store)
        // would make every later prune forget every customer. Now it can
        // forget them once, if it lands on a prune.
        if self.new_customers_since_prune >= Self::PRUNE_EVERY {
            self.new_customers_since_prune = 0;
            let horizon = Timestamp::from_millis(at.as_millis().saturating_sub(window));
            self.last_contact.retain(|_, e| e.at >= horizon);
        }
    }

    fn mark_repeat(&mut self, entry: &FcrEntry) {
        self.add_queue(entry.interval, entry.queue, |c| c.fcr_repeats += 1);
        if let Some(key) = entry.agent {
            self.agents.entry(key).or_default().fcr_repeats += 1;
        }
    }

    /// Fold one agent state change in: the time spent in the previous state
    /// is split across the intervals it covered.
    ///
    /// A change refused by [`KpiEngine::try_ingest_agent_change`] (a span
    /// over [`KpiConfig::max_agent_state_intervals`]) is not counted; it is
    /// tallied in [`KpiEngine::refused_agent_changes`]. Use the `try_` form
    /// for changes read from a store or another system, to learn which.
    pub fn ingest_agent_change(&mut self, change: &AgentStateChanged) {
        if self.try_ingest_agent_change(change).is_err() {
            self.refused_agent_changes = self.refused_agent_changes.saturating_add(1);
        }
    }

    /// Fold one agent state change in, or refuse it (nothing counted) when
    /// the previous state's span `[from_since, at)` covers more than
    /// [`KpiConfig::max_agent_state_intervals`] intervals
    /// ([`AgentChangeError::SpanTooLong`]) or ends before it began
    /// ([`AgentChangeError::Reversed`]). Logged-out spans are not agent
    /// time: they make no bucket and are never refused.
    ///
    /// # Examples
    ///
    /// ```
    /// use call_core::agent::AgentStateChanged;
    /// use call_core::error::AgentChangeError;
    /// use call_core::kpi::{KpiConfig, KpiEngine};
    ///
    /// let mut engine = KpiEngine::new(KpiConfig::default());
    /// // Ready "since the epoch": 1.9 million 15-minute intervals.
    /// let stored = r#"{"event":"agent_state_changed","agent":3,"at":1763700000000,
    ///     "from":{"state":"ready"},"from_since":0,"to":{"state":"logged_out"}}"#;
    /// let change: AgentStateChanged = serde_json::from_str(stored)?;
    /// let err = engine.try_ingest_agent_change(&change).unwrap_err();
    /// assert!(matches!(
    ///     err,
    ///     AgentChangeError::SpanTooLong { intervals: 1_959_667, max: 10_000, .. }
    /// ));
    /// assert_eq!(engine.agent_buckets().count(), 0);
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn try_ingest_agent_change(
        &mut self,
        change: &AgentStateChanged,
    ) -> Result<(), AgentChangeError> {
        let counter: fn(&mut Counters) -> &mut u64 = match change.from {
            // Not agent time: no counter takes it, so no bucket is made for it.
            AgentState::LoggedOut => return Ok(()),
            AgentState::Ready => |c| &mut c.ready_ms,
            AgentState::Reserved { .. }
            | AgentState::Busy { .. }
            | AgentState::AfterCallWork { .. } => |c| &mut c.occupied_ms,
            AgentState::NotReady { .. } => |c| &mut c.not_ready_ms,
        };
        let mut start = change.from_since;
        let end = change.at;
        if end < start {
            return Err(AgentChangeError::Reversed {
                agent: change.agent,
                state: change.from.name(),
                from_since: start,
                at: end,
            });
        }
        let intervals = self.intervals_covered(start, end);
        let max = self.config.max_agent_state_intervals;
        if intervals > u64::from(max) {
            return Err(AgentChangeError::SpanTooLong {
                agent: change.agent,
                state: change.from.name(),
                from_since: start,
                at: end,
                intervals,
                max,
            });
        }
        while start < end {
            let interval = self.interval_of(start);
            let boundary = interval.saturating_add_millis(self.interval_ms);
            let stop = boundary.min(end);
            let ms = stop.millis_since(start);
            let time = counter(self.agents.entry((interval, change.agent)).or_default());
            // Saturating: an interval may be as long as `u64::MAX` ms, and
            // overlapping stored spans then add up past it.
            *time = time.saturating_add(ms);
            start = stop;
        }
        Ok(())
    }

    /// Agent state changes [`KpiEngine::ingest_agent_change`] refused (not
    /// counted) since the engine was made.
    pub fn refused_agent_changes(&self) -> u64 {
        self.refused_agent_changes
    }

    /// How many customers the engine remembers for first-contact resolution
    /// (their last contact): those seen within [`KpiConfig::repeat_window`]
    /// of the latest prune, plus at most 4,096 remembered since. Each takes
    /// a map entry with the customer's address.
    pub fn remembered_customers(&self) -> usize {
        self.last_contact.len()
    }

    /// How many intervals `[from, to)` touches (zero when empty).
    fn intervals_covered(&self, from: Timestamp, to: Timestamp) -> u64 {
        if from >= to {
            return 0;
        }
        let first = from.as_millis() / self.interval_ms;
        let last = to.as_millis().saturating_sub(1) / self.interval_ms;
        last.saturating_sub(first).saturating_add(1)
    }
}

impl CdrSink for KpiEngine {
    type Error = std::convert::Infallible;

    fn write(&mut self, record: &CallDetailRecord) -> Result<(), Self::Error> {
        self.ingest(record);
        Ok(())
    }
}

/// Sorted, merged intervals `[start, end)` in ms.
fn union(mut spans: Vec<(u64, u64)>) -> Vec<(u64, u64)> {
    spans.sort_unstable();
    let mut out: Vec<(u64, u64)> = Vec::with_capacity(spans.len());
    for (s, e) in spans {
        match out.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    out
}

fn total(spans: &[(u64, u64)]) -> u64 {
    spans.iter().map(|(s, e)| e.saturating_sub(*s)).sum()
}

fn intersection(a: &[(u64, u64)], b: &[(u64, u64)]) -> u64 {
    let (mut i, mut j, mut sum) = (0, 0, 0);
    while let (Some(&(a0, a1)), Some(&(b0, b1))) = (a.get(i), b.get(j)) {
        sum += a1.min(b1).saturating_sub(a0.max(b0));
        if a1 < b1 {
            i += 1;
        } else {
            j += 1;
        }
    }
    sum
}

/// Speech KPIs of one agent on one record: clipped to the agent's connected time.
fn speech(record: &CallDetailRecord, agent: AgentId, c: &mut Counters) {
    if record.speech.is_empty() {
        return;
    }
    let agent_legs: Vec<(LegId, u64, u64)> = record
        .legs
        .iter()
        .filter(|l| l.party.agent() == Some(agent))
        .filter_map(|l| Some((l.leg, l.answered_at?.as_millis(), l.ended_at?.as_millis())))
        // A record read back from JSON may hold a leg that ends before its
        // answer: no connected time, not a negative one.
        .filter(|&(_, start, end)| end > start)
        .collect();
    let connected = union(agent_legs.iter().map(|&(_, s, e)| (s, e)).collect());
    let clip = |s: &SpeechInterval| -> Vec<(u64, u64)> {
        connected
            .iter()
            .filter_map(|&(c0, c1)| {
                let s0 = s.start.as_millis().max(c0);
                let s1 = s.end.as_millis().min(c1);
                (s1 > s0).then_some((s0, s1))
            })
            .collect()
    };
    let agent_speech = union(
        record
            .speech
            .iter()
            .filter(|s| agent_legs.iter().any(|&(leg, _, _)| leg == s.leg))
            .flat_map(clip)
            .collect(),
    );
    let customer_speech = union(
        record
            .speech
            .iter()
            .filter(|s| s.leg == LegId(0))
            .flat_map(clip)
            .collect(),
    );
    c.agent_speech_ms = total(&agent_speech);
    c.customer_speech_ms = total(&customer_speech);
    c.overtalk_ms = intersection(&agent_speech, &customer_speech);
    c.speech_conversation_ms = total(&connected);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_algebra() {
        let u = union(vec![(5, 10), (0, 3), (2, 4), (10, 12)]);
        assert_eq!(u, vec![(0, 4), (5, 12)]);
        assert_eq!(total(&u), 11);
        assert_eq!(intersection(&u, &[(3, 6), (11, 20)]), 1 + 1 + 1);
    }

    #[test]
    fn empty_counters_have_no_kpis() {
        let k = Counters::default().kpis(ServiceLevelDefinition::AnsweredWithinOverOffered);
        assert_eq!(k.aht_secs, None);
        assert_eq!(k.service_level, None);
        assert_eq!(k.occupancy, None);
    }

    #[test]
    fn agent_time_is_split_across_intervals() {
        let mut engine = KpiEngine::new(KpiConfig {
            interval: Duration::from_secs(300),
            ..KpiConfig::default()
        });
        engine.ingest_agent_change(&AgentStateChanged {
            agent: AgentId(1),
            at: Timestamp::from_secs(400),
            from: AgentState::Ready,
            from_since: Timestamp::from_secs(100),
            to: AgentState::LoggedOut,
        });
        let first = engine.agent(Timestamp::ZERO, AgentId(1)).unwrap();
        let second = engine.agent(Timestamp::from_secs(300), AgentId(1)).unwrap();
        assert_eq!(first.ready_ms, 200_000);
        assert_eq!(second.ready_ms, 100_000);
    }
}
