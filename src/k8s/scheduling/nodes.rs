//! The nodes of a cluster as scheduling reads them (read from `kubectl get nodes` output or
//! synthetic pools by `crate::coverage::nodes`).

use std::collections::BTreeMap;

use crate::k8s::quantity::Quantity;
use crate::k8s::tolerations::Taint;

/// A taint of a node (`spec.taints[]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeTaint {
    pub key: String,
    pub value: String,
    pub effect: String,
}

impl NodeTaint {
    #[must_use]
    pub fn view(&self) -> Taint<'_> {
        Taint {
            key: &self.key,
            value: &self.value,
            effect: &self.effect,
        }
    }
}

/// One node: what scheduling reads from it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterNode {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub taints: Vec<NodeTaint>,
    /// `spec.unschedulable` (the node is cordoned).
    pub unschedulable: bool,
    /// `status.allocatable`, or `None` when the node does not say.
    pub allocatable: Option<BTreeMap<String, Quantity>>,
}

impl ClusterNode {
    #[must_use]
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels.get(key).map(String::as_str)
    }
}

/// The nodes of a cluster and where they were read from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cluster {
    /// The path given to `--nodes`, for messages.
    pub source: String,
    pub nodes: Vec<ClusterNode>,
}
