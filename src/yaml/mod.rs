//! The only module that knows the YAML parser: parser events → a span tree per document.
//!
//! A text is read as Kubernetes reads it: cut into parts at every line that starts with `---`
//! (as kubectl's YAML reader cuts it), each part read alone, values as go-yaml v2 gives them;
//! what Kubernetes rejects is an error item next to the documents (see [`Documents`]).
//!
//! Two readers give the events. The fast reader (`fast.rs`) takes the plain block YAML nearly
//! every manifest is written in, a document at a time; granit-parser reads every document the
//! fast reader declines, with the same events, so the tree never depends on which one read it
//! (`fast_tests.rs` and the `readers` fuzz target compare them).
//!
//! Every node keeps the byte span of its source text; mapping keys are nodes too, so a finding
//! can point at a key or at its value. Aliases share the anchored node and keep the span of the
//! alias site: a finding reached through an alias points at the alias in the document being
//! linted. Merge keys (`<<`) are honoured by lookups. Documents are produced one at a time so a
//! caller can lint and drop each before the next is built.

mod fast;
pub mod json;
mod repair;
pub mod scalar;

use std::borrow::Cow;

use granit_parser::{Event, Parser, ScalarStyle, StrInput};

use crate::source::Span;
use fast::Ev;
pub use scalar::Resolved;

/// Index of a node in its document's arena.
pub type NodeId = u32;

/// Resource limits that make hostile input harmless.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Maximum nesting of collections (block and flow).
    pub max_depth: usize,
    /// Maximum number of alias references in one document.
    pub max_aliases: usize,
    /// Maximum number of nodes in one document, counted with aliases expanded (each alias
    /// counts the whole subtree it stands for), so an alias bomb is refused while it is read.
    pub max_nodes: usize,
    /// Maximum number of values built when one object is expanded for schema checks (aliases
    /// are copied there, so an alias bomb grows exponentially: this bounds it).
    pub max_expanded_nodes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_depth: 128,
            max_aliases: 10_000,
            max_nodes: 5_000_000,
            max_expanded_nodes: 1_000_000,
        }
    }
}

#[derive(Debug)]
enum NodeKind<'s> {
    Scalar {
        value: Cow<'s, str>,
        plain: bool,
        tagged_str: bool,
    },
    /// Items, in the document's `items`.
    Seq(Children),
    /// Key and value pairs, in the document's `pairs`.
    Map(Children),
    Alias(NodeId),
    /// An alias whose anchor is unknown or still open (a recursive alias).
    Invalid,
}

/// Where a collection's children are in its document's arena: one arena of items and one of
/// pairs per document, instead of a vector per collection.
#[derive(Clone, Copy, Debug)]
struct Children {
    start: u32,
    len: u32,
}

impl Children {
    fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.start as usize + self.len as usize
    }
}

#[derive(Debug)]
struct NodeData<'s> {
    span: Span,
    kind: NodeKind<'s>,
}

/// A comment with its span (covering `#` up to the line break) and text after `#`.
#[derive(Debug, Clone)]
pub struct Comment<'s> {
    pub span: Span,
    pub text: Cow<'s, str>,
}

/// One YAML document of a file.
#[derive(Debug)]
pub struct Document<'s> {
    /// 0-based position of the document in its file.
    pub index: usize,
    /// From the document's first byte of content to its last.
    pub span: Span,
    nodes: Vec<NodeData<'s>>,
    /// The items of every sequence.
    items: Vec<NodeId>,
    /// The pairs of every mapping.
    pairs: Vec<(NodeId, NodeId)>,
    root: Option<NodeId>,
    pub comments: Vec<Comment<'s>>,
    /// Keys that repeat a key of the same mapping, in source order.
    pub duplicate_keys: Vec<DuplicateKey>,
    /// The document holds at least one alias (so its expanded size may exceed its text's).
    has_aliases: bool,
    /// The document holds a plain `<<` (a merge key, or at least a scalar that looks like one).
    has_merge_keys: bool,
    /// Plain scalars that YAML 1.1 and YAML 1.2 read differently, in source order.
    ambiguous: Vec<NodeId>,
}

/// A mapping key that repeats an earlier key of the same mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateKey {
    /// The earlier key.
    pub first: Span,
    /// The repeated key.
    pub second: Span,
    /// The key's text.
    pub key: String,
}

impl<'s> Document<'s> {
    #[must_use]
    pub fn root(&self) -> Option<Node<'_>> {
        self.root.map(|id| Node {
            doc: self,
            id,
            site: None,
        })
    }
}

/// A YAML syntax or limit error, positioned in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub span: Span,
    pub message: String,
    pub document: usize,
    /// Only Kubernetes (go-yaml v2) refuses it: the text is YAML that was read, and a file
    /// that is never sent to Kubernetes (a policy) may ignore the error.
    pub kubernetes: bool,
}

/// The type of a node as a user would name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeType {
    Null,
    Bool,
    Int,
    Float,
    String,
    Sequence,
    Mapping,
    Invalid,
}

impl NodeType {
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Null => "null",
            Self::Bool => "boolean",
            Self::Int => "integer",
            Self::Float => "number",
            Self::String => "string",
            Self::Sequence => "list",
            Self::Mapping => "mapping",
            Self::Invalid => "invalid alias",
        }
    }
}

/// A view of a node. Cheap to copy. `site` is the span of the alias through which the node was
/// reached, if any: findings inside aliased content point there.
#[derive(Clone, Copy)]
pub struct Node<'a> {
    doc: &'a Document<'a>,
    id: NodeId,
    site: Option<Span>,
}

impl std::fmt::Debug for Node<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Node({:?} @ {:?})", self.node_type(), self.span())
    }
}

impl<'a> Node<'a> {
    fn data(&self) -> &'a NodeData<'a> {
        &self.doc.nodes[self.id as usize]
    }

