//! What scheduling reads from a DaemonSet's pod template: node name, node selector, required
//! node affinity, tolerations (the pod's own and the DaemonSet controller's), host ports and the
//! pod's effective resource requests and limits.

use std::collections::BTreeMap;

use crate::k8s::quantity::{self, Quantity};
use crate::k8s::tolerations::{self, Toleration};
use crate::manifest::{ContainerKind, DaemonSet, ResourceList, Resources};
use crate::source::Span;
use crate::yaml::Node;

/// One requirement of a node selector term (`matchExpressions[]` or `matchFields[]`).
#[derive(Clone, Debug)]
pub struct Requirement<'a> {
    pub key: &'a str,
    pub operator: &'a str,
    pub values: Vec<&'a str>,
}

impl std::fmt::Display for Requirement<'_> {
    /// `key X In [a, b]`, `key X DoesNotExist`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.key, self.operator)?;
        if !self.values.is_empty() {
            write!(f, " [{}]", self.values.join(", "))?;
        }
        Ok(())
    }
}

/// A node selector term: its requirements are ANDed.
#[derive(Clone, Debug, Default)]
pub struct Term<'a> {
    pub expressions: Vec<Requirement<'a>>,
    pub fields: Vec<Requirement<'a>>,
}

/// `affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution`: terms are ORed.
#[derive(Clone, Debug)]
pub struct RequiredAffinity<'a> {
    pub terms: Vec<Term<'a>>,
}

/// A host port the pod claims on every node it runs on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostPort {
    pub port: i64,
    /// `TCP` (the default), `UDP` or `SCTP`.
    pub protocol: String,
    /// Empty for every address (`0.0.0.0`).
    pub host_ip: String,
}

impl HostPort {
    /// Kubernetes' `HostPortInfo.CheckConflict`: same protocol and port, and the same address
    /// or either one bound to every address.
    #[must_use]
    pub fn conflicts(&self, other: &HostPort) -> bool {
        let any = |ip: &str| ip.is_empty() || ip == "0.0.0.0";
        self.port == other.port
            && self.protocol == other.protocol
            && (any(&self.host_ip) || any(&other.host_ip) || self.host_ip == other.host_ip)
    }
}

impl std::fmt::Display for HostPort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.host_ip.is_empty() {
            write!(f, "{}/{}", self.port, self.protocol)
        } else {
            write!(f, "{}:{}/{}", self.host_ip, self.port, self.protocol)
        }
    }
}

/// A limit of the pod: a value, or unbounded because a container sets none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Limit {
    Value(Quantity),
    /// The named container has no limit for the resource, so neither has the pod.
    Unbounded(String),
}

/// Something in the template that is not valid, with its span.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub span: Span,
    pub message: String,
}

/// The scheduling view of a DaemonSet's pod.
#[derive(Clone, Debug)]
pub struct PodView<'a> {
    /// `spec.template.spec.nodeName`.
    pub node_name: Option<&'a str>,
    pub node_selector: Vec<(&'a str, &'a str)>,
    pub affinity: Option<RequiredAffinity<'a>>,
    /// The pod's own tolerations.
    pub tolerations: Vec<Toleration<'a>>,
    /// The tolerations the DaemonSet controller adds.
    pub added_tolerations: Vec<Toleration<'static>>,
    pub host_network: bool,
    pub host_ports: Vec<HostPort>,
    /// Effective requests per resource, in the order first seen.
    pub requests: Vec<(String, Quantity)>,
    /// Effective limits per resource (only resources some container limits).
    pub limits: Vec<(String, Limit)>,
    /// The pod constrains `kubernetes.io/os` or sets `spec.os`.
    pub selects_os: bool,
    /// Pod-level `spec.resources` overrides the containers for these resources.
    pub pod_level: Vec<String>,
    pub problems: Vec<Problem>,
}

fn texts<'a>(node: Option<Node<'a>>) -> Vec<&'a str> {
    node.into_iter()
        .flat_map(|n| n.items())
        .filter_map(|v| v.scalar_text())
        .collect()
}

fn requirements<'a>(node: Option<Node<'a>>) -> Vec<Requirement<'a>> {
    node.into_iter()
        .flat_map(|n| n.items())
        .filter(Node::is_mapping)
        .map(|e| Requirement {
            key: e.get("key").and_then(|k| k.scalar_text()).unwrap_or(""),
            operator: e
                .get("operator")
                .and_then(|k| k.scalar_text())
                .unwrap_or(""),
            values: texts(e.get("values")),
        })
        .collect()
}

const OS_LABELS: &[&str] = &["kubernetes.io/os", "beta.kubernetes.io/os"];

