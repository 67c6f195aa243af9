//! The map from a built overlay back to the line that last set each field: the base resource,
//! a strategic-merge patch, a JSON 6902 operation, an inline patch in `kustomization.yaml` or
//! the transformer line (namespace, images, labels, annotations, name prefix/suffix).
//!
//! The kustomizations of one build are read into [`Kust`] layers; each object of the built text
//! is matched to the base document it came from ([`Leaf`], with the chain of kustomizations it
//! went through). A finding's path is turned into keyed steps (`containers[name=agent]`, so a
//! patch that reorders or adds containers does not shift the match), and every layer is asked,
//! in the order kustomize applies them, whether it sets that node. The last setter is the
//! answer for a value; for something absent (a container's `name` line, a list item with a
//! merge key, the pod spec itself) the first definer is: the place where the thing is written.

use std::collections::HashMap;
use std::sync::Arc;

use crate::source::Span;
use crate::source_map::{Mapped, Origin, Precision, Related, SourceId, SourceMap};

/// What an `images:` entry that sets only `newName` is called in hits.
const NAME_ONLY: &str = "the images transformer (name only)";

/// An owned YAML node with spans in its origin source.
#[derive(Clone, Debug)]
pub(crate) struct Y {
    /// The value's span (for a block scalar, its whole text).
    pub span: Span,
    /// The key's span when the node is a mapping value.
    pub key: Option<Span>,
    pub kind: YKind,
}

#[derive(Clone, Debug)]
pub(crate) enum YKind {
    Scalar(String),
    Seq(Vec<Y>),
    Map(Vec<(String, Y)>),
}

impl Y {
    /// Copy a parsed node; `rebase` moves an offset of the parsed text into the origin source.
    pub(crate) fn from_node(
        node: crate::yaml::Node<'_>,
        key: Option<Span>,
        rebase: &dyn Fn(u32) -> u32,
        depth: usize,
    ) -> Y {
        let re = |s: Span| Span {
            start: rebase(s.start),
            end: rebase(s.end).max(rebase(s.start)),
        };
        let span = re(node.span());
        let kind = if depth > 100 {
            YKind::Scalar(String::new())
        } else if node.is_mapping() {
            YKind::Map(
                node.entries()
                    .into_iter()
                    .map(|(k, v)| {
                        let name = k.scalar_text().unwrap_or("").to_string();
                        (name, Y::from_node(v, Some(re(k.span())), rebase, depth + 1))
                    })
                    .collect(),
            )
        } else if node.is_sequence() {
            YKind::Seq(
                node.items()
                    .map(|item| Y::from_node(item, None, rebase, depth + 1))
                    .collect(),
            )
        } else {
            YKind::Scalar(node.scalar_text().unwrap_or("").to_string())
        };
        Y { span, key, kind }
    }

    pub(crate) fn get(&self, key: &str) -> Option<&Y> {
        match &self.kind {
            YKind::Map(entries) => entries.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub(crate) fn str(&self) -> Option<&str> {
        match &self.kind {
            YKind::Scalar(s) => Some(s),
            _ => None,
        }
    }

    pub(crate) fn get_str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Y::str)
    }

    pub(crate) fn items(&self) -> &[Y] {
        match &self.kind {
            YKind::Seq(items) => items,
            _ => &[],
        }
    }

    pub(crate) fn entries(&self) -> &[(String, Y)] {
        match &self.kind {
            YKind::Map(entries) => entries,
            _ => &[],
        }
    }

    fn is_map(&self) -> bool {
        matches!(self.kind, YKind::Map(_))
    }

    /// The span a location on this node starts at: its key, else the value.
    fn anchor(&self) -> Span {
        self.key.unwrap_or(self.span)
    }
}

/// Parse every document of `text` into owned trees (documents that do not parse are skipped).
pub(crate) fn parse_docs(text: &str, rebase: &dyn Fn(u32) -> u32) -> Vec<Y> {
    crate::yaml::documents(text, crate::yaml::Limits::default())
        .filter_map(Result::ok)
        .filter_map(|doc| doc.root().map(|root| Y::from_node(root, None, rebase, 0)))
        .collect()
}

/// One step of a path in an object, keyed where kustomize merges by key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    Key(String),
    /// A list item: its index in the built object and, in a list kustomize merges by key
    /// (containers by `name`, mounts by `mountPath`), that key and its value.
    Elem {
        index: usize,
        key: Option<(&'static str, String)>,
    },
}

/// The key a strategic merge matches the items of a list by.
fn merge_key(list: &str) -> Option<&'static str> {
    Some(match list {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "volumes"
        | "env"
        | "imagePullSecrets" => "name",
        "volumeMounts" => "mountPath",
        "volumeDevices" => "devicePath",
        "ports" => "containerPort",
        "hostAliases" => "ip",
        _ => return None,
    })
}

