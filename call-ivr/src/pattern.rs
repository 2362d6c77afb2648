//! Digit patterns that validate what a caller enters, in the style of PBX
//! dial plans: `X` is any digit, `Z` 1-9, `N` 2-9, `[1-5*]` a class, other
//! keys stand for themselves, and a final `.` means "one or more keys more"
//! (`!`: zero or more).
//!
//! ```
//! use call_ivr::pattern::DigitPattern;
//!
//! let p = DigitPattern::parse("NXX[0-4]").unwrap();
//! assert!(p.matches("2990"));
//! assert!(!p.matches("1990"));
//! assert!(!p.matches("29905"));
//! ```

use serde::{Deserialize, Serialize};

/// Index of a key in a 12-bit set: 0-9, then `*` (10) and `#` (11).
fn key_bit(c: char) -> Option<u16> {
    match c {
        '0'..='9' => Some(1 << (c as u16 - '0' as u16)),
        '*' => Some(1 << 10),
        '#' => Some(1 << 11),
        _ => None,
    }
}

const ANY_KEY: u16 = 0x0fff;
const DIGITS: u16 = 0x03ff;

/// A compiled digit pattern.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigitPattern {
    /// One key set per position.
    positions: Vec<u16>,
    /// Extra keys allowed after the positions: `None`, or the minimum count
    /// (1 for `.`, 0 for `!`).
    tail: Option<u8>,
}

/// Why a pattern was rejected, with the character offset of the problem.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message} at character {at}")]
pub struct PatternError {
    /// What is wrong.
    pub message: String,
    /// Offset in characters.
    pub at: usize,
}

impl DigitPattern {
    /// Longest pattern accepted, in positions.
    pub const MAX_POSITIONS: usize = 64;

    /// Compiles a pattern.
    pub fn parse(text: &str) -> Result<DigitPattern, PatternError> {
        let chars: Vec<char> = text.chars().collect();
        let err = |message: &str, at: usize| PatternError {
            message: message.to_string(),
            at,
        };
        let mut positions = Vec::new();
        let mut tail = None;
        let mut i = 0;
        while let Some(&c) = chars.get(i) {
            if tail.is_some() {
                return Err(err("`.` or `!` must end the pattern", i));
            }
            let set = match c {
                'X' | 'x' => DIGITS,
                'Z' | 'z' => DIGITS & !1,
                'N' | 'n' => DIGITS & !3,
                '.' => {
                    tail = Some(1);
                    i += 1;
                    continue;
                }
                '!' => {
                    tail = Some(0);
                    i += 1;
                    continue;
                }
                '[' => {
                    let start = i;
                    let mut set = 0u16;
                    i += 1;
                    loop {
                        match chars.get(i) {
                            None => return Err(err("`[` without `]`", start)),
                            Some(']') => break,
                            Some(&a) => {
                                let Some(bit) = key_bit(a) else {
                                    return Err(err("only keys 0-9 * # go in a class", i));
                                };
                                if chars.get(i + 1) == Some(&'-')
                                    && let Some(&b) = chars.get(i + 2)
                                    && b != ']'
                                {
                                    if !(a.is_ascii_digit() && b.is_ascii_digit() && a <= b) {
                                        return Err(err("a range goes from a digit to a digit", i));
                                    }
                                    for d in a..=b {
                                        set |= key_bit(d).unwrap_or(0);
                                    }
                                    i += 3;
                                } else {
                                    set |= bit;
                                    i += 1;
                                }
                            }
                        }
                    }
                    if set == 0 {
                        return Err(err("empty class", start));
                    }
                    set
                }
                _ => key_bit(c).ok_or_else(|| err("not a key or pattern letter", i))?,
            };
            positions.push(set);
            if positions.len() > Self::MAX_POSITIONS {
                return Err(err("pattern too long", i));
            }
            i += 1;
        }
        if positions.is_empty() && tail.is_none() {
            return Err(err("empty pattern", 0));
        }
        Ok(DigitPattern { positions, tail })
    }

    /// Whether `keys` matches the whole pattern.
    pub fn matches(&self, keys: &str) -> bool {
        let n = keys.chars().count();
        let fixed = self.positions.len();
        let len_ok = match self.tail {
            None => n == fixed,
            Some(min) => n >= fixed + usize::from(min),
        };
        len_ok
            && keys.chars().enumerate().all(|(i, c)| {
                let set = self.positions.get(i).copied().unwrap_or(ANY_KEY);
                key_bit(c).is_some_and(|b| set & b != 0)
            })
    }

    /// Whether the pattern can accept `key` anywhere.
    pub fn accepts_key(&self, key: char) -> bool {
        let Some(bit) = key_bit(key) else {
            return false;
        };
        self.tail.is_some() || self.positions.iter().any(|s| s & bit != 0)
    }

    /// The shortest and longest matching input (`None`: unbounded).
    pub fn length_bounds(&self) -> (usize, Option<usize>) {
        let fixed = self.positions.len();
        match self.tail {
            None => (fixed, Some(fixed)),
            Some(min) => (fixed + usize::from(min), None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_letters_and_tails() {
        let p = DigitPattern::parse("[1-3*]Z.").unwrap();
        assert!(p.matches("*55"));
        assert!(p.matches("3100"));
        assert!(!p.matches("30"));
        assert!(!p.matches("4"));
        assert!(p.accepts_key('#'));
        let q = DigitPattern::parse("XXXX").unwrap();
        assert!(!q.accepts_key('#'));
        assert_eq!(q.length_bounds(), (4, Some(4)));
        assert!(DigitPattern::parse("X.X").is_err());
        assert!(DigitPattern::parse("[5-1]").is_err());
        assert!(DigitPattern::parse("[12").is_err());
        assert!(DigitPattern::parse("A").is_err());
        assert!(DigitPattern::parse("").is_err());
    }
}
