//! `duplicate-port`: two containers of the pod claim the same host port, or one container lists
//! the same port twice.

use super::api_server::{duplicate, field_path};
use super::{Category, FixKind, Rule, RuleCx, RuleMeta, Violation};
use crate::diagnostic::Severity;
use crate::manifest::{ContainerKind, DaemonSet};
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

/// The host port a port claims: its `hostPort`, or with `hostNetwork: true` its
/// `containerPort`, which Kubernetes gives it as the default (`defaulted`). The node is the
/// value to point at.
fn host_port<'a>(port: Node<'a>, host_network: bool) -> Option<(i64, Node<'a>, bool)> {
    if let Some(node) = port.get("hostPort") {
        if let Some(number) = node.as_i64().filter(|n| *n != 0) {
            return Some((number, node, false));
        }
    }
    let node = port.get("containerPort").filter(|_| host_network)?;
    Some((node.as_i64().filter(|n| *n != 0)?, node, true))
}

fn check(ds: &DaemonSet<'_>, _cx: &RuleCx<'_>, out: &mut Vec<Violation>) {
    let host_network = ds.host_network().is_some_and(|h| h.is(true));
    // AccumulateUniqueHostPorts: `protocol/hostIP/hostPort` unique across the regular containers.
    let mut host_ports: Vec<(String, Node<'_>, bool)> = Vec::new();
    for container in ds.regular_containers() {
        for port in container.get("ports").into_iter().flat_map(|p| p.items()) {
            let Some((number, node, defaulted)) = host_port(port, host_network) else {
                continue;
            };
            let host_ip = port.get("hostIP").and_then(|h| h.as_str()).unwrap_or("");
            let key = format!("{}/{host_ip}/{number}", protocol(port));
            let Some((_, first, first_defaulted)) = host_ports.iter().find(|(k, ..)| *k == key)
            else {
                host_ports.push((key, node, defaulted));
                continue;
            };
            let path = field_path(ds, node.span());
            let violation = if defaulted || *first_defaulted {
                // The pod's error: its path has no `template`, and names the defaulted hostPort.
                let pod_path = path
                    .strip_prefix("spec.template.")
                    .unwrap_or(&path)
                    .replace(".containerPort", ".hostPort");
                Violation::new(
                    node.span(),
                    format!(
                        "with `hostNetwork: true` a port's hostPort defaults to its containerPort, \
                         so {} claims host port {number}/{} again: the API server rejects every \
                         pod of the DaemonSet (and, before Kubernetes 1.28, the DaemonSet \
                         itself): {}",
                        container.describe(),
                        protocol(port),
                        duplicate(&pod_path, &key)
                    ),
                )
                .help(
                    "on the host network every container port is a host port: give each port \
                     number (per protocol) to one port of one container",
                )
            } else {
                Violation::new(
                    node.span(),
                    format!(
                        "{} claims host port {number}/{} again, so the API server rejects the \
                         DaemonSet: {}",
                        container.describe(),
                        protocol(port),
                        duplicate(&path, &key)
                    ),
                )
                .help("give each hostPort (per protocol and hostIP) to one port of one container")
            };
            out.push(violation.label(first.span(), "first claimed here"));
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
            // A repeated hostPort (given, or defaulted on the host network) is reported above.
            let regular = container.kind == ContainerKind::Container;
            let host = host_port(port, host_network && regular).is_some();
            match seen.iter().find(|(k, _)| *k == key) {
                Some((_, first)) if !host => out.push(
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
