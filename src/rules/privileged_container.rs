//! `privileged-container`: `securityContext.privileged: true` on any container.

use super::{Category, FixKind, Rule, RuleCx, RuleMeta, Violation};
use crate::diagnostic::Severity;
use crate::manifest::DaemonSet;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "privileged-container",
        default_severity: Severity::Warning,
        category: Category::Security,
        summary: "A container runs privileged: full access to every node's devices and kernel",
        default_enabled: true,
        fix: FixKind::None,
        since: "0.1.0",
    },
    check,
};

fn check(ds: &DaemonSet<'_>, _cx: &RuleCx<'_>, out: &mut Vec<Violation>) {
    for container in ds.all_containers() {
        let Some(privileged) = container.security_context().and_then(|sc| sc.privileged()) else {
            continue;
        };
        if privileged.is(true) {
            out.push(
                Violation::new(
                    privileged.value_span,
                    format!(
                        "{} runs privileged: it has every capability and all host devices on every \
                         node, so one compromised pod owns the whole fleet",
                        container.describe()
                    ),
                )
                .help("grant only the capabilities the agent needs (`securityContext.capabilities.add`) and set `privileged: false`; if the agent truly needs it (some CNI and CSI plugins), suppress with a reason"),
            );
        }
    }
}
