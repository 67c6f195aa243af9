//! The only module that knows the YAML parser: parser events → a span tree per document.
//!
//! A text is read as Kubernetes reads it: cut into parts at every line that starts with `---`
//! (as kubectl's YAML reader cuts it), each part read alone, values as go-yaml v2 gives them;
//! what Kubernetes rejects is an error item next to the documents (see [`Documents`]).
//!
//! Two readers give the events. The fast reader (`fast.rs`) takes the plain block YAML nearly
//! every manifest is written in, a document at a time; granit-parser reads every document the
//! fast reader declines, with the same events, so the tree never depends on which one read it
//! (`fast_tests.rs` and the `readers` fuzz target compare them).
//!
//! Every node keeps the byte span of its source text; mapping keys are nodes too, so a finding
//! can point at a key or at its value. Aliases share the anchored node and keep the span of the
//! alias site: a finding reached through an alias points at the alias in the document being
//! linted. Merge keys (`<<`) are honoured by lookups. Documents are produced one at a time so a
//! caller can lint and drop each before the next is built.
//!
//! The files: `tree.rs` (the span tree: [`Document`], [`Node`] and its lookups), `builder.rs`
//! (parser events → a document's arena, with the limits and go-yaml v2's checks),
//! `reader.rs` ([`Documents`]: chunks at `---` lines, the fast reader or granit-parser for
//! each), `split.rs` (cutting a large text into ranges that parse alone), `scalar.rs`,
//! `json.rs`, the fast reader (`fast.rs`) with `repair.rs`, and `edit.rs` (building fixes as
//! text edits in the file's own style).

mod builder;
pub mod edit;
mod fast;
pub mod json;
mod reader;
mod repair;
pub mod scalar;
mod split;
mod tree;

use std::borrow::Cow;

use granit_parser::{Event, Parser, ScalarStyle, StrInput};

use crate::source::Span;
use builder::*;
use fast::Ev;
pub use reader::*;
pub use scalar::Resolved;
pub use split::*;
pub use tree::*;

/// Index of a node in its document's arena.
pub type NodeId = u32;

