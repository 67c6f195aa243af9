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
    let Some(value) = strategy.rolling_field("maxUnavailable") else {
        return;
    };
    let Some(resolved) = value.resolve() else {
        return;
    };
    let options = &cx.settings.options;
    let message = match parse_amount(&resolved) {
        // Over 100% is rejected by the API server: `invalid-rolling-update` reports it.
        Some(Amount::Percent(p)) if p > 100 => return,
        Some(Amount::Percent(p)) if p == 100 => format!(
            "`maxUnavailable: {p}%` lets an update take the agent down on every node at once: a \
             bad image leaves the whole cluster without it"
        ),
        Some(Amount::Percent(p)) if p > options.max_unavailable_percent => format!(
            "`maxUnavailable: {p}%` takes the agent off {p}% of its nodes at once during an update \
             (above the {}% threshold): a bad rollout hits that share of the cluster before it stops",
            options.max_unavailable_percent
        ),
        Some(Amount::Count(n)) if n > options.max_unavailable_count => format!(
            "`maxUnavailable: {n}` takes the agent off {n} nodes at once during an update (above \
             the threshold of {}): a bad rollout hits that many nodes before it stops",
            options.max_unavailable_count
        ),
        _ => return,
    };
    let fix = crate::fix::replace_value(value, "1").map(|edit| Fix {
        description: "set `maxUnavailable: 1`".into(),
        applicability: Applicability::Safe,
        edits: vec![edit],
    });
    out.push(
        Violation::new(value.span(), message)
            .with_fix(fix)
            .help(format!(
        "use `maxUnavailable: 1` (the default) or a small percentage (at most {}%); raise it only \
         for large clusters where one node at a time is too slow",
        options.max_unavailable_percent
    )),
    );
}
