//! Views over the span tree: Kubernetes objects, DaemonSets, pod specs and containers, each
//! exposing the nodes (and so the spans) of the fields the rules read.
//!
//! The fields several rules share have typed accessors that return a [`Field`] (the value as
//! its API type, the key's span and the value's span): host namespaces
//! ([`DaemonSet::host_network`]), `securityContext` ([`SecurityContext`], with
//! [`DaemonSet::effective_security`] for the pod-or-container settings), volumes, hostPath and
//! `volumeMounts` ([`Volumes`], [`VolumeMount`]), `resources` ([`Resources`]), `tolerations`
//! ([`Tolerations`]) and `updateStrategy` ([`UpdateStrategy`]). Rules read those fields through
//! them and spell no key strings for them (a test in `tests.rs` checks the rule files); a new
//! field several rules read gets an accessor here.

mod field;
mod resources;
mod security;
mod strategy;
mod tolerations;
mod volumes;

#[cfg(test)]
mod tests;

pub use field::{is, Field};
pub use resources::{ResourceList, Resources};
pub use security::{Capabilities, SeccompProfile, SecurityContext};
pub use strategy::{RollingUpdate, UpdateStrategy};
pub use tolerations::{TolerationFields, Tolerations};
pub use volumes::{HostPath, HostPathVolume, Volume, VolumeMount, Volumes};

use crate::diagnostic::ObjectRef;
use crate::source::Span;
use crate::yaml::{Document, Node};

/// A Kubernetes object: a document's root mapping, or one item of a `kind: List`.
#[derive(Clone, Copy, Debug)]
pub struct Object<'a> {
    pub node: Node<'a>,
    pub kind: &'a str,
    pub api_version: Option<&'a str>,
    pub document: usize,
    /// Position in `items` when the object comes from a `kind: List`.
    pub list_index: Option<usize>,
}

impl<'a> Object<'a> {
    #[must_use]
    pub fn metadata(&self) -> Option<Node<'a>> {
        self.node.get("metadata").filter(Node::is_mapping)
    }

    #[must_use]
    pub fn name(&self) -> Option<&'a str> {
        self.metadata()?.get("name")?.as_str()
    }

    #[must_use]
    pub fn namespace(&self) -> Option<&'a str> {
        self.metadata()?.get("namespace")?.as_str()
    }

    #[must_use]
    pub fn reference(&self) -> ObjectRef {
        ObjectRef {
            kind: self.kind.to_string(),
            name: self.name().map(str::to_string),
            namespace: self.namespace().map(str::to_string),
        }
    }

    /// The dotted path from the document root to the key or node at `span` (a `kind: List`
    /// item starts with `items[i]`).
    #[must_use]
    pub fn path_to(&self, span: Span) -> Option<String> {
        let path = self.node.path_to(span)?;
        Some(match self.list_index {
            Some(i) if path.is_empty() => format!("items[{i}]"),
            Some(i) => format!("items[{i}].{path}"),
            None => path,
        })
    }

    /// The span to use when a finding is about the whole object: its `kind` value.
    #[must_use]
    pub fn anchor_span(&self) -> Span {
        self.node
            .entry("kind")
            .map_or(self.node.span(), |(k, _)| k.span())
    }
}

/// The objects of a document: the root itself, or the items of a `List`.
#[must_use]
pub fn objects<'a>(doc: &'a Document<'a>) -> Vec<Object<'a>> {
    let mut out = Vec::new();
    let Some(root) = doc.root() else { return out };
    if !root.is_mapping() {
        return out;
    }
    let Some(kind) = root.get("kind").and_then(|k| k.as_str()) else {
        return out;
    };
    let api_version = root.get("apiVersion").and_then(|v| v.as_str());
    if kind == "List"
        || (kind.ends_with("List") && root.get("items").is_some_and(|i| i.is_sequence()))
    {
        for (i, item) in root
            .get("items")
            .into_iter()
            .flat_map(|items| items.items())
            .enumerate()
        {
            if !item.is_mapping() {
                continue;
            }
            if let Some(kind) = item.get("kind").and_then(|k| k.as_str()) {
                out.push(Object {
                    node: item,
                    kind,
                    api_version: item.get("apiVersion").and_then(|v| v.as_str()),
                    document: doc.index,
                    list_index: Some(i),
                });
            }
        }
    } else {
        out.push(Object {
            node: root,
            kind,
            api_version,
            document: doc.index,
            list_index: None,
        });
    }
    out
}