enum Raw {
    Key(String),
    Index(usize),
}

/// `spec.template.spec.containers[0].name` → raw segments.
fn parse_path(path: &str) -> Option<Vec<Raw>> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let (name, mut rest) = match part.find('[') {
            Some(at) => (&part[..at], &part[at..]),
            None => (part, ""),
        };
        if !name.is_empty() {
            out.push(Raw::Key(name.to_string()));
        }
        while let Some(stripped) = rest.strip_prefix('[') {
            let close = stripped.find(']')?;
            out.push(Raw::Index(stripped[..close].parse().ok()?));
            rest = &stripped[close + 1..];
        }
        if !rest.is_empty() {
            return None;
        }
    }
    Some(out)
}

fn elem_step(list_key: Option<&str>, index: usize, item: &Y) -> Step {
    let key = list_key.and_then(merge_key).and_then(|k| {
        item.get_str(k)
            .filter(|v| !v.is_empty())
            .map(|v| (k, v.to_string()))
    });
    Step::Elem { index, key }
}

/// Follow raw segments in the built object; keyed steps and the node reached.
fn keyed<'y>(root: &'y Y, raw: &[Raw]) -> Option<(Vec<Step>, &'y Y)> {
    let mut node = root;
    let mut steps = Vec::new();
    let mut last_key: Option<&str> = None;
    for seg in raw {
        match seg {
            Raw::Key(k) => {
                node = node.get(k)?;
                steps.push(Step::Key(k.clone()));
                last_key = Some(k.as_str());
            }
            Raw::Index(i) => {
                let item = node.items().get(*i)?;
                steps.push(elem_step(last_key, *i, item));
                node = item;
                last_key = None;
            }
        }
    }
    Some((steps, node))
}

/// The steps to the deepest node of `root` holding all of `target` (a node whose span is
/// exactly `target` is taken whole: a label on a list item is on the item), and whether
/// `target` is on the node's key.
fn steps_at(root: &Y, target: Span) -> (Vec<Step>, &Y, bool) {
    let holds = |s: Span| {
        s.start <= target.start
            && (target.end <= s.end || (s.is_empty() && target.start == s.start))
            && (target.start < s.end || target.is_empty() || s.is_empty())
    };
    let mut node = root;
    let mut steps = Vec::new();
    let mut last_key: Option<&str> = None;
    'down: loop {
        if node.span == target && !steps.is_empty() {
            // A one-item list written at its key's indentation has its item's span: the
            // target is the item.
            if let YKind::Seq(items) = &node.kind {
                if let [only] = items.as_slice() {
                    if only.span == target {
                        steps.push(elem_step(last_key, 0, only));
                        return (steps, only, false);
                    }
                }
            }
            return (steps, node, false);
        }
        match &node.kind {
            YKind::Map(entries) => {
                for (k, v) in entries {
                    if v.key.is_some_and(holds) {
                        steps.push(Step::Key(k.clone()));
                        return (steps, v, true);
                    }
                    // A span over a whole `key: value` pair is on the value's node.
                    if v.key.is_some_and(|ks| ks.start == target.start)
                        && target.end <= v.span.end
                        && target.end > v.span.start
                    {
                        steps.push(Step::Key(k.clone()));
                        return (steps, v, false);
                    }
                    if holds(v.span) {
                        steps.push(Step::Key(k.clone()));
                        last_key = Some(k.as_str());
                        node = v;
                        continue 'down;
                    }
                }
                return (steps, node, false);
            }
            YKind::Seq(items) => {
                for (i, item) in items.iter().enumerate() {
                    if holds(item.span) {
                        steps.push(elem_step(last_key, i, item));
                        last_key = None;
                        node = item;
                        continue 'down;
                    }
                }
                return (steps, node, false);
            }
            YKind::Scalar(_) => return (steps, node, false),
        }
    }
}

fn contains(span: Span, at: u32) -> bool {
    span.start <= at && (at < span.end || (span.is_empty() && at == span.start))
}

/// Follow keyed steps in an origin tree (a base document, a patch).
pub(crate) fn nav<'y>(root: &'y Y, steps: &[Step]) -> Option<&'y Y> {
    let mut node = root;
    for step in steps {
        node = match step {
            Step::Key(k) => node.get(k)?,
            Step::Elem {
                key: Some((k, v)), ..
            } => node
                .items()
                .iter()
                .find(|item| item.get_str(k) == Some(v))?,
            Step::Elem { index, key: None } => node.items().get(*index)?,
        };
    }
    Some(node)
}

