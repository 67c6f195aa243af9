//! A container's (or the pod's) `resources`.

use super::field::Field;
use crate::source::Span;
use crate::yaml::Node;

/// A `resources` value, whatever its type (a value that is not a mapping has no requests or
/// limits).
#[derive(Clone, Copy, Debug)]
pub struct Resources<'a> {
    pub node: Node<'a>,
    /// The `resources` key.
    pub key_span: Span,
}

impl<'a> Resources<'a> {
    /// The `resources` of the mapping `parent` (a container or a pod spec).
    pub(crate) fn of(parent: Node<'a>) -> Option<Self> {
        let (key, node) = parent.entry("resources")?;
        Some(Self {
            node,
            key_span: key.span(),
        })
    }

    /// `requests`, whatever its type.
    #[must_use]
    pub fn requests(&self) -> Option<ResourceList<'a>> {
        self.node.get("requests").map(|node| ResourceList { node })
    }

    /// `limits`, whatever its type.
    #[must_use]
    pub fn limits(&self) -> Option<ResourceList<'a>> {
        self.node.get("limits").map(|node| ResourceList { node })
    }
}

/// `requests` or `limits`: quantities by resource name.
#[derive(Clone, Copy, Debug)]
pub struct ResourceList<'a> {
    pub node: Node<'a>,
}

impl<'a> ResourceList<'a> {
    /// The quantity of `resource` (`cpu`, `memory`, ...): the value is its text (`500m`, `1`),
    /// `None` when it is null or not a scalar.
    #[must_use]
    pub fn get(&self, resource: &str) -> Option<Field<'a, &'a str>> {
        let (key, node) = self.node.entry(resource)?;
        Some(Field {
            name: key.scalar_text().unwrap_or_default(),
            value: if node.is_null() {
                None
            } else {
                node.scalar_text()
            },
            key_span: key.span(),
            value_span: node.span(),
            node,
        })
    }

    /// True when `resource` is set (present and not null).
    #[must_use]
    pub fn has(&self, resource: &str) -> bool {
        self.node.get(resource).is_some_and(|v| !v.is_null())
    }
}
