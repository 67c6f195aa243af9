//! `missing-resource-requests` and `missing-resource-limits`: per container (init containers
//! included), because every node in the cluster pays for a DaemonSet's pod.

use super::{Category, FixKind, Rule, RuleCx, RuleMeta, Violation};
use crate::diagnostic::Severity;
use crate::manifest::{Container, DaemonSet, ResourceList};

pub static REQUESTS: Rule = Rule {
    meta: RuleMeta {
        id: "missing-resource-requests",
        default_severity: Severity::Warning,
        category: Category::Resources,
        summary: "A container has no CPU or memory request, so the scheduler cannot reserve room for it on any node",
        default_enabled: true,
        fix: FixKind::None,
        since: "0.1.0",
    },
    check: check_requests,
};

pub static LIMITS: Rule = Rule {
    meta: RuleMeta {
        id: "missing-resource-limits",
        default_severity: Severity::Warning,
        category: Category::Resources,
        summary:
            "A container has no CPU or memory limit, so a misbehaving agent can starve every node",
        default_enabled: true,
        fix: FixKind::None,
        since: "0.1.0",
    },
    check: check_limits,
};

/// True when `list` (the container's requests or limits) sets `resource`.
fn has(list: Option<ResourceList<'_>>, resource: &str) -> bool {
    list.is_some_and(|l| l.has(resource))
}

fn span_for(container: &Container<'_>) -> crate::source::Span {
    container
        .resources()
        .map_or_else(|| container.name_span(), |r| r.key_span)
}

fn list(resources: &[&str]) -> String {
    match resources {
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
        [] => String::new(),
    }
}

fn check_requests(ds: &DaemonSet<'_>, cx: &RuleCx<'_>, out: &mut Vec<Violation>) {
    for container in ds.resourced_containers() {
        let resources = container.resources();
        let requests = resources.and_then(|r| r.requests());
        let limits = resources.and_then(|r| r.limits());
        // Kubernetes defaults a missing request to the limit, so a limit counts as a request.
        let missing: Vec<&str> = cx
            .settings
            .options
            .required_requests
            .iter()
            .map(String::as_str)
            .filter(|r| !has(requests, r) && !has(limits, r))
            .collect();
        if missing.is_empty() {
            continue;
        }
        out.push(
            Violation::new(
                span_for(container),
                format!(
                    "{} has no {} request: the scheduler reserves nothing for it, so on every node \
                     the agent competes with workloads and is among the first evicted under pressure",
                    container.describe(),
                    list(&missing)
                ),
            )
            .absent()
            .help(format!("set `resources.requests.{}` to what the agent uses on a busy node", missing[0])),
        );
    }
}

fn check_limits(ds: &DaemonSet<'_>, cx: &RuleCx<'_>, out: &mut Vec<Violation>) {
    for container in ds.resourced_containers() {
        let limits = container.resources().and_then(|r| r.limits());
        let missing: Vec<&str> = cx
            .settings
            .options
            .required_limits
            .iter()
            .map(String::as_str)
            .filter(|r| !has(limits, r))
            .collect();
        if missing.is_empty() {
            continue;
        }
        out.push(
            Violation::new(
                span_for(container),
                format!(
                    "{} has no {} limit: a leak or spin in the agent is repeated on every node at once",
                    container.describe(),
                    list(&missing)
                ),
            )
            .absent()
            .help(format!(
                "set `resources.limits.{}`; teams that avoid CPU limits can drop `cpu` from the \
                 required limits in the configuration",
                missing[0]
            )),
        );
    }
}
