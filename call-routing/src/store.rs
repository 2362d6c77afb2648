//! Pluggable state: an external agent directory and a routing store.
//!
//! The router itself is synchronous and keeps its working state in memory,
//! because every routing decision must be atomic and fast. What a host wants
//! to keep elsewhere is the *durable* part: who the agents are (a directory
//! such as an HR system or LDAP) and which calls are waiting (so a restart
//! or a fail-over to a standby router keeps every caller's place). These
//! traits are the seams; they are `async` so a host can back them with a
//! database or a network service, and runtime-free (`async-trait`), so any
//! executor drives them.
//!
//! [`InMemoryDirectory`] and [`InMemoryStore`] are the defaults.
//!
//! ```
//! use call_routing::store::{AgentDirectory, InMemoryDirectory, InMemoryStore, RoutingStore, load_agents};
//! use call_routing::strategy::Builtin;
//! use call_routing::{AgentConfig, AgentId, CallId, CallRequest, Level, QueueConfig, QueueId, Router, RouterConfig, SkillId, Timestamp};
//!
//! # futures::executor::block_on(async {
//! let directory = InMemoryDirectory::new();
//! directory.put(AgentId(1), AgentConfig::new().skill(SkillId(1), Level::MAX));
//! let store = InMemoryStore::new();
//! let t = Timestamp::from_secs(10);
//!
//! let mut router = Router::new(RouterConfig::default());
//! router.add_queue(QueueId(1), QueueConfig::new(SkillId(1)), Builtin::LongestIdle.boxed(), t)?;
//! assert_eq!(load_agents(&mut router, &directory, t).await?, 1);
//! router.enqueue(CallId(5), QueueId(1), CallRequest::new(), t)?;
//! store.save_waiting(&router.waiting_calls()).await?;
//!
//! // A standby router takes over with the same waiting calls.
//! let mut standby = Router::new(RouterConfig::default());
//! standby.add_queue(QueueId(1), QueueConfig::new(SkillId(1)), Builtin::LongestIdle.boxed(), t)?;
//! for call in store.load_waiting().await? {
//!     standby.restore(&call, Timestamp::from_secs(20))?;
//! }
//! assert_eq!(standby.queue_len(QueueId(1)), Some(1));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

use async_trait::async_trait;

use crate::agent::AgentConfig;
use crate::error::{AgentError, StoreError};
use crate::id::{AgentId, CallId};
use crate::router::{Router, WaitingCall};
use crate::time::Timestamp;

/// Where agents and their skills come from.
#[async_trait]
pub trait AgentDirectory: Send + Sync {
    /// Every agent that may log in, with its routing configuration.
    async fn agents(&self) -> Result<Vec<(AgentId, AgentConfig)>, StoreError>;

    /// One agent's configuration, if it exists.
    async fn agent(&self, id: AgentId) -> Result<Option<AgentConfig>, StoreError>;
}

/// Durable routing state: the calls that have not reached an agent.
#[async_trait]
pub trait RoutingStore: Send + Sync {
    /// Replaces the saved waiting calls with `calls`.
    async fn save_waiting(&self, calls: &[WaitingCall]) -> Result<(), StoreError>;

    /// Forgets one call (answered, abandoned or gone).
    async fn remove(&self, call: CallId) -> Result<(), StoreError>;

    /// The saved waiting calls, in the order they were saved.
    async fn load_waiting(&self) -> Result<Vec<WaitingCall>, StoreError>;
}

/// Logs in every agent of `directory` (not ready), skipping those already
/// logged in. Returns how many were added.
pub async fn load_agents(
    router: &mut Router,
    directory: &dyn AgentDirectory,
    now: Timestamp,
) -> Result<usize, StoreError> {
    let mut added = 0;
    for (id, config) in directory.agents().await? {
        match router.add_agent(id, config, now) {
            Ok(()) => added += 1,
            Err(AgentError::Duplicate { .. }) => {}
            Err(e) => return Err(StoreError::Rejected(e.to_string())),
        }
    }
    Ok(added)
}

/// An agent directory in memory.
#[derive(Debug, Default)]
pub struct InMemoryDirectory {
    agents: Mutex<BTreeMap<AgentId, AgentConfig>>,
}

