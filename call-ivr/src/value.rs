//! Values and types of the expression language.

use std::fmt;

use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, SeqAccess, VariantAccess, Visitor,
};
use serde::{Deserialize, Serialize};

use crate::limits::MAX_VALUE_DEPTH;

/// A run-time value: a string, an integer, a boolean or a record (the result
/// of a lookup, or the caller's details).
///
/// Deserializing refuses a value whose records nest deeper than
/// [`MAX_VALUE_DEPTH`], without recursing further, whatever the format's own
/// limits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
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

    /// Whether records nest more than `max` deep in this value (see
    /// [`crate::limits::MAX_VALUE_DEPTH`] for how depth counts). Walks the
    /// value without recursion and stops at the first record past `max`, so
    /// it is safe on a value of any depth.
    ///
    /// # Examples
    ///
    /// ```
    /// use call_ivr::value::Value;
    ///
    /// let account = Value::Record(vec![("balance".into(), Value::from(120))]);
    /// let customer = Value::Record(vec![("account".into(), account)]);
    /// assert!(!customer.nests_deeper_than(2));
    /// assert!(customer.nests_deeper_than(1));
    /// assert!(!Value::from("Ada").nests_deeper_than(0));
    /// ```
    pub fn nests_deeper_than(&self, max: usize) -> bool {
        let Value::Record(fields) = self else {
            return false;
        };
        if max == 0 {
            return true;
        }
        // One iterator per open record: the stack's length is the depth of
        // the record being walked, never more than `max`.
        let mut open = vec![fields.iter()];
        while let Some(walking) = open.last_mut() {
            match walking.next() {
                Some((_, Value::Record(inner))) => {
                    if open.len() >= max {
                        return true;
                    }
                    open.push(inner.iter());
                }
                Some(_) => {}
                None => {
                    open.pop();
                }
            }
        }
        false
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

/// Drops record fields one value at a time instead of recursing into nested
/// records, for a host value refused as too deep: the derived drop glue
/// would recurse once per level.
pub(crate) fn drop_fields(fields: Vec<(String, Value)>) {
    let mut pending = fields;
    while let Some((_, value)) = pending.pop() {
        if let Value::Record(inner) = value {
            // `value` is left with nothing to drop; its fields wait here.
            pending.extend(inner);
        }
    }
}

/// The variants' names, as the derived `Serialize` writes them.
const VARIANTS: &[&str] = &["Str", "Int", "Bool", "Record", "Unset"];

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        ValueSeed { records_around: 0 }.deserialize(deserializer)
    }
}

/// Reads one value inside `records_around` records, counting the depth
/// that serde's derive cannot.
#[derive(Clone, Copy)]
struct ValueSeed {
    records_around: usize,
}

impl<'de> DeserializeSeed<'de> for ValueSeed {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_enum("Value", VARIANTS, self)
    }
}

impl<'de> Visitor<'de> for ValueSeed {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value: Str, Int, Bool, Record or Unset")
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Value, A::Error> {
        let (variant, access) = data.variant::<Variant>()?;
        match variant {
            Variant::Str => access.newtype_variant().map(Value::Str),
            Variant::Int => access.newtype_variant().map(Value::Int),
            Variant::Bool => access.newtype_variant().map(Value::Bool),
            Variant::Record => {
                if self.records_around >= MAX_VALUE_DEPTH {
                    return Err(de::Error::custom(format_args!(
                        "a value nests records deeper than {MAX_VALUE_DEPTH} levels (limits::MAX_VALUE_DEPTH)"
                    )));
                }
                access
                    .newtype_variant_seed(FieldsSeed {
                        records_around: self.records_around + 1,
                    })
                    .map(Value::Record)
            }
            Variant::Unset => access.unit_variant().map(|()| Value::Unset),
        }
    }
}

/// A variant's name, or its index in formats that write indexes.
enum Variant {
    Str,
    Int,
    Bool,
    Record,
    Unset,
}

impl<'de> Deserialize<'de> for Variant {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_identifier(VariantVisitor)
    }
}

