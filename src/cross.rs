//! The run-level phase: a compact index of every linted file's objects, collected while each
//! file is linted (files are parsed once), and the checks that need objects of several files:
//! `pod-security-admission`, `missing-service-account`, `cluster-admin-binding`,
//! `missing-config-reference`. The privilege inventory is built from the same index.

use std::collections::BTreeMap;

use crate::config::Settings;
use crate::diagnostic::{Diagnostic, Label, ObjectRef, Severity};
use crate::manifest::{DaemonSet, Object};
use crate::outcome::FileReport;
use crate::pss::{self, Level};
use crate::rules::{self, RuleMeta};
use crate::source::Span;
use crate::suppress::Suppressions;
use crate::yaml::Node;

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
    suppressions: Vec<Suppressions>,
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
        suppressions: Vec<Suppressions>,
    ) {
        let object = &ds.object;
        let findings = pss::evaluate(ds);
        let level = pss::level_of(&findings);
        let inventory = settings
            .inventory
            .then(|| Box::new(Inventory::of(ds, settings)));
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
    pub fn linted(&self) -> Vec<crate::LintedObject> {
        self.daemonsets
            .iter()
            .map(|d| crate::LintedObject {
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

/// A file index and the file it came from (`None`: a `--namespaces` file, not reported on).
#[derive(Clone, Copy)]
pub struct Indexed<'a> {
    pub file: Option<usize>,
    pub name: &'a str,
    pub index: &'a FileIndex,
    /// Seen by every scope (a `--namespaces` file), not only by its own.
    pub shared: bool,
}

/// Which indexes each file's DaemonSets are compared with: the files of the same scope (see
/// [`crate::config::CrossScope`]) and the shared ones. Each file's scope is decided by its own
/// settings, once per run.
pub struct Scopes {
    keys: Vec<String>,
    groups: std::collections::HashMap<String, Vec<usize>>,
    shared: Vec<usize>,
}

impl Scopes {
    /// The scope of every index, `settings` giving the settings of the file at a position.
    pub fn of<'s>(
        indexes: &[Indexed<'_>],
        settings: &dyn Fn(usize) -> std::borrow::Cow<'s, Settings>,
    ) -> Self {
        let mut groups: std::collections::HashMap<String, Vec<usize>> =
            std::collections::HashMap::new();
        let mut shared = Vec::new();
        let mut keys = Vec::with_capacity(indexes.len());
        for (i, ix) in indexes.iter().enumerate() {
            let key = match ix.file {
                Some(file) => settings(file).cross_scope_key(ix.name),
                None => String::new(),
            };
            if ix.shared {
                shared.push(i);
            } else {
                groups.entry(key.clone()).or_default().push(i);
            }
            keys.push(key);
        }
        Self {
            keys,
            groups,
            shared,
        }
    }

    /// The indexes the DaemonSets of index `i` are compared with.
    #[must_use]
    pub fn members<'a>(&self, indexes: &[Indexed<'a>], i: usize) -> Vec<Indexed<'a>> {
        let own = self.keys.get(i).and_then(|k| self.groups.get(k));
        let mut out: Vec<usize> = own.cloned().unwrap_or_default();
        out.extend(self.shared.iter().copied());
        out.sort_unstable();
        out.dedup();
        out.into_iter()
            .filter_map(|j| indexes.get(j).copied())
            .collect()
    }
}

/// One run-level finding before it is stamped.
struct Finding {
    meta: &'static RuleMeta,
    severity: Option<Severity>,
    span: Span,
    message: String,
    help: String,
    labels: Vec<Label>,
}

fn label(file: &str, own: &str, span: Span, message: String) -> Label {
    let l = Label::new(span, message);
    if file == own {
        l
    } else {
        l.in_file(file)
    }
}

/// Run the run-level checks over every index and append the findings to their files.
/// `settings` gives each file's settings by position in `files`.
pub fn check<'s>(
    files: &mut [FileReport],
    indexes: &[Indexed<'_>],
    settings: &dyn Fn(usize) -> std::borrow::Cow<'s, Settings>,
) {
    let scopes = Scopes::of(indexes, settings);
    for (i, ix) in indexes.iter().enumerate() {
        let Some(file) = ix.file else { continue };
        if ix.index.daemonsets.is_empty() {
            continue;
        }
        let Some(report) = files.get_mut(file) else {
            continue;
        };
        let scoped = scopes.members(indexes, i);
        let mut out = check_daemonsets(&ix.index.daemonsets, ix.name, &scoped, &settings(file));
        if !out.is_empty() {
            // Sorted once per file (sorting after every DaemonSet was quadratic on large
            // multi-document files).
            report.diagnostics.append(&mut out);
            report
                .diagnostics
                .sort_by_key(|d| (d.span.start, d.span.end));
        }
    }
}

