//! Source text, byte spans and the line index that turns offsets into human and LSP positions.

use std::sync::OnceLock;

/// A byte range into a source text. Offsets are `u32`: files are size-limited far below 4 GiB.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    #[must_use]
    pub fn new(start: usize, end: usize) -> Self {
        Self {
            start: u32::try_from(start).unwrap_or(u32::MAX),
            end: u32::try_from(end.max(start)).unwrap_or(u32::MAX),
        }
    }

    #[must_use]
    pub fn empty(at: usize) -> Self {
        Self::new(at, at)
    }

    #[must_use]
    pub fn len(self) -> usize {
        (self.end - self.start) as usize
    }

    #[must_use]
    pub fn is_empty(self) -> bool {
        self.start == self.end
    }

    #[must_use]
    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }

    /// The span moved `by` bytes later (a window's spans made file-relative).
    #[must_use]
    pub fn shifted(self, by: u32) -> Span {
        Span {
            start: self.start.saturating_add(by),
            end: self.end.saturating_add(by),
        }
    }

    /// The smallest span covering both.
    #[must_use]
    pub fn cover(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// A 1-based line and 1-based column (in Unicode scalar values) for humans.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineCol {
    pub line: u32,
    pub column: u32,
}

/// Start offsets of every line, built once per file on first use.
#[derive(Debug, Clone)]
pub struct LineIndex {
    line_starts: Vec<u32>,
}

impl LineIndex {
    #[must_use]
    pub fn new(text: &str) -> Self {
        let mut line_starts = Vec::with_capacity(text.len() / 32 + 1);
        line_starts.push(0);
        for pos in memchr_newlines(text.as_bytes()) {
            line_starts.push(u32::try_from(pos + 1).unwrap_or(u32::MAX));
        }
        Self { line_starts }
    }

    /// 0-based line number holding `offset`.
    #[must_use]
    pub fn line_of(&self, offset: u32) -> usize {
        match self.line_starts.binary_search(&offset) {
            Ok(line) => line,
            Err(next) => next.saturating_sub(1),
        }
    }

    #[must_use]
    pub fn line_start(&self, line: usize) -> u32 {
        self.line_starts.get(line).copied().unwrap_or(u32::MAX)
    }

    /// The span of the whole 0-based line `line` of `text` (the text this index was built
    /// from), without its line break (`\n` or `\r\n`).
    #[must_use]
    pub fn line_span(&self, text: &str, line: usize) -> Span {
        let start = self.line_start(line).min(text.len() as u32) as usize;
        let end = text[start..].find('\n').map_or(text.len(), |n| start + n);
        let end = if text[..end].ends_with('\r') {
            end - 1
        } else {
            end
        };
        Span::new(start, end)
    }

    #[must_use]
    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// 1-based line and character column of a byte offset. Offsets inside a multi-byte
    /// character or past the end are clamped.
    #[must_use]
    pub fn line_col(&self, text: &str, offset: u32) -> LineCol {
        let offset = offset.min(u32::try_from(text.len()).unwrap_or(u32::MAX));
        let line = self.line_of(offset);
        let start = self.line_start(line) as usize;
        let end = floor_char_boundary(text, offset as usize);
        let column = text.get(start..end).map_or(0, |s| s.chars().count());
        LineCol {
            line: u32::try_from(line + 1).unwrap_or(u32::MAX),
            column: u32::try_from(column + 1).unwrap_or(u32::MAX),
        }
    }

    /// 0-based line and UTF-16 code unit column, as LSP's default position encoding wants.
    #[must_use]
    pub fn utf16_position(&self, text: &str, offset: u32) -> (u32, u32) {
        let offset = offset.min(u32::try_from(text.len()).unwrap_or(u32::MAX));
        let line = self.line_of(offset);
        let start = self.line_start(line) as usize;
        let end = floor_char_boundary(text, offset as usize);
        let col: usize = text
            .get(start..end)
            .map_or(0, |s| s.chars().map(char::len_utf16).sum());
        (
            u32::try_from(line).unwrap_or(u32::MAX),
            u32::try_from(col).unwrap_or(u32::MAX),
        )
    }