    /// Follow an alias to its target, remembering the alias site.
    fn resolved(self) -> Node<'a> {
        let data = self.data();
        if let NodeKind::Alias(target) = data.kind {
            Node {
                doc: self.doc,
                id: target,
                site: Some(self.site.unwrap_or(data.span)),
            }
        } else {
            self
        }
    }

    fn child(&self, id: NodeId) -> Node<'a> {
        Node {
            doc: self.doc,
            id,
            site: self.site,
        }
    }

    /// The span a finding on this node points at: the node's own text, or the alias site when
    /// the node was reached through an alias.
    #[must_use]
    pub fn span(&self) -> Span {
        self.site.unwrap_or(self.data().span)
    }

    /// The node's own text span, ignoring any alias site.
    #[must_use]
    pub fn own_span(&self) -> Span {
        self.data().span
    }

    /// True when the node was reached through an alias.
    #[must_use]
    pub fn via_alias(&self) -> bool {
        self.site.is_some()
    }

    #[must_use]
    pub fn node_type(&self) -> NodeType {
        let node = self.resolved();
        match &node.data().kind {
            NodeKind::Scalar {
                value,
                plain,
                tagged_str,
            } => match scalar::resolve(value, *plain && !tagged_str) {
                Resolved::Null => NodeType::Null,
                Resolved::Bool(_) => NodeType::Bool,
                Resolved::Int(_) => NodeType::Int,
                Resolved::Float(_) => NodeType::Float,
                Resolved::Str(_) => NodeType::String,
            },
            NodeKind::Seq(_) => NodeType::Sequence,
            NodeKind::Map(_) => NodeType::Mapping,
            NodeKind::Alias(_) | NodeKind::Invalid => NodeType::Invalid,
        }
    }

    /// The scalar's text after YAML escape processing (any scalar, whatever it resolves to).
    #[must_use]
    pub fn scalar_text(&self) -> Option<&'a str> {
        match &self.resolved().data().kind {
            NodeKind::Scalar { value, .. } => Some(value.as_ref()),
            _ => None,
        }
    }

    /// True for a plain (unquoted, untagged) scalar.
    #[must_use]
    pub fn is_plain_scalar(&self) -> bool {
        matches!(
            &self.resolved().data().kind,
            NodeKind::Scalar {
                plain: true,
                tagged_str: false,
                ..
            }
        )
    }

    /// The scalar resolved as Kubernetes reads it.
    #[must_use]
    pub fn resolve(&self) -> Option<Resolved<'a>> {
        match &self.resolved().data().kind {
            NodeKind::Scalar {
                value,
                plain,
                tagged_str,
            } => Some(scalar::resolve(value, *plain && !tagged_str)),
            _ => None,
        }
    }

    /// The scalar resolved with the YAML 1.2 core schema.
    #[must_use]
    pub fn resolve12(&self) -> Option<Resolved<'a>> {
        match &self.resolved().data().kind {
            NodeKind::Scalar {
                value,
                plain,
                tagged_str,
            } => Some(scalar::resolve12(value, *plain && !tagged_str)),
            _ => None,
        }
    }

    /// A string value (quoted, or plain that resolves to a string).
    #[must_use]
    pub fn as_str(&self) -> Option<&'a str> {
        match self.resolve()? {
            Resolved::Str(s) => Some(s),
            _ => None,
        }
    }

    #[must_use]
    pub fn as_bool(&self) -> Option<bool> {
        match self.resolve()? {
            Resolved::Bool(b) => Some(b),
            _ => None,
        }
    }

    #[must_use]
    pub fn as_i64(&self) -> Option<i64> {
        match self.resolve()? {
            Resolved::Int(i) => Some(i),
            _ => None,
        }
    }

    #[must_use]
    pub fn is_null(&self) -> bool {
        matches!(self.resolve(), Some(Resolved::Null))
    }

    #[must_use]
    pub fn is_mapping(&self) -> bool {
        matches!(self.resolved().data().kind, NodeKind::Map(_))
    }

    #[must_use]
    pub fn is_sequence(&self) -> bool {
        matches!(self.resolved().data().kind, NodeKind::Seq(_))
    }

    /// Items of a sequence (empty for anything else).
    pub fn items(&self) -> Items<'a> {
        let node = self.resolved();
        let ids: &'a [NodeId] = match &node.data().kind {
            NodeKind::Seq(items) => &node.doc.items[items.range()],
            _ => &[],
        };
        Items {
            node,
            ids: ids.iter(),
        }
    }

    /// Number of items of a sequence (0 for anything else).
    #[must_use]
    pub fn item_count(&self) -> usize {
        match &self.resolved().data().kind {
            NodeKind::Seq(items) => items.len as usize,
            _ => 0,
        }
    }

    /// Key/value pairs of a mapping as go-yaml v2 decodes it: pairs applied in source order, a
    /// later one replacing an earlier one with the same key (a repeated key: the last wins) in
    /// the earlier one's place; a merge key (`<<`) applies the merged mapping's pairs where it
    /// stands, so it replaces the own keys before it and the own keys after it replace its
    /// (of a list of merged mappings, the first wins).
    pub fn entries(&self) -> Vec<(Node<'a>, Node<'a>)> {
        let mut out = Vec::new();
        self.collect_entries(&mut out, 0);
        out
    }

    fn own_pairs(&self) -> &'a [(NodeId, NodeId)] {
        let node = self.resolved();
        match &node.data().kind {
            NodeKind::Map(pairs) => &node.doc.pairs[pairs.range()],
            _ => &[],
        }
    }

    fn collect_entries(&self, out: &mut Vec<(Node<'a>, Node<'a>)>, depth: usize) {
        fn assign<'a>(out: &mut Vec<(Node<'a>, Node<'a>)>, key: Node<'a>, value: Node<'a>) {
            let text = key.scalar_text();
            match out
                .iter_mut()
                .find(|(k, _)| text.is_some() && k.scalar_text() == text)
            {
                Some(slot) => *slot = (key, value),
                None => out.push((key, value)),
            }
        }
        let node = self.resolved();
        if out.is_empty() && !node.has_merge_key() && node.doc.duplicate_keys.is_empty() {
            // Nearly every mapping: its own pairs, each key once.
            out.extend(
                node.own_pairs()
                    .iter()
                    .map(|&(k, v)| (node.child(k).resolved(), node.child(v).resolved())),
            );
            return;
        }
        for &(k, v) in node.own_pairs() {
            let key = node.child(k).resolved();
            let value = node.child(v).resolved();
            if !(key.is_plain_scalar() && key.scalar_text() == Some("<<")) {
                assign(out, key, value);
                continue;
            }
            if depth > 16 {
                continue;
            }
            let merge = node.child(v);
            let mut merged = Vec::new();
            if merge.resolved().is_sequence() {
                let items: Vec<Node<'a>> = merge.items().collect();
                for item in items.iter().rev() {
                    let mut one = Vec::new();
                    item.collect_entries(&mut one, depth + 1);
                    for (k, v) in one {
                        assign(&mut merged, k, v);
                    }
                }
            } else {
                merge.resolved().collect_entries(&mut merged, depth + 1);
            }
            for (k, v) in merged {
                if k.scalar_text().is_some() {
                    assign(out, k, v);
                }
            }
        }
        // The mapping's own keys first, in source order, then the keys only merged in (the
        // values are go-yaml's either way).
        let own: Vec<Option<&str>> = node
            .own_pairs()
            .iter()
            .map(|&(k, _)| node.child(k).resolved().scalar_text())
            .collect();
        out.sort_by_key(|(k, _)| !own.contains(&k.scalar_text()));
    }

    /// The key and value for `key` in a mapping (the last of a repeated key, merge keys
    /// applied as go-yaml v2 applies them).
    #[must_use]
    pub fn entry(&self, key: &str) -> Option<(Node<'a>, Node<'a>)> {
        let node = self.resolved();
        // Without repeated keys in the document the first match is the only one.
        let first_wins = self.doc.duplicate_keys.is_empty();
        let mut found = None;
        for &(k, v) in node.own_pairs() {
            let key_node = node.child(k).resolved();
            match key_node.scalar_text() {
                Some(text) if text == key => {
                    found = Some((key_node, node.child(v).resolved()));
                    if first_wins && !self.doc.has_merge_keys {
                        return found;
                    }
                }
                Some("<<") if key_node.is_plain_scalar() => {
                    return self
                        .entries()
                        .into_iter()
                        .find(|(k, _)| k.scalar_text() == Some(key));
                }
                _ => {}
            }
        }
        found
    }

    /// The value for `key` in a mapping.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<Node<'a>> {
        self.entry(key).map(|(_, v)| v)
    }

    /// Follow a path of mapping keys.
    #[must_use]
    pub fn get_path(&self, path: &[&str]) -> Option<Node<'a>> {
        let mut node = *self;
        for key in path {
            node = node.get(key)?;
        }
        Some(node)
    }

    /// The dotted path (`spec.template.spec.containers[1].name`) from this node to the node or
    /// key whose span is `target`, searching own content (aliases are leaves).
    #[must_use]
    pub fn path_to(&self, target: Span) -> Option<String> {
        let mut segments = Vec::new();
        if self.find_path(target, &mut segments, 0) {
            let mut out = String::new();
            for seg in segments {
                match seg {
                    PathSeg::Key(k) => {
                        if !out.is_empty() {
                            out.push('.');
                        }
                        out.push_str(k);
                    }
                    PathSeg::Index(i) => {
                        out.push('[');
                        out.push_str(&i.to_string());
                        out.push(']');
                    }
                }
            }
            Some(out)
        } else {
            None
        }
    }

    fn find_path(&self, target: Span, segs: &mut Vec<PathSeg<'a>>, depth: usize) -> bool {
        let data = self.data();
        if data.span == target {
            // A one-item list written at its key's indentation (`key:` then `- item` at the
            // key's column) has exactly its item's span: a finding there is on the item, and
            // its path keeps the `[0]` it has once a second item is added.
            if let NodeKind::Seq(items) = &data.kind {
                if let &[only] = &self.doc.items[items.range()] {
                    if self.doc.nodes[only as usize].span == target {
                        segs.push(PathSeg::Index(0));
                        if self.child(only).find_path(target, segs, depth + 1) {
                            return true;
                        }
                        segs.pop();
                    }
                }
            }
            return true;
        }
        if depth > 256 || !(data.span.start <= target.start && target.end <= data.span.end) {
            return false;
        }
        // Only a child whose span holds the target is descended into.
        let holds = |id: NodeId| {
            let span = self.doc.nodes[id as usize].span;
            span.start <= target.start && target.end <= span.end
        };
        match &data.kind {
            NodeKind::Seq(items) => {
                for (i, &id) in self.doc.items[items.range()].iter().enumerate() {
                    if !holds(id) {
                        continue;
                    }
                    segs.push(PathSeg::Index(i));
                    if self.child(id).find_path(target, segs, depth + 1) {
                        return true;
                    }
                    segs.pop();
                }
            }
            NodeKind::Map(pairs) => {
                for &(k, v) in &self.doc.pairs[pairs.range()] {
                    let key_hit = self.doc.nodes[k as usize].span == target;
                    if !key_hit && !holds(v) {
                        continue;
                    }
                    let name = self.child(k).scalar_text().unwrap_or("?");
                    segs.push(PathSeg::Key(name));
                    if key_hit || self.child(v).find_path(target, segs, depth + 1) {
                        return true;
                    }
                    segs.pop();
                }
            }
            _ => {}
        }
        false
    }
}

