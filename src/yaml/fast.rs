//! The fast reader: one document of plain block YAML scanned straight to builder events, with
//! the values and spans granit-parser gives them.
//!
//! Nearly every manifest is written in a small part of YAML: block mappings and sequences,
//! plain scalars (over several lines too), one-line quoted scalars, literal blocks (`|-`,
//! `|`), comments, and flow collections on one line (`[a, b]`, `{app: x}`). This reader
//! handles exactly that, a line at a time, and declines everything else: anchors, aliases,
//! tags, folded blocks (`>`), multi-line quoted scalars and flow collections, complex keys,
//! directives, `...`, tabs, non-printable characters, empty documents, any error.
//! A declined document is read by granit-parser instead (see `Documents`), so the result never
//! depends on which reader read it; the differential tests hold the two to the same trees.
//!
//! Offsets are relative to the text the reader is given.

use std::borrow::Cow;

/// An event of the span-tree builder, from either reader.
#[derive(Debug)]
pub(super) enum Ev<'s> {
    DocumentStart,
    DocumentEnd,
    Comment(Cow<'s, str>),
    Scalar {
        value: Cow<'s, str>,
        plain: bool,
        tagged_str: bool,
        anchor: usize,
    },
    SequenceStart {
        flow: bool,
        anchor: usize,
    },
    SequenceEnd,
    MappingStart {
        anchor: usize,
    },
    MappingEnd,
    Alias(usize),
    UnresolvedAlias(Cow<'s, str>),
}

/// An event with its byte range.
pub(super) type Spanned<'s> = (Ev<'s>, usize, usize);

/// A mapping key's event, the end of its text and the offset of its `:`.
type Key<'s> = (Ev<'s>, usize, usize);

/// The longest implicit key YAML allows.
const MAX_KEY: usize = 1024;