/// The run-level findings of DaemonSets of the file named `own`, against the objects of every
/// index given (only their objects other than DaemonSets are read): the indexes of its scope
/// (see [`Scopes`]).
#[must_use]
pub fn check_daemonsets(
    daemonsets: &[DaemonSetEntry],
    own: &str,
    indexes: &[Indexed<'_>],
    settings: &Settings,
) -> Vec<Diagnostic> {
    let mut all = Vec::new();
    for ds in daemonsets {
        let mut found = Vec::new();
        admission(ds, own, indexes, settings, &mut found);
        service_account(ds, indexes, &mut found);
        cluster_admin(ds, own, indexes, &mut found);
        config_refs_check(ds, indexes, &mut found);
        priority_class(ds, indexes, settings, &mut found);
        let mut out = Vec::new();
        for f in found {
            let Some(default) = settings.severity_of(f.meta) else {
                continue;
            };
            let configured = settings.severity_configured(f.meta.id, f.meta.default_severity);
            let mut d = Diagnostic::new(
                f.meta.id,
                match f.severity {
                    Some(own) if !configured => own,
                    _ => default,
                },
                f.span,
                f.message,
            );
            d.help = Some(f.help.into());
            d.labels = f.labels;
            d.document = ds.document;
            d.object = Some(std::sync::Arc::clone(&ds.object));
            out.push(d);
        }
        for s in &ds.suppressions {
            s.clone().apply(&mut out);
        }
        crate::suppress_stage::apply(settings, own, &[], &mut out);
        all.append(&mut out);
    }
    all
}

/// Whether DaemonSets under `settings` can have run-level findings in this run: only when
/// the files define objects the checks compare them with (Namespaces, ServiceAccounts,
/// bindings, ConfigMaps, Secrets), or a Pod Security level applies to every namespace.
#[must_use]
pub fn may_find(indexes: &[Indexed<'_>], settings: &Settings) -> bool {
    settings.options.pod_security_default_level != Level::Privileged
        || indexes.iter().any(|ix| {
            let i = ix.index;
            i.looks_up_priority_class
                || !(i.namespaces.is_empty()
                    && i.service_accounts.is_empty()
                    && i.bindings.is_empty()
                    && i.config_maps.is_empty()
                    && i.secrets.is_empty())
        })
}

const PREFIX: &str = "pod-security.kubernetes.io/";

fn admission(
    ds: &DaemonSetEntry,
    own: &str,
    indexes: &[Indexed<'_>],
    settings: &Settings,
    out: &mut Vec<Finding>,
) {
    let ns_name = ds.effective_namespace();
    let namespace = indexes.iter().find_map(|ix| {
        ix.index
            .namespaces
            .iter()
            .find(|n| n.name == ns_name)
            .map(|n| (ix.name, n))
    });
    // (mode, level, where the level comes from: file, span, description)
    type Origin<'a> = Option<(&'a str, Span, String)>;
    let mut modes: Vec<(&str, Level, Origin<'_>)> = Vec::new();
    match namespace {
        Some((file, ns)) => {
            let any = ["enforce", "warn", "audit"]
                .iter()
                .any(|m| ns.labels.contains_key(&format!("{PREFIX}{m}")));
            for mode in ["enforce", "warn", "audit"] {
                let Some((value, span)) = ns.labels.get(&format!("{PREFIX}{mode}")) else {
                    continue;
                };
                let Some(level) = Level::parse(value) else {
                    continue;
                };
                let version = ns
                    .labels
                    .get(&format!("{PREFIX}{mode}-version"))
                    .map_or("latest", |(v, _)| v.as_str());
                modes.push((
                    mode,
                    level,
                    Some((file, *span, format!("{mode}: {level} (version {version})"))),
                ));
            }
            if !any {
                let level = settings.options.pod_security_default_level;
                modes.push((
                    "enforce",
                    level,
                    Some((
                        file,
                        ns.span,
                        format!("no pod-security labels: the cluster default `{level}` applies"),
                    )),
                ));
            }
        }
        None => {
            // Only namespaces in the linted set are known; a namespace defined elsewhere may
            // carry labels we cannot see, so only the configured default applies.
            let level = settings.options.pod_security_default_level;
            if level != Level::Privileged {
                modes.push(("enforce", level, None));
            }
        }
    }
    for (mode, level, origin) in modes {
        let violations: Vec<&pss::Finding> =
            ds.pss.iter().filter(|f| pss::violates(f, level)).collect();
        if violations.is_empty() {
            continue;
        }
        let mut list: Vec<String> = Vec::new();
        for v in &violations {
            if !list.contains(&v.what) {
                list.push(v.what.clone());
            }
        }
        let shown = list.iter().take(6).cloned().collect::<Vec<_>>().join(", ");
        let more = if list.len() > 6 {
            format!(" and {} more", list.len() - 6)
        } else {
            String::new()
        };
        let (verb, severity) = match mode {
            "enforce" => ("will be rejected", Severity::Error),
            "warn" => (
                "will be admitted with a warning to the user",
                Severity::Warning,
            ),
            _ => (
                "will be admitted and recorded in the audit log",
                Severity::Warning,
            ),
        };
        let mut labels: Vec<Label> = violations
            .iter()
            .take(6)
            .map(|v| Label::new(v.span, format!("{} ({} control)", v.what, v.control.name)))
            .collect();
        if let Some((file, span, text)) = origin {
            labels.insert(
                0,
                label(file, own, span, format!("namespace `{ns_name}`: {text}")),
            );
        }
        out.push(Finding {
            meta: &rules::POD_SECURITY_ADMISSION,
            severity: Some(severity),
            span: ds.namespace_span,
            message: format!(
                "this DaemonSet's pods {verb} in namespace {ns_name} ({mode}: {level}): {shown}{more}"
            ),
            help: format!(
                "make the pod template satisfy the `{level}` level (turn on the `pss-*` rules to see each control), or run the DaemonSet in a namespace whose `pod-security.kubernetes.io/{mode}` level allows it (node agents usually live in a `privileged` namespace)"
            ),
            labels,
        });
    }
}

fn service_account(ds: &DaemonSetEntry, indexes: &[Indexed<'_>], out: &mut Vec<Finding>) {
    let Some((name, span)) = &ds.service_account else {
        return;
    };
    let ns = ds.effective_namespace();
    let in_ns = |n: &Named| n.namespace.as_deref().unwrap_or("default") == ns;
    let all: Vec<&Named> = indexes
        .iter()
        .flat_map(|ix| ix.index.service_accounts.iter())
        .filter(|n| in_ns(n))
        .collect();
    if all.is_empty() || all.iter().any(|n| &n.name == name) {
        return;
    }
    let known: Vec<String> = all
        .iter()
        .take(5)
        .map(|n| format!("`{}`", n.name))
        .collect();
    out.push(Finding {
        meta: &rules::MISSING_SERVICE_ACCOUNT,
        severity: None,
        span: *span,
        message: format!(
            "ServiceAccount `{name}` is not among the ServiceAccounts these files define in namespace {ns} ({}): if it does not exist in the cluster, the DaemonSet controller cannot create a single pod",
            known.join(", ")
        ),
        help: "add the ServiceAccount to the manifests, or fix the name (a typo is the usual cause)".into(),
        labels: Vec::new(),
    });
}

fn cluster_admin(ds: &DaemonSetEntry, own: &str, indexes: &[Indexed<'_>], out: &mut Vec<Finding>) {
    let sa = ds.service_account_name();
    let ns = ds.effective_namespace();
    for ix in indexes {
        for b in &ix.index.bindings {
            let binds = b.service_accounts.iter().any(|(n, subject_ns)| {
                n == sa
                    && subject_ns
                        .as_deref()
                        .or(b.namespace.as_deref())
                        .unwrap_or("default")
                        == ns
            });
            if !binds {
                continue;
            }
            let admin = b.role_kind == "ClusterRole" && b.role_name == "cluster-admin";
            let wildcard = indexes.iter().find_map(|rx| {
                rx.index
                    .roles
                    .iter()
                    .find(|r| {
                        r.wildcard
                            && r.kind == b.role_kind
                            && r.name == b.role_name
                            && (r.kind == "ClusterRole" || r.namespace == b.namespace)
                    })
                    .map(|r| (rx.name, r))
            });
            if !admin && wildcard.is_none() {
                continue;
            }
            let what = if admin {
                "`cluster-admin`".to_string()
            } else {
                format!(
                    "{} `{}` (`*` verbs on `*` resources)",
                    b.role_kind, b.role_name
                )
            };
            let mut labels = vec![label(
                ix.name,
                own,
                b.role_ref_span,
                format!("{} `{}` grants {what} here", b.kind, b.name),
            )];
            if let Some((file, r)) = wildcard {
                labels.push(label(
                    file,
                    own,
                    r.span,
                    format!(
                        "{} `{}` allows every verb on every resource",
                        r.kind, r.name
                    ),
                ));
            }
            let span = ds.service_account.as_ref().map_or(ds.pod_span, |(_, s)| *s);
            out.push(Finding {
                meta: &rules::CLUSTER_ADMIN_BINDING,
                severity: None,
                span,
                message: format!(
                    "ServiceAccount `{sa}` of this DaemonSet is bound to {what} by {} `{}`: every node then holds cluster-admin credentials, and one compromised node owns the cluster",
                    b.kind, b.name
                ),
                help: "bind a role that grants only what the agent needs (e.g. `get`/`list`/`watch` on the resources it reads)".into(),
                labels,
            });
        }
    }
}

fn config_refs_check(ds: &DaemonSetEntry, indexes: &[Indexed<'_>], out: &mut Vec<Finding>) {
    let ns = ds.effective_namespace();
    for r in &ds.refs {
        let defined: Vec<&Named> = indexes
            .iter()
            .flat_map(|ix| {
                if r.kind == "ConfigMap" {
                    ix.index.config_maps.iter()
                } else {
                    ix.index.secrets.iter()
                }
            })
            .filter(|n| n.namespace.as_deref().unwrap_or("default") == ns)
            .collect();
        if defined.is_empty() || defined.iter().any(|n| n.name == r.name) {
            continue;
        }
        out.push(Finding {
            meta: &rules::MISSING_CONFIG_REFERENCE,
            severity: None,
            span: r.span,
            message: format!(
                "{} `{}` ({}) is not among the {}s these files define in namespace {ns}: pods that need a missing {} stay in ContainerCreating (or CreateContainerConfigError) on every node",
                r.kind, r.name, r.site, r.kind, r.kind
            ),
            help: format!(
                "add the {} to the manifests, fix the name, or mark the reference `optional: true` if the agent runs without it",
                r.kind
            ),
            labels: Vec::new(),
        });
    }
}

fn priority_class(
    ds: &DaemonSetEntry,
    indexes: &[Indexed<'_>],
    settings: &Settings,
    out: &mut Vec<Finding>,
) {
    let Some((name, span)) = &ds.priority_class else {
        return;
    };
    // The configured classes may differ between the file that indexed the DaemonSet and now
    // (they do not: both are the file's settings), and built-in classes are the rule's own.
    if settings.options.priority_classes.iter().any(|c| c == name) {
        return;
    }
    let defined = indexes
        .iter()
        .flat_map(|ix| ix.index.priority_classes.iter())
        .any(|p| &p.name == name);
    if defined {
        return;
    }
    let built_in: Vec<String> = rules::missing_priority_class::BUILT_IN
        .iter()
        .map(|c| format!("`{c}`"))
        .collect();
    out.push(Finding {
        meta: &rules::missing_priority_class::RULE.meta,
        severity: Some(Severity::Info),
        span: *span,
        message: format!(
            "priorityClassName `{name}` is neither built in ({}) nor a PriorityClass these files define: if the cluster has no such class, the API server rejects every pod of this DaemonSet; if it has one, it must rank as high as `system-node-critical` or ordinary workloads can crowd the agent off a full node",
            built_in.join(", ")
        ),
        help: format!(
            "use `system-node-critical`, add the PriorityClass `{name}` to the manifests, or add `{name}` to the `classes` option of `missing-priority-class` if the cluster defines it"
        ),
        labels: Vec::new(),
    });
}
