//! Every limit and default of the language and the interpreter, in one place.
//!
//! Parse limits (input size, nesting depth, node count) are in
//! [`crate::parser::ParseLimits`]; session limits (step budget, call depth,
//! type-ahead) in [`crate::session::SessionLimits`]. The constants here are
//! the defaults a flow gets when it does not say otherwise, and the bounds
//! the checker enforces.

/// `retries` when a menu or gather does not say: two more attempts after
/// the first failure.
pub const DEFAULT_RETRIES: u8 = 2;
/// The most `retries` a menu or gather may ask for.
pub const MAX_RETRIES: i64 = 10;
/// How long a menu or gather waits for the first key (ms).
pub const DEFAULT_INPUT_TIMEOUT_MS: u32 = 5_000;
/// How long a gather waits between keys (ms).
pub const DEFAULT_INTER_DIGIT_MS: u32 = 3_000;
/// The most digits a gather collects.
pub const MAX_DIGITS: i64 = 32;
/// A gather's digits when it does not say: 1 to 20.
pub const DEFAULT_MAX_DIGITS: u8 = 20;
/// How long a lookup waits for the host's answer (ms).
pub const DEFAULT_LOOKUP_TIMEOUT_MS: u32 = 5_000;
/// Longest recording when `record` does not say (ms).
pub const DEFAULT_RECORD_MAX_MS: u32 = 60_000;
/// Longest voicemail message when `voicemail` does not say (ms).
pub const DEFAULT_VOICEMAIL_MAX_MS: u32 = 120_000;
/// The deepest chain of subflow calls the checker accepts.
pub const MAX_CALL_DEPTH: usize = 16;
/// Keys kept for the next gather when pressed during a prompt.
pub const MAX_TYPE_AHEAD: usize = 32;
/// The longest string (in bytes) a session builds with `+` or `{...}`
/// interpolation; a longer one ends the call as a defect, so a loop that
/// keeps doubling a string cannot exhaust memory within the step budget.
pub const MAX_STRING_BYTES: usize = 1 << 20;
/// The deepest nesting of records in any value a session holds: a string,
/// integer or boolean is 0 deep, a record of them 1, a record holding such a
/// record 2. Host values are checked where they enter (`caller` with its
/// attributes at [`crate::session::Session::start`], a lookup's answer at
/// [`crate::session::Session::handle`], any value when deserialized) and a
/// deeper one is refused with a typed error, so displaying, comparing,
/// cloning, serializing and dropping a value never recurses further than
/// this. Flows cannot build records, so they cannot nest values deeper.
pub const MAX_VALUE_DEPTH: usize = 32;
