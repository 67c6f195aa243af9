//! The `securityContext` of a pod or a container.

use super::field::{bool_field, int_field, str_field, Field};
use crate::source::Span;
use crate::yaml::Node;

/// A `securityContext` mapping (pod or container level).
#[derive(Clone, Copy, Debug)]
pub struct SecurityContext<'a> {
    pub node: Node<'a>,
    /// The `securityContext` key.
    pub key_span: Span,
}

impl<'a> SecurityContext<'a> {
    /// The `securityContext` of the mapping `parent` (a pod spec or a container), when it is a
    /// mapping.
    pub(crate) fn of(parent: Node<'a>) -> Option<Self> {
        let (key, node) = parent.entry("securityContext")?;
        node.is_mapping().then(|| Self {
            node,
            key_span: key.span(),
        })
    }

    /// A field without a typed accessor (the Pod Security Standards controls read many).
    #[must_use]
    pub fn get(&self, key: &str) -> Option<Node<'a>> {
        self.node.get(key)
    }

    /// A nested field without a typed accessor.
    #[must_use]
    pub fn get_path(&self, path: &[&str]) -> Option<Node<'a>> {
        self.node.get_path(path)
    }

    /// `privileged` (containers only).
    #[must_use]
    pub fn privileged(&self) -> Option<Field<'a, bool>> {
        bool_field(self.node, "privileged")
    }

    /// `allowPrivilegeEscalation` (containers only).
    #[must_use]
    pub fn allow_privilege_escalation(&self) -> Option<Field<'a, bool>> {
        bool_field(self.node, "allowPrivilegeEscalation")
    }

    /// `readOnlyRootFilesystem` (containers only).
    #[must_use]
    pub fn read_only_root_filesystem(&self) -> Option<Field<'a, bool>> {
        bool_field(self.node, "readOnlyRootFilesystem")
    }

    #[must_use]
    pub fn run_as_user(&self) -> Option<Field<'a, i64>> {
        int_field(self.node, "runAsUser")
    }

    #[must_use]
    pub fn run_as_group(&self) -> Option<Field<'a, i64>> {
        int_field(self.node, "runAsGroup")
    }

    #[must_use]
    pub fn run_as_non_root(&self) -> Option<Field<'a, bool>> {
        bool_field(self.node, "runAsNonRoot")
    }

    /// `capabilities` (containers only), whatever its type: a value that is not a mapping has
    /// no `add` or `drop`.
    #[must_use]
    pub fn capabilities(&self) -> Option<Capabilities<'a>> {
        self.node
            .get("capabilities")
            .map(|node| Capabilities { node })
    }

    /// `seccompProfile`, whatever its type.
    #[must_use]
    pub fn seccomp_profile(&self) -> Option<SeccompProfile<'a>> {
        self.node
            .get("seccompProfile")
            .map(|node| SeccompProfile { node })
    }
}

/// `securityContext.capabilities`.
#[derive(Clone, Copy, Debug)]
pub struct Capabilities<'a> {
    pub node: Node<'a>,
}

impl<'a> Capabilities<'a> {
    /// The `add` items with their names as the runtime reads them (upper case, without `CAP_`);
    /// items that are not strings are skipped.
    #[must_use]
    pub fn add(&self) -> Vec<(Node<'a>, String)> {
        capability_list(self.node.get("add"))
    }

    /// The `drop` items, read as [`Capabilities::add`] reads its own.
    #[must_use]
    pub fn drop(&self) -> Vec<(Node<'a>, String)> {
        capability_list(self.node.get("drop"))
    }
}

fn capability_list(list: Option<Node<'_>>) -> Vec<(Node<'_>, String)> {
    list.into_iter()
        .flat_map(|a| a.items())
        .filter_map(|item| Some((item, super::normalize_capability(item.as_str()?))))
        .collect()
}

/// `securityContext.seccompProfile`.
#[derive(Clone, Copy, Debug)]
pub struct SeccompProfile<'a> {
    pub node: Node<'a>,
}

impl<'a> SeccompProfile<'a> {
    /// `type` (`RuntimeDefault`, `Localhost`, `Unconfined`).
    #[must_use]
    pub fn kind(&self) -> Option<Field<'a, &'a str>> {
        str_field(self.node, "type")
    }
}