/// A JSON pointer token against a step.
fn token_matches(token: &str, step: &Step, value: Option<&Y>) -> bool {
    let token = token.replace("~1", "/").replace("~0", "~");
    match step {
        Step::Key(k) => *k == token,
        Step::Elem { index, key } => {
            if token == "-" {
                // An appended item: the one whose merge key the value carries.
                return match (key, value) {
                    (Some((k, v)), Some(value)) => value.get_str(k) == Some(v.as_str()),
                    _ => false,
                };
            }
            token.parse::<usize>().ok() == Some(*index)
        }
    }
}

/// Which resources a patch applies to.
#[derive(Clone, Debug, Default)]
pub(crate) struct Target {
    pub group: Option<String>,
    pub version: Option<String>,
    pub kind: Option<String>,
    pub name: Option<String>,
    pub namespace: Option<String>,
    pub label_selector: Option<String>,
    pub annotation_selector: Option<String>,
}

impl Target {
    pub(crate) fn read(y: &Y) -> Target {
        let s = |k: &str| y.get_str(k).map(str::to_string);
        Target {
            group: s("group"),
            version: s("version"),
            kind: s("kind"),
            name: s("name"),
            namespace: s("namespace"),
            label_selector: s("labelSelector"),
            annotation_selector: s("annotationSelector"),
        }
    }

    fn matches(&self, obj: &ObjectId, labels: &Y, annotations: &Y) -> bool {
        let (group, version) = match obj.api_version.split_once('/') {
            Some((g, v)) => (g, v),
            None => ("", obj.api_version.as_str()),
        };
        self.group.as_deref().is_none_or(|g| g == group)
            && self.version.as_deref().is_none_or(|v| v == version)
            && self
                .kind
                .as_deref()
                .is_none_or(|k| name_matches(k, &obj.kind))
            && self
                .name
                .as_deref()
                .is_none_or(|n| name_matches(n, &obj.name))
            && self
                .namespace
                .as_deref()
                .is_none_or(|n| name_matches(n, &obj.namespace))
            && self
                .label_selector
                .as_deref()
                .is_none_or(|s| selector_matches(s, labels))
            && self
                .annotation_selector
                .as_deref()
                .is_none_or(|s| selector_matches(s, annotations))
    }
}

/// Kustomize reads target names as anchored regular expressions; the common forms are a plain
/// name and `.*` wildcards, which is what this honours.
fn name_matches(pattern: &str, name: &str) -> bool {
    if !pattern.contains(".*") {
        return pattern == name;
    }
    let parts: Vec<&str> = pattern.split(".*").collect();
    let mut rest = name;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            let Some(r) = rest.strip_prefix(part) else {
                return false;
            };
            rest = r;
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            let Some(at) = rest.find(part) else {
                return false;
            };
            rest = &rest[at + part.len()..];
        }
    }
    rest.is_empty()
}

/// `a=b,c!=d,e` against a labels mapping.
fn selector_matches(selector: &str, labels: &Y) -> bool {
    selector.split(',').map(str::trim).all(|term| {
        if let Some((k, v)) = term.split_once("!=") {
            labels.get_str(k.trim()) != Some(v.trim())
        } else if let Some((k, v)) = term.split_once("==").or_else(|| term.split_once('=')) {
            labels.get_str(k.trim()) == Some(v.trim())
        } else if let Some(k) = term.strip_prefix('!') {
            labels.get(k.trim()).is_none()
        } else {
            term.is_empty() || labels.get(term).is_some()
        }
    })
}

/// A patch document: strategic merge (a mapping) or JSON 6902 operations (a list).
#[derive(Clone, Debug)]
pub(crate) struct Patch {
    pub source: SourceId,
    pub doc: Y,
    pub target: Option<Target>,
    /// `Exact` for a file or an inline patch whose lines were found in `kustomization.yaml`;
    /// `Line` when an inline patch could only be placed at its `patch:` key.
    pub cap: Precision,
    /// A JSON 6902 list, not a strategic merge.
    pub json: bool,
}

/// One `images:` entry.
#[derive(Clone, Debug)]
pub(crate) struct ImageEntry {
    pub name: String,
    /// The line a tag or digest change is blamed on: `newTag`/`digest`, else `newName`, else
    /// the entry.
    pub span: Span,
    pub new_name: Option<String>,
    /// The entry sets a tag or digest (`newTag`, `digest`), not only the name.
    pub sets_tag: bool,
}

/// A label or annotation a kustomization sets.
#[derive(Clone, Debug)]
pub(crate) struct Pair {
    pub key: String,
    pub value: Y,
    pub selectors: bool,
    pub templates: bool,
}

/// A configMap/secret generator entry.
#[derive(Clone, Debug)]
pub(crate) struct Generator {
    pub kind: &'static str,
    pub name: String,
    /// The entry's `name:` value.
    pub span: Span,
}

/// A resource a kustomization lists.
#[derive(Clone, Debug)]
pub(crate) enum Resource {
    File { source: SourceId, docs: Vec<Y> },
    Kust(usize),
    Remote,
}

