//! The pod's `volumes` and the containers' `volumeMounts` (and `volumeDevices`).

use super::field::{bool_field, str_field, Field};
use crate::yaml::Node;

/// The pod spec's `volumes` (absent, or a value of any type).
#[derive(Clone, Copy, Debug)]
pub struct Volumes<'a> {
    /// The `volumes` value, when the key is present.
    pub node: Option<Node<'a>>,
}

impl<'a> Volumes<'a> {
    /// True when `volumes` is present with a value that is neither a list nor null (a schema
    /// error: the names in it cannot be judged).
    #[must_use]
    pub fn is_malformed(&self) -> bool {
        self.node.is_some_and(|v| !v.is_sequence() && !v.is_null())
    }

    /// The items of the list (none when it is not a list).
    pub fn iter(&self) -> impl Iterator<Item = Volume<'a>> + 'a {
        self.node
            .into_iter()
            .flat_map(|v| v.items())
            .map(|node| Volume { node })
    }

    /// The hostPath volumes: those with a name and a `hostPath` mapping.
    #[must_use]
    pub fn host_paths(&self) -> Vec<HostPathVolume<'a>> {
        self.iter()
            .filter_map(|volume| {
                let name = volume.name()?.value?;
                let host_path = volume.host_path()?;
                Some(HostPathVolume {
                    name,
                    volume,
                    host_path,
                })
            })
            .collect()
    }
}

/// One item of `volumes`.
#[derive(Clone, Copy, Debug)]
pub struct Volume<'a> {
    pub node: Node<'a>,
}

impl<'a> Volume<'a> {
    #[must_use]
    pub fn name(&self) -> Option<Field<'a, &'a str>> {
        str_field(self.node, "name")
    }

    /// The `hostPath` source, when it is a mapping.
    #[must_use]
    pub fn host_path(&self) -> Option<HostPath<'a>> {
        self.node
            .get("hostPath")
            .filter(Node::is_mapping)
            .map(|node| HostPath { node })
    }
}

/// A volume's `hostPath` mapping.
#[derive(Clone, Copy, Debug)]
pub struct HostPath<'a> {
    pub node: Node<'a>,
}

impl<'a> HostPath<'a> {
    /// `path`: the value is the string; [`Field::text`] gives the text of any scalar.
    #[must_use]
    pub fn path(&self) -> Option<Field<'a, &'a str>> {
        str_field(self.node, "path")
    }

    /// `type` (`Directory`, `DirectoryOrCreate`, `Socket`, ...).
    #[must_use]
    pub fn kind(&self) -> Option<Field<'a, &'a str>> {
        str_field(self.node, "type")
    }
}

/// A named hostPath volume.
#[derive(Clone, Copy, Debug)]
pub struct HostPathVolume<'a> {
    pub name: &'a str,
    pub volume: Volume<'a>,
    pub host_path: HostPath<'a>,
}

/// One item of a container's `volumeMounts` (or `volumeDevices`: the same `name`).
#[derive(Clone, Copy, Debug)]
pub struct VolumeMount<'a> {
    pub node: Node<'a>,
}

impl<'a> VolumeMount<'a> {
    /// The name of the volume it mounts.
    #[must_use]
    pub fn name(&self) -> Option<Field<'a, &'a str>> {
        str_field(self.node, "name")
    }

    /// `readOnly`.
    #[must_use]
    pub fn read_only(&self) -> Option<Field<'a, bool>> {
        bool_field(self.node, "readOnly")
    }

    /// True when the mount is read-only (`readOnly: true`).
    #[must_use]
    pub fn is_read_only(&self) -> bool {
        super::field::is(self.read_only(), true)
    }

    /// `mountPropagation` (`None`, `HostToContainer`, `Bidirectional`).
    #[must_use]
    pub fn mount_propagation(&self) -> Option<Field<'a, &'a str>> {
        str_field(self.node, "mountPropagation")
    }

    /// True for `mountPropagation: Bidirectional`.
    #[must_use]
    pub fn is_bidirectional(&self) -> bool {
        super::field::is(self.mount_propagation(), "Bidirectional")
    }
}
