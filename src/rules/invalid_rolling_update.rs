//! `invalid-rolling-update`: `maxUnavailable`/`maxSurge` values the API server rejects.

use super::rolling_update::{self, parse_amount, Amount, StrategyType};
use super::{Category, FixKind, Rule, RuleCx, RuleMeta, Violation};
use crate::diagnostic::Severity;
use crate::manifest::DaemonSet;
use crate::yaml::{Node, Resolved};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "invalid-rolling-update",
        default_severity: Severity::Error,
        category: Category::Correctness,
        summary: "maxUnavailable/maxSurge are malformed, negative, over 100%, or both 0, so the API server rejects the DaemonSet",
        default_enabled: true,
        fix: FixKind::None,
        since: "0.1.0",
    },
    check,
};

/// Read a `maxUnavailable`/`maxSurge` value, or say what is wrong with it.
fn read(value: Node<'_>) -> Result<Amount, String> {
    let Some(resolved) = value.resolve() else {
        return Err(format!("is a {}", value.node_type().name()));
    };
    match (&resolved, parse_amount(&resolved)) {
        (_, Some(Amount::Count(n))) if n < 0 => Err("is negative".into()),
        (_, Some(Amount::Percent(p))) if p > 100 => Err("is over 100%".into()),
        (_, Some(amount)) => Ok(amount),
        // The YAML decoder turns a whole number such as `1.0` into an integer.
        (Resolved::Float(f), None) if f.fract() == 0.0 && (0.0..1e9).contains(f) => {
            Ok(Amount::Count(*f as i64))
        }
        (Resolved::Float(f), None) if *f < 0.0 => Err("is negative".into()),
        (Resolved::Float(_), None) => Err("is not a whole number".into()),
        (Resolved::Str(s), None) if s.trim().parse::<i64>().is_ok() => Err(
            "is a number written as a string: Kubernetes reads a string as a percentage and \
             requires a `%`"
                .into(),
        ),
        (Resolved::Str(_), None) => Err("is neither a count nor a percentage such as `25%`".into()),
        (_, None) => Err(format!("is a {}", value.node_type().name())),
    }
}

/// A value as written: quoted when it is a quoted string.
fn shown(value: Node<'_>) -> String {
    match value.scalar_text() {
        Some(text) if value.is_plain_scalar() => text.to_string(),
        Some(text) => format!("\"{text}\""),
        None => "...".to_string(),
    }
}

fn check(ds: &DaemonSet<'_>, _cx: &RuleCx<'_>, out: &mut Vec<Violation>) {
    let strategy = rolling_update::strategy(ds);
    // The API server validates these fields only for a RollingUpdate strategy.
    if strategy.kind != StrategyType::RollingUpdate {
        return;
    }
    let mut amounts = Vec::new();
    let mut valid = true;
    for value in [strategy.max_unavailable(), strategy.max_surge()] {
        let Some(value) = value else {
            amounts.push(None);
            continue;
        };
        let field = value.name;
        match read(value.node) {
            Ok(amount) => amounts.push(Some((value, amount))),
            Err(what) => {
                out.push(
                    Violation::new(
                        value.value_span,
                        format!(
                            "`{field}: {}` {what}: the API server rejects the DaemonSet, so the \
                             update never reaches a node",
                            shown(value.node)
                        ),
                    )
                    .help(format!(
                        "write a non-negative whole number of nodes (`{field}: 1`) or a \
                         percentage of at most 100% (`{field}: 10%`)"
                    )),
                );
                valid = false;
            }
        }
    }
    if !valid {
        return;
    }
    // Defaults: maxUnavailable 1, maxSurge 0.
    if let [Some((unavailable, u)), surge] = amounts.as_slice() {
        let surge_zero = surge.as_ref().is_none_or(|(_, s)| s.is_zero());
        if u.is_zero() && surge_zero {
            let mut v = Violation::new(
                unavailable.value_span,
                "`maxUnavailable` and `maxSurge` are both 0: the update could never replace a pod, \
                 so the API server rejects the DaemonSet",
            )
            .help("set `maxUnavailable: 1` (the default), or `maxSurge: 1` if the agent must keep running on every node during updates");
            if let Some((s, _)) = surge {
                v = v.label(s.value_span, "`maxSurge` is 0 here");
            }
            out.push(v);
        }
    }
}