/// One kustomization (or component) of a build.
#[derive(Clone, Debug, Default)]
pub(crate) struct Kust {
    pub source: Option<SourceId>,
    pub resources: Vec<Resource>,
    pub components: Vec<usize>,
    /// `patchesStrategicMerge`, in order.
    pub sm_patches: Vec<Patch>,
    /// `patches`, in order.
    pub patches: Vec<Patch>,
    /// `patchesJson6902`, in order.
    pub json_patches: Vec<Patch>,
    pub namespace: Option<Y>,
    pub name_prefix: Option<Y>,
    pub name_suffix: Option<Y>,
    pub labels: Vec<Pair>,
    pub annotations: Vec<Pair>,
    pub images: Vec<ImageEntry>,
    pub generators: Vec<Generator>,
}

/// kind/name/namespace of an object.
#[derive(Clone, Debug, PartialEq, Eq)]
struct ObjectId {
    api_version: String,
    kind: String,
    name: String,
    namespace: String,
}

fn object_id(doc: &Y) -> ObjectId {
    let meta = doc.get("metadata");
    ObjectId {
        api_version: doc.get_str("apiVersion").unwrap_or("").to_string(),
        kind: doc.get_str("kind").unwrap_or("").to_string(),
        name: meta
            .and_then(|m| m.get_str("name"))
            .unwrap_or("")
            .to_string(),
        namespace: meta
            .and_then(|m| m.get_str("namespace"))
            .unwrap_or("")
            .to_string(),
    }
}

/// A document of a resource file and the kustomizations it went through, innermost first.
#[derive(Clone, Debug)]
struct Leaf {
    source: SourceId,
    doc: Y,
    chain: Vec<usize>,
}

/// A place that sets the node a finding is on.
#[derive(Clone, Debug)]
struct Hit {
    source: SourceId,
    node: Y,
    cap: Precision,
    /// What set it, for the related note.
    what: &'static str,
}

/// The map of one built overlay (see the module documentation).
#[derive(Debug)]
pub struct KustomizeMap {
    built: Arc<str>,
    /// The entry's kustomization file: where anything unplaceable goes.
    entry: SourceId,
    kusts: Vec<Kust>,
    leaves: Vec<Leaf>,
    rendered: Vec<Y>,
    texts: HashMap<SourceId, Arc<str>>,
}

/// A generated ConfigMap or Secret of the built text: its hashed name and the generator line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GeneratedName {
    pub kind: String,
    /// The name in the built text (`app-config-7fk8h2m5c9`).
    pub name: String,
    /// The generator's name (`app-config`).
    pub generator: String,
    /// The generator's `name:` line.
    pub origin: Origin,
}

impl KustomizeMap {
    pub(crate) fn new(
        built: Arc<str>,
        entry: SourceId,
        root: usize,
        kusts: Vec<Kust>,
        texts: HashMap<SourceId, Arc<str>>,
    ) -> Self {
        let rendered = parse_docs(&built, &|o| o);
        let mut leaves = Vec::new();
        collect_leaves(&kusts, root, &[], &mut leaves, 0);
        Self {
            built,
            entry,
            kusts,
            leaves,
            rendered,
            texts,
        }
    }

    /// Generated ConfigMaps and Secrets of the built text, each with its generator line.
    #[must_use]
    pub fn generated(&self) -> Vec<GeneratedName> {
        let mut out = Vec::new();
        for doc in &self.rendered {
            let id = object_id(doc);
            if let Some((kust, generator)) = self.generator_of(&id) {
                out.push(GeneratedName {
                    kind: id.kind.clone(),
                    name: id.name.clone(),
                    generator: generator.name.clone(),
                    origin: Origin {
                        source: self.kusts[kust].source.unwrap_or(self.entry),
                        span: generator.span,
                        precision: Precision::Line,
                    },
                });
            }
        }
        out
    }

    /// The generator that produced an object of the built text: its name is the generator's,
    /// with any prefix/suffix of the kustomizations above, and a `-<hash>` of 10 characters.
    fn generator_of(&self, id: &ObjectId) -> Option<(usize, &Generator)> {
        for (k, kust) in self.kusts.iter().enumerate() {
            for generator in &kust.generators {
                if generator.kind != id.kind {
                    continue;
                }
                let hashed = id.name.len() > 11
                    && id.name.as_bytes()[id.name.len() - 11] == b'-'
                    && id.name.contains(&generator.name);
                if id.name == generator.name || hashed {
                    return Some((k, generator));
                }
            }
        }
        None
    }

    fn text(&self, source: SourceId) -> &str {
        self.texts.get(&source).map_or("", |t| t)
    }