impl<'a> Node<'a> {
    /// The key as it reaches JSON (and Kubernetes): a YAML 1.1 boolean or number key becomes its
    /// canonical text, anything else its scalar text. `None` for a non-scalar key.
    #[must_use]
    pub fn json_key(&self) -> Option<Cow<'a, str>> {
        let text = self.scalar_text()?;
        Some(match self.resolve()? {
            Resolved::Bool(b) => Cow::Borrowed(if b { "true" } else { "false" }),
            Resolved::Int(i) => Cow::Owned(i.to_string()),
            Resolved::Null => Cow::Borrowed("null"),
            Resolved::Float(_) | Resolved::Str(_) => Cow::Borrowed(text),
        })
    }

    /// The key and value at a JSON pointer (`/spec/template/spec/containers/0`) below this
    /// node, as the validator names instance locations. The key is `None` for the node itself
    /// and for sequence items. Mapping keys match by [`Self::json_key`], merge keys included.
    #[must_use]
    pub fn pointer_entry(&self, pointer: &str) -> Option<(Option<Node<'a>>, Node<'a>)> {
        self.pointer_entry_with(pointer, false)
    }

    /// Like [`Self::pointer_entry`], matching keys by their text as written when `literal`.
    #[must_use]
    pub fn pointer_entry_with(
        &self,
        pointer: &str,
        literal: bool,
    ) -> Option<(Option<Node<'a>>, Node<'a>)> {
        let mut key = None;
        let mut node = self.resolved();
        if pointer.is_empty() {
            return Some((None, node));
        }
        for raw in pointer.strip_prefix('/')?.split('/') {
            let segment: Cow<'_, str> = if raw.contains('~') {
                Cow::Owned(raw.replace("~1", "/").replace("~0", "~"))
            } else {
                Cow::Borrowed(raw)
            };
            if node.is_sequence() {
                let index: usize = segment.parse().ok()?;
                node = node.items().nth(index)?;
                key = None;
            } else {
                let (k, v) = node.entries().into_iter().find(|(k, _)| {
                    let name = if literal {
                        k.scalar_text().map(Cow::Borrowed)
                    } else {
                        k.json_key()
                    };
                    name.as_deref() == Some(segment.as_ref())
                })?;
                key = Some(k);
                node = v;
            }
        }
        Some((key, node))
    }

    /// The node at a JSON pointer below this node.
    #[must_use]
    pub fn pointer(&self, pointer: &str) -> Option<Node<'a>> {
        self.pointer_entry(pointer).map(|(_, v)| v)
    }
}

/// The items of a sequence (aliases followed).
#[derive(Clone)]
pub struct Items<'a> {
    node: Node<'a>,
    ids: std::slice::Iter<'a, NodeId>,
}

impl<'a> Iterator for Items<'a> {
    type Item = Node<'a>;

    fn next(&mut self) -> Option<Node<'a>> {
        self.ids.next().map(|&id| self.node.child(id).resolved())
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.ids.size_hint()
    }
}

/// The members of a mapping as JSON sees them: `(json key, value)`, merge keys applied,
/// collection keys skipped. Iterates the mapping in place unless it has merge keys.
pub enum JsonMembers<'a> {
    Own {
        node: Node<'a>,
        pairs: std::slice::Iter<'a, (NodeId, NodeId)>,
    },
    Merged(std::vec::IntoIter<(Node<'a>, Node<'a>)>),
}

impl<'a> Iterator for JsonMembers<'a> {
    type Item = (Cow<'a, str>, Node<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let (key, value) = match self {
                Self::Own { node, pairs } => {
                    let &(k, v) = pairs.next()?;
                    (node.child(k).resolved(), node.child(v).resolved())
                }
                Self::Merged(entries) => entries.next()?,
            };
            if let Some(name) = key.json_key() {
                return Some((name, value));
            }
        }
    }
}

impl<'a> Node<'a> {
    fn has_merge_key(&self) -> bool {
        self.doc.has_merge_keys
            && self.own_pairs().iter().any(|&(k, _)| {
                let key = self.resolved().child(k).resolved();
                key.is_plain_scalar() && key.scalar_text() == Some("<<")
            })
    }

    /// The plain scalars written inside this node's own text that YAML 1.1 (Kubernetes) and
    /// YAML 1.2 read differently (`yes`, `0640`), found while parsing.
    pub fn ambiguous_scalars(&self) -> impl Iterator<Item = Node<'a>> + 'a {
        let span = self.own_span();
        let node = *self;
        let ids = &self.doc.ambiguous;
        let first = ids.partition_point(|&id| self.doc.nodes[id as usize].span.start < span.start);
        ids[first..]
            .iter()
            .take_while(move |&&id| node.doc.nodes[id as usize].span.end <= span.end)
            .map(move |&id| Node {
                doc: node.doc,
                id,
                site: None,
            })
    }

    /// The members of a mapping as JSON (and Kubernetes) sees them.
    #[must_use]
    pub fn json_members(&self) -> JsonMembers<'a> {
        let node = self.resolved();
        if node.has_merge_key() {
            JsonMembers::Merged(node.entries().into_iter())
        } else {
            JsonMembers::Own {
                node,
                pairs: node.own_pairs().iter(),
            }
        }
    }

    /// Number of members of a mapping as JSON sees them.
    #[must_use]
    pub fn json_member_count(&self) -> usize {
        let node = self.resolved();
        if node.has_merge_key() {
            node.entries().len()
        } else {
            node.own_pairs().len()
        }
    }

    /// The value whose JSON key is `key` (a plain `yes:` key is `true` to JSON), merge keys
    /// applied.
    #[must_use]
    pub fn json_get(&self, key: &str) -> Option<Node<'a>> {
        // A key that reads as a string when written plain (`name`) is found by its text alone;
        // any other (`true`, `8080`) may come from a key written differently (`yes`, `0x1F90`).
        let by_text = matches!(scalar::resolve(key, true), Resolved::Str(_));
        let matches = |k: Node<'a>| match k.scalar_text() {
            Some(text) if by_text => text == key,
            Some(_) => k.json_key().as_deref() == Some(key),
            None => false,
        };
        let node = self.resolved();
        if node.has_merge_key() {
            return node
                .entries()
                .into_iter()
                .find(|(k, _)| matches(*k))
                .map(|(_, v)| v);
        }
        let find = |&(k, v): &(NodeId, NodeId)| {
            matches(node.child(k).resolved()).then(|| node.child(v).resolved())
        };
        if self.doc.duplicate_keys.is_empty() {
            node.own_pairs().iter().find_map(find)
        } else {
            // A repeated key: the last wins.
            node.own_pairs().iter().rev().find_map(find)
        }
    }

    /// Check that expanding this node's aliases stays within `max_values` values and `max_depth`
    /// levels; returns the message when it does not. Free for documents without aliases.
    pub fn check_expansion(&self, max_values: usize, max_depth: usize) -> Result<(), String> {
        if !self.doc.has_aliases {
            return Ok(());
        }
        // Expanded size and depth per node id, computed once each (aliases share their target's).
        let mut memo: Vec<Option<(u64, u32)>> = vec![None; self.doc.nodes.len()];
        let (size, depth) = self.doc.expansion(self.resolved().id, &mut memo, 0);
        if size > max_values as u64 {
            return Err(format!(
                "expanding the aliases of this object builds more than {max_values} values; \
                 daemonlint stops here (an alias bomb?)"
            ));
        }
        if depth as usize > max_depth {
            return Err(format!(
                "aliases nest this object deeper than {max_depth} levels; daemonlint stops here"
            ));
        }
        Ok(())
    }
}

impl Document<'_> {
    fn expansion(&self, id: NodeId, memo: &mut [Option<(u64, u32)>], guard: usize) -> (u64, u32) {
        if let Some(Some(done)) = memo.get(id as usize) {
            return *done;
        }
        let Some(data) = self.nodes.get(id as usize) else {
            return (1, 1);
        };
        // Anchors resolve backwards, so alias chains are acyclic; the guard only bounds stack use.
        if guard > 4096 {
            return (u64::MAX / 4, u32::MAX / 4);
        }
        let (size, depth) = match &data.kind {
            NodeKind::Alias(target) => self.expansion(*target, memo, guard + 1),
            NodeKind::Seq(items) => {
                self.items[items.range()]
                    .iter()
                    .fold((1u64, 1u32), |(s, d), &i| {
                        let (cs, cd) = self.expansion(i, memo, guard + 1);
                        (s.saturating_add(cs), d.max(cd.saturating_add(1)))
                    })
            }
            NodeKind::Map(pairs) => {
                self.pairs[pairs.range()]
                    .iter()
                    .fold((1u64, 1u32), |(s, d), &(k, v)| {
                        let (ks, _) = self.expansion(k, memo, guard + 1);
                        let (vs, vd) = self.expansion(v, memo, guard + 1);
                        (
                            s.saturating_add(ks).saturating_add(vs),
                            d.max(vd.saturating_add(1)),
                        )
                    })
            }
            NodeKind::Scalar { .. } | NodeKind::Invalid => (1, 1),
        };
        if let Some(slot) = memo.get_mut(id as usize) {
            *slot = Some((size, depth));
        }
        (size, depth)
    }
}

