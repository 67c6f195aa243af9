//! `duplicate-port`: two containers of the pod claim the same host port, or one container lists
//! the same port twice.

use super::api_server::{duplicate, field_path};
use super::{Category, FixKind, Rule, RuleCx, RuleMeta, Violation};
use crate::diagnostic::Severity;
use crate::manifest::DaemonSet;
use crate::yaml::Node;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "duplicate-port",
        default_severity: Severity::Error,
        category: Category::Correctness,
        summary: "Two ports claim the same hostPort (the API server rejects the DaemonSet), or a container lists the same port twice",
        default_enabled: true,
        fix: FixKind::None,
        since: "0.2.0",
    },
    check,
};

fn protocol<'a>(port: Node<'a>) -> &'a str {
    port.get("protocol")
        .and_then(|p| p.as_str())
        .unwrap_or("TCP")
}

fn check(ds: &DaemonSet<'_>, _cx: &RuleCx<'_>, out: &mut Vec<Violation>) {
    // AccumulateUniqueHostPorts: `protocol/hostIP/hostPort` unique across the regular containers.
    let mut host_ports: Vec<(String, Node<'_>)> = Vec::new();
    for container in ds.regular_containers() {
        for port in container.get("ports").into_iter().flat_map(|p| p.items()) {
            let Some(node) = port.get("hostPort") else {
                continue;
            };
            let Some(number) = node.as_i64().filter(|n| *n != 0) else {
                continue;
            };
            let host_ip = port.get("hostIP").and_then(|h| h.as_str()).unwrap_or("");
            let key = format!("{}/{host_ip}/{number}", protocol(port));
            match host_ports.iter().find(|(k, _)| *k == key) {
                Some((_, first)) => out.push(
                    Violation::new(
                        node.span(),
                        format!(
                            "{} claims host port {number}/{} again, so the API server rejects \
                             the DaemonSet: {}",
                            container.describe(),
                            protocol(port),
                            duplicate(&field_path(ds, node.span()), &key)
                        ),
                    )
                    .label(first.span(), "first claimed here")
                    .help(
                        "give each hostPort (per protocol and hostIP) to one port of one container",
                    ),
                ),
                None => host_ports.push((key, node)),
            }
        }
    }
    // The same containerPort and protocol twice in one container: the list's keys.
    for container in ds.all_containers() {
        let mut seen: Vec<((i64, &str), Node<'_>)> = Vec::new();
        for port in container.get("ports").into_iter().flat_map(|p| p.items()) {
            let Some(node) = port.get("containerPort") else {
                continue;
            };
            let Some(number) = node.as_i64() else {
                continue;
            };
            let key = (number, protocol(port));
            // A repeated hostPort is reported above.
            let host = port.get("hostPort").and_then(|h| h.as_i64()).unwrap_or(0);
            match seen.iter().find(|(k, _)| *k == key) {
                Some((_, first)) if host == 0 => out.push(
                    Violation::new(
                        node.span(),
                        format!(
                            "{} lists container port {number}/{} twice: the API server accepts \
                             it with a warning, but server-side apply (and the GitOps tools that \
                             use it) rejects it, because `containerPort` and `protocol` are the \
                             keys of the `ports` list",
                            container.describe(),
                            key.1
                        ),
                    )
                    .severity(Severity::Warning)
                    .label(first.span(), "first listed here")
                    .help("list each port once; to publish it under a second name, use a Service"),
                ),
                Some(_) => {}
                None => seen.push((key, node)),
            }
        }
    }
}
