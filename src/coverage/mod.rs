//! Node coverage and cluster cost: on which nodes a DaemonSet's pods run, why not on the others,
//! what they cost across the cluster and how many nodes a rolling update takes the agent off.
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
pub mod report;

// The simulation is Kubernetes semantics the rules share: it lives in `k8s::scheduling`.
pub use crate::k8s::scheduling::*;

#[cfg(test)]
mod tests;
