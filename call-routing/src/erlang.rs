//! Queueing maths for staffing: Erlang B, Erlang C, Erlang A and staffing.
//!
//! Traffic intensity is offered load in erlangs: arrival rate times mean
//! handle time (100 calls in 30 minutes at 180 s each is 10 erlangs).
//!
//! - [`erlang_b`]: blocking with no queue (M/M/N/N).
//! - [`erlang_c`], [`service_level`], [`average_speed_of_answer`]: an infinite
//!   queue where nobody abandons (M/M/N).
//! - [`erlang_a`]: callers abandon after an exponential patience
//!   (M/M/N+M, Palm's model), computed exactly from its birth-death chain.
//! - [`agents_for_service_level`], [`agents_for_asa`]: the fewest agents that
//!   meet a target, under Erlang C or Erlang A.
//!
//! Everything is computed with the stable recurrence on the Erlang B
//! probability and ratios of neighbouring states, never factorials or powers,
//! so results stay accurate from one agent to [`MAX_AGENTS`].
//!
//! Definitions used throughout (and measured the same way by the simulator):
//! the probability of waiting is the share of arrivals that find every agent
//! busy; the service level is the share of *offered* calls answered within the
//! threshold; the average speed of answer is the mean wait of *answered* calls
//! (those answered at once count as zero); occupancy is the share of agent
//! time spent handling calls.

use crate::error::ErlangError;

/// Checks that an offered load is a finite, non-negative number of erlangs.
fn check_traffic(traffic: f64) -> Result<(), ErlangError> {
    if traffic.is_finite() && traffic >= 0.0 {
        Ok(())
    } else {
        Err(ErlangError::InvalidTraffic { traffic })
    }
}

/// Erlang B: the probability that a call finds all `servers` busy and is
/// blocked, with no queue (M/M/N/N).
///
/// Uses the recurrence `B(0) = 1`, `B(n) = A·B(n-1) / (n + A·B(n-1))`.
///
/// # Examples
///
/// ```
/// use call_routing::erlang::erlang_b;
///
/// // 10 erlangs offered to 15 trunks: about 3.6 % of calls are blocked.
/// let blocking = erlang_b(10.0, 15)?;
/// assert!((blocking - 0.0365).abs() < 1e-4);
/// # Ok::<(), call_routing::error::ErlangError>(())
/// ```
pub fn erlang_b(traffic: f64, servers: u32) -> Result<f64, ErlangError> {
    check_traffic(traffic)?;
    let mut b = 1.0_f64;
    for n in 1..=servers {
        let ab = traffic * b;
        b = ab / (f64::from(n) + ab);
    }
    Ok(b)
}

/// Erlang C: the probability that a call has to wait (M/M/N with an infinite
/// queue and no abandonment).
///
/// Needs more agents than erlangs offered (`agents > traffic`); otherwise the
/// queue grows without bound and every call waits, which is reported as an
/// error rather than a probability of 1, so a staffing loop notices.
///
/// # Examples
///
/// ```
/// use call_routing::erlang::erlang_c;
///
/// // 100 calls per 30 minutes, 180 s handle time (10 erlangs), 14 agents.
/// let p_wait = erlang_c(10.0, 14)?;
/// assert!((p_wait - 0.1741).abs() < 1e-4);
/// # Ok::<(), call_routing::error::ErlangError>(())
/// ```
pub fn erlang_c(traffic: f64, agents: u32) -> Result<f64, ErlangError> {
    check_traffic(traffic)?;
    let n = f64::from(agents);
    if n <= traffic {
        return Err(ErlangError::Unstable { traffic, agents });
    }
    let b = erlang_b(traffic, agents)?;
    Ok(n * b / (n - traffic * (1.0 - b)))
}

/// Erlang C service level: the fraction of calls answered within
/// `threshold_s` seconds, `1 - C·exp(-(N - A)·t / AHT)`.
///
/// # Examples
///
/// ```
/// use call_routing::erlang::service_level;
///
/// // 10 erlangs, 14 agents, 180 s handle time, 20 s threshold.
/// let sl = service_level(10.0, 14, 180.0, 20.0)?;
/// assert!((sl - 0.8884).abs() < 1e-4);
/// # Ok::<(), call_routing::error::ErlangError>(())
/// ```
pub fn service_level(
    traffic: f64,
    agents: u32,
    aht_s: f64,
    threshold_s: f64,
) -> Result<f64, ErlangError> {
    check_duration(aht_s)?;
    check_duration(threshold_s)?;
    let p_wait = erlang_c(traffic, agents)?;
    let spare = f64::from(agents) - traffic;
    Ok(1.0 - p_wait * (-spare * threshold_s / aht_s).exp())
}

