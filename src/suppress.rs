//! Suppression by annotation on the DaemonSet (or its pod template, optionally scoped to one
//! container) and by `# daemonlint:` comment on or above a line or for a whole document.
//! A reason is required; suppressions that silence nothing are reported.
//!
//! ```yaml
//! metadata:
//!   annotations:
//!     daemonlint.io/ignore: "host-network, host-pid: the CNI plugin manages host networking"
//!     daemonlint.io/ignore.installer: "writable-host-path: copies the CNI binary to the host"
//! ...
//!       hostPID: true  # daemonlint: ignore[host-pid] the agent inspects host processes
//! # daemonlint: ignore-document[missing-resource-limits] sized by the operator at install time
//! ```

use crate::diagnostic::{Diagnostic, Severity};
use crate::manifest::DaemonSet;
use crate::rules::{self, RuleMeta};
use crate::settings::Settings;
use crate::source::Span;
use crate::yaml::{Comment, Node};

pub use crate::diagnostic::Suppressed;

#[derive(Clone, Debug, PartialEq, Eq)]
enum Scope {
    /// Findings starting on this 0-based byte range of a line.
    Line {
        start: u32,
        end: u32,
    },
    Document,
    /// Findings inside this object, optionally in one container.
    Object {
        span: Span,
        container: Option<String>,
    },
}

#[derive(Clone, Debug)]
struct Entry {
    kind: &'static str,
    scope: Scope,
    rules: Vec<(String, Span)>,
    used: Vec<bool>,
    reason: Option<String>,
}

const ANNOTATION: &str = "daemonlint.io/ignore";

/// A parsed `ignore[...]`: whole document?, rule ids with their offsets, reason.
type Directive = (bool, Vec<(String, usize)>, Option<String>);

/// Parse `ignore[a, b] reason` / `ignore-document[a] reason` after `daemonlint:`.
fn parse_directive(body: &str) -> Result<Directive, String> {
    let (document, rest, offset) = if let Some(r) = body.strip_prefix("ignore-document[") {
        (true, r, "ignore-document[".len())
    } else if let Some(r) = body.strip_prefix("ignore[") {
        (false, r, "ignore[".len())
    } else {
        return Err(
            "expected `ignore[rule, ...] reason` or `ignore-document[rule, ...] reason`".into(),
        );
    };
    let Some(close) = rest.find(']') else {
        return Err("missing `]` after the rule list".into());
    };
    let mut ids = Vec::new();
    let mut pos = 0;
    for part in rest[..close].split(',') {
        let trimmed = part.trim();
        let lead = part.len() - part.trim_start().len();
        if !trimmed.is_empty() {
            ids.push((trimmed.to_string(), offset + pos + lead));
        }
        pos += part.len() + 1;
    }
    if ids.is_empty() {
        return Err("the rule list is empty".into());
    }
    let reason = rest[close + 1..]
        .trim()
        .trim_start_matches([':', '-'])
        .trim();
    Ok((
        document,
        ids,
        (!reason.is_empty()).then(|| reason.to_string()),
    ))
}

/// The line a comment suppresses: its own line when code precedes it, else the next line with
/// content.
fn target_line(text: &str, comment: Span) -> (u32, u32) {
    let bytes = text.as_bytes();
    let start = comment.start as usize;
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    if !text[line_start..start].trim().is_empty() {
        return (line_start as u32, line_end as u32);
    }
    let mut pos = line_end;
    while pos < bytes.len() {
        let next_start = pos + 1;
        let next_end = text[next_start.min(text.len())..]
            .find('\n')
            .map_or(text.len(), |i| next_start + i);
        let line = text.get(next_start..next_end).unwrap_or("").trim();
        if !line.is_empty() && !line.starts_with('#') {
            return (next_start as u32, next_end as u32);
        }
        pos = next_end;
    }
    (line_start as u32, line_end as u32)
}

/// Suppressions for one document.
#[derive(Clone, Debug, Default)]
pub struct Suppressions {
    entries: Vec<Entry>,
    invalid: Vec<(Span, String)>,
}

