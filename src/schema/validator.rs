//! The schema check's own JSON Schema validator, made for exactly the embedded Kubernetes
//! DaemonSet schemas.
//!
//! Why not a general validator (the policies use `jsonschema`): start-up time. A single small
//! file is the common run (an editor, a pre-commit hook), and compiling the DaemonSet schema
//! with `jsonschema` (meta-schema validation, reference resolution, hundreds of keyword
//! validators) cost more than the rest of such a run together. This one parses the schema text
//! straight into a small arena (`$ref`s resolved to node indices) in a fraction of that, and
//! walks the span tree in place, naming each failing value by its JSON pointer so that
//! [`super::explain`] finds its exact span.
//!
//! It implements only the keywords the generator emits (`schemas/k8s/README.md`): `type`,
//! `$ref` (local `#/definitions/...`), `definitions`, `properties`, `additionalProperties`
//! (`false` beside `properties`, or a schema without them), `items` (a schema), `required`,
//! `enum` (strings and null), `minimum`, `maximum` (integers), `format` (`int32` and `int64`,
//! which only annotate, and `date-time`), `pattern` (the Kubernetes quantity grammar) and
//! `$schema`. Compiling refuses any other keyword, value or combination, and a test compiles
//! every embedded schema, so a regenerated schema cannot silently lose a check.
//!
//! Verdicts and problems are those of `jsonschema` 0.60 (draft 7, formats asserted), in the
//! order it reports them, so findings and the per-object cap stay as they were; tests compare
//! the two on many documents. Per value: `type`, `enum`, `minimum`, `maximum`, `required` (of
//! two or more names), `pattern`, `format`, then the members in document order (an unexpected
//! member is reported once for the object, after the members' own problems, followed by a
//! single `required` name), then the items.

use std::borrow::Cow;
use std::fmt::{self, Write as _};

use super::explain::{EnumValues, Problem, QUANTITY_PATTERN};
use super::instance::{json_value, JsonValue, Num};
use crate::yaml::Node;

/// A JSON type, as `type` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum JsonType {
    Null,
    Boolean,
    Integer,
    Number,
    String,
    Array,
    Object,
}

impl JsonType {
    const ALL: [JsonType; 7] = [
        JsonType::Null,
        JsonType::Boolean,
        JsonType::Integer,
        JsonType::Number,
        JsonType::String,
        JsonType::Array,
        JsonType::Object,
    ];

    fn bit(self) -> u8 {
        1 << self as u8
    }

    fn parse(name: &str) -> Option<JsonType> {
        Some(match name {
            "null" => JsonType::Null,
            "boolean" => JsonType::Boolean,
            "integer" => JsonType::Integer,
            "number" => JsonType::Number,
            "string" => JsonType::String,
            "array" => JsonType::Array,
            "object" => JsonType::Object,
            _ => return None,
        })
    }
}

/// A set of JSON types; iterates in the order null, boolean, integer, number, string, array,
/// object (the order messages list them in).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct TypeSet(u8);

impl TypeSet {
    #[must_use]
    pub(crate) fn with(self, t: JsonType) -> TypeSet {
        TypeSet(self.0 | t.bit())
    }

    #[must_use]
    pub(crate) fn contains(self, t: JsonType) -> bool {
        self.0 & t.bit() != 0
    }

    pub(crate) fn iter(self) -> impl Iterator<Item = JsonType> {
        JsonType::ALL.into_iter().filter(move |t| self.contains(*t))
    }

    /// Whether `value` is of one of the types (an integer is a number too).
    fn accepts(self, value: JsonValue<'_>) -> bool {
        match value {
            JsonValue::Null => self.contains(JsonType::Null),
            JsonValue::Bool(_) => self.contains(JsonType::Boolean),
            JsonValue::Num(n) => {
                self.contains(JsonType::Number)
                    || (n.is_integer() && self.contains(JsonType::Integer))
            }
            JsonValue::Str(_) => self.contains(JsonType::String),
            JsonValue::Array => self.contains(JsonType::Array),
            JsonValue::Object => self.contains(JsonType::Object),
        }
    }
}

/// A compiled schema: an arena of nodes, the root first.
pub(crate) struct Schema<'s> {
    nodes: Vec<Rule<'s>>,
}