/// Erlang C average speed of answer in seconds, over all calls (those
/// answered at once count as zero): `C·AHT / (N - A)`.
///
/// # Examples
///
/// ```
/// use call_routing::erlang::average_speed_of_answer;
///
/// let asa = average_speed_of_answer(10.0, 14, 180.0)?;
/// assert!((asa - 7.83).abs() < 0.01);
/// # Ok::<(), call_routing::error::ErlangError>(())
/// ```
pub fn average_speed_of_answer(traffic: f64, agents: u32, aht_s: f64) -> Result<f64, ErlangError> {
    check_duration(aht_s)?;
    let p_wait = erlang_c(traffic, agents)?;
    Ok(p_wait * aht_s / (f64::from(agents) - traffic))
}

/// Checks that a time is a finite, non-negative number of seconds.
fn check_duration(seconds: f64) -> Result<(), ErlangError> {
    if seconds.is_finite() && seconds >= 0.0 {
        Ok(())
    } else {
        Err(ErlangError::InvalidDuration { seconds })
    }
}

/// Erlang C occupancy: the share of agent time spent on calls, `A / N`.
///
/// # Examples
///
/// ```
/// use call_routing::erlang::occupancy;
///
/// assert!((occupancy(10.0, 14)? - 0.7143).abs() < 1e-4);
/// # Ok::<(), call_routing::error::ErlangError>(())
/// ```
pub fn occupancy(traffic: f64, agents: u32) -> Result<f64, ErlangError> {
    check_traffic(traffic)?;
    if f64::from(agents) <= traffic {
        return Err(ErlangError::Unstable { traffic, agents });
    }
    Ok(traffic / f64::from(agents))
}

/// The most agents the staffing searches consider.
pub const MAX_AGENTS: u32 = 1_000_000;

/// The most queue states the Erlang A chain is truncated to. The chain is cut
/// where the remaining states hold less than 1e-16 of the probability; a model
/// whose queue is still significant after this many waiting calls (huge load
/// and near-infinite patience) is reported as [`ErlangError::TooLarge`].
pub const MAX_QUEUE_STATES: usize = 4_000_000;

/// Erlang A (M/M/N+M): Poisson arrivals, exponential handle times, `N`
/// agents, and callers who abandon after an exponentially distributed
/// patience. Build it with [`erlang_a`].
///
/// Unlike Erlang C it is stable at any load: impatient callers keep the queue
/// finite, so overloaded systems get meaningful figures.
#[derive(Clone, Debug, PartialEq)]
pub struct ErlangA {
    agents: u32,
    /// Service rate per agent, per second.
    mu: f64,
    /// Abandonment rate per waiting caller, per second.
    theta: f64,
    /// Probability that an arrival finds a free agent.
    p_immediate: f64,
    /// `queue[i]`: probability that an arrival finds all agents busy and
    /// `i` callers already waiting.
    queue: Vec<f64>,
    p_wait: f64,
    p_abandon: f64,
    asa_s: f64,
    average_wait_s: f64,
    occupancy: f64,
}