    /// Byte offset of a 0-based line and UTF-16 column (the inverse of [`Self::utf16_position`]).
    #[must_use]
    pub fn offset_of_utf16(&self, text: &str, line: u32, col: u32) -> usize {
        let Some(&start) = self.line_starts.get(line as usize) else {
            return text.len();
        };
        let start = start as usize;
        let mut units = 0u32;
        for (i, ch) in text[start..].char_indices() {
            if units >= col || ch == '\n' {
                return start + i;
            }
            units += u32::try_from(ch.len_utf16()).unwrap_or(2);
        }
        text.len()
    }
}

fn floor_char_boundary(text: &str, mut index: usize) -> usize {
    if index >= text.len() {
        return text.len();
    }
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

fn memchr_newlines(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    memchr::memchr_iter(b'\n', bytes)
}

/// A linted text: its display name (a path relative to where the user pointed, or the
/// `--stdin-filename`) and its contents.
///
/// A source can also be one window of a large file (see [`crate::stream`]): `text` then holds
/// the file from byte `base_offset`, which starts line `base_line + 1`, and spans stay
/// file-relative.
#[derive(Debug)]
pub struct SourceFile {
    pub name: String,
    pub text: String,
    base_offset: u32,
    base_line: u32,
    index: OnceLock<LineIndex>,
}

impl SourceFile {
    #[must_use]
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        Self::window(name, text, 0, 0)
    }

    /// The part of a file from byte `base_offset` (a line start), which is 0-based line
    /// `base_line` of the file.
    #[must_use]
    pub fn window(
        name: impl Into<String>,
        text: impl Into<String>,
        base_offset: u32,
        base_line: u32,
    ) -> Self {
        Self {
            name: name.into(),
            text: text.into(),
            base_offset,
            base_line,
            index: OnceLock::new(),
        }
    }

    /// The file offset of `text`'s first byte (0 unless this is a window).
    #[must_use]
    pub fn base_offset(&self) -> u32 {
        self.base_offset
    }

    /// The 0-based file line of `text`'s first line (0 unless this is a window).
    #[must_use]
    pub fn base_line(&self) -> u32 {
        self.base_line
    }

    /// The line index of `text` (window-relative offsets and lines).
    pub fn line_index(&self) -> &LineIndex {
        self.index.get_or_init(|| LineIndex::new(&self.text))
    }

    /// A file offset as an offset into `text` (clamped to the window).
    #[must_use]
    pub fn local(&self, offset: u32) -> u32 {
        offset.saturating_sub(self.base_offset)
    }

    #[must_use]
    pub fn line_col(&self, offset: u32) -> LineCol {
        let mut pos = self.line_index().line_col(&self.text, self.local(offset));
        pos.line = pos.line.saturating_add(self.base_line);
        pos
    }

    /// Start and end of a span as 1-based line/column pairs.
    #[must_use]
    pub fn span_positions(&self, span: Span) -> (LineCol, LineCol) {
        (self.line_col(span.start), self.line_col(span.end))
    }

    /// 0-based line and UTF-16 column of a file offset (SARIF and LSP positions).
    #[must_use]
    pub fn utf16_position(&self, offset: u32) -> (u32, u32) {
        let (line, col) = self
            .line_index()
            .utf16_position(&self.text, self.local(offset));
        (line.saturating_add(self.base_line), col)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters_not_bytes() {
        let text = "a: é\nbb: x\r\nccc: ü\n";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line_col(text, 0), LineCol { line: 1, column: 1 });
        let x = text.find('x').unwrap_or_default();
        assert_eq!(idx.line_col(text, x as u32), LineCol { line: 2, column: 5 });
        let after_u = text.find('ü').unwrap_or_default() + 'ü'.len_utf8();
        assert_eq!(
            idx.line_col(text, after_u as u32),
            LineCol { line: 3, column: 7 }
        );
    }

    #[test]
    fn utf16_positions_count_surrogate_pairs() {
        let text = "k: \"𝄞\" # x\nnext: 1\n";
        let idx = LineIndex::new(text);
        let hash = text.find('#').unwrap_or_default();
        assert_eq!(idx.utf16_position(text, hash as u32), (0, 8));
        assert_eq!(idx.offset_of_utf16(text, 0, 8), hash);
        let next = text.find("next").unwrap_or_default();
        assert_eq!(idx.utf16_position(text, next as u32), (1, 0));
    }

    #[test]
    fn offsets_past_the_end_are_clamped() {
        let text = "ab";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line_col(text, 99), LineCol { line: 1, column: 3 });
    }

    #[test]
    fn a_window_reports_file_positions() {
        let file = "a: 1\nb: 2\n---\nc: é\nd: 4\n";
        let base = file.find("c:").unwrap_or_default();
        let window = SourceFile::window("f", &file[base..], base as u32, 3);
        let whole = SourceFile::new("f", file);
        let d = file.find("d:").unwrap_or_default() as u32;
        assert_eq!(window.line_col(d), LineCol { line: 5, column: 1 });
        assert_eq!(window.line_col(d), whole.line_col(d));
        let e = file.find('é').unwrap_or_default() as u32 + 2;
        assert_eq!(window.line_col(e), whole.line_col(e));
        assert_eq!(window.utf16_position(e), whole.utf16_position(e));
        assert_eq!(window.utf16_position(e), (3, 4));
    }
}

