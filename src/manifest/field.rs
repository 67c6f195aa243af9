//! [`Field`]: one field read through a typed view, with its key and value spans.

use crate::source::Span;
use crate::yaml::Node;

/// A field a view read: its value as the type the field has in the Kubernetes API, the spans of
/// its key and of its value, and the value node (for fixes, and for the text of a value of the
/// wrong type, which some rules report).
///
/// The view returns a `Field` whenever the key is present: a value that is null, or of another
/// type than the field's (a quoted `"true"` where a boolean belongs), has `value: None`, and each
/// rule decides what that means, as it did when it read the node itself. Values resolve as
/// Kubernetes reads them (YAML 1.1: `yes` is a boolean), through aliases (the spans are then the
/// alias site's), with merge keys and repeated keys applied as go-yaml applies them.
#[derive(Clone, Copy, Debug)]
pub struct Field<'a, T> {
    /// The key as the view looked it up (`privileged`, `maxSurge`, a resource name), for
    /// messages.
    pub name: &'a str,
    /// The value, when it is of the field's type.
    pub value: Option<T>,
    pub key_span: Span,
    /// Where a finding about the value points: the value's text, or the alias site.
    pub value_span: Span,
    pub node: Node<'a>,
}

impl<'a, T> Field<'a, T> {
    /// The field `name` of the mapping `parent`, its value read with `read`.
    pub(crate) fn read(
        parent: Node<'a>,
        name: &'static str,
        read: impl FnOnce(&Node<'a>) -> Option<T>,
    ) -> Option<Self> {
        let (key, node) = parent.entry(name)?;
        Some(Self {
            name,
            value: read(&node),
            key_span: key.span(),
            value_span: node.span(),
            node,
        })
    }

    /// True for an explicit null (`privileged:`, `privileged: null`, `~`).
    #[must_use]
    pub fn is_null(&self) -> bool {
        self.node.is_null()
    }

    /// The field, unless its value is null (most fields treat null as unset).
    #[must_use]
    pub fn non_null(self) -> Option<Self> {
        (!self.is_null()).then_some(self)
    }

    /// The scalar's text as written (after escapes), whatever it resolves to.
    #[must_use]
    pub fn text(&self) -> Option<&'a str> {
        self.node.scalar_text()
    }
}

impl<T: PartialEq> Field<'_, T> {
    /// True when the value is `expected` (a value of another type never is).
    #[must_use]
    pub fn is(&self, expected: T) -> bool {
        self.value.as_ref() == Some(&expected)
    }
}

/// A boolean field.
pub(crate) fn bool_field<'a>(parent: Node<'a>, name: &'static str) -> Option<Field<'a, bool>> {
    Field::read(parent, name, Node::as_bool)
}

/// An integer field.
pub(crate) fn int_field<'a>(parent: Node<'a>, name: &'static str) -> Option<Field<'a, i64>> {
    Field::read(parent, name, Node::as_i64)
}

/// A string field (a quoted string, or a plain scalar that resolves to a string).
pub(crate) fn str_field<'a>(parent: Node<'a>, name: &'static str) -> Option<Field<'a, &'a str>> {
    Field::read(parent, name, Node::as_str)
}

/// Whether a field's value is `expected`, for an optional field (absent is not).
pub fn is<T: PartialEq>(field: Option<Field<'_, T>>, expected: T) -> bool {
    field.is_some_and(|f| f.is(expected))
}