enum PathSeg<'a> {
    Key(&'a str),
    Index(usize),
}

/// Parses a text into documents one at a time.
///
/// The text is read as Kubernetes reads it: kubectl (apimachinery's YAML reader) first cuts
/// the stream at every line that starts with `---`, then go-yaml v2 decodes each part alone
/// and keeps its first document. So each part ("chunk") here is read alone too, by the fast
/// reader or, where it declines, by granit-parser (on a repaired copy where go-yaml is more
/// lenient than granit-parser, see `repair.rs`). What Kubernetes rejects or drops (content
/// after `---`, directives, a second document in a chunk, ...) is reported as an error item
/// next to the documents, which are still read.
pub struct Documents<'s> {
    /// The whole text; spans are offsets into it.
    text: &'s str,
    /// Offset of the parsed part in `text`.
    base: usize,
    /// The parsed part of `text`.
    slice: &'s str,
    source: Source<'s>,
    /// Events still to give, last first (taken with `pop`): a chunk the fast reader read, a
    /// repaired chunk, or an empty document.
    queue: Vec<fast::Spanned<'s>>,
    limits: Limits,
    index: usize,
    pending_comments: Vec<Comment<'s>>,
    /// The node count of the last document, to size the next one's arena.
    node_hint: usize,
    done: bool,
    /// The next chunk: the offset of its `---` line in the slice (`None` for the slice's first
    /// chunk) and where its text starts; `None` once every chunk is read.
    next_chunk: Option<(Option<usize>, usize)>,
    /// The current chunk: its `---` line, where it ends, documents started in it.
    chunk: Chunk,
    /// Errors to give before the next document (Kubernetes rejects something the readers
    /// take), last first.
    errors: Vec<YamlError>,
    /// Documents the fast reader took.
    fast_read: usize,
    /// Whether the fast reader may take documents (off only to test it against granit-parser).
    fast_reader: bool,
    /// Whether the builder looks for what go-yaml v2 refuses (keys that are empty or
    /// collections, `?` in a flow plain scalar): off for a part the fast reader read, which
    /// declines all of them.
    checks: bool,
}

#[derive(Clone, Copy, Default)]
struct Chunk {
    separator: Option<usize>,
    end: usize,
    documents: usize,
    open: bool,
}

/// Who reads the next events.
enum Source<'s> {
    /// The queue, then the next chunk.
    Queue,
    /// granit-parser on the current chunk's text from `at` (offset in the slice).
    Granit {
        parser: Box<Parser<'s, StrInput<'s>>>,
        at: usize,
    },
}

/// A syntax error: its offset in the whole text and granit-parser's message.
struct SyntaxError {
    at: usize,
    info: String,
}

/// Parse `text` (YAML or JSON) into a stream of documents and errors.
#[must_use]
pub fn documents(text: &str, limits: Limits) -> Documents<'_> {
    documents_in(text, 0..text.len(), limits)
}

/// Parse the documents of `text[range]`, with spans into the whole `text`. `range` must start
/// at a document boundary (see [`split_documents`]).
#[must_use]
pub fn documents_in(text: &str, range: std::ops::Range<usize>, limits: Limits) -> Documents<'_> {
    let base = range.start;
    let slice = text.get(range).unwrap_or("");
    Documents {
        text,
        base,
        slice,
        source: Source::Queue,
        queue: Vec::new(),
        limits,
        index: 0,
        pending_comments: Vec::new(),
        node_hint: 0,
        done: false,
        next_chunk: Some((None, 0)),
        chunk: Chunk::default(),
        errors: Vec::new(),
        fast_read: 0,
        fast_reader: true,
        checks: true,
    }
}

/// The same documents read by granit-parser alone, without the fast reader: what the fast
/// reader is tested against.
#[doc(hidden)]
#[must_use]
pub fn documents_without_fast_reader(text: &str, limits: Limits) -> Documents<'_> {
    let mut docs = documents(text, limits);
    docs.fast_reader = false;
    docs
}

/// Where the line that starts with `---` at or after `from` starts (`from` itself only when
/// `at_line_start`): kubectl's document separator.
fn find_separator(slice: &str, from: usize, at_line_start: bool) -> Option<usize> {
    let bytes = slice.as_bytes();
    if at_line_start && bytes.get(from..from + 3) == Some(b"---") {
        return Some(from);
    }
    let rest = bytes.get(from..)?;
    memchr::memmem::find(rest, b"\n---").map(|p| from + p + 1)
}

fn children(start: usize, end: usize) -> Children {
    // A document holds at most `Limits::max_nodes` nodes, far below `u32::MAX`.
    Children {
        start: u32::try_from(start).unwrap_or(u32::MAX),
        len: u32::try_from(end - start).unwrap_or(0),
    }
}

/// The largest arena reserved ahead of a document (a huge document does not make every later
/// small one reserve as much).
const NODE_HINT_MAX: usize = 4096;

enum Frame {
    Seq {
        start: usize,
        anchor: usize,
        /// Where its items start on the builder's item stack.
        first: usize,
        flow_end: Option<usize>,
        /// Nodes below this one with aliases expanded.
        expanded: u64,
    },
    Map {
        start: usize,
        anchor: usize,
        /// Where its pairs start on the builder's pair stack.
        first: usize,
        key: Option<NodeId>,
        expanded: u64,
    },
}

struct Builder<'s> {
    nodes: Vec<NodeData<'s>>,
    /// The document's arenas of finished collections' children.
    items: Vec<NodeId>,
    pairs: Vec<(NodeId, NodeId)>,
    /// Children of the open collections, innermost last.
    item_stack: Vec<NodeId>,
    pair_stack: Vec<(NodeId, NodeId)>,
    stack: Vec<Frame>,
    /// Anchor id, node and the node's size with aliases expanded.
    anchors: Vec<(usize, NodeId, u64)>,
    aliases: usize,
    /// Nodes of the document with aliases expanded.
    expanded: u64,
    root: Option<NodeId>,
    start: Option<usize>,
    end: usize,
    duplicate_keys: Vec<DuplicateKey>,
    ambiguous: Vec<NodeId>,
    has_merge_keys: bool,
    /// What go-yaml v2 (so Kubernetes) refuses in the document: span and message.
    kubernetes: Vec<(Span, String)>,
}

/// A scalar key as YAML 1.1 compares keys: by resolved value (`a` and `"a"` are the same key,
/// `1` and `"1"` are not).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum KeyValue<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Float(u64),
    Str(&'a str),
}

impl<'s> Builder<'s> {
    /// A builder for a document of about `nodes` nodes (the previous one's size: documents of
    /// a file tend to look alike, and the arena then grows once instead of ~8 times).
    fn new(nodes: usize) -> Self {
        Self {
            nodes: Vec::with_capacity(nodes),
            items: Vec::with_capacity(nodes / 4),
            pairs: Vec::with_capacity(nodes / 2),
            item_stack: Vec::new(),
            pair_stack: Vec::new(),
            stack: Vec::new(),
            anchors: Vec::new(),
            aliases: 0,
            expanded: 0,
            root: None,
            start: None,
            end: 0,
            duplicate_keys: Vec::new(),
            ambiguous: Vec::new(),
            has_merge_keys: false,
            kubernetes: Vec::new(),
        }
    }

