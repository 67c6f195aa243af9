//! Building a document's arena from parser events: collections, anchors and aliases (with the
//! limits that make alias bombs and deep nesting harmless), duplicate keys and what go-yaml v2
//! refuses.

use super::*;

fn children(start: usize, end: usize) -> Children {
    // A document holds at most `Limits::max_nodes` nodes, far below `u32::MAX`.
    Children {
        start: u32::try_from(start).unwrap_or(u32::MAX),
        len: u32::try_from(end - start).unwrap_or(0),
    }
}

/// The largest arena reserved ahead of a document (a huge document does not make every later
/// small one reserve as much).
pub(super) const NODE_HINT_MAX: usize = 4096;

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

pub(super) struct Builder<'s> {
    pub(super) nodes: Vec<NodeData<'s>>,
    /// The document's arenas of finished collections' children.
    pub(super) items: Vec<NodeId>,
    pub(super) pairs: Vec<(NodeId, NodeId)>,
    /// Children of the open collections, innermost last.
    item_stack: Vec<NodeId>,
    pair_stack: Vec<(NodeId, NodeId)>,
    stack: Vec<Frame>,
    /// Anchor id, node and the node's size with aliases expanded.
    anchors: Vec<(usize, NodeId, u64)>,
    pub(super) aliases: usize,
    /// Nodes of the document with aliases expanded.
    expanded: u64,
    pub(super) root: Option<NodeId>,
    pub(super) start: Option<usize>,
    pub(super) end: usize,
    pub(super) duplicate_keys: Vec<DuplicateKey>,
    pub(super) ambiguous: Vec<NodeId>,
    pub(super) has_merge_keys: bool,
    /// What go-yaml v2 (so Kubernetes) refuses in the document: span and message.
    pub(super) kubernetes: Vec<(Span, String)>,
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
    pub(super) fn new(nodes: usize) -> Self {
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

impl<'s> Documents<'s> {
    pub(super) fn node_event(
        &self,
        b: &mut Builder<'s>,
        event: Ev<'s>,
        sp: Span,
    ) -> Result<(), String> {
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
