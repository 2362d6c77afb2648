//! Values and types of the expression language.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A run-time value: a string, an integer, a boolean or a record (the result
/// of a lookup, or the caller's details).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Value {
    /// Text; also digits a caller entered.
    Str(String),
    /// A 64-bit integer.
    Int(i64),
    /// `true` or `false`.
    Bool(bool),
    /// Named fields, as a lookup returns them.
    Record(Vec<(String, Value)>),
    /// A variable not assigned yet.
    Unset,
}

impl Value {
    /// The value's type.
    pub fn ty(&self) -> Type {
        match self {
            Value::Str(_) => Type::Str,
            Value::Int(_) => Type::Int,
            Value::Bool(_) => Type::Bool,
            Value::Record(_) => Type::Record,
            Value::Unset => Type::Any,
        }
    }

    /// A field of a record; a missing field, or a field of a non-record, reads
    /// as the empty string.
    pub fn field(&self, name: &str) -> Value {
        match self {
            Value::Record(fields) => fields
                .iter()
                .find(|(k, _)| k == name)
                .map_or(Value::Str(String::new()), |(_, v)| v.clone()),
            _ => Value::Str(String::new()),
        }
    }

    /// Bytes this value holds on the heap (for the bytes-per-session figure).
    pub fn heap_bytes(&self) -> usize {
        match self {
            Value::Str(s) => s.capacity(),
            Value::Record(fields) => {
                fields.capacity() * std::mem::size_of::<(String, Value)>()
                    + fields
                        .iter()
                        .map(|(k, v)| k.capacity() + v.heap_bytes())
                        .sum::<usize>()
            }
            _ => 0,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Str(s) => f.write_str(s),
            Value::Int(i) => write!(f, "{i}"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Record(fields) => {
                for (i, (k, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k}={v}")?;
                }
                Ok(())
            }
            Value::Unset => Ok(()),
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Str(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Str(s)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Int(i)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

/// A static type, as the checker infers it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Type {
    /// A string.
    Str,
    /// An integer.
    Int,
    /// A boolean.
    Bool,
    /// A record.
    Record,
    /// Known only at run time: record fields and subflow parameters.
    Any,
}

impl Type {
    /// Whether a value of type `self` may stand where `want` is expected.
    pub fn fits(self, want: Type) -> bool {
        self == want || self == Type::Any || want == Type::Any
    }

    /// The type's name in messages.
    pub fn name(self) -> &'static str {
        match self {
            Type::Str => "string",
            Type::Int => "integer",
            Type::Bool => "boolean",
            Type::Record => "record",
            Type::Any => "any",
        }
    }
}

/// Writes the type with its article, as messages use it: "an integer".
impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Type::Str => "a string",
            Type::Int => "an integer",
            Type::Bool => "a boolean",
            Type::Record => "a record",
            Type::Any => "a value of any type",
        })
    }
}