    fn key_value(&self, id: NodeId) -> Option<KeyValue<'_>> {
        let NodeKind::Scalar {
            value,
            plain,
            tagged_str,
        } = &self.nodes[id as usize].kind
        else {
            return None;
        };
        if *plain && value == "<<" {
            return None;
        }
        Some(match scalar::resolve(value, *plain && !tagged_str) {
            Resolved::Null => KeyValue::Null,
            Resolved::Bool(b) => KeyValue::Bool(b),
            Resolved::Int(i) => KeyValue::Int(i),
            Resolved::Float(f) => KeyValue::Float(f.to_bits()),
            Resolved::Str(s) => KeyValue::Str(s),
        })
    }

    /// Record keys of a finished mapping (`self.pairs[range]`) that repeat an earlier key.
    fn find_duplicate_keys(&mut self, range: std::ops::Range<usize>) {
        let pairs = &self.pairs[range];
        if pairs.len() < 2 {
            return;
        }
        let mut found = Vec::new();
        if pairs.len() <= 16 {
            // Small mappings (nearly all): pairwise, without allocating.
            let mut keys: [Option<KeyValue<'_>>; 16] = [None; 16];
            for (slot, &(k, _)) in keys.iter_mut().zip(pairs) {
                *slot = self.key_value(k);
            }
            for i in 1..pairs.len() {
                let Some(key) = keys[i] else { continue };
                if let Some(j) = keys[..i].iter().position(|k| *k == Some(key)) {
                    found.push((j, i));
                }
            }
        } else {
            let keys: Vec<Option<KeyValue<'_>>> =
                pairs.iter().map(|&(k, _)| self.key_value(k)).collect();
            let mut seen = std::collections::HashMap::with_capacity(keys.len());
            for (i, key) in keys.iter().enumerate() {
                let Some(key) = key else { continue };
                if let Some(&j) = seen.get(key) {
                    found.push((j, i));
                } else {
                    seen.insert(key, i);
                }
            }
        }
        for (j, i) in found {
            let first = self.nodes[pairs[j].0 as usize].span;
            let node = &self.nodes[pairs[i].0 as usize];
            let key = match &node.kind {
                NodeKind::Scalar { value, .. } => value.to_string(),
                _ => String::new(),
            };
            self.duplicate_keys.push(DuplicateKey {
                first,
                second: node.span,
                key,
            });
        }
    }

    /// Add a node that stands for `size` nodes once aliases are expanded.
    fn push(&mut self, span: Span, kind: NodeKind<'s>, anchor: usize, size: u64) -> NodeId {
        let id = NodeId::try_from(self.nodes.len()).unwrap_or(NodeId::MAX);
        self.nodes.push(NodeData { span, kind });
        if anchor != 0 {
            self.anchors.push((anchor, id, size));
        }
        self.start.get_or_insert(span.start as usize);
        self.end = self.end.max(span.end as usize);
        self.attach(id, size);
        id
    }

    fn attach(&mut self, id: NodeId, size: u64) {
        match self.stack.last_mut() {
            None => {
                self.root = Some(id);
                self.expanded = size;
            }
            Some(Frame::Seq { expanded, .. }) => {
                self.item_stack.push(id);
                *expanded = expanded.saturating_add(size);
            }
            Some(Frame::Map { key, expanded, .. }) => {
                *expanded = expanded.saturating_add(size);
                match key.take() {
                    None => *key = Some(id),
                    Some(k) => self.pair_stack.push((k, id)),
                }
            }
        }
    }

    /// Nodes of the document so far with aliases expanded (open collections included).
    fn expanded_so_far(&self) -> u64 {
        self.stack.iter().fold(self.expanded, |acc, f| match f {
            Frame::Seq { expanded, .. } | Frame::Map { expanded, .. } => {
                acc.saturating_add(*expanded)
            }
        })
    }

    /// Move a finished sequence's items (the item stack from `first`) to the arena.
    fn arena_items(&mut self, first: usize) -> Children {
        let start = self.items.len();
        self.items.extend(self.item_stack.drain(first..));
        children(start, self.items.len())
    }

    /// Move a finished mapping's pairs (the pair stack from `first`) to the arena.
    fn arena_pairs(&mut self, first: usize) -> Children {
        let start = self.pairs.len();
        self.pairs.extend(self.pair_stack.drain(first..));
        children(start, self.pairs.len())
    }

    /// A collection that ends here and is about to be attached: go-yaml v2 refuses it as a key.
    fn collection_key_check(&mut self, start: usize, end: usize, checks: bool) {
        if checks && matches!(self.stack.last(), Some(Frame::Map { key: None, .. })) {
            self.kubernetes.push((
                Span::new(start, end),
                "Kubernetes rejects this file: go-yaml v2 cannot use a list or a mapping as a \
                 key (\"invalid map key\")"
                    .into(),
            ));
        }
    }

    fn child_end(&self, id: NodeId) -> usize {
        self.nodes[id as usize].span.end as usize
    }
}

impl<'s> Iterator for Documents<'s> {
    type Item = Result<Document<'s>, YamlError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(error) = self.errors.pop() {
            return Some(Err(error));
        }
        if self.done {
            return None;
        }
        let mut builder: Option<Builder<'s>> = None;
        let mut comments: Vec<Comment<'s>> = std::mem::take(&mut self.pending_comments);
        loop {
            let (event, range) = match self.next_event() {
                None => {
                    self.done = true;
                    return self.errors.pop().map(Err);
                }
                Some(Ok(ev)) => ev,
                Some(Err(err)) => {
                    let error = YamlError {
                        span: error_span(self.text, err.at),
                        message: self.parser_message(&err.info),
                        document: self.index.saturating_sub(usize::from(builder.is_some())),
                        kubernetes: false,
                    };
                    self.recover();
                    return Some(Err(error));
                }
            };
            let sp = Span::new(range.start, range.end);
            match event {
                Ev::DocumentStart => {
                    builder = Some(Builder::new(self.node_hint));
                    comments.append(&mut self.pending_comments);
                    self.index += 1;
                }
                Ev::DocumentEnd => {
                    let Some(mut b) = builder.take() else {
                        continue;
                    };
                    for (span, message) in b.kubernetes.drain(..) {
                        self.errors.push(YamlError {
                            span,
                            message,
                            document: self.index - 1,
                            kubernetes: true,
                        });
                    }
                    self.node_hint = b.nodes.len().min(NODE_HINT_MAX);
                    let start = b.start.unwrap_or(range.start);
                    return Some(Ok(Document {
                        index: self.index - 1,
                        span: Span::new(start, b.end.max(start)),
                        nodes: b.nodes,
                        items: b.items,
                        pairs: b.pairs,
                        root: b.root,
                        comments,
                        duplicate_keys: b.duplicate_keys,
                        has_aliases: b.aliases > 0,
                        has_merge_keys: b.has_merge_keys,
                        ambiguous: b.ambiguous,
                    }));
                }
                Ev::Comment(text) => {
                    let c = Comment { span: sp, text };
                    if builder.is_some() {
                        comments.push(c);
                    } else {
                        self.pending_comments.push(c);
                    }
                }
                other => {
                    let Some(b) = builder.as_mut() else { continue };
                    if let Err(message) = self.node_event(b, other, sp) {
                        let error = YamlError {
                            span: sp,
                            message,
                            document: self.index - 1,
                            kubernetes: false,
                        };
                        self.recover();
                        return Some(Err(error));
                    }
                }
            }
        }
    }
}

impl<'s> Documents<'s> {
    /// How many documents have started so far (all of them once the iterator is exhausted).
    #[must_use]
    pub fn started(&self) -> usize {
        self.index
    }

    /// How many documents so far the fast reader took (the others granit-parser read).
    #[must_use]
    pub fn fast_read(&self) -> usize {
        self.fast_read
    }

    /// The parser's message, with its nesting limit named in daemonlint's terms.
    fn parser_message(&self, info: &str) -> String {
        if info.contains("recursion limit exceeded") {
            format!(
                "nesting deeper than {} levels; daemonlint stops here",
                self.limits.max_depth
            )
        } else {
            info.to_string()
        }
    }

    /// After an error, the rest of the chunk is dropped (kubectl stops at it too).
    fn recover(&mut self) {
        self.queue.clear();
        self.source = Source::Queue;
        self.chunk.documents = self.chunk.documents.max(1);
    }

    fn options(&self) -> granit_parser::Options {
        granit_parser::options! {
            emit_anchor_events: false,
            emit_unresolved_aliases: true,
            block_nesting_limit: self.limits.max_depth,
            flow_nesting_limit: self.limits.max_depth,
        }
    }

    /// An error Kubernetes gives where the readers read on.
    fn kubernetes_error(&mut self, at: usize, end: usize, message: String) {
        self.errors.push(YamlError {
            span: Span::new(self.base + at, self.base + end),
            message,
            document: self.index,
            kubernetes: true,
        });
    }