/// Resource limits that make hostile input harmless.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Maximum nesting of collections (block and flow).
    pub max_depth: usize,
    /// Maximum number of alias references in one document.
    pub max_aliases: usize,
    /// Maximum number of nodes in one document, counted with aliases expanded (each alias
    /// counts the whole subtree it stands for), so an alias bomb is refused while it is read.
    pub max_nodes: usize,
    /// Maximum number of values built when one object is expanded for schema checks (aliases
    /// are copied there, so an alias bomb grows exponentially: this bounds it).
    pub max_expanded_nodes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_depth: 128,
            max_aliases: 10_000,
            max_nodes: 5_000_000,
            max_expanded_nodes: 1_000_000,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn docs(text: &str) -> Vec<Result<Document<'_>, YamlError>> {
        documents(text, Limits::default()).collect()
    }

    #[test]
    fn keys_and_values_keep_their_spans() {
        let text = "a:\n  b: [1, \"two\"]\n";
        let all = docs(text);
        let doc = all[0].as_ref().expect("parses");
        let root = doc.root().expect("root");
        let (key, value) = root.get("a").and_then(|a| a.entry("b")).expect("a.b");
        assert_eq!(&text[key.span().range()], "b");
        assert_eq!(&text[value.span().range()], "[1, \"two\"]");
        let two = value.items().nth(1).expect("item");
        assert_eq!(two.as_str(), Some("two"));
        assert_eq!(root.path_to(two.span()).as_deref(), Some("a.b[1]"));
        assert_eq!(root.path_to(key.span()).as_deref(), Some("a.b"));
    }

    #[test]
    fn aliases_point_at_the_alias_site_and_merge_keys_merge() {
        let text = "base: &b\n  x: 1\n  y: 2\nuse: *b\nmerged:\n  <<: *b\n  y: 3\n";
        let all = docs(text);
        let doc = all[0].as_ref().expect("parses");
        let root = doc.root().expect("root");
        let x = root.get_path(&["use", "x"]).expect("use.x");
        assert_eq!(x.as_i64(), Some(1));
        assert_eq!(&text[x.span().range()], "*b");
        let merged = root.get("merged").expect("merged");
        assert_eq!(merged.get("y").and_then(|n| n.as_i64()), Some(3));
        assert_eq!(merged.get("x").and_then(|n| n.as_i64()), Some(1));
        assert_eq!(merged.entries().len(), 2);
    }

    #[test]
    fn syntax_errors_recover_at_the_next_document() {
        let text = "a: 1\n---\nb: [\n---\nc: 3\n";
        let all = docs(text);
        assert_eq!(all.len(), 3);
        assert!(all[0].is_ok());
        let err = all[1].as_ref().expect_err("error");
        assert_eq!(err.document, 1);
        let last = all[2].as_ref().expect("third parses");
        assert_eq!(last.index, 2);
        assert_eq!(
            last.root()
                .and_then(|r| r.get("c"))
                .and_then(|n| n.as_i64()),
            Some(3)
        );
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = "[".repeat(100_000);
        let all = docs(&text);
        assert!(all.iter().any(Result::is_err));
    }

    #[test]
    fn alias_bombs_are_refused_while_loading() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let p = i - 1;
            let items = vec![format!("*a{p}"); 10].join(", ");
            text.push_str(&format!("a{i}: &a{i} [{items}]\n"));
        }
        text.push_str("---\nnext: 1\n");
        let all = docs(&text);
        let err = all[0].as_ref().expect_err("refused");
        assert!(err.message.contains("alias bomb"), "{}", err.message);
        // `a6` holds ten `*a5` of 1.1 million nodes each: the fifth passes 5,000,000.
        assert_eq!(&text[err.span.range()], "*a5");
        assert!(all[1].is_ok());
        // Anchors reused a few times stay well under the limit.
        assert!(docs("a: &a [1, 2]\nb: *a\nc: [*a, *a]\n")[0].is_ok());
    }

    #[test]
    fn duplicate_keys_compare_resolved_values() {
        let text =
            "a: 1\n\"a\": 2\nb: {x: 1, y: 2, x: 3}\n1: one\n\"1\": str\n<<: {c: 1}\n<<: {d: 1}\n";
        let all = docs(text);
        let doc = all[0].as_ref().expect("parses");
        let found: Vec<(&str, &str, &str)> = doc
            .duplicate_keys
            .iter()
            .map(|d| {
                (
                    &text[d.first.range()],
                    &text[d.second.range()],
                    d.key.as_str(),
                )
            })
            .collect();
        assert_eq!(found, vec![("x", "x", "x"), ("a", "\"a\"", "a")]);
    }

    #[test]
    fn duplicate_keys_in_large_mappings() {
        let mut text = String::new();
        for i in 0..40 {
            text.push_str(&format!("k{i}: {i}\n"));
        }
        text.push_str("k7: again\n");
        let all = docs(&text);
        let doc = all[0].as_ref().expect("parses");
        assert_eq!(doc.duplicate_keys.len(), 1);
        assert_eq!(&text[doc.duplicate_keys[0].first.range()], "k7");
    }

    #[test]
    fn json_pointers_find_keys_and_items() {
        let text = "a:\n  b/c: [x, {yes: 1}]\n  m: {k: v}\n";
        let all = docs(text);
        let root = all[0].as_ref().expect("parses").root().expect("root");
        let (key, value) = root.pointer_entry("/a/b~1c/1/true").expect("found");
        assert_eq!(&text[key.expect("key").span().range()], "yes");
        assert_eq!(value.as_i64(), Some(1));
        let (key, value) = root.pointer_entry("/a/b~1c/0").expect("item");
        assert!(key.is_none());
        assert_eq!(value.as_str(), Some("x"));
        assert!(root.pointer("/a/nope").is_none());
        assert!(root.pointer("/a/m/k/deeper").is_none());
        assert_eq!(root.pointer("").map(|n| n.is_mapping()), Some(true));
    }

    #[test]
    fn unknown_anchor_is_an_error() {
        let all = docs("a: *nope\n");
        assert!(all[0].as_ref().is_err_and(|e| e.message.contains("nope")));
    }
}