/// Which list of the pod spec a container comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContainerKind {
    Container,
    Init,
    Ephemeral,
}

impl ContainerKind {
    #[must_use]
    pub fn field(self) -> &'static str {
        match self {
            Self::Container => "containers",
            Self::Init => "initContainers",
            Self::Ephemeral => "ephemeralContainers",
        }
    }

    #[must_use]
    pub fn noun(self) -> &'static str {
        match self {
            Self::Container => "container",
            Self::Init => "init container",
            Self::Ephemeral => "ephemeral container",
        }
    }
}

/// One container of the pod template.
#[derive(Clone, Copy, Debug)]
pub struct Container<'a> {
    pub node: Node<'a>,
    pub kind: ContainerKind,
    pub index: usize,
}

impl<'a> Container<'a> {
    #[must_use]
    pub fn name(&self) -> Option<&'a str> {
        self.node.get("name")?.as_str()
    }

    /// `container "agent"` / `init container "setup"` / `container #2` for messages.
    #[must_use]
    pub fn describe(&self) -> String {
        match self.name() {
            Some(name) => format!("{} `{name}`", self.kind.noun()),
            None => format!("{} #{}", self.kind.noun(), self.index + 1),
        }
    }

    #[must_use]
    pub fn get(&self, key: &str) -> Option<Node<'a>> {
        self.node.get(key)
    }

    /// The container's `securityContext`, when it is a mapping.
    #[must_use]
    pub fn security_context(&self) -> Option<SecurityContext<'a>> {
        SecurityContext::of(self.node)
    }

    /// The `securityContext` value whatever its type (a fix adds to it only if it is a
    /// mapping).
    #[must_use]
    pub fn security_context_value(&self) -> Option<Node<'a>> {
        self.node.get("securityContext")
    }

    /// Where a missing `securityContext` setting belongs: the `securityContext` key, else the
    /// container's name.
    #[must_use]
    pub fn security_context_span(&self) -> Span {
        self.node
            .entry("securityContext")
            .map_or_else(|| self.name_span(), |(key, _)| key.span())
    }

    /// `securityContext.capabilities.add`: each item with its name as the runtime reads it
    /// (upper case, without `CAP_`).
    #[must_use]
    pub fn added_capabilities(&self) -> Vec<(Node<'a>, String)> {
        self.security_context()
            .and_then(|sc| sc.capabilities())
            .map(|c| c.add())
            .unwrap_or_default()
    }

    /// The container's `volumeMounts` entries, as nodes.
    pub fn volume_mounts(&self) -> impl Iterator<Item = Node<'a>> + 'a {
        self.node
            .get("volumeMounts")
            .into_iter()
            .flat_map(|m| m.items())
    }

    /// The container's `volumeMounts` entries.
    pub fn mounts(&self) -> impl Iterator<Item = VolumeMount<'a>> + 'a {
        self.volume_mounts().map(|node| VolumeMount { node })
    }

    /// The container's `volumeDevices` entries (a device names its volume as a mount does).
    pub fn devices(&self) -> impl Iterator<Item = VolumeMount<'a>> + 'a {
        self.node
            .get("volumeDevices")
            .into_iter()
            .flat_map(|m| m.items())
            .map(|node| VolumeMount { node })
    }

    /// The container's `resources`.
    #[must_use]
    pub fn resources(&self) -> Option<Resources<'a>> {
        Resources::of(self.node)
    }

    /// The span of the container's name value, or the container item itself.
    #[must_use]
    pub fn name_span(&self) -> Span {
        self.node.get("name").map_or(self.node.span(), |n| n.span())
    }
}

