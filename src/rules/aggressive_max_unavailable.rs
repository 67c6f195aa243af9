//! `aggressive-max-unavailable`: a rolling update that takes the agent off many nodes at once.

use super::{Category, FixKind, Rule, RuleCx, RuleMeta, Violation};
use crate::diagnostic::Severity;
use crate::manifest::DaemonSet;
use crate::yaml::{Node, Resolved};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "aggressive-max-unavailable",
        default_severity: Severity::Warning,
        category: Category::Reliability,
        summary: "The rolling update's maxUnavailable takes the agent off too many nodes at once",
        default_enabled: true,
        fix: FixKind::None,
        since: "0.1.0",
    },
    check,
};

/// A parsed `maxUnavailable`: a node count or a percentage of the DaemonSet's nodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Amount {
    Count(i64),
    Percent(u32),
}

/// Parse an IntOrString `maxUnavailable`/`maxSurge` as Kubernetes does (`"25%"`, `3`).
#[must_use]
pub fn parse_amount(value: &Resolved<'_>) -> Option<Amount> {
    match value {
        Resolved::Int(i) => Some(Amount::Count(*i)),
        Resolved::Str(s) => {
            let digits = s.strip_suffix('%')?;
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            digits.parse().ok().map(Amount::Percent)
        }
        _ => None,
    }
}

/// A DaemonSet's update strategy: its type (defaulted) and the rolling update's amounts.
pub struct Strategy<'a> {
    /// `RollingUpdate`, `OnDelete` (or whatever the manifest says).
    pub kind: &'a str,
    pub max_unavailable: Option<Node<'a>>,
    pub max_surge: Option<Node<'a>>,
}

/// The update strategy, with the API's defaults: `RollingUpdate` for `apps/v1`, `OnDelete` for
/// `extensions/v1beta1`.
#[must_use]
pub fn strategy<'a>(ds: &DaemonSet<'a>) -> Strategy<'a> {
    let strategy = ds.spec.get("updateStrategy");
    let default_type = match ds.object.api_version {
        // extensions/v1beta1 DaemonSets default to OnDelete.
        Some("extensions/v1beta1") => "OnDelete",
        _ => "RollingUpdate",
    };
    let kind = strategy
        .and_then(|s| s.get("type"))
        .and_then(|t| t.scalar_text())
        .unwrap_or(default_type);
    let amount = |key: &str| {
        strategy
            .and_then(|s| s.get_path(&["rollingUpdate", key]))
            .filter(|n| !n.is_null())
    };
    Strategy {
        kind,
        max_unavailable: amount("maxUnavailable"),
        max_surge: amount("maxSurge"),
    }
}

fn check(ds: &DaemonSet<'_>, cx: &RuleCx<'_>, out: &mut Vec<Violation>) {
    let strategy = strategy(ds);
    if strategy.kind != "RollingUpdate" {
        return;
    }
    let Some(value) = strategy.max_unavailable else {
        return;
    };
    let Some(resolved) = value.resolve() else {
        return;
    };
    let options = &cx.settings.options;
    // With `--nodes`: the nodes the controller targets (desiredNumberScheduled).
    let nodes = cx.settings.cluster.as_ref().and_then(|cluster| {
        let pod = crate::coverage::PodView::of(ds);
        let desired = cluster
            .nodes
            .iter()
            .filter(|n| crate::coverage::place(&pod, n).desired())
            .count();
        (desired > 0).then_some((desired, cluster.source.as_str()))
    });
    let amount = parse_amount(&resolved);
    let over = match amount {
        Some(Amount::Percent(p)) => p >= 100 || p > options.max_unavailable_percent,
        Some(Amount::Count(n)) => n > options.max_unavailable_count,
        None => false,
    };
    let Some(amount) = amount.filter(|_| over) else {
        return;
    };
    let message = match (amount, nodes) {
        (amount, Some((total, source))) => {
            let down = crate::coverage::scaled(&amount, total);
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
    out.push(Violation::new(value.span(), message).help(format!(
        "use `maxUnavailable: 1` (the default) or a small percentage (at most {}%); raise it only \
         for large clusters where one node at a time is too slow",
        options.max_unavailable_percent
    )));
}
