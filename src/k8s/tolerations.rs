//! Taint/toleration matching with Kubernetes' semantics (`v1.Toleration.ToleratesTaint`,
//! <https://kubernetes.io/docs/concepts/scheduling-eviction/taint-and-toleration/>):
//! an empty toleration key with `Exists` tolerates every taint; an empty effect matches every
//! effect; `Equal` (the default operator) compares values; `Exists` ignores them.

use crate::manifest::{DaemonSet, Field, TolerationFields, Tolerations};
use crate::yaml::Node;

/// A taint a node may carry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Taint<'a> {
    pub key: &'a str,
    pub value: &'a str,
    pub effect: &'a str,
}

impl std::fmt::Display for Taint<'_> {
    /// `key=value:Effect`, or `key:Effect` without a value (as `kubectl taint` writes it).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.value.is_empty() {
            write!(f, "{}:{}", self.key, self.effect)
        } else {
            write!(f, "{}={}:{}", self.key, self.value, self.effect)
        }
    }
}

/// A toleration read from a pod spec (`node` is its mapping), or one the DaemonSet controller
/// adds (`node` is `None`). Fields that are absent are empty.
#[derive(Clone, Copy, Debug)]
pub struct Toleration<'a> {
    pub node: Option<Node<'a>>,
    pub key: &'a str,
    pub operator: &'a str,
    pub value: &'a str,
    pub effect: &'a str,
}

fn text<'a>(field: Option<Field<'a, &'a str>>) -> &'a str {
    field.and_then(|f| f.value).unwrap_or("")
}

impl<'a> Toleration<'a> {
    #[must_use]
    pub fn from_node(node: Node<'a>) -> Option<Self> {
        if !node.is_mapping() {
            return None;
        }
        Some(Self::from_fields(TolerationFields { node }))
    }

    /// A toleration from the view of its fields.
    #[must_use]
    pub fn from_fields(fields: TolerationFields<'a>) -> Self {
        Self {
            node: Some(fields.node),
            key: text(fields.key()),
            operator: text(fields.operator()),
            value: text(fields.value()),
            effect: text(fields.effect()),
        }
    }

    /// Whether this toleration tolerates `taint`.
    #[must_use]
    pub fn tolerates(&self, taint: &Taint<'_>) -> bool {
        if !self.effect.is_empty() && self.effect != taint.effect {
            return false;
        }
        if !self.key.is_empty() && self.key != taint.key {
            return false;
        }
        match self.operator {
            "Exists" => true,
            // An empty key is only valid with `Exists`: the API server rejects the rest.
            "" | "Equal" => !self.key.is_empty() && self.value == taint.value,
            _ => false,
        }
    }
}

/// The tolerations the DaemonSet controller adds to every DaemonSet pod
/// (`AddOrUpdateDaemonPodTolerations` in `pkg/controller/daemon/util/daemonset_util.go`;
/// <https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/#taints-and-tolerations>),
/// all with `operator: Exists`. `network-unavailable` is added only for `hostNetwork` pods. The
/// set has been the same since Kubernetes 1.12 (TaintNodesByCondition and ScheduleDaemonSetPods).
#[must_use]
pub fn daemonset_defaults(host_network: bool) -> Vec<Toleration<'static>> {
    let mut out: Vec<Toleration<'static>> = [
        ("node.kubernetes.io/not-ready", "NoExecute"),
        ("node.kubernetes.io/unreachable", "NoExecute"),
        ("node.kubernetes.io/disk-pressure", "NoSchedule"),
        ("node.kubernetes.io/memory-pressure", "NoSchedule"),
        ("node.kubernetes.io/pid-pressure", "NoSchedule"),
        ("node.kubernetes.io/unschedulable", "NoSchedule"),
    ]
    .into_iter()
    .map(|(key, effect)| Toleration::added(key, effect))
    .collect();
    if host_network {
        out.push(Toleration::added(
            "node.kubernetes.io/network-unavailable",
            "NoSchedule",
        ));
    }
    out
}

