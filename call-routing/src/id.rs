//! Identifiers and small value types: agents, calls, queues, skills,
//! proficiency levels, channels and reservations.
//!
//! Identifiers are host-assigned numbers wrapped in newtypes, so a call id can
//! never be passed where an agent id is expected. The host maps them to its
//! own records (SIP Call-ID, agent login) with whatever table it likes.

use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident($inner:ty), $prefix:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub $inner);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($prefix, "{}"), self.0)
            }
        }
    };
}

id_type!(
    /// An agent (a person or a bot that takes contacts), chosen by the host.
    AgentId(u32),
    "agent#"
);
id_type!(
    /// A call (or any contact) waiting in or routed by the router, chosen by the host.
    CallId(u64),
    "call#"
);
id_type!(
    /// A queue, chosen by the host.
    QueueId(u32),
    "queue#"
);
id_type!(
    /// A skill (sales, billing, a language such as French), chosen by the host.
    ///
    /// Languages are skills: give agents a skill per language they speak and
    /// require it on calls, with a level for fluency.
    SkillId(u32),
    "skill#"
);
id_type!(
    /// One offer of one call to one agent, made by the router. It is the
    /// handle the host answers with ([`crate::Router::accept`],
    /// [`crate::Router::reject`]); it is never reused.
    ReservationId(u64),
    "reservation#"
);

/// A proficiency level in a skill, from [`Level::MIN`] (0, can take the call
/// at all) to [`Level::MAX`] (10, expert). Higher is better.
///
/// Asterisk's penalties and FreeSWITCH's tier levels count the other way
/// (lower is preferred); map them with `Level::MAX - penalty`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Level(u8);

impl Level {
    /// The lowest level: any agent with the skill qualifies.
    pub const MIN: Level = Level(0);
    /// The highest level.
    pub const MAX: Level = Level(10);
    /// Number of distinct levels (the size of the per-level indexes).
    pub const COUNT: usize = 11;

    /// A level, or `None` above [`Level::MAX`].
    ///
    /// ```
    /// use call_routing::Level;
    /// assert_eq!(Level::new(7).map(Level::get), Some(7));
    /// assert_eq!(Level::new(11), None);
    /// ```
    pub const fn new(level: u8) -> Option<Level> {
        if level <= Level::MAX.0 {
            Some(Level(level))
        } else {
            None
        }
    }

    /// A level, clamped to [`Level::MAX`].
    pub const fn saturating(level: u8) -> Level {
        if level <= Level::MAX.0 {
            Level(level)
        } else {
            Level::MAX
        }
    }

    /// The numeric level.
    pub const fn get(self) -> u8 {
        self.0
    }

    /// The level as an index into per-level tables.
    pub(crate) fn index(self) -> usize {
        usize::from(self.0)
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "level {}", self.0)
    }
}

/// A media channel: agents have a separate capacity per channel (one voice
/// call, three chats). An open code space: hosts may define more channels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Channel(pub u8);

impl Channel {
    /// Voice calls.
    pub const VOICE: Channel = Channel(0);
    /// Web or messaging chat.
    pub const CHAT: Channel = Channel(1);
    /// E-mail.
    pub const EMAIL: Channel = Channel(2);
    /// Scheduled callbacks.
    pub const CALLBACK: Channel = Channel(3);
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Channel::VOICE => f.write_str("voice"),
            Channel::CHAT => f.write_str("chat"),
            Channel::EMAIL => f.write_str("email"),
            Channel::CALLBACK => f.write_str("callback"),
            Channel(other) => write!(f, "channel {other}"),
        }
    }
}
