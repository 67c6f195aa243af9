//! Fixes as text edits on byte spans of the original source: applying them in one pass with
//! deterministic conflict resolution, and writing files atomically. Building them in the file's
//! own style is [`crate::yaml::edit`]'s (re-exported here).

use std::path::{Path, PathBuf};

use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix};

pub use crate::yaml::edit::{
    append_item, column, indent_unit, insert_entry, insert_mapping_entry, merge_insertions,
    newline_at, replace_value, set_key, yaml_string,
};

// ---------------------------------------------------------------------------------------------
// Applying.

/// What [`apply_until_stable`] did: the fixed text, the fixes applied, and the findings of the
/// last re-lint (`None` when no fix applied).
pub struct Passes {
    pub text: String,
    pub applied: usize,
    pub findings: Option<Vec<Diagnostic>>,
}

/// Apply the fixes of `findings` to `text`, re-lint the result with `relint`, and repeat while
/// fixes that overlapped an earlier one become applicable (four passes at most): the text
/// `check --fix` writes. The command line and the language server's "fix all" share it.
pub fn apply_until_stable(
    text: &str,
    findings: &[Diagnostic],
    unsafe_fixes: bool,
    mut relint: impl FnMut(&str) -> Vec<Diagnostic>,
) -> Passes {
    let mut passes = Passes {
        text: text.to_string(),
        applied: 0,
        findings: None,
    };
    for _ in 0..4 {
        let current = passes.findings.as_deref().unwrap_or(findings);
        let diags: Vec<&Diagnostic> = current.iter().collect();
        let (next, n) = apply(&passes.text, &diags, unsafe_fixes);
        if n == 0 || next == passes.text {
            break;
        }
        passes.applied += n;
        passes.findings = Some(relint(&next));
        passes.text = next;
    }
    passes
}

/// Apply the fixes of `diagnostics` allowed by `unsafe_fixes`, in one pass. Fixes are taken in
/// order of their first edit (then rule id); a fix whose edits overlap an accepted one is left
/// for the next pass. Returns the new text and the number of fixes applied.
#[must_use]
pub fn apply(text: &str, diagnostics: &[&Diagnostic], unsafe_fixes: bool) -> (String, usize) {
    let mut fixes: Vec<(&Fix, &str)> = diagnostics
        .iter()
        .filter(|d| d.suppressed.is_none())
        .filter_map(|d| d.fix.as_ref().map(|f| (f, d.rule.as_ref())))
        .filter(|(f, _)| unsafe_fixes || f.applicability == Applicability::Safe)
        .filter(|(f, _)| !f.edits.is_empty())
        .collect();
    fixes.sort_by_key(|(f, rule)| {
        (
            f.edits.iter().map(|e| e.span.start).min().unwrap_or(0),
            *rule,
        )
    });
    let mut accepted = Accepted::default();
    let mut count = 0;
    for (fix, _) in fixes {
        let in_bounds = fix.edits.iter().all(|e| {
            (e.span.end as usize) <= text.len()
                && text.is_char_boundary(e.span.start as usize)
                && text.is_char_boundary(e.span.end as usize)
        });
        let own_overlap = fix.edits.iter().enumerate().any(|(i, e)| {
            fix.edits[..i]
                .iter()
                .any(|o| conflicts((e.span.start, e.span.end), (o.span.start, o.span.end)))
        });
        if !in_bounds || own_overlap || fix.edits.iter().any(|e| accepted.conflicts(e)) {
            continue;
        }
        // A key renamed to `k` and a `k:` inserted by another fix would make a duplicate key
        // (the inserting rule did not see the misspelt key): leave the later one for the next
        // pass, whose findings see the first one applied.
        let renames_clash = fix.edits.iter().any(|e| {
            renamed_key(text, e).is_some_and(|k| accepted.inserts.iter().any(|a| inserts_key(a, k)))
                || (e.span.is_empty() && accepted.renamed_to.iter().any(|k| inserts_key(e, k)))
        });
        if renames_clash {
            continue;
        }
        for e in &fix.edits {
            accepted.add(text, e);
        }
        count += 1;
    }
    // One forward pass: the text between edits is copied once.
    let mut out = String::with_capacity(text.len());
    let mut at = 0usize;
    for e in accepted.by_start.values() {
        let range = e.span.range();
        out.push_str(&text[at..range.start]);
        out.push_str(&e.replacement);
        at = range.end;
    }
    out.push_str(&text[at..]);
    (out, count)
}

