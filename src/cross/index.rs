//! The run-level index: the objects of a file (Namespaces, ServiceAccounts, bindings, roles,
//! ConfigMaps, Secrets, PriorityClasses and DaemonSets), collected while the file is linted.

use super::*;

/// An object known by kind, name and namespace.
#[derive(Clone, Debug)]
pub struct Named {
    pub name: String,
    pub namespace: Option<String>,
    pub span: Span,
}

/// A Namespace and its `pod-security.kubernetes.io/*` labels (value, span of the value).
#[derive(Clone, Debug)]
pub struct NamespaceEntry {
    pub name: String,
    pub span: Span,
    pub labels: BTreeMap<String, (String, Span)>,
}

/// A RoleBinding or ClusterRoleBinding.
#[derive(Clone, Debug)]
pub struct Binding {
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
    pub role_kind: String,
    pub role_name: String,
    pub role_ref_span: Span,
    /// ServiceAccount subjects: (name, namespace as written).
    pub service_accounts: Vec<(String, Option<String>)>,
}

/// A Role or ClusterRole, reduced to whether it grants `*` verbs on `*` resources.
#[derive(Clone, Debug)]
pub struct Role {
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
    pub wildcard: bool,
    pub span: Span,
}

/// A ConfigMap or Secret the pods refer to.
#[derive(Clone, Debug)]
pub struct ConfigRef {
    /// `ConfigMap` or `Secret`.
    pub kind: &'static str,
    pub name: String,
    pub span: Span,
    /// Where: "volume `config`", "envFrom of container `agent`", ...
    pub site: String,
}

/// One hostPath volume and how it is mounted.
#[derive(Clone, Debug, serde::Serialize)]
pub struct HostPathMount {
    pub volume: String,
    pub path: String,
    /// Containers that mount it, with `true` when read-only.
    pub mounts: Vec<(String, bool)>,
    /// The sensitive location it exposes (see `sensitive-host-path`), if any.
    pub sensitive: Option<String>,
}

impl HostPathMount {
    /// Mounted writable by at least one container.
    #[must_use]
    pub fn writable(&self) -> bool {
        self.mounts.iter().any(|(_, ro)| !ro)
    }
}

/// A DaemonSet's node-level access and references.
#[derive(Clone, Debug)]
pub struct DaemonSetEntry {
    /// Kind, name and namespace (shared with the object's findings).
    pub object: std::sync::Arc<ObjectRef>,
    pub document: usize,
    pub anchor: Span,
    /// `metadata.namespace` value, else `metadata.name`, else `kind`.
    pub namespace_span: Span,
    pub pod_span: Span,
    /// `serviceAccountName` (or the deprecated `serviceAccount`) with its span; `None` when
    /// unset (the pods run as `default`).
    pub service_account: Option<(String, Span)>,
    /// `priorityClassName` with its span, when it is neither built in nor configured (see
    /// [`rules::missing_priority_class::to_look_up`]): the run-level phase looks it up.
    pub priority_class: Option<(String, Span)>,
    pub refs: Vec<ConfigRef>,
    pub pss: Box<[pss::Finding]>,
    pub level: Level,
    /// What only `daemonlint inventory` shows (`None` in other runs: the index stays small).
    inventory: Option<Box<Inventory>>,
    pub(super) suppressions: Vec<Suppressions>,
}

impl DaemonSetEntry {
    /// `metadata.name` (empty when unset).
    #[must_use]
    pub fn name(&self) -> &str {
        self.object.name.as_deref().unwrap_or_default()
    }

    /// `metadata.namespace` as written.
    #[must_use]
    pub fn namespace(&self) -> Option<&str> {
        self.object.namespace.as_deref()
    }

    /// Node-level access for the inventory (empty unless the run asked for it).
    #[must_use]
    pub fn inventory(&self) -> &Inventory {
        static EMPTY: Inventory = Inventory {
            privileged: Vec::new(),
            host_namespaces: Vec::new(),
            host_ports: Vec::new(),
            host_paths: Vec::new(),
            capabilities: Vec::new(),
        };
        self.inventory.as_deref().unwrap_or(&EMPTY)
    }

    /// The namespace the pods run in (`default` when the manifest names none).
    #[must_use]
    pub fn effective_namespace(&self) -> &str {
        self.namespace().unwrap_or("default")
    }

    #[must_use]
    pub fn service_account_name(&self) -> &str {
        self.service_account
            .as_ref()
            .map_or("default", |(n, _)| n.as_str())
    }
}

