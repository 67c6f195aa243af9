//! Scheduling: on which nodes a DaemonSet's pods run and why not on the others, and how many
//! nodes a rolling update takes the agent off. The coverage report (`crate::coverage`) and the
//! rules that know the cluster share it.
//!
//! The simulation follows what Kubernetes (1.17 and later, where DaemonSet pods are placed by
//! the default scheduler) checks for a DaemonSet pod, in this order; the first predicate that
//! fails is the reason given:
//!
//! 1. the DaemonSet controller (`NodeShouldRunDaemonPod` in `pkg/controller/daemon`): the
//!    template's `nodeName`, its `nodeSelector` and required node affinity
//!    (<https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/>), and the
//!    node's `NoSchedule`/`NoExecute` taints against the pod's tolerations plus the ones the
//!    controller adds to every DaemonSet pod
//!    (<https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/#taints-and-tolerations>);
//!    `PreferNoSchedule` never blocks
//!    (<https://kubernetes.io/docs/concepts/scheduling-eviction/taint-and-toleration/>);
//! 2. the scheduler, for the pod the controller created: `spec.unschedulable` (cordoned
//!    nodes; tolerated through `node.kubernetes.io/unschedulable:NoSchedule`), the node's
//!    allocatable against the pod's effective requests (other pods on the node are not
//!    guessed), and host ports taken by another DaemonSet of the same run.
//!
//! Nodes failing step 1 get no pod ("skipped"); nodes failing step 2 get a pod that stays
//! Pending, and still count for the rolling update (`desiredNumberScheduled`).

pub mod nodes;
pub mod pod;

use crate::k8s::tolerations::Taint;
pub use nodes::{Cluster, ClusterNode, NodeTaint};
pub use pod::PodView;

/// What happens to the DaemonSet's pod on a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// The pod runs there.
    Runs,
    /// The DaemonSet controller creates no pod for the node.
    Skipped,
    /// The controller creates a pod that the scheduler cannot place (it stays Pending).
    Pending,
}

/// The verdict for one node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placement {
    pub outcome: Outcome,
    /// The first failing predicate, in words.
    pub reason: Option<String>,
    /// The taint that keeps the pod off the node, when that is the reason.
    pub taint: Option<NodeTaint>,
    /// Skipped for a `NoSchedule` taint only: a pod already running there keeps running.
    pub keeps_running: bool,
    /// Facts worth knowing when the pod runs (default tolerations used, unknown allocatable).
    pub notes: Vec<String>,
}

impl Placement {
    fn runs(notes: Vec<String>) -> Self {
        Self {
            outcome: Outcome::Runs,
            reason: None,
            taint: None,
            keeps_running: true,
            notes,
        }
    }

    fn skipped(reason: String) -> Self {
        Self {
            outcome: Outcome::Skipped,
            reason: Some(reason),
            taint: None,
            keeps_running: false,
            notes: Vec::new(),
        }
    }

    pub(crate) fn pending(reason: String, notes: Vec<String>) -> Self {
        Self {
            outcome: Outcome::Pending,
            reason: Some(reason),
            taint: None,
            keeps_running: false,
            notes,
        }
    }

    /// The controller wants a pod there (it counts in `desiredNumberScheduled`).
    #[must_use]
    pub fn desired(&self) -> bool {
        self.outcome != Outcome::Skipped
    }
}

/// Whether a node selector requirement matches, or why it is invalid — Kubernetes'
/// `labels.Requirement.Matches` with `NewRequirement`'s validation: `In`/`NotIn` need values,
/// `Exists`/`DoesNotExist` none, `Gt`/`Lt` exactly one integer; `NotIn` and `DoesNotExist`
/// match a node without the label, `Gt`/`Lt` need the label to hold an integer.
fn requirement_matches(
    r: &pod::Requirement<'_>,
    value: Option<&str>,
) -> Result<bool, &'static str> {
    match r.operator {
        "In" | "NotIn" if r.values.is_empty() => Err("In and NotIn need at least one value"),
        "Exists" | "DoesNotExist" if !r.values.is_empty() => {
            Err("Exists and DoesNotExist take no values")
        }
        "Gt" | "Lt" if r.values.len() != 1 || r.values[0].parse::<i64>().is_err() => {
            Err("Gt and Lt take exactly one integer value")
        }
        "In" => Ok(value.is_some_and(|v| r.values.contains(&v))),
        "NotIn" => Ok(value.is_none_or(|v| !r.values.contains(&v))),
        "Exists" => Ok(value.is_some()),
        "DoesNotExist" => Ok(value.is_none()),
        "Gt" | "Lt" => {
            let bound: i64 = r.values[0].parse().unwrap_or(0);
            Ok(value.and_then(|v| v.parse::<i64>().ok()).is_some_and(|v| {
                if r.operator == "Gt" {
                    v > bound
                } else {
                    v < bound
                }
            }))
        }
        _ => Err("the operator must be In, NotIn, Exists, DoesNotExist, Gt or Lt"),
    }
}

