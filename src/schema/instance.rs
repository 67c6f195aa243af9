//! The span tree as a JSON instance for the validator, read in place: no `serde_json::Value` is
//! built on the hot path. Scalars resolve as Kubernetes reads them (YAML 1.1), merge keys apply,
//! aliases are followed (their expansion is bounded beforehand by `Node::check_expansion`).

use std::borrow::Cow;

use jsonschema::json::{Array, Json, JsonNumber, Node as JsonNodeTrait, NodeIdentity, Object};
use jsonschema::JsonType;
use serde_json::{Number, Value};

use crate::yaml::json::to_json;
use crate::yaml::{Items, JsonMembers, Node, NodeType, Resolved};

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

/// A number as Kubernetes reads it.
#[derive(Clone, Copy, Debug)]
pub enum Num {
    Int(i64),
    Float(f64),
}

enum Scalar<'a> {
    Null,
    Bool(bool),
    Num(Num),
    Str(Cow<'a, str>),
}

impl<'a> Instance<'a> {
    /// The scalar this is, if it is one. Non-finite floats (`.inf`) have no JSON number form:
    /// like `to_json`, they read as their text.
    fn scalar(&self) -> Option<Scalar<'a>> {
        let node = match self {
            Self::Str(s) => return Some(Scalar::Str(Cow::Borrowed(s))),
            Self::Tree(node) => node,
        };
        Some(match node.resolve() {
            Some(Resolved::Null) => Scalar::Null,
            Some(Resolved::Bool(b)) => Scalar::Bool(b),
            Some(Resolved::Int(i)) => Scalar::Num(Num::Int(i)),
            Some(Resolved::Float(f)) if f.is_finite() => Scalar::Num(Num::Float(f)),
            Some(Resolved::Float(_)) => {
                Scalar::Str(Cow::Borrowed(node.scalar_text().unwrap_or_default()))
            }
            Some(Resolved::Str(s)) => Scalar::Str(Cow::Borrowed(s)),
            None if node.node_type() == NodeType::Invalid => Scalar::Null,
            None => return None,
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
        match *self {
            Num::Int(_) => true,
            Num::Float(f) => f.fract() == 0.0,
        }
    }

    fn is_written_as_integer(&self) -> bool {
        matches!(self, Num::Int(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{documents, Limits};

    /// The in-place instance and the built `serde_json::Value` give the same verdicts.
    #[test]
    fn validates_like_the_built_value() {
        let text =
            "a: yes\nb: \"yes\"\nc: 0640\nd: ~\ne: [1, 1.5, x]\nf: {g: 1}\n<<: {h: 2, a: 3}\n";
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
