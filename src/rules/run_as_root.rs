//! `run-as-root`: a container may run as root (no `runAsNonRoot: true`, no non-zero `runAsUser`
//! at pod or container level).

use super::{Category, FixKind, Rule, RuleCx, RuleMeta, Violation};
use crate::diagnostic::Severity;
use crate::manifest::{is, DaemonSet, SecurityContext};
use crate::source::Span;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "run-as-root",
        default_severity: Severity::Warning,
        category: Category::Security,
        summary: "A container may run as root: neither runAsNonRoot: true nor a non-zero runAsUser applies to it",
        default_enabled: false,
        fix: FixKind::None,
        since: "0.1.0",
    },
    check,
};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Finding {
    /// `runAsUser: 0` applies.
    Root,
    /// `runAsUser: 0` together with `runAsNonRoot: true`: the kubelet refuses to start it.
    Contradiction,
    /// Nothing keeps the container off root.
    Unset,
}

fn list(names: &[String]) -> String {
    match names {
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
        [] => String::new(),
    }
}

fn check(ds: &DaemonSet<'_>, _cx: &RuleCx<'_>, out: &mut Vec<Violation>) {
    // Windows containers have no numeric user ids; `runAsUser` is rejected on Windows pods.
    if ds.targets_windows() {
        return;
    }
    // A pod-level setting applies to several containers: one finding per place and kind.
    let mut findings: Vec<(Span, Finding, Vec<String>)> = Vec::new();
    // Spans of an explicit `runAsNonRoot: false` (the others of `Unset` are absent fields).
    let mut explicit: Vec<Span> = Vec::new();
    for container in ds.all_containers() {
        // A container-level setting overrides the pod-level one.
        let user = ds.effective_security(container, SecurityContext::run_as_user);
        let non_root = ds.effective_security(container, SecurityContext::run_as_non_root);
        let must_be_non_root = is(non_root, true);
        let (span, finding) = match user.map(|u| (u.value_span, u.value)) {
            Some((span, Some(0))) if must_be_non_root => (span, Finding::Contradiction),
            Some((span, Some(0))) => (span, Finding::Root),
            Some((_, Some(_))) => continue,
            _ if must_be_non_root => continue,
            _ => match non_root {
                Some(n) if n.is(false) => {
                    explicit.push(n.value_span);
                    (n.value_span, Finding::Unset)
                }
                _ => (container.security_context_span(), Finding::Unset),
            },
        };
        match findings
            .iter_mut()
            .find(|(s, f, _)| *s == span && *f == finding)
        {
            Some((_, _, names)) => names.push(container.describe()),
            None => findings.push((span, finding, vec![container.describe()])),
        }
    }
    for (span, finding, names) in findings {
        let who = list(&names);
        let (is, applies) = if names.len() == 1 {
            ("is", "applies")
        } else {
            ("are", "apply")
        };
        out.push(match finding {
            Finding::Contradiction => Violation::new(
                span,
                format!(
                    "`runAsUser: 0` {applies} to {who} together with `runAsNonRoot: true`: the \
                     kubelet refuses to start such a container, so the agent runs on no node"
                ),
            )
            .severity(Severity::Error)
            .help("set `runAsUser` to the agent's non-zero user id, or drop `runAsNonRoot: true` if it must run as root"),
            Finding::Root => Violation::new(
                span,
                format!(
                    "{who} {is} set to run as root (`runAsUser: 0`): a compromise of the agent is \
                     root in a container on every node, one kernel bug or host mount away from the \
                     node itself"
                ),
            )
            .help("run as a non-root user (`runAsUser: <uid>`, `runAsNonRoot: true`); if the agent needs root (it reads root-owned host files or manages the network), suppress with the reason"),
            Finding::Unset => Violation::new(
                span,
                format!(
                    "{who} may run as root: neither `runAsNonRoot: true` nor a non-zero \
                     `runAsUser` {applies} at pod or container level, so the image's default user \
                     (root for most images) runs the agent on every node"
                ),
            )
            .help("set `runAsNonRoot: true` and a non-zero `runAsUser` (pod or container level); if the agent needs root, suppress with the reason")
            // Said explicitly (`runAsNonRoot: false`) or left to the base of a patch.
            .absent_if(!explicit.contains(&span)),
        });
    }
}