struct VariantVisitor;

impl Visitor<'_> for VariantVisitor {
    type Value = Variant;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a variant of Value")
    }

    fn visit_u64<E: de::Error>(self, index: u64) -> Result<Variant, E> {
        match index {
            0 => Ok(Variant::Str),
            1 => Ok(Variant::Int),
            2 => Ok(Variant::Bool),
            3 => Ok(Variant::Record),
            4 => Ok(Variant::Unset),
            _ => Err(E::invalid_value(
                de::Unexpected::Unsigned(index),
                &"a variant index 0 <= i < 5",
            )),
        }
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<Variant, E> {
        match name {
            "Str" => Ok(Variant::Str),
            "Int" => Ok(Variant::Int),
            "Bool" => Ok(Variant::Bool),
            "Record" => Ok(Variant::Record),
            "Unset" => Ok(Variant::Unset),
            _ => Err(E::unknown_variant(name, VARIANTS)),
        }
    }

    fn visit_bytes<E: de::Error>(self, name: &[u8]) -> Result<Variant, E> {
        match std::str::from_utf8(name) {
            Ok(name) => self.visit_str(name),
            Err(_) => Err(E::invalid_value(de::Unexpected::Bytes(name), &self)),
        }
    }
}

/// A record's fields, each value inside `records_around` records.
#[derive(Clone, Copy)]
struct FieldsSeed {
    records_around: usize,
}

impl<'de> DeserializeSeed<'de> for FieldsSeed {
    type Value = Vec<(String, Value)>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for FieldsSeed {
    type Value = Vec<(String, Value)>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a sequence of (name, value) fields")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        // A length prefix is only a hint: don't let it reserve unbounded memory.
        let mut fields = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(field) = seq.next_element_seed(FieldSeed {
            records_around: self.records_around,
        })? {
            fields.push(field);
        }
        Ok(fields)
    }
}

/// One `(name, value)` field.
#[derive(Clone, Copy)]
struct FieldSeed {
    records_around: usize,
}

impl<'de> DeserializeSeed<'de> for FieldSeed {
    type Value = (String, Value);

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_tuple(2, self)
    }
}

impl<'de> Visitor<'de> for FieldSeed {
    type Value = (String, Value);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a (name, value) field")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let name: String = seq
            .next_element()?
            .ok_or_else(|| de::Error::invalid_length(0, &self))?;
        let value = seq
            .next_element_seed(ValueSeed {
                records_around: self.records_around,
            })?
            .ok_or_else(|| de::Error::invalid_length(1, &self))?;
        Ok((name, value))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(levels: usize) -> Value {
        let mut v = Value::Int(7);
        for _ in 0..levels {
            v = Value::Record(vec![("a".into(), Value::Bool(true)), ("inner".into(), v)]);
        }
        v
    }

    #[test]
    fn depth_counts_records_only() {
        for levels in 0..5 {
            let v = nested(levels);
            assert!(!v.nests_deeper_than(levels), "{levels}");
            if levels > 0 {
                assert!(v.nests_deeper_than(levels - 1), "{levels}");
            }
        }
        // The deep branch is the last field of a wide record.
        let wide = Value::Record(vec![
            ("x".into(), nested(1)),
            ("y".into(), Value::Record(Vec::new())),
            ("z".into(), nested(3)),
        ]);
        assert!(!wide.nests_deeper_than(4));
        assert!(wide.nests_deeper_than(3));
        assert!(Value::Record(Vec::new()).nests_deeper_than(0));
        assert!(!Value::Unset.nests_deeper_than(0));
    }

    #[test]
    fn a_million_levels_are_measured_and_dropped_on_a_small_stack() {
        std::thread::Builder::new()
            .stack_size(64 * 1024)
            .spawn(|| {
                let v = nested(1_000_000);
                assert!(v.nests_deeper_than(999_999));
                assert!(!v.nests_deeper_than(1_000_000));
                drop_fields(vec![("v".into(), v)]);
            })
            .unwrap()
            .join()
            .unwrap();
    }
}
