//! `host-network-dns-policy`: `hostNetwork: true` without `dnsPolicy: ClusterFirstWithHostNet`.

use super::{Category, FixKind, Rule, RuleCx, RuleMeta, Violation};
use crate::diagnostic::Severity;
use crate::manifest::DaemonSet;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "host-network-dns-policy",
        default_severity: Severity::Info,
        category: Category::Correctness,
        summary: "hostNetwork without dnsPolicy: ClusterFirstWithHostNet, so the pods cannot resolve cluster names",
        default_enabled: true,
        fix: FixKind::Unsafe,
        since: "0.1.0",
    },
    check,
};

fn check(ds: &DaemonSet<'_>, cx: &RuleCx<'_>, out: &mut Vec<Violation>) {
    let Some(host_network) = ds.host_network().filter(|h| h.is(true)) else {
        return;
    };
    // Windows nodes do not support ClusterFirstWithHostNet.
    if ds.targets_windows() {
        return;
    }
    let policy = ds.pod_field("dnsPolicy").filter(|p| !p.is_null());
    let span = match policy {
        None => host_network.value_span,
        Some(p) if p.scalar_text() == Some("ClusterFirst") => p.span(),
        // `Default`, `None` or `ClusterFirstWithHostNet`: a deliberate choice.
        Some(_) => return,
    };
    let setting = if policy.is_some() {
        "`dnsPolicy: ClusterFirst`"
    } else {
        "the default `dnsPolicy` (ClusterFirst)"
    };
    let mut violation = Violation::new(
        span,
        format!(
            "the pods use `hostNetwork: true` with {setting}, which falls back to the node's own \
             resolv.conf on the host network: the agent cannot resolve cluster Service names on \
             any node"
        ),
    )
    .help("set `dnsPolicy: ClusterFirstWithHostNet`; if the agent needs only the node's DNS, set `dnsPolicy: Default` to say so");
    // Unsafe: agents that must use the node's resolver want `Default` instead.
    let fix = crate::yaml::edit::set_key(cx.text, ds.pod, "dnsPolicy", "ClusterFirstWithHostNet")
        .map(|edit| crate::diagnostic::Fix {
            description: "set `dnsPolicy: ClusterFirstWithHostNet`".into(),
            applicability: crate::diagnostic::Applicability::Unsafe,
            edits: vec![edit],
        });
    violation = violation.with_fix(fix);
    if policy.is_none() {
        violation = violation.absent();
    }
    if span != host_network.value_span {
        violation = violation.label(host_network.value_span, "hostNetwork is set here");
    }
    out.push(violation);
}
