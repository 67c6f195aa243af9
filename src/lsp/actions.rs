//! Code actions: each finding's fix, `source.fixAll`, and suppressing a finding on its line
//! or for its whole DaemonSet.

use super::*;

impl Server {
    /// One action applying every safe fix of the document, repeated (at most four passes) while
    /// fixes that overlapped an earlier one become applicable: the text `daemonlint check
    /// --fix` would write. Its edit replaces the span between the first and last changed byte.
    pub(super) fn fix_all(&self, uri: &Uri) -> Option<CodeActionOrCommand> {
        let doc = self.documents.get(uri.as_str())?;
        if self.is_config(doc.path.as_deref()) || doc.target != Target::Plain {
            return None;
        }
        let settings = settings_of(self.resolver.as_ref(), doc);
        let passes = fix::apply_until_stable(&doc.text, &doc.findings, false, |text| {
            lint_text(&self.options, doc, text, &settings, &self.policies)
        });
        let (text, applied) = (passes.text, passes.applied);
        if applied == 0 || text == doc.text {
            return None;
        }
        let (old, new) = (doc.text.as_str(), text.as_str());
        let mut prefix = old
            .bytes()
            .zip(new.bytes())
            .take_while(|(a, b)| a == b)
            .count();
        while !old.is_char_boundary(prefix) || !new.is_char_boundary(prefix) {
            prefix -= 1;
        }
        let mut suffix = old[prefix..]
            .bytes()
            .rev()
            .zip(new[prefix..].bytes().rev())
            .take_while(|(a, b)| a == b)
            .count();
        while !old.is_char_boundary(old.len() - suffix) || !new.is_char_boundary(new.len() - suffix)
        {
            suffix -= 1;
        }
        let edit = TextEdit {
            range: self
                .encoding
                .range(old, &doc.index, Span::new(prefix, old.len() - suffix)),
            new_text: new[prefix..new.len() - suffix].to_string(),
        };
        let title = match applied {
            1 => "Fix 1 safe daemonlint finding".to_string(),
            n => format!("Fix {n} safe daemonlint findings"),
        };
        Some(CodeActionOrCommand::CodeAction(CodeAction {
            title,
            kind: Some(CodeActionKind::new(FIX_ALL_KIND)),
            edit: Some(WorkspaceEdit {
                changes: Some(HashMap::from([(doc.uri.clone(), vec![edit])])),
                ..WorkspaceEdit::default()
            }),
            ..CodeAction::default()
        }))
    }

    pub(super) fn code_actions(&mut self, p: &CodeActionParams) -> Vec<CodeActionOrCommand> {
        // A requested kind covers its sub-kinds: `source` asks for `source.fixAll.daemonlint`.
        let covers = |k: &CodeActionKind, kind: &str| {
            let k = k.as_str();
            k.is_empty() || kind == k || kind.strip_prefix(k).is_some_and(|r| r.starts_with('.'))
        };
        let only = p.context.only.as_ref();
        let wants_quickfix = only.is_none_or(|only| only.iter().any(|k| covers(k, "quickfix")));
        // Source actions only when asked for, as editors ask for them (on save, from a command).
        let wants_fix_all = only.is_some_and(|only| only.iter().any(|k| covers(k, FIX_ALL_KIND)));
        self.flush(&p.text_document.uri);
        let mut actions = Vec::new();
        if wants_fix_all {
            actions.extend(self.fix_all(&p.text_document.uri));
        }
        if !wants_quickfix {
            return actions;
        }
        let Some(doc) = self.documents.get(p.text_document.uri.as_str()) else {
            return Vec::new();
        };
        let encoding = self.encoding;
        let start = encoding.offset(&doc.text, &doc.index, p.range.start);
        let end = encoding
            .offset(&doc.text, &doc.index, p.range.end)
            .max(start);
        let (start, end) = (
            u32::try_from(start).unwrap_or(u32::MAX),
            u32::try_from(end).unwrap_or(u32::MAX),
        );
        let hits: Vec<&Diagnostic> = doc
            .findings
            .iter()
            .filter(|d| d.span.start <= end && start <= d.span.end)
            .collect();
        let action = |title: String, d: &Diagnostic, edits: &[Edit], preferred: bool| {
            let edits = edits
                .iter()
                .map(|e| TextEdit {
                    range: encoding.range(&doc.text, &doc.index, e.span),
                    new_text: e.replacement.clone(),
                })
                .collect();
            CodeActionOrCommand::CodeAction(CodeAction {
                title,
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![to_lsp(encoding, doc, d)]),
                edit: Some(WorkspaceEdit {
                    changes: Some(HashMap::from([(doc.uri.clone(), edits)])),
                    ..WorkspaceEdit::default()
                }),
                is_preferred: Some(preferred),
                ..CodeAction::default()
            })
        };
        for d in &hits {
            if let Some(f) = &d.fix {
                let safe = f.applicability == Applicability::Safe;
                let title = if safe {
                    f.description.clone()
                } else {
                    format!("{} (unsafe)", f.description)
                };
                actions.push(action(title, d, &f.edits, safe));
            }
        }
        for d in &hits {
            if let Some(edit) = suppress_on_line(&doc.text, &doc.index, d) {
                let title = format!("Suppress {} on this line", d.rule);
                actions.push(action(title, d, &[edit], false));
            }
            if let Some(edit) = suppress_for_daemonset(&doc.text, d) {
                let title = format!("Suppress {} for this DaemonSet", d.rule);
                actions.push(action(title, d, &[edit], false));
            }
        }
        actions
    }
}