/// Why a node selector term does not match the node, or `None` when it matches.
fn term_failure(term: &pod::Term<'_>, index: usize, node: &ClusterNode) -> Option<String> {
    let n = index + 1;
    // "A null or empty node selector term matches no objects" (NodeSelectorTerm, API reference).
    if term.expressions.is_empty() && term.fields.is_empty() {
        return Some(format!("term {n} is empty and matches no node"));
    }
    for r in &term.expressions {
        match requirement_matches(r, node.label(r.key)) {
            Ok(true) => {}
            Ok(false) => return Some(format!("term {n}: key {r} failed")),
            Err(why) => return Some(format!("term {n}: key {r} is invalid ({why})")),
        }
    }
    for r in &term.fields {
        // Only `metadata.name` with In/NotIn and one value is a valid node field selector.
        if r.key != "metadata.name" || !matches!(r.operator, "In" | "NotIn") || r.values.len() != 1
        {
            return Some(format!(
                "term {n}: field {r} is invalid (matchFields supports only metadata.name In or \
                 NotIn with one value)"
            ));
        }
        if requirement_matches(r, Some(&node.name)) != Ok(true) {
            return Some(format!("term {n}: field {r} failed"));
        }
    }
    None
}

/// Required node affinity: terms are ORed, requirements within a term ANDed; an affinity with
/// no terms matches nothing (`nodeaffinity.NewLazyErrorNodeSelector`; the API server also
/// rejects it: "must have at least one node selector term").
fn affinity_failure(affinity: &pod::RequiredAffinity<'_>, node: &ClusterNode) -> Option<String> {
    if affinity.terms.is_empty() {
        return Some(
            "required node affinity has no nodeSelectorTerms, which matches no node".to_string(),
        );
    }
    let mut failures = Vec::new();
    for (i, term) in affinity.terms.iter().enumerate() {
        match term_failure(term, i, node) {
            None => return None,
            Some(f) => failures.push(f),
        }
    }
    Some(format!("required node affinity {}", failures.join("; ")))
}

const STANDARD_RESOURCES: &[&str] = &["cpu", "memory", "ephemeral-storage", "pods"];