/// Solves Erlang A for `traffic` erlangs offered to `agents` agents with a
/// mean handle time of `aht_s` seconds and a mean patience of `patience_s`
/// seconds.
///
/// The stationary distribution of the birth-death chain (birth rate `λ`,
/// death rate `min(k, N)·μ + max(k - N, 0)·θ`) is computed relative to the
/// all-busy state: states below it through Erlang B, states above it as a
/// product of ratios, truncated where the tail is negligible.
///
/// # Examples
///
/// ```
/// use call_routing::erlang::erlang_a;
///
/// // 10 erlangs, 14 agents, 180 s handle time, callers wait 120 s on average.
/// let model = erlang_a(10.0, 14, 180.0, 120.0)?;
/// assert!(model.p_wait() < 0.1741); // fewer wait than under Erlang C
/// assert!(model.p_abandon() > 0.0 && model.p_abandon() < 0.05);
/// assert!(model.service_level(20.0)? > 0.88);
/// # Ok::<(), call_routing::error::ErlangError>(())
/// ```
pub fn erlang_a(
    traffic: f64,
    agents: u32,
    aht_s: f64,
    patience_s: f64,
) -> Result<ErlangA, ErlangError> {
    check_traffic(traffic)?;
    check_duration(aht_s)?;
    if aht_s == 0.0 {
        return Err(ErlangError::InvalidDuration { seconds: aht_s });
    }
    if !(patience_s.is_finite() && patience_s > 0.0) {
        return Err(ErlangError::InvalidPatience {
            seconds: patience_s,
        });
    }
    let mu = 1.0 / aht_s;
    let theta = 1.0 / patience_s;
    let lambda = traffic * mu;
    let n_mu = f64::from(agents) * mu;
    let mut model = ErlangA {
        agents,
        mu,
        theta,
        p_immediate: 1.0,
        queue: Vec::new(),
        p_wait: 0.0,
        p_abandon: 0.0,
        asa_s: 0.0,
        average_wait_s: 0.0,
        occupancy: 0.0,
    };
    if traffic == 0.0 {
        return Ok(model);
    }
    // Weights of the states with all agents busy, relative to the state with
    // exactly N busy and nobody waiting: t_0 = 1, t_i = t_{i-1}·λ/(Nμ + iθ).
    let mut weights = vec![1.0_f64];
    let mut high = 1.0_f64;
    let mut t = 1.0_f64;
    let mut i = 0_usize;
    // In heavy overload the weights grow past f64's range before they peak;
    // they are then scaled down by RESCALE, `rescaled` times in all.
    const RESCALE: f64 = 1e-200;
    let mut rescaled = 0_i32;
    loop {
        i += 1;
        #[allow(clippy::cast_precision_loss)] // i < MAX_QUEUE_STATES, exact in f64
        let death = n_mu + i as f64 * theta;
        t *= lambda / death;
        if death > lambda && t < 1e-16 * high {
            break;
        }
        if t > 1e200 {
            t *= RESCALE;
            high *= RESCALE;
            for w in &mut weights {
                *w *= RESCALE;
            }
            rescaled += 1;
        }
        if weights.len() >= MAX_QUEUE_STATES {
            return Err(ErlangError::TooLarge {
                what: "queue states",
                limit: MAX_QUEUE_STATES as u64,
            });
        }
        weights.push(t);
        high += t;
    }
    // Sum of the states 0..N relative to state N is 1/B(A, N); the state N
    // itself is counted in `high` (t_0 = 1), so take it out once.
    let b = erlang_b(traffic, agents)?;
    let low = if b > 0.0 {
        1.0 / b - 1.0
    } else {
        f64::INFINITY
    };
    // The states below N on the same (possibly rescaled) footing.
    let low = if rescaled > 0 {
        low * RESCALE.powi(rescaled)
    } else {
        low
    };
    if !low.is_finite() {
        // Erlang B underflowed: agents so plentiful that nobody ever waits.
        return Ok(model);
    }
    let total = low + high;
    let mut expected_queue = 0.0;
    let mut served_wait = 0.0; // E[W · 1{served}]
    let mut stage_time = 0.0; // Σ_{m<=i} 1/(Nμ + (m+1)θ)
    for (i, w) in weights.iter_mut().enumerate() {
        *w /= total;
        #[allow(clippy::cast_precision_loss)]
        let ahead = i as f64;
        expected_queue += ahead * *w;
        stage_time += 1.0 / (n_mu + (ahead + 1.0) * theta);
        let served = n_mu / (n_mu + (ahead + 1.0) * theta);
        served_wait += *w * served * stage_time;
    }
    model.p_wait = high / total;
    model.p_immediate = low / total;
    model.queue = weights;
    // Little's law on the queue, and abandonment as θ times the mean queue.
    model.average_wait_s = expected_queue / lambda;
    model.p_abandon = (theta * expected_queue / lambda).clamp(0.0, 1.0);
    let p_served = 1.0 - model.p_abandon;
    model.asa_s = if p_served > 0.0 {
        served_wait / p_served
    } else {
        0.0
    };
    model.occupancy = if agents == 0 {
        0.0
    } else {
        (traffic * p_served / f64::from(agents)).min(1.0)
    };
    Ok(model)
}

