//! Turn a validator's finding into findings in plain words, each at the exact YAML span.
//!
//! A validator names the failing value by a JSON pointer (its instance path) and says what is
//! wrong with it as a [`Problem`]; the span tree finds the node (and key) at that pointer.
//! Unknown-field problems name the parent object, so each unexpected key is looked up in it to
//! point at the key itself. Two validators feed this: the schema check's own
//! ([`super::validator`]) and `jsonschema` for the policies (converted in `crate::policy`).

use serde_json::Value;

use super::validator::{JsonType, TypeSet};
use crate::diagnostic::{Applicability, Edit, Fix};
use crate::rules::{self, RuleMeta, Violation};
use crate::source::Span;
use crate::yaml::{Node, NodeType, Resolved};

/// One finding explained: the built-in rule it belongs to and what to report.
pub(crate) struct Explained {
    pub(crate) rule: &'static RuleMeta,
    pub(crate) violation: Violation,
}

/// The quantity pattern the schema generator adds (kept in sync by a test).
pub(crate) const QUANTITY_PATTERN: &str =
    r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([KMGTPE]i|[numkMGTPE]|[eE][+-]?[0-9]+)?$";

/// What a validator found wrong with one value: the failing keyword and its data.
#[derive(Debug)]
pub(crate) enum Problem<'e> {
    /// Members the schema does not declare (`additionalProperties: false`); `allowed` are the
    /// declared names, for a "did you mean" (empty when unknown).
    UnknownFields {
        names: &'e [String],
        allowed: &'e [&'e str],
    },
    /// Not of the `type` (null among several types is not mentioned).
    Type(TypeSet),
    /// A `required` member is missing.
    Required(&'e str),
    /// Not one of the `enum` values.
    Enum(EnumValues<'e>),
    /// Not the `const` value.
    Constant(&'e Value),
    /// Below `minimum` or `exclusiveMinimum` (the limit as JSON text).
    Minimum(String),
    /// Above `maximum` or `exclusiveMaximum` (the limit as JSON text).
    Maximum(String),
    Pattern(&'e str),
    Format(&'e str),
    MinLength(u64),
    MaxLength(u64),
    MinItems(u64),
    MaxItems(u64),
    /// Matches the schema of a `not`.
    Not(&'e Value),
    /// The `false` schema.
    FalseSchema,
    /// `anyOf` or `oneOf`: no alternative matches.
    NoAlternative,
    /// `oneOf`: several alternatives match.
    SeveralAlternatives,
    UniqueItems,
    /// Anything else, in the validator's words.
    Other(String),
}

/// The values of an `enum`: a JSON array, or a list of strings and nulls.
#[derive(Clone, Copy, Debug)]
pub(crate) enum EnumValues<'e> {
    Json(&'e Value),
    Strings(&'e [Option<&'e str>]),
}

impl<'e> EnumValues<'e> {
    /// The non-empty strings, in order.
    fn strings(self) -> Vec<&'e str> {
        match self {
            Self::Json(options) => options
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .filter(|s| !s.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
            Self::Strings(options) => options
                .iter()
                .filter_map(|o| *o)
                .filter(|s| !s.is_empty())
                .collect(),
        }
    }

    /// The values as a message shows JSON.
    fn show(self) -> String {
        match self {
            Self::Json(options) => show_json(options),
            Self::Strings(options) => format!(
                "`{}`",
                truncate(&serde_json::to_string(options).unwrap_or_default())
            ),
        }
    }
}

/// Explain `problem`, found at the JSON pointer `pointer` below `target`. `target_key` is the
/// key whose value `target` is (for a finding about the target as a whole); `prefix` is the
/// JSON pointer of `target` inside its object, so messages show paths from the object's root.
/// `describe` words the problem for the (unreachable) case that the pointer names no node.
pub(crate) fn explain(
    problem: &Problem<'_>,
    pointer: &str,
    target: Node<'_>,
    target_key: Option<Span>,
    prefix: &str,
    describe: impl FnOnce() -> String,
) -> Vec<Explained> {
    let path = dotted(&format!("{prefix}{pointer}"));
    let Some((key, node)) = target.pointer_entry(pointer) else {
        // The validator and the span tree disagree (cannot happen for trees we converted):
        // report at the target rather than drop the finding.
        return vec![Explained {
            rule: &rules::INVALID_VALUE,
            violation: Violation::new(target.span(), format!("{}: {}", at(&path), describe())),
        }];
    };
    // A value the user wrote as empty (`key:`) has an empty span: point at its key.
    let value_span = match key {
        Some(k) if node.span().is_empty() => k.span(),
        _ => node.span(),
    };
    match problem {
        Problem::UnknownFields { names, allowed } => names
            .iter()
            .map(|name| unknown_field(node, &path, name, allowed))
            .collect(),
        Problem::Type(types) => {
            vec![invalid_type(node, value_span, &path, *types)]
        }
        Problem::Required(name) => {
            let span = match key {
                Some(k) => k.span(),
                None if pointer.is_empty() => target_key.unwrap_or_else(|| {
                    target
                        .entry("kind")
                        .map_or_else(|| first_key(node), |(k, _)| k.span())
                }),
                None => first_key(node),
            };
            let whole = if path.is_empty() {
                "the object".to_string()
            } else {
                format!("`{path}`")
            };
            vec![Explained {
                rule: &rules::MISSING_FIELD,
                violation: Violation::new(
                    span,
                    format!("{whole} is missing the required field `{name}`"),
                )
                .help(format!(
                    "add `{name}`: the API server rejects the object without it"
                )),
            }]
        }
        Problem::Enum(options) => {
            vec![invalid_enum(node, value_span, &path, *options)]
        }
        Problem::Constant(expected_value) => vec![value_finding(
            value_span,
            format!(
                "{} is {}, but it must be {}",
                at(&path),
                show_node(node),
                show_json(expected_value)
            ),
            None,
        )],
        Problem::Minimum(limit) => {
            vec![value_finding(
                value_span,
                format!(
                    "{} is {}, below the minimum {limit}",
                    at(&path),
                    show_node(node)
                ),
                None,
            )]
        }
        Problem::Maximum(limit) => {
            vec![value_finding(
                value_span,
                format!(
                    "{} is {}, above the maximum {limit}",
                    at(&path),
                    show_node(node)
                ),
                None,
            )]
        }
        Problem::Pattern(pattern) if *pattern == QUANTITY_PATTERN => {
            vec![value_finding(
                value_span,
                format!(
                    "{} is {}, which is not a Kubernetes quantity",
                    at(&path),
                    show_node(node)
                ),
                Some(
                    "write a number with an optional suffix: binary `Ki`, `Mi`, `Gi`, `Ti`, \
                     decimal `k`, `M`, `G`, `T`, or `m` for thousandths (e.g. `512Mi`, `1Gi`, \
                     `250m`); `MB`, `GB` and lower-case `mi` are not accepted"
                        .into(),
                ),
            )]
        }
        Problem::Pattern(pattern) => vec![value_finding(
            value_span,
            format!(
                "{} is {}, which does not match the pattern `{pattern}`",
                at(&path),
                show_node(node)
            ),
            None,
        )],
        Problem::Format(format) => {
            let what = match *format {
                "date-time" => "an RFC 3339 date-time such as `2024-05-01T12:00:00Z`".to_string(),
                other => format!("a valid `{other}`"),
            };
            vec![value_finding(
                value_span,
                format!("{} is {}, which is not {what}", at(&path), show_node(node)),
                None,
            )]
        }
        Problem::MinLength(limit) => vec![value_finding(
            value_span,
            format!(
                "{} is {}, shorter than {limit} {}",
                at(&path),
                show_node(node),
                plural(*limit, "character", "characters")
            ),
            None,
        )],
        Problem::MaxLength(limit) => vec![value_finding(
            value_span,
            format!(
                "{} is {}, longer than {limit} {}",
                at(&path),
                show_node(node),
                plural(*limit, "character", "characters")
            ),
            None,
        )],
        Problem::MinItems(limit) => vec![value_finding(
            value_span,
            format!(
                "{} has fewer than {limit} {}",
                at(&path),
                plural(*limit, "item", "items")
            ),
            None,
        )],
        Problem::MaxItems(limit) => vec![value_finding(
            value_span,
            format!(
                "{} has more than {limit} {}",
                at(&path),
                plural(*limit, "item", "items")
            ),
            None,
        )],
        Problem::Not(schema) => vec![value_finding(
            value_span,
            format!(
                "{} is {}, which matches the forbidden schema {}",
                at(&path),
                show_node(node),
                show_json(schema)
            ),
            None,
        )],
        Problem::FalseSchema => vec![value_finding(
            value_span,
            format!("{} is not allowed", at(&path)),
            None,
        )],
        Problem::NoAlternative => {
            vec![value_finding(
                value_span,
                format!(
                    "{} is {}, which matches none of the allowed alternatives",
                    at(&path),
                    show_node(node)
                ),
                None,
            )]
        }
        Problem::SeveralAlternatives => vec![value_finding(
            value_span,
            format!(
                "{} is {}, which matches more than one of the exclusive alternatives",
                at(&path),
                show_node(node)
            ),
            None,
        )],
        Problem::UniqueItems => vec![value_finding(
            value_span,
            format!("{} holds the same item more than once", at(&path)),
            None,
        )],
        Problem::Other(message) => vec![value_finding(
            value_span,
            format!("{}: {message}", at(&path)),
            None,
        )],
    }
}

fn plural(n: u64, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 {
        one
    } else {
        many
    }
}

fn value_finding(span: Span, message: String, help: Option<String>) -> Explained {
    let mut violation = Violation::new(span, message);
    violation.help = help.map(std::borrow::Cow::Owned);
    Explained {
        rule: &rules::INVALID_VALUE,
        violation,
    }
}

/// The first key of a mapping (a list item's most readable anchor), else the node.
fn first_key(node: Node<'_>) -> Span {
    node.entries()
        .first()
        .map_or(node.span(), |(k, _)| k.span())
}

/// `spec.template.spec.containers[0]` from `/spec/template/spec/containers/0`.
pub(crate) fn dotted(pointer: &str) -> String {
    let mut out = String::new();
    for raw in pointer.split('/').skip(1) {
        let segment = raw.replace("~1", "/").replace("~0", "~");
        if !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit()) {
            out.push('[');
            out.push_str(&segment);
            out.push(']');
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&segment);
        }
    }
    out
}

/// "`path`", or "the object" at the root.
fn at(path: &str) -> String {
    if path.is_empty() {
        "the object".into()
    } else {
        format!("`{path}`")
    }
}

fn truncate(text: &str) -> String {
    const MAX: usize = 60;
    if text.chars().count() > MAX {
        let cut: String = text.chars().take(MAX).collect();
        format!("{cut}…")
    } else {
        text.to_string()
    }
}

/// How a value reads in a message: ``the string `"8080"` ``, `a mapping`, ...
fn show_node(node: Node<'_>) -> String {
    match node.node_type() {
        NodeType::Mapping => "a mapping".into(),
        NodeType::Sequence => "a list".into(),
        NodeType::Null => "empty (null)".into(),
        NodeType::Invalid => "an invalid alias".into(),
        NodeType::String => {
            let text = node.scalar_text().unwrap_or_default();
            format!(
                "the string `{}`",
                truncate(&serde_json::Value::String(text.to_string()).to_string())
            )
        }
        other => format!(
            "the {} `{}`",
            other.name(),
            truncate(node.scalar_text().unwrap_or_default())
        ),
    }
}

fn show_json(value: &Value) -> String {
    format!("`{}`", truncate(&value.to_string()))
}

fn type_noun(t: JsonType) -> &'static str {
    match t {
        JsonType::Array => "a list",
        JsonType::Boolean => "a boolean",
        JsonType::Integer => "an integer",
        JsonType::Null => "null",
        JsonType::Number => "a number",
        JsonType::Object => "a mapping",
        JsonType::String => "a string",
    }
}

fn invalid_type(node: Node<'_>, span: Span, path: &str, types: TypeSet) -> Explained {
    let types: Vec<JsonType> = types.iter().collect();
    let wanted: Vec<JsonType> = types
        .iter()
        .copied()
        .filter(|t| *t != JsonType::Null || types.len() == 1)
        .collect();
    let expected = wanted
        .iter()
        .map(|t| type_noun(*t))
        .collect::<Vec<_>>()
        .join(" or ");
    let message = format!(
        "{} must be {expected}, but it is {}",
        at(path),
        show_node(node)
    );
    let mut violation = Violation::new(span, message);
    let text = node.scalar_text().unwrap_or_default();
    let wants = |t: JsonType| wanted.contains(&t);
    if node.node_type() == NodeType::String && !node.is_plain_scalar() {
        // A quoted value that would have the right type without its quotes.
        let bare = crate::yaml::scalar::resolve(text, true);
        let fits = match bare {
            Resolved::Bool(_) => wants(JsonType::Boolean),
            Resolved::Int(_) => wants(JsonType::Integer) || wants(JsonType::Number),
            Resolved::Float(_) => wants(JsonType::Number),
            _ => false,
        };
        if fits {
            let bare_text = match bare {
                Resolved::Bool(b) => b.to_string(),
                _ => text.to_string(),
            };
            violation = violation
                .help(format!(
                    "remove the quotes: `{bare_text}` without quotes is {}",
                    type_noun(if matches!(bare, Resolved::Bool(_)) {
                        JsonType::Boolean
                    } else if matches!(bare, Resolved::Int(_)) {
                        JsonType::Integer
                    } else {
                        JsonType::Number
                    })
                ))
                .with_fix(replace(node, &bare_text, "remove the quotes"));
        }
    } else if wants(JsonType::String)
        && node.is_plain_scalar()
        && matches!(
            node.node_type(),
            NodeType::Bool | NodeType::Int | NodeType::Float
        )
    {
        let quoted = serde_json::Value::String(text.to_string()).to_string();
        violation = violation
            .help(format!(
                "quote it, `{quoted}`: unquoted, Kubernetes reads it as {} (YAML 1.1)",
                match node.node_type() {
                    NodeType::Bool => "a boolean",
                    _ => "a number",
                }
            ))
            .with_fix(replace(node, &quoted, "quote the value"));
    } else if wants(JsonType::Array) && node.node_type() == NodeType::Mapping {
        violation = violation.help(
            "write the entries as list items, each starting with `- ` (check the indentation)",
        );
    } else if wants(JsonType::Object) && node.node_type() == NodeType::Sequence {
        violation = violation.help("write `key: value` pairs without the leading `- `");
    }
    Explained {
        rule: &rules::INVALID_TYPE,
        violation,
    }
}

fn invalid_enum(node: Node<'_>, span: Span, path: &str, options: EnumValues<'_>) -> Explained {
    let allowed = options.strings();
    let listed = if allowed.is_empty() {
        options.show()
    } else {
        allowed
            .iter()
            .map(|s| format!("`{s}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut violation = Violation::new(
        span,
        format!(
            "{} is {}, which is not one of {listed}",
            at(path),
            show_node(node)
        ),
    );
    if let Some(text) = node.as_str() {
        if let Some(right) = allowed.iter().find(|a| a.eq_ignore_ascii_case(text)) {
            violation = violation
                .help(format!("values are case-sensitive: write `{right}`"))
                .with_fix(replace(node, right, &format!("write `{right}`")));
        } else if let Some(close) = super::suggest(text, allowed.iter().copied()) {
            violation = violation.help(format!("did you mean `{close}`?"));
        }
    }
    Explained {
        rule: &rules::INVALID_VALUE,
        violation,
    }
}

fn unknown_field(parent: Node<'_>, path: &str, name: &str, allowed: &[&str]) -> Explained {
    let key = parent
        .entries()
        .into_iter()
        .find(|(k, _)| k.json_key().as_deref() == Some(name))
        .map(|(k, _)| k);
    let span = key.map_or(parent.span(), |k| k.span());
    let place = if path.is_empty() {
        "at the top level of the object".to_string()
    } else {
        format!("in `{path}`")
    };
    let suggestion = super::suggest(name, allowed.iter().copied());
    let mut message = format!("unknown field `{name}` {place}");
    if let Some(s) = suggestion {
        message.push_str(&format!("; did you mean `{s}`?"));
    }
    let mut violation = Violation::new(span, message);
    violation = match suggestion {
        Some(s) => violation
            .help(format!(
                "rename it to `{s}`: the API server rejects unknown fields (or drops them), so \
                 this setting never takes effect"
            ))
            .with_fix(
                // Renaming to a key the mapping already has would make a duplicate key.
                key.filter(|_| {
                    !parent
                        .entries()
                        .iter()
                        .any(|(k, _)| k.json_key().as_deref() == Some(s))
                })
                .and_then(|k| replace(k, s, &format!("rename to `{s}`"))),
            ),
        None => violation.help(
            "check the spelling and the indentation (a field at the wrong level is unknown \
             there): the API server rejects unknown fields (or drops them), so this setting \
             never takes effect",
        ),
    };
    Explained {
        rule: &rules::UNKNOWN_FIELD,
        violation,
    }
}

/// An unsafe fix replacing a plain or quoted scalar's text, when it is written on one line.
fn replace(node: Node<'_>, replacement: &str, description: &str) -> Option<Fix> {
    if node.via_alias() || node.span().is_empty() {
        return None;
    }
    let text = node.scalar_text()?;
    if text.contains('\n') {
        return None;
    }
    Some(Fix {
        description: description.to_string(),
        applicability: Applicability::Unsafe,
        edits: vec![Edit {
            span: node.span(),
            replacement: replacement.to_string(),
        }],
    })
}
