//! `dangerous-capabilities`: a container adds a Linux capability that reaches past the container.

use super::{Category, FixKind, Rule, RuleCx, RuleMeta, Violation};
use crate::diagnostic::Severity;
use crate::manifest::DaemonSet;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "dangerous-capabilities",
        default_severity: Severity::Warning,
        category: Category::Security,
        summary: "A container adds a powerful Linux capability (SYS_ADMIN, NET_ADMIN, SYS_PTRACE, ALL, ...) on every node",
        default_enabled: true,
        fix: FixKind::None,
        since: "0.1.0",
    },
    check,
};

/// Capabilities reported when added, without the `CAP_` prefix, with what they allow.
pub const DANGEROUS_CAPABILITIES: &[(&str, &str)] = &[
    ("ALL", "every capability, as good as privileged"),
    (
        "SYS_ADMIN",
        "mounts, namespaces and many kernel interfaces, the usual way out of a container",
    ),
    (
        "NET_ADMIN",
        "reconfiguring interfaces, routes and firewall rules, the node's own with hostNetwork",
    ),
    (
        "SYS_PTRACE",
        "tracing and reading the memory of other processes, every host process's with hostPID",
    ),
    (
        "SYS_MODULE",
        "loading kernel modules, that is arbitrary code in the node's kernel",
    ),
    (
        "NET_RAW",
        "raw sockets, for spoofed packets and ARP or DNS poisoning on the node's network",
    ),
    ("BPF", "loading BPF programs into the node's kernel"),
    (
        "PERFMON",
        "kernel and process performance monitoring, and BPF tracing with `BPF`",
    ),
    (
        "DAC_READ_SEARCH",
        "reading any file whatever its permissions, and opening host files by handle",
    ),
    ("SYS_RAWIO", "raw I/O ports and device memory"),
    ("SYS_BOOT", "rebooting the node"),
    ("SYS_TIME", "setting the node's clock"),
    ("MAC_ADMIN", "changing the AppArmor or SELinux policy"),
    ("MAC_OVERRIDE", "bypassing the AppArmor or SELinux policy"),
    (
        "SYSLOG",
        "reading and clearing the kernel log, which leaks kernel addresses",
    ),
];

fn check(ds: &DaemonSet<'_>, _cx: &RuleCx<'_>, out: &mut Vec<Violation>) {
    // Capabilities are a Linux mechanism; the API server rejects them on Windows pods.
    if ds.targets_windows() {
        return;
    }
    for container in ds.all_containers() {
        for (item, name) in container.added_capabilities() {
            let Some((_, why)) = DANGEROUS_CAPABILITIES.iter().find(|(c, _)| *c == name) else {
                continue;
            };
            out.push(
                Violation::new(
                    item.span(),
                    format!(
                        "{} adds capability `{name}` ({why}): a DaemonSet grants it on every node, \
                         so one compromised pod carries it across the fleet",
                        container.describe()
                    ),
                )
                .help(
                    "drop the capability unless the agent needs it (start from `drop: [ALL]` and add \
                     back only what it uses); if it does (CNI plugins need NET_ADMIN, eBPF agents \
                     BPF and PERFMON), suppress this finding with the reason",
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::manifest::normalize_capability;

    #[test]
    fn prefix_and_case_do_not_matter() {
        assert_eq!(normalize_capability("CAP_SYS_ADMIN"), "SYS_ADMIN");
        assert_eq!(normalize_capability("cap_net_admin"), "NET_ADMIN");
        assert_eq!(normalize_capability("Sys_Ptrace"), "SYS_PTRACE");
        assert_eq!(normalize_capability("all"), "ALL");
    }
}