    /// Report what go-yaml v2 refuses in the scalar at `range` (of the whole text) of document
    /// `document`: an escape it does not know (`\\/`), a line or paragraph separator or a NEL
    /// in a plain scalar (line breaks to YAML 1.1).
    fn check_scalar(&mut self, range: std::ops::Range<usize>, document: usize) {
        let Some(raw) = self.text.get(range.clone()) else {
            return;
        };
        let bytes = raw.as_bytes();
        let problem = if bytes.first() == Some(&b'"') {
            let mut found = None;
            let mut i = 1;
            while let Some(p) = memchr::memchr(b'\\', &bytes[i..]) {
                let at = i + p;
                match bytes.get(at + 1) {
                    Some(b'/') => {
                        found = Some((
                            at,
                            2,
                            "Kubernetes rejects this file: go-yaml v2 knows no `\\/` escape \
                             (\"found unknown escape character\"); write `/`",
                        ));
                        break;
                    }
                    Some(_) => i = at + 2,
                    None => break,
                }
            }
            found
        } else if bytes.first() != Some(&b'\'') && !bytes.is_ascii() {
            ["\u{2028}", "\u{2029}", "\u{85}"].iter().find_map(|c| {
                raw.find(c).map(|at| {
                    (
                        at,
                        c.len(),
                        "Kubernetes rejects this file: go-yaml v2 (YAML 1.1) reads U+2028, U+2029 \
                         and U+0085 as line breaks, which break this plain scalar (\"could not \
                         find expected ':'\"); quote the value or delete the character",
                    )
                })
            })
        } else {
            None
        };
        if let Some((at, len, message)) = problem {
            let at = range.start + at;
            self.errors.push(YamlError {
                span: Span::new(at, at + len),
                message: message.into(),
                document,
                kubernetes: true,
            });
        }
    }

    /// A document starts at `at` (in the whole text) in the current chunk.
    fn chunk_document(&mut self, at: usize) {
        self.chunk.documents += 1;
        if self.chunk.documents == 2 {
            self.errors.push(YamlError {
                span: error_span(self.text, at),
                message: "Kubernetes never applies this document: kubectl cuts the stream \
                          at `---` lines and decodes only the first document of each part, \
                          so a document that follows `...` without a `---` line is silently \
                          dropped; start it with a `---` line"
                    .into(),
                document: self.index,
                kubernetes: true,
            });
        }
    }

    /// Start reading the next chunk; `None` when there is none.
    fn start_chunk(&mut self) -> Option<()> {
        let (separator, body) = self.next_chunk.take()?;
        if let Some(sep) = separator {
            self.check_separator(sep);
        }
        // Directives come before any content: this stops at the first other line.
        let at = self.skip_directives(body, self.slice.len());
        if self.fast_reader {
            // The fast reader finds where the part ends itself (no second pass over the text).
            let max_nodes = self.limits.max_nodes.saturating_sub(2);
            let (depth, queue) = (self.limits.max_depth, &mut self.queue);
            match fast::document(self.slice, at, depth, max_nodes, queue) {
                Some(end) => {
                    self.open_chunk(separator, end);
                    self.checks = false;
                    if matches!(self.queue.last(), Some((Ev::DocumentEnd, ..))) {
                        self.fast_read += 1;
                    }
                    self.queue.reverse();
                    return Some(());
                }
                None => self.queue.clear(),
            }
        }
        let end = find_separator(self.slice, body, separator.is_none())
            .unwrap_or(self.slice.len())
            .max(at);
        self.open_chunk(separator, end);
        self.checks = true;
        let (repair, problems) = repair::scan(&self.slice[at..end]);
        for (offset, len, message) in problems {
            self.kubernetes_error(at + offset, at + offset + len, message.into());
        }
        if let Some(repair) = repair {
            if self.read_repaired(&repair, at, end) {
                return Some(());
            }
        }
        let rest = self.slice.get(at..end).unwrap_or("");
        self.source = Source::Granit {
            parser: Box::new(Parser::new_from_str_with_options(rest, self.options())),
            at,
        };
        Some(())
    }

    /// The current chunk ends at `end` (a `---` line or the end of the slice).
    fn open_chunk(&mut self, separator: Option<usize>, end: usize) {
        self.next_chunk = (end < self.slice.len()).then_some((Some(end), end + 3));
        self.chunk = Chunk {
            separator,
            end,
            documents: 0,
            open: true,
        };
    }

    /// Report content after a `---` (kubectl refuses it).
    fn check_separator(&mut self, sep: usize) {
        let rest_start = sep + 3;
        let line_end = memchr::memchr(b'\n', &self.slice.as_bytes()[rest_start..])
            .map_or(self.slice.len(), |p| rest_start + p);
        let rest = &self.slice[rest_start..line_end];
        let trimmed = rest.trim_start();
        let content = trimmed.trim_end();
        if content.is_empty() || content.starts_with('#') {
            return;
        }
        let at = rest_start + (rest.len() - trimmed.len());
        self.kubernetes_error(
            at,
            at + content.len(),
            format!(
                "Kubernetes rejects this file: kubectl cuts the stream into documents at lines \
                 that start with `---`, and only a comment may follow the `---` (\"invalid Yaml \
                 document separator: {content}\"); move `{content}` to the next line"
            ),
        );
    }

    /// Report the directives (lines that start with `%`) that open the chunk `slice[at..end]`
    /// (before its first content; one after it belongs to a later document, which go-yaml
    /// never reads) and give where the text after the last one starts.
    fn skip_directives(&mut self, at: usize, end: usize) -> usize {
        let bytes = &self.slice.as_bytes()[..end];
        let mut line = at;
        let mut after = at;
        let mut reported = false;
        while line < end {
            let line_end = memchr::memchr(b'\n', &bytes[line..]).map_or(end, |p| line + p);
            let text = self.slice[line..line_end].trim_end();
            let content = text.trim_start();
            if content.starts_with('%') && content.len() == text.len() {
                if !reported {
                    reported = true;
                    let why = if text.starts_with("%YAML") && !text.contains("1.1") {
                        "go-yaml v2 reads YAML 1.1 only and calls this version incompatible"
                    } else {
                        "go-yaml v2 refuses a directive without a document"
                    };
                    self.kubernetes_error(
                        line,
                        line + text.len(),
                        format!(
                            "Kubernetes rejects this file: kubectl cuts the stream into documents \
                             at `---` lines, so the directive `{text}` is decoded alone and \
                             {why}; delete the directive"
                        ),
                    );
                }
                after = (line_end + 1).min(end);
            } else if !(content.is_empty() || content.starts_with('#')) {
                break;
            }
            line = line_end + 1;
        }
        after
    }

    /// Read the chunk `slice[at..end]` from its repaired copy; false (nothing read) when
    /// granit-parser still refuses it, so the original gives the error.
    fn read_repaired(&mut self, repair: &repair::Repair, at: usize, end: usize) -> bool {
        let chunk = &self.slice[at..end];
        let mut parser = Parser::new_from_str_with_options(&repair.text, self.options());
        let mut events: Vec<fast::Spanned<'s>> = Vec::new();
        while let Some(next) = parser.next_event() {
            let Ok((event, span)) = next else {
                return false;
            };
            let range = span.byte_range().unwrap_or(0..0);
            let Some(mut ev) = convert(event).map(owned) else {
                continue;
            };
            if let Ev::Scalar { value, .. } = &mut ev {
                if let Some(&(s, e)) = repair.scalars.iter().find(|(s, _)| *s == range.start) {
                    let Some(decoded) = repair::decode_quoted(&chunk[s..e]) else {
                        return false;
                    };
                    *value = Cow::Owned(decoded);
                }
            }
            if matches!(ev, Ev::Scalar { .. }) {
                let whole = self.base + range.start + at..self.base + range.end + at;
                self.check_scalar(whole, self.index);
            }
            events.push((ev, range.start + at, range.end + at));
        }
        for &(s, e) in &repair.comments {
            let pos = events.partition_point(|&(_, start, _)| start <= s + at);
            let text = Cow::Borrowed(&self.slice[at + s + 1..at + e]);
            events.insert(pos, (Ev::Comment(text), at + s, at + e));
        }
        events.reverse();
        self.queue = events;
        true
    }

    /// The next event with its range in the whole text. The queue's (nearly every event) is
    /// taken here, inlined into the builder's loop; the rest in [`Self::next_event_slow`].
    #[inline]
    fn next_event(&mut self) -> Option<Result<(Ev<'s>, std::ops::Range<usize>), SyntaxError>> {
        if matches!(self.source, Source::Queue) {
            if let Some((event, start, end)) = self.queue.pop() {
                if matches!(event, Ev::DocumentStart) {
                    self.chunk_document(start + self.base);
                }
                return Some(Ok((event, start + self.base..end + self.base)));
            }
        }
        self.next_event_slow()
    }