fn check_ids(ids: &[(String, Span)], invalid: &mut Vec<(Span, String)>) {
    for (id, span) in ids {
        if rules::find(id).is_none() {
            invalid.push((
                *span,
                rules::unknown_rule_message(id).replace("rule or category", "rule"),
            ));
        }
    }
}

impl Suppressions {
    /// No suppression and no invalid one.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty() && self.invalid.is_empty()
    }

    /// Move every span `by` bytes later (see [`crate::cross::FileIndex::shift`]).
    pub fn shift(&mut self, by: u32) {
        for entry in &mut self.entries {
            match &mut entry.scope {
                Scope::Line { start, end } => {
                    *start = start.saturating_add(by);
                    *end = end.saturating_add(by);
                }
                Scope::Document => {}
                Scope::Object { span, .. } => *span = span.shifted(by),
            }
            for (_, span) in &mut entry.rules {
                *span = span.shifted(by);
            }
        }
        for (span, _) in &mut self.invalid {
            *span = span.shifted(by);
        }
    }

    /// Read `# daemonlint:` comments.
    pub fn add_comments(&mut self, text: &str, comments: &[Comment<'_>]) {
        for c in comments {
            let body = c.text.trim();
            let Some(rest) = body.strip_prefix("daemonlint:") else {
                continue;
            };
            let lead = c.text.len() - c.text.trim_start().len() + "daemonlint:".len();
            let rest_trim = rest.trim_start();
            let lead = lead + (rest.len() - rest_trim.len()) + 1; // +1 for '#'
            match parse_directive(rest_trim) {
                Err(message) => self
                    .invalid
                    .push((c.span, format!("malformed suppression comment: {message}"))),
                Ok((document, ids, reason)) => {
                    let ids: Vec<(String, Span)> = ids
                        .into_iter()
                        .map(|(id, off)| {
                            let s = c.span.start as usize + lead + off;
                            (id.clone(), Span::new(s, s + id.len()))
                        })
                        .collect();
                    check_ids(&ids, &mut self.invalid);
                    if reason.is_none() {
                        self.invalid.push((
                            c.span,
                            "a suppression needs a reason after the rule list".into(),
                        ));
                    }
                    let scope = if document {
                        Scope::Document
                    } else {
                        let (start, end) = target_line(text, c.span);
                        Scope::Line { start, end }
                    };
                    self.entries.push(Entry {
                        kind: if document {
                            "document-comment"
                        } else {
                            "comment"
                        },
                        scope,
                        used: vec![false; ids.len()],
                        rules: ids,
                        reason,
                    });
                }
            }
        }
    }

    /// Read `daemonlint.io/ignore[.container]` annotations of a DaemonSet and its pod template.
    pub fn add_annotations(&mut self, text: &str, ds: &DaemonSet<'_>) {
        let object_span = ds.object.node.own_span();
        let sources = [
            ds.object.metadata().and_then(|m| m.get("annotations")),
            ds.template
                .get("metadata")
                .and_then(|m| m.get("annotations")),
        ];
        for annotations in sources.into_iter().flatten() {
            for (key, value) in annotations.entries() {
                let Some(k) = key.scalar_text() else { continue };
                let container = if k == ANNOTATION {
                    None
                } else if let Some(name) =
                    k.strip_prefix(ANNOTATION).and_then(|r| r.strip_prefix('.'))
                {
                    Some(name.to_string())
                } else {
                    continue;
                };
                self.add_annotation(text, value, object_span, container);
            }
        }
    }

    fn add_annotation(
        &mut self,
        text: &str,
        value: Node<'_>,
        object: Span,
        container: Option<String>,
    ) {
        let Some(v) = value.scalar_text() else {
            self.invalid.push((
                value.span(),
                "the annotation value must be a string: \"rule, rule: reason\"".into(),
            ));
            return;
        };
        let (list, reason) = match v.split_once(':') {
            Some((l, r)) => (l, Some(r.trim().to_string()).filter(|r| !r.is_empty())),
            None => (v, None),
        };
        let raw = &text[value.span().range()];
        let base = value.span().start as usize;
        let ids: Vec<(String, Span)> = list
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|id| {
                let span = raw
                    .find(id)
                    .map_or(value.span(), |o| Span::new(base + o, base + o + id.len()));
                (id.to_string(), span)
            })
            .collect();
        if ids.is_empty() {
            self.invalid
                .push((value.span(), "the annotation names no rule".into()));
            return;
        }
        check_ids(&ids, &mut self.invalid);
        if reason.is_none() {
            self.invalid.push((
                value.span(),
                "a suppression needs a reason: \"rule, rule: reason\"".into(),
            ));
        }
        self.entries.push(Entry {
            kind: "annotation",
            scope: Scope::Object {
                span: object,
                container,
            },
            used: vec![false; ids.len()],
            rules: ids,
            reason,
        });
    }

    /// Mark the diagnostics these suppressions match.
    pub fn apply(&mut self, diagnostics: &mut [Diagnostic]) {
        for d in diagnostics.iter_mut() {
            if d.suppressed.is_some() {
                continue;
            }
            for entry in &mut self.entries {
                let in_scope = match &entry.scope {
                    Scope::Line { start, end } => d.span.start >= *start && d.span.start <= *end,
                    Scope::Document => true,
                    Scope::Object { span, container } => {
                        d.span.start >= span.start
                            && d.span.end <= span.end
                            && container
                                .as_ref()
                                .is_none_or(|c| d.container.as_deref() == Some(c.as_str()))
                    }
                };
                if !in_scope {
                    continue;
                }
                if let Some(i) = entry.rules.iter().position(|(id, _)| *id == d.rule) {
                    entry.used[i] = true;
                    d.suppressed = Some(Suppressed {
                        kind: entry.kind,
                        reason: entry.reason.clone(),
                    });
                    break;
                }
            }
        }
    }

    /// `unused-suppression` and `invalid-suppression` findings.
    pub fn report(self, settings: &Settings, document: usize, out: &mut Vec<Diagnostic>) {
        let make = |meta: &'static RuleMeta, span: Span, message: String| -> Option<Diagnostic> {
            let severity: Severity = settings.severity_of(meta)?;
            let mut d = Diagnostic::new(meta.id, severity, span, message);
            d.document = document;
            Some(d)
        };
        for (span, message) in self.invalid {
            out.extend(make(&rules::INVALID_SUPPRESSION, span, message));
        }
        for entry in self.entries {
            for ((id, span), used) in entry.rules.iter().zip(entry.used) {
                // A rule that is off or unknown cannot be "unused".
                let enabled = rules::find(id)
                    .and_then(|m| settings.severity_of(m))
                    .is_some();
                // Run-level rules fire after the file's suppressions are reported (and
                // `missing-priority-class` looks classes up there too).
                let run_level = rules::is_run_level(id) || id == "missing-priority-class";
                if !used && enabled && !run_level {
                    out.extend(make(
                        &rules::UNUSED_SUPPRESSION,
                        *span,
                        format!("this suppression of `{id}` matches no finding: remove it so stale exceptions do not pile up"),
                    ));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directive_syntax() {
        let (doc, ids, reason) = parse_directive("ignore[a, b] because").expect("ok");
        assert!(!doc);
        assert_eq!(ids, vec![("a".to_string(), 7), ("b".to_string(), 10)]);
        assert_eq!(reason.as_deref(), Some("because"));
        let (doc, _, reason) = parse_directive("ignore-document[a]").expect("ok");
        assert!(doc);
        assert_eq!(reason, None);
        assert!(parse_directive("ignroe[a] x").is_err());
        assert!(parse_directive("ignore[a x").is_err());
        assert!(parse_directive("ignore[] x").is_err());
    }

    #[test]
    fn comments_target_their_line_or_the_next_content_line() {
        let text = "a: 1 # c\n\n# above\n# more\nb: 2\n";
        let trailing = Span::new(5, 8);
        assert_eq!(target_line(text, trailing), (0, 8));
        let above = Span::new(10, 17);
        let (start, end) = target_line(text, above);
        assert_eq!(&text[start as usize..end as usize], "b: 2");
    }
}
