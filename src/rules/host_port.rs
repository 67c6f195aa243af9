//! `host-port`: a container binds a port on every node's address.

use super::{Category, FixKind, Rule, RuleCx, RuleMeta, Violation};
use crate::diagnostic::Severity;
use crate::manifest::DaemonSet;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "host-port",
        default_severity: Severity::Info,
        category: Category::Security,
        summary: "A container binds a hostPort, reachable on that port at every node's address",
        default_enabled: true,
        fix: FixKind::None,
        since: "0.1.0",
    },
    check,
};

fn check(ds: &DaemonSet<'_>, _cx: &RuleCx<'_>, out: &mut Vec<Violation>) {
    // With hostNetwork every container port is a host port: `host-network` reports that.
    if ds.uses_host_network() {
        return;
    }
    for port in ds.host_ports() {
        out.push(
            Violation::new(
                port.span(),
                format!(
                    "`hostPort: {}` opens that port at the address of every node the DaemonSet runs \
                     on: anything that can reach a node reaches the agent, and no other pod on the \
                     node can use the port",
                    port.as_i64().unwrap_or(0)
                ),
            )
            .help("reach the agent through a Service or the pod IP instead; if node-local clients need a fixed port, keep it (narrow it with `hostIP`) and suppress with the reason"),
        );
    }
}
