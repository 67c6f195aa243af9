//! Taint/toleration matching with Kubernetes' semantics (`v1.Toleration.ToleratesTaint`,
//! <https://kubernetes.io/docs/concepts/scheduling-eviction/taint-and-toleration/>):
//! an empty toleration key with `Exists` tolerates every taint; an empty effect matches every
//! effect; `Equal` (the default operator) compares values; `Exists` ignores them.

use crate::yaml::Node;

/// A taint a node may carry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Taint<'a> {
    pub key: &'a str,
    pub value: &'a str,
    pub effect: &'a str,
}

/// A toleration read from a pod spec. Fields that are absent are empty.
#[derive(Clone, Copy, Debug)]
pub struct Toleration<'a> {
    pub node: Node<'a>,
    pub key: &'a str,
    pub operator: &'a str,
    pub value: &'a str,
    pub effect: &'a str,
}

fn text<'a>(node: Node<'a>, key: &str) -> &'a str {
    node.get(key).and_then(|n| n.scalar_text()).unwrap_or("")
}

impl<'a> Toleration<'a> {
    #[must_use]
    pub fn from_node(node: Node<'a>) -> Option<Self> {
        if !node.is_mapping() {
            return None;
        }
        Some(Self {
            node,
            key: text(node, "key"),
            operator: text(node, "operator"),
            value: text(node, "value"),
            effect: text(node, "effect"),
        })
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

/// The tolerations of a pod spec.
#[must_use]
pub fn of_pod<'a>(pod: Node<'a>) -> Vec<Toleration<'a>> {
    pod.get("tolerations")
        .into_iter()
        .flat_map(|t| t.items())
        .filter_map(Toleration::from_node)
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