/// A DaemonSet whose shape is good enough to lint.
#[derive(Clone, Debug)]
pub struct DaemonSet<'a> {
    pub object: Object<'a>,
    pub spec: Node<'a>,
    pub template: Node<'a>,
    /// The pod spec (`spec.template.spec`).
    pub pod: Node<'a>,
    /// The key node `spec` of the pod template, for findings about the pod as a whole.
    pub pod_key: Node<'a>,
    pub containers: Vec<Container<'a>>,
}

/// Why a DaemonSet cannot be linted, with the span to blame.
#[derive(Clone, Debug)]
pub struct ShapeError {
    pub span: Span,
    pub message: String,
    /// The object looks like YAML pasted with its indentation lost: other findings about its
    /// structure would only repeat that.
    pub lost_indentation: bool,
}

fn expect_mapping<'a>(
    parent: Node<'a>,
    parent_key: Span,
    key: &str,
    path: &str,
) -> Result<(Node<'a>, Node<'a>), ShapeError> {
    match parent.entry(key) {
        None => Err(ShapeError {
            span: parent_key,
            message: format!("`{path}` is missing"),
            lost_indentation: false,
        }),
        Some((k, v)) if v.is_mapping() => Ok((k, v)),
        Some((k, v)) => Err(ShapeError {
            span: if v.is_null() && v.span().is_empty() {
                k.span()
            } else {
                v.span()
            },
            message: format!(
                "`{path}` must be a mapping, but it is a {}",
                v.node_type().name()
            ),
            lost_indentation: false,
        }),
    }
}

impl<'a> DaemonSet<'a> {
    /// Build the view, or explain why the object is not a lintable DaemonSet.
    pub fn from_object(object: Object<'a>) -> Result<Self, ShapeError> {
        let root = object.node;
        Self::shape(object).map_err(|err| lost_indentation(root).unwrap_or(err))
    }

    fn shape(object: Object<'a>) -> Result<Self, ShapeError> {
        let root = object.node;
        let (spec_key, spec) = expect_mapping(root, object.anchor_span(), "spec", "spec")?;
        let (template_key, template) =
            expect_mapping(spec, spec_key.span(), "template", "spec.template")?;
        let (pod_key, pod) =
            expect_mapping(template, template_key.span(), "spec", "spec.template.spec")?;
        let mut containers = Vec::new();
        for kind in [
            ContainerKind::Container,
            ContainerKind::Init,
            ContainerKind::Ephemeral,
        ] {
            let field = kind.field();
            match pod.get(field) {
                None => {
                    if kind == ContainerKind::Container {
                        return Err(ShapeError {
                            span: pod_key.span(),
                            message: "`spec.template.spec.containers` is missing".into(),
                            lost_indentation: false,
                        });
                    }
                }
                Some(list) if list.is_sequence() => {
                    for (index, item) in list.items().enumerate() {
                        if !item.is_mapping() {
                            return Err(ShapeError {
                                span: item.span(),
                                message: format!(
                                    "`spec.template.spec.{field}[{index}]` must be a mapping, but it is a {}",
                                    item.node_type().name()
                                ),
                                lost_indentation: false,
                            });
                        }
                        containers.push(Container {
                            node: item,
                            kind,
                            index,
                        });
                    }
                }
                Some(list) if list.is_null() && kind != ContainerKind::Container => {}
                Some(other) => {
                    return Err(ShapeError {
                        span: other.span(),
                        message: format!(
                            "`spec.template.spec.{field}` must be a list, but it is a {}",
                            other.node_type().name()
                        ),
                        lost_indentation: false,
                    });
                }
            }
        }
        if !containers
            .iter()
            .any(|c| c.kind == ContainerKind::Container)
        {
            let span = pod.get("containers").map_or(pod_key.span(), |n| n.span());
            return Err(ShapeError {
                span,
                message:
                    "`spec.template.spec.containers` is empty: a pod needs at least one container"
                        .into(),
                lost_indentation: false,
            });
        }
        Ok(Self {
            object,
            spec,
            template,
            pod,
            pod_key,
            containers,
        })
    }

