//! Converting a span-tree node to JSON, judging scalars as Kubernetes would, with a budget that
//! bounds alias expansion.

use serde_json::{Map, Number, Value};

use super::{Node, Resolved};

/// Why a node could not be converted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToJsonError {
    /// Expanding aliases would produce more than the budget of nodes.
    TooLarge { budget: usize },
    /// A mapping key is not a scalar.
    ComplexKey { span: crate::source::Span },
}

/// Convert `node` to JSON; at most `budget` nodes are produced (aliases count each time they
/// are expanded), so an alias bomb fails fast instead of exhausting memory.
pub fn to_json(node: Node<'_>, budget: usize) -> Result<Value, ToJsonError> {
    let mut left = budget;
    convert(node, &mut left, budget, 0, false)
}

/// Like [`to_json`] but with YAML 1.2 scalars (`off` is a string): for daemonlint's own files.
pub fn to_json_yaml12(node: Node<'_>, budget: usize) -> Result<Value, ToJsonError> {
    let mut left = budget;
    convert(node, &mut left, budget, 0, true)
}

fn convert(
    node: Node<'_>,
    left: &mut usize,
    budget: usize,
    depth: usize,
    yaml12: bool,
) -> Result<Value, ToJsonError> {
    if *left == 0 || depth > 512 {
        return Err(ToJsonError::TooLarge { budget });
    }
    *left -= 1;
    if node.is_mapping() {
        let mut map = Map::new();
        for (k, v) in node.entries() {
            let Some(key) = k.scalar_text() else {
                return Err(ToJsonError::ComplexKey { span: k.span() });
            };
            let value = convert(v, left, budget, depth + 1, yaml12)?;
            map.insert(key.to_string(), value);
        }
        return Ok(Value::Object(map));
    }
    if node.is_sequence() {
        let mut items = Vec::new();
        for item in node.items() {
            items.push(convert(item, left, budget, depth + 1, yaml12)?);
        }
        return Ok(Value::Array(items));
    }
    let resolved = if yaml12 {
        node.resolve12()
    } else {
        node.resolve()
    };
    Ok(match resolved {
        None | Some(Resolved::Null) => Value::Null,
        Some(Resolved::Bool(b)) => Value::Bool(b),
        Some(Resolved::Int(i)) => Value::Number(i.into()),
        Some(Resolved::Float(f)) => Number::from_f64(f).map_or(Value::Null, Value::Number),
        Some(Resolved::Str(s)) => Value::String(s.to_string()),
    })
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

    #[test]
    fn converts_as_kubernetes_reads() {
        let text = "a: yes\nb: 0640\nc: [1, \"x\", ~]\nd: {e: 1.5}\n";
        let docs: Vec<_> = documents(text, Limits::default()).collect();
        let root = docs[0].as_ref().expect("doc").root().expect("root");
        let json = to_json(root, 100).expect("json");
        assert_eq!(
            json,
            serde_json::json!({"a": true, "b": 416, "c": [1, "x", null], "d": {"e": 1.5}})
        );
    }

    #[test]
    fn alias_bombs_hit_the_budget() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let p = i - 1;
            text.push_str(&format!("a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"));
        }
        // The loader refuses this bomb by default; lift its limit to test the budget here.
        let limits = Limits {
            max_nodes: usize::MAX,
            ..Limits::default()
        };
        let docs: Vec<_> = documents(&text, limits).collect();
        let root = docs[0].as_ref().expect("doc").root().expect("root");
        assert_eq!(
            to_json(root, 100_000),
            Err(ToJsonError::TooLarge { budget: 100_000 })
        );
    }

    #[test]
    fn span_at_falls_back_to_the_nearest_parent() {
        let text = "a:\n  b: 1\n";
        let docs: Vec<_> = documents(text, Limits::default()).collect();
        let root = docs[0].as_ref().expect("doc").root().expect("root");
        let span = root.span_at(&[Step::Key("a"), Step::Key("zz")]);
        assert_eq!(&text[span.range()], "b: 1");
        let span = root.span_at(&[Step::Key("a"), Step::Key("b")]);
        assert_eq!(&text[span.range()], "1");
    }
}
