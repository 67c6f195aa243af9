//! `missing-selector`: an `apps/v1` (or `apps/v1beta2`) DaemonSet without `spec.selector`, or
//! with an empty one.

use super::{Category, FixKind, Rule, RuleCx, RuleMeta, Violation};
use crate::diagnostic::Severity;
use crate::manifest::DaemonSet;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "missing-selector",
        default_severity: Severity::Error,
        category: Category::Correctness,
        summary: "An apps/v1 DaemonSet has no spec.selector (or an empty one), so the API server rejects it",
        default_enabled: true,
        fix: FixKind::None,
        since: "0.1.0",
    },
    check,
};

/// `matchLabels: {a: b, c: d}` built from the template's labels, for the help text.
fn suggestion(ds: &DaemonSet<'_>) -> String {
    let pairs: Vec<String> = ds
        .template
        .get_path(&["metadata", "labels"])
        .into_iter()
        .flat_map(|l| l.entries())
        .filter_map(|(k, v)| Some(format!("{}: {}", k.scalar_text()?, v.scalar_text()?)))
        .collect();
    if pairs.is_empty() {
        "add `spec.selector.matchLabels` and the same labels to `spec.template.metadata.labels`"
            .to_string()
    } else {
        format!(
            "add `selector: {{matchLabels: {{{}}}}}` under `spec` (the template's labels, or a \
             stable subset of them)",
            pairs.join(", ")
        )
    }
}

fn check(ds: &DaemonSet<'_>, _cx: &RuleCx<'_>, out: &mut Vec<Violation>) {
    let version = ds.object.api_version.unwrap_or("");
    match ds.spec.entry("selector") {
        Some((_, selector)) if selector.is_mapping() => {
            let has = |key: &str| {
                selector.get(key).is_some_and(|v| {
                    v.entries().into_iter().next().is_some() || v.items().next().is_some()
                })
            };
            if !has("matchLabels") && !has("matchExpressions") {
                out.push(
                    Violation::new(
                        selector.span(),
                        "`spec.selector` is empty: the API server rejects a DaemonSet whose \
                         selector would select every pod, so the agent reaches no node",
                    )
                    .help(suggestion(ds)),
                );
            }
        }
        // A non-mapping selector is a schema error, not a missing one.
        Some((_, selector)) if !selector.is_null() => {}
        entry => {
            // extensions/v1beta1 defaulted the selector from the template's labels.
            if !matches!(version, "apps/v1" | "apps/v1beta2") {
                return;
            }
            let span = match entry {
                Some((key, _)) => key.span(),
                None => ds
                    .object
                    .node
                    .entry("spec")
                    .map_or(ds.object.anchor_span(), |(k, _)| k.span()),
            };
            out.push(
                Violation::new(
                    span,
                    format!(
                        "the DaemonSet has no `spec.selector`: `{version}` requires one (only \
                         `extensions/v1beta1` defaulted it from the template's labels), so the API \
                         server rejects it and the agent reaches no node"
                    ),
                )
                .absent()
                .help(suggestion(ds)),
            );
        }
    }
}
