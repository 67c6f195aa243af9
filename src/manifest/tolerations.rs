//! The pod spec's `tolerations`.

use super::field::Field;
use crate::source::Span;
use crate::yaml::Node;

/// `tolerations`, whatever its type.
#[derive(Clone, Copy, Debug)]
pub struct Tolerations<'a> {
    pub node: Node<'a>,
    /// The `tolerations` key.
    pub key_span: Span,
}

impl<'a> Tolerations<'a> {
    /// The `tolerations` of a pod spec.
    #[must_use]
    pub fn of(pod: Node<'a>) -> Option<Self> {
        let (key, node) = pod.entry("tolerations")?;
        Some(Self {
            node,
            key_span: key.span(),
        })
    }

    /// True when it is a list (items can be appended to it).
    #[must_use]
    pub fn is_list(&self) -> bool {
        self.node.is_sequence()
    }

    /// The items that are mappings (a toleration of another type tolerates nothing).
    pub fn iter(&self) -> impl Iterator<Item = TolerationFields<'a>> + 'a {
        self.node
            .items()
            .filter(Node::is_mapping)
            .map(|node| TolerationFields { node })
    }
}

/// One toleration's fields. Each value is the scalar's text (Kubernetes compares them as
/// strings); `None` when it is not a scalar.
#[derive(Clone, Copy, Debug)]
pub struct TolerationFields<'a> {
    pub node: Node<'a>,
}

impl<'a> TolerationFields<'a> {
    fn text(&self, name: &'static str) -> Option<Field<'a, &'a str>> {
        Field::read(self.node, name, Node::scalar_text)
    }

    #[must_use]
    pub fn key(&self) -> Option<Field<'a, &'a str>> {
        self.text("key")
    }

    #[must_use]
    pub fn operator(&self) -> Option<Field<'a, &'a str>> {
        self.text("operator")
    }

    #[must_use]
    pub fn value(&self) -> Option<Field<'a, &'a str>> {
        self.text("value")
    }

    #[must_use]
    pub fn effect(&self) -> Option<Field<'a, &'a str>> {
        self.text("effect")
    }
}