/// What one file defines, for the run-level checks.
#[derive(Clone, Debug, Default)]
pub struct FileIndex {
    pub namespaces: Vec<NamespaceEntry>,
    pub service_accounts: Vec<Named>,
    pub config_maps: Vec<Named>,
    pub secrets: Vec<Named>,
    pub bindings: Vec<Binding>,
    pub roles: Vec<Role>,
    pub priority_classes: Vec<Named>,
    pub daemonsets: Vec<DaemonSetEntry>,
    /// DaemonSets not indexed (see [`crate::engine::Indexing::OtherObjects`]) name a priority class
    /// to look up: the run-level phase must index them again (see [`may_find`]).
    pub looks_up_priority_class: bool,
}

fn str_at<'a>(node: Node<'a>, path: &[&str]) -> Option<&'a str> {
    node.get_path(path).and_then(|n| n.as_str())
}

fn value_span(object: &Object<'_>, path: &[&str]) -> Span {
    object
        .node
        .get_path(path)
        .map_or_else(|| object.anchor_span(), |n| n.span())
}

impl FileIndex {
    /// Record an object other than a DaemonSet, when it is of a kind the checks read.
    pub fn add_object(&mut self, object: &Object<'_>) {
        let name = object.name().unwrap_or_default().to_string();
        let namespace = object.namespace().map(str::to_string);
        let named = || Named {
            name: name.clone(),
            namespace: namespace.clone(),
            span: value_span(object, &["metadata", "name"]),
        };
        match object.kind {
            "Namespace" => {
                let mut labels = BTreeMap::new();
                if let Some(l) = object.node.get_path(&["metadata", "labels"]) {
                    for (k, v) in l.entries() {
                        if let (Some(k), Some(v)) = (k.scalar_text(), v.scalar_text()) {
                            if k.starts_with("pod-security.kubernetes.io/") {
                                labels.insert(k.to_string(), (v.to_string(), v_span(v, k, &l)));
                            }
                        }
                    }
                }
                self.namespaces.push(NamespaceEntry {
                    name,
                    span: value_span(object, &["metadata", "name"]),
                    labels,
                });
            }
            "ServiceAccount" => self.service_accounts.push(named()),
            "ConfigMap" => self.config_maps.push(named()),
            "Secret" => self.secrets.push(named()),
            "PriorityClass" => self.priority_classes.push(named()),
            "RoleBinding" | "ClusterRoleBinding" => {
                let role_ref = object.node.get("roleRef");
                let service_accounts = object
                    .node
                    .get("subjects")
                    .into_iter()
                    .flat_map(|s| s.items())
                    .filter(|s| str_at(*s, &["kind"]) == Some("ServiceAccount"))
                    .filter_map(|s| {
                        Some((
                            str_at(s, &["name"])?.to_string(),
                            str_at(s, &["namespace"]).map(str::to_string),
                        ))
                    })
                    .collect();
                self.bindings.push(Binding {
                    kind: object.kind.to_string(),
                    name,
                    namespace,
                    role_kind: role_ref
                        .and_then(|r| str_at(r, &["kind"]))
                        .unwrap_or("ClusterRole")
                        .to_string(),
                    role_name: role_ref
                        .and_then(|r| str_at(r, &["name"]))
                        .unwrap_or_default()
                        .to_string(),
                    role_ref_span: role_ref
                        .map(|r| r.get("name").map_or(r.span(), |n| n.span()))
                        .unwrap_or_else(|| object.anchor_span()),
                    service_accounts,
                });
            }
            "Role" | "ClusterRole" => {
                let has = |rule: Node<'_>, key: &str| {
                    rule.get(key)
                        .into_iter()
                        .flat_map(|v| v.items())
                        .any(|v| v.as_str() == Some("*"))
                };
                let wildcard = object
                    .node
                    .get("rules")
                    .into_iter()
                    .flat_map(|r| r.items())
                    .any(|r| has(r, "verbs") && has(r, "resources"));
                self.roles.push(Role {
                    kind: object.kind.to_string(),
                    name,
                    namespace,
                    wildcard,
                    span: value_span(object, &["metadata", "name"]),
                });
            }
            _ => {}
        }
    }

    /// Record a DaemonSet: its PSS findings, node-level access and references. `suppressions`
    /// are the document's and the DaemonSet's, applied later to its run-level findings.
    pub fn add_daemonset(
        &mut self,
        ds: &DaemonSet<'_>,
        reference: std::sync::Arc<ObjectRef>,
        settings: &Settings,
        inventory: bool,
        suppressions: Vec<Suppressions>,
    ) {
        let object = &ds.object;
        let mut findings = pss::evaluate(ds);
        // The level counts what a patch leaves to its base (a patch is not shown as meeting a
        // level it may not); its admission findings are only what it sets.
        let level = pss::level_of(&findings);
        if crate::k8s::partial::is_partial(ds.object.node) {
            findings.retain(|f| !f.absent);
        }
        let inventory = inventory.then(|| Box::new(Inventory::of(ds, settings)));
        let service_account = ["serviceAccountName", "serviceAccount"]
            .into_iter()
            .find_map(|k| ds.pod_field(k))
            .and_then(|n| Some((n.as_str()?.to_string(), n.span())))
            .filter(|(n, _)| !n.is_empty());
        self.daemonsets.push(DaemonSetEntry {
            object: reference,
            document: object.document,
            anchor: object
                .node
                .get_path(&["metadata", "name"])
                .map_or_else(|| object.anchor_span(), |n| n.span()),
            namespace_span: object
                .node
                .get_path(&["metadata", "namespace"])
                .or_else(|| object.node.get_path(&["metadata", "name"]))
                .map_or_else(|| object.anchor_span(), |n| n.span()),
            pod_span: ds.pod_key.span(),
            service_account,
            priority_class: rules::missing_priority_class::to_look_up(ds, settings)
                .map(|(name, span)| (name.to_string(), span)),
            refs: config_refs(ds),
            pss: findings.into_boxed_slice(),
            level,
            inventory,
            suppressions,
        });
    }

    /// Every DaemonSet of the index, as a report lists them.
    #[must_use]
    pub fn linted(&self) -> Vec<crate::findings::LintedObject> {
        self.daemonsets
            .iter()
            .map(|d| crate::findings::LintedObject {
                document: d.document,
                object: ObjectRef::clone(&d.object),
            })
            .collect()
    }

    /// Move every span `by` bytes later and every document index `documents` further (the
    /// index of a window of a large file becomes file-relative).
    pub fn shift(&mut self, by: u32, documents: usize) {
        if by == 0 {
            for ds in &mut self.daemonsets {
                ds.document += documents;
            }
            return;
        }
        for ns in &mut self.namespaces {
            ns.span = ns.span.shifted(by);
            for (_, span) in ns.labels.values_mut() {
                *span = span.shifted(by);
            }
        }
        for named in self
            .service_accounts
            .iter_mut()
            .chain(&mut self.config_maps)
            .chain(&mut self.secrets)
            .chain(&mut self.priority_classes)
        {
            named.span = named.span.shifted(by);
        }
        for binding in &mut self.bindings {
            binding.role_ref_span = binding.role_ref_span.shifted(by);
        }
        for role in &mut self.roles {
            role.span = role.span.shifted(by);
        }
        for ds in &mut self.daemonsets {
            ds.document += documents;
            for span in [&mut ds.anchor, &mut ds.namespace_span, &mut ds.pod_span]
                .into_iter()
                .chain(ds.service_account.as_mut().map(|(_, span)| span))
                .chain(ds.priority_class.as_mut().map(|(_, span)| span))
                .chain(ds.refs.iter_mut().map(|r| &mut r.span))
                .chain(ds.pss.iter_mut().map(|f| &mut f.span))
            {
                *span = span.shifted(by);
            }
            for s in &mut ds.suppressions {
                s.shift(by);
            }
        }
    }

    pub fn append(&mut self, mut other: FileIndex) {
        self.namespaces.append(&mut other.namespaces);
        self.service_accounts.append(&mut other.service_accounts);
        self.config_maps.append(&mut other.config_maps);
        self.secrets.append(&mut other.secrets);
        self.bindings.append(&mut other.bindings);
        self.roles.append(&mut other.roles);
        self.priority_classes.append(&mut other.priority_classes);
        self.daemonsets.append(&mut other.daemonsets);
        self.looks_up_priority_class |= other.looks_up_priority_class;
    }
}