    #[inline(never)]
    fn next_event_slow(&mut self) -> Option<Result<(Ev<'s>, std::ops::Range<usize>), SyntaxError>> {
        loop {
            if let Source::Granit { parser, at } = &mut self.source {
                let base = self.base + *at;
                match parser.next_event() {
                    None => {
                        self.source = Source::Queue;
                        continue;
                    }
                    Some(Err(err)) => {
                        let at = err
                            .marker()
                            .byte_offset()
                            .map_or(self.text.len(), |o| o + base);
                        return Some(Err(SyntaxError {
                            at,
                            info: err.info(),
                        }));
                    }
                    Some(Ok((event, span))) => {
                        let range = span.byte_range().unwrap_or(0..0);
                        let range = range.start + base..range.end + base;
                        let Some(event) = convert(event) else {
                            continue;
                        };
                        match event {
                            Ev::DocumentStart => self.chunk_document(range.start),
                            Ev::Scalar { .. } => {
                                let index = self.index.saturating_sub(1);
                                self.check_scalar(range.clone(), index);
                            }
                            _ => {}
                        }
                        return Some(Ok((event, range)));
                    }
                }
            }
            if let Some((event, start, end)) = self.queue.pop() {
                if matches!(event, Ev::DocumentStart) {
                    self.chunk_document(start + self.base);
                }
                return Some(Ok((event, start + self.base..end + self.base)));
            }
            if self.chunk.open {
                self.chunk.open = false;
                if let (0, Some(sep)) = (self.chunk.documents, self.chunk.separator) {
                    // Nothing between two `---` lines: an empty document, as YAML counts it.
                    let end = self.chunk.end;
                    self.queue.push((Ev::DocumentEnd, end, end));
                    self.queue.push((Ev::DocumentStart, sep, sep + 3));
                    continue;
                }
            }
            self.start_chunk()?;
        }
    }

    fn node_event(&self, b: &mut Builder<'s>, event: Ev<'s>, sp: Span) -> Result<(), String> {
        if b.nodes.len() >= self.limits.max_nodes {
            return Err(format!(
                "document has more than {} nodes; daemonlint stops here to bound memory",
                self.limits.max_nodes
            ));
        }
        match event {
            Ev::Scalar {
                value,
                plain: plain_style,
                tagged_str,
                anchor,
            } => {
                let plain = plain_style && !tagged_str;
                let ambiguous = plain && scalar::yaml12_disagreement(&value).is_some();
                let merge = plain && value == "<<";
                match b.stack.last() {
                    _ if !plain_style || !self.checks => {}
                    Some(Frame::Map { key: None, .. }) if sp.start == sp.end && value == "~" => {
                        b.kubernetes.push((
                            error_span(self.text, sp.start as usize),
                            "Kubernetes rejects this file: go-yaml v2 needs a key before this \
                             `:` (\"did not find expected key\"); add the key"
                                .into(),
                        ));
                    }
                    Some(frame) if frame_is_flow(frame, self.text) => {
                        if let Some(q) = memchr::memchr(b'?', value.as_bytes()) {
                            let at = sp.start as usize + q;
                            b.kubernetes.push((
                                Span::new(at, at + 1),
                                "Kubernetes rejects this file: inside `[...]` or `{...}` go-yaml \
                                 v2 ends a plain scalar at `?` (\"did not find expected ','\"); quote \
                                 the value"
                                    .into(),
                            ));
                        }
                    }
                    _ => {}
                }
                let id = b.push(
                    sp,
                    NodeKind::Scalar {
                        value,
                        plain: plain_style,
                        tagged_str,
                    },
                    anchor,
                    1,
                );
                if ambiguous {
                    b.ambiguous.push(id);
                }
                b.has_merge_keys |= merge;
            }
            Ev::SequenceStart { flow, anchor } => {
                if b.stack.len() >= self.limits.max_depth {
                    return Err(format!(
                        "nesting deeper than {} levels",
                        self.limits.max_depth
                    ));
                }
                b.start.get_or_insert(sp.start as usize);
                b.stack.push(Frame::Seq {
                    start: sp.start as usize,
                    anchor,
                    first: b.item_stack.len(),
                    flow_end: flow.then_some(0),
                    expanded: 0,
                });
            }
            Ev::MappingStart { anchor } => {
                if b.stack.len() >= self.limits.max_depth {
                    return Err(format!(
                        "nesting deeper than {} levels",
                        self.limits.max_depth
                    ));
                }
                b.start.get_or_insert(sp.start as usize);
                b.stack.push(Frame::Map {
                    start: sp.start as usize,
                    anchor,
                    first: b.pair_stack.len(),
                    key: None,
                    expanded: 0,
                });
            }
            Ev::SequenceEnd => {
                if let Some(Frame::Seq {
                    start,
                    anchor,
                    first,
                    flow_end,
                    expanded,
                }) = b.stack.pop()
                {
                    let end = if flow_end.is_some() {
                        sp.end as usize
                    } else {
                        b.item_stack[first..]
                            .last()
                            .map_or(start, |&id| b.child_end(id))
                    };
                    b.collection_key_check(start, end, self.checks);
                    let children = b.arena_items(first);
                    b.push(
                        Span::new(start, end),
                        NodeKind::Seq(children),
                        anchor,
                        expanded.saturating_add(1),
                    );
                }
            }
            Ev::MappingEnd => {
                if let Some(Frame::Map {
                    start,
                    anchor,
                    first,
                    key,
                    expanded,
                }) = b.stack.pop()
                {
                    let flow = self.text.as_bytes().get(start) == Some(&b'{');
                    let mut end = if flow {
                        sp.end as usize
                    } else {
                        b.pair_stack[first..]
                            .last()
                            .map_or(start, |&(_, v)| b.child_end(v))
                    };
                    if let Some(k) = key {
                        end = end.max(b.child_end(k));
                    }
                    let children = b.arena_pairs(first);
                    b.find_duplicate_keys(children.range());
                    b.collection_key_check(start, end, self.checks);
                    b.push(
                        Span::new(start, end),
                        NodeKind::Map(children),
                        anchor,
                        expanded.saturating_add(1),
                    );
                }
            }
            Ev::Alias(anchor) => {
                b.aliases += 1;
                if b.aliases > self.limits.max_aliases {
                    return Err(format!(
                        "more than {} aliases in one document; daemonlint stops here \
                         (an alias bomb?)",
                        self.limits.max_aliases
                    ));
                }
                let target = b
                    .anchors
                    .iter()
                    .rev()
                    .find(|(a, _, _)| *a == anchor)
                    .map(|&(_, id, size)| (id, size));
                let (kind, size) = target.map_or((NodeKind::Invalid, 1), |(id, size)| {
                    (NodeKind::Alias(id), size)
                });
                b.push(sp, kind, 0, size);
                if b.expanded_so_far() > self.limits.max_nodes as u64 {
                    return Err(format!(
                        "aliases expand this document to more than {} nodes; daemonlint stops \
                         here (an alias bomb?)",
                        self.limits.max_nodes
                    ));
                }
            }
            Ev::UnresolvedAlias(name) => {
                return Err(format!(
                    "unknown anchor `{name}`: no `&{name}` before this alias"
                ));
            }
            _ => {}
        }
        Ok(())
    }
}

/// Whether a collection being built is a flow one (`[...]` or `{...}`).
fn frame_is_flow(frame: &Frame, text: &str) -> bool {
    match frame {
        Frame::Seq { flow_end, .. } => flow_end.is_some(),
        Frame::Map { start, .. } => text.as_bytes().get(*start) == Some(&b'{'),
    }
}