    /// The name an object of `leaf` has after the first `upto` kustomizations of its chain.
    fn name_after(&self, leaf: &Leaf, upto: usize) -> String {
        let mut name = object_id(&leaf.doc).name;
        for &k in &leaf.chain[..upto.min(leaf.chain.len())] {
            let kust = &self.kusts[k];
            if let Some(p) = kust.name_prefix.as_ref().and_then(Y::str) {
                name = format!("{p}{name}");
            }
            if let Some(s) = kust.name_suffix.as_ref().and_then(Y::str) {
                name = format!("{name}{s}");
            }
        }
        name
    }

    fn leaf_for(&self, id: &ObjectId) -> Option<&Leaf> {
        let candidates: Vec<&Leaf> = self
            .leaves
            .iter()
            .filter(|leaf| {
                let own = object_id(&leaf.doc);
                own.kind == id.kind && self.name_after(leaf, leaf.chain.len()) == id.name
            })
            .collect();
        match candidates.as_slice() {
            [] => None,
            [one] => Some(one),
            many => many
                .iter()
                .find(|leaf| {
                    let ns = leaf
                        .chain
                        .iter()
                        .rev()
                        .find_map(|&k| self.kusts[k].namespace.as_ref().and_then(Y::str))
                        .map(str::to_string)
                        .unwrap_or_else(|| object_id(&leaf.doc).namespace);
                    ns == id.namespace
                })
                .or(many.first())
                .copied(),
        }
    }

    /// Every place that sets the node at `steps`, in the order kustomize applies them.
    fn hits(&self, leaf: &Leaf, steps: &[Step], built: &Y) -> Vec<Hit> {
        let mut hits = Vec::new();
        if let Some(node) = nav(&leaf.doc, steps) {
            hits.push(Hit {
                source: leaf.source,
                node: node.clone(),
                cap: Precision::Exact,
                what: "the base resource",
            });
        }
        let labels = built
            .get("metadata")
            .and_then(|m| m.get("labels"))
            .cloned()
            .unwrap_or(Y {
                span: Span::default(),
                key: None,
                kind: YKind::Map(Vec::new()),
            });
        let annotations = built
            .get("metadata")
            .and_then(|m| m.get("annotations"))
            .cloned()
            .unwrap_or(Y {
                span: Span::default(),
                key: None,
                kind: YKind::Map(Vec::new()),
            });
        let mut layers = Vec::new();
        for (pos, &k) in leaf.chain.iter().enumerate() {
            for &c in &self.kusts[k].components {
                // A component whose own resource this is is already in the chain.
                if !leaf.chain.contains(&c) {
                    layers.push((pos, c));
                }
            }
            layers.push((pos, k));
        }
        for (pos, k) in layers {
            let kust = &self.kusts[k];
            let Some(file) = kust.source else { continue };
            let mut id = object_id(&leaf.doc);
            id.name = self.name_after(leaf, pos);
            let applies = |patch: &Patch| match &patch.target {
                Some(target) => target.matches(&id, &labels, &annotations),
                None => {
                    let own = object_id(&patch.doc);
                    own.kind == id.kind && own.name == id.name
                }
            };
            // patchesStrategicMerge, then `patches` in order (strategic merge or JSON 6902).
            for patch in kust.sm_patches.iter().chain(&kust.patches) {
                if !applies(patch) {
                    continue;
                }
                if patch.json {
                    json_hits(patch, steps, &mut hits);
                } else if let Some(node) = nav(&patch.doc, steps) {
                    hits.push(Hit {
                        source: patch.source,
                        node: node.clone(),
                        cap: patch.cap,
                        what: "a patch",
                    });
                }
            }
            let path: Vec<&str> = steps
                .iter()
                .map(|s| match s {
                    Step::Key(k) => k.as_str(),
                    Step::Elem { .. } => "[]",
                })
                .collect();
            let transformer = |hits: &mut Vec<Hit>, node: &Y, what: &'static str, cap| {
                hits.push(Hit {
                    source: file,
                    node: node.clone(),
                    cap,
                    what,
                });
            };
            if path == ["metadata", "namespace"] {
                if let Some(ns) = &kust.namespace {
                    transformer(&mut hits, ns, "the namespace transformer", Precision::Exact);
                }
            }
            if path == ["metadata", "name"] {
                for y in [&kust.name_prefix, &kust.name_suffix].into_iter().flatten() {
                    transformer(&mut hits, y, "the name prefix/suffix", Precision::Line);
                }
            }
            for (set, what) in [
                (&kust.labels, "the labels transformer"),
                (&kust.annotations, "the annotations transformer"),
            ] {
                let field = if what.contains("labels") {
                    "labels"
                } else {
                    "annotations"
                };
                for pair in set.iter() {
                    let on = match path.as_slice() {
                        ["metadata", f, key] => *f == field && *key == pair.key,
                        ["spec", "selector", "matchLabels", key] => {
                            field == "labels" && pair.selectors && *key == pair.key
                        }
                        ["spec", "template", "metadata", f, key] => {
                            *f == field && pair.templates && *key == pair.key
                        }
                        _ => false,
                    };
                    if on {
                        transformer(&mut hits, &pair.value, what, Precision::Exact);
                    }
                }
            }
            for patch in kust.json_patches.iter().filter(|p| applies(p)) {
                json_hits(patch, steps, &mut hits);
            }
            if matches!(
                path.as_slice(),
                [
                    "spec",
                    "template",
                    "spec",
                    "containers" | "initContainers",
                    "[]",
                    "image"
                ]
            ) {
                let current = hits
                    .last()
                    .and_then(|h| h.node.str())
                    .map(str::to_string)
                    .unwrap_or_default();
                if let Some(entry) = kust.images.iter().find(|e| e.name == image_name(&current)) {
                    // The value written is composed (name, tag): the line, not the columns. The
                    // node carries the image name it leaves, for a later `images:` entry.
                    let node = Y {
                        span: entry.span,
                        key: None,
                        kind: YKind::Scalar(format!(
                            "{}:",
                            entry.new_name.as_deref().unwrap_or(&entry.name)
                        )),
                    };
                    let what = if entry.sets_tag {
                        "the images transformer"
                    } else {
                        NAME_ONLY
                    };
                    transformer(&mut hits, &node, what, Precision::Line);
                }
            }
        }
        hits
    }

    fn origin_of(&self, hit: &Hit, built: &Y, span: Span, on_key: bool) -> Origin {
        let text = self.text(hit.source);
        let valid = |s: Span| (s.end as usize) <= text.len() && s.start <= s.end;
        if hit.cap == Precision::File || !valid(hit.node.span) {
            return Origin::file(hit.source);
        }
        if on_key {
            let same_key = |k: Span, b: Option<Span>| {
                b.is_some_and(|b| {
                    text.get(k.range()).is_some()
                        && text.get(k.range()) == self.built.get(b.range())
                })
            };
            if let (Some(key), Precision::Exact) = (hit.node.key, hit.cap) {
                if !same_key(key, built.key) {
                    return self.line_of(hit);
                }
                return Origin {
                    source: hit.source,
                    span: key,
                    precision: Precision::Exact,
                };
            }
        }
        let built_value = &self.built[built.span.range()];
        let origin_value = &text[hit.node.span.range()];
        let inside = built.span.start <= span.start && span.end <= built.span.end;
        if hit.cap == Precision::Exact
            && inside
            && built_value == origin_value
            && matches!(built.kind, YKind::Scalar(_))
        {
            let start = hit.node.span.start + (span.start - built.span.start);
            return Origin {
                source: hit.source,
                span: Span {
                    start,
                    end: start + span.len() as u32,
                },
                precision: Precision::Exact,
            };
        }
        self.line_of(hit)
    }

    /// The hit's line, columns not claimed: the span of its key (or value) on its first line.
    fn line_of(&self, hit: &Hit) -> Origin {
        let text = self.text(hit.source);
        let anchor = hit.node.anchor();
        let line_end = text[anchor.start as usize..]
            .find('\n')
            .map_or(text.len(), |n| anchor.start as usize + n);
        Origin {
            source: hit.source,
            span: Span::new(anchor.start as usize, (anchor.end as usize).min(line_end)),
            precision: Precision::Line,
        }
    }
}