/// What `daemonlint inventory` shows of a DaemonSet beyond the run-level checks' needs.
#[derive(Clone, Debug, Default)]
pub struct Inventory {
    /// Containers with `privileged: true`.
    pub privileged: Vec<String>,
    /// `hostNetwork`, `hostPID`, `hostIPC` when set.
    pub host_namespaces: Vec<String>,
    pub host_ports: Vec<String>,
    pub host_paths: Vec<HostPathMount>,
    /// (container, capability) added.
    pub capabilities: Vec<(String, String)>,
}

impl Inventory {
    fn of(ds: &DaemonSet<'_>, settings: &Settings) -> Self {
        let mut privileged = Vec::new();
        let mut capabilities = Vec::new();
        for c in ds.all_containers() {
            let name = c.name().unwrap_or("?").to_string();
            if c.security_context()
                .and_then(|sc| sc.get("privileged"))
                .and_then(|n| n.as_bool())
                == Some(true)
            {
                privileged.push(name.clone());
            }
            for (_, cap) in c.added_capabilities() {
                capabilities.push((name.clone(), cap));
            }
        }
        let host_namespaces = ["hostNetwork", "hostPID", "hostIPC"]
            .into_iter()
            .filter(|f| ds.pod_field(f).and_then(|n| n.as_bool()) == Some(true))
            .map(str::to_string)
            .collect();
        let host_network = ds.pod_field("hostNetwork").and_then(|n| n.as_bool()) == Some(true);
        let mut host_ports = Vec::new();
        for c in ds.regular_containers() {
            for port in c.get("ports").into_iter().flat_map(|p| p.items()) {
                let proto = str_at(port, &["protocol"]).unwrap_or("TCP");
                let host = port
                    .get("hostPort")
                    .and_then(|n| n.as_i64())
                    .filter(|p| *p > 0);
                let host = host.or_else(|| {
                    host_network
                        .then(|| port.get("containerPort").and_then(|n| n.as_i64()))
                        .flatten()
                });
                if let Some(p) = host {
                    host_ports.push(format!("{p}/{proto}"));
                }
            }
        }
        let mut host_paths = Vec::new();
        for (volume, node) in ds.host_path_volumes() {
            let path = str_at(node, &["hostPath", "path"]).unwrap_or_default();
            let mounts: Vec<(String, bool)> = ds
                .all_containers()
                .flat_map(|c| {
                    c.volume_mounts()
                        .filter(|m| str_at(*m, &["name"]) == Some(volume))
                        .map(move |m| {
                            (
                                c.name().unwrap_or("?").to_string(),
                                m.get("readOnly").and_then(|r| r.as_bool()) == Some(true),
                            )
                        })
                })
                .collect();
            // Judged as `sensitive-host-path` judges it (a writable `/opt/cni/bin` included).
            let writable = mounts.iter().any(|(_, read_only)| !read_only);
            let sensitive = crate::k8s::hostpath::normalize_host_path(path)
                .and_then(|p| {
                    crate::k8s::hostpath::classify_mount(
                        &p,
                        &settings.options.sensitive_host_paths,
                        writable,
                    )
                })
                .map(|(e, _)| e.entry().to_string());
            host_paths.push(HostPathMount {
                volume: volume.to_string(),
                path: path.to_string(),
                mounts,
                sensitive,
            });
        }
        Self {
            privileged,
            host_namespaces,
            host_ports,
            host_paths,
            capabilities,
        }
    }
}