    /// Regular, init and ephemeral containers.
    pub fn all_containers(&self) -> impl Iterator<Item = &Container<'a>> {
        self.containers.iter()
    }

    /// Containers that can carry resources (regular and init).
    pub fn resourced_containers(&self) -> impl Iterator<Item = &Container<'a>> {
        self.containers
            .iter()
            .filter(|c| c.kind != ContainerKind::Ephemeral)
    }

    /// Regular containers only (probes and ports apply to them).
    pub fn regular_containers(&self) -> impl Iterator<Item = &Container<'a>> {
        self.containers
            .iter()
            .filter(|c| c.kind == ContainerKind::Container)
    }

    /// The non-zero `hostPort` values of the regular containers' `ports`.
    #[must_use]
    pub fn host_ports(&self) -> Vec<Node<'a>> {
        self.regular_containers()
            .flat_map(|c| c.get("ports").into_iter().flat_map(|p| p.items()))
            .filter_map(|port| port.get("hostPort"))
            .filter(|p| p.as_i64().is_some_and(|n| n > 0))
            .collect()
    }

    #[must_use]
    pub fn pod_field(&self, key: &str) -> Option<Node<'a>> {
        self.pod.get(key)
    }

    /// The pod-level `securityContext`, when it is a mapping.
    #[must_use]
    pub fn pod_security_context(&self) -> Option<SecurityContext<'a>> {
        SecurityContext::of(self.pod)
    }

    /// A security setting as it applies to `container`: the container's `securityContext` field,
    /// else the pod's (for fields both levels have, e.g. `runAsUser`, `runAsNonRoot`), read by
    /// `field` (`SecurityContext::run_as_user`). Null values count as unset.
    #[must_use]
    pub fn effective_security<T>(
        &self,
        container: &Container<'a>,
        field: impl Fn(&SecurityContext<'a>) -> Option<Field<'a, T>>,
    ) -> Option<Field<'a, T>> {
        container
            .security_context()
            .and_then(|sc| field(&sc))
            .and_then(Field::non_null)
            .or_else(|| {
                self.pod_security_context()
                    .and_then(|sc| field(&sc))
                    .and_then(Field::non_null)
            })
    }

    /// `hostNetwork`.
    #[must_use]
    pub fn host_network(&self) -> Option<Field<'a, bool>> {
        field::bool_field(self.pod, "hostNetwork")
    }

    /// `hostPID`.
    #[must_use]
    pub fn host_pid(&self) -> Option<Field<'a, bool>> {
        field::bool_field(self.pod, "hostPID")
    }

    /// `hostIPC`.
    #[must_use]
    pub fn host_ipc(&self) -> Option<Field<'a, bool>> {
        field::bool_field(self.pod, "hostIPC")
    }

    /// True when the pods use the node's network (`hostNetwork: true`).
    #[must_use]
    pub fn uses_host_network(&self) -> bool {
        is(self.host_network(), true)
    }

    /// The pod-level `resources` (Kubernetes 1.32+: limits and requests for the whole pod).
    #[must_use]
    pub fn pod_resources(&self) -> Option<Resources<'a>> {
        Resources::of(self.pod)
    }

    /// The pod spec's `volumes`.
    #[must_use]
    pub fn volumes(&self) -> Volumes<'a> {
        Volumes {
            node: self.pod.get("volumes"),
        }
    }

    /// The pod spec's `tolerations`.
    #[must_use]
    pub fn tolerations(&self) -> Option<Tolerations<'a>> {
        Tolerations::of(self.pod)
    }

    /// `spec.updateStrategy`, when present (null included).
    #[must_use]
    pub fn update_strategy(&self) -> Option<UpdateStrategy<'a>> {
        UpdateStrategy::of(self.spec)
    }

    /// True when the pods only run on Windows nodes: `spec.os.name: windows`, a `nodeSelector`
    /// on `kubernetes.io/os: windows`, or required node affinity whose every term selects only
    /// Windows. Linux-only security settings (`runAsUser`, capabilities, read-only root
    /// filesystems) do not apply to them.
    #[must_use]
    pub fn targets_windows(&self) -> bool {
        if self.pod.get_path(&["os", "name"]).and_then(|n| n.as_str()) == Some("windows") {
            return true;
        }
        if let Some(selector) = self.pod.get("nodeSelector") {
            for (key, value) in selector.entries() {
                if let Some(key) = key.scalar_text() {
                    if is_windows_os(key, value.scalar_text().into_iter()) {
                        return true;
                    }
                }
            }
        }
        let terms = required_node_selector_terms(self.pod);
        !terms.is_empty()
            && terms.iter().all(|term| {
                term.get("matchExpressions")
                    .into_iter()
                    .flat_map(|e| e.items())
                    .any(|expr| {
                        let key = expr.get("key").and_then(|k| k.scalar_text()).unwrap_or("");
                        let op = expr.get("operator").and_then(|k| k.scalar_text());
                        let values = expr
                            .get("values")
                            .into_iter()
                            .flat_map(|v| v.items())
                            .filter_map(|v| v.scalar_text());
                        op == Some("In") && is_windows_os(key, values)
                    })
            })
    }

    /// Names of `volumes` entries that are hostPath volumes, with the volume node.
    #[must_use]
    pub fn host_path_volumes(&self) -> Vec<(&'a str, Node<'a>)> {
        self.volumes()
            .host_paths()
            .into_iter()
            .map(|v| (v.name, v.volume.node))
            .collect()
    }
}