fn image_name(image: &str) -> &str {
    let image = image.split('@').next().unwrap_or(image);
    match image.rfind(':') {
        Some(colon) if !image[colon..].contains('/') => &image[..colon],
        _ => image,
    }
}

/// The operations of a JSON 6902 patch that set the node at `steps`, or something inside it.
fn json_hits(patch: &Patch, steps: &[Step], hits: &mut Vec<Hit>) {
    for op in patch.doc.items() {
        let kind = op.get_str("op").unwrap_or("");
        if !matches!(kind, "add" | "replace" | "copy" | "move") {
            continue;
        }
        let Some(path) = op.get("path") else { continue };
        let Some(pointer) = path.str() else { continue };
        let tokens: Vec<&str> = pointer.split('/').skip(1).collect();
        let value = op.get("value");
        let shared = tokens
            .iter()
            .zip(steps)
            .take_while(|(t, s)| token_matches(t, s, value))
            .count();
        if shared < tokens.len().min(steps.len()) {
            continue;
        }
        if tokens.len() <= steps.len() {
            // The op sets the node or one of its ancestors: find the node in its value.
            let Some(value) = value else { continue };
            if let Some(node) = nav(value, &steps[tokens.len()..]) {
                let mut node = node.clone();
                let mut cap = patch.cap;
                if tokens.len() == steps.len() {
                    // The node is the op's value: its key is `value:`, not the field's name.
                    node.key = value.key;
                    if !matches!(node.kind, YKind::Scalar(_)) {
                        cap = cap.min(Precision::Line);
                    }
                }
                hits.push(Hit {
                    source: patch.source,
                    node,
                    cap,
                    what: "a JSON 6902 operation",
                });
            }
        } else {
            // The op sets something inside the node (`securityContext/privileged` for a
            // finding on `securityContext`).
            hits.push(Hit {
                source: patch.source,
                node: path.clone(),
                cap: patch.cap.min(Precision::Line),
                what: "a JSON 6902 operation",
            });
        }
    }
}