impl<'a> PodView<'a> {
    #[must_use]
    pub fn of(ds: &DaemonSet<'a>) -> Self {
        let pod = ds.pod;
        let node_name = pod
            .get("nodeName")
            .and_then(|n| n.as_str())
            .filter(|n| !n.is_empty());
        let node_selector: Vec<(&str, &str)> = pod
            .get("nodeSelector")
            .map(|s| {
                s.entries()
                    .into_iter()
                    .filter_map(|(k, v)| {
                        let value = if v.is_null() {
                            Some("")
                        } else {
                            v.scalar_text()
                        };
                        Some((k.scalar_text()?, value?))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let affinity = pod
            .get_path(&[
                "affinity",
                "nodeAffinity",
                "requiredDuringSchedulingIgnoredDuringExecution",
            ])
            .filter(|r| !r.is_null())
            .map(|required| RequiredAffinity {
                terms: required
                    .get("nodeSelectorTerms")
                    .into_iter()
                    .flat_map(|t| t.items())
                    .map(|term| Term {
                        expressions: requirements(term.get("matchExpressions")),
                        fields: requirements(term.get("matchFields")),
                    })
                    .collect(),
            });
        let host_network = ds.uses_host_network();
        let selects_os = node_selector.iter().any(|(k, _)| OS_LABELS.contains(k))
            || affinity.as_ref().is_some_and(|a| {
                a.terms
                    .iter()
                    .flat_map(|t| &t.expressions)
                    .any(|r| OS_LABELS.contains(&r.key))
            })
            || pod.get_path(&["os", "name"]).is_some();
        let mut view = PodView {
            node_name,
            node_selector,
            affinity,
            tolerations: tolerations::of(ds),
            added_tolerations: tolerations::daemonset_defaults(host_network),
            host_network,
            host_ports: Vec::new(),
            requests: Vec::new(),
            limits: Vec::new(),
            selects_os,
            pod_level: Vec::new(),
            problems: Vec::new(),
        };
        view.host_ports = host_ports(ds, host_network);
        view.resources(ds);
        view
    }

    /// Every toleration the pod ends up with: its own, then the controller's.
    pub fn all_tolerations(&self) -> impl Iterator<Item = &Toleration<'a>> {
        self.tolerations.iter().chain(self.added_tolerations.iter())
    }

    /// A container's requests and limits by resource. A request left out defaults to the limit
    /// (API defaulting: <https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/>).
    fn container_resources(
        &mut self,
        resources: Option<Resources<'_>>,
        order: &mut Vec<String>,
    ) -> (BTreeMap<String, Quantity>, BTreeMap<String, Quantity>) {
        let mut section = |name: &str, list: Option<ResourceList<'_>>| {
            let mut out = BTreeMap::new();
            let Some(map) = list.map(|l| l.node).filter(Node::is_mapping) else {
                return out;
            };
            for (k, v) in map.entries() {
                let Some(resource) = k.scalar_text() else {
                    continue;
                };
                if v.is_null() {
                    continue;
                }
                let parsed = v
                    .scalar_text()
                    .ok_or_else(|| {
                        format!("`{resource}` must be a quantity such as `250m` or `128Mi`")
                    })
                    .and_then(quantity::parse);
                match parsed {
                    Ok(q) if q.is_negative() => self.problems.push(Problem {
                        span: v.span(),
                        message: format!("{name} `{resource}` must not be negative"),
                    }),
                    Ok(q) => {
                        if !order.iter().any(|r| r == resource) {
                            order.push(resource.to_string());
                        }
                        out.insert(resource.to_string(), q);
                    }
                    Err(message) => self.problems.push(Problem {
                        span: v.span(),
                        message,
                    }),
                }
            }
            out
        };
        let limits = section("limits", resources.and_then(|r| r.limits()));
        let mut requests = section("requests", resources.and_then(|r| r.requests()));
        for (r, q) in &limits {
            requests.entry(r.clone()).or_insert(*q);
        }
        (requests, limits)
    }

    /// The pod's effective requests and limits, per resource, as the scheduler computes them
    /// (`AggregateContainerRequests` in `k8s.io/component-helpers/resource`;
    /// <https://kubernetes.io/docs/concepts/workloads/pods/init-containers/#resource-sharing-within-containers>):
    /// app containers and sidecars (init containers with `restartPolicy: Always`, Kubernetes
    /// 1.29+) add up; each regular init container needs its own amount plus the sidecars started
    /// before it; the pod needs the larger of the two phases.
    fn resources(&mut self, ds: &DaemonSet<'a>) {
        let mut order = Vec::new();
        // (kind, name, requests, limits)
        let mut containers = Vec::new();
        for c in ds.resourced_containers() {
            let (req, lim) = self.container_resources(c.resources(), &mut order);
            let sidecar = c.kind == ContainerKind::Init
                && c.get("restartPolicy").and_then(|p| p.scalar_text()) == Some("Always");
            containers.push((c.kind, sidecar, c.describe(), req, lim));
        }
        let (pod_requests, pod_limits) = self.container_resources(ds.pod_resources(), &mut order);
        for resource in &order {
            // Requests: long-running (app + sidecars) vs the init phase.
            let mut long_running = Quantity::ZERO;
            let mut sidecars = Quantity::ZERO;
            let mut init_max = Quantity::ZERO;
            // Limits: `None` once some container in the phase is unbounded.
            let mut long_limit: Bound = Ok(Quantity::ZERO);
            let mut sidecar_limit: Bound = Ok(Quantity::ZERO);
            let mut init_limit: Bound = Ok(Quantity::ZERO);
            let mut any_limit = false;
            let add = |a: &Bound, b: Bound| combine(a, b, Quantity::plus);
            let max = |a: &Bound, b: Bound| combine(a, b, Quantity::max);
            for (kind, sidecar, name, req, lim) in &containers {
                let r = req.get(resource).copied().unwrap_or(Quantity::ZERO);
                let l = lim.get(resource).copied().ok_or_else(|| name.clone());
                any_limit |= lim.contains_key(resource);
                match (kind, sidecar) {
                    (ContainerKind::Init, true) => {
                        long_running = long_running.plus(r);
                        sidecars = sidecars.plus(r);
                        init_max = init_max.max(sidecars);
                        long_limit = add(&long_limit, l.clone());
                        sidecar_limit = add(&sidecar_limit, l);
                        init_limit = max(&init_limit, sidecar_limit.clone());
                    }
                    (ContainerKind::Init, false) => {
                        init_max = init_max.max(r.plus(sidecars));
                        init_limit = max(&init_limit, add(&sidecar_limit, l));
                    }
                    _ => {
                        long_running = long_running.plus(r);
                        long_limit = add(&long_limit, l);
                    }
                }
            }
            let mut request = long_running.max(init_max);
            let mut limit = max(&long_limit, init_limit);
            // Pod-level resources (PodLevelResources, alpha in 1.32, beta in 1.34) replace the
            // container aggregate for cpu and memory.
            if matches!(resource.as_str(), "cpu" | "memory") {
                if let Some(q) = pod_requests.get(resource) {
                    request = *q;
                    self.pod_level.push(resource.clone());
                }
                if let Some(q) = pod_limits.get(resource) {
                    limit = Ok(*q);
                    any_limit = true;
                }
            }
            if !request.is_zero() || pod_requests.contains_key(resource) {
                self.requests.push((resource.clone(), request));
            }
            if any_limit {
                self.limits.push((
                    resource.clone(),
                    match limit {
                        Ok(q) => Limit::Value(q),
                        Err(name) => Limit::Unbounded(name),
                    },
                ));
            }
        }
    }
}

/// A limit so far: a value, or the name of a container without one (unbounded).
type Bound = Result<Quantity, String>;

fn combine(a: &Bound, b: Bound, f: fn(Quantity, Quantity) -> Quantity) -> Bound {
    match (a, b) {
        (Ok(x), Ok(y)) => Ok(f(*x, y)),
        (Err(e), _) => Err(e.clone()),
        (_, Err(e)) => Err(e),
    }
}

/// Host ports of the app containers (the scheduler's NodePorts plugin reads
/// `spec.containers[].ports`); with `hostNetwork`, every container port is a host port
/// (API defaulting sets `hostPort` to `containerPort`).
fn host_ports(ds: &DaemonSet<'_>, host_network: bool) -> Vec<HostPort> {
    let mut out = Vec::new();
    for c in ds
        .all_containers()
        .filter(|c| c.kind == ContainerKind::Container)
    {
        for port in c.get("ports").into_iter().flat_map(|p| p.items()) {
            let number = |key: &str| port.get(key).and_then(|n| n.as_i64()).unwrap_or(0);
            let host = number("hostPort");
            let host = if host == 0 && host_network {
                number("containerPort")
            } else {
                host
            };
            if host <= 0 {
                continue;
            }
            let text = |key: &str| port.get(key).and_then(|n| n.scalar_text()).unwrap_or("");
            let protocol = match text("protocol") {
                "" => "TCP",
                p => p,
            };
            let p = HostPort {
                port: host,
                protocol: protocol.to_string(),
                host_ip: text("hostIP").to_string(),
            };
            if !out.contains(&p) {
                out.push(p);
            }
        }
    }
    out
}
