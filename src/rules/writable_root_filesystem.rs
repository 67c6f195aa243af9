//! `writable-root-filesystem`: a container does not set `readOnlyRootFilesystem: true`.

use super::{Category, FixKind, Rule, RuleCx, RuleMeta, Violation};
use crate::diagnostic::Severity;
use crate::manifest::{is, DaemonSet, Field};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "writable-root-filesystem",
        default_severity: Severity::Info,
        category: Category::Security,
        summary: "A container's root filesystem is writable (no readOnlyRootFilesystem: true)",
        default_enabled: true,
        fix: FixKind::None,
        since: "0.1.0",
    },
    check,
};

fn check(ds: &DaemonSet<'_>, _cx: &RuleCx<'_>, out: &mut Vec<Violation>) {
    // The API server rejects `readOnlyRootFilesystem` on Windows pods.
    if ds.targets_windows() {
        return;
    }
    for container in ds.all_containers() {
        let value = container
            .security_context()
            .and_then(|sc| sc.read_only_root_filesystem())
            .and_then(Field::non_null);
        if is(value, true) {
            continue;
        }
        let (span, what) = match value {
            Some(v) => (
                v.value_span,
                format!("sets `{}: {}`", v.name, v.text().unwrap_or("...")),
            ),
            None => (
                container.security_context_span(),
                "does not set `readOnlyRootFilesystem: true`".to_string(),
            ),
        };
        let mut violation = Violation::new(
            span,
            format!(
                "{} {what}: an attacker who gets into the agent can drop tools and change its \
                 binaries, and the change persists until the pod is replaced on that node",
                container.describe()
            ),
        )
        .help("set `securityContext.readOnlyRootFilesystem: true` and mount an `emptyDir` where the agent writes (e.g. `/tmp`)");
        if value.is_none() {
            violation = violation.absent();
        }
        out.push(violation);
    }
}
