//! `missing-priority-class`: the pods do not run at a node-critical priority.

use super::{Category, FixKind, Rule, RuleCx, RuleMeta, Violation};
use crate::diagnostic::Severity;
use crate::manifest::DaemonSet;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "missing-priority-class",
        default_severity: Severity::Warning,
        category: Category::Reliability,
        summary: "The pods have no node-critical priorityClassName, so a full node cannot make room for the agent",
        default_enabled: true,
        fix: FixKind::None,
        since: "0.1.0",
    },
    check,
};

/// The PriorityClasses every cluster has.
pub const BUILT_IN: &[&str] = &["system-node-critical", "system-cluster-critical"];

/// The class a DaemonSet names when the run-level phase must look it up: set, neither built in
/// nor one of the configured `priority_classes`.
#[must_use]
pub fn to_look_up<'a>(
    ds: &DaemonSet<'a>,
    settings: &crate::settings::Settings,
) -> Option<(&'a str, crate::source::Span)> {
    let value = ds.pod_field("priorityClassName")?;
    let name = value.as_str()?;
    let listed = settings.options.priority_classes.iter().any(|c| c == name);
    (!listed && !BUILT_IN.contains(&name)).then(|| (name, value.span()))
}

fn check(ds: &DaemonSet<'_>, cx: &RuleCx<'_>, out: &mut Vec<Violation>) {
    let classes = &cx.settings.options.priority_classes;
    let first = classes
        .first()
        .map_or("system-node-critical", String::as_str);
    let value = ds.pod_field("priorityClassName").filter(|v| !v.is_null());
    let Some(value) = value else {
        out.push(
            Violation::new(
                ds.pod_key.span(),
                "the pods have no `priorityClassName`, so they run at priority 0 like any workload: \
                 on a full node the scheduler cannot preempt anything to place the agent, and under \
                 node pressure it is evicted alongside ordinary pods",
            )
            .absent()
            .help(format!(
                "set `priorityClassName: {first}` in the pod template (kube-proxy and CNI agents use it)"
            )),
        );
        return;
    };
    let Some(name) = value.as_str() else {
        return;
    };
    if classes.iter().any(|c| c == name) {
        return;
    }
    // Any other class is looked up among the PriorityClasses of the linted set, by the
    // run-level phase (see `crate::cross`): accepted when defined there, reported when it is
    // neither built in nor defined.
    if !BUILT_IN.contains(&name) {
        return;
    }
    let listed: Vec<String> = classes.iter().map(|c| format!("`{c}`")).collect();
    out.push(
        Violation::new(
            value.span(),
            format!(
                "priorityClassName `{name}` is not one of the node-critical classes ({}): unless it \
                 ranks as high, ordinary workloads can crowd the agent off a full node",
                listed.join(", ")
            ),
        )
        .severity(Severity::Info)
        .help(format!(
            "use `{first}`, or add `{name}` to the `priority_classes` option if it is a high \
             priority class of your cluster"
        )),
    );
}
