//! The nodes of a cluster, read from `kubectl get nodes -o yaml` (or `-o json`) output, a
//! directory of single Node files, or a synthetic description of node pools for "what if"
//! questions. Everything is copied out of the span tree, so a [`Cluster`] can be shared by every
//! file a run lints; errors keep the span they blame.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use crate::k8s::quantity::{self, Quantity};
pub use crate::k8s::scheduling::nodes::{Cluster, ClusterNode, NodeTaint};
use crate::source::{SourceFile, Span};
use crate::yaml::Node;

/// At most this many nodes are read (a synthetic `count` cannot exhaust memory).
pub const MAX_NODES: usize = 100_000;

/// An error in a nodes file, with the span it blames (`file:line:column: error: message`).
pub type LoadError = crate::source::FileError;

const EXPECTED: &str = "`--nodes` takes the output of `kubectl get nodes -o yaml` (or `-o json`), \
                        a directory of Node files, or a `synthetic:` description of node pools";

/// Read the nodes at `path`: a file, or a directory walked for `*.yaml`, `*.yml` and `*.json`.
pub fn load(path: &Path) -> Result<Cluster, Vec<LoadError>> {
    let display = path.display().to_string();
    let io_error = |name: String, message: String| LoadError {
        source: Arc::new(SourceFile::new(name, String::new())),
        span: Span::empty(0),
        message,
    };
    let files: Vec<(std::path::PathBuf, String)> = if path.is_dir() {
        let settings = crate::config::Settings::default();
        let mut files = Vec::new();
        for target in crate::discover::discover(&[path.to_path_buf()], &settings, false) {
            if let Some(message) = target.error {
                return Err(vec![io_error(target.display, message)]);
            }
            files.push((target.path, target.display));
        }
        files
    } else {
        vec![(path.to_path_buf(), display.clone())]
    };
    let mut nodes = Vec::new();
    let mut errors = Vec::new();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    for (file, name) in &files {
        let limit = crate::config::Settings::default().max_file_size;
        let (source, problem) = match crate::source::read(file, name, limit) {
            Ok(read) => read,
            Err(e) => {
                errors.push(io_error(
                    name.clone(),
                    format!("cannot read the nodes file: {e}"),
                ));
                continue;
            }
        };
        let source = Arc::new(source);
        if let Some(d) = problem {
            errors.push(LoadError {
                source,
                span: d.span,
                message: d.message,
            });
            continue;
        }
        match parse_source(&source) {
            Ok(found) => {
                for (node, span) in found {
                    if !seen.insert(node.name.clone()) {
                        errors.push(LoadError {
                            source: Arc::clone(&source),
                            span,
                            message: format!("node `{}` appears twice", node.name),
                        });
                    }
                    nodes.push(node);
                }
            }
            Err(mut errs) => errors.append(&mut errs),
        }
        if nodes.len() > MAX_NODES {
            errors.push(io_error(
                name.clone(),
                format!("more than {MAX_NODES} nodes; daemonlint stops here"),
            ));
            break;
        }
    }
    if errors.is_empty() && nodes.is_empty() {
        let where_ = if path.is_dir() {
            format!("no nodes found in the directory {display}")
        } else {
            "no nodes found in this file".to_string()
        };
        errors.push(io_error(display.clone(), format!("{where_}: {EXPECTED}")));
    }
    if errors.is_empty() {
        Ok(Cluster {
            source: display,
            nodes,
        })
    } else {
        Err(errors)
    }
}