/// What one (sub)schema demands.
#[derive(Default)]
struct Rule<'s> {
    types: Option<TypeSet>,
    values: Option<Box<[Option<&'s str>]>>,
    minimum: Option<i64>,
    maximum: Option<i64>,
    quantity: bool,
    date_time: bool,
    members: Option<Box<Members<'s>>>,
    items: Option<u32>,
}

/// What an object's members must be.
#[derive(Default)]
struct Members<'s> {
    /// Declared names, sorted (as `jsonschema` iterates them), and the schema of each.
    names: Box<[&'s str]>,
    schemas: Box<[u32]>,
    /// Undeclared members are errors (`additionalProperties: false` beside `properties`).
    closed: bool,
    /// The schema of every member (`additionalProperties` without `properties`).
    each: Option<u32>,
    /// `required` names, checked before the members ...
    required: Box<[&'s str]>,
    /// ... or the single one checked after them (`jsonschema` fuses it with `properties`).
    required_after: Option<&'s str>,
}

/// Index of a node in the arena.
type Index = u32;

/// Why a schema does not compile.
#[derive(Debug)]
pub(crate) struct CompileError(pub(crate) String);

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'s> Schema<'s> {
    /// Compile the schema `text`, refusing any keyword, value or combination not implemented.
    pub(crate) fn compile(text: &'s str) -> Result<Schema<'s>, CompileError> {
        compile::compile(text)
    }

    /// Every problem of `root`, in `jsonschema`'s order.
    pub(crate) fn validate<'a>(&'s self, root: Node<'a>) -> Vec<Failure<'s>> {
        let mut walk = Walk {
            schema: self,
            path: Vec::new(),
            failures: Vec::new(),
        };
        walk.node(0, root);
        walk.failures
    }
}

/// One problem found: where (a JSON pointer into the validated value) and what.
#[derive(Debug)]
pub(crate) struct Failure<'s> {
    pub(crate) pointer: String,
    kind: Kind<'s>,
}

#[derive(Debug)]
enum Kind<'s> {
    UnknownFields {
        names: Vec<String>,
        allowed: &'s [&'s str],
    },
    Type(TypeSet),
    Required(&'s str),
    Enum(&'s [Option<&'s str>]),
    Minimum(i64),
    Maximum(i64),
    Quantity,
    DateTime,
}

impl Failure<'_> {
    /// The problem, for [`super::explain`].
    pub(crate) fn problem(&self) -> Problem<'_> {
        match &self.kind {
            Kind::UnknownFields { names, allowed } => Problem::UnknownFields { names, allowed },
            Kind::Type(types) => Problem::Type(*types),
            Kind::Required(name) => Problem::Required(name),
            Kind::Enum(values) => Problem::Enum(EnumValues::Strings(values)),
            Kind::Minimum(limit) => Problem::Minimum(limit.to_string()),
            Kind::Maximum(limit) => Problem::Maximum(limit.to_string()),
            Kind::Quantity => Problem::Pattern(QUANTITY_PATTERN),
            Kind::DateTime => Problem::Format("date-time"),
        }
    }
}

/// A step of the path from the validated root to the current value.
enum Step<'a> {
    Key(Cow<'a, str>),
    Index(usize),
}

struct Walk<'s, 'a> {
    schema: &'s Schema<'s>,
    path: Vec<Step<'a>>,
    failures: Vec<Failure<'s>>,
}

impl<'s, 'a> Walk<'s, 'a> {
    fn fail(&mut self, kind: Kind<'s>) {
        let mut pointer = String::new();
        for step in &self.path {
            pointer.push('/');
            match step {
                Step::Key(key) => {
                    for c in key.chars() {
                        match c {
                            '~' => pointer.push_str("~0"),
                            '/' => pointer.push_str("~1"),
                            c => pointer.push(c),
                        }
                    }
                }
                Step::Index(i) => {
                    let _ = write!(pointer, "{i}");
                }
            }
        }
        self.failures.push(Failure { pointer, kind });
    }