/// A capability name as the runtime reads it: upper case, without the `CAP_` prefix.
#[must_use]
pub fn normalize_capability(name: &str) -> String {
    let upper = name.trim().to_ascii_uppercase();
    match upper.strip_prefix("CAP_") {
        Some(rest) => rest.to_string(),
        None => upper,
    }
}

/// True when a node-selection requirement on `key` with `values` admits only Windows nodes.
pub fn is_windows_os<'a>(key: &str, mut values: impl Iterator<Item = &'a str>) -> bool {
    if !matches!(key, "kubernetes.io/os" | "beta.kubernetes.io/os") {
        return false;
    }
    let mut any = false;
    let all = values.all(|v| {
        any = true;
        v == "windows"
    });
    any && all
}

/// Keys that belong inside a DaemonSet, never at its top level.
const NESTED_KEYS: &[&str] = &[
    "name",
    "namespace",
    "labels",
    "annotations",
    "selector",
    "matchLabels",
    "template",
    "containers",
    "initContainers",
    "image",
    "volumes",
    "volumeMounts",
    "updateStrategy",
    "tolerations",
    "nodeSelector",
    "hostNetwork",
    "serviceAccountName",
    "resources",
];

/// A DaemonSet whose nested keys sit at the top level was pasted with its indentation lost:
/// say so once instead of reporting each missing piece.
fn lost_indentation(root: Node<'_>) -> Option<ShapeError> {
    let stray: Vec<(&str, Span)> = root
        .entries()
        .into_iter()
        .filter_map(|(k, _)| {
            let key = k.scalar_text()?;
            NESTED_KEYS.contains(&key).then_some((key, k.span()))
        })
        .collect();
    if stray.len() < 2 {
        return None;
    }
    let names: Vec<String> = stray
        .iter()
        .take(4)
        .map(|(k, _)| format!("`{k}`"))
        .collect();
    let more = if stray.len() > 4 {
        format!(" and {} more", stray.len() - 4)
    } else {
        String::new()
    };
    Some(ShapeError {
        span: stray[0].1,
        message: format!(
            "{}{more} sit at the top level of the document, where they do not belong: this looks \
             like YAML pasted with its indentation lost",
            names.join(", ")
        ),
        lost_indentation: true,
    })
}

/// The terms of a pod spec's required node affinity (ORed by the scheduler).
#[must_use]
pub fn required_node_selector_terms<'a>(pod: Node<'a>) -> Vec<Node<'a>> {
    pod.get_path(&[
        "affinity",
        "nodeAffinity",
        "requiredDuringSchedulingIgnoredDuringExecution",
        "nodeSelectorTerms",
    ])
    .into_iter()
    .flat_map(|t| t.items())
    .collect()
}
