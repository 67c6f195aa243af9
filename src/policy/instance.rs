//! The span tree as a `jsonschema` instance, read in place, for the policies (arbitrary JSON
//! Schemas). Values read as [`crate::schema::instance::json_value`] reads them, like the schema
//! check's.

use std::borrow::Cow;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::json::{Array, Json, JsonNumber, Node as JsonNodeTrait, NodeIdentity, Object};
use jsonschema::{JsonType, ValidationError};
use serde_json::{Number, Value};

use crate::schema::instance::{json_value, JsonValue, Num};
use crate::schema::{self, EnumValues, Problem, TypeSet};
use crate::yaml::json::to_json;
use crate::yaml::{Items, JsonMembers, Node};

/// Values built at most when a cold path (an error's instance) asks for a `serde_json::Value`.
const COLD_BUDGET: usize = 100_000;

/// The span-tree representation for `jsonschema`.
pub struct SpanJson;

impl Json for SpanJson {
    type Node<'a> = Instance<'a>;
    type PreparedKey = String;
    type StringBuffer = ();

    fn prepare_key(key: &str) -> String {
        key.to_owned()
    }

    fn with_string_node<T>(_: &mut (), string: &str, f: impl FnOnce(Instance<'_>) -> T) -> T {
        f(Instance::Str(string))
    }
}

/// A value of the instance: a span-tree node, or a free-standing string (a property name).
#[derive(Clone, Copy, Debug)]
pub enum Instance<'a> {
    Tree(Node<'a>),
    Str(&'a str),
}

/// A scalar of the instance.
enum Scalar<'a> {
    Null,
    Bool(bool),
    Num(Num),
    Str(Cow<'a, str>),
}

impl<'a> Instance<'a> {
    /// The scalar this is, if it is one.
    fn scalar(&self) -> Option<Scalar<'a>> {
        let node = match self {
            Self::Str(s) => return Some(Scalar::Str(Cow::Borrowed(s))),
            Self::Tree(node) => *node,
        };
        Some(match json_value(node) {
            JsonValue::Null => Scalar::Null,
            JsonValue::Bool(b) => Scalar::Bool(b),
            JsonValue::Num(n) => Scalar::Num(n),
            JsonValue::Str(s) => Scalar::Str(Cow::Borrowed(s)),
            JsonValue::Array | JsonValue::Object => return None,
        })
    }
}

impl<'a> JsonNodeTrait<'a, SpanJson> for Instance<'a> {
    type Object = Members<'a>;
    type Array = Elements<'a>;
    type Number = Num;

    fn as_object(&self) -> Option<Members<'a>> {
        match self {
            Self::Tree(node) if node.is_mapping() => Some(Members(*node)),
            _ => None,
        }
    }

    fn as_array(&self) -> Option<Elements<'a>> {
        match self {
            Self::Tree(node) if node.is_sequence() => Some(Elements(*node)),
            _ => None,
        }
    }

    fn as_string(&self) -> Option<Cow<'a, str>> {
        match self.scalar()? {
            Scalar::Str(s) => Some(s),
            _ => None,
        }
    }

    fn as_number(&self) -> Option<Num> {
        match self.scalar()? {
            Scalar::Num(n) => Some(n),
            _ => None,
        }
    }

    fn as_boolean(&self) -> Option<bool> {
        match self.scalar()? {
            Scalar::Bool(b) => Some(b),
            _ => None,
        }
    }

    fn is_null(&self) -> bool {
        matches!(self.scalar(), Some(Scalar::Null))
    }

    fn json_type(&self) -> JsonType {
        match self.scalar() {
            Some(Scalar::Null) => JsonType::Null,
            Some(Scalar::Bool(_)) => JsonType::Boolean,
            Some(Scalar::Num(_)) => JsonType::Number,
            Some(Scalar::Str(_)) => JsonType::String,
            None if self.as_array().is_some() => JsonType::Array,
            None => JsonType::Object,
        }
    }

    fn equals_value(&self, expected: &Value) -> bool {
        match (self.scalar(), expected) {
            (Some(Scalar::Str(s)), Value::String(e)) => s == e.as_str(),
            (Some(Scalar::Bool(b)), Value::Bool(e)) => b == *e,
            (Some(Scalar::Null), Value::Null) => true,
            (Some(Scalar::Num(n)), Value::Number(_)) => {
                jsonschema::json::cmp::equal(&Value::Number(n.to_number().into_owned()), expected)
            }
            (Some(_), _) => false,
            (None, _) => jsonschema::json::cmp::equal(&self.to_value(), expected),
        }
    }

    fn to_value(&self) -> Cow<'a, Value> {
        Cow::Owned(match self {
            Self::Str(s) => Value::String((*s).to_string()),
            Self::Tree(node) => to_json(*node, COLD_BUDGET).unwrap_or(Value::Null),
        })
    }

    fn identity(&self) -> Option<NodeIdentity> {
        // Opting out: the schemas checked here have no recursive `$ref` over the instance, and
        // aliases may legitimately reach one node from two places.
        None
    }
}