fn collect_leaves(kusts: &[Kust], k: usize, outer: &[usize], out: &mut Vec<Leaf>, depth: usize) {
    // A cycle or a wide diamond of kustomizations stays bounded (kustomize refuses both).
    if depth > 64 || out.len() > 100_000 {
        return;
    }
    let mut chain = vec![k];
    chain.extend_from_slice(outer);
    for resource in &kusts[k].resources {
        match resource {
            Resource::File { source, docs } => {
                for doc in docs {
                    out.push(Leaf {
                        source: *source,
                        doc: doc.clone(),
                        chain: chain.clone(),
                    });
                }
            }
            Resource::Kust(child) => collect_leaves(kusts, *child, &chain, out, depth + 1),
            Resource::Remote => {}
        }
    }
    for &c in &kusts[k].components {
        collect_leaves(kusts, c, &chain, out, depth + 1);
    }
}

/// Whether a finding on the node at `steps` goes to the place that first wrote the node (its
/// definition) rather than the last that set it: a keyed list item (a container, a mount), its
/// key field (the container's `name:` line, where something missing from the container is
/// reported), and the object's top mappings (the pod spec a missing field belongs in).
fn defines(steps: &[Step], node: &Y) -> bool {
    match steps {
        [.., Step::Elem { key: Some(_), .. }] => true,
        [.., Step::Elem {
            key: Some((k, _)), ..
        }, Step::Key(last)] => k == last,
        _ => steps.len() <= 3 && node.is_map(),
    }
}

