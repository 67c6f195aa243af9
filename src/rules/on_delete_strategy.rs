//! `on-delete-strategy`: updates never roll out until someone deletes the pods by hand.

use super::rolling_update::{self, StrategyType};
use super::{Category, FixKind, Rule, RuleCx, RuleMeta, Violation};
use crate::diagnostic::Severity;
use crate::manifest::DaemonSet;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "on-delete-strategy",
        default_severity: Severity::Info,
        category: Category::Reliability,
        summary: "The OnDelete update strategy: template changes reach a node only when its pod is deleted by hand",
        default_enabled: true,
        fix: FixKind::None,
        since: "0.1.0",
    },
    check,
};

const WHY: &str = "a change to the pod template reaches a node only when someone deletes that \
                   node's pod by hand, so nodes drift between old and new versions of the agent";

fn check(ds: &DaemonSet<'_>, _cx: &RuleCx<'_>, out: &mut Vec<Violation>) {
    let strategy = rolling_update::strategy(ds);
    if strategy.kind != StrategyType::OnDelete {
        return;
    }
    let (span, message) = if let Some(t) = strategy.type_field {
        (
            t.value_span,
            format!("`updateStrategy.type: OnDelete`: {WHY}"),
        )
    } else {
        // extensions/v1beta1 defaulted the strategy to OnDelete.
        let span = ds
            .update_strategy()
            .map(|s| s.key_span)
            .or_else(|| ds.object.node.get("apiVersion").map(|v| v.span()))
            .unwrap_or_else(|| ds.object.anchor_span());
        (
            span,
            format!(
                "`extensions/v1beta1` defaults `updateStrategy` to OnDelete and this DaemonSet sets \
                 no type: {WHY}"
            ),
        )
    };
    out.push(
        Violation::new(span, message).help(
            "use `updateStrategy: {type: RollingUpdate}` with a small `maxUnavailable`; keep OnDelete \
             only when nodes are updated by hand on purpose, and suppress this finding with the reason",
        ),
    );
}
