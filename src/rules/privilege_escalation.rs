//! `privilege-escalation`: a container does not set `allowPrivilegeEscalation: false`.

use super::{Category, FixKind, Rule, RuleCx, RuleMeta, Violation};
use crate::diagnostic::Severity;
use crate::manifest::{is, DaemonSet, Field};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "privilege-escalation",
        default_severity: Severity::Info,
        category: Category::Security,
        summary: "A container does not set allowPrivilegeEscalation: false, so setuid binaries can gain privileges",
        default_enabled: true,
        fix: FixKind::Unsafe,
        since: "0.1.0",
    },
    check,
};

fn check(ds: &DaemonSet<'_>, cx: &RuleCx<'_>, out: &mut Vec<Violation>) {
    // The API server rejects `allowPrivilegeEscalation` on Windows pods.
    if ds.targets_windows() {
        return;
    }
    for container in ds.all_containers() {
        let sc = container.security_context();
        let privileged = is(sc.and_then(|sc| sc.privileged()), true);
        // CAP_SYS_ADMIN (or every capability) also allows escalation whatever the setting says;
        // `dangerous-capabilities` reports it.
        let sys_admin = container
            .added_capabilities()
            .iter()
            .any(|(_, c)| c == "SYS_ADMIN" || c == "ALL");
        let value = sc
            .and_then(|sc| sc.allow_privilege_escalation())
            .and_then(Field::non_null);
        let allowed = value.and_then(|v| v.value);
        if privileged {
            // A privileged container always allows escalation; `privileged-container` reports it.
            if let (Some(value), Some(false)) = (value, allowed) {
                out.push(
                    Violation::new(
                        value.value_span,
                        format!(
                            "{} sets `allowPrivilegeEscalation: false` together with `privileged: \
                             true`: the API server rejects the DaemonSet, so the agent reaches no node",
                            container.describe()
                        ),
                    )
                    .severity(Severity::Error)
                    .help("remove `privileged: true` (and keep `allowPrivilegeEscalation: false`), or remove `allowPrivilegeEscalation`"),
                );
            }
            continue;
        }
        if allowed == Some(false) || sys_admin {
            continue;
        }
        let (span, what) = match value {
            Some(v) => (
                v.value_span,
                format!("sets `{}: {}`", v.name, v.text().unwrap_or("...")),
            ),
            None => (
                container.security_context_span(),
                "does not set `allowPrivilegeEscalation: false`".to_string(),
            ),
        };
        let mut violation = Violation::new(
            span,
            format!(
                "{} {what}: a setuid binary or file capability in the image can give its \
                 processes more privileges than the container started with, on every node",
                container.describe()
            ),
        )
        .help("set `securityContext.allowPrivilegeEscalation: false`; node agents rarely rely on setuid binaries")
        .with_fix(no_escalation_fix(container, cx.text));
        if value.is_none() {
            violation = violation.absent();
        }
        out.push(violation);
    }
}

/// `allowPrivilegeEscalation: false` in the container's securityContext (created if absent).
/// Unsafe: a setuid binary the agent relies on would stop working.
fn no_escalation_fix(
    container: &crate::manifest::Container<'_>,
    text: &str,
) -> Option<crate::diagnostic::Fix> {
    let edit = match container.security_context_value() {
        Some(sc) if sc.is_mapping() => {
            crate::yaml::edit::set_key(text, sc, "allowPrivilegeEscalation", "false")?
        }
        Some(_) => return None,
        None => crate::yaml::edit::insert_mapping_entry(
            text,
            container.node,
            "securityContext",
            "allowPrivilegeEscalation",
            "false",
        )?,
    };
    Some(crate::diagnostic::Fix {
        description: "set `allowPrivilegeEscalation: false`".into(),
        applicability: crate::diagnostic::Applicability::Unsafe,
        edits: vec![edit],
    })
}
