//! `missing-liveness-probe` and `missing-readiness-probe`: per regular container (init containers
//! run to completion and take no probes).

use super::{Category, FixKind, Rule, RuleCx, RuleMeta, Violation};
use crate::diagnostic::Severity;
use crate::manifest::DaemonSet;

pub static LIVENESS: Rule = Rule {
    meta: RuleMeta {
        id: "missing-liveness-probe",
        default_severity: Severity::Info,
        category: Category::Reliability,
        summary: "A container has no livenessProbe, so a hung agent is never restarted on its node",
        default_enabled: true,
        fix: FixKind::None,
        since: "0.1.0",
    },
    check: check_liveness,
};

pub static READINESS: Rule = Rule {
    meta: RuleMeta {
        id: "missing-readiness-probe",
        default_severity: Severity::Info,
        category: Category::Reliability,
        summary: "A container has no readinessProbe, so a rolling update moves on before the new pod works",
        default_enabled: false,
        fix: FixKind::None,
        since: "0.1.0",
    },
    check: check_readiness,
};

fn missing(
    ds: &DaemonSet<'_>,
    probe: &str,
    why: &str,
    help: &'static str,
    out: &mut Vec<Violation>,
) {
    for container in ds.regular_containers() {
        if container.get(probe).is_some_and(|p| !p.is_null()) {
            continue;
        }
        out.push(
            Violation::new(
                container.name_span(),
                format!("{} has no `{probe}`: {why}", container.describe()),
            )
            .absent()
            .help(help),
        );
    }
}

fn check_liveness(ds: &DaemonSet<'_>, _cx: &RuleCx<'_>, out: &mut Vec<Violation>) {
    missing(
        ds,
        "livenessProbe",
        "if the agent hangs (a deadlock, a stuck connection) the kubelet never restarts it, and \
         that node quietly goes without the agent until someone notices",
        "add a `livenessProbe` that fails when the agent stops working (an HTTP health endpoint, \
         or `exec`), with a generous `failureThreshold` so a busy node does not restart it",
        out,
    );
}

fn check_readiness(ds: &DaemonSet<'_>, _cx: &RuleCx<'_>, out: &mut Vec<Violation>) {
    missing(
        ds,
        "readinessProbe",
        "the pod counts as available as soon as it starts, so a rolling update moves on to the \
         next node before the new version has shown it works (and a Service, if any, sends it \
         traffic too early)",
        "add a `readinessProbe`, or set `spec.minReadySeconds` so the update waits on each node \
         before moving on",
        out,
    );
}
