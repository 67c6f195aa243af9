//! The DaemonSet's `spec.updateStrategy`.

use super::field::Field;
use crate::source::Span;
use crate::yaml::{Node, Resolved};

/// `spec.updateStrategy` when present, whatever its type (null included: Kubernetes then
/// defaults it, see [`UpdateStrategy::is_null`]).
#[derive(Clone, Copy, Debug)]
pub struct UpdateStrategy<'a> {
    pub node: Node<'a>,
    /// The `updateStrategy` key.
    pub key_span: Span,
}

impl<'a> UpdateStrategy<'a> {
    pub(crate) fn of(spec: Node<'a>) -> Option<Self> {
        let (key, node) = spec.entry("updateStrategy")?;
        Some(Self {
            node,
            key_span: key.span(),
        })
    }

    /// `type` (`RollingUpdate`, `OnDelete`); the value is the scalar's text, whatever it
    /// resolves to. Null counts as unset.
    #[must_use]
    pub fn kind(&self) -> Option<Field<'a, &'a str>> {
        Field::read(self.node, "type", Node::scalar_text).and_then(Field::non_null)
    }

    /// `rollingUpdate`, whatever its type.
    #[must_use]
    pub fn rolling_update(&self) -> Option<RollingUpdate<'a>> {
        self.node
            .get("rollingUpdate")
            .map(|node| RollingUpdate { node })
    }

    /// `rollingUpdate.maxUnavailable`, when present and not null.
    #[must_use]
    pub fn max_unavailable(&self) -> Option<Field<'a, Resolved<'a>>> {
        self.rolling_update()?.max_unavailable()
    }

    /// `rollingUpdate.maxSurge`, when present and not null.
    #[must_use]
    pub fn max_surge(&self) -> Option<Field<'a, Resolved<'a>>> {
        self.rolling_update()?.max_surge()
    }

    /// True for `updateStrategy:` or `updateStrategy: null`.
    #[must_use]
    pub fn is_null(&self) -> bool {
        self.node.is_null()
    }

    /// Whether it is a mapping (a `type` can be added to it).
    #[must_use]
    pub fn is_mapping(&self) -> bool {
        self.node.is_mapping()
    }
}

/// `updateStrategy.rollingUpdate`.
#[derive(Clone, Copy, Debug)]
pub struct RollingUpdate<'a> {
    pub node: Node<'a>,
}

impl<'a> RollingUpdate<'a> {
    /// `maxUnavailable` (an IntOrString), when present and not null: the value is the scalar
    /// as Kubernetes resolves it, `None` for a list or a mapping.
    #[must_use]
    pub fn max_unavailable(&self) -> Option<Field<'a, Resolved<'a>>> {
        amount(self.node, "maxUnavailable")
    }

    /// `maxSurge`, read as [`RollingUpdate::max_unavailable`].
    #[must_use]
    pub fn max_surge(&self) -> Option<Field<'a, Resolved<'a>>> {
        amount(self.node, "maxSurge")
    }
}

fn amount<'a>(node: Node<'a>, name: &'static str) -> Option<Field<'a, Resolved<'a>>> {
    Field::read(node, name, Node::resolve).and_then(Field::non_null)
}
