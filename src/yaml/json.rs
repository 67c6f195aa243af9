//! A node as JSON, the way Kubernetes receives it: plain scalars resolved with YAML 1.1 rules,
//! merge keys applied, aliases expanded under a budget.

use std::borrow::Cow;

use serde_json::{Map, Number, Value};

use super::{Node, NodeType, Resolved};

/// Expansion stopped: too many values or too deep (an alias bomb, or absurd input).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpansionLimit {
    pub message: String,
}

/// How mapping keys become JSON keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Keys {
    /// As Kubernetes reads them: a plain `yes:` key is `"true"`, `0x10:` is `"16"`.
    Kubernetes,
    /// The key's text as written (for documents of ours, such as a policy's schema, where
    /// `n:` or `on:` name properties).
    Literal,
    /// Keys as written and scalars with the YAML 1.2 core schema (`off` is a string): for
    /// daemonlint's configuration file.
    Yaml12,
}

/// Convert `node` to JSON, building at most `budget` values.
pub fn to_json(node: Node<'_>, budget: usize) -> Result<Value, ExpansionLimit> {
    to_json_with(node, budget, Keys::Kubernetes)
}

/// Convert `node` to JSON with the given key reading, building at most `budget` values.
pub fn to_json_with(node: Node<'_>, budget: usize, keys: Keys) -> Result<Value, ExpansionLimit> {
    let mut left = budget;
    convert(node, &mut left, 0, budget, keys)
}

const MAX_DEPTH: usize = 512;

fn convert(
    node: Node<'_>,
    left: &mut usize,
    depth: usize,
    budget: usize,
    keys: Keys,
) -> Result<Value, ExpansionLimit> {
    if *left == 0 {
        return Err(ExpansionLimit {
            message: format!(
                "expanding the aliases of this object builds more than {budget} values; \
                 daemonlint stops here (an alias bomb?)"
            ),
        });
    }
    *left -= 1;
    if depth > MAX_DEPTH {
        return Err(ExpansionLimit {
            message: format!(
                "aliases nest this object deeper than {MAX_DEPTH} levels; daemonlint stops here"
            ),
        });
    }
    let scalar = if keys == Keys::Yaml12 {
        node.resolve12()
    } else {
        node.resolve()
    };
    if let Some(scalar) = scalar {
        return Ok(match scalar {
            Resolved::Bool(b) => Value::Bool(b),
            Resolved::Int(i) => Value::Number(i.into()),
            Resolved::Float(f) => Number::from_f64(f).map_or_else(
                || Value::String(node.scalar_text().unwrap_or_default().to_string()),
                Value::Number,
            ),
            Resolved::Str(s) => Value::String(s.to_string()),
            Resolved::Null => Value::Null,
        });
    }
    Ok(match node.node_type() {
        NodeType::Sequence => {
            let mut items = Vec::new();
            for item in node.items() {
                items.push(convert(item, left, depth + 1, budget, keys)?);
            }
            Value::Array(items)
        }
        NodeType::Mapping => {
            let mut map = Map::new();
            for (key, value) in node.entries() {
                let name = match keys {
                    Keys::Kubernetes => key.json_key(),
                    Keys::Literal | Keys::Yaml12 => key.scalar_text().map(Cow::Borrowed),
                };
                let Some(name) = name else {
                    // A collection used as a key has no JSON form; Kubernetes rejects it too.
                    continue;
                };
                let value = convert(value, left, depth + 1, budget, keys)?;
                map.insert(name.into_owned(), value);
            }
            Value::Object(map)
        }
        _ => Value::Null,
    })
}

/// Like [`to_json`] but with YAML 1.2 scalars and literal keys: for daemonlint's own files.
pub fn to_json_yaml12(node: Node<'_>, budget: usize) -> Result<Value, ExpansionLimit> {
    to_json_with(node, budget, Keys::Yaml12)
}

/// One step of a path into a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step<'p> {
    Key(&'p str),
    Index(usize),
}

impl<'a> Node<'a> {
    /// The key and value nodes at `path` (the key is `None` for sequence items and the root).
    #[must_use]
    pub fn at_path(&self, path: &[Step<'_>]) -> Option<(Option<Node<'a>>, Node<'a>)> {
        let mut key = None;
        let mut node = *self;
        for step in path {
            match step {
                Step::Key(k) => {
                    let (kn, vn) = node.entry(k)?;
                    key = Some(kn);
                    node = vn;
                }
                Step::Index(i) => {
                    node = node.items().nth(*i)?;
                    key = None;
                }
            }
        }
        Some((key, node))
    }

    /// The deepest existing node along `path`: its span, preferring the value, then the key,
    /// then the nearest existing parent.
    #[must_use]
    pub fn span_at(&self, path: &[Step<'_>]) -> crate::source::Span {
        let mut span = self.span();
        let mut node = *self;
        for step in path {
            match step {
                Step::Key(k) => match node.entry(k) {
                    Some((kn, vn)) => {
                        span = if vn.span().is_empty() {
                            kn.span()
                        } else {
                            vn.span()
                        };
                        node = vn;
                    }
                    None => return span,
                },
                Step::Index(i) => match node.items().nth(*i) {
                    Some(item) => {
                        span = item.span();
                        node = item;
                    }
                    None => return span,
                },
            }
        }
        span
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{documents, Limits};

    fn json_of(text: &str, budget: usize) -> Result<Value, ExpansionLimit> {
        let doc = documents(text, Limits::default())
            .next()
            .and_then(Result::ok)
            .expect("parses");
        to_json(doc.root().expect("root"), budget)
    }

    #[test]
    fn scalars_resolve_as_kubernetes_reads_them() {
        let v = json_of(
            "a: yes\nb: \"yes\"\nc: 0640\nd: ~\ne: [1, 1.5, x]\n<<: {f: 1, a: 2}\n",
            100,
        )
        .expect("fits");
        assert_eq!(
            v,
            // go-yaml v2 applies the merge where it stands: its `a` replaces the own one.
            serde_json::json!({"a": 2, "b": "yes", "c": 416, "d": null, "e": [1, 1.5, "x"], "f": 1})
        );
    }

    #[test]
    fn yaml12_keeps_off_a_string_for_our_own_files() {
        let doc = documents("a: off\nb: true\nc: 0640\n", Limits::default())
            .next()
            .and_then(Result::ok)
            .expect("parses");
        let v = to_json_yaml12(doc.root().expect("root"), 100).expect("fits");
        assert_eq!(v, serde_json::json!({"a": "off", "b": true, "c": "0640"}));
    }

    #[test]
    fn span_at_falls_back_to_the_nearest_parent() {
        let text = "a:\n  b: 1\n";
        let doc = documents(text, Limits::default())
            .next()
            .and_then(Result::ok)
            .expect("parses");
        let root = doc.root().expect("root");
        let span = root.span_at(&[Step::Key("a"), Step::Key("zz")]);
        assert_eq!(&text[span.range()], "b: 1");
        let span = root.span_at(&[Step::Key("a"), Step::Key("b")]);
        assert_eq!(&text[span.range()], "1");
    }

    #[test]
    fn alias_bombs_stop_at_the_budget() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        // 10^6 expanded values: under the loader's limit, over this budget.
        for i in 1..6 {
            let prev = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"
            ));
        }
        let err = json_of(&text, 100_000).expect_err("over budget");
        assert!(err.message.contains("alias bomb"), "{}", err.message);
    }
}