impl ErlangA {
    /// The number of agents.
    pub fn agents(&self) -> u32 {
        self.agents
    }

    /// Probability that a caller finds every agent busy and waits.
    pub fn p_wait(&self) -> f64 {
        self.p_wait
    }

    /// Probability that a caller abandons before reaching an agent.
    pub fn p_abandon(&self) -> f64 {
        self.p_abandon
    }

    /// Average speed of answer in seconds: the mean wait of answered calls
    /// (those answered at once count as zero).
    pub fn asa_s(&self) -> f64 {
        self.asa_s
    }

    /// Mean time in queue over all callers, answered or abandoned, in seconds.
    pub fn average_wait_s(&self) -> f64 {
        self.average_wait_s
    }

    /// Share of agent time spent on calls: the carried load (offered load
    /// less abandons) divided by the number of agents.
    pub fn occupancy(&self) -> f64 {
        self.occupancy
    }

    /// Share of offered calls answered within `threshold_s` seconds.
    ///
    /// A caller who finds `i` callers waiting is answered after passing
    /// stages with rates `Nμ + (m + 1)θ`, `m = i..0`; given that it is served,
    /// that wait is the `(i + 1)`-th order statistic of `c + i + 1`
    /// exponentials with rate `θ` (`c = Nμ/θ`), whose distribution is the
    /// regularized incomplete beta function `I_p(i + 1, c + 1)` with
    /// `p = 1 - exp(-θt)`. The terms are summed in log space, so it stays
    /// finite for thousands of agents.
    pub fn service_level(&self, threshold_s: f64) -> Result<f64, ErlangError> {
        check_duration(threshold_s)?;
        if self.agents == 0 {
            return Ok(0.0);
        }
        let n_mu = f64::from(self.agents) * self.mu;
        let c = n_mu / self.theta;
        let b = c + 1.0;
        let theta_t = self.theta * threshold_s;
        // I_p(1, b) = 1 - (1-p)^b with ln(1-p) = -θt.
        let mut beta = -(-b * theta_t).exp_m1();
        let ln_p = if theta_t > 0.0 {
            (-(-theta_t).exp_m1()).ln()
        } else {
            f64::NEG_INFINITY
        };
        // ln of the term x^a (1-x)^b / (a B(a, b)) at a = 1.
        let mut ln_term = b.ln() + ln_p - b * theta_t;
        let mut answered = self.p_immediate;
        for (i, w) in self.queue.iter().enumerate() {
            #[allow(clippy::cast_precision_loss)]
            let a = i as f64 + 1.0;
            let served = n_mu / (n_mu + a * self.theta);
            answered += w * served * beta.clamp(0.0, 1.0);
            // I_p(a + 1, b) = I_p(a, b) - term_a; term_{a+1} = term_a·p·(a+b)/(a+1).
            beta -= ln_term.exp();
            ln_term += ln_p + (a + b).ln() - (a + 1.0).ln();
        }
        Ok(answered.clamp(0.0, 1.0))
    }
}

