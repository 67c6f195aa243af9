//! Building fixes as text edits in the file's own style: indentation, sequence style, flow or
//! block, line endings. Rules use these; [`crate::fix`] applies the edits.

use crate::diagnostic::Edit;
use crate::source::Span;
use crate::yaml::Node;

// ---------------------------------------------------------------------------------------------
// Reading the file's style.

/// The line ending used around `offset` (files use one style throughout; looking locally
/// keeps this O(line) on huge files).
#[must_use]
pub fn newline_at(text: &str, offset: usize) -> &'static str {
    let offset = offset.min(text.len());
    let next = text[offset..]
        .find('\n')
        .map(|i| offset + i)
        .or_else(|| text[..offset].rfind('\n'));
    match next {
        Some(i) if i > 0 && text.as_bytes()[i - 1] == b'\r' => "\r\n",
        _ => "\n",
    }
}

fn line_start(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1)
}

/// End of the line holding `offset` (the position of its line break, or the end of the text).
fn line_end(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    let end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    if end > 0 && text.as_bytes().get(end - 1) == Some(&b'\r') {
        end - 1
    } else {
        end
    }
}

/// 0-based column (in bytes; indentation is ASCII) of `offset`.
#[must_use]
pub fn column(text: &str, offset: usize) -> usize {
    offset - line_start(text, offset)
}

fn is_flow(text: &str, node: Node<'_>) -> bool {
    matches!(
        text.as_bytes().get(node.own_span().start as usize),
        Some(b'{' | b'[')
    )
}

/// Column of the `-` of a block sequence item starting at `item_start`.
fn dash_column(text: &str, item_start: usize) -> Option<usize> {
    let start = line_start(text, item_start);
    let before = &text[start..item_start];
    before.rfind('-')
}

/// The indentation unit and sequence style of a block mapping: (unit, sequences indented under
/// their key?). Read from the mapping's own children where possible.
fn style(text: &str, map: Node<'_>) -> (usize, bool) {
    let mut unit = None;
    let mut indented = None;
    for (key, value) in map.entries() {
        let key_col = column(text, key.own_span().start as usize);
        if value.is_mapping() && !is_flow(text, value) {
            if let Some((child, _)) = value.entries().first() {
                let c = column(text, child.own_span().start as usize);
                if c > key_col && unit.is_none() {
                    unit = Some(c - key_col);
                }
            }
        }
        if value.is_sequence() && !is_flow(text, value) && indented.is_none() {
            if let Some(first) = value.items().next() {
                if let Some(dash) = dash_column(text, first.own_span().start as usize) {
                    indented = Some(dash > key_col);
                }
            }
        }
    }
    (unit.unwrap_or(2), indented.unwrap_or(true))
}

/// The indentation unit of a block mapping (2 unless the file shows otherwise).
#[must_use]
pub fn indent_unit(text: &str, map: Node<'_>) -> usize {
    style(text, map).0
}

/// A string written as a YAML scalar: plain when that reads back as the same string under both
/// YAML 1.1 and 1.2, double-quoted otherwise.
#[must_use]
pub fn yaml_string(value: &str) -> String {
    let plain_safe = !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'/' | b'-'))
        && value.as_bytes()[0].is_ascii_alphabetic()
        && matches!(
            crate::yaml::scalar::resolve(value, true),
            crate::yaml::Resolved::Str(_)
        )
        && matches!(
            crate::yaml::scalar::resolve12(value, true),
            crate::yaml::Resolved::Str(_)
        );
    if plain_safe {
        value.to_string()
    } else {
        serde_json::to_string(value).unwrap_or_else(|_| format!("\"{value}\""))
    }
}

/// Set `key` in a mapping to a scalar: replace the value when the key exists, else add it.
#[must_use]
pub fn set_key(text: &str, map: Node<'_>, key: &str, value: &str) -> Option<Edit> {
    match map.get(key) {
        Some(existing)
            if !existing.is_mapping() && !existing.is_sequence() && !existing.span().is_empty() =>
        {
            replace_value(existing, value)
        }
        Some(_) => None,
        None => insert_entry(text, map, key, value),
    }
}

