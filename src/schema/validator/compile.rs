//! Compiling a schema: the JSON text is parsed straight into the arena (no intermediate tree,
//! names borrowed from the text), children first; `$ref`s are recorded by name and resolved to
//! node indices once the `definitions` are known.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::{CompileError, Index, JsonType, Members, Rule, Schema, TypeSet};
use crate::schema::explain::QUANTITY_PATTERN;

/// The dialect the schemas are written in (their `$schema`).
const DRAFT_7: &str = "http://json-schema.org/draft-07/schema#";

/// Marks a link that names a definition (by its position in `Builder::refs`), not a node.
const REF: Index = 1 << 31;

/// A `minimum` or `maximum` must be an integer a float compares with exactly.
const EXACT: i64 = 1 << 53;

pub(super) fn compile(text: &str) -> Result<Schema<'_>, CompileError> {
    // About one node per 64 bytes of schema text.
    let mut nodes = Vec::with_capacity(text.len() / 64);
    // The root's slot: it is filled last.
    nodes.push(Rule::default());
    let mut builder = Builder {
        nodes,
        refs: Vec::new(),
        definitions: Vec::new(),
        named: Vec::new(),
    };
    let mut deserializer = serde_json::Deserializer::from_str(text);
    NodeSeed {
        builder: &mut builder,
        root: true,
    }
    .deserialize(&mut deserializer)
    .and_then(|_| deserializer.end())
    .map_err(|e| CompileError(format!("schema: {e}")))?;
    builder.resolve()
}

struct Builder<'s> {
    nodes: Vec<Rule<'s>>,
    /// The definition each `$ref` names, in the order met.
    refs: Vec<&'s str>,
    /// Definition name and node, sorted by name.
    definitions: Vec<(&'s str, Index)>,
    /// Names and links of the `properties` being read, innermost last.
    named: Vec<(&'s str, Index)>,
}

impl<'s> Builder<'s> {
    /// Replace every link to a definition by the definition's node.
    fn resolve(mut self) -> Result<Schema<'s>, CompileError> {
        let targets = self
            .refs
            .iter()
            .map(|name| {
                self.definitions
                    .binary_search_by(|(d, _)| d.cmp(name))
                    .map(|at| self.definitions[at].1)
                    .map_err(|_| CompileError(format!("`$ref` names no definition `{name}`")))
            })
            .collect::<Result<Vec<Index>, _>>()?;
        let resolve = |link: &mut Index| -> Result<(), CompileError> {
            if *link & REF != 0 {
                *link = *targets
                    .get((*link & !REF) as usize)
                    .ok_or_else(|| CompileError("a dangling `$ref`".into()))?;
            }
            Ok(())
        };
        for rule in &mut self.nodes {
            if let Some(items) = &mut rule.items {
                resolve(items)?;
            }
            if let Some(members) = &mut rule.members {
                if let Some(each) = &mut members.each {
                    resolve(each)?;
                }
                for schema in members.schemas.iter_mut() {
                    resolve(schema)?;
                }
            }
        }
        Ok(Schema { nodes: self.nodes })
    }

    /// A link to the definition `reference` names.
    fn reference<E: de::Error>(&mut self, reference: &'s str) -> Result<Index, E> {
        let name = reference
            .strip_prefix("#/definitions/")
            .filter(|n| !n.contains(['~', '/', '%']))
            .ok_or_else(|| E::custom(format!("`$ref` `{reference}` is not local")))?;
        let id = Index::try_from(self.refs.len())
            .ok()
            .filter(|id| id & REF == 0)
            .ok_or_else(|| E::custom("too many `$ref`s"))?;
        self.refs.push(name);
        Ok(id | REF)
    }

    /// Place `rule` (at the root's slot for the root) and return its link.
    fn place<E: de::Error>(&mut self, rule: Rule<'s>, root: bool) -> Result<Index, E> {
        if root {
            if let Some(slot) = self.nodes.first_mut() {
                *slot = rule;
            }
            return Ok(0);
        }
        let at = Index::try_from(self.nodes.len())
            .ok()
            .filter(|at| at & REF == 0)
            .ok_or_else(|| E::custom("too many nodes"))?;
        self.nodes.push(rule);
        Ok(at)
    }
}