/// A mapping.
#[derive(Clone, Copy)]
pub struct Members<'a>(Node<'a>);

pub struct MembersIter<'a>(JsonMembers<'a>);

impl<'a> Iterator for MembersIter<'a> {
    type Item = (Cow<'a, str>, Instance<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(k, v)| (k, Instance::Tree(v)))
    }
}

impl<'a> Object<'a, SpanJson> for Members<'a> {
    type Node = Instance<'a>;
    type MemberName = Cow<'a, str>;
    type MembersIter = MembersIter<'a>;

    fn len(&self) -> usize {
        self.0.json_member_count()
    }

    fn get(&self, key: &String) -> Option<Instance<'a>> {
        self.0.json_get(key).map(Instance::Tree)
    }

    fn members(&self) -> MembersIter<'a> {
        MembersIter(self.0.json_members())
    }
}

/// A sequence.
#[derive(Clone, Copy)]
pub struct Elements<'a>(Node<'a>);

pub struct ElementsIter<'a>(Items<'a>);

impl<'a> Iterator for ElementsIter<'a> {
    type Item = Instance<'a>;

    fn next(&mut self) -> Option<Instance<'a>> {
        self.0.next().map(Instance::Tree)
    }
}

impl<'a> Array<'a, SpanJson> for Elements<'a> {
    type Node = Instance<'a>;
    type ElementsIter = ElementsIter<'a>;

    fn len(&self) -> usize {
        self.0.item_count()
    }

    fn elements(&self) -> ElementsIter<'a> {
        ElementsIter(self.0.items())
    }
}

impl JsonNumber for Num {
    fn as_u64(&self) -> Option<u64> {
        match *self {
            Num::Int(i) => u64::try_from(i).ok(),
            Num::Float(_) => None,
        }
    }

    fn as_i64(&self) -> Option<i64> {
        match *self {
            Num::Int(i) => Some(i),
            Num::Float(_) => None,
        }
    }

    #[allow(clippy::cast_precision_loss)]
    fn as_f64(&self) -> Option<f64> {
        Some(match *self {
            Num::Int(i) => i as f64,
            Num::Float(f) => f,
        })
    }

    fn as_str(&self) -> Cow<'_, str> {
        Cow::Owned(self.to_number().to_string())
    }

    fn to_number(&self) -> Cow<'_, Number> {
        Cow::Owned(match *self {
            Num::Int(i) => Number::from(i),
            Num::Float(f) => Number::from_f64(f).unwrap_or_else(|| Number::from(0)),
        })
    }

    fn is_integer(&self) -> bool {
        Num::is_integer(*self)
    }

    fn is_written_as_integer(&self) -> bool {
        matches!(self, Num::Int(_))
    }
}

