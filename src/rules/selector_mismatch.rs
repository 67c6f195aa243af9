//! `selector-mismatch`: `spec.selector` does not select the pod template's labels.

use super::{Category, FixKind, Rule, RuleCx, RuleMeta, Violation};
use crate::diagnostic::Severity;
use crate::manifest::DaemonSet;
use crate::yaml::Node;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "selector-mismatch",
        default_severity: Severity::Error,
        category: Category::Correctness,
        summary: "spec.selector does not select the pod template's labels, so the API server rejects the DaemonSet",
        default_enabled: true,
        fix: FixKind::None,
        since: "0.1.0",
    },
    check,
};

const REJECTED: &str = "the API server rejects a DaemonSet whose selector does not select its own \
                        pods, so the agent reaches no node";

fn check(ds: &DaemonSet<'_>, _cx: &RuleCx<'_>, out: &mut Vec<Violation>) {
    let Some(selector) = ds.spec.get("selector").filter(Node::is_mapping) else {
        return;
    };
    let labels = ds
        .template
        .entry("metadata")
        .and_then(|(_, m)| m.entry("labels"))
        .filter(|(_, l)| l.is_mapping());
    let label = |key: &str| {
        labels
            .and_then(|(_, l)| l.get(key))
            .filter(|v| !v.is_null())
    };
    // Where the template's labels are, for a secondary label.
    let labels_span = labels.map_or(ds.template.span(), |(k, _)| k.span());

    if let Some(match_labels) = selector.get("matchLabels").filter(Node::is_mapping) {
        for (key_node, want) in match_labels.entries() {
            let (Some(key), Some(want_text)) = (key_node.scalar_text(), want.scalar_text()) else {
                continue;
            };
            if want.is_null() {
                continue;
            }
            match label(key) {
                None => out.push(
                    Violation::new(
                        key_node.span(),
                        format!(
                            "the selector requires label `{key}: {want_text}`, but the pod \
                             template has no `{key}` label: {REJECTED}"
                        ),
                    )
                    .label(labels_span, "the template's labels")
                    .help(format!("add `{key}: {want_text}` to `spec.template.metadata.labels`, or select on a label the template has")),
                ),
                Some(have) if have.scalar_text() != Some(want_text) => out.push(
                    Violation::new(
                        want.span(),
                        format!(
                            "the selector requires label `{key}: {want_text}`, but the pod \
                             template sets `{key}: {}`: {REJECTED}",
                            have.scalar_text().unwrap_or("?")
                        ),
                    )
                    .label(have.span(), "the template's value")
                    .help("make the selector and `spec.template.metadata.labels` agree (the selector cannot change after creation: change the template)"),
                ),
                Some(_) => {}
            }
        }
    }

    for expr in selector
        .get("matchExpressions")
        .into_iter()
        .flat_map(|e| e.items())
    {
        let Some(key) = expr.get("key").and_then(|k| k.scalar_text()) else {
            continue;
        };
        let Some(op) = expr.get("operator").and_then(|o| o.scalar_text()) else {
            continue;
        };
        let values: Vec<&str> = expr
            .get("values")
            .into_iter()
            .flat_map(|v| v.items())
            .filter_map(|v| v.scalar_text())
            .collect();
        let have = label(key);
        let have_text = have.and_then(|h| h.scalar_text());
        let selects = match op {
            "In" => have_text.is_some_and(|h| values.contains(&h)),
            "NotIn" => !have_text.is_some_and(|h| values.contains(&h)),
            "Exists" => have.is_some(),
            "DoesNotExist" => have.is_none(),
            // An unknown operator is a validation error of its own, not a mismatch.
            _ => continue,
        };
        if selects {
            continue;
        }
        let requirement = match op {
            "In" | "NotIn" => format!("`{key} {op} [{}]`", values.join(", ")),
            _ => format!("`{key} {op}`"),
        };
        let actual = match have_text {
            Some(h) => format!("the template sets `{key}: {h}`"),
            None => format!("the template has no `{key}` label"),
        };
        let mut v = Violation::new(
            expr.span(),
            format!("the selector requires {requirement}, but {actual}: {REJECTED}"),
        )
        .help("make the selector and `spec.template.metadata.labels` agree");
        v = match have {
            Some(h) => v.label(h.span(), "the template's value"),
            None => v.label(labels_span, "the template's labels"),
        };
        out.push(v);
    }
}
