//! `deprecated-api-version`: a DaemonSet of `extensions/v1beta1` or `apps/v1beta2`, both removed
//! in Kubernetes 1.16.

use super::rolling_update;
use super::{Category, FixKind, Rule, RuleCx, RuleMeta, Violation};
use crate::diagnostic::{Applicability, Fix, Severity};
use crate::manifest::DaemonSet;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "deprecated-api-version",
        default_severity: Severity::Error,
        category: Category::Correctness,
        summary:
            "The DaemonSet uses extensions/v1beta1 or apps/v1beta2, removed in Kubernetes 1.16",
        default_enabled: true,
        fix: FixKind::Safe,
        since: "0.1.0",
    },
    check,
};

fn check(ds: &DaemonSet<'_>, cx: &RuleCx<'_>, out: &mut Vec<Violation>) {
    let Some(version @ ("extensions/v1beta1" | "apps/v1beta2")) = ds.object.api_version else {
        return;
    };
    let Some(node) = ds.object.node.get("apiVersion") else {
        return;
    };
    let mut help = String::from("use `apiVersion: apps/v1`");
    if ds.spec.get("selector").is_none_or(|s| s.is_null()) {
        help.push_str(
            "; it requires `spec.selector` (add `matchLabels` with the template's labels)",
        );
    }
    if version == "extensions/v1beta1" && rolling_update::strategy(ds).type_node.is_none() {
        help.push_str(
            "; it defaults `updateStrategy` to RollingUpdate where this version defaulted to \
             OnDelete, so set `updateStrategy.type` to say which you want",
        );
    }
    out.push(
        Violation::new(
            node.span(),
            format!(
                "DaemonSets of `{version}` were removed in Kubernetes 1.16: the API server no \
                 longer accepts them, so applying this manifest fails on every supported cluster"
            ),
        )
        .help(help)
        .with_fix(fix(ds, cx.text, version)),
    );
}

/// `apps/v1` with the same meaning: the selector the old versions defaulted from the template's
/// labels, and for `extensions/v1beta1` its `OnDelete` default written out.
fn fix(ds: &DaemonSet<'_>, text: &str, version: &str) -> Option<Fix> {
    let api = ds.object.node.get("apiVersion")?;
    let mut edits = vec![crate::yaml::edit::replace_value(api, "apps/v1")?];
    let unit = crate::yaml::edit::indent_unit(text, ds.spec);
    let pad = " ".repeat(unit);
    let mut inserts = Vec::new();
    if ds.spec.get("selector").is_none_or(|s| s.is_null()) {
        let labels = ds.template.get_path(&["metadata", "labels"])?;
        let mut lines = vec!["matchLabels:".to_string()];
        for (k, v) in labels.entries() {
            let (k, v) = (k.scalar_text()?, v.scalar_text()?);
            lines.push(format!(
                "{pad}{}: {}",
                crate::yaml::edit::yaml_string(k),
                crate::yaml::edit::yaml_string(v)
            ));
        }
        if lines.len() == 1 {
            // No labels: apps/v1 needs a selector that a human must choose.
            return None;
        }
        if ds.spec.get("selector").is_some() {
            return None;
        }
        inserts.push(crate::yaml::edit::insert_entry(
            text,
            ds.spec,
            "selector",
            &lines.join("\n"),
        )?);
    }
    if version == "extensions/v1beta1" && rolling_update::strategy(ds).type_node.is_none() {
        match ds.update_strategy().filter(|s| s.is_mapping()) {
            Some(strategy) => edits.push(crate::yaml::edit::insert_entry(
                text,
                strategy.node,
                "type",
                "OnDelete",
            )?),
            None => inserts.push(crate::yaml::edit::insert_mapping_entry(
                text,
                ds.spec,
                "updateStrategy",
                "type",
                "OnDelete",
            )?),
        }
    }
    edits.extend(crate::yaml::edit::merge_insertions(inserts));
    Some(Fix {
        description:
            "use `apps/v1` with the selector and update strategy the old version defaulted".into(),
        applicability: Applicability::Safe,
        edits,
    })
}