/// Whether two edits (start, end) conflict: they overlap, start at the same point (two
/// insertions there would apply in an arbitrary order), or replace text ending at the same point.
fn conflicts((s1, e1): (u32, u32), (s2, e2): (u32, u32)) -> bool {
    (s1 < e2 && s2 < e1) || s1 == s2 || (e1 == e2 && s1 != e1 && s2 != e2)
}

/// The edits accepted in a pass, indexed so that checking a new edit costs a lookup, not a scan
/// (a file with 10,000s of fixes made the scan quadratic).
#[derive(Default)]
struct Accepted<'a> {
    /// By start offset: accepted edits never share a start, and never overlap, so their ends
    /// grow with their starts.
    by_start: std::collections::BTreeMap<u32, &'a Edit>,
    /// End offsets of the accepted edits that replace text.
    replacing_ends: std::collections::BTreeSet<u32>,
    /// Accepted insertions, and the keys accepted renames write (see `renamed_key`).
    inserts: Vec<&'a Edit>,
    renamed_to: Vec<&'a str>,
}

impl<'a> Accepted<'a> {
    fn conflicts(&self, e: &Edit) -> bool {
        let (s1, e1) = (e.span.start, e.span.end);
        if self.by_start.contains_key(&s1) || (s1 != e1 && self.replacing_ends.contains(&e1)) {
            return true;
        }
        // The accepted edit starting last before `e1` is the only one that can overlap `e`:
        // those before it end before it starts.
        self.by_start
            .range(..e1)
            .next_back()
            .is_some_and(|(_, a)| conflicts((s1, e1), (a.span.start, a.span.end)))
    }

    fn add(&mut self, text: &str, e: &'a Edit) {
        self.by_start.insert(e.span.start, e);
        if e.span.is_empty() {
            self.inserts.push(e);
        } else {
            self.replacing_ends.insert(e.span.end);
        }
        if let Some(k) = renamed_key(text, e) {
            self.renamed_to.push(k);
        }
    }
}

/// The new name when `edit` replaces a mapping key (non-empty text followed by `:`).
fn renamed_key<'e>(text: &str, edit: &'e Edit) -> Option<&'e str> {
    if edit.span.is_empty() {
        return None;
    }
    let after = text.get(edit.span.end as usize..)?;
    after
        .trim_start_matches([' ', '\t'])
        .starts_with(':')
        .then(|| edit.replacement.trim_matches(['"', '\'']))
        .filter(|k| !k.is_empty())
}

/// Whether an insertion writes the key `key` (`key:` after the start of a line, a `{` or `,`).
fn inserts_key(edit: &Edit, key: &str) -> bool {
    edit.span.is_empty()
        && edit.replacement.match_indices(key).any(|(i, _)| {
            let before = edit.replacement[..i].trim_end_matches([' ', '\t', '"', '\'']);
            let after = edit.replacement[i + key.len()..].trim_start_matches(['"', '\'']);
            after.starts_with(':') && (before.is_empty() || before.ends_with(['\n', '{', ',', '-']))
        })
}

fn diff_name(side: &str, name: &str) -> String {
    if name.starts_with('/') {
        name.to_string()
    } else {
        format!("{side}/{name}")
    }
}

