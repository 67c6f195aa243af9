//! The span tree of a document: an arena of nodes, each with the byte span of its text (and of
//! its key), read through [`Node`].

use super::*;

#[derive(Debug)]
pub(super) enum NodeKind<'s> {
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
pub(super) struct Children {
    pub(super) start: u32,
    pub(super) len: u32,
}

impl Children {
    pub(super) fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.start as usize + self.len as usize
    }
}

#[derive(Debug)]
pub(super) struct NodeData<'s> {
    pub(super) span: Span,
    pub(super) kind: NodeKind<'s>,
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
    pub(super) nodes: Vec<NodeData<'s>>,
    /// The items of every sequence.
    pub(super) items: Vec<NodeId>,
    /// The pairs of every mapping.
    pub(super) pairs: Vec<(NodeId, NodeId)>,
    pub(super) root: Option<NodeId>,
    pub comments: Vec<Comment<'s>>,
    /// Keys that repeat a key of the same mapping, in source order.
    pub duplicate_keys: Vec<DuplicateKey>,
    /// The document holds at least one alias (so its expanded size may exceed its text's).
    pub(super) has_aliases: bool,
    /// The document holds a plain `<<` (a merge key, or at least a scalar that looks like one).
    pub(super) has_merge_keys: bool,
    /// Plain scalars that YAML 1.1 and YAML 1.2 read differently, in source order.
    pub(super) ambiguous: Vec<NodeId>,
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
