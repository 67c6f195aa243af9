//! How the span tree reads as JSON, in place: no `serde_json::Value` is built on the hot path.
//! Scalars resolve as Kubernetes reads them (YAML 1.1), merge keys apply, aliases are followed
//! (their expansion is bounded beforehand by `Node::check_expansion`).
//!
//! Both validators read values through [`json_value`]: the schema check's own and the
//! policies' `jsonschema` adapter (`crate::policy`), so the two agree on what is an integer, a
//! string or null.

use crate::yaml::{Node, NodeType, Resolved};

/// A number as Kubernetes reads it.
#[derive(Clone, Copy, Debug)]
pub enum Num {
    Int(i64),
    Float(f64),
}

impl Num {
    /// Integers are integers, and so are floats without a fractional part (drafts 6 and later).
    #[must_use]
    pub fn is_integer(self) -> bool {
        match self {
            Num::Int(_) => true,
            Num::Float(f) => f.fract() == 0.0,
        }
    }
}

/// A value of the span tree as JSON sees it.
#[derive(Clone, Copy, Debug)]
pub(crate) enum JsonValue<'a> {
    Null,
    Bool(bool),
    Num(Num),
    Str(&'a str),
    Array,
    Object,
}

/// `node` as JSON. Non-finite floats (`.inf`) have no JSON number form: like `to_json`, they
/// read as their text; an invalid alias reads as null.
pub(crate) fn json_value(node: Node<'_>) -> JsonValue<'_> {
    match node.resolve() {
        Some(Resolved::Null) => JsonValue::Null,
        Some(Resolved::Bool(b)) => JsonValue::Bool(b),
        Some(Resolved::Int(i)) => JsonValue::Num(Num::Int(i)),
        Some(Resolved::Float(f)) if f.is_finite() => JsonValue::Num(Num::Float(f)),
        Some(Resolved::Float(_)) => JsonValue::Str(node.scalar_text().unwrap_or_default()),
        Some(Resolved::Str(s)) => JsonValue::Str(s),
        None if node.node_type() == NodeType::Invalid => JsonValue::Null,
        None if node.is_sequence() => JsonValue::Array,
        None => JsonValue::Object,
    }
}
