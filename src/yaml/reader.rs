//! [`Documents`]: a text cut into chunks at every line that starts with `---` (as kubectl
//! cuts it), each chunk read by the fast reader or, where it declines, by granit-parser.

use super::*;

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
    pub(super) text: &'s str,
    /// Offset of the parsed part in `text`.
    base: usize,
    /// The parsed part of `text`.
    slice: &'s str,
    source: Source<'s>,
    /// Events still to give, last first (taken with `pop`): a chunk the fast reader read, a
    /// repaired chunk, or an empty document.
    queue: Vec<fast::Spanned<'s>>,
    pub(super) limits: Limits,
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
    pub(super) checks: bool,
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
pub(super) fn find_separator(slice: &str, from: usize, at_line_start: bool) -> Option<usize> {
    let bytes = slice.as_bytes();
    if at_line_start && bytes.get(from..from + 3) == Some(b"---") {
        return Some(from);
    }
    let rest = bytes.get(from..)?;
    memchr::memmem::find(rest, b"\n---").map(|p| from + p + 1)
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
pub(super) fn error_span(text: &str, at: usize) -> Span {
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