/// Merge edits that insert at the same point into one, in order.
#[must_use]
pub fn merge_insertions(edits: Vec<Edit>) -> Vec<Edit> {
    let mut out: Vec<Edit> = Vec::new();
    for e in edits {
        match out.last_mut() {
            Some(last) if last.span == e.span && e.span.is_empty() => {
                last.replacement.push_str(&e.replacement)
            }
            _ => out.push(e),
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Building edits.

/// Replace a scalar's text. No edit through an alias: that would change every user of the anchor.
#[must_use]
pub fn replace_value(node: Node<'_>, replacement: &str) -> Option<Edit> {
    (!node.via_alias()).then(|| Edit {
        span: node.own_span(),
        replacement: replacement.to_string(),
    })
}

/// Indent every line of `block` (lines joined with `\n`) by `indent` spaces, with `nl` endings.
fn indent_lines(block: &str, indent: usize, nl: &str) -> String {
    block
        .lines()
        .map(|l| format!("{}{l}", " ".repeat(indent)))
        .collect::<Vec<_>>()
        .join(nl)
}

/// Where to insert a new line after a node: the end of the line holding its last byte.
fn after_line_of(text: &str, node_end: usize) -> usize {
    line_end(text, node_end.saturating_sub(1))
}

/// Add `key: value` to a mapping. `value` is YAML for the value: one line for a scalar or flow
/// collection, or several `\n`-separated lines for a block collection (written relative to
/// column 0; sequences as `- ...`).
#[must_use]
pub fn insert_entry(text: &str, map: Node<'_>, key: &str, value: &str) -> Option<Edit> {
    if map.via_alias() || !map.is_mapping() {
        return None;
    }
    let span = map.own_span();
    let nl = newline_at(text, span.start as usize);
    if is_flow(text, map) {
        let close = span.end as usize - 1;
        let empty = map.entries().is_empty();
        let one_line = value.lines().count() == 1;
        let value = if one_line {
            value.to_string()
        } else {
            to_flow(value)?
        };
        let sep = if empty { "" } else { ", " };
        return Some(Edit {
            span: Span::new(close, close),
            replacement: format!("{sep}{key}: {value}"),
        });
    }
    let (first_key, _) = *map.entries().first()?;
    let key_col = column(text, first_key.own_span().start as usize);
    let (unit, seq_indented) = style(text, map);
    let at = after_line_of(text, span.end as usize);
    let body = if value.lines().count() == 1 && !value.starts_with("- ") {
        format!("{}{key}: {value}", " ".repeat(key_col))
    } else {
        let child_indent = if value.starts_with("- ") && !seq_indented {
            key_col
        } else {
            key_col + unit
        };
        format!(
            "{}{key}:{nl}{}",
            " ".repeat(key_col),
            indent_lines(value, child_indent, nl)
        )
    };
    Some(Edit {
        span: Span::new(at, at),
        replacement: format!("{nl}{body}"),
    })
}

/// Add `key:` holding the one-entry mapping `child: value`: a block under a block mapping,
/// indented by the file's own unit, or `key: {child: value}` in a flow mapping. (`insert_entry`
/// writes a one-line value on the key's line, which a nested block mapping cannot be.)
#[must_use]
pub fn insert_mapping_entry(
    text: &str,
    map: Node<'_>,
    key: &str,
    child: &str,
    value: &str,
) -> Option<Edit> {
    if map.via_alias() || !map.is_mapping() {
        return None;
    }
    if is_flow(text, map) {
        return insert_entry(text, map, key, &format!("{{{child}: {value}}}"));
    }
    let (first_key, _) = *map.entries().first()?;
    let key_col = column(text, first_key.own_span().start as usize);
    let (unit, _) = style(text, map);
    let nl = newline_at(text, map.own_span().start as usize);
    let at = after_line_of(text, map.own_span().end as usize);
    Some(Edit {
        span: Span::new(at, at),
        replacement: format!(
            "{nl}{}{key}:{nl}{}{child}: {value}",
            " ".repeat(key_col),
            " ".repeat(key_col + unit)
        ),
    })
}

/// Append an item to a sequence. `item` is YAML for the item relative to column 0 (a mapping
/// written as `key: value` lines).
#[must_use]
pub fn append_item(text: &str, seq: Node<'_>, item: &str) -> Option<Edit> {
    if seq.via_alias() || !seq.is_sequence() {
        return None;
    }
    let span = seq.own_span();
    let nl = newline_at(text, span.start as usize);
    if is_flow(text, seq) {
        let close = span.end as usize - 1;
        let empty = seq.items().next().is_none();
        let item = if item.lines().count() == 1 && !item.contains(": ") {
            item.to_string()
        } else {
            to_flow(item)?
        };
        let sep = if empty { "" } else { ", " };
        return Some(Edit {
            span: Span::new(close, close),
            replacement: format!("{sep}{item}"),
        });
    }
    let last = seq.items().last()?;
    let dash = dash_column(text, last.own_span().start as usize)?;
    let first_col = column(text, last.own_span().start as usize);
    let gap = first_col.saturating_sub(dash).max(2);
    let mut lines = item.lines();
    let first = lines.next()?;
    let mut out = format!("{}-{}{first}", " ".repeat(dash), " ".repeat(gap - 1));
    for l in lines {
        out.push_str(nl);
        out.push_str(&" ".repeat(dash + gap));
        out.push_str(l);
    }
    let at = after_line_of(text, span.end as usize);
    Some(Edit {
        span: Span::new(at, at),
        replacement: format!("{nl}{out}"),
    })
}

/// `a: 1\nb: x` → `{a: 1, b: x}` for simple one-level mappings.
fn to_flow(block: &str) -> Option<String> {
    let parts: Vec<&str> = block.lines().map(str::trim).collect();
    if parts.iter().any(|p| p.starts_with('-') || p.ends_with(':')) {
        return None;
    }
    Some(format!("{{{}}}", parts.join(", ")))
}
