//! The DaemonSet update strategy, shared by the rules that judge rolling updates.

use crate::manifest::{DaemonSet, Field, UpdateStrategy};
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

/// The update strategy of a DaemonSet, with the fields the rules point at.
#[derive(Clone, Copy, Debug)]
pub struct Strategy<'a> {
    pub kind: StrategyType,
    /// `spec.updateStrategy`, when present and not null.
    pub view: Option<UpdateStrategy<'a>>,
    /// The value of `spec.updateStrategy`, when present and not null.
    pub node: Option<Node<'a>>,
    /// `type`, when written (absent or null means the apiVersion's default).
    pub type_field: Option<Field<'a, &'a str>>,
    /// The `type` value, when written.
    pub type_node: Option<Node<'a>>,
}

impl<'a> Strategy<'a> {
    /// `rollingUpdate.maxUnavailable`, when present and not null.
    #[must_use]
    pub fn max_unavailable(&self) -> Option<Field<'a, Resolved<'a>>> {
        self.view?.max_unavailable()
    }

    /// `rollingUpdate.maxSurge`, when present and not null.
    #[must_use]
    pub fn max_surge(&self) -> Option<Field<'a, Resolved<'a>>> {
        self.view?.max_surge()
    }

    /// A `rollingUpdate` field named `key` that is present and not null.
    #[must_use]
    pub fn rolling_field(&self, key: &str) -> Option<Node<'a>> {
        self.view?
            .rolling_update()?
            .node
            .get(key)
            .filter(|v| !v.is_null())
    }
}

/// The update strategy: `extensions/v1beta1` defaulted to `OnDelete`, later versions default to
/// `RollingUpdate`.
#[must_use]
pub fn strategy<'a>(ds: &DaemonSet<'a>) -> Strategy<'a> {
    let view = ds.update_strategy().filter(|s| !s.is_null());
    let type_field = view.and_then(|s| s.kind());
    let kind = match type_field.map(|t| t.value) {
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
        view,
        node: view.map(|s| s.node),
        type_field,
        type_node: type_field.map(|t| t.node),
    }
}