    /// Check `value` against node `at`. Recursion follows the value's nesting, which the
    /// loader's limits and `check_expansion` bound.
    fn node(&mut self, at: Index, value: Node<'a>) {
        let schema = self.schema;
        let Some(rule) = schema.nodes.get(at as usize) else {
            return;
        };
        let json = json_value(value);
        if let Some(types) = rule.types {
            if !types.accepts(json) {
                self.fail(Kind::Type(types));
            }
        }
        if let Some(values) = &rule.values {
            let listed = match json {
                JsonValue::Str(s) => values.contains(&Some(s)),
                JsonValue::Null => values.iter().any(Option::is_none),
                _ => false,
            };
            if !listed {
                self.fail(Kind::Enum(values));
            }
        }
        match json {
            JsonValue::Num(n) => {
                if let Some(min) = rule.minimum {
                    if !at_least(n, min) {
                        self.fail(Kind::Minimum(min));
                    }
                }
                if let Some(max) = rule.maximum {
                    if !at_most(n, max) {
                        self.fail(Kind::Maximum(max));
                    }
                }
            }
            JsonValue::Str(s) => {
                if rule.quantity && !is_quantity(s) {
                    self.fail(Kind::Quantity);
                }
                if rule.date_time && !is_date_time(s) {
                    self.fail(Kind::DateTime);
                }
            }
            JsonValue::Object => {
                if let Some(members) = &rule.members {
                    self.members(members, value);
                }
            }
            JsonValue::Array => {
                if let Some(items) = rule.items {
                    for (i, item) in value.items().enumerate() {
                        self.path.push(Step::Index(i));
                        self.node(items, item);
                        self.path.pop();
                    }
                }
            }
            JsonValue::Null | JsonValue::Bool(_) => {}
        }
    }

    fn members(&mut self, members: &'s Members<'s>, value: Node<'a>) {
        for name in &members.required {
            if value.json_get(name).is_none() {
                self.fail(Kind::Required(name));
            }
        }
        let mut unexpected = Vec::new();
        let mut found_required = false;
        for (name, member) in value.json_members() {
            let schema = if let Some(each) = members.each {
                each
            } else if let Ok(i) = members.names.binary_search(&name.as_ref()) {
                found_required |= members.required_after == Some(name.as_ref());
                members.schemas.get(i).copied().unwrap_or(Index::MAX)
            } else {
                if members.closed {
                    unexpected.push(name.into_owned());
                }
                continue;
            };
            self.path.push(Step::Key(name));
            self.node(schema, member);
            self.path.pop();
        }
        if !unexpected.is_empty() {
            self.fail(Kind::UnknownFields {
                names: unexpected,
                allowed: &members.names,
            });
        }
        if let Some(name) = members.required_after {
            if !found_required {
                self.fail(Kind::Required(name));
            }
        }
    }
}

#[allow(clippy::cast_precision_loss)] // exact: limits are within ±2^53
fn at_least(n: Num, limit: i64) -> bool {
    match n {
        Num::Int(i) => i >= limit,
        Num::Float(f) => f >= limit as f64,
    }
}

#[allow(clippy::cast_precision_loss)] // exact: limits are within ±2^53
fn at_most(n: Num, limit: i64) -> bool {
    match n {
        Num::Int(i) => i <= limit,
        Num::Float(f) => f <= limit as f64,
    }
}

/// The Kubernetes quantity grammar, [`QUANTITY_PATTERN`], matched by hand (a test compares it
/// with the regular expression):
/// `^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([KMGTPE]i|[numkMGTPE]|[eE][+-]?[0-9]+)?$`.
pub(crate) fn is_quantity(text: &str) -> bool {
    let digits = |b: &[u8]| b.iter().take_while(|c| c.is_ascii_digit()).count();
    let mut rest = text.as_bytes();
    if let [b'+' | b'-', tail @ ..] = rest {
        rest = tail;
    }
    // The number. A suffix never starts with a digit or a dot, so the longest number is the one.
    let whole = digits(rest);
    rest = &rest[whole..];
    if let [b'.', tail @ ..] = rest {
        let fraction = digits(tail);
        if whole == 0 && fraction == 0 {
            return false;
        }
        rest = &tail[fraction..];
    } else if whole == 0 {
        return false;
    }
    match rest {
        [] | [b'K' | b'M' | b'G' | b'T' | b'P' | b'E', b'i'] => true,
        [b'n' | b'u' | b'm' | b'k' | b'M' | b'G' | b'T' | b'P' | b'E'] => true,
        [b'e' | b'E', exponent @ ..] => {
            let exponent = match exponent {
                [b'+' | b'-', tail @ ..] => tail,
                _ => exponent,
            };
            !exponent.is_empty() && digits(exponent) == exponent.len()
        }
        _ => false,
    }
}