/// Read from `pos` (the start of a part of the stream: the start of the text or just after a
/// `---`) through one document and the comments after it, up to the next `---` line (which
/// ends the part, as kubectl cuts the stream) or the end of the text. Returns where that line
/// starts (or the text's length); any other line that starts with `---` makes it decline. Events are appended to
/// `out`. Returns where the next document starts, or `None` to decline (`out` then holds a
/// partial document, which the caller drops).
pub(super) fn document<'s>(
    text: &'s str,
    pos: usize,
    max_depth: usize,
    max_nodes: usize,
    out: &mut Vec<Spanned<'s>>,
) -> Option<usize> {
    let mut reader = Reader {
        text,
        bytes: text.as_bytes(),
        out,
        line: Line::default(),
        depth: 0,
        max_depth: max_depth.saturating_sub(1).min(100),
        nodes: 0,
        max_nodes,
    };
    reader.run(pos)
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Kind {
    #[default]
    Eof,
    Blank,
    Comment,
    /// A `---` line with nothing after the marker.
    DocumentStart,
    Content,
}

/// The current line. `content` is where its content starts; after a `- ` it is moved to the
/// item's content, whose column is then the indentation of a compact mapping.
#[derive(Clone, Copy, Debug, Default)]
struct Line {
    start: usize,
    content: usize,
    /// End of the content, before `\r\n` or `\n`.
    end: usize,
    /// Start of the next line.
    next: usize,
    kind: Kind,
}

impl Line {
    fn indent(&self) -> usize {
        self.content - self.start
    }
}

struct Reader<'s, 'o> {
    text: &'s str,
    bytes: &'s [u8],
    out: &'o mut Vec<Spanned<'s>>,
    line: Line,
    depth: usize,
    max_depth: usize,
    nodes: usize,
    max_nodes: usize,
}

/// What a plain scalar in block context ran into.
#[derive(Clone, Copy)]
enum Stop {
    /// `: ` or `:` at the end of the line, at this offset.
    Colon(usize),
    /// ` #`, with the `#` at this offset.
    Comment(usize),
    Eol,
}

impl<'s> Reader<'s, '_> {
    fn run(&mut self, pos: usize) -> Option<usize> {
        self.line = self.read(pos)?;
        self.trivia()?;
        match self.line.kind {
            // Comments and nothing else: granit-parser gives them and no document.
            Kind::Eof => return Some(self.line.start),
            // The next part's `---` line: this part has no document.
            Kind::DocumentStart => return Some(self.line.start),
            Kind::Content => self.emit(Ev::DocumentStart, pos, pos),
            Kind::Blank | Kind::Comment => return None,
        }
        if self.line.kind != Kind::Content {
            return None; // an empty document
        }
        self.block(self.line.indent(), None)?;
        self.trivia()?;
        if !matches!(self.line.kind, Kind::Eof | Kind::DocumentStart) {
            return None;
        }
        let at = self.line.start;
        self.emit(Ev::DocumentEnd, at, at);
        Some(at)
    }

    fn emit(&mut self, event: Ev<'s>, start: usize, end: usize) {
        self.out.push((event, start, end));
    }

    /// Count a node; decline past the node limit (granit-parser's path reports it).
    fn node(&mut self) -> Option<()> {
        self.nodes += 1;
        (self.nodes <= self.max_nodes).then_some(())
    }

    fn deeper(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth < self.max_depth).then_some(())
    }

    /// The line starting at `pos`, or `None` for one this reader does not take.
    fn read(&self, pos: usize) -> Option<Line> {
        let bytes = self.bytes;
        if pos >= bytes.len() {
            return Some(Line {
                start: bytes.len(),
                content: bytes.len(),
                end: bytes.len(),
                next: bytes.len(),
                kind: Kind::Eof,
            });
        }
        let (mut end, next) = match memchr::memchr(b'\n', &bytes[pos..]) {
            Some(i) => (pos + i, pos + i + 1),
            None => (bytes.len(), bytes.len()),
        };
        if end > pos && bytes[end - 1] == b'\r' {
            end -= 1;
        }
        let line = &bytes[pos..end];
        if !printable(line) {
            return None;
        }
        let indent = line.iter().take_while(|&&b| b == b' ').count();
        let content = pos + indent;
        let kind = if content == end {
            Kind::Blank
        } else if bytes[content] == b'#' {
            Kind::Comment
        } else if indent == 0 && is_marker(line, b'-') {
            if line[3..].iter().any(|&b| b != b' ') {
                return None; // content or a comment after `---`
            }
            Kind::DocumentStart
        } else if indent == 0 && (is_marker(line, b'.') || line[0] == b'%') {
            return None; // `...` or a directive
        } else {
            Kind::Content
        };
        Some(Line {
            start: pos,
            content,
            end,
            next,
            kind,
        })
    }

    fn advance(&mut self) -> Option<()> {
        self.line = self.read(self.line.next)?;
        Some(())
    }

    /// Skip blank lines and comment lines, giving the comments.
    fn trivia(&mut self) -> Option<()> {
        loop {
            match self.line.kind {
                Kind::Blank => {}
                Kind::Comment => {
                    let Line { content, end, .. } = self.line;
                    self.comment(content, end);
                }
                _ => return Some(()),
            }
            self.advance()?;
        }
    }

    fn comment(&mut self, hash: usize, end: usize) {
        let text = &self.text[hash + 1..end];
        self.emit(Ev::Comment(Cow::Borrowed(text)), hash, end);
    }

    fn is_entry(&self, at: usize) -> bool {
        self.bytes[at] == b'-' && (at + 1 == self.line.end || self.bytes[at + 1] == b' ')
    }

    /// A block collection whose first line is the current one, at column `indent`; or, when
    /// `parent` (the column of the mapping whose value this is) is given, a scalar there.
    /// Leaves the current line at the first line after the node.
    fn block(&mut self, indent: usize, parent: Option<usize>) -> Option<()> {
        let at = self.line.content;
        if self.is_entry(at) {
            return self.sequence(indent, false);
        }
        match (self.key(at)?, parent) {
            (Some(key), _) => self.mapping(indent, Some(key)),
            (None, Some(parent)) => {
                self.inline(at, parent)?;
                self.advance()
            }
            (None, None) => None,
        }
    }

    /// A block mapping whose first key is at the current line's content (and is `first` when
    /// the caller has read it already).
    fn mapping(&mut self, indent: usize, mut first: Option<Key<'s>>) -> Option<()> {
        self.deeper()?;
        self.node()?;
        let start = self.line.content;
        self.emit(Ev::MappingStart { anchor: 0 }, start, start);
        loop {
            let at = self.line.content;
            let (key, key_end, colon) = match first.take() {
                Some(key) => key,
                None => self.key(at)??,
            };
            self.node()?;
            self.emit(key, at, key_end);
            let value = self.skip_spaces(colon + 1);
            if value == self.line.end || self.bytes[value] == b'#' {
                if value < self.line.end {
                    self.comment(value, self.line.end);
                }
                self.advance()?;
                self.trivia()?;
                let line = self.line;
                if line.kind == Kind::Content && line.indent() > indent {
                    self.block(line.indent(), Some(indent))?;
                } else if line.kind == Kind::Content
                    && line.indent() == indent
                    && self.is_entry(line.content)
                {
                    self.sequence(indent, true)?;
                } else {
                    self.node()?;
                    self.emit(
                        Ev::Scalar {
                            value: Cow::Borrowed("~"),
                            plain: true,
                            tagged_str: false,
                            anchor: 0,
                        },
                        colon,
                        colon,
                    );
                }
            } else {
                if self.bytes[value] == b'|' {
                    self.literal(value, indent)?;
                } else {
                    self.inline(value, indent)?;
                    self.advance()?;
                }
                self.trivia()?;
                if self.line.kind == Kind::Content && self.line.indent() > indent {
                    return None; // a multi-line scalar, or an error
                }
            }
            let line = self.line;
            if line.kind != Kind::Content || line.indent() < indent {
                break;
            }
            if line.indent() > indent || self.is_entry(line.content) {
                return None;
            }
        }
        let at = self.line.start;
        self.emit(Ev::MappingEnd, at, at);
        self.depth -= 1;
        Some(())
    }

    /// A block sequence whose first `-` is at the current line's content. An indentless one
    /// (`key:` then `- item` at the key's column) starts, in granit-parser's spans, at its
    /// first item rather than at its `-`.
    fn sequence(&mut self, indent: usize, indentless: bool) -> Option<()> {
        self.deeper()?;
        self.node()?;
        let mut first = true;
        loop {
            let dash = self.line.content;
            let item = self.skip_spaces(dash + 1);
            if item == self.line.end || self.bytes[item] == b'#' || self.is_entry(item) {
                return None; // an empty item, or one that starts on the next line
            }
            if first {
                let at = if indentless { item } else { dash };
                self.emit(
                    Ev::SequenceStart {
                        flow: false,
                        anchor: 0,
                    },
                    at,
                    at,
                );
                first = false;
            }
            if let Some(key) = self.key(item)? {
                self.line.content = item;
                self.mapping(item - self.line.start, Some(key))?;
            } else {
                self.inline(item, indent)?;
                self.advance()?;
                self.trivia()?;
                if self.line.kind == Kind::Content && self.line.indent() > indent {
                    return None;
                }
            }
            let line = self.line;
            if line.kind != Kind::Content || line.indent() < indent {
                break;
            }
            if line.indent() > indent {
                return None;
            }
            if !self.is_entry(line.content) {
                // The next key of the mapping around an indentless sequence (the caller
                // declines anything else).
                break;
            }
        }
        let at = self.line.start;
        self.emit(Ev::SequenceEnd, at, at);
        self.depth -= 1;
        Some(())
    }

    /// A literal block scalar (`|` or `|-`) whose header is at `bar`, the value of a key at
    /// column `parent`: its lines are those indented like its first one. Leaves the current
    /// line at the first line after it. Declines an indentation indicator, keep chomping (`|+`),
    /// leading empty lines, an empty scalar and lines of spaces longer than the indentation.
    /// As in granit-parser, the span runs from the first line's text to the first non-space
    /// byte of the line after the scalar (empty lines before it included).
    fn literal(&mut self, bar: usize, parent: usize) -> Option<()> {
        let mut header = bar + 1;
        let strip = header < self.line.end && self.bytes[header] == b'-';
        if strip {
            header += 1;
        }
        let rest = self.skip_spaces(header);
        if rest < self.line.end && !(self.bytes[rest] == b'#' && rest > header) {
            return None;
        }
        if rest < self.line.end {
            self.comment(rest, self.line.end);
        }
        self.advance()?;
        let first = self.line;
        if first.kind == Kind::Eof || first.kind == Kind::Blank || first.indent() <= parent {
            return None;
        }
        let indent = first.indent();
        let mut value = String::new();
        let mut empty = 0;
        let end = loop {
            let line = self.line;
            match line.kind {
                Kind::Eof => break line.start,
                Kind::Blank => {
                    if line.end - line.start > indent {
                        return None;
                    }
                    empty += 1;
                }
                _ if line.indent() < indent => break line.content,
                _ => {
                    if line.start != first.start {
                        value.push('\n');
                    }
                    for _ in 0..empty {
                        value.push('\n');
                    }
                    empty = 0;
                    value.push_str(&self.text[line.start + indent..line.end]);
                }
            }
            self.advance()?;
        };
        if !strip {
            value.push('\n');
        }
        self.scalar(Cow::Owned(value), false, first.content, end)
    }

    fn skip_spaces(&self, mut at: usize) -> usize {
        while at < self.line.end && self.bytes[at] == b' ' {
            at += 1;
        }
        at
    }

    /// The mapping key at `at` (a quoted or plain scalar, then `: ` or `:` at the end of the
    /// line): `Some(Some((event, end, colon offset)))`, `Some(None)` for a scalar that is not a
    /// key, `None` to decline.
    fn key(&self, at: usize) -> Option<Option<Key<'s>>> {
        let end = self.line.end;
        let (event, key_end, after) = match self.bytes[at] {
            // A flow collection: a value (as a key it would be followed by `:`, and `inline`
            // declines that).
            b'[' | b'{' => return Some(None),
            b'"' | b'\'' => {
                let (value, close) = self.quoted(at)?;
                let event = Ev::Scalar {
                    value,
                    plain: false,
                    tagged_str: false,
                    anchor: 0,
                };
                (event, close, self.skip_spaces(close))
            }
            _ => {
                self.plain_start(at)?;
                let (text_end, stop) = self.plain(at);
                let Stop::Colon(colon) = stop else {
                    return Some(None);
                };
                let event = Ev::Scalar {
                    value: Cow::Borrowed(&self.text[at..text_end]),
                    plain: true,
                    tagged_str: false,
                    anchor: 0,
                };
                (event, text_end, colon)
            }
        };
        if key_end - at > MAX_KEY {
            return None;
        }
        let is_colon = after < end
            && self.bytes[after] == b':'
            && (after + 1 == end || self.bytes[after + 1] == b' ');
        Some(is_colon.then_some((event, key_end, after)))
    }

    /// Decline a plain scalar that would start with an indicator.
    fn plain_start(&self, at: usize) -> Option<()> {
        let c = self.bytes[at];
        let safe_next = at + 1 < self.line.end && self.bytes[at + 1] != b' ';
        match c {
            b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>' | b'\''
            | b'"' | b'%' | b'@' | b'`' => None,
            b'-' | b'?' | b':' if !safe_next => None,
            _ => Some(()),
        }
    }

    /// A plain scalar in block context from `at` on the current line: where its text ends
    /// (trailing spaces trimmed) and what ended it.
    fn plain(&self, at: usize) -> (usize, Stop) {
        let bytes = self.bytes;
        let end = self.line.end;
        let mut last = at;
        let mut i = at;
        while i < end {
            match bytes[i] {
                b':' if i + 1 == end || bytes[i + 1] == b' ' => return (last, Stop::Colon(i)),
                b'#' if bytes[i - 1] == b' ' => return (last, Stop::Comment(i)),
                b' ' => {}
                _ => last = i + 1,
            }
            i += 1;
        }
        (last, Stop::Eol)
    }

    /// A value that starts at `at`: a scalar, a flow collection on this line, or a plain
    /// scalar that goes on over lines indented more than `parent` (the column of the
    /// collection it is in); then nothing but a comment. Leaves the current line at the
    /// value's last line.
    fn inline(&mut self, at: usize, parent: usize) -> Option<()> {
        let end = match self.bytes[at] {
            b'"' | b'\'' | b'[' | b'{' => self.flow_node(at)?,
            _ => {
                self.plain_start(at)?;
                let (text_end, stop) = self.plain(at);
                match stop {
                    Stop::Colon(_) => return None,
                    Stop::Eol => return self.plain_lines(at, text_end, parent),
                    Stop::Comment(_) => {}
                }
                self.scalar(Cow::Borrowed(&self.text[at..text_end]), true, at, text_end)?;
                text_end
            }
        };
        self.line_rest(end)
    }

    /// After a value ending at `end`: nothing, or spaces and a comment.
    fn line_rest(&mut self, end: usize) -> Option<()> {
        let rest = self.skip_spaces(end);
        if rest == self.line.end {
            return Some(());
        }
        if self.bytes[rest] == b'#' && rest > end {
            self.comment(rest, self.line.end);
            return Some(());
        }
        None
    }

    /// A plain scalar from `start`, whose first line's text ends at `first_end`, with the
    /// lines after it that go on with it (indented more than `parent`, not a comment). As in
    /// YAML, a line break between two lines folds to a space and each empty line between them
    /// gives a line feed; the span ends at the last line's text.
    fn plain_lines(&mut self, start: usize, first_end: usize, parent: usize) -> Option<()> {
        let mut value: Option<String> = None;
        let mut end = first_end;
        let mut empty = 0;
        let mut next = self.read(self.line.next)?;
        loop {
            match next.kind {
                Kind::Blank => empty += 1,
                Kind::Content if next.indent() > parent => {
                    self.line = next;
                    let at = next.content;
                    self.plain_start(at)?;
                    let (text_end, stop) = self.plain(at);
                    if let Stop::Colon(_) = stop {
                        return None;
                    }
                    let s = value.get_or_insert_with(|| self.text[start..first_end].to_string());
                    if empty == 0 {
                        s.push(' ');
                    }
                    for _ in 0..empty {
                        s.push('\n');
                    }
                    empty = 0;
                    s.push_str(&self.text[at..text_end]);
                    end = text_end;
                    if let Stop::Comment(hash) = stop {
                        self.comment(hash, next.end);
                        break;
                    }
                }
                _ => break,
            }
            next = self.read(next.next)?;
        }
        let value = value.map_or(Cow::Borrowed(&self.text[start..end]), Cow::Owned);
        self.scalar(value, true, start, end)
    }

    /// A node in flow context on this line: a quoted or plain scalar, `[...]` or `{...}`.
    /// Returns the offset after it.
    fn flow_node(&mut self, at: usize) -> Option<usize> {
        match self.bytes[at] {
            b'[' => self.flow_collection(at, false),
            b'{' => self.flow_collection(at, true),
            b'"' | b'\'' => {
                let (value, close) = self.quoted(at)?;
                self.scalar(value, false, at, close)?;
                Some(close)
            }
            _ => {
                let end = self.flow_plain(at)?;
                self.scalar(Cow::Borrowed(&self.text[at..end]), true, at, end)?;
                Some(end)
            }
        }
    }

    /// A plain scalar in flow context: where its text ends.
    fn flow_plain(&self, at: usize) -> Option<usize> {
        self.plain_start(at)?;
        let bytes = self.bytes;
        let end = self.line.end;
        let flow_indicator =
            |i: usize| matches!(bytes.get(i), Some(b',' | b'[' | b']' | b'{' | b'}'));
        if matches!(bytes[at], b'-' | b'?' | b':') && flow_indicator(at + 1) {
            return None;
        }
        let mut last = at;
        let mut i = at;
        while i < end {
            match bytes[i] {
                b',' | b']' | b'}' => break,
                // go-yaml v2 ends a flow plain scalar at `?` and then fails: left to
                // granit-parser's path, which reports it.
                b'[' | b'{' | b'?' => return None,
                b':' if i + 1 == end || bytes[i + 1] == b' ' || flow_indicator(i + 1) => break,
                b'#' if bytes[i - 1] == b' ' => return None,
                b' ' => {}
                _ => last = i + 1,
            }
            i += 1;
        }
        Some(last)
    }

    /// `[a, "b", {c: d}]` or `{a: b, c: [d]}` on one line. Returns the offset after the
    /// closing bracket. Declines an empty entry or value, a trailing comma, a key that is not a
    /// scalar or is not followed by `: `, and a single pair in a sequence.
    fn flow_collection(&mut self, open: usize, mapping: bool) -> Option<usize> {
        self.deeper()?;
        self.node()?;
        let (close_byte, start, end_event) = if mapping {
            (b'}', Ev::MappingStart { anchor: 0 }, Ev::MappingEnd)
        } else {
            let start = Ev::SequenceStart {
                flow: true,
                anchor: 0,
            };
            (b']', start, Ev::SequenceEnd)
        };
        self.emit(start, open, open + 1);
        let bytes = self.bytes;
        let end = self.line.end;
        let mut at = self.skip_spaces(open + 1);
        if at < end && bytes[at] == close_byte {
            self.emit(end_event, at, at + 1);
            self.depth -= 1;
            return Some(at + 1);
        }
        loop {
            if at == end {
                return None;
            }
            if mapping {
                if matches!(bytes[at], b'[' | b'{') {
                    return None;
                }
                let key_end = self.flow_node(at)?;
                at = self.skip_spaces(key_end);
                if !(at + 1 < end && bytes[at] == b':' && bytes[at + 1] == b' ') {
                    return None;
                }
                at = self.skip_spaces(at + 1);
                if at == end || matches!(bytes[at], b',' | b'}') {
                    return None;
                }
            }
            let item_end = self.flow_node(at)?;
            at = self.skip_spaces(item_end);
            if at == end {
                return None;
            }
            match bytes[at] {
                b',' => {
                    at = self.skip_spaces(at + 1);
                    if at == end || bytes[at] == close_byte {
                        return None;
                    }
                }
                b if b == close_byte => {
                    self.emit(end_event, at, at + 1);
                    self.depth -= 1;
                    return Some(at + 1);
                }
                _ => return None,
            }
        }
    }

    fn scalar(&mut self, value: Cow<'s, str>, plain: bool, start: usize, end: usize) -> Option<()> {
        self.node()?;
        self.emit(
            Ev::Scalar {
                value,
                plain,
                tagged_str: false,
                anchor: 0,
            },
            start,
            end,
        );
        Some(())
    }

    /// A quoted scalar that closes on this line: its value and the offset after the closing
    /// quote.
    fn quoted(&self, open: usize) -> Option<(Cow<'s, str>, usize)> {
        let bytes = self.bytes;
        let end = self.line.end;
        let quote = bytes[open];
        let body = open + 1;
        let mut i = body;
        let mut owned: Option<String> = None;
        let mut copied = body;
        while i < end {
            let c = bytes[i];
            if c == quote {
                if quote == b'\'' && i + 1 < end && bytes[i + 1] == b'\'' {
                    let s = owned.get_or_insert_with(String::new);
                    s.push_str(&self.text[copied..=i]);
                    i += 2;
                    copied = i;
                    continue;
                }
                let value = match owned {
                    None => Cow::Borrowed(&self.text[body..i]),
                    Some(mut s) => {
                        s.push_str(&self.text[copied..i]);
                        Cow::Owned(s)
                    }
                };
                return Some((value, i + 1));
            }
            if c == b'\\' && quote == b'"' {
                let s = owned.get_or_insert_with(String::new);
                s.push_str(&self.text[copied..i]);
                let (ch, len) = escape(&bytes[i + 1..end])?;
                s.push(ch);
                i += 1 + len;
                copied = i;
                continue;
            }
            i += 1;
        }
        None // closes on a later line
    }
}