impl InMemoryDirectory {
    /// An empty directory.
    pub fn new() -> InMemoryDirectory {
        InMemoryDirectory::default()
    }

    /// Adds or replaces an agent.
    pub fn put(&self, id: AgentId, config: AgentConfig) {
        self.agents
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id, config);
    }

    /// Removes an agent.
    pub fn delete(&self, id: AgentId) {
        self.agents
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&id);
    }
}

#[async_trait]
impl AgentDirectory for InMemoryDirectory {
    async fn agents(&self) -> Result<Vec<(AgentId, AgentConfig)>, StoreError> {
        let agents = self.agents.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(agents.iter().map(|(id, c)| (*id, c.clone())).collect())
    }

    async fn agent(&self, id: AgentId) -> Result<Option<AgentConfig>, StoreError> {
        let agents = self.agents.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(agents.get(&id).cloned())
    }
}

/// A routing store in memory.
#[derive(Debug, Default)]
pub struct InMemoryStore {
    calls: Mutex<Vec<WaitingCall>>,
}

impl InMemoryStore {
    /// An empty store.
    pub fn new() -> InMemoryStore {
        InMemoryStore::default()
    }
}

#[async_trait]
impl RoutingStore for InMemoryStore {
    async fn save_waiting(&self, calls: &[WaitingCall]) -> Result<(), StoreError> {
        let mut saved = self.calls.lock().unwrap_or_else(PoisonError::into_inner);
        saved.clear();
        saved.extend_from_slice(calls);
        Ok(())
    }

    async fn remove(&self, call: CallId) -> Result<(), StoreError> {
        self.calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|c| c.call != call);
        Ok(())
    }

    async fn load_waiting(&self) -> Result<Vec<WaitingCall>, StoreError> {
        Ok(self
            .calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strategy::Builtin;
    use crate::{CallRequest, Level, Output, QueueConfig, QueueId, RouterConfig, SkillId};
    use futures::executor::block_on;
    use std::time::Duration;

    fn router(t: Timestamp) -> Router {
        let mut r = Router::new(RouterConfig::default());
        r.add_queue(
            QueueId(1),
            QueueConfig::new(SkillId(1)),
            Builtin::Linear.boxed(),
            t,
        )
        .unwrap();
        r
    }

    #[test]
    fn restored_calls_keep_their_place_and_callback() {
        let t = Timestamp::from_secs(100);
        let mut a = router(t);
        a.enqueue(CallId(1), QueueId(1), CallRequest::new(), t)
            .unwrap();
        a.enqueue(
            CallId(2),
            QueueId(1),
            CallRequest::new().priority(1),
            t + Duration::from_secs(5),
        )
        .unwrap();
        a.enqueue(
            CallId(3),
            QueueId(1),
            CallRequest::new(),
            t + Duration::from_secs(9),
        )
        .unwrap();
        a.request_callback(CallId(3)).unwrap();
        let store = InMemoryStore::new();
        block_on(store.save_waiting(&a.waiting_calls())).unwrap();
        block_on(store.remove(CallId(1))).unwrap();

        let later = t + Duration::from_secs(60);
        let mut b = router(later);
        // Restore in reverse to show the order comes from the saved arrival.
        for call in block_on(store.load_waiting()).unwrap().iter().rev() {
            b.restore(call, later).unwrap();
        }
        let directory = InMemoryDirectory::new();
        directory.put(AgentId(7), AgentConfig::new().skill(SkillId(1), Level::MAX));
        assert_eq!(block_on(load_agents(&mut b, &directory, later)).unwrap(), 1);
        assert_eq!(block_on(load_agents(&mut b, &directory, later)).unwrap(), 0);
        b.set_ready(AgentId(7), true, later).unwrap();
        let Some(Output::Offer(offer)) = b.poll_output() else {
            panic!("no offer")
        };
        // Call 2 (priority 1, a 60 s head start) is ahead of call 3.
        assert_eq!(offer.call, CallId(2));
        let answered = b.accept(offer.reservation, later).unwrap();
        assert_eq!(answered.waited, Duration::from_secs(55));
        b.complete(CallId(2), later).unwrap();
        let Some(Output::Offer(offer)) = b.poll_output() else {
            panic!("no offer")
        };
        assert_eq!(offer.call, CallId(3));
        assert!(offer.callback);
    }
}