/// One (sub)schema, compiled into the arena; its value is its link.
struct NodeSeed<'b, 's> {
    builder: &'b mut Builder<'s>,
    root: bool,
}

impl<'de: 's, 's> DeserializeSeed<'de> for NodeSeed<'_, 's> {
    type Value = Index;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Index, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de: 's, 's> Visitor<'de> for NodeSeed<'_, 's> {
    type Value = Index;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a schema")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Index, A::Error> {
        node(self.builder, map, self.root)
    }
}

/// `additionalProperties`: `false`, or a schema (`true`, the default, is refused as noise).
enum Additional {
    False,
    Schema(Index),
}

struct AdditionalSeed<'b, 's> {
    builder: &'b mut Builder<'s>,
}

impl<'de: 's, 's> DeserializeSeed<'de> for AdditionalSeed<'_, 's> {
    type Value = Additional;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Additional, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de: 's, 's> Visitor<'de> for AdditionalSeed<'_, 's> {
    type Value = Additional;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("`false` or a schema")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Additional, E> {
        if v {
            Err(E::custom("`additionalProperties: true`"))
        } else {
            Ok(Additional::False)
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Additional, A::Error> {
        node(self.builder, map, false).map(Additional::Schema)
    }
}

/// `properties` or `definitions`: names and links, sorted by name.
struct NamedSeed<'b, 's> {
    builder: &'b mut Builder<'s>,
}

impl<'de: 's, 's> DeserializeSeed<'de> for NamedSeed<'_, 's> {
    type Value = Vec<(&'s str, Index)>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de: 's, 's> Visitor<'de> for NamedSeed<'_, 's> {
    type Value = Vec<(&'s str, Index)>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map of schemas")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        // Nested `properties` come and go above this one's entries.
        let start = self.builder.named.len();
        while let Some(name) = map.next_key::<&'de str>()? {
            let link = map.next_value_seed(NodeSeed {
                builder: self.builder,
                root: false,
            })?;
            self.builder.named.push((name, link));
        }
        let mut named: Vec<(&'s str, Index)> = self.builder.named.drain(start..).collect();
        // In name order, as `jsonschema` (a `serde_json` map) has them.
        named.sort_unstable_by(|a, b| a.0.cmp(b.0));
        if named.windows(2).any(|w| w[0].0 == w[1].0) {
            return Err(de::Error::custom("a name given twice"));
        }
        Ok(named)
    }
}

/// `type`: one name or a list of names.
struct TypesSeed;

impl<'de> DeserializeSeed<'de> for TypesSeed {
    type Value = TypeSet;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<TypeSet, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for TypesSeed {
    type Value = TypeSet;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a type name or a list of them")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<TypeSet, E> {
        JsonType::parse(v)
            .map(|t| TypeSet::default().with(t))
            .ok_or_else(|| E::custom(format!("unknown type `{v}`")))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<TypeSet, A::Error> {
        let mut set = TypeSet::default();
        while let Some(name) = seq.next_element::<&'de str>()? {
            let t = JsonType::parse(name)
                .ok_or_else(|| de::Error::custom(format!("unknown type `{name}`")))?;
            set = set.with(t);
        }
        if set == TypeSet::default() {
            return Err(de::Error::custom("an empty list of types"));
        }
        Ok(set)
    }
}

/// The keywords of one schema object, compiled: its children are in the arena already.
fn node<'de: 's, 's, A: MapAccess<'de>>(
    builder: &mut Builder<'s>,
    mut map: A,
    root: bool,
) -> Result<Index, A::Error> {
    let refuse = |message: String| -> A::Error { de::Error::custom(message) };
    let mut rule = Rule::default();
    let mut reference = None;
    let mut keywords = 0usize;
    let mut properties: Option<Vec<(&'s str, Index)>> = None;
    let mut additional = None;
    let mut required: Option<Vec<&'s str>> = None;
    while let Some(keyword) = map.next_key::<&'de str>()? {
        keywords += 1;
        match keyword {
            "$schema" => {
                let dialect = map.next_value::<&'de str>()?;
                if !root || dialect != DRAFT_7 {
                    return Err(refuse(format!("`$schema` `{dialect}`")));
                }
                keywords -= 1;
            }
            "$ref" => reference = Some(map.next_value::<&'de str>()?),
            "type" => rule.types = Some(map.next_value_seed(TypesSeed)?),
            "definitions" if root => {
                builder.definitions = map.next_value_seed(NamedSeed { builder })?;
                if builder.definitions.iter().any(|(_, link)| link & REF != 0) {
                    return Err(refuse("a definition that is a `$ref`".into()));
                }
                keywords -= 1;
            }
            "properties" => properties = Some(map.next_value_seed(NamedSeed { builder })?),
            "additionalProperties" => {
                additional = Some(map.next_value_seed(AdditionalSeed { builder })?);
            }
            "items" => {
                rule.items = Some(map.next_value_seed(NodeSeed {
                    builder,
                    root: false,
                })?);
            }
            "required" => required = Some(map.next_value::<Vec<&'de str>>()?),
            "enum" => {
                let values = map.next_value::<Vec<Option<&'de str>>>()?;
                rule.values = Some(values.into_boxed_slice());
            }
            "minimum" | "maximum" => {
                let limit = map.next_value::<i64>()?;
                if !(-EXACT..=EXACT).contains(&limit) {
                    return Err(refuse(format!("{keyword} {limit} is not exact as a float")));
                }
                if keyword == "minimum" {
                    rule.minimum = Some(limit);
                } else {
                    rule.maximum = Some(limit);
                }
            }
            "format" => match map.next_value::<&'de str>()? {
                // Not checked by `jsonschema` (unknown formats only annotate): `minimum` and
                // `maximum` carry the range.
                "int32" | "int64" => {}
                "date-time" => rule.date_time = true,
                other => return Err(refuse(format!("format `{other}`"))),
            },
            "pattern" => {
                let pattern = map.next_value::<String>()?;
                if pattern != QUANTITY_PATTERN {
                    return Err(refuse(format!("pattern `{pattern}`")));
                }
                rule.quantity = true;
            }
            other => return Err(refuse(format!("keyword `{other}`"))),
        }
    }
    if let Some(reference) = reference {
        if keywords != 1 || root {
            return Err(refuse(format!(
                "`$ref` `{reference}` beside other keywords"
            )));
        }
        return builder.reference(reference);
    }
    let required = required.unwrap_or_default();
    match (properties, additional) {
        (None, None) if required.is_empty() => {}
        (Some(properties), Some(Additional::False)) => {
            let (names, schemas): (Vec<&'s str>, Vec<Index>) = properties.into_iter().unzip();
            let mut members = Members {
                names: names.into_boxed_slice(),
                schemas: schemas.into_boxed_slice(),
                closed: true,
                ..Members::default()
            };
            if let [single] = required[..] {
                members.required_after = Some(single);
            } else {
                members.required = required.into_boxed_slice();
            }
            rule.members = Some(Box::new(members));
        }
        (None, Some(Additional::Schema(each))) if required.is_empty() => {
            rule.members = Some(Box::new(Members {
                each: Some(each),
                ..Members::default()
            }));
        }
        _ => {
            return Err(refuse(
                "`properties`, `additionalProperties` and `required` other than `properties` \
                 with `additionalProperties: false`, or `additionalProperties` alone"
                    .into(),
            ))
        }
    }
    builder.place(rule, root)
}