/// The smallest agent count from `lowest` up for which `ok` holds.
fn meets<F>(mut ok: F, lowest: u32) -> Result<u32, ErlangError>
where
    F: FnMut(u32) -> Result<bool, ErlangError>,
{
    // Exponential search for an upper bound, then bisection: the service
    // level and ASA are monotone in the number of agents.
    if ok(lowest)? {
        return Ok(lowest);
    }
    let mut lo = lowest; // invariant: !ok(lo)
    let mut hi;
    loop {
        hi = lo.saturating_mul(2).max(lo + 1).min(MAX_AGENTS);
        if ok(hi)? {
            break;
        }
        if hi == MAX_AGENTS {
            return Err(ErlangError::TooLarge {
                what: "agents",
                limit: u64::from(MAX_AGENTS),
            });
        }
        lo = hi;
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if ok(mid)? {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Ok(hi)
}

/// The first agent count Erlang C can evaluate: one more than the load.
fn first_stable(traffic: f64) -> Result<u32, ErlangError> {
    let floor = traffic.floor();
    if floor >= f64::from(MAX_AGENTS) {
        return Err(ErlangError::TooLarge {
            what: "agents",
            limit: u64::from(MAX_AGENTS),
        });
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // checked above
    Ok(floor as u32 + 1)
}

/// The fewest agents that answer at least `target` (a fraction in `(0, 1)`)
/// of offered calls within `threshold_s` seconds.
///
/// With `patience_s: None` callers never abandon (Erlang C); with
/// `Some(mean)` they abandon after an exponential patience (Erlang A).
///
/// # Examples
///
/// ```
/// use call_routing::erlang::agents_for_service_level;
///
/// // 80/20 for 10 erlangs at 180 s: 13 agents reach 0.796, 14 reach 0.888.
/// assert_eq!(agents_for_service_level(10.0, 180.0, 20.0, 0.8, None)?, 14);
/// # Ok::<(), call_routing::error::ErlangError>(())
/// ```
pub fn agents_for_service_level(
    traffic: f64,
    aht_s: f64,
    threshold_s: f64,
    target: f64,
    patience_s: Option<f64>,
) -> Result<u32, ErlangError> {
    check_traffic(traffic)?;
    check_duration(aht_s)?;
    check_duration(threshold_s)?;
    if !(target > 0.0 && target < 1.0) {
        return Err(ErlangError::InvalidTarget { target });
    }
    match patience_s {
        None => meets(
            |n| Ok(service_level(traffic, n, aht_s, threshold_s)? >= target),
            first_stable(traffic)?,
        ),
        Some(patience) => meets(
            |n| Ok(erlang_a(traffic, n, aht_s, patience)?.service_level(threshold_s)? >= target),
            0,
        ),
    }
}

/// The fewest agents whose average speed of answer is at most `target_s`
/// seconds, under Erlang C (`patience_s: None`) or Erlang A.
///
/// # Examples
///
/// ```
/// use call_routing::erlang::agents_for_asa;
///
/// // ASA of 7.84 s with 14 agents, 17.1 s with 13: a 10 s target needs 14.
/// assert_eq!(agents_for_asa(10.0, 180.0, 10.0, None)?, 14);
/// # Ok::<(), call_routing::error::ErlangError>(())
/// ```
pub fn agents_for_asa(
    traffic: f64,
    aht_s: f64,
    target_s: f64,
    patience_s: Option<f64>,
) -> Result<u32, ErlangError> {
    check_traffic(traffic)?;
    check_duration(aht_s)?;
    if !(target_s.is_finite() && target_s > 0.0) {
        return Err(ErlangError::InvalidTarget { target: target_s });
    }
    match patience_s {
        None => meets(
            |n| Ok(average_speed_of_answer(traffic, n, aht_s)? <= target_s),
            first_stable(traffic)?,
        ),
        Some(patience) => meets(
            |n| Ok(erlang_a(traffic, n, aht_s, patience)?.asa_s() <= target_s),
            0,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erlang_b_matches_published_table_values() {
        // Values from the usual Erlang B tables (blocking for a given load).
        assert!((erlang_b(1.0, 1).unwrap() - 0.5).abs() < 1e-12);
        assert!((erlang_b(2.0, 2).unwrap() - 0.4).abs() < 1e-12);
        // Published table rows for 5 trunks: 1.657 erlangs at 2 % blocking,
        // 2.2185 erlangs at 5 %.
        assert!((erlang_b(1.657, 5).unwrap() - 0.02).abs() < 1e-4);
        assert!((erlang_b(2.2185, 5).unwrap() - 0.05).abs() < 1e-4);
        assert_eq!(erlang_b(0.0, 3).unwrap(), 0.0);
        assert_eq!(erlang_b(4.0, 0).unwrap(), 1.0);
    }

    #[test]
    fn erlang_c_reference_and_large_systems() {
        // The reference case from the issue: 14 agents, 10 erlangs.
        assert!((erlang_c(10.0, 14).unwrap() - 0.1741).abs() < 1e-4);
        assert!((service_level(10.0, 14, 180.0, 20.0).unwrap() - 0.8884).abs() < 1e-4);
        // 10,000 agents at 9,900 erlangs stays finite and in (0, 1).
        let p = erlang_c(9_900.0, 10_000).unwrap();
        assert!(p > 0.0 && p < 1.0, "{p}");
    }

    #[test]
    fn invalid_inputs_are_typed_errors() {
        assert_eq!(
            erlang_c(10.0, 10),
            Err(ErlangError::Unstable {
                traffic: 10.0,
                agents: 10
            })
        );
        assert!(matches!(
            erlang_b(f64::NAN, 3),
            Err(ErlangError::InvalidTraffic { .. })
        ));
        assert!(matches!(
            erlang_b(-1.0, 3),
            Err(ErlangError::InvalidTraffic { .. })
        ));
        assert!(matches!(
            service_level(10.0, 14, f64::INFINITY, 20.0),
            Err(ErlangError::InvalidDuration { .. })
        ));
    }

    /// Erlang A by brute force: the truncated chain with explicit products.
    fn brute_force_a(traffic: f64, n: u32, aht: f64, patience: f64) -> (f64, f64) {
        let (mu, theta) = (1.0 / aht, 1.0 / patience);
        let lambda = traffic * mu;
        let mut p = vec![1.0_f64];
        for k in 1..2000 {
            let death = f64::from(k.min(n)) * mu + f64::from(k.saturating_sub(n)) * theta;
            let last = *p.last().unwrap();
            p.push(last * lambda / death);
        }
        let total: f64 = p.iter().sum();
        let p_wait = p.iter().skip(n as usize).sum::<f64>() / total;
        let queue: f64 = p
            .iter()
            .enumerate()
            .skip(n as usize)
            .map(|(k, w)| (k as f64 - f64::from(n)) * w)
            .sum::<f64>()
            / total;
        (p_wait, theta * queue / lambda)
    }

    /// P(served within t) for one caller by uniformizing its stage chain, an
    /// independent method for the incomplete-beta formula.
    fn uniformized_service_level(model: &ErlangA, t: f64) -> f64 {
        let n_mu = f64::from(model.agents) * model.mu;
        let k = model.queue.len();
        let big = n_mu + (k as f64 + 1.0) * model.theta;
        let mut v = model.queue.clone();
        let steps = (big * t + 12.0 * (big * t).sqrt() + 50.0) as usize;
        let mut served = 0.0;
        let mut total = 0.0;
        let mut ln_w = -big * t;
        for step in 0..steps {
            if step > 0 {
                ln_w += (big * t).ln() - (step as f64).ln();
            }
            total += ln_w.exp() * served;
            let mut next = vec![0.0; k];
            for i in 0..k {
                let down = (n_mu + i as f64 * model.theta) / big;
                let stay = 1.0 - down - model.theta / big;
                next[i] += v[i] * stay;
                if i == 0 {
                    served += v[0] * down;
                } else {
                    next[i - 1] += v[i] * down;
                }
            }
            v = next;
        }
        model.p_immediate + total
    }

    #[test]
    fn erlang_a_matches_the_brute_force_chain() {
        for &(a, n, aht, patience) in &[
            (10.0, 14, 180.0, 120.0),
            (10.0, 10, 180.0, 60.0),
            (12.0, 10, 180.0, 300.0),
            (2.0, 3, 60.0, 30.0),
        ] {
            let model = erlang_a(a, n, aht, patience).unwrap();
            let (p_wait, p_ab) = brute_force_a(a, n, aht, patience);
            assert!((model.p_wait() - p_wait).abs() < 1e-12, "{a} {n}");
            assert!((model.p_abandon() - p_ab).abs() < 1e-12, "{a} {n}");
            // Every caller is either answered or abandons.
            let n_mu = f64::from(n) / aht;
            let served: f64 = model.p_immediate
                + model
                    .queue
                    .iter()
                    .enumerate()
                    .map(|(i, w)| w * n_mu / (n_mu + (i as f64 + 1.0) / patience))
                    .sum::<f64>();
            assert!((served + model.p_abandon() - 1.0).abs() < 1e-12);
            for t in [0.0, 5.0, 20.0, 60.0] {
                let sl = model.service_level(t).unwrap();
                let reference = uniformized_service_level(&model, t);
                assert!(
                    (sl - reference).abs() < 1e-9,
                    "{a} {n} {t}: {sl} vs {reference}"
                );
            }
            // The wait of answered calls is below their service-level tail.
            assert!(model.asa_s() > 0.0 && model.asa_s() < patience);
        }
    }

    #[test]
    fn erlang_a_tends_to_erlang_c_with_infinite_patience() {
        let model = erlang_a(10.0, 14, 180.0, 1e12).unwrap();
        assert!((model.p_wait() - 0.1741).abs() < 1e-4);
        assert!((model.service_level(20.0).unwrap() - 0.8884).abs() < 1e-4);
        assert!((model.asa_s() - average_speed_of_answer(10.0, 14, 180.0).unwrap()).abs() < 1e-3);
        assert!((model.occupancy() - 0.7143).abs() < 1e-4);
        assert!(model.p_abandon() < 1e-6);
    }

    #[test]
    fn erlang_a_is_stable_in_overload_and_at_ten_thousand_agents() {
        // Overloaded: Erlang C has no answer, Erlang A does.
        let model = erlang_a(12.0, 10, 180.0, 60.0).unwrap();
        assert!(model.p_abandon() > 0.05 && model.p_abandon() < 0.5);
        // 10,000 agents.
        let big = erlang_a(9_900.0, 10_000, 180.0, 120.0).unwrap();
        for v in [big.p_wait(), big.p_abandon(), big.asa_s(), big.occupancy()] {
            assert!(v.is_finite() && v >= 0.0, "{v}");
        }
        let sl = big.service_level(20.0).unwrap();
        assert!(sl > 0.0 && sl <= 1.0, "{sl}");
        let c = service_level(9_900.0, 10_000, 180.0, 20.0).unwrap();
        assert!(c > 0.0 && c < 1.0, "{c}");
    }

    #[test]
    fn erlang_a_in_extreme_overload_stays_finite() {
        // 300 erlangs on 3 agents with 10-minute patience: the queue holds
        // about a thousand callers and its weights exceed f64 before peaking.
        let model = erlang_a(300.0, 3, 180.0, 600.0).unwrap();
        assert!(model.p_wait() > 0.999_999);
        assert!(
            (model.p_abandon() - 0.99).abs() < 0.001,
            "{}",
            model.p_abandon()
        );
        assert!((model.occupancy() - 1.0).abs() < 1e-6);
        let (p_wait, p_ab) = brute_force_a(30.0, 3, 180.0, 60.0);
        let m = erlang_a(30.0, 3, 180.0, 60.0).unwrap();
        assert!((m.p_wait() - p_wait).abs() < 1e-9 && (m.p_abandon() - p_ab).abs() < 1e-9);
        let none = erlang_a(300.0, 0, 180.0, 600.0).unwrap();
        assert!((none.p_abandon() - 1.0).abs() < 1e-9);
    }

    #[test]
    fn staffing_finds_the_smallest_sufficient_team() {
        // From the reference table: 14 agents give 0.8884 at 20 s, 13 give 0.7956.
        assert_eq!(
            agents_for_service_level(10.0, 180.0, 20.0, 0.8, None).unwrap(),
            14
        );
        assert!((service_level(10.0, 13, 180.0, 20.0).unwrap() - 0.7956).abs() < 1e-4);
        let n = agents_for_service_level(10.0, 180.0, 20.0, 0.8, Some(120.0)).unwrap();
        assert!(n <= 14);
        assert!(
            erlang_a(10.0, n, 180.0, 120.0)
                .unwrap()
                .service_level(20.0)
                .unwrap()
                >= 0.8
        );
        assert!(
            erlang_a(10.0, n - 1, 180.0, 120.0)
                .unwrap()
                .service_level(20.0)
                .unwrap()
                < 0.8
        );
        assert_eq!(agents_for_asa(10.0, 180.0, 10.0, None).unwrap(), 14);
        let big = agents_for_service_level(9_000.0, 180.0, 20.0, 0.9, None).unwrap();
        assert!(big > 9_000 && big < 9_200, "{big}");
        assert!(matches!(
            agents_for_service_level(10.0, 180.0, 20.0, 1.0, None),
            Err(ErlangError::InvalidTarget { .. })
        ));
        assert!(matches!(
            erlang_a(10.0, 14, 180.0, 0.0),
            Err(ErlangError::InvalidPatience { .. })
        ));
    }
}
