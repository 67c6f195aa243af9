//! The DaemonSet update strategy, shared by the rules that judge rolling updates.

use crate::manifest::DaemonSet;
use crate::yaml::{Node, Resolved};

/// A parsed `maxUnavailable`/`maxSurge`: a node count or a percentage of the DaemonSet's nodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Amount {
    Count(i64),
    Percent(u32),
}

impl Amount {
    /// True for `0` and `0%`.
    #[must_use]
    pub fn is_zero(self) -> bool {
        matches!(self, Self::Count(0) | Self::Percent(0))
    }
}

/// Parse an IntOrString `maxUnavailable`/`maxSurge` as Kubernetes does (`"25%"`, `3`). A string
/// must be digits followed by `%`; anything else is `None`.
#[must_use]
pub fn parse_amount(value: &Resolved<'_>) -> Option<Amount> {
    match value {
        Resolved::Int(i) => Some(Amount::Count(*i)),
        Resolved::Str(s) => {
            let digits = s.strip_suffix('%')?;
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            digits.parse().ok().map(Amount::Percent)
        }
        _ => None,
    }
}

/// The effective `updateStrategy.type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StrategyType {
    RollingUpdate,
    OnDelete,
    /// A value Kubernetes does not know: rules about either strategy stay silent.
    Unknown,
}

/// The update strategy of a DaemonSet, with the nodes the rules point at.
#[derive(Clone, Copy, Debug)]
pub struct Strategy<'a> {
    pub kind: StrategyType,
    /// `spec.updateStrategy`, when present.
    pub node: Option<Node<'a>>,
    /// The `type` value, when written (absent or null means the apiVersion's default).
    pub type_node: Option<Node<'a>>,
}

impl<'a> Strategy<'a> {
    /// A `rollingUpdate` field (`maxUnavailable`, `maxSurge`) that is present and not null.
    #[must_use]
    pub fn rolling_field(&self, key: &str) -> Option<Node<'a>> {
        self.node?
            .get_path(&["rollingUpdate", key])
            .filter(|v| !v.is_null())
    }
}

/// The update strategy: `extensions/v1beta1` defaulted to `OnDelete`, later versions default to
/// `RollingUpdate`.
#[must_use]
pub fn strategy<'a>(ds: &DaemonSet<'a>) -> Strategy<'a> {
    let node = ds.spec.get("updateStrategy").filter(|s| !s.is_null());
    let type_node = node.and_then(|s| s.get("type")).filter(|t| !t.is_null());
    let kind = match type_node.map(|t| t.scalar_text()) {
        None => {
            if ds.object.api_version == Some("extensions/v1beta1") {
                StrategyType::OnDelete
            } else {
                StrategyType::RollingUpdate
            }
        }
        Some(Some("RollingUpdate")) => StrategyType::RollingUpdate,
        Some(Some("OnDelete")) => StrategyType::OnDelete,
        Some(_) => StrategyType::Unknown,
    };
    Strategy {
        kind,
        node,
        type_node,
    }
}