/// Why bytes are not a clean text (the text is still given, lossily, for positions).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeError {
    pub span: Span,
    pub message: String,
}

/// Decode file bytes: strip a UTF-8 BOM, decode UTF-16 with a BOM, reject binary and invalid
/// UTF-8 with a positioned error. The one decoder of every file the program reads.
#[must_use]
pub fn decode(name: &str, bytes: Vec<u8>) -> (SourceFile, Option<DecodeError>) {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return decode(name, rest.to_vec());
    }
    let error = |span: Span, message: String| Some(DecodeError { span, message });
    let utf16 = match bytes.get(..2) {
        Some([0xFF, 0xFE]) => Some(true),
        Some([0xFE, 0xFF]) => Some(false),
        _ => None,
    };
    if let Some(le) = utf16 {
        let units: Vec<u16> = bytes[2..]
            .chunks(2)
            .map(|c| {
                let pair = [c[0], c.get(1).copied().unwrap_or(0)];
                if le {
                    u16::from_le_bytes(pair)
                } else {
                    u16::from_be_bytes(pair)
                }
            })
            .collect();
        return match String::from_utf16(&units) {
            Ok(text) => (SourceFile::new(name, text), None),
            Err(_) => {
                let text = String::from_utf16_lossy(&units);
                (
                    SourceFile::new(name, text),
                    error(
                        Span::empty(0),
                        "the file starts with a UTF-16 byte order mark but is not valid UTF-16"
                            .into(),
                    ),
                )
            }
        };
    }
    if let Some(nul) = bytes.iter().take(8192).position(|&b| b == 0) {
        let text = String::from_utf8_lossy(&bytes[..nul]).into_owned();
        let at = text.len();
        return (
            SourceFile::new(name, text),
            error(
                Span::empty(at),
                "this looks like a binary file (it contains a NUL byte), not YAML or JSON".into(),
            ),
        );
    }
    match String::from_utf8(bytes) {
        Ok(text) => (SourceFile::new(name, text), None),
        Err(err) => {
            let valid = err.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(err.as_bytes()).into_owned();
            (
                SourceFile::new(name, text),
                error(
                    Span::new(valid, valid + 1),
                    format!("the file is not valid UTF-8 (invalid byte at offset {valid}); Kubernetes manifests must be UTF-8"),
                ),
            )
        }
    }
}

/// Read at most `limit` bytes of a file (an error when it is larger).
pub fn read_limited(path: &std::path::Path, limit: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(std::io::Error::other(format!(
            "the file grew over the {limit}-byte limit while being read"
        )));
    }
    Ok(bytes)
}

/// Read (at most `limit` bytes) and decode a file, named `name`.
pub fn read(
    path: &std::path::Path,
    name: &str,
    limit: u64,
) -> std::io::Result<(SourceFile, Option<DecodeError>)> {
    read_limited(path, limit).map(|bytes| decode(name, bytes))
}

/// An error in a file the program reads besides the manifests (a configuration, nodes or
/// baseline file), with the span it blames.
#[derive(Clone, Debug)]
pub struct FileError {
    pub source: std::sync::Arc<SourceFile>,
    pub span: Span,
    pub message: String,
}

impl std::fmt::Display for FileError {
    /// `file:line:column: error: message`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let pos = self.source.line_col(self.span.start);
        write!(
            f,
            "{}:{}:{}: error: {}",
            self.source.name, pos.line, pos.column, self.message
        )
    }
}