/// Where the DaemonSet's pod lands on `node` (host port conflicts between DaemonSets are
/// applied by [`report`], which sees them all).
#[must_use]
pub fn place(pod: &PodView<'_>, node: &ClusterNode) -> Placement {
    // 1. The DaemonSet controller.
    if let Some(wanted) = pod.node_name {
        if wanted != node.name {
            return Placement::skipped(format!("spec.nodeName pins the pod to node {wanted}"));
        }
    }
    for (key, value) in &pod.node_selector {
        if node.label(key) != Some(value) {
            return Placement::skipped(format!("nodeSelector {key}={value} not matched"));
        }
    }
    if let Some(affinity) = &pod.affinity {
        if let Some(failure) = affinity_failure(affinity, node) {
            return Placement::skipped(failure);
        }
    }
    let mut notes = Vec::new();
    let mut blocking: Option<&NodeTaint> = None;
    let mut untolerated_no_execute = false;
    for taint in &node.taints {
        let view = taint.view();
        let own = pod.tolerations.iter().any(|t| t.tolerates(&view));
        let added = !own && pod.added_tolerations.iter().any(|t| t.tolerates(&view));
        match taint.effect.as_str() {
            "NoSchedule" | "NoExecute" if !own && !added => {
                untolerated_no_execute |= taint.effect == "NoExecute";
                blocking.get_or_insert(taint);
            }
            "PreferNoSchedule" if !own => {
                notes.push(format!(
                    "taint {view} only lowers the node's score, never blocks"
                ));
            }
            _ if added && !(node.unschedulable && taint.key == UNSCHEDULABLE) => {
                notes.push(format!(
                    "taint {view} tolerated by the toleration the DaemonSet controller adds"
                ));
            }
            _ => {}
        }
    }
    if let Some(taint) = blocking {
        let mut p = Placement::skipped(format!("taint {} not tolerated", taint.view()));
        p.taint = Some(taint.clone());
        p.keeps_running = !untolerated_no_execute;
        return p;
    }
    // 2. The scheduler.
    if node.unschedulable {
        let cordon = Taint {
            key: UNSCHEDULABLE,
            value: "",
            effect: "NoSchedule",
        };
        if pod.tolerations.iter().any(|t| t.tolerates(&cordon)) {
            notes.insert(
                0,
                "cordoned; the pod tolerates node.kubernetes.io/unschedulable".into(),
            );
        } else if pod.added_tolerations.iter().any(|t| t.tolerates(&cordon)) {
            notes.insert(
                0,
                "cordoned, but the toleration node.kubernetes.io/unschedulable:NoSchedule that \
                 the DaemonSet controller adds lets the pod run"
                    .into(),
            );
        } else {
            return Placement::pending("node is unschedulable (cordoned)".into(), notes);
        }
    }
    if !pod.requests.is_empty() {
        match &node.allocatable {
            None => notes.push("allocatable unknown".into()),
            Some(allocatable) => {
                let mut unknown = Vec::new();
                for (resource, request) in &pod.requests {
                    if request.is_zero() {
                        continue;
                    }
                    match allocatable.get(resource) {
                        Some(have) if request > have => {
                            return Placement::pending(
                                format!(
                                    "requests {resource} {} but allocatable is {}",
                                    request.display(resource),
                                    have.display(resource)
                                ),
                                notes,
                            );
                        }
                        Some(_) => {}
                        None if STANDARD_RESOURCES.contains(&resource.as_str()) => {
                            unknown.push(resource.as_str());
                        }
                        None => {
                            return Placement::pending(
                                format!(
                                    "requests {resource} {} but the node has none",
                                    request.display(resource)
                                ),
                                notes,
                            );
                        }
                    }
                }
                if !unknown.is_empty() {
                    notes.push(format!("allocatable {} unknown", unknown.join(", ")));
                }
            }
        }
    }
    if node.label("kubernetes.io/os") == Some("windows") && !pod.selects_os {
        notes.push("Windows node and the pod selects no OS: Linux images cannot start here".into());
    }
    Placement::runs(notes)
}

const UNSCHEDULABLE: &str = "node.kubernetes.io/unschedulable";

/// Whether a node is a control-plane node: it has a control-plane role label, or a taint whose
/// key is one of `taint_keys`.
#[must_use]
pub fn is_control_plane(node: &ClusterNode, taint_keys: &[String]) -> bool {
    node.labels
        .contains_key("node-role.kubernetes.io/control-plane")
        || node.labels.contains_key("node-role.kubernetes.io/master")
        || node.taints.iter().any(|t| taint_keys.contains(&t.key))
}

/// `maxUnavailable`/`maxSurge` resolved against `total` nodes like the DaemonSet controller's
/// `intstr.GetScaledValueFromIntOrPercent(value, total, roundUp=true)` in
/// `pkg/controller/daemon/util/daemonset_util.go` (`UnavailableCount`, `SurgeCount`):
/// percentages round up.
#[must_use]
pub fn scaled(amount: &crate::k8s::rolling_update::Amount, total: usize) -> i64 {
    match amount {
        crate::k8s::rolling_update::Amount::Count(n) => *n,
        crate::k8s::rolling_update::Amount::Percent(p) => {
            let total = i64::try_from(total).unwrap_or(i64::MAX);
            (i64::from(*p).saturating_mul(total) + 99) / 100
        }
    }
}