impl SourceMap for KustomizeMap {
    fn map(&self, span: Span, path: Option<&str>) -> Mapped {
        let fallback = || Mapped::from(Origin::file(self.entry));
        let Some(doc) = self
            .rendered
            .iter()
            .find(|d| d.span.start <= span.start && span.start <= d.span.end.max(d.span.start))
        else {
            return fallback();
        };
        let from_path = path
            .and_then(parse_path)
            .and_then(|raw| keyed(doc, &raw))
            .map(|(steps, node)| {
                let on_key = node
                    .key
                    .is_some_and(|k| k.start <= span.start && span.end <= k.end)
                    && !contains(node.span, span.start);
                (steps, node, on_key)
            });
        let (steps, node, on_key) = match from_path {
            Some(found) if contains(found.1.anchor().cover(found.1.span), span.start) => found,
            _ => steps_at(doc, span),
        };
        let id = object_id(doc);
        let Some(leaf) = self.leaf_for(&id) else {
            if let Some((k, generator)) = self.generator_of(&id) {
                return Origin {
                    source: self.kusts[k].source.unwrap_or(self.entry),
                    span: generator.span,
                    precision: Precision::Line,
                }
                .into();
            }
            return fallback();
        };
        let hits = self.hits(leaf, &steps, doc);
        let chosen = if defines(&steps, node) {
            hits.first().map(|h| (h, None))
        } else {
            let n = hits.len();
            hits.last()
                .map(|h| (h, n.checked_sub(2).and_then(|i| hits.get(i))))
        };
        let Some((mut hit, mut before)) = chosen else {
            return Origin::file(leaf.source).into();
        };
        // An `images:` entry that only renames keeps the tag an earlier place wrote: the tag is
        // what image findings are about, so that place is the one to edit, the entry related.
        if hit.what == NAME_ONLY {
            if let Some(earlier) = before {
                before = Some(hit);
                hit = earlier;
            }
        }
        let mut primary = self.origin_of(hit, node, span, on_key);
        // A value the last known setter did not write was changed by something this map does
        // not follow (replacements, vars, a transformer plugin): never a precise-looking wrong
        // line. A reference kustomize renamed (a prefix, a generator's hash) keeps its line.
        let composed = before.is_some_and(|b| b.what == NAME_ONLY)
            || matches!(
                hit.what,
                "the images transformer" | NAME_ONLY | "the name prefix/suffix"
            );
        if let (Some(written), Some(value), false) = (hit.node.str(), node.str(), composed) {
            if written != value {
                if !written.is_empty() && value.contains(written) {
                    primary.precision = primary.precision.min(Precision::Line);
                } else {
                    return Mapped {
                        primary: Origin::file(self.entry),
                        related: vec![Related {
                            origin: self.line_of(hit),
                            message: format!(
                                "last written here by {}, then changed in the build",
                                hit.what
                            ),
                        }],
                    };
                }
            }
        }
        let mut related = Vec::new();
        if let Some(before) = before {
            let origin = self.origin_of(before, node, span, on_key);
            if origin.source != primary.source || origin.span != primary.span {
                let message = if before.what == NAME_ONLY {
                    format!("{} renames the image set here", before.what)
                } else {
                    format!("set first by {}, which {} overrides", before.what, hit.what)
                };
                related.push(Related {
                    origin: Origin {
                        precision: origin.precision.min(Precision::Line),
                        ..origin
                    },
                    message,
                });
            }
        }
        Mapped { primary, related }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_base(
        base: &str,
        built: &str,
    ) -> (crate::source_map::Sources, KustomizeMap, SourceId, SourceId) {
        let sources = crate::source_map::Sources::new();
        let kust_text = "resources:\n- ds.yaml\n";
        let kid = sources.add("kustomization.yaml", kust_text);
        let bid = sources.add("ds.yaml", base);
        let kust = Kust {
            source: Some(kid),
            resources: vec![Resource::File {
                source: bid,
                docs: parse_docs(base, &|o| o),
            }],
            ..Kust::default()
        };
        let texts = HashMap::from([(kid, Arc::from(kust_text)), (bid, Arc::from(base))]);
        let map = KustomizeMap::new(built.into(), kid, 0, vec![kust], texts);
        (sources, map, kid, bid)
    }

    const BASE: &str = "kind: DaemonSet\nmetadata:\n  name: a\nspec:\n  template:\n    spec:\n      hostNetwork: false\n";

    #[test]
    fn a_value_copied_from_the_base_maps_exactly() {
        let built = "kind: DaemonSet\nmetadata:\n  name: a\nspec:\n  template:\n    spec:\n      hostNetwork: false\n";
        let (_, map, _, base) = one_base(BASE, built);
        let at = built.find("false").expect("value");
        let got = map.map(
            Span::new(at, at + 5),
            Some("spec.template.spec.hostNetwork"),
        );
        assert_eq!(got.primary.source, base);
        assert_eq!(got.primary.precision, Precision::Exact);
        assert_eq!(&BASE[got.primary.span.range()], "false");
        // Without a path, the span alone finds the node.
        assert_eq!(map.map(Span::new(at, at + 5), None), got);
    }

    #[test]
    fn a_value_changed_by_something_not_followed_is_never_a_precise_wrong_line() {
        // The built text says true; the only known setter wrote false (a replacement or a
        // plugin changed it): the file, with the base line as a related place, not a line.
        let built = "kind: DaemonSet\nmetadata:\n  name: a\nspec:\n  template:\n    spec:\n      hostNetwork: true\n";
        let (_, map, kust, base) = one_base(BASE, built);
        let at = built.find("true").expect("value");
        let got = map.map(
            Span::new(at, at + 4),
            Some("spec.template.spec.hostNetwork"),
        );
        assert_eq!(got.primary, Origin::file(kust));
        assert_eq!(got.related.len(), 1);
        assert_eq!(got.related[0].origin.source, base);
        assert_eq!(got.related[0].origin.precision, Precision::Line);
    }

    #[test]
    fn an_object_no_resource_defines_maps_to_the_entry_file() {
        let built = "kind: DaemonSet\nmetadata:\n  name: other\nspec: {}\n";
        let (_, map, kust, _) = one_base(BASE, built);
        assert_eq!(map.map(Span::new(30, 32), None).primary, Origin::file(kust));
        // A span past the text: the entry file too.
        assert_eq!(
            map.map(Span::new(900, 901), None).primary,
            Origin::file(kust)
        );
    }

    #[test]
    fn paths_parse_into_keys_and_indexes() {
        let raw = parse_path("spec.template.spec.containers[1].ports[0]").expect("parses");
        assert_eq!(raw.len(), 7);
        assert!(matches!(raw[4], Raw::Index(1)));
        assert!(parse_path("a[x]").is_none());
    }

    #[test]
    fn image_names_drop_tag_and_digest() {
        assert_eq!(image_name("quay.io/x/y:main"), "quay.io/x/y");
        assert_eq!(image_name("reg:5000/x/y"), "reg:5000/x/y");
        assert_eq!(image_name("x@sha256:abc"), "x");
    }

    #[test]
    fn target_names_honour_wildcards_and_selectors() {
        assert!(name_matches("agent", "agent"));
        assert!(!name_matches("agent", "agent2"));
        assert!(name_matches("ag.*", "agent"));
        assert!(name_matches(".*-node", "csi-node"));
        let labels = parse_docs("app: x\ntier: node\n", &|o| o).remove(0);
        assert!(selector_matches("app=x,tier=node", &labels));
        assert!(!selector_matches("app=y", &labels));
        assert!(selector_matches("app!=y", &labels));
    }
}
