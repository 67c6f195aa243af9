//! `host-network`, `host-pid`, `host-ipc`: the pod shares one of the node's namespaces.

use super::{Category, FixKind, Rule, RuleCx, RuleMeta, Violation};
use crate::diagnostic::Severity;
use crate::manifest::DaemonSet;

macro_rules! host_namespace_rule {
    ($name:ident, $id:literal, $read:path, $summary:literal, $check:ident, $why:literal, $help:literal) => {
        pub static $name: Rule = Rule {
            meta: RuleMeta {
                id: $id,
                default_severity: Severity::Warning,
                category: Category::Security,
                summary: $summary,
                default_enabled: true,
                fix: FixKind::None,
                since: "0.1.0",
            },
            check: $check,
        };

        fn $check(ds: &DaemonSet<'_>, _cx: &RuleCx<'_>, out: &mut Vec<Violation>) {
            if let Some(field) = $read(ds).filter(|f| f.is(true)) {
                out.push(
                    Violation::new(
                        field.value_span,
                        format!("`{}: true`: {}", field.name, $why),
                    )
                    .help($help),
                );
            }
        }
    };
}

host_namespace_rule!(
    HOST_NETWORK,
    "host-network",
    DaemonSet::host_network,
    "The pods share the node's network namespace",
    check_host_network,
    "the pods share every node's network stack, can bind its ports and see its traffic, and \
     bypass network policies",
    "remove `hostNetwork` unless the agent must see the node's interfaces (CNI, kube-proxy, \
     node-level exporters); if it must, suppress with a reason and set `dnsPolicy: ClusterFirstWithHostNet`"
);

host_namespace_rule!(
    HOST_PID,
    "host-pid",
    DaemonSet::host_pid,
    "The pods share the node's process namespace",
    check_host_pid,
    "the pods see and can signal every process on every node, and can read their environment",
    "remove `hostPID` unless the agent inspects host processes (security and profiling agents); \
     if it must, suppress with a reason"
);

host_namespace_rule!(
    HOST_IPC,
    "host-ipc",
    DaemonSet::host_ipc,
    "The pods share the node's IPC namespace",
    check_host_ipc,
    "the pods can read and write the shared memory of every process on every node",
    "remove `hostIPC`; node agents almost never need it"
);
