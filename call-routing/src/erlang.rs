//! Queueing maths for staffing: Erlang B and Erlang C.
//!
//! Traffic intensity is offered load in erlangs: arrival rate times mean
//! handle time (100 calls in 30 minutes at 180 s each is 10 erlangs).
//! Everything is computed with the stable recurrence on the Erlang B
//! probability, so it is accurate from one agent to tens of thousands, with no
//! factorials and no overflow.

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
}