/// granit-parser's event as the builder's, `None` for events it does not use.
fn convert(event: Event<'_>) -> Option<Ev<'_>> {
    Some(match event {
        Event::DocumentStart(..) => Ev::DocumentStart,
        Event::DocumentEnd => Ev::DocumentEnd,
        Event::Comment(text, _) => Ev::Comment(text),
        Event::Scalar(value, style, anchor, tag) => {
            let plain = matches!(style, ScalarStyle::Plain);
            // As go-yaml v2 resolves tags: `!!bool`, `!!int`, `!!float` and `!!null` resolve
            // the text as if it were plain (quoted or not), any other tag (`!!str`, a local
            // `!custom`, `!!binary`...) makes the scalar a string.
            let (plain, tagged_str) = match tag.as_ref().map(|t| t.core_suffix()) {
                None => (plain, false),
                Some(Some("bool" | "int" | "float" | "null")) => (true, false),
                Some(_) => (plain, true),
            };
            Ev::Scalar {
                value,
                plain,
                tagged_str,
                anchor,
            }
        }
        Event::SequenceStart(style, anchor, _) => Ev::SequenceStart {
            flow: matches!(style, granit_parser::StructureStyle::Flow),
            anchor,
        },
        Event::SequenceEnd => Ev::SequenceEnd,
        Event::MappingStart(_, anchor, _) => Ev::MappingStart { anchor },
        Event::MappingEnd => Ev::MappingEnd,
        Event::Alias(id) => Ev::Alias(id),
        Event::UnresolvedAlias(name) => Ev::UnresolvedAlias(name),
        // Stream start and end, anchor events (not asked for), and any later kind.
        _ => return None,
    })
}

/// An event that borrows nothing.
fn owned(event: Ev<'_>) -> Ev<'static> {
    let own = |c: Cow<'_, str>| Cow::Owned(c.into_owned());
    match event {
        Ev::DocumentStart => Ev::DocumentStart,
        Ev::DocumentEnd => Ev::DocumentEnd,
        Ev::Comment(text) => Ev::Comment(own(text)),
        Ev::Scalar {
            value,
            plain,
            tagged_str,
            anchor,
        } => Ev::Scalar {
            value: own(value),
            plain,
            tagged_str,
            anchor,
        },
        Ev::SequenceStart { flow, anchor } => Ev::SequenceStart { flow, anchor },
        Ev::SequenceEnd => Ev::SequenceEnd,
        Ev::MappingStart { anchor } => Ev::MappingStart { anchor },
        Ev::MappingEnd => Ev::MappingEnd,
        Ev::Alias(id) => Ev::Alias(id),
        Ev::UnresolvedAlias(name) => Ev::UnresolvedAlias(own(name)),
    }
}

/// A one-character span at `at` (or empty at the end of the text).
fn error_span(text: &str, at: usize) -> Span {
    let at = at.min(text.len());
    let len = text[at..].chars().next().map_or(0, |c| {
        if c == '\n' || c == '\r' {
            0
        } else {
            c.len_utf8()
        }
    });
    Span::new(at, at + len)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn docs(text: &str) -> Vec<Result<Document<'_>, YamlError>> {
        documents(text, Limits::default()).collect()
    }

    #[test]
    fn keys_and_values_keep_their_spans() {
        let text = "a:\n  b: [1, \"two\"]\n";
        let all = docs(text);
        let doc = all[0].as_ref().expect("parses");
        let root = doc.root().expect("root");
        let (key, value) = root.get("a").and_then(|a| a.entry("b")).expect("a.b");
        assert_eq!(&text[key.span().range()], "b");
        assert_eq!(&text[value.span().range()], "[1, \"two\"]");
        let two = value.items().nth(1).expect("item");
        assert_eq!(two.as_str(), Some("two"));
        assert_eq!(root.path_to(two.span()).as_deref(), Some("a.b[1]"));
        assert_eq!(root.path_to(key.span()).as_deref(), Some("a.b"));
    }

    #[test]
    fn aliases_point_at_the_alias_site_and_merge_keys_merge() {
        let text = "base: &b\n  x: 1\n  y: 2\nuse: *b\nmerged:\n  <<: *b\n  y: 3\n";
        let all = docs(text);
        let doc = all[0].as_ref().expect("parses");
        let root = doc.root().expect("root");
        let x = root.get_path(&["use", "x"]).expect("use.x");
        assert_eq!(x.as_i64(), Some(1));
        assert_eq!(&text[x.span().range()], "*b");
        let merged = root.get("merged").expect("merged");
        assert_eq!(merged.get("y").and_then(|n| n.as_i64()), Some(3));
        assert_eq!(merged.get("x").and_then(|n| n.as_i64()), Some(1));
        assert_eq!(merged.entries().len(), 2);
    }

    #[test]
    fn syntax_errors_recover_at_the_next_document() {
        let text = "a: 1\n---\nb: [\n---\nc: 3\n";
        let all = docs(text);
        assert_eq!(all.len(), 3);
        assert!(all[0].is_ok());
        let err = all[1].as_ref().expect_err("error");
        assert_eq!(err.document, 1);
        let last = all[2].as_ref().expect("third parses");
        assert_eq!(last.index, 2);
        assert_eq!(
            last.root()
                .and_then(|r| r.get("c"))
                .and_then(|n| n.as_i64()),
            Some(3)
        );
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = "[".repeat(100_000);
        let all = docs(&text);
        assert!(all.iter().any(Result::is_err));
    }

    #[test]
    fn alias_bombs_are_refused_while_loading() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let p = i - 1;
            let items = vec![format!("*a{p}"); 10].join(", ");
            text.push_str(&format!("a{i}: &a{i} [{items}]\n"));
        }
        text.push_str("---\nnext: 1\n");
        let all = docs(&text);
        let err = all[0].as_ref().expect_err("refused");
        assert!(err.message.contains("alias bomb"), "{}", err.message);
        // `a6` holds ten `*a5` of 1.1 million nodes each: the fifth passes 5,000,000.
        assert_eq!(&text[err.span.range()], "*a5");
        assert!(all[1].is_ok());
        // Anchors reused a few times stay well under the limit.
        assert!(docs("a: &a [1, 2]\nb: *a\nc: [*a, *a]\n")[0].is_ok());
    }

    #[test]
    fn duplicate_keys_compare_resolved_values() {
        let text =
            "a: 1\n\"a\": 2\nb: {x: 1, y: 2, x: 3}\n1: one\n\"1\": str\n<<: {c: 1}\n<<: {d: 1}\n";
        let all = docs(text);
        let doc = all[0].as_ref().expect("parses");
        let found: Vec<(&str, &str, &str)> = doc
            .duplicate_keys
            .iter()
            .map(|d| {
                (
                    &text[d.first.range()],
                    &text[d.second.range()],
                    d.key.as_str(),
                )
            })
            .collect();
        assert_eq!(found, vec![("x", "x", "x"), ("a", "\"a\"", "a")]);
    }

    #[test]
    fn duplicate_keys_in_large_mappings() {
        let mut text = String::new();
        for i in 0..40 {
            text.push_str(&format!("k{i}: {i}\n"));
        }
        text.push_str("k7: again\n");
        let all = docs(&text);
        let doc = all[0].as_ref().expect("parses");
        assert_eq!(doc.duplicate_keys.len(), 1);
        assert_eq!(&text[doc.duplicate_keys[0].first.range()], "k7");
    }

    #[test]
    fn json_pointers_find_keys_and_items() {
        let text = "a:\n  b/c: [x, {yes: 1}]\n  m: {k: v}\n";
        let all = docs(text);
        let root = all[0].as_ref().expect("parses").root().expect("root");
        let (key, value) = root.pointer_entry("/a/b~1c/1/true").expect("found");
        assert_eq!(&text[key.expect("key").span().range()], "yes");
        assert_eq!(value.as_i64(), Some(1));
        let (key, value) = root.pointer_entry("/a/b~1c/0").expect("item");
        assert!(key.is_none());
        assert_eq!(value.as_str(), Some("x"));
        assert!(root.pointer("/a/nope").is_none());
        assert!(root.pointer("/a/m/k/deeper").is_none());
        assert_eq!(root.pointer("").map(|n| n.is_mapping()), Some(true));
    }

    #[test]
    fn unknown_anchor_is_an_error() {
        let all = docs("a: *nope\n");
        assert!(all[0].as_ref().is_err_and(|e| e.message.contains("nope")));
    }
}

/// Split a multi-document text into about `parts` ranges of similar size, each starting at a
/// line that starts with `---`: where kubectl cuts the stream, and where [`documents`] cuts it,
/// so each range parses on its own as it does in the whole.
#[must_use]
pub fn split_documents(text: &str, parts: usize) -> Vec<std::ops::Range<usize>> {
    let target = (text.len() / parts.max(1)).max(1);
    let bytes = text.as_bytes();
    let mut cuts = vec![0];
    let mut from = target;
    while from < bytes.len() {
        let Some(sep) = find_separator(text, from, false) else {
            break;
        };
        cuts.push(sep);
        from = sep + target;
    }
    let mut ranges: Vec<_> = cuts.windows(2).map(|w| w[0]..w[1]).collect();
    ranges.push(cuts.last().copied().unwrap_or(0)..text.len());
    ranges
}

#[cfg(test)]
mod split_tests {
    use super::*;

    #[test]
    fn split_parts_parse_like_the_whole() {
        let mut text = String::from("# header\n");
        for i in 0..50 {
            text.push_str(&format!(
                "---\na{i}: |\n  block {i}\n  --- not a marker inside a block\nb: [1, 2]\n"
            ));
        }
        let whole: Vec<String> = documents(&text, Limits::default())
            .map(|d| {
                d.map(|d| format!("{:?}", d.root().map(|r| r.span())))
                    .unwrap_or_default()
            })
            .collect();
        let ranges = split_documents(&text, 7);
        assert!(ranges.len() > 3, "{ranges:?}");
        let mut parts = Vec::new();
        for r in ranges {
            for d in documents_in(&text, r, Limits::default()) {
                parts.push(
                    d.map(|d| format!("{:?}", d.root().map(|r| r.span())))
                        .unwrap_or_default(),
                );
            }
        }
        assert_eq!(whole, parts);
    }
}