/// What `error` says is wrong, in the terms [`schema::explain`] words.
pub(crate) fn problem<'e>(error: &'e ValidationError<'_>) -> Problem<'e> {
    match error.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected }
        | ValidationErrorKind::UnevaluatedProperties { unexpected } => Problem::UnknownFields {
            names: unexpected,
            allowed: &[],
        },
        ValidationErrorKind::Type { kind } => Problem::Type(match kind {
            TypeKind::Single(t) => TypeSet::default().with(json_type(*t)),
            TypeKind::Multiple(set) => set
                .iter()
                .fold(TypeSet::default(), |s, t| s.with(json_type(t))),
        }),
        ValidationErrorKind::Required { property } => {
            Problem::Required(property.as_str().unwrap_or("?"))
        }
        ValidationErrorKind::Enum { options } => Problem::Enum(EnumValues::Json(options)),
        ValidationErrorKind::Constant { expected_value } => Problem::Constant(expected_value),
        ValidationErrorKind::Minimum { limit }
        | ValidationErrorKind::ExclusiveMinimum { limit } => Problem::Minimum(limit.to_string()),
        ValidationErrorKind::Maximum { limit }
        | ValidationErrorKind::ExclusiveMaximum { limit } => Problem::Maximum(limit.to_string()),
        ValidationErrorKind::Pattern { pattern } => Problem::Pattern(pattern),
        ValidationErrorKind::Format { format } => Problem::Format(format),
        ValidationErrorKind::MinLength { limit } => Problem::MinLength(*limit),
        ValidationErrorKind::MaxLength { limit } => Problem::MaxLength(*limit),
        ValidationErrorKind::MinItems { limit } => Problem::MinItems(*limit),
        ValidationErrorKind::MaxItems { limit } => Problem::MaxItems(*limit),
        ValidationErrorKind::Not { schema } => Problem::Not(schema),
        ValidationErrorKind::FalseSchema => Problem::FalseSchema,
        ValidationErrorKind::AnyOf { .. } | ValidationErrorKind::OneOfNotValid { .. } => {
            Problem::NoAlternative
        }
        ValidationErrorKind::OneOfMultipleValid { .. } => Problem::SeveralAlternatives,
        ValidationErrorKind::UniqueItems => Problem::UniqueItems,
        _ => Problem::Other(error.masked().to_string()),
    }
}

fn json_type(t: JsonType) -> schema::JsonType {
    match t {
        JsonType::Array => schema::JsonType::Array,
        JsonType::Boolean => schema::JsonType::Boolean,
        JsonType::Integer => schema::JsonType::Integer,
        JsonType::Null => schema::JsonType::Null,
        JsonType::Number => schema::JsonType::Number,
        JsonType::Object => schema::JsonType::Object,
        JsonType::String => schema::JsonType::String,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{documents, Limits};

    /// The in-place instance and the built `serde_json::Value` give the same verdicts.
    #[test]
    fn validates_like_the_built_value() {
        // The merge comes first: the own `a` after it wins (go-yaml v2 applies it in order).
        let text =
            "<<: {h: 2, a: 3}\na: yes\nb: \"yes\"\nc: 0640\nd: ~\ne: [1, 1.5, x]\nf: {g: 1}\n";
        let doc = documents(text, Limits::default())
            .next()
            .and_then(Result::ok)
            .expect("parses");
        let root = doc.root().expect("root");
        let schema = serde_json::json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["a", "h"],
            "properties": {
                "a": {"type": "boolean", "const": true},
                "b": {"enum": ["yes"]},
                "c": {"type": "integer", "minimum": 416, "maximum": 416},
                "d": {"type": "null"},
                "e": {"type": "array", "items": {"type": ["number", "string"]}, "minItems": 3},
                "f": {"type": "object", "properties": {"g": {"const": 1}}},
                "h": {"type": "integer"}
            }
        });
        let value = to_json(root, 1000).expect("fits");
        let plain = jsonschema::validator_for(&schema).expect("schema");
        let spans = jsonschema::options_for::<SpanJson>()
            .build(&schema)
            .expect("schema");
        assert!(plain.is_valid(&value));
        assert!(spans.is_valid(Instance::Tree(root)));
        let strict = serde_json::json!({"properties": {"e": {"maxItems": 2}}, "additionalProperties": {"type": "string"}});
        let plain = jsonschema::validator_for(&strict).expect("schema");
        let spans = jsonschema::options_for::<SpanJson>()
            .build(&strict)
            .expect("schema");
        let a: Vec<String> = plain
            .iter_errors(&value)
            .map(|e| e.instance_path().to_string())
            .collect();
        let b: Vec<String> = spans
            .iter_errors(Instance::Tree(root))
            .map(|e| e.instance_path().to_string())
            .collect();
        assert_eq!(a, b);
        assert_eq!(a.len(), 6, "{a:?}");
    }
}