/// RFC 3339 `date-time` exactly as `jsonschema` 0.60 checks it: `full-date`, `T` (or `t`),
/// `full-time` with an offset; leap seconds only at 23:59 UTC.
pub(crate) fn is_date_time(text: &str) -> bool {
    let Some(t) = text.bytes().position(|b| b == b'T' || b == b't') else {
        return false;
    };
    let (date, time) = text.as_bytes().split_at(t);
    is_date(date) && time.get(1..).is_some_and(is_time)
}

/// Two ASCII digits, as `jsonschema` reads them (a SWAR test that lets a few non-digits pass:
/// kept, as its verdicts are the contract).
fn two_digits(b: [u8; 2]) -> Option<u8> {
    let value = u16::from_le_bytes(b);
    let sub = value.wrapping_sub(0x3030);
    if sub.wrapping_add(0x0606) & 0xF0F0 != 0 {
        return None;
    }
    u8::try_from((sub & 0x0F0F).wrapping_mul(2561) >> 8).ok()
}

/// Four ASCII digits, as `jsonschema` reads them (see [`two_digits`]).
fn four_digits(b: [u8; 4]) -> Option<u16> {
    let value = u32::from_le_bytes(b);
    let sub = value.wrapping_sub(0x3030_3030);
    if sub.wrapping_add(0x0606_0606) & 0xF0F0_F0F0 != 0 {
        return None;
    }
    let val = (sub & 0x0F0F_0F0F).wrapping_mul(2561) >> 8;
    Some(((val & 0x00FF_00FF).wrapping_mul(6_553_601) >> 16) as u16)
}

fn is_date(b: &[u8]) -> bool {
    let [y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1] = *b else {
        return false;
    };
    let (Some(year), Some(month), Some(day)) = (
        four_digits([y0, y1, y2, y3]),
        two_digits([m0, m1]),
        two_digits([d0, d1]),
    ) else {
        return false;
    };
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

fn is_time(b: &[u8]) -> bool {
    let [h0, h1, b':', m0, m1, b':', s0, s1, rest @ ..] = b else {
        return false;
    };
    let (Some(hour), Some(minute), Some(second)) = (
        two_digits([*h0, *h1]),
        two_digits([*m0, *m1]),
        two_digits([*s0, *s1]),
    ) else {
        return false;
    };
    if rest.is_empty() || hour > 23 || minute > 59 || second > 60 {
        return false;
    }
    let mut rest = rest;
    if let [b'.', tail @ ..] = rest {
        let digits = tail.iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return false;
        }
        rest = &tail[digits..];
    }
    match rest {
        [b'Z' | b'z'] => second != 60 || (hour == 23 && minute == 59),
        [sign @ (b'+' | b'-'), oh0, oh1, b':', om0, om1] => {
            let (Some(offset_hour), Some(offset_minute)) =
                (two_digits([*oh0, *oh1]), two_digits([*om0, *om1]))
            else {
                return false;
            };
            if offset_hour > 23 || offset_minute > 59 {
                return false;
            }
            if second != 60 {
                return true;
            }
            // A leap second must fall at 23:59 UTC.
            let sign: i16 = if *sign == b'+' { -1 } else { 1 };
            let mut utc_hour = i16::from(hour) + sign * i16::from(offset_hour);
            let mut utc_minute = i16::from(minute) + sign * i16::from(offset_minute);
            utc_hour += utc_minute / 60;
            utc_minute %= 60;
            if utc_minute < 0 {
                utc_minute += 60;
                utc_hour -= 1;
            }
            utc_hour = (utc_hour + 24) % 24;
            utc_hour == 23 && utc_minute == 59
        }
        _ => false,
    }
}

mod compile;

#[cfg(test)]
mod tests;