/// A unified diff between two versions of a file.
#[must_use]
pub fn unified_diff(name: &str, old: &str, new: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&diff_name("a", name), &diff_name("b", name))
        .to_string()
}

// ---------------------------------------------------------------------------------------------
// Writing.

/// Why a fixed file was not written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The file changed on disk after it was read.
    #[error("the file changed on disk since it was read; not overwritten")]
    Changed,
    #[error("cannot write the fixed file: {0}; the original is intact")]
    Io(std::io::Error),
}

/// Write `new_text` over `path` atomically ([`crate::atomic::write`]: a temporary file beside
/// the target, fsync, the original permissions, then a rename); symlinks are followed: the
/// target is fixed, the link kept. `original` is the text that was read; if the file no longer holds it, nothing is
/// written. A UTF-8 byte order mark is kept.
pub fn write_atomic(path: &Path, original: &str, new_text: &str) -> Result<(), WriteError> {
    let target: PathBuf = std::fs::canonicalize(path).map_err(WriteError::Io)?;
    let current = std::fs::read(&target).map_err(WriteError::Io)?;
    let (bom, body) = match current.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => (true, rest),
        None => (false, current.as_slice()),
    };
    if body != original.as_bytes() {
        return Err(WriteError::Changed);
    }
    let mut bytes = Vec::with_capacity(new_text.len() + 3);
    if bom {
        bytes.extend_from_slice(b"\xEF\xBB\xBF");
    }
    bytes.extend_from_slice(new_text.as_bytes());
    crate::atomic::write(&target, &bytes).map_err(WriteError::Io)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Span;
    use crate::yaml::Node;
    use crate::yaml::{documents, Limits};

    fn with_root(text: &str, f: impl Fn(Node<'_>) -> Option<Edit>) -> String {
        let docs: Vec<_> = documents(text, Limits::default()).collect();
        let root = docs[0].as_ref().expect("doc").root().expect("root");
        let edit = f(root).expect("edit");
        let mut out = text.to_string();
        out.replace_range(edit.span.range(), &edit.replacement);
        out
    }

    #[test]
    fn insert_into_block_mapping_keeps_style() {
        let text = "spec:\n    a: 1  # c\n    b:\n    - x\nnext: 1\n";
        let out = with_root(text, |r| {
            insert_entry(
                text,
                r.get("spec")?,
                "tolerations",
                "- key: k\n  operator: Exists",
            )
        });
        assert_eq!(out, "spec:\n    a: 1  # c\n    b:\n    - x\n    tolerations:\n    - key: k\n      operator: Exists\nnext: 1\n");
    }

    #[test]
    fn insert_into_flow_mapping_and_crlf() {
        let text = "spec: {a: 1}\r\n";
        let out = with_root(text, |r| insert_entry(text, r.get("spec")?, "b", "2"));
        assert_eq!(out, "spec: {a: 1, b: 2}\r\n");
        let text = "spec:\r\n  a: 1\r\n";
        let out = with_root(text, |r| insert_entry(text, r.get("spec")?, "b", "2"));
        assert_eq!(out, "spec:\r\n  a: 1\r\n  b: 2\r\n");
    }

    #[test]
    fn insert_nested_mapping_in_the_files_indentation() {
        let text = "metadata:\n    name: a\n    labels:\n        app: a\nspec: {}\n";
        let out = with_root(text, |r| {
            insert_mapping_entry(text, r.get("metadata")?, "annotations", "k", "\"v\"")
        });
        assert_eq!(
            out,
            "metadata:\n    name: a\n    labels:\n        app: a\n    annotations:\n        k: \"v\"\nspec: {}\n"
        );
        let text = "metadata: {name: a}\n";
        let out = with_root(text, |r| {
            insert_mapping_entry(text, r.get("metadata")?, "annotations", "k", "v")
        });
        assert_eq!(out, "metadata: {name: a, annotations: {k: v}}\n");
    }

    #[test]
    fn append_to_block_and_flow_sequences() {
        let text = "l:\n  - a: 1\n    b: 2\n";
        let out = with_root(text, |r| append_item(text, r.get("l")?, "c: 3\nd: 4"));
        assert_eq!(out, "l:\n  - a: 1\n    b: 2\n  - c: 3\n    d: 4\n");
        let text = "l: [{a: 1}]\n";
        let out = with_root(text, |r| append_item(text, r.get("l")?, "c: 3\nd: 4"));
        assert_eq!(out, "l: [{a: 1}, {c: 3, d: 4}]\n");
    }

    #[test]
    fn no_edits_through_aliases() {
        let text = "a: &x 1\nb: *x\n";
        let docs: Vec<_> = documents(text, Limits::default()).collect();
        let root = docs[0].as_ref().expect("doc").root().expect("root");
        assert!(replace_value(root.get("b").expect("b"), "2").is_none());
        assert!(replace_value(root.get("a").expect("a"), "2").is_some());
    }

    #[test]
    fn overlapping_fixes_resolve_deterministically() {
        let mk = |rule: &'static str, start: usize, end: usize, rep: &str| {
            let mut d = Diagnostic::new(
                rule,
                crate::diagnostic::Severity::Warning,
                Span::new(start, end),
                "m",
            );
            d.fix = Some(Fix {
                description: "f".into(),
                applicability: Applicability::Safe,
                edits: vec![Edit {
                    span: Span::new(start, end),
                    replacement: rep.into(),
                }],
            });
            d
        };
        let a = mk("b-rule", 0, 3, "XXX");
        let b = mk("a-rule", 2, 5, "YYY");
        let c = mk("c-rule", 6, 7, "Z");
        let (out, n) = apply("0123456789", &[&a, &b, &c], false);
        assert_eq!((out.as_str(), n), ("XXX345Z789", 2));
        // Two insertions at one point, two replacements ending at one point, an insertion
        // inside a replaced range: the first of each pair applies. An insertion right at the
        // end of a replaced range does not conflict with it.
        let fixes = [
            mk("a", 1, 1, "i"),
            mk("b", 1, 1, "j"),
            mk("c", 2, 4, "R"),
            mk("d", 3, 4, "S"),
            mk("e", 5, 8, "T"),
            mk("f", 6, 6, "k"),
            mk("g", 8, 8, "m"),
        ];
        let refs: Vec<&Diagnostic> = fixes.iter().collect();
        let (out, n) = apply("0123456789", &refs, false);
        assert_eq!((out.as_str(), n), ("0i1R4Tm89", 4));
    }

    #[test]
    fn many_fixes_apply_in_linear_time() {
        // 50,000 insertions into a 1.2 MB text: a quadratic pass (a scan of the accepted edits
        // per fix, or shifting the text per edit) takes minutes here.
        let line = "key: value\n";
        let text = line.repeat(120_000);
        let fixes: Vec<Diagnostic> = (0..50_000)
            .map(|i| {
                let at = (i * 2 + 1) * line.len();
                let mut d = Diagnostic::new(
                    "r",
                    crate::diagnostic::Severity::Warning,
                    Span::new(at, at),
                    "m",
                );
                d.fix = Some(Fix {
                    description: "f".into(),
                    applicability: Applicability::Safe,
                    edits: vec![Edit {
                        span: Span::new(at, at),
                        replacement: "new: 1\n".into(),
                    }],
                });
                d
            })
            .collect();
        let refs: Vec<&Diagnostic> = fixes.iter().collect();
        let started = std::time::Instant::now();
        let (out, n) = apply(&text, &refs, false);
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
        assert_eq!(n, 50_000);
        assert_eq!(out.len(), text.len() + 50_000 * "new: 1\n".len());
        assert!(out.starts_with("key: value\nnew: 1\nkey: value\nkey: value\nnew: 1\n"));
    }
}