/// Findings that a suppression comment silences: the DaemonSet rules and `invalid-daemonset`
/// (not syntax errors, which come before suppressions, nor the suppression rules themselves).
fn suppressible_by_comment(rule: &str) -> bool {
    rule == rules::INVALID_DAEMONSET.id || suppressible_by_annotation(rule)
}

fn suppressible_by_annotation(rule: &str) -> bool {
    rules::RULES.iter().any(|r| r.meta.id == rule)
}

/// `# daemonlint: ignore[<rule>] TODO: reason` on its own line above the finding, indented
/// like that line.
fn suppress_on_line(text: &str, index: &LineIndex, d: &Diagnostic) -> Option<Edit> {
    if !suppressible_by_comment(&d.rule) {
        return None;
    }
    let line = index.line_of(d.span.start);
    let start = index.line_start(line) as usize;
    let rest = text.get(start..)?;
    let indent = &rest[..rest.len() - rest.trim_start_matches([' ', '\t']).len()];
    Some(Edit {
        span: Span::empty(start),
        replacement: format!(
            "{indent}# daemonlint: ignore[{}] {REASON_PLACEHOLDER}{}",
            d.rule,
            fix::newline_at(text, start)
        ),
    })
}

/// Add the rule to the `daemonlint.io/ignore` annotation of the DaemonSet holding the finding.
fn suppress_for_daemonset(text: &str, d: &Diagnostic) -> Option<Edit> {
    if !suppressible_by_annotation(&d.rule) {
        return None;
    }
    let annotation = "daemonlint.io/ignore";
    let doc = yaml::documents(text, yaml::Limits::default())
        .nth(d.document)?
        .ok()?;
    let objects = manifest::objects(&doc);
    let object = objects.iter().find(|o| {
        let span = o.node.own_span();
        o.kind == "DaemonSet" && span.start <= d.span.start && d.span.end <= span.end
    })?;
    let metadata = object.metadata()?;
    let value = format!("\"{}: {REASON_PLACEHOLDER}\"", d.rule);
    let Some(annotations) = metadata.get("annotations") else {
        return fix::insert_mapping_entry(text, metadata, "annotations", annotation, &value);
    };
    if !annotations.is_mapping() {
        return None;
    }
    let Some(existing) = annotations.get(annotation) else {
        return fix::insert_entry(text, annotations, annotation, &value);
    };
    if existing.via_alias() || existing.scalar_text().is_none() {
        return None;
    }
    let span = existing.own_span();
    let raw = text.get(span.range())?;
    if let Some(colon) = raw.find(':') {
        // `a, b: reason` → `a, b, <rule>: reason`
        let at = span.start as usize + raw[..colon].trim_end().len();
        return Some(Edit {
            span: Span::empty(at),
            replacement: format!(", {}", d.rule),
        });
    }
    // No reason yet: add the rule and the placeholder reason.
    let quoted = raw.len() >= 2
        && (raw.starts_with('"') && raw.ends_with('"')
            || raw.starts_with('\'') && raw.ends_with('\''));
    if quoted {
        let at = span.end as usize - 1;
        Some(Edit {
            span: Span::empty(at),
            replacement: format!(", {}: {REASON_PLACEHOLDER}", d.rule),
        })
    } else if existing.is_plain_scalar() {
        Some(Edit {
            span,
            replacement: format!("\"{}, {}: {REASON_PLACEHOLDER}\"", raw.trim(), d.rule),
        })
    } else {
        None
    }
}
