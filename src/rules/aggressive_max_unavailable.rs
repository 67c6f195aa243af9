//! `aggressive-max-unavailable`: a rolling update that takes the agent off many nodes at once.

use super::rolling_update::{self, parse_amount, Amount, StrategyType};
use super::{Category, FixKind, Rule, RuleCx, RuleMeta, Violation};
use crate::diagnostic::{Applicability, Fix, Severity};
use crate::manifest::DaemonSet;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "aggressive-max-unavailable",
        default_severity: Severity::Warning,
        category: Category::Reliability,
        summary: "The rolling update's maxUnavailable takes the agent off too many nodes at once",
        default_enabled: true,
        fix: FixKind::Safe,
        since: "0.1.0",
    },
    check,
};

fn check(ds: &DaemonSet<'_>, cx: &RuleCx<'_>, out: &mut Vec<Violation>) {
    let strategy = rolling_update::strategy(ds);
    if strategy.kind != StrategyType::RollingUpdate {
        return;
    }
    let Some(value) = strategy.max_unavailable() else {
        return;
    };
    let Some(resolved) = value.value else {
        return;
    };
    let options = &cx.settings.options;
    let amount = parse_amount(&resolved);
    let over = match amount {
        // Over 100% is rejected by the API server: `invalid-rolling-update` reports it.
        Some(Amount::Percent(p)) if p > 100 => false,
        Some(Amount::Percent(p)) => p == 100 || p > options.max_unavailable_percent,
        Some(Amount::Count(n)) => n > options.max_unavailable_count,
        None => false,
    };
    let Some(amount) = amount.filter(|_| over) else {
        return;
    };
    // With `--nodes`: the nodes the controller targets (desiredNumberScheduled).
    let nodes = cx.cluster.and_then(|cluster| {
        let pod = crate::k8s::scheduling::PodView::of(ds);
        let desired = cluster
            .nodes
            .iter()
            .filter(|n| crate::k8s::scheduling::place(&pod, n).desired())
            .count();
        (desired > 0).then_some((desired, cluster.source.as_str()))
    });
    let message = match (amount, nodes) {
        (amount, Some((total, source))) => {
            let down = crate::k8s::scheduling::scaled(&amount, total);
            let written = match amount {
                Amount::Percent(p) => format!("{p}%"),
                Amount::Count(n) => n.to_string(),
            };
            let share = if usize::try_from(down).is_ok_and(|d| d >= total) {
                format!("all {total} of its nodes")
            } else {
                format!("{down} of its {total} nodes")
            };
            let why = match amount {
                Amount::Percent(p) if p < 100 => format!(
                    " ({p}% rounds up; above the {}% threshold)",
                    options.max_unavailable_percent
                ),
                Amount::Count(_) => format!(" (above the threshold of {})", options.max_unavailable_count),
                Amount::Percent(_) => String::new(),
            };
            format!(
                "`maxUnavailable: {written}` takes the agent off {share} in {source} at once \
                 during an update{why}: a bad rollout hits them all before it stops"
            )
        }
        (Amount::Percent(p), None) if p >= 100 => format!(
            "`maxUnavailable: {p}%` lets an update take the agent down on every node at once: a \
             bad image leaves the whole cluster without it"
        ),
        (Amount::Percent(p), None) => format!(
            "`maxUnavailable: {p}%` takes the agent off {p}% of its nodes at once during an update \
             (above the {}% threshold): a bad rollout hits that share of the cluster before it stops",
            options.max_unavailable_percent
        ),
        (Amount::Count(n), None) => format!(
            "`maxUnavailable: {n}` takes the agent off {n} nodes at once during an update (above \
             the threshold of {}): a bad rollout hits that many nodes before it stops",
            options.max_unavailable_count
        ),
    };
    let fix = crate::yaml::edit::replace_value(value.node, "1").map(|edit| Fix {
        description: "set `maxUnavailable: 1`".into(),
        applicability: Applicability::Safe,
        edits: vec![edit],
    });
    out.push(
        Violation::new(value.value_span, message)
            .with_fix(fix)
            .help(format!(
        "use `maxUnavailable: 1` (the default) or a small percentage (at most {}%); raise it only \
         for large clusters where one node at a time is too slow",
        options.max_unavailable_percent
    )),
    );
}
