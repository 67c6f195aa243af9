//! `max-surge-host-port`: a rolling update with `maxSurge` above 0 while the pods use host ports
//! or the host network.

use super::rolling_update::{self, parse_amount, Amount, StrategyType};
use super::{Category, FixKind, Rule, RuleCx, RuleMeta, Violation};
use crate::diagnostic::Severity;
use crate::manifest::DaemonSet;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "max-surge-host-port",
        default_severity: Severity::Warning,
        category: Category::Reliability,
        summary: "maxSurge above 0 with hostPort or hostNetwork: the surge pod cannot start beside the old one",
        default_enabled: true,
        fix: FixKind::None,
        since: "0.1.0",
    },
    check,
};

fn check(ds: &DaemonSet<'_>, _cx: &RuleCx<'_>, out: &mut Vec<Violation>) {
    let strategy = rolling_update::strategy(ds);
    if strategy.kind != StrategyType::RollingUpdate {
        return;
    }
    let Some(surge) = strategy.max_surge() else {
        return;
    };
    let positive = match surge.value.as_ref().and_then(parse_amount) {
        Some(Amount::Count(n)) => n > 0,
        Some(Amount::Percent(p)) => p > 0,
        None => false,
    };
    if !positive {
        return;
    }
    let host_network = ds.host_network().filter(|h| h.is(true));
    let (label_at, what) = if let Some(h) = host_network {
        (h.value_span, "the pods use the host network".to_string())
    } else if let Some(port) = ds.host_ports().first() {
        (
            port.span(),
            format!("the pods bind host port {}", port.as_i64().unwrap_or(0)),
        )
    } else {
        return;
    };
    out.push(
        Violation::new(
            surge.value_span,
            format!(
                "`maxSurge: {}` starts the new pod on a node while the old one still runs, but {what}: \
                 the new pod cannot get the port the old one holds, so the rollout stalls on the \
                 first node",
                surge.text().unwrap_or("?")
            ),
        )
        .label(label_at, "the pods share the node's ports here")
        .help("set `maxSurge: 0` and roll with `maxUnavailable` (the default), which stops the old pod first"),
    );
}