fn v_span(_value: &str, key: &str, labels: &Node<'_>) -> Span {
    labels.get(key).map_or(labels.span(), |n| n.span())
}

fn optional(node: Node<'_>) -> bool {
    node.get("optional").and_then(|o| o.as_bool()) == Some(true)
}

/// ConfigMap and Secret references of the pod: volumes (and projected sources), `envFrom`,
/// `env[*].valueFrom`; references marked `optional: true` are left out.
fn config_refs(ds: &DaemonSet<'_>) -> Vec<ConfigRef> {
    let mut out = Vec::new();
    let mut push = |kind: &'static str, node: Node<'_>, key: &str, site: String| {
        if optional(node) {
            return;
        }
        if let Some(n) = node.get(key) {
            if let Some(name) = n.as_str() {
                out.push(ConfigRef {
                    kind,
                    name: name.to_string(),
                    span: n.span(),
                    site,
                });
            }
        }
    };
    for volume in ds.pod.get("volumes").into_iter().flat_map(|v| v.items()) {
        let vname = str_at(volume, &["name"]).unwrap_or("?");
        if let Some(cm) = volume.get("configMap") {
            push("ConfigMap", cm, "name", format!("volume `{vname}`"));
        }
        if let Some(s) = volume.get("secret") {
            push("Secret", s, "secretName", format!("volume `{vname}`"));
        }
        for source in volume
            .get_path(&["projected", "sources"])
            .into_iter()
            .flat_map(|s| s.items())
        {
            if let Some(cm) = source.get("configMap") {
                push(
                    "ConfigMap",
                    cm,
                    "name",
                    format!("projected volume `{vname}`"),
                );
            }
            if let Some(s) = source.get("secret") {
                push("Secret", s, "name", format!("projected volume `{vname}`"));
            }
        }
    }
    for c in ds.all_containers() {
        let who = c.describe();
        for from in c.get("envFrom").into_iter().flat_map(|e| e.items()) {
            if let Some(cm) = from.get("configMapRef") {
                push("ConfigMap", cm, "name", format!("envFrom of {who}"));
            }
            if let Some(s) = from.get("secretRef") {
                push("Secret", s, "name", format!("envFrom of {who}"));
            }
        }
        for env in c.get("env").into_iter().flat_map(|e| e.items()) {
            let var = str_at(env, &["name"]).unwrap_or("?");
            if let Some(cm) = env.get_path(&["valueFrom", "configMapKeyRef"]) {
                push("ConfigMap", cm, "name", format!("env `{var}` of {who}"));
            }
            if let Some(s) = env.get_path(&["valueFrom", "secretKeyRef"]) {
                push("Secret", s, "name", format!("env `{var}` of {who}"));
            }
        }
    }
    out
}