/// Parse one file's text; every node comes with the span of its name (for duplicate reports).
pub fn parse_source(source: &Arc<SourceFile>) -> Result<Vec<(ClusterNode, Span)>, Vec<LoadError>> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let err = |span: Span, message: String| LoadError {
        source: Arc::clone(source),
        span,
        message,
    };
    for doc in crate::yaml::documents(&source.text, crate::yaml::Limits::default()) {
        let doc = match doc {
            Ok(doc) => doc,
            Err(e) => {
                errors.push(err(e.span, format!("invalid YAML: {}", e.message)));
                continue;
            }
        };
        let Some(root) = doc.root() else { continue };
        if root.is_null() {
            continue;
        }
        let mut ctx = Ctx {
            errors: Vec::new(),
            nodes: &mut out,
        };
        ctx.document(root);
        errors.extend(ctx.errors.into_iter().map(|(s, m)| err(s, m)));
        if out.len() > MAX_NODES {
            errors.push(err(
                root.span(),
                format!("more than {MAX_NODES} nodes; daemonlint stops here"),
            ));
            break;
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

struct Ctx<'o> {
    errors: Vec<(Span, String)>,
    nodes: &'o mut Vec<(ClusterNode, Span)>,
}

/// The span of a key's value, or of the key when the value is empty.
fn value_span(parent: Node<'_>, key: &str) -> Span {
    match parent.entry(key) {
        Some((k, v)) if v.span().is_empty() => k.span(),
        Some((_, v)) => v.span(),
        None => parent.span(),
    }
}

impl Ctx<'_> {
    fn error(&mut self, span: Span, message: impl Into<String>) {
        self.errors.push((span, message.into()));
    }

    fn document(&mut self, root: Node<'_>) {
        if !root.is_mapping() {
            self.error(
                root.span(),
                format!(
                    "expected a mapping, found a {}: {EXPECTED}",
                    root.node_type().name()
                ),
            );
            return;
        }
        let kind = root.get("kind").and_then(|k| k.as_str());
        if kind.is_none() {
            if let Some(pools) = root.get("synthetic") {
                self.synthetic(pools);
                return;
            }
        }
        match kind {
            Some("Node") => self.node(root),
            Some(list) if list == "List" || list == "NodeList" => {
                let Some(items) = root.get("items").filter(Node::is_sequence) else {
                    self.error(
                        value_span(root, "items"),
                        format!("a `{list}` needs `items`, a list of Node objects"),
                    );
                    return;
                };
                for item in items.items() {
                    match item.get("kind").and_then(|k| k.as_str()) {
                        Some("Node") => self.node(item),
                        Some(other) => self.error(
                            value_span(item, "kind"),
                            format!("expected a Node in the list, found a `{other}`: {EXPECTED}"),
                        ),
                        None if item.is_mapping() => self.error(
                            item.span(),
                            format!("this list item has no `kind`: {EXPECTED}"),
                        ),
                        None => self.error(
                            item.span(),
                            format!(
                                "expected a Node in the list, found a {}",
                                item.node_type().name()
                            ),
                        ),
                    }
                }
            }
            Some(other) => self.error(
                value_span(root, "kind"),
                format!("expected a Node, found a `{other}`: {EXPECTED}"),
            ),
            None => self.error(
                root.entries()
                    .first()
                    .map_or(root.span(), |(k, _)| k.span()),
                format!("this document has no `kind`: {EXPECTED}"),
            ),
        }
    }

    fn node(&mut self, node: Node<'_>) {
        let Some(name_node) = node.get_path(&["metadata", "name"]) else {
            self.error(
                node.entry("metadata")
                    .map_or_else(|| value_span(node, "kind"), |(k, _)| k.span()),
                "this Node has no `metadata.name`",
            );
            return;
        };
        let Some(name) = name_node.scalar_text().filter(|n| !n.is_empty()) else {
            self.error(name_node.span(), "a node name must be a non-empty string");
            return;
        };
        let labels = self.labels(node.get_path(&["metadata", "labels"]));
        let spec = node.get("spec");
        let taints = self.taints(spec.and_then(|s| s.get("taints")));
        let unschedulable = self.flag(spec, "unschedulable");
        let allocatable = self.allocatable(node.get("status").and_then(|s| s.get("allocatable")));
        self.nodes.push((
            ClusterNode {
                name: name.to_string(),
                labels,
                taints,
                unschedulable,
                allocatable,
            },
            name_node.span(),
        ));
    }

    fn labels(&mut self, labels: Option<Node<'_>>) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        let Some(labels) = labels.filter(|l| !l.is_null()) else {
            return out;
        };
        if !labels.is_mapping() {
            self.error(
                labels.span(),
                format!(
                    "`labels` must be a mapping, found a {}",
                    labels.node_type().name()
                ),
            );
            return out;
        }
        for (k, v) in labels.entries() {
            let (Some(key), Some(value)) = (k.scalar_text(), v.scalar_text()) else {
                self.error(v.span(), "a label value must be a string");
                continue;
            };
            let value = if v.is_null() { "" } else { value };
            out.insert(key.to_string(), value.to_string());
        }
        out
    }

    fn taints(&mut self, taints: Option<Node<'_>>) -> Vec<NodeTaint> {
        let mut out = Vec::new();
        let Some(taints) = taints.filter(|t| !t.is_null()) else {
            return out;
        };
        if !taints.is_sequence() {
            self.error(
                taints.span(),
                format!(
                    "`taints` must be a list, found a {}",
                    taints.node_type().name()
                ),
            );
            return out;
        }
        for taint in taints.items() {
            if !taint.is_mapping() {
                self.error(
                    taint.span(),
                    "a taint must be a mapping with `key` and `effect`",
                );
                continue;
            }
            let text = |key: &str| taint.get(key).and_then(|n| n.scalar_text()).unwrap_or("");
            let key = text("key");
            if key.is_empty() {
                self.error(taint.span(), "this taint has no `key`");
                continue;
            }
            let effect = text("effect");
            if !matches!(effect, "NoSchedule" | "PreferNoSchedule" | "NoExecute") {
                self.error(
                    value_span(taint, "effect"),
                    format!(
                        "taint `{key}` has effect `{effect}`; a taint's effect is NoSchedule, \
                         PreferNoSchedule or NoExecute"
                    ),
                );
                continue;
            }
            out.push(NodeTaint {
                key: key.to_string(),
                value: text("value").to_string(),
                effect: effect.to_string(),
            });
        }
        out
    }

    fn flag(&mut self, parent: Option<Node<'_>>, key: &str) -> bool {
        let Some(value) = parent.and_then(|p| p.get(key)) else {
            return false;
        };
        match value.as_bool() {
            Some(b) => b,
            None if value.is_null() => false,
            None => {
                self.error(value.span(), format!("`{key}` must be true or false"));
                false
            }
        }
    }

    fn allocatable(&mut self, node: Option<Node<'_>>) -> Option<BTreeMap<String, Quantity>> {
        let node = node.filter(|n| !n.is_null())?;
        if !node.is_mapping() {
            self.error(
                node.span(),
                format!(
                    "`allocatable` must be a mapping, found a {}",
                    node.node_type().name()
                ),
            );
            return None;
        }
        let mut out = BTreeMap::new();
        for (k, v) in node.entries() {
            let Some(resource) = k.scalar_text() else {
                continue;
            };
            let parsed = v
                .scalar_text()
                .ok_or_else(|| format!("`{resource}` must be a quantity such as `4` or `16Gi`"))
                .and_then(quantity::parse);
            match parsed {
                Ok(q) if q.is_negative() => {
                    self.error(
                        v.span(),
                        format!("allocatable `{resource}` must not be negative"),
                    );
                }
                Ok(q) => {
                    out.insert(resource.to_string(), q);
                }
                Err(message) => self.error(v.span(), message),
            }
        }
        Some(out)
    }

    /// `synthetic: [{count, name, labels, taints, allocatable, unschedulable}]`.
    fn synthetic(&mut self, pools: Node<'_>) {
        const KEYS: &[&str] = &[
            "count",
            "name",
            "labels",
            "taints",
            "allocatable",
            "unschedulable",
        ];
        if !pools.is_sequence() {
            self.error(
                pools.span(),
                "`synthetic` must be a list of node pools, e.g. `- {count: 3, name: worker}`",
            );
            return;
        }
        for pool in pools.items() {
            if !pool.is_mapping() {
                self.error(
                    pool.span(),
                    "a node pool must be a mapping with `count` and `name`",
                );
                continue;
            }
            let mut ok = true;
            for (k, _) in pool.entries() {
                let key = k.scalar_text().unwrap_or("");
                if !KEYS.contains(&key) {
                    let hint = crate::config::did_you_mean(key, KEYS.iter().copied()).map_or_else(
                        || format!(" (a pool has {})", KEYS.join(", ")),
                        |s| format!(" (did you mean `{s}`?)"),
                    );
                    self.error(
                        k.span(),
                        format!("unknown key `{key}` in a node pool{hint}"),
                    );
                    ok = false;
                }
            }
            let count = match pool.get("count") {
                None => {
                    self.error(pool.span(), "this node pool has no `count`");
                    None
                }
                Some(c) => match c.as_i64() {
                    Some(n) if n >= 1 && usize::try_from(n).is_ok_and(|n| n <= MAX_NODES) => {
                        usize::try_from(n).ok()
                    }
                    _ => {
                        self.error(
                            c.span(),
                            format!("`count` must be a whole number from 1 to {MAX_NODES}"),
                        );
                        None
                    }
                },
            };
            let name = match pool.get("name") {
                Some(n) => match n.as_str().filter(|s| !s.is_empty()) {
                    Some(s) => Some(s),
                    None => {
                        self.error(n.span(), "`name` must be a non-empty string");
                        None
                    }
                },
                None => {
                    self.error(
                        pool.span(),
                        "this node pool has no `name` (nodes are named NAME-1, NAME-2, …)",
                    );
                    None
                }
            };
            let labels = self.labels(pool.get("labels"));
            let taints = self.taints(pool.get("taints"));
            let unschedulable = self.flag(Some(pool), "unschedulable");
            let allocatable = self.allocatable(pool.get("allocatable"));
            let (Some(count), Some(name), true) = (count, name, ok) else {
                continue;
            };
            if self.nodes.len() + count > MAX_NODES {
                self.error(
                    value_span(pool, "count"),
                    format!("more than {MAX_NODES} nodes; daemonlint stops here"),
                );
                return;
            }
            let span = value_span(pool, "name");
            for i in 1..=count {
                let node_name = format!("{name}-{i}");
                let mut labels = labels.clone();
                for (key, value) in [
                    ("kubernetes.io/hostname", node_name.as_str()),
                    ("kubernetes.io/os", "linux"),
                    ("kubernetes.io/arch", "amd64"),
                ] {
                    labels
                        .entry(key.to_string())
                        .or_insert_with(|| value.to_string());
                }
                self.nodes.push((
                    ClusterNode {
                        name: node_name,
                        labels,
                        taints: taints.clone(),
                        unschedulable,
                        allocatable: allocatable.clone(),
                    },
                    span,
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<ClusterNode>, Vec<String>> {
        let source = Arc::new(SourceFile::new("nodes.yaml", text));
        parse_source(&source)
            .map(|v| v.into_iter().map(|(n, _)| n).collect())
            .map_err(|errs| errs.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn reads_a_kubectl_list() {
        let nodes = parse(
            "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Node\n  metadata:\n    name: a\n    labels: {x: \"1\", empty: \"\"}\n  spec:\n    unschedulable: true\n    taints:\n    - {key: k, value: v, effect: NoExecute}\n  status:\n    allocatable: {cpu: 3920m, memory: 16Gi, pods: \"110\"}\n",
        )
        .expect("valid");
        assert_eq!(nodes.len(), 1);
        let a = &nodes[0];
        assert_eq!(a.name, "a");
        assert_eq!(a.label("x"), Some("1"));
        assert_eq!(a.label("empty"), Some(""));
        assert!(a.unschedulable);
        assert_eq!(a.taints[0].view().to_string(), "k=v:NoExecute");
        let alloc = a.allocatable.as_ref().expect("allocatable");
        assert_eq!(alloc["cpu"].display("cpu"), "3920m");
        assert_eq!(alloc["memory"].display("memory"), "16Gi");
    }

    #[test]
    fn a_node_without_allocatable_is_unknown_not_an_error() {
        let nodes = parse("kind: Node\nmetadata: {name: a}\nstatus: {}\n").expect("valid");
        assert_eq!(nodes[0].allocatable, None);
        assert!(nodes[0].taints.is_empty());
    }

    #[test]
    fn synthetic_pools_expand_with_default_labels() {
        let nodes = parse(
            "synthetic:\n  - count: 2\n    name: cp\n    labels: {node-role.kubernetes.io/control-plane: \"\"}\n    taints: [{key: node-role.kubernetes.io/control-plane, effect: NoSchedule}]\n    allocatable: {cpu: \"4\", memory: 16Gi}\n  - {count: 1, name: w, labels: {kubernetes.io/os: windows}}\n",
        )
        .expect("valid");
        let names: Vec<&str> = nodes.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(names, ["cp-1", "cp-2", "w-1"]);
        assert_eq!(nodes[1].label("kubernetes.io/hostname"), Some("cp-2"));
        assert_eq!(nodes[1].label("kubernetes.io/os"), Some("linux"));
        assert_eq!(nodes[2].label("kubernetes.io/os"), Some("windows"));
        assert_eq!(nodes[0].taints.len(), 1);
        assert_eq!(nodes[2].allocatable, None);
    }

    #[test]
    fn bad_input_is_an_error_at_its_span() {
        let cases: &[(&str, &str)] = &[
            (
                "kind: DaemonSet\nmetadata: {name: x}\n",
                "nodes.yaml:1:7: error: expected a Node, found a `DaemonSet`",
            ),
            (
                "kind: List\nitems:\n- kind: Pod\n",
                "nodes.yaml:3:9: error: expected a Node in the list, found a `Pod`",
            ),
            (
                "a: 1\n",
                "nodes.yaml:1:1: error: this document has no `kind`",
            ),
            (
                "- 1\n",
                "nodes.yaml:1:1: error: expected a mapping, found a list",
            ),
            (
                "kind: Node\nmetadata: {name: a}\nstatus:\n  allocatable: {cpu: 2x}\n",
                "nodes.yaml:4:22: error: `2x` is not a quantity: unknown suffix `x`",
            ),
            (
                "kind: Node\nmetadata: {name: a}\nspec:\n  taints: [{key: k, effect: NoSchedul}]\n",
                "nodes.yaml:4:29: error: taint `k` has effect `NoSchedul`",
            ),
            (
                "kind: Node\nspec: {}\n",
                "nodes.yaml:1:7: error: this Node has no `metadata.name`",
            ),
            (
                "synthetic:\n  - {count: 2, nmae: w}\n",
                "nodes.yaml:2:16: error: unknown key `nmae` in a node pool (did you mean `name`?)",
            ),
            (
                "synthetic:\n  - {count: 0, name: w}\n",
                "nodes.yaml:2:13: error: `count` must be a whole number from 1 to 100000",
            ),
            (
                "synthetic:\n  - {count: 200000, name: w}\n",
                "nodes.yaml:2:13: error: `count` must be a whole number",
            ),
            (
                "kind: List\nitems: [\n",
                "nodes.yaml:2:8: error: invalid YAML: unclosed bracket",
            ),
        ];
        for (text, expected) in cases {
            let errs = parse(text).expect_err(text);
            assert!(errs[0].starts_with(expected), "{text}\n{}", errs.join("\n"));
        }
    }
}
