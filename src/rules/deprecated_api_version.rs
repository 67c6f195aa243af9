//! `deprecated-api-version`: a DaemonSet of `extensions/v1beta1` or `apps/v1beta2`, both removed
//! in Kubernetes 1.16.

use super::rolling_update;
use super::{Category, FixKind, Rule, RuleCx, RuleMeta, Violation};
use crate::diagnostic::Severity;
use crate::manifest::DaemonSet;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "deprecated-api-version",
        default_severity: Severity::Error,
        category: Category::Correctness,
        summary:
            "The DaemonSet uses extensions/v1beta1 or apps/v1beta2, removed in Kubernetes 1.16",
        default_enabled: true,
        fix: FixKind::None,
        since: "0.1.0",
    },
    check,
};

fn check(ds: &DaemonSet<'_>, _cx: &RuleCx<'_>, out: &mut Vec<Violation>) {
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
        .help(help),
    );
}