impl Toleration<'static> {
    /// A toleration `{key, operator: Exists, effect}` added by a controller.
    #[must_use]
    pub fn added(key: &'static str, effect: &'static str) -> Self {
        Self {
            node: None,
            key,
            operator: "Exists",
            value: "",
            effect,
        }
    }
}

/// The tolerations of a pod spec.
#[must_use]
pub fn of_pod<'a>(pod: Node<'a>) -> Vec<Toleration<'a>> {
    of_list(Tolerations::of(pod))
}

/// The tolerations of a DaemonSet's pods.
#[must_use]
pub fn of<'a>(ds: &DaemonSet<'a>) -> Vec<Toleration<'a>> {
    of_list(ds.tolerations())
}

fn of_list<'a>(list: Option<Tolerations<'a>>) -> Vec<Toleration<'a>> {
    list.into_iter()
        .flat_map(|t| t.iter())
        .map(Toleration::from_fields)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{documents, Limits};

    fn tolerates(yaml: &str, taint: &Taint<'_>) -> bool {
        let docs: Vec<_> = documents(yaml, Limits::default()).collect();
        let doc = docs[0].as_ref().expect("yaml");
        let root = doc.root().expect("root");
        Toleration::from_node(root).is_some_and(|t| t.tolerates(taint))
    }

    const CP: Taint<'static> = Taint {
        key: "node-role.kubernetes.io/control-plane",
        value: "",
        effect: "NoSchedule",
    };

    #[test]
    fn taints_display_like_kubectl() {
        assert_eq!(
            CP.to_string(),
            "node-role.kubernetes.io/control-plane:NoSchedule"
        );
        let t = Taint {
            key: "dedicated",
            value: "ingress",
            effect: "NoExecute",
        };
        assert_eq!(t.to_string(), "dedicated=ingress:NoExecute");
    }

    #[test]
    fn daemonset_defaults_follow_the_controller() {
        let keys = |host: bool| -> Vec<String> {
            daemonset_defaults(host)
                .iter()
                .map(|t| format!("{}:{}", t.key, t.effect))
                .collect()
        };
        assert_eq!(keys(false).len(), 6);
        assert!(!keys(false)
            .iter()
            .any(|k| k.contains("network-unavailable")));
        assert!(
            keys(true).contains(&"node.kubernetes.io/network-unavailable:NoSchedule".to_string())
        );
        let not_ready = Taint {
            key: "node.kubernetes.io/not-ready",
            value: "",
            effect: "NoExecute",
        };
        assert!(daemonset_defaults(false)
            .iter()
            .any(|t| t.tolerates(&not_ready)));
        let not_ready_no_schedule = Taint {
            effect: "NoSchedule",
            ..not_ready
        };
        assert!(!daemonset_defaults(false)
            .iter()
            .any(|t| t.tolerates(&not_ready_no_schedule)));
    }

    #[test]
    fn kubernetes_matching_semantics() {
        assert!(tolerates("operator: Exists\n", &CP));
        assert!(tolerates("operator: Exists\neffect: NoSchedule\n", &CP));
        assert!(!tolerates("operator: Exists\neffect: NoExecute\n", &CP));
        assert!(tolerates(
            "key: node-role.kubernetes.io/control-plane\noperator: Exists\n",
            &CP
        ));
        assert!(tolerates(
            "key: node-role.kubernetes.io/control-plane\n",
            &CP
        ));
        assert!(tolerates(
            "key: node-role.kubernetes.io/control-plane\noperator: Equal\nvalue: \"\"\n",
            &CP
        ));
        assert!(!tolerates(
            "key: node-role.kubernetes.io/control-plane\nvalue: \"true\"\n",
            &CP
        ));
        assert!(!tolerates(
            "key: node-role.kubernetes.io/master\noperator: Exists\n",
            &CP
        ));
        assert!(!tolerates("operator: Equal\n", &CP));
        assert!(!tolerates(
            "key: node-role.kubernetes.io/control-plane\noperator: Bogus\n",
            &CP
        ));
    }
}