/// `---` or `...` followed by a space or the end of the line.
fn is_marker(line: &[u8], c: u8) -> bool {
    line.len() >= 3 && line[..3] == [c, c, c] && (line.len() == 3 || line[3] == b' ')
}

/// The escape after a `\` in a double-quoted scalar: the character and how many bytes it took.
pub(super) fn escape(rest: &[u8]) -> Option<(char, usize)> {
    let simple = match *rest.first()? {
        b'0' => '\0',
        b'a' => '\u{7}',
        b'b' => '\u{8}',
        b't' => '\t',
        b'n' => '\n',
        b'v' => '\u{b}',
        b'f' => '\u{c}',
        b'r' => '\r',
        b'e' => '\u{1b}',
        b' ' => ' ',
        b'"' => '"',
        // go-yaml v2 reads `\'` as `'`.
        b'\'' => '\'',
        // YAML 1.2's `\/`, which go-yaml v2 refuses: declined (granit-parser reads it, and
        // the error is reported there).
        b'/' => return None,
        b'\\' => '\\',
        b'N' => '\u{85}',
        b'_' => '\u{a0}',
        b'L' => '\u{2028}',
        b'P' => '\u{2029}',
        b'x' => return hex(rest, 2),
        b'u' => return hex(rest, 4),
        b'U' => return hex(rest, 8),
        _ => return None,
    };
    Some((simple, 1))
}

fn hex(rest: &[u8], digits: usize) -> Option<(char, usize)> {
    let code = rest.get(1..=digits)?;
    let code = std::str::from_utf8(code).ok()?;
    let code = u32::from_str_radix(code, 16).ok()?;
    Some((char::from_u32(code)?, 1 + digits))
}

/// Whether a line holds only characters YAML allows (no tab: this reader leaves tabs, which
/// YAML allows in some places only, to granit-parser).
fn printable(line: &[u8]) -> bool {
    if line.iter().all(|&b| (0x20..0x7f).contains(&b)) {
        return true;
    }
    for (i, &b) in line.iter().enumerate() {
        let next = line.get(i + 1).copied();
        let after = line.get(i + 2).copied();
        let bad = match b {
            0..=0x1f | 0x7f => true,
            // C1 controls and NEL.
            0xc2 => next.is_some_and(|n| n < 0xa0),
            // Line and paragraph separators.
            0xe2 => next == Some(0x80) && matches!(after, Some(0xa8 | 0xa9)),
            // A byte-order mark, U+FFFE and U+FFFF.
            0xef => {
                (next == Some(0xbb) && after == Some(0xbf))
                    || (next == Some(0xbf) && matches!(after, Some(0xbe | 0xbf)))
            }
            _ => false,
        };
        if bad {
            return false;
        }
    }
    true
}

#[cfg(test)]
#[path = "fast_tests.rs"]
mod tests;
